//! Demo users for development: ready-made tokens that match the demo data set, and demo
//! referrals for their dashboards.

use crate::config::JwtSettings;
use crate::db;
use crate::domain::actor::{Principal, Role};
use crate::domain::catalogue::{Gender, Intervention};
use crate::domain::draft::{DraftUpdate, LocationInput, LocationType, Patch, ServiceUserPatch};
use crate::domain::onboarding;
use crate::http::auth::{Claims, mint};
use crate::service::catalogue::today;
use crate::service::{Services, referrals, viewer};

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
        email: None,
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
            label: "commissioner (London)",
            claims: claims(
                "demo-commissioner",
                "Chris Commissioner",
                Role::Commissioner,
                &["INT_RG_J"],
            ),
        },
    ]
}

/// Tokens for every demo user.
pub fn demo_tokens(settings: &JwtSettings) -> anyhow::Result<Vec<(&'static str, String)>> {
    demo_users()
        .into_iter()
        .map(|user| {
            Ok((
                user.label,
                mint(settings, &user.claims, DEMO_TOKEN_TTL_SECONDS)?,
            ))
        })
        .collect()
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
        probation_delivery_unit: Patch::Set("camden-and-islington".into()),
        location: Some(LocationInput {
            location_type: LocationType::Community,
            prison_code: None,
            expected_release_date: None,
            expected_release_date_unknown_reason: None,
        }),
        ..Default::default()
    })
}

/// What becomes of a demo referral.
#[derive(Clone, Copy, Debug)]
enum Fate {
    Draft,
    Sent,
    Assigned,
    Withdrawn,
}

/// Demo referrals in several statuses, made through the same use cases as real ones so their
/// histories are real (only into a database without referrals): the demo provider's dashboard shows referrals on its own contract and
/// on the contracts it subcontracts on, and none of another provider's.
pub async fn load_referrals(services: &Services) -> anyhow::Result<()> {
    let users = demo_users();
    if db::referrals::any(&services.db).await? {
        return Ok(());
    }
    let practitioner = principal(&users[0].claims);
    let provider = principal(&users[1].claims);
    let practitioner_scope = viewer::resolve(services, &practitioner).await?;
    let provider_scope = viewer::resolve(services, &provider).await?;
    let people = [
        ("CRS-ACC-J-01", "Jordan", "Ashby", "X100001", Fate::Sent),
        (
            "CRS-ACC-J-01",
            "Morgan",
            "Baines",
            "X100002",
            Fate::Assigned,
        ),
        (
            "CRS-ACC-J-01",
            "Riley",
            "Carver",
            "X100003",
            Fate::Withdrawn,
        ),
        ("CRS-DNR-G-01", "Taylor", "Dunmore", "X100004", Fate::Sent),
        (
            "CRS-WOS-J-01",
            "Jamie",
            "Ellison",
            "X100005",
            Fate::Assigned,
        ),
        (
            "CRS-ETE-A-01",
            "Casey",
            "Fairbrother",
            "X100006",
            Fate::Sent,
        ),
        ("CRS-PWB-C-01", "Robin", "Gaskell", "X100007", Fate::Sent),
        ("CRS-ACC-J-01", "Avery", "Holloway", "X100008", Fate::Draft),
    ];
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
    for ((_, first, last, crn, fate), intervention) in people.into_iter().zip(interventions) {
        let intervention_id = intervention.id;
        let person = ServiceUserPatch {
            first_name: Patch::Set(first.into()),
            last_name: Patch::Set(last.into()),
            date_of_birth: Patch::Set(today() - chrono::Duration::days(365 * 23)),
            gender: Patch::Set(Gender::Female),
            ethnicity: Patch::Set(
                "White: English, Welsh, Scottish, Northern Irish or British".into(),
            ),
            ..Default::default()
        };
        let draft = referrals::create_draft(
            services,
            &practitioner,
            &practitioner_scope,
            Some(intervention_id),
            crn,
            Some(&person),
        )
        .await?;
        let update = complete(services, &intervention).await?;
        referrals::update_draft(
            services,
            &practitioner,
            &practitioner_scope,
            draft.id,
            &update,
            None,
        )
        .await?;
        if matches!(fate, Fate::Draft) {
            continue;
        }
        let sent = referrals::send(services, &practitioner, &practitioner_scope, draft.id).await?;
        match fate {
            Fate::Assigned => {
                referrals::assign(
                    services,
                    &provider,
                    &provider_scope,
                    sent.id,
                    &provider.user_id,
                    None,
                )
                .await?;
                referrals::add_case_note(
                    services,
                    &provider,
                    &provider_scope,
                    sent.id,
                    "First contact",
                    "Introductory call booked (demo data).",
                )
                .await?;
            }
            Fate::Withdrawn => {
                referrals::withdraw(
                    services,
                    &practitioner,
                    &practitioner_scope,
                    sent.id,
                    "MOV",
                    None,
                    None,
                )
                .await?;
            }
            Fate::Draft | Fate::Sent => {}
        }
    }
    Ok(())
}
