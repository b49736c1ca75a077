//! Word lists the synthetic data set draws from. Every name is invented or common; free text is
//! generic and never describes a real person.

/// First words of provider names.
pub const PROVIDER_WORDS: &[&str] = &[
    "Beacon",
    "Pathway",
    "Lantern",
    "Compass",
    "Anchor",
    "Horizon",
    "Threshold",
    "Waymark",
    "Milestone",
    "Haven",
    "Kinship",
    "Open Door",
    "New Leaf",
    "Second Chance",
    "Fresh Start",
    "Step Forward",
    "Bridgehead",
    "Cornerstone",
    "Firm Ground",
    "Lighthouse",
    "Riverside",
    "Hillside",
    "Greenway",
    "Moorland",
    "Northgate",
    "Southbank",
    "Eastfield",
    "Westbrook",
    "Ashgrove",
    "Birchwood",
    "Cedar",
    "Elmtree",
    "Hawthorn",
    "Hazel",
    "Juniper",
    "Larch",
    "Maple",
    "Rowan",
    "Willow",
    "Yew",
    "Clearwater",
    "Springwell",
    "Stonebridge",
    "Ferryside",
    "Harbourside",
    "Kingsway",
    "Queensway",
    "Unity",
    "Renew",
    "Rise",
];

/// Last words of provider names.
pub const PROVIDER_KINDS: &[&str] = &[
    "Trust",
    "Foundation",
    "CIC",
    "Partnership",
    "Housing Association",
    "Project",
    "Network",
    "Community Services",
    "Recovery Trust",
    "Works",
];

/// Female first names.
pub const FEMALE_NAMES: &[&str] = &[
    "Amelia",
    "Olivia",
    "Emily",
    "Jessica",
    "Sophie",
    "Chloe",
    "Lauren",
    "Hannah",
    "Rebecca",
    "Charlotte",
    "Megan",
    "Bethany",
    "Danielle",
    "Gemma",
    "Kayleigh",
    "Leanne",
    "Natalie",
    "Stacey",
    "Zoe",
    "Aisha",
    "Fatima",
    "Amira",
    "Priya",
    "Sana",
    "Nadia",
    "Grace",
    "Joy",
    "Blessing",
    "Chantelle",
    "Keisha",
    "Agnieszka",
    "Ioana",
    "Roisin",
    "Siobhan",
    "Ffion",
    "Carys",
    "Mari",
    "Layla",
    "Yasmin",
    "Jade",
];

/// Male first names.
pub const MALE_NAMES: &[&str] = &[
    "Jack", "Thomas", "James", "Daniel", "Liam", "Ryan", "Connor", "Jordan", "Lewis", "Callum",
    "Kieran", "Jamie", "Luke", "Nathan", "Adam", "Craig", "Darren", "Lee", "Wayne", "Dean",
    "Mohammed", "Ahmed", "Imran", "Bilal", "Hassan", "Arjun", "Ravi", "Kwame", "Tyrone",
    "Jermaine", "Marcus", "Emeka", "Tomasz", "Andrei", "Mihai", "Patrick", "Sean", "Dylan", "Rhys",
    "Owain", "Gareth", "Reece", "Kyle", "Shane", "Mason",
];

/// Last names.
pub const LAST_NAMES: &[&str] = &[
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "Patel",
    "Khan",
    "Hussain",
    "Ali",
    "Ahmed",
    "Begum",
    "Shah",
    "Singh",
    "Kaur",
    "Mahmood",
    "Okafor",
    "Mensah",
    "Adeyemi",
    "Campbell",
    "Francis",
    "Grant",
    "Bailey",
    "Murphy",
    "Kelly",
    "O'Brien",
    "Doherty",
    "McDonald",
    "Kowalski",
    "Nowak",
    "Popescu",
    "Ionescu",
    "Hughes",
    "Lewis",
    "Morgan",
    "Price",
    "Edwards",
    "Harris",
    "Martin",
    "Cooper",
    "King",
    "Lee",
    "Ward",
    "Turner",
    "Hill",
    "Moore",
    "Parker",
    "Cook",
    "Morris",
    "Bell",
    "Carter",
    "Phillips",
    "Mitchell",
    "Shaw",
    "Palmer",
    "Fisher",
    "Knight",
    "Stevens",
    "Ryan",
    "Owen",
    "Pugh",
    "Rees",
    "Llewellyn",
    "Van Dyke",
    "Da Silva",
];

/// Caseworkers' and practitioners' first names (staff, not people on probation).
pub const STAFF_NAMES: &[&str] = &[
    "Alex", "Sam", "Jo", "Chris", "Pat", "Robin", "Jordan", "Morgan", "Taylor", "Casey", "Jess",
    "Ali", "Charlie", "Frankie", "Kim", "Lou", "Nat", "Ray", "Sid", "Toni",
];

/// Ethnicities, as the ONS 2021 census categories, with weights close to the probation
/// caseload of England and Wales (per thousand).
pub const ETHNICITIES: &[(&str, u32)] = &[
    (
        "White: English, Welsh, Scottish, Northern Irish or British",
        680,
    ),
    ("White: Irish", 10),
    ("White: Gypsy or Irish Traveller", 15),
    ("White: Roma", 3),
    ("White: Any other White background", 50),
    (
        "Mixed or Multiple ethnic groups: White and Black Caribbean",
        25,
    ),
    (
        "Mixed or Multiple ethnic groups: White and Black African",
        7,
    ),
    ("Mixed or Multiple ethnic groups: White and Asian", 6),
    (
        "Mixed or Multiple ethnic groups: Any other Mixed or Multiple ethnic background",
        10,
    ),
    ("Asian or Asian British: Indian", 15),
    ("Asian or Asian British: Pakistani", 30),
    ("Asian or Asian British: Bangladeshi", 10),
    ("Asian or Asian British: Chinese", 3),
    ("Asian or Asian British: Any other Asian background", 12),
    ("Black, Black British, Caribbean or African: Caribbean", 35),
    ("Black, Black British, Caribbean or African: African", 30),
    (
        "Black, Black British, Caribbean or African: Any other Black, Black British, or Caribbean background",
        10,
    ),
    ("Other ethnic group: Arab", 6),
    ("Other ethnic group: Any other ethnic group", 15),
];

/// Languages other than English that people prefer.
pub const LANGUAGES: &[&str] = &[
    "Polish",
    "Urdu",
    "Romanian",
    "Punjabi",
    "Arabic",
    "Portuguese",
    "Lithuanian",
    "Somali",
    "Bengali",
    "Welsh",
];

/// Disabilities recorded on referrals.
pub const DISABILITIES: &[&str] = &[
    "Learning disability",
    "Mental health condition",
    "Mobility impairment",
    "Hearing impairment",
    "Visual impairment",
    "Autism spectrum condition",
    "Long-term illness",
];

/// Prison codes for people in custody.
pub const PRISONS: &[&str] = &[
    "BWI", "HMI", "LEI", "MDI", "WDI", "BMI", "NMI", "HEI", "EXI", "BLI", "PVI", "WWI", "CFI",
    "LPI", "DMI", "ISI",
];

/// Reasons a release date is not known.
pub const RELEASE_UNKNOWN: &[&str] = &[
    "Awaiting a parole board decision",
    "Recall: release date not yet set",
    "Remand: sentence not yet passed",
];

/// Why people are referred.
pub const REASONS: &[&str] = &[
    "Needs support to keep a stable home after release.",
    "Wants help to find work and build routine.",
    "Struggling with debts and benefit claims.",
    "Would benefit from structured support with wellbeing.",
    "Needs help to reduce substance use.",
    "Referred to build positive relationships and social contact.",
];

/// Risk information given to providers.
pub const RISKS: &[&str] = &[
    "No concerns for lone working in public places.",
    "Meet in office settings only for the first appointment.",
    "Two-person visits advised for home meetings.",
    "Low risk of harm to staff; see the practitioner before home visits.",
];

/// When people with responsibilities cannot attend.
pub const UNAVAILABLE: &[&str] = &[
    "Mornings before 10am (school run).",
    "Tuesdays and Thursdays (work shifts).",
    "Weekend shifts; weekdays preferred.",
];

/// Activities in action plans.
pub const ACTIVITIES: &[&str] = &[
    "Agree a weekly budget and review it together.",
    "Register with housing options and complete the application.",
    "Build a CV and apply for three roles.",
    "Attend a peer support group.",
    "Set up a GP appointment and keep it.",
    "Open a basic bank account.",
    "Plan a daily routine with two fixed commitments.",
    "Contact a local recovery service.",
    "Prepare for a tenancy sign-up.",
    "Complete an online course module.",
];

/// Summaries of sessions that happened.
pub const SUMMARIES: &[&str] = &[
    "Reviewed progress against the action plan.",
    "Worked on applications and next steps.",
    "Discussed barriers and agreed actions.",
    "Completed the planned activity together.",
];

/// How people responded in sessions.
pub const RESPONSES: &[&str] = &[
    "Engaged well and was positive.",
    "Quiet but willing to take part.",
    "Distracted; agreed to follow up next time.",
    "Motivated and completed the tasks set.",
];

/// What providers write when someone did not attend.
pub const NO_ATTENDANCE: &[&str] = &[
    "Did not attend and could not be reached by phone.",
    "Sent a message after the start time; will rebook.",
    "No contact; practitioner informed.",
];

/// Reasons a session did not go ahead although the person came.
pub const NO_SESSION: &[&str] = &[
    "Room unavailable; rebooked.",
    "Person unwell on arrival; rescheduled.",
];

/// Reasons for lateness.
pub const LATE: &[&str] = &[
    "Bus delayed.",
    "Confused about the time.",
    "Childcare problem.",
];

/// Concerns raised for the practitioner.
pub const CONCERNS: &[&str] = &[
    "Appeared to be under the influence.",
    "Mentioned a risk to their accommodation.",
    "Expressed low mood; signposted to support.",
];

/// Reasons appointments are moved.
pub const RESCHEDULE_REASONS: &[&str] = &[
    "Clash with a probation appointment.",
    "Caseworker unavailable.",
    "Person asked for a later time.",
];

/// Case note subjects and bodies.
pub const CASE_NOTES: &[(&str, &str)] = &[
    (
        "Update on progress",
        "Checked in by phone; next session confirmed.",
    ),
    (
        "Change of contact details",
        "New phone number recorded on the case.",
    ),
    (
        "Housing update",
        "Application submitted; awaiting a response.",
    ),
    ("Missed contact", "Left a message; will try again tomorrow."),
    (
        "Practitioner liaison",
        "Discussed the plan with the probation practitioner.",
    ),
];

/// Further information in end-of-service reports.
pub const REPORT_NOTES: &[&str] = &[
    "Engaged throughout; outcomes reviewed with the person.",
    "Support ended early; handover given to the practitioner.",
    "Some goals met; further support suggested.",
];

/// Directions used to name delivery units within an area.
pub const PDU_PARTS: &[&str] = &["North", "South", "East", "West", "Central"];

/// Why a practitioner moves the completion deadline.
pub const DEADLINE_REASONS: &[&str] = &[
    "Court extended the order",
    "Sentence varied at review",
    "Order end date corrected from the court record",
    "Recalled and re-released: more time needed",
];

/// Why a practitioner corrects a detail of the order.
pub const CORRECTION_REASONS: &[&str] = &[
    "Court set the rehabilitation activity requirement days",
    "Correcting an error in the referral",
];

/// Why a practitioner changes the office.
pub const OFFICE_REASONS: &[&str] = &[
    "Person moved address",
    "Supervision moved to another office",
];

/// Why a practitioner changes needs, levels or outcomes.
pub const NEEDS_REASONS: &[&str] = &[
    "Needs reassessed at supervision",
    "Agreed with the person at supervision",
    "Person disclosed a new need",
];

/// Why a practitioner moves the expected release date.
pub const RELEASE_REASONS: &[&str] = &[
    "Release date confirmed by the prison",
    "Release date moved by the parole board",
];

/// Why a referral is handed to a colleague.
pub const HANDOVERS: &[&str] = &[
    "Caseload reallocated",
    "Practitioner left the team",
    "Person moved to another office",
];

/// Probation offices a supervision moves to.
pub const OFFICES: &[&str] = &[
    "Central probation office",
    "North probation office",
    "South probation office",
    "Town hall reporting centre",
];

/// Accessibility needs disclosed after sending.
pub const ACCESSIBILITY: &[&str] = &[
    "Letters in large print",
    "Ground-floor rooms only: uses a wheelchair",
    "Appointments after 10am because of medication",
];
