//! The national picture the referrals are made in: providers (a few national, most regional),
//! delivery units in every PCC area, contracts in all 12 regions (region-wide and PCC-area,
//! prime providers and subcontractors, most open for referral), and the staff: practitioners in
//! every delivery unit and caseworkers at every provider.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, NaiveDate};

use super::random::{Rng, between, chance, pick, stream, weighted};
use super::words;
use super::{Options, Reference};
use crate::domain::actor::{CONTRACT_GROUP_PREFIX, PROVIDER_GROUP_PREFIX, Principal, Role};
use crate::domain::onboarding::{
    CatalogueFile, ContractEntry, EligibilityEntry, InterventionEntry, PduEntry, ProviderEntry,
    WindowEntry,
};

/// Providers in the data set; the first few work nationally.
const PROVIDERS: usize = 48;
const NATIONAL_PROVIDERS: usize = 6;
/// The day the CRS contracts started.
pub const LAUNCH: (i32, u32, u32) = (2021, 6, 26);
/// Streams of the seed used for the world (referrals use streams from 0 upwards).
const WORLD_STREAM: u64 = u64::MAX - 16;

/// How many referrals a region sees relative to others (by caseload).
fn region_weight(code: &str) -> f64 {
    match code {
        "J" => 1.7,
        "B" => 1.3,
        "C" | "E" => 1.15,
        "A" | "D" | "K" => 0.85,
        _ => 1.0,
    }
}

/// How many referrals a contract type draws relative to others.
fn type_weight(code: &str) -> f64 {
    match code.split('-').next().unwrap_or(code) {
        "ACC" => 30.0,
        "ETE" => 20.0,
        "PWB" => 18.0,
        "DNR" => 12.0,
        "FBD" => 10.0,
        "WOS" | "WSM" => 8.0,
        _ => 5.0,
    }
}

/// A contract of the data set and what referrals to it need.
#[derive(Clone, Debug)]
pub struct ContractSpec {
    pub reference: String,
    /// Relative share of the referrals, over the days it is open.
    pub weight: f64,
    /// The delivery units it serves (those of its region or PCC area).
    pub pdus: Vec<String>,
    /// The region it is in.
    pub region_code: String,
    /// Its prime provider and subcontractors.
    pub prime: String,
    pub subcontractors: Vec<String>,
}

/// Everything but the referrals.
#[derive(Clone, Debug)]
pub struct World {
    pub file: CatalogueFile,
    pub contracts: Vec<ContractSpec>,
    /// Practitioners by delivery unit code.
    pub practitioners: BTreeMap<String, Vec<String>>,
    /// Caseworkers by provider code.
    pub caseworkers: BTreeMap<String, Vec<String>>,
    /// Every practitioner and caseworker, as their tokens name them.
    pub staff: Vec<Principal>,
}

fn code_of(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// The regional dependency-and-recovery or finance contract type of a region: the region's own
/// where the reference catalogue has one, else the national type, if there is one.
fn regional_type(family: &str, region: &str, known: &BTreeSet<String>) -> Option<String> {
    let area = match (family, region) {
        ("DNR", "A") | ("FBD", "A") => "NE",
        ("DNR", "C") | ("FBD", "C") => "Y",
        ("DNR", "E") | ("FBD", "E") => "WM",
        ("DNR", "G") | ("FBD", "G") => "SW",
        ("DNR", "H") | ("FBD", "H") => "SC",
        ("DNR", "J") | ("FBD", "J") => "L",
        ("DNR", "K") => "K",
        ("FBD", "B") => "NW",
        ("FBD", "D") => "W",
        ("FBD", "F") => "EM",
        ("FBD", "L") => "M",
        _ => "",
    };
    [format!("{family}-{area}"), family.to_owned()]
        .into_iter()
        .find(|code| known.contains(code))
}

impl World {
    /// Builds the world for `options` over the reference catalogue.
    pub fn new(reference: &Reference, options: &Options) -> World {
        let reference = &reference.only_regions(options.regions);
        let mut rng = stream(options.seed, WORLD_STREAM);
        let providers = providers(&mut rng);
        let known_types: BTreeSet<String> = reference
            .contract_types
            .iter()
            .map(|t| t.code.clone())
            .collect();
        let type_names: BTreeMap<&str, &str> = reference
            .contract_types
            .iter()
            .map(|t| (t.code.as_str(), t.name.as_str()))
            .collect();

        // Delivery units of its own, two to four in every PCC area, so the data set is the
        // same whatever else the database holds.
        let mut pdu_entries = Vec::new();
        let mut pdus_by_area: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for area in &reference.pcc_areas {
            let count = between(&mut rng, 2, 4);
            for part in words::PDU_PARTS
                .iter()
                .take(usize::try_from(count).unwrap_or(2))
            {
                let code = format!("{}-{}", area.code, part.to_ascii_lowercase());
                pdu_entries.push(PduEntry {
                    code: code.clone(),
                    name: format!("{} {part}", area.name),
                    pcc_area: area.code.clone(),
                });
                pdus_by_area
                    .entry(area.code.clone())
                    .or_default()
                    .push(code);
            }
        }

        // Who works where: national providers in several regions, the rest in their home.
        let mut active: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, _) in providers.iter().enumerate() {
            let regions: Vec<String> = if i < NATIONAL_PROVIDERS {
                let count = between(&mut rng, 4, 7);
                (0..count)
                    .map(|_| pick(&mut rng, &reference.regions).code.clone())
                    .collect()
            } else {
                vec![
                    reference.regions[(i - NATIONAL_PROVIDERS) % reference.regions.len()]
                        .code
                        .clone(),
                ]
            };
            for region in regions {
                let list = active.entry(region).or_default();
                if !list.contains(&i) {
                    list.push(i);
                }
            }
        }

        let mut contracts = Vec::new();
        let mut specs = Vec::new();
        for region in &reference.regions {
            let areas: Vec<_> = reference
                .pcc_areas
                .iter()
                .filter(|a| a.region_code == region.code)
                .collect();
            let region_pdus: Vec<String> = areas
                .iter()
                .flat_map(|a| pdus_by_area.get(&a.code).cloned().unwrap_or_default())
                .collect();
            let women = if region.code == "L" && known_types.contains("WSM") {
                "WSM"
            } else {
                "WOS"
            };
            let mut planned: Vec<(String, Option<&str>)> = ["ACC", "ETE", "PWB", women, "MTR"]
                .into_iter()
                .map(str::to_owned)
                .chain(regional_type("DNR", &region.code, &known_types))
                .chain(regional_type("FBD", &region.code, &known_types))
                .map(|t| (t, None))
                .collect();
            for (i, area) in areas.iter().enumerate() {
                planned.push(("ACC".to_owned(), Some(area.code.as_str())));
                let second = ["ETE", "PWB", "DNR"][i % 3];
                planned.push((second.to_owned(), Some(area.code.as_str())));
            }
            let local = active.get(&region.code).cloned().unwrap_or_default();
            for (type_code, area) in planned {
                if !known_types.contains(&type_code) {
                    continue;
                }
                let prime = *pick(&mut rng, &local);
                let subcontractors = subcontractors(&mut rng, &local, prime, &providers);
                let (reference_text, area_name, pdus, weight_scale) = match area {
                    None => (
                        format!("NAT-{type_code}-{}", region.code),
                        region.name.clone(),
                        region_pdus.clone(),
                        1.0,
                    ),
                    Some(area_code) => (
                        format!("NAT-{type_code}-{}", area_code.to_ascii_uppercase()),
                        areas
                            .iter()
                            .find(|a| a.code == area_code)
                            .map(|a| a.name.clone())
                            .unwrap_or_default(),
                        pdus_by_area.get(area_code).cloned().unwrap_or_default(),
                        0.35,
                    ),
                };
                let type_name = type_names.get(type_code.as_str()).copied().unwrap_or("");
                let women_only = type_code == "WOS" || type_code == "WSM";
                let young_adults = type_code == "ETE" && chance(&mut rng, 0.15);
                let window = window(&mut rng, options.as_of);
                let prime_name = &providers[prime].name;
                contracts.push(ContractEntry {
                    reference: reference_text.clone(),
                    contract_type: type_code.clone(),
                    prime_provider: providers[prime].code.clone(),
                    subcontractors: subcontractors.clone(),
                    region: area.is_none().then(|| region.code.clone()),
                    pcc_area: area.map(str::to_owned),
                    eligibility: EligibilityEntry {
                        minimum_age: 18,
                        maximum_age: young_adults.then_some(25),
                        allows_female: true,
                        allows_male: !women_only,
                    },
                    referral_window: window,
                    intervention: InterventionEntry {
                        title: format!("{type_name} - {area_name}"),
                        description: format!(
                            "{type_name} for people on probation in {area_name}, delivered by \
                             {prime_name}."
                        ),
                    },
                });
                specs.push(ContractSpec {
                    reference: reference_text,
                    weight: type_weight(&type_code) * region_weight(&region.code) * weight_scale,
                    pdus,
                    region_code: region.code.clone(),
                    prime: providers[prime].code.clone(),
                    subcontractors,
                });
            }
        }

        let (practitioners, caseworkers, staff) =
            staff(&mut rng, options, &pdus_by_area, &specs, &providers);
        World {
            file: CatalogueFile {
                providers,
                probation_delivery_units: pdu_entries,
                contracts,
            },
            contracts: specs,
            practitioners,
            caseworkers,
            staff,
        }
    }
}

/// Provider organisations with invented names.
fn providers(rng: &mut Rng) -> Vec<ProviderEntry> {
    let mut providers: Vec<ProviderEntry> = Vec::with_capacity(PROVIDERS);
    let mut words: Vec<&str> = words::PROVIDER_WORDS.to_vec();
    while providers.len() < PROVIDERS && !words.is_empty() {
        let word =
            words.remove(usize::try_from(between(rng, 0, words.len() as i64 - 1)).unwrap_or(0));
        let name = format!("{word} {}", pick(rng, words::PROVIDER_KINDS));
        providers.push(ProviderEntry {
            code: code_of(&name),
            name,
        });
    }
    providers
}

/// None to three subcontractors from the region's other providers.
fn subcontractors(
    rng: &mut Rng,
    local: &[usize],
    prime: usize,
    providers: &[ProviderEntry],
) -> Vec<String> {
    let count = *weighted(rng, &[(0usize, 35), (1, 35), (2, 20), (3, 10)]);
    let mut chosen: Vec<String> = Vec::new();
    for _ in 0..count {
        let candidate = *pick(rng, local);
        let code = &providers[candidate].code;
        if candidate != prime && !chosen.contains(code) {
            chosen.push(code.clone());
        }
    }
    chosen.sort();
    chosen
}

/// Most contracts opened at launch and are still open; some started later; a few have closed
/// and a few close in the future.
fn window(rng: &mut Rng, as_of: NaiveDate) -> WindowEntry {
    let launch = day(LAUNCH.0, LAUNCH.1, LAUNCH.2);
    let opens_on = if chance(rng, 0.6) {
        launch
    } else {
        (day(2022, 1, 1) + Duration::days(between(rng, 0, 1200))).min(as_of - Duration::days(400))
    }
    .max(launch);
    let closes_after = if chance(rng, 0.08) {
        let earliest = opens_on + Duration::days(365);
        let latest = as_of - Duration::days(30);
        (earliest < latest)
            .then(|| earliest + Duration::days(between(rng, 0, (latest - earliest).num_days())))
    } else if chance(rng, 0.1) {
        Some(as_of + Duration::days(between(rng, 120, 900)))
    } else {
        None
    };
    WindowEntry {
        opens_on,
        closes_after,
    }
}

type StaffLists = (
    BTreeMap<String, Vec<String>>,
    BTreeMap<String, Vec<String>>,
    Vec<Principal>,
);

/// Practitioners in every delivery unit and caseworkers at every provider, each with the
/// groups their token would carry.
fn staff(
    rng: &mut Rng,
    options: &Options,
    pdus_by_area: &BTreeMap<String, Vec<String>>,
    contracts: &[ContractSpec],
    providers: &[ProviderEntry],
) -> StaffLists {
    let mut staff = Vec::new();
    let name = |rng: &mut Rng| {
        format!(
            "{} {}",
            pick(rng, words::STAFF_NAMES),
            pick(rng, words::LAST_NAMES)
        )
    };
    let pdu_count = pdus_by_area.values().map(Vec::len).sum::<usize>().max(1);
    let per_pdu = (options.referrals / 250 / pdu_count as u64).max(2);
    let mut practitioners = BTreeMap::new();
    for pdu in pdus_by_area.values().flatten() {
        let ids: Vec<String> = (1..=per_pdu).map(|k| format!("pp-{pdu}-{k}")).collect();
        for id in &ids {
            staff.push(Principal::new(
                id.clone(),
                Some(name(rng)),
                None,
                [Role::ProbationPractitioner.authority()],
                [],
            ));
        }
        practitioners.insert(pdu.clone(), ids);
    }
    let total_weight: f64 = contracts.iter().map(|c| c.weight).sum::<f64>().max(1.0);
    let mut caseworkers = BTreeMap::new();
    for provider in providers {
        let delivered: Vec<&ContractSpec> = contracts
            .iter()
            .filter(|c| c.prime == provider.code || c.subcontractors.contains(&provider.code))
            .collect();
        let share: f64 = delivered.iter().map(|c| c.weight).sum::<f64>() / total_weight;
        let count = 2 + (share * options.referrals as f64 / 400.0) as u64;
        let slug = provider.code.to_ascii_lowercase().replace('_', "-");
        let mut groups = vec![format!("{PROVIDER_GROUP_PREFIX}{}", provider.code)];
        groups.extend(
            delivered
                .iter()
                .map(|c| format!("{CONTRACT_GROUP_PREFIX}{}", c.reference)),
        );
        let ids: Vec<String> = (1..=count).map(|k| format!("sp-{slug}-{k}")).collect();
        for id in &ids {
            staff.push(Principal::new(
                id.clone(),
                Some(name(rng)),
                None,
                [Role::ProviderUser.authority()],
                groups.iter().map(String::as_str),
            ));
        }
        caseworkers.insert(provider.code.clone(), ids);
    }
    (practitioners, caseworkers, staff)
}
