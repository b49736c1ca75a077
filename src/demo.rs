//! Demo users for development: ready-made tokens that match the demo data set, and demo
//! referrals for their dashboards.

use crate::config::JwtSettings;
use crate::db;
use chrono::{DateTime, SubsecRound, Utc};

use crate::domain::actor::{Caller, Principal, Role};
use crate::domain::catalogue::{ContractArea, Gender, Intervention};
use crate::domain::catalogue::{uk_date, uk_day_start};
use crate::domain::delivery::{
    AchievementLevel, AppointmentInput, AppointmentKind, Attendance, DeliveryMethod, FeedbackInput,
    OutcomeInput, SessionType,
};
use crate::domain::draft::{DraftUpdate, LocationInput, LocationType, Patch, ServiceUserPatch};
use crate::domain::ids::{AppointmentId, InterventionId, ReferralId};
use crate::domain::onboarding;
use crate::service::catalogue::today;
use crate::service::delivery::{self, DeliveryPolicy};
use crate::service::{Services, referrals, seed, viewer};
use crate::synthetic;
use crate::tokens::{Claims, mint};

/// How long printed demo tokens stay valid.
pub const DEMO_TOKEN_TTL_SECONDS: u64 = 12 * 60 * 60;

/// A demo user.
#[derive(Debug)]
pub struct DemoUser {
    pub label: &'static str,
    pub claims: Claims,
}

fn claims(sub: &str, name: &str, role: Role, groups: &[&str]) -> Claims {
    Claims {
        sub: sub.to_owned(),
        name: Some(name.to_owned()),
        // People carry an address (reserved `.example` domain), as the identity provider's tokens
        // do; the machine client has none.
        email: (role != Role::ReadAll).then(|| format!("{sub}@demo.example")),
        authorities: vec![role.authority().to_owned()],
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
    }
}

/// The demo practitioner, provider user and commissioner.
pub fn demo_users() -> Vec<DemoUser> {
    vec![
        DemoUser {
            label: "probation practitioner",
            claims: claims(
                "demo-practitioner",
                "Pat Practitioner",
                Role::ProbationPractitioner,
                &[],
            ),
        },
        DemoUser {
            label: "provider user (Harbour Light Trust: prime on London accommodation, subcontractor on others)",
            claims: claims(
                "demo-provider",
                "Sam Caseworker",
                Role::ProviderUser,
                &[
                    "INT_SP_HARBOUR_LIGHT",
                    "INT_CR_CRS-ACC-J-01",
                    "INT_CR_CRS-WOS-J-01",
                    "INT_CR_CRS-DNR-G-01",
                ],
            ),
        },
        DemoUser {
            label: "provider user (Bridgeway Futures: prime on Avon and Somerset dependency and recovery, subcontractor on London accommodation)",
            claims: claims(
                "demo-provider-bridgeway",
                "Bo Caseworker",
                Role::ProviderUser,
                &[
                    "INT_SP_BRIDGEWAY",
                    "INT_CR_CRS-DNR-G-01",
                    "INT_CR_CRS-ACC-J-01",
                    "INT_CR_CRS-MTR-E-01",
                ],
            ),
        },
        DemoUser {
            label: "provider user (Northern Steps: no contract shared with the others)",
            claims: claims(
                "demo-provider-northern",
                "Nat Caseworker",
                Role::ProviderUser,
                &[
                    "INT_SP_NORTHERN_STEPS",
                    "INT_CR_CRS-ETE-A-01",
                    "INT_CR_CRS-PWB-C-01",
                ],
            ),
        },
        DemoUser {
            label: "read-all machine client",
            claims: claims("demo-read-all", "Reporting client", Role::ReadAll, &[]),
        },
        DemoUser {
            label: "commissioner (London and the South West)",
            claims: claims(
                "demo-commissioner",
                "Chris Commissioner",
                Role::Commissioner,
                &["INT_RG_J", "INT_RG_G"],
            ),
        },
    ]
}

/// The regions of the generated demo referrals: London and the South West, where the demo
/// providers work.
pub const GENERATED_REGIONS: &[&str] = &["J", "G"];
/// The generator's seed for the demo: the same referrals on every machine (for a given day).
const GENERATED_SEED: u64 = 2021;

/// `count` generated referrals in [`GENERATED_REGIONS`], with their own providers, contracts and
/// staff, into a database without referrals, so a commissioner's reports have figures; progress
/// is logged by chunk. Nothing when `count` is 0 or referrals exist.
pub async fn load_generated(
    services: &Services,
    count: u64,
) -> anyhow::Result<Option<seed::SeedSummary>> {
    if count == 0 || db::referrals::any(&services.db).await? {
        return Ok(None);
    }
    let options = synthetic::Options {
        referrals: count,
        seed: GENERATED_SEED,
        as_of: uk_date(Utc::now()),
        regions: GENERATED_REGIONS,
    };
    let summary = seed::synthetic(services, options, |progress| match progress {
        seed::SeedProgress::Referrals { written, total } => {
            tracing::info!(written, total, "making the demo's generated referrals");
        }
        seed::SeedProgress::Step(step) => {
            tracing::info!(step, "making the demo's generated referrals")
        }
    })
    .await?;
    tracing::info!(
        referrals = summary.referrals,
        seconds = summary.seconds,
        "demo referrals generated in London and the South West"
    );
    Ok(Some(summary))
}

/// A token of the demo probation practitioner.
pub fn practitioner_token(settings: &JwtSettings) -> anyhow::Result<String> {
    token_of(settings, "demo-practitioner")
}

/// A token of the demo commissioner.
pub fn commissioner_token(settings: &JwtSettings) -> anyhow::Result<String> {
    token_of(settings, "demo-commissioner")
}

fn token_of(settings: &JwtSettings, sub: &str) -> anyhow::Result<String> {
    let user = demo_users()
        .into_iter()
        .find(|u| u.claims.sub == sub)
        .ok_or_else(|| anyhow::anyhow!("no demo user {sub}"))?;
    mint(settings, &user.claims, DEMO_TOKEN_TTL_SECONDS)
}

/// The demo practitioner's newest draft, if there is one.
pub async fn newest_draft(services: &Services) -> anyhow::Result<Option<ReferralId>> {
    let users = demo_users();
    let principal = principal(&users[0].claims);
    let caller = Caller {
        scope: viewer::resolve(services, &principal).await?,
        principal,
    };
    let query = crate::domain::referral::ReferralQuery {
        statuses: Some(vec![crate::domain::journey::ReferralStatus::Draft]),
        ..Default::default()
    };
    let page = referrals::list(services, &caller, Ok((query, None)), Some(1)).await?;
    Ok(page.referrals.first().map(|r| ReferralId(r.id)))
}

/// Every demo user with their token, or why this database would refuse it (a provider user whose
/// provider or contracts it does not hold, as after `seed synthetic`).
pub async fn working_tokens(
    services: &Services,
    settings: &JwtSettings,
) -> anyhow::Result<Vec<(&'static str, Result<String, String>)>> {
    let mut tokens = Vec::new();
    for user in demo_users() {
        let token = match viewer::check(services, &principal(&user.claims)).await {
            Ok(()) => Ok(mint(settings, &user.claims, DEMO_TOKEN_TTL_SECONDS)?),
            Err(refusal) => Err(refusal.to_string()),
        };
        tokens.push((user.label, token));
    }
    Ok(tokens)
}

/// The principal of a demo user.
fn principal(claims: &Claims) -> Principal {
    Principal::new(
        claims.sub.clone(),
        claims.name.clone(),
        claims.email.clone(),
        claims.authorities.iter().map(String::as_str),
        claims.groups.iter().map(String::as_str),
    )
}

/// A delivery unit in the intervention's contract's region (a referral's unit must be):
/// Camden and Islington in London, elsewhere the first unit of the contract's area.
async fn delivery_unit(services: &Services, intervention: &Intervention) -> anyhow::Result<String> {
    let db = &services.db;
    let areas = match &intervention.contract.area {
        ContractArea::Region(region) if region == "J" => {
            return Ok("camden-and-islington".to_owned());
        }
        ContractArea::Region(region) => {
            db::catalogue::pcc_areas_by_region_codes(db, std::slice::from_ref(region))
                .await?
                .into_iter()
                .map(|area| area.code)
                .collect()
        }
        ContractArea::PccArea(area) => vec![area.clone()],
    };
    db::catalogue::pdus_by_pcc_area_codes(db, &areas)
        .await?
        .into_iter()
        .map(|unit| unit.code)
        .min()
        .ok_or_else(|| anyhow::anyhow!("no delivery unit in the contract's area"))
}

/// A complete draft update for an intervention: its first category, level and outcome.
async fn complete(services: &Services, intervention: &Intervention) -> anyhow::Result<DraftUpdate> {
    let db = &services.db;
    let type_code = intervention.contract.contract_type_code.clone();
    let categories = db::catalogue::categories_by_contract_type_codes(db, &[type_code]).await?;
    let category = categories
        .first()
        .map(|(_, c)| c.id)
        .ok_or_else(|| anyhow::anyhow!("contract type without categories"))?;
    let level = db::catalogue::complexity_levels_by_category_ids(db, &[category]).await?;
    let outcome = db::catalogue::desired_outcomes_by_category_ids(db, &[category]).await?;
    let (Some(level), Some(outcome)) = (level.first(), outcome.first()) else {
        anyhow::bail!("category without levels or outcomes");
    };
    let unit = delivery_unit(services, intervention).await?;
    Ok(DraftUpdate {
        service_category_ids: Some(vec![category]),
        complexity_levels: Some(vec![(category, level.id)]),
        desired_outcomes: Some(vec![(category, vec![outcome.id])]),
        completion_deadline: Patch::Set(today() + chrono::Duration::days(120)),
        maximum_enforceable_days: Patch::Set(15),
        reason_for_referral: Patch::Set(
            "Demo referral: support needed to keep the person on track.".into(),
        ),
        risk_information: Patch::Set("No known risk to staff (demo data).".into()),
        needs_interpreter: Patch::Set(false),
        has_additional_responsibilities: Patch::Set(false),
        probation_delivery_unit: Patch::Set(unit),
        location: Some(LocationInput {
            location_type: LocationType::Community,
            prison_code: None,
            expected_release_date: None,
            expected_release_date_unknown_reason: None,
        }),
        ..Default::default()
    })
}

/// What becomes of a demo referral: one for every status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Fate {
    Draft,
    Sent,
    Cancelled,
    Assigned,
    AssessmentBooked,
    AssessmentCompleted,
    ActionPlanSubmitted,
    InDelivery,
    AwaitingReport,
    Completed,
    PrematurelyEnded,
}

/// The demo people: contract, names, CRN, gender, ethnicity, fate.
const PEOPLE: [(&str, &str, &str, &str, Gender, &str, Fate); 14] = [
    (
        "CRS-ACC-J-01",
        "Jordan",
        "Ashby",
        "X100001",
        Gender::Female,
        WHITE_BRITISH,
        Fate::Sent,
    ),
    (
        "CRS-ACC-J-01",
        "Morgan",
        "Baines",
        "X100002",
        Gender::Male,
        BLACK_CARIBBEAN,
        Fate::Assigned,
    ),
    (
        "CRS-ACC-J-01",
        "Riley",
        "Carver",
        "X100003",
        Gender::Female,
        WHITE_BRITISH,
        Fate::Cancelled,
    ),
    (
        "CRS-DNR-G-01",
        "Taylor",
        "Dunmore",
        "X100004",
        Gender::Male,
        INDIAN,
        Fate::Sent,
    ),
    (
        "CRS-WOS-J-01",
        "Jamie",
        "Ellison",
        "X100005",
        Gender::Female,
        MIXED,
        Fate::Assigned,
    ),
    (
        "CRS-ETE-A-01",
        "Casey",
        "Fairbrother",
        "X100006",
        Gender::Male,
        WHITE_BRITISH,
        Fate::Sent,
    ),
    (
        "CRS-PWB-C-01",
        "Robin",
        "Gaskell",
        "X100007",
        Gender::Female,
        PAKISTANI,
        Fate::Sent,
    ),
    (
        "CRS-ACC-J-01",
        "Avery",
        "Holloway",
        "X100008",
        Gender::Female,
        WHITE_BRITISH,
        Fate::Draft,
    ),
    (
        "CRS-ACC-J-01",
        "Quinn",
        "Irwin",
        "X100009",
        Gender::Male,
        BLACK_AFRICAN,
        Fate::AssessmentBooked,
    ),
    (
        "CRS-ACC-J-01",
        "Reese",
        "Jarvis",
        "X100010",
        Gender::Female,
        WHITE_OTHER,
        Fate::AssessmentCompleted,
    ),
    (
        "CRS-ACC-J-01",
        "Sidney",
        "Kaur",
        "X100011",
        Gender::Female,
        INDIAN,
        Fate::ActionPlanSubmitted,
    ),
    (
        "CRS-ACC-J-01",
        "Toby",
        "Lennox",
        "X100012",
        Gender::Male,
        WHITE_BRITISH,
        Fate::InDelivery,
    ),
    (
        "CRS-WOS-J-01",
        "Uma",
        "Mensah",
        "X100013",
        Gender::Female,
        BLACK_AFRICAN,
        Fate::AwaitingReport,
    ),
    (
        "CRS-ACC-J-01",
        "Val",
        "Novak",
        "X100014",
        Gender::Male,
        WHITE_OTHER,
        Fate::Completed,
    ),
];

/// One more completed referral and one ended early, on the London women's services contract.
const MORE_PEOPLE: [(&str, &str, &str, &str, Gender, &str, Fate); 2] = [
    (
        "CRS-WOS-J-01",
        "Wren",
        "Okafor",
        "X100015",
        Gender::Female,
        BLACK_AFRICAN,
        Fate::Completed,
    ),
    (
        "CRS-ACC-J-01",
        "Xan",
        "Price",
        "X100016",
        Gender::Male,
        MIXED,
        Fate::PrematurelyEnded,
    ),
];

const WHITE_BRITISH: &str = "White: English, Welsh, Scottish, Northern Irish or British";
const WHITE_OTHER: &str = "White: Any other White background";
const BLACK_AFRICAN: &str = "Black, Black British, Caribbean or African: African";
const BLACK_CARIBBEAN: &str = "Black, Black British, Caribbean or African: Caribbean";
const INDIAN: &str = "Asian or Asian British: Indian";
const PAKISTANI: &str = "Asian or Asian British: Pakistani";
const MIXED: &str = "Mixed or multiple ethnic groups: White and Black Caribbean";

/// The demo actors.
struct Actors {
    practitioner: Caller,
    provider: Caller,
}

/// Demo referrals in every status, made through the same use cases as real ones so their
/// histories are real (once, and only where the demo catalogue is): the demo provider's dashboard
/// shows referrals on its own contract and on the contracts it subcontracts on, and none of
/// another provider's.
pub async fn load_referrals(services: &Services) -> anyhow::Result<()> {
    let users = demo_users();
    if db::referrals::any_created_by(&services.db, &users[0].claims.sub).await? {
        return Ok(());
    }
    let people: Vec<_> = PEOPLE.iter().chain(MORE_PEOPLE.iter()).collect();
    let mut interventions = Vec::new();
    for (contract, ..) in &people {
        match db::catalogue::find_intervention(&services.db, onboarding::intervention_id(contract))
            .await?
        {
            Some(intervention) => interventions.push(intervention),
            // Not the demo catalogue: leave the database alone.
            None => return Ok(()),
        }
    }
    let practitioner = principal(&users[0].claims);
    let provider = principal(&users[1].claims);
    let actors = Actors {
        practitioner: Caller {
            scope: viewer::resolve(services, &practitioner).await?,
            principal: practitioner,
        },
        provider: Caller {
            scope: viewer::resolve(services, &provider).await?,
            principal: provider,
        },
    };
    for (&(_, first, last, crn, gender, ethnicity, fate), intervention) in
        people.into_iter().zip(interventions)
    {
        let person = ServiceUserPatch {
            first_name: Patch::Set(first.into()),
            last_name: Patch::Set(last.into()),
            date_of_birth: Patch::Set(today() - chrono::Duration::days(365 * 23)),
            gender: Patch::Set(gender),
            ethnicity: Patch::Set(ethnicity.into()),
            ..Default::default()
        };
        let p = &actors.practitioner;
        let draft = referrals::create_draft(
            services,
            p,
            Some(InterventionId(intervention.id)),
            crn,
            Some(&person),
        )
        .await?;
        let update = complete(services, &intervention).await?;
        referrals::update_draft(services, p, ReferralId(draft.id), Ok(update), None).await?;
        if fate == Fate::Draft {
            continue;
        }
        let sent = referrals::send(services, p, ReferralId(draft.id)).await?;
        deliver(services, &actors, ReferralId(sent.id), fate).await?;
    }
    Ok(())
}

/// A start time that has passed, on the day the demo referrals are sent.
fn earlier_today() -> DateTime<Utc> {
    let now = Utc::now().trunc_subsecs(6);
    (now - chrono::Duration::hours(1)).max(uk_day_start(uk_date(now)))
}

fn appointment(kind: AppointmentKind, session: Option<i32>, at: DateTime<Utc>) -> AppointmentInput {
    AppointmentInput {
        kind,
        session_number: session,
        starts_at: at,
        duration_minutes: 60,
        method: DeliveryMethod::InPersonProbationOffice,
        session_type: SessionType::OneToOne,
        probation_office_code: Some("CRSEXTL".into()),
        address: None,
        reschedule: None,
    }
}

fn attended(summary: &str) -> FeedbackInput {
    FeedbackInput {
        attendance: Some(Attendance::Yes),
        did_session_happen: Some(true),
        session_summary: Some(summary.into()),
        session_response: Some("Engaged and keen to continue (demo data).".into()),
        notify_probation_practitioner: Some(false),
        ..Default::default()
    }
}

/// Takes a sent demo referral as far as its fate, as the provider and practitioner would.
async fn deliver(
    services: &Services,
    actors: &Actors,
    id: ReferralId,
    fate: Fate,
) -> anyhow::Result<()> {
    let (p, sp) = (&actors.practitioner, &actors.provider);
    let withdraw = |code: &'static str| referrals::withdraw(services, p, id, code, None, None);
    if fate == Fate::Cancelled {
        withdraw("MOV").await?;
        return Ok(());
    }
    if fate == Fate::Sent {
        return Ok(());
    }
    referrals::assign(services, sp, id, sp.user_id(), None).await?;
    referrals::add_case_note(
        services,
        sp,
        id,
        "First contact",
        "Introductory call booked (demo data).",
    )
    .await?;
    if fate == Fate::Assigned {
        return Ok(());
    }
    if fate == Fate::AssessmentBooked {
        let at = Utc::now().trunc_subsecs(0) + chrono::Duration::days(3);
        delivery::schedule_appointment(
            services,
            sp,
            id,
            &appointment(AppointmentKind::Assessment, None, at),
        )
        .await?;
        return Ok(());
    }
    let session = |kind, number| appointment(kind, number, earlier_today());
    let assessment = delivery::schedule_appointment(
        services,
        sp,
        id,
        &session(AppointmentKind::Assessment, None),
    )
    .await?;
    delivery::record_feedback(
        services,
        sp,
        AppointmentId(assessment.id),
        &attended("Initial assessment: housing history and goals (demo data)."),
    )
    .await?;
    if fate == Fate::AssessmentCompleted {
        return Ok(());
    }
    let sessions = if fate == Fate::AwaitingReport || fate == Fate::Completed {
        2
    } else {
        3
    };
    let activities = [
        "Find and secure a tenancy".to_owned(),
        "Set up a household budget".to_owned(),
    ];
    let manual = services.clone().with_delivery_policy(DeliveryPolicy {
        auto_approve_action_plans: fate != Fate::ActionPlanSubmitted,
    });
    delivery::submit_action_plan(&manual, sp, id, sessions, &activities).await?;
    if fate == Fate::ActionPlanSubmitted {
        return Ok(());
    }
    let held = if fate == Fate::InDelivery || fate == Fate::PrematurelyEnded {
        1
    } else {
        sessions
    };
    for number in 1..=held {
        let booked = delivery::schedule_appointment(
            services,
            sp,
            id,
            &session(AppointmentKind::Session, Some(number)),
        )
        .await?;
        delivery::record_feedback(
            services,
            sp,
            AppointmentId(booked.id),
            &attended("Viewed two flats and compared rents (demo data)."),
        )
        .await?;
    }
    if fate == Fate::InDelivery {
        // A missed session with concerns: the practitioner is notified; it is booked again.
        let missed = delivery::schedule_appointment(
            services,
            sp,
            id,
            &session(AppointmentKind::Session, Some(2)),
        )
        .await?;
        let no_show = FeedbackInput {
            attendance: Some(Attendance::No),
            no_attendance_information: Some("Did not arrive; phone off (demo data).".into()),
            notify_probation_practitioner: Some(true),
            concerns: Some("Has missed contact twice this week (demo data).".into()),
            ..Default::default()
        };
        delivery::record_feedback(services, sp, AppointmentId(missed.id), &no_show).await?;
        let again = Utc::now().trunc_subsecs(0) + chrono::Duration::days(2);
        delivery::schedule_appointment(
            services,
            sp,
            id,
            &appointment(AppointmentKind::Session, Some(2), again),
        )
        .await?;
        return Ok(());
    }
    if fate == Fate::PrematurelyEnded {
        withdraw("NOT").await?;
    }
    if fate == Fate::AwaitingReport {
        return Ok(());
    }
    let level = if fate == Fate::Completed {
        AchievementLevel::Achieved
    } else {
        AchievementLevel::PartiallyAchieved
    };
    let outcomes: Vec<OutcomeInput> = db::referrals::selections(&services.db, &[id.0])
        .await?
        .into_iter()
        .flat_map(|(_, c)| c.desired_outcome_ids)
        .map(|outcome| OutcomeInput {
            desired_outcome_id: Some(outcome),
            level,
            progression_comments: Some("Progress recorded at the last session (demo data).".into()),
            additional_task_comments: None,
        })
        .collect();
    delivery::submit_end_of_service_report(services, sp, id, &outcomes, None).await?;
    Ok(())
}
