//! Reference facts loaded by `m20261122_000002_load_reference_data`.
//!
//! Regions, PCC areas, contract types and withdrawal reasons are the public facts of the CRS
//! marketplace; descriptions of complexity levels and desired outcomes are written for this
//! service. Ids are stable: core service categories keep their published UUIDs, every other id is
//! a UUID v5 derived from a fixed namespace and a readable name, so it never changes.

use sea_orm_migration::sea_orm::prelude::Uuid;

/// Namespace of every derived catalogue id.
pub const CATALOGUE_NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_2a4e_9b3d_4c55_8e21_7d0a_3f6b_91c4);

/// A derived, stable id for a catalogue entry.
pub fn derived_id(name: &str) -> Uuid {
    Uuid::new_v5(&CATALOGUE_NAMESPACE, name.as_bytes())
}

/// The 12 probation regions: code, name.
pub const REGIONS: &[(&str, &str)] = &[
    ("A", "North East"),
    ("B", "North West"),
    ("C", "Yorkshire and the Humber"),
    ("D", "Wales"),
    ("E", "West Midlands"),
    ("F", "East Midlands"),
    ("G", "South West"),
    ("H", "South Central"),
    ("I", "East of England"),
    ("J", "London"),
    ("K", "Kent, Surrey and Sussex"),
    ("L", "Greater Manchester"),
];

/// The 42 police and crime commissioner areas: code, name, region code.
pub const PCC_AREAS: &[(&str, &str, &str)] = &[
    ("avon-and-somerset", "Avon & Somerset", "G"),
    ("bedfordshire", "Bedfordshire", "I"),
    ("cambridgeshire", "Cambridgeshire", "I"),
    ("cheshire", "Cheshire", "B"),
    ("cleveland", "Cleveland", "A"),
    ("cumbria", "Cumbria", "B"),
    ("derbyshire", "Derbyshire", "F"),
    ("devon-and-cornwall", "Devon & Cornwall", "G"),
    ("dorset", "Dorset", "G"),
    ("durham", "Durham", "A"),
    ("dyfed-powys", "Dyfed-Powys", "D"),
    ("essex", "Essex", "I"),
    ("gloucestershire", "Gloucestershire", "G"),
    ("gwent", "Gwent", "D"),
    ("hampshire", "Hampshire", "H"),
    ("hertfordshire", "Hertfordshire", "I"),
    ("humberside", "Humberside", "C"),
    ("kent", "Kent", "K"),
    ("lancashire", "Lancashire", "B"),
    ("leicestershire", "Leicestershire", "F"),
    ("lincolnshire", "Lincolnshire", "F"),
    ("merseyside", "Merseyside", "B"),
    ("norfolk", "Norfolk", "I"),
    ("north-wales", "North Wales", "D"),
    ("north-yorkshire", "North Yorkshire", "C"),
    ("northamptonshire", "Northamptonshire", "I"),
    ("northumbria", "Northumbria", "A"),
    ("nottinghamshire", "Nottinghamshire", "F"),
    ("south-wales", "South Wales", "D"),
    ("south-yorkshire", "South Yorkshire", "C"),
    ("staffordshire", "Staffordshire", "E"),
    ("suffolk", "Suffolk", "I"),
    ("surrey", "Surrey", "K"),
    ("sussex", "Sussex", "K"),
    ("thames-valley", "Thames Valley", "H"),
    ("warwickshire", "Warwickshire", "E"),
    ("west-mercia", "West Mercia", "E"),
    ("west-midlands", "West Midlands", "E"),
    ("west-yorkshire", "West Yorkshire", "C"),
    ("wiltshire", "Wiltshire", "G"),
    ("metropolitan", "London (Metropolitan Police)", "J"),
    ("greater-manchester", "Greater Manchester", "L"),
];

/// One probation delivery unit per PCC area: code, name, PCC area code. The full list is
/// loaded with `crs-api catalogue import` (section `probationDeliveryUnits`).
pub const PROBATION_DELIVERY_UNITS: &[(&str, &str, &str)] = &[
    (
        "bristol-and-south-gloucestershire",
        "Bristol and South Gloucestershire",
        "avon-and-somerset",
    ),
    ("bedfordshire", "Bedfordshire", "bedfordshire"),
    (
        "cambridgeshire-and-peterborough",
        "Cambridgeshire and Peterborough",
        "cambridgeshire",
    ),
    ("cheshire-east", "Cheshire East", "cheshire"),
    (
        "redcar-cleveland-and-middlesbrough",
        "Redcar, Cleveland and Middlesbrough",
        "cleveland",
    ),
    ("cumbria", "Cumbria", "cumbria"),
    ("derby-city", "Derby City", "derbyshire"),
    ("plymouth", "Plymouth", "devon-and-cornwall"),
    ("dorset", "Dorset", "dorset"),
    (
        "county-durham-and-darlington",
        "County Durham and Darlington",
        "durham",
    ),
    ("dyfed-powys", "Dyfed-Powys", "dyfed-powys"),
    ("essex-north", "Essex North", "essex"),
    ("gloucestershire", "Gloucestershire", "gloucestershire"),
    ("gwent", "Gwent", "gwent"),
    (
        "southampton-eastleigh-and-new-forest",
        "Southampton, Eastleigh and New Forest",
        "hampshire",
    ),
    ("hertfordshire", "Hertfordshire", "hertfordshire"),
    ("hull-and-east-riding", "Hull and East Riding", "humberside"),
    ("east-kent", "East Kent", "kent"),
    ("central-lancashire", "Central Lancashire", "lancashire"),
    ("leicester-city", "Leicester City", "leicestershire"),
    ("lincolnshire-east", "Lincolnshire East", "lincolnshire"),
    ("liverpool-north", "Liverpool North", "merseyside"),
    ("norfolk", "Norfolk", "norfolk"),
    ("north-wales", "North Wales", "north-wales"),
    (
        "york-and-north-yorkshire",
        "York and North Yorkshire",
        "north-yorkshire",
    ),
    ("northamptonshire", "Northamptonshire", "northamptonshire"),
    ("newcastle", "Newcastle", "northumbria"),
    ("nottingham-city", "Nottingham City", "nottinghamshire"),
    ("cardiff-and-vale", "Cardiff and Vale", "south-wales"),
    ("sheffield", "Sheffield", "south-yorkshire"),
    ("stoke-on-trent", "Stoke-on-Trent", "staffordshire"),
    ("suffolk", "Suffolk", "suffolk"),
    ("surrey", "Surrey", "surrey"),
    (
        "brighton-and-east-sussex",
        "Brighton and East Sussex",
        "sussex",
    ),
    ("oxfordshire", "Oxfordshire", "thames-valley"),
    ("warwickshire", "Warwickshire", "warwickshire"),
    ("worcestershire", "Worcestershire", "west-mercia"),
    (
        "birmingham-central-and-south",
        "Birmingham Central and South",
        "west-midlands",
    ),
    ("leeds", "Leeds", "west-yorkshire"),
    (
        "swindon-and-wiltshire",
        "Swindon and Wiltshire",
        "wiltshire",
    ),
    (
        "camden-and-islington",
        "Camden and Islington",
        "metropolitan",
    ),
    ("manchester-north", "Manchester North", "greater-manchester"),
];

/// A service category with its complexity levels (LOW, MEDIUM, HIGH descriptions) and its
/// current desired outcomes.
#[derive(Debug)]
pub struct Category {
    pub id: Uuid,
    pub name: String,
    pub levels: [&'static str; 3],
    pub outcomes: Vec<&'static str>,
}

pub const ACCOMMODATION: &str = "Accommodation";
pub const ETE: &str = "Education, Training and Employment (ETE)";
pub const FBD: &str = "Finance, Benefits and Debt (FBD)";
pub const DNR: &str = "Dependency and Recovery (D&R)";
pub const LIFESTYLE: &str = "Lifestyle and Associates";
pub const FAMILY: &str = "Family and Significant Others";
pub const FAMILY_GM: &str = "Family and Significant Others (GM)";
pub const WELLBEING: &str = "Emotional Wellbeing";
pub const SOCIAL_INCLUSION: &str = "Social Inclusion";

const ACCOMMODATION_LEVELS: [&str; 3] = [
    "The person has the means and capacity to find or keep somewhere to live and needs some guidance to do it.",
    "The person is homeless, at risk of losing their home or about to be released, has kept a tenancy before and may have additional needs such as a learning difficulty.",
    "The person is homeless or in unstable accommodation, has a poor tenancy history and complex needs that make finding and keeping a home hard.",
];
const ACCOMMODATION_OUTCOMES: &[&str] = &[
    "Secures social or supported housing, or a tenancy in the private rented sector.",
    "Is prevented from losing their accommodation or becoming homeless.",
    "Makes progress towards obtaining accommodation by removing barriers and taking active steps.",
];
const DNR_LEVELS: [&str; 3] = [
    "The person is motivated, has sustained abstinence or controlled use, and needs support to keep their recovery going.",
    "The person has lapses or crises, or faces a transition such as release from custody, and their motivation is moderate.",
    "The person has a dual diagnosis or needs just below the threshold for secondary treatment, and a history of poor engagement.",
];
const DNR_OUTCOMES: &[&str] = &[
    "Accesses the right support on release or in the community.",
    "Achieves non-dependent or non-problematic use of substances.",
    "Has a minimised risk of overdose after release from prison.",
];
const ETE_LEVELS: [&str; 3] = [
    "The person has adequate literacy and numeracy and some experience of work.",
    "The person has gaps in basic skills and little experience of work.",
    "The person lacks basic skills or has learning difficulties, and their offending creates barriers to work.",
];
const ETE_OUTCOMES: &[&str] = &[
    "Starts suitable education, training or employment.",
    "Becomes more employable.",
    "Keeps suitable education, training or employment.",
];
const WELLBEING_LEVELS: [&str; 3] = [
    "The person has worries but is not isolated and has no known history of mental ill health.",
    "The person has documented psychological problems that are being managed.",
    "The person has long-term documented psychological problems and is socially isolated.",
];
const WELLBEING_OUTCOMES: &[&str] = &[
    "Improves emotional wellbeing, resilience, coping skills or self-confidence.",
    "Is supported to engage with services for physical or mental wellbeing.",
    "Is supported to secure and keep suitable accommodation.",
];
const FAMILY_LEVELS: [&str; 3] = [
    "The person has some positive contact with family or significant others.",
    "The person's relationships with family or significant others are mixed or difficult.",
    "The person has little, no or hostile contact with family, or a relationship has recently broken down.",
];
const FAMILY_OUTCOMES: &[&str] = &[
    "Family or significant others are supported to help the person comply with their licence or order.",
    "Responds constructively to a relationship breakdown.",
    "Parents with confidence and responsibility.",
    "Engages with family services.",
    "Improves relationships with family or significant others.",
];
const FBD_LEVELS: [&str; 3] = [
    "The person supports themselves legitimately despite financial pressure.",
    "The person supplements their income through crime or relies on others to get by.",
    "The person's income comes from crime, or they have illegitimate debts.",
];
const FBD_OUTCOMES: &[&str] = &[
    "Accesses the benefits they are entitled to.",
    "Deals with debt and money-management problems, in the community or in custody where available.",
    "Develops the skills to manage their finances and debts.",
];
const LIFESTYLE_LEVELS: [&str; 3] = [
    "The person lacks confidence but has some pro-social ties.",
    "The person has no pro-social groups, has pro-criminal associates or shows anti-social behaviour.",
    "The person's attachments are only to offending, with a risk of gang, county lines or extremist involvement.",
];
const LIFESTYLE_OUTCOMES: &[&str] = &[
    "Takes part in pro-social community support or activities.",
    "Reduces engagement with pro-criminal or negative networks.",
];
const SOCIAL_INCLUSION_LEVELS: [&str; 3] = [
    "Up to 4 sessions, with virtual contact before release; the person is at low risk of reoffending.",
    "Up to 8 sessions, with up to 2 face to face before release; the person is at medium risk of reoffending.",
    "Up to 12 sessions, with up to 3 face to face before release; the person is at high risk of reoffending.",
];
const SOCIAL_INCLUSION_OUTCOMES: &[&str] = &[
    "Makes a successful transition from custody to the community.",
    "Builds social networks that reduce isolation.",
    "Develops resilience on return to the community.",
    "Engages early with community services after release.",
];

fn core(id: &str, name: &str, levels: [&'static str; 3], outcomes: &[&'static str]) -> Category {
    Category {
        id: Uuid::parse_str(id).unwrap_or_else(|_| derived_id(name)),
        name: name.to_owned(),
        levels,
        outcomes: outcomes.to_vec(),
    }
}

/// A contract type: code, name, the two letters of its referral references, and the names of its
/// service categories.
#[derive(Debug)]
pub struct ContractType {
    pub code: String,
    pub name: String,
    pub reference_suffix: String,
    pub categories: Vec<String>,
}

fn contract_type(code: &str, name: &str, categories: &[&str]) -> ContractType {
    let reference_suffix: String = name
        .chars()
        .filter(|c| c.is_ascii_alphabetic())
        .take(2)
        .collect::<String>()
        .to_ascii_uppercase();
    ContractType {
        code: code.to_owned(),
        name: name.to_owned(),
        reference_suffix,
        categories: categories.iter().map(|c| (*c).to_owned()).collect(),
    }
}

/// Regional dependency-and-recovery contract types: code suffix and area.
const DNR_REGIONS: &[(&str, &str)] = &[
    ("K", "Kent, Surrey and Sussex"),
    ("L", "London"),
    ("NE", "North East"),
    ("NEN", "North East: Northumbria"),
    ("SC", "South Central"),
    ("SW", "South West"),
    ("SY", "South Yorkshire"),
    ("WM", "West Midlands"),
    ("Y", "Yorkshire and the Humber"),
];

/// Regional and borough finance-benefit-and-debt contract types: code suffix and area.
const FBD_REGIONS: &[(&str, &str)] = &[
    ("EM", "East Midlands"),
    ("L", "London"),
    ("NE", "North East"),
    ("NW", "North West"),
    ("SC", "South Central"),
    ("SW", "South West"),
    ("W", "Wales"),
    ("WM", "West Midlands"),
    ("Y", "Yorkshire and the Humber"),
    ("B", "Bolton"),
    ("BU", "Bury"),
    ("M", "Manchester"),
    ("O", "Oldham"),
    ("R", "Rochdale"),
    ("SA", "Salford"),
    ("SP", "Stockport"),
    ("TA", "Tameside"),
    ("TR", "Trafford"),
    ("WI", "Wigan"),
];

/// Every service category: the eight core ones, the Greater Manchester family variant, and one
/// category per regional dependency-and-recovery and finance contract.
pub fn service_categories() -> Vec<Category> {
    let mut categories = vec![
        core(
            "428ee70f-3001-4399-95a6-ad25eaaede16",
            ACCOMMODATION,
            ACCOMMODATION_LEVELS,
            ACCOMMODATION_OUTCOMES,
        ),
        core(
            "ca374ac3-84eb-4b91-bea7-9005398f426f",
            ETE,
            ETE_LEVELS,
            ETE_OUTCOMES,
        ),
        core(
            "96a63c39-4371-4f17-a6ec-265755f0cf7b",
            FBD,
            FBD_LEVELS,
            FBD_OUTCOMES,
        ),
        core(
            "76bcdb97-1dea-41c1-a4f8-899d88e5d679",
            DNR,
            DNR_LEVELS,
            DNR_OUTCOMES,
        ),
        core(
            "b84f4eb7-4db0-477e-8c59-21027b3262c5",
            LIFESTYLE,
            LIFESTYLE_LEVELS,
            LIFESTYLE_OUTCOMES,
        ),
        core(
            "9556a399-3529-4993-8030-41db2090555e",
            FAMILY,
            FAMILY_LEVELS,
            FAMILY_OUTCOMES,
        ),
        core(
            "8221a81c-08b2-4262-9c1a-0ab3c82cec8c",
            WELLBEING,
            WELLBEING_LEVELS,
            WELLBEING_OUTCOMES,
        ),
        core(
            "c036826e-f077-49a5-8b33-601dca7ad479",
            SOCIAL_INCLUSION,
            SOCIAL_INCLUSION_LEVELS,
            SOCIAL_INCLUSION_OUTCOMES,
        ),
        Category {
            id: derived_id("service-category:FAMILY-GM"),
            name: FAMILY_GM.to_owned(),
            levels: FAMILY_LEVELS,
            outcomes: FAMILY_OUTCOMES.to_vec(),
        },
    ];
    for (code, area) in DNR_REGIONS {
        categories.push(Category {
            id: derived_id(&format!("service-category:DNR-{code}")),
            name: format!("Dependency and Recovery ({area})"),
            levels: DNR_LEVELS,
            // The overdose outcome is offered only on women's services contracts.
            outcomes: DNR_OUTCOMES[..2].to_vec(),
        });
    }
    for (code, area) in FBD_REGIONS {
        categories.push(Category {
            id: derived_id(&format!("service-category:FBD-{code}")),
            name: format!("Finance, Benefit and Debt ({area})"),
            levels: FBD_LEVELS,
            outcomes: FBD_OUTCOMES.to_vec(),
        });
    }
    categories
}

/// Every contract type with its service categories (by name).
pub fn contract_types() -> Vec<ContractType> {
    let women = [
        ACCOMMODATION,
        DNR,
        ETE,
        WELLBEING,
        FAMILY,
        FBD,
        LIFESTYLE,
        SOCIAL_INCLUSION,
    ];
    let women_gm = [
        ACCOMMODATION,
        DNR,
        ETE,
        WELLBEING,
        FAMILY_GM,
        FBD,
        LIFESTYLE,
        SOCIAL_INCLUSION,
    ];
    let mut types = vec![
        contract_type("ACC", "Accommodation", &[ACCOMMODATION]),
        contract_type("ETE", "Education, Training and Employment (ETE)", &[ETE]),
        contract_type(
            "PWB",
            "Personal Wellbeing",
            &[WELLBEING, FAMILY, LIFESTYLE, SOCIAL_INCLUSION],
        ),
        contract_type("WOS", "Women's Services", &women),
        contract_type("WSM", "Women's Support Services (GM)", &women_gm),
        contract_type("MTR", "Mentoring", &[LIFESTYLE]),
        contract_type("DNR", "Dependency and Recovery", &[DNR]),
    ];
    for (code, area) in DNR_REGIONS {
        let name = format!("Dependency and Recovery ({area})");
        types.push(contract_type(
            &format!("DNR-{code}"),
            &name,
            &[name.as_str()],
        ));
    }
    for (code, area) in FBD_REGIONS {
        let name = format!("Finance, Benefit and Debt ({area})");
        types.push(contract_type(
            &format!("FBD-{code}"),
            &name,
            &[name.as_str()],
        ));
    }
    types
}

/// Withdrawal reasons: code, description, grouping.
pub const WITHDRAWAL_REASONS: &[(&str, &str, &str)] = &[
    ("INE", "Ineligible referral", "problem"),
    ("MIS", "Mistaken or duplicate referral", "problem"),
    ("MOV", "Moved out of service area", "user"),
    ("NEE", "Needs met through another route", "user"),
    ("NOT", "Not engaged", "user"),
    ("USE", "User died", "user"),
    ("WOR", "Work, caring commitments or sickness", "user"),
    ("ACQ", "Acquitted on appeal", "sentence"),
    ("RET", "Returned to custody", "sentence"),
    ("SEE", "Sentence expired", "sentence"),
    ("SER", "Sentence revoked", "sentence"),
    ("EAR", "Intervention has been completed", "early"),
    ("ANO", "Any other change of circumstance", "other"),
];
