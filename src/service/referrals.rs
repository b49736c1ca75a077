//! The referral journey: drafts, sending, dashboards, assignment, withdrawal and case notes.
//!
//! Every change runs in one write transaction: the referral is loaded inside the caller's
//! access (locked), the expected version and the journey rules are checked, the row is saved
//! with its version moved on, and an event is appended. A stale version is `CONFLICT` and
//! writes nothing.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};
use uuid::Uuid;

use super::{Services, outcome_report};
use crate::db;
use crate::db::referrals::SaveError;
use crate::domain::actor::{Principal, Scope, UserId, resolve_scope};
use crate::domain::catalogue::ContractArea;
use crate::domain::conclusion::DeliveryState;
use crate::domain::draft::{
    self, DraftContext, DraftDetails, DraftUpdate, SelectedCategory, ServiceUserPatch, UnitCheck,
    code,
};
use crate::domain::reference_number;
use crate::domain::referral::{
    Action, CaseNote, Decision, EventKind, PageCursor, Party, Referral, ReferralAccess,
    ReferralEvent, ReferralQuery, ReferralStatus, TransitionError, Withdrawal, decide,
    referral_access,
};
use crate::error::{AppError, FieldError, internal};
use crate::service::catalogue::today;

/// Default and largest dashboard page.
pub const DEFAULT_PAGE_SIZE: i32 = 20;
pub const MAX_PAGE_SIZE: i32 = 100;
/// Case note limits, in characters.
pub const MAX_SUBJECT_LENGTH: usize = 200;
pub const MAX_BODY_LENGTH: usize = 10_000;
/// Reference numbers tried before giving up, each one taken by another referral.
const REFERENCE_ATTEMPTS: usize = 10;

/// The current time at the precision both databases store (microseconds).
pub(super) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// The caller's party and access, or `FORBIDDEN` for callers who never see referrals.
fn access(principal: &Principal, scope: &Scope) -> Result<(Party, ReferralAccess), AppError> {
    referral_access(&principal.user_id, scope)
        .ok_or_else(|| AppError::Forbidden("referrals are not open to this role".into()))
}

pub(super) fn refused(error: TransitionError) -> AppError {
    match error {
        TransitionError::Forbidden { .. } => AppError::Forbidden(error.to_string()),
        TransitionError::Invalid { .. } => AppError::InvalidTransition(error.to_string()),
    }
}

/// One visible referral, or `None` (unknown or out of scope alike).
pub async fn get(
    services: &Services,
    principal: &Principal,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<Referral>, AppError> {
    let (_, access) = access(principal, scope)?;
    db::referrals::find(&services.db, &access, id, false).await
}

/// The visible referral with this reference number, or `None`.
pub async fn get_by_reference(
    services: &Services,
    principal: &Principal,
    scope: &Scope,
    reference: &str,
) -> Result<Option<Referral>, AppError> {
    let (_, access) = access(principal, scope)?;
    let reference = reference.trim().to_ascii_uppercase();
    if !reference_number::looks_like_reference(&reference) {
        return Ok(None);
    }
    db::referrals::find_by_reference(&services.db, &access, &reference).await
}

/// A dashboard page.
#[derive(Debug)]
pub struct Page {
    pub referrals: Vec<Referral>,
    pub has_next_page: bool,
    pub total_count: u64,
}

/// The dashboard: visible referrals matching `query`, newest first, after `cursor`.
pub async fn list(
    services: &Services,
    principal: &Principal,
    scope: &Scope,
    query: &ReferralQuery,
    first: Option<i32>,
    cursor: Option<PageCursor>,
) -> Result<Page, AppError> {
    let (_, access) = access(principal, scope)?;
    let first = first.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&first) {
        return Err(AppError::bad_input(
            format!("first must be between 1 and {MAX_PAGE_SIZE}"),
            vec![FieldError::new("first", code::INVALID_VALUE)],
        ));
    }
    let limit = u64::try_from(first).unwrap_or(20);
    let (referrals, has_next_page) =
        db::dashboard::list_page(&services.db, &access, query, cursor, limit).await?;
    let total_count = db::dashboard::count(&services.db, &access, query).await?;
    Ok(Page {
        referrals,
        has_next_page,
        total_count,
    })
}

/// `FORBIDDEN` unless the caller is a probation practitioner (who alone start referrals).
pub fn require_practitioner(principal: &Principal, scope: &Scope) -> Result<(), AppError> {
    let (party, _) = access(principal, scope)?;
    if party != Party::ProbationPractitioner {
        return Err(AppError::Forbidden(
            "only probation practitioners create referrals".into(),
        ));
    }
    Ok(())
}

/// `FORBIDDEN` for callers who never see referrals (commissioners, tokens without our roles).
pub fn require_reader(principal: &Principal, scope: &Scope) -> Result<(), AppError> {
    access(principal, scope).map(drop)
}

/// Starts a draft for a person and an intervention open for referrals today.
pub async fn create_draft(
    services: &Services,
    principal: &Principal,
    scope: &Scope,
    intervention_id: Option<Uuid>,
    crn: &str,
    person: Option<&ServiceUserPatch>,
) -> Result<Referral, AppError> {
    require_practitioner(principal, scope)?;
    let mut errors = Vec::new();
    let crn = draft::parse_crn(crn);
    if crn.is_none() {
        errors.push(FieldError::new("crn", code::INVALID_FORMAT));
    }
    let intervention = match intervention_id {
        Some(id) => db::catalogue::find_intervention(&services.db, id).await?,
        None => None,
    };
    let today = today();
    let ctx = match &intervention {
        None => {
            errors.push(FieldError::new("interventionId", code::INVALID_VALUE));
            None
        }
        Some(i) if !i.contract.window.is_open_on(today) => {
            errors.push(FieldError::new("interventionId", "NOT_OPEN_FOR_REFERRALS"));
            None
        }
        Some(i) => Some(
            draft_context(
                &services.db,
                i.contract.contract_type_code.as_str(),
                i,
                None,
                today,
            )
            .await?,
        ),
    };
    let service_user = match (&ctx, person) {
        (Some(ctx), Some(person)) => match draft::check_service_user(person, ctx) {
            Ok(person) => person,
            Err(problems) => {
                errors.extend(problems);
                Default::default()
            }
        },
        _ => Default::default(),
    };
    let (Some(crn), Some(intervention), Some(ctx), true) =
        (crn, intervention, ctx, errors.is_empty())
    else {
        return Err(AppError::bad_input(
            "the draft referral cannot be created",
            errors,
        ));
    };
    // A contract type with a single service category has it selected from the start.
    let categories = match ctx.contract_categories.as_slice() {
        [only] => vec![SelectedCategory {
            service_category_id: *only,
            complexity_level_id: None,
            desired_outcome_ids: vec![],
        }],
        _ => Vec::new(),
    };
    let at = now();
    let referral = Referral {
        id: Uuid::new_v4(),
        reference: None,
        status: ReferralStatus::Draft,
        version: 1,
        intervention,
        crn,
        created_by: principal.user_id.clone(),
        created_at: at,
        listed_at: at,
        sent_at: None,
        sent_by: None,
        responsible_pp_id: None,
        assigned_to_id: None,
        assigned_at: None,
        concluded_at: None,
        initial_contact_at: None,
        withdrawal: None,
        details: DraftDetails {
            service_user,
            categories,
            ..Default::default()
        },
    };
    let txn = db::begin_write(&services.db).await?;
    db::referrals::insert(&txn, &referral).await?;
    db::referrals::replace_selections(&txn, referral.id, &referral.details.categories, at).await?;
    db::referrals::insert_event(
        &txn,
        &event(
            &referral,
            None,
            EventKind::Created,
            &principal.user_id,
            at,
            None,
        ),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(referral_id = %referral.id, user_id = %principal.user_id, "draft referral created");
    Ok(referral)
}

/// The catalogue facts a draft of this intervention is checked against.
async fn draft_context(
    db: &impl ConnectionTrait,
    contract_type: &str,
    intervention: &crate::domain::catalogue::Intervention,
    pdu: Option<&str>,
    today: chrono::NaiveDate,
) -> Result<DraftContext, AppError> {
    let categories =
        db::catalogue::categories_by_contract_type_codes(db, &[contract_type.to_owned()]).await?;
    let ids: Vec<Uuid> = categories.iter().map(|(_, c)| c.id).collect();
    let levels = db::catalogue::complexity_levels_by_category_ids(db, &ids).await?;
    let outcomes = db::catalogue::desired_outcomes_by_category_ids(db, &ids).await?;
    let probation_delivery_unit = match pdu {
        Some(code) => {
            let contract_region = match &intervention.contract.area {
                ContractArea::Region(region) => Some(region.clone()),
                ContractArea::PccArea(area) => db::catalogue::pcc_area_region(db, area).await?,
            };
            Some(match db::catalogue::pdu_region(db, code).await? {
                None => UnitCheck::Unknown,
                Some(region) if Some(&region) == contract_region.as_ref() => {
                    UnitCheck::InContractRegion
                }
                Some(_) => UnitCheck::OutsideContractRegion,
            })
        }
        None => None,
    };
    Ok(DraftContext {
        contract_categories: ids,
        level_categories: levels
            .into_iter()
            .map(|l| (l.id, l.service_category_id))
            .collect(),
        outcome_categories: outcomes
            .into_iter()
            .map(|o| (o.id, o.service_category_id))
            .collect(),
        probation_delivery_unit,
        eligibility: intervention.contract.eligibility,
        today,
    })
}

fn event(
    referral: &Referral,
    from: Option<ReferralStatus>,
    kind: EventKind,
    actor: &UserId,
    at: DateTime<Utc>,
    detail: Option<String>,
) -> ReferralEvent {
    ReferralEvent {
        // Time-ordered, so events of the same instant keep the order they were made in.
        id: Uuid::now_v7(),
        referral_id: referral.id,
        at,
        actor_id: actor.clone(),
        kind,
        from_status: from,
        to_status: referral.status,
        detail,
    }
}

/// The caller's party and access if their party may ever take `action`; `FORBIDDEN` otherwise.
/// Resolvers call it before parsing input, so a caller who may never act is told so first.
pub fn require(
    principal: &Principal,
    scope: &Scope,
    action: Action,
) -> Result<(Party, ReferralAccess), AppError> {
    let (party, access) = access(principal, scope)?;
    if !action.allowed_to(party) {
        return Err(refused(TransitionError::Forbidden { party, action }));
    }
    Ok((party, access))
}

/// A referral loaded for a change, inside its write transaction.
pub(super) struct Locked {
    pub txn: DatabaseTransaction,
    pub referral: Referral,
    pub decision: Decision,
}

/// A referral opened for a change whose rules are checked by the caller.
pub(super) struct Opened {
    pub txn: DatabaseTransaction,
    pub referral: Referral,
    pub party: Party,
}

/// Opens a write transaction and loads the referral for `action`: `FORBIDDEN` if the caller's
/// party may never take it, `NOT_FOUND` outside their access, `CONFLICT` on a stale version,
/// `INVALID_TRANSITION` from the wrong status.
pub(super) async fn lock(
    services: &Services,
    principal: &Principal,
    scope: &Scope,
    id: Uuid,
    action: Action,
    expected_version: Option<i32>,
) -> Result<Locked, AppError> {
    let Opened {
        txn,
        referral,
        party,
    } = open(services, principal, scope, id, action, expected_version).await?;
    let decision = decide(referral.status, action, party).map_err(refused)?;
    Ok(Locked {
        txn,
        referral,
        decision,
    })
}

/// [`lock`] without the journey rule, for changes that check something else first (a locked
/// appointment, an approved plan) and call [`decide`] themselves.
pub(super) async fn open(
    services: &Services,
    principal: &Principal,
    scope: &Scope,
    id: Uuid,
    action: Action,
    expected_version: Option<i32>,
) -> Result<Opened, AppError> {
    let (party, access) = require(principal, scope, action)?;
    // A plain read first: ids the caller cannot see never take the write lock.
    if db::referrals::find(&services.db, &access, id, false)
        .await?
        .is_none()
    {
        return Err(AppError::NotFound);
    }
    let txn = db::begin_write(&services.db).await?;
    let referral = db::referrals::find(&txn, &access, id, true)
        .await?
        .ok_or(AppError::NotFound)?;
    if expected_version.is_some_and(|v| v != referral.version) {
        return Err(AppError::Conflict(format!(
            "the referral has changed: version {} is not the current version",
            expected_version.unwrap_or_default()
        )));
    }
    Ok(Opened {
        txn,
        referral,
        party,
    })
}

/// One recorded step of a change: an event from one status to another.
#[derive(Debug)]
pub(super) struct Step {
    pub kind: EventKind,
    pub from: ReferralStatus,
    pub to: ReferralStatus,
    pub detail: Option<String>,
}

/// Saves `after` over `before` (version moved on), appends one event per step, commits.
pub(super) async fn commit_steps(
    txn: DatabaseTransaction,
    before: &Referral,
    mut after: Referral,
    steps: Vec<Step>,
    actor: &UserId,
    at: DateTime<Utc>,
) -> Result<Referral, AppError> {
    after.version = before.version + 1;
    save(&txn, &after, before.version, at).await?;
    for step in &steps {
        let mut recorded = event(
            &after,
            Some(step.from),
            step.kind,
            actor,
            at,
            step.detail.clone(),
        );
        recorded.to_status = step.to;
        db::referrals::insert_event(&txn, &recorded).await?;
    }
    if after.sent_at.is_some() {
        outcome_report::refresh(&txn, &[after.id]).await?;
    }
    txn.commit().await?;
    for step in &steps {
        tracing::info!(referral_id = %after.id, user_id = %actor, event = step.kind.code(), status = step.to.code(), "referral changed");
    }
    Ok(after)
}

/// Saves `after` over `before` (version moved on), appends the event, commits.
async fn commit(
    txn: DatabaseTransaction,
    before: &Referral,
    after: Referral,
    kind: EventKind,
    actor: &UserId,
    at: DateTime<Utc>,
    detail: Option<String>,
) -> Result<Referral, AppError> {
    let step = Step {
        kind,
        from: before.status,
        to: after.status,
        detail,
    };
    commit_steps(txn, before, after, vec![step], actor, at).await
}

async fn save(
    txn: &DatabaseTransaction,
    referral: &Referral,
    expected_version: i32,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    match db::referrals::save(txn, referral, expected_version, at).await {
        Ok(()) => Ok(()),
        Err(SaveError::Stale) => Err(AppError::Conflict(
            "the referral was changed by someone else".into(),
        )),
        Err(SaveError::ReferenceTaken) => {
            Err(internal("saving a referral", "reference number taken"))
        }
        Err(SaveError::Other(e)) => Err(e),
    }
}

/// Applies a partial update to a draft.
pub async fn update_draft(
    services: &Services,
    principal: &Principal,
    scope: &Scope,
    id: Uuid,
    update: &DraftUpdate,
    expected_version: Option<i32>,
) -> Result<Referral, AppError> {
    let Locked {
        txn, mut referral, ..
    } = lock(
        services,
        principal,
        scope,
        id,
        Action::UpdateDraft,
        expected_version,
    )
    .await?;
    let before = referral.clone();
    referral.details.categories = current_selections(&txn, id).await?;
    let pdu = match &update.probation_delivery_unit {
        draft::Patch::Set(code) if !code.trim().is_empty() => Some(code.trim()),
        _ => None,
    };
    let intervention = referral.intervention.clone();
    let ctx = draft_context(
        &txn,
        &intervention.contract.contract_type_code,
        &intervention,
        pdu,
        today(),
    )
    .await?;
    let details = draft::apply_update(&referral.details, update, &ctx)
        .map_err(|fields| AppError::bad_input("the draft referral update is invalid", fields))?;
    let at = now();
    if details.categories != referral.details.categories {
        db::referrals::replace_selections(&txn, id, &details.categories, at).await?;
    }
    referral.details = details;
    commit(
        txn,
        &before,
        referral,
        EventKind::Updated,
        &principal.user_id,
        at,
        None,
    )
    .await
}

async fn current_selections(
    txn: &DatabaseTransaction,
    id: Uuid,
) -> Result<Vec<SelectedCategory>, AppError> {
    Ok(db::referrals::selections(txn, &[id])
        .await?
        .into_iter()
        .map(|(_, c)| c)
        .collect())
}

/// Sends a complete draft: stamps the sender and time and gives it a reference number. Sending
/// a sent referral returns it unchanged.
pub async fn send(
    services: &Services,
    principal: &Principal,
    scope: &Scope,
    id: Uuid,
) -> Result<Referral, AppError> {
    send_with(services, principal, scope, id, rand::random).await
}

/// [`send`] with the random bytes of reference numbers drawn from `random`.
pub async fn send_with(
    services: &Services,
    principal: &Principal,
    scope: &Scope,
    id: Uuid,
    mut random: impl FnMut() -> [u8; 6],
) -> Result<Referral, AppError> {
    let Locked {
        txn,
        mut referral,
        decision,
    } = lock(services, principal, scope, id, Action::Send, None).await?;
    let Decision::MoveTo(status) = decision else {
        return Ok(referral);
    };
    let before = referral.clone();
    referral.details.categories = current_selections(&txn, id).await?;
    let today = today();
    let mut missing = draft::missing_for_send(&referral.details, today);
    if !referral.intervention.contract.window.is_open_on(today) {
        missing.push(FieldError::new("interventionId", "NOT_OPEN_FOR_REFERRALS"));
    }
    let eligibility = &referral.intervention.contract.eligibility;
    missing.extend(draft::eligibility_problems(
        &referral.details.service_user,
        eligibility,
        today,
    ));
    if !missing.is_empty() {
        return Err(AppError::bad_input("the referral is not complete", missing));
    }
    let suffix = db::catalogue::contract_types_by_codes(
        &txn,
        &[referral.intervention.contract.contract_type_code.clone()],
    )
    .await?
    .into_iter()
    .next()
    .map(|t| t.reference_suffix)
    .ok_or_else(|| internal("sending a referral", "contract type missing"))?;
    let at = now();
    referral.status = status;
    referral.version = before.version + 1;
    referral.sent_at = Some(at);
    referral.listed_at = at;
    referral.sent_by = Some(principal.user_id.clone());
    referral.responsible_pp_id = Some(principal.user_id.clone());
    let mut saved = false;
    for _ in 0..REFERENCE_ATTEMPTS {
        referral.reference = Some(reference_number::draw(&suffix, &mut random));
        // A savepoint, so a taken number can be retried within the transaction.
        let attempt = txn.begin().await?;
        match db::referrals::save(&attempt, &referral, before.version, at).await {
            Ok(()) => {
                attempt.commit().await?;
                saved = true;
                break;
            }
            Err(SaveError::ReferenceTaken) => attempt.rollback().await?,
            Err(SaveError::Stale) => {
                return Err(AppError::Conflict(
                    "the referral was changed by someone else".into(),
                ));
            }
            Err(SaveError::Other(e)) => return Err(e),
        }
    }
    if !saved {
        return Err(internal("sending a referral", "no free reference number"));
    }
    db::referrals::insert_event(
        &txn,
        &event(
            &referral,
            Some(before.status),
            EventKind::Sent,
            &principal.user_id,
            at,
            None,
        ),
    )
    .await?;
    outcome_report::refresh(&txn, &[referral.id]).await?;
    txn.commit().await?;
    tracing::info!(referral_id = %referral.id, user_id = %principal.user_id, "referral sent");
    Ok(referral)
}

/// Assigns a sent referral to a caseworker whose own scope covers its contract.
pub async fn assign(
    services: &Services,
    principal: &Principal,
    scope: &Scope,
    id: Uuid,
    assignee: &UserId,
    expected_version: Option<i32>,
) -> Result<Referral, AppError> {
    let Locked {
        txn,
        mut referral,
        decision,
    } = lock(
        services,
        principal,
        scope,
        id,
        Action::Assign,
        expected_version,
    )
    .await?;
    let Decision::MoveTo(status) = decision else {
        return Ok(referral);
    };
    if !may_be_assigned(&txn, assignee, referral.intervention.contract.id).await? {
        return Err(AppError::bad_input(
            format!(
                "user {assignee} cannot be assigned this referral: they must have used the service as a provider user whose contracts include it"
            ),
            vec![FieldError::new("assigneeId", code::INVALID_VALUE)],
        ));
    }
    let before = referral.clone();
    let at = now();
    referral.status = status;
    referral.assigned_to_id = Some(assignee.clone());
    referral.assigned_at = Some(at);
    let detail = serde_json::json!({ "assigneeId": assignee.0 }).to_string();
    commit(
        txn,
        &before,
        referral,
        EventKind::Assigned,
        &principal.user_id,
        at,
        Some(detail),
    )
    .await
}

/// Whether `assignee` is a recorded provider user whose scope includes `contract_id`.
async fn may_be_assigned(
    db: &impl ConnectionTrait,
    assignee: &UserId,
    contract_id: Uuid,
) -> Result<bool, AppError> {
    let Some(user) = db::users::find(db, assignee).await? else {
        return Ok(false);
    };
    let groups = &user.principal.groups;
    let providers: Vec<String> = groups.providers.iter().cloned().collect();
    let contracts: Vec<String> = groups.contracts.iter().cloned().collect();
    let (known, deliveries) = db::scope::lookup(db, &providers, &contracts).await?;
    Ok(match resolve_scope(&user.principal, &known, &deliveries) {
        Ok(Scope::Provider(scope)) => scope.contracts.iter().any(|c| c.id == contract_id),
        _ => false,
    })
}

/// Withdraws a referral. Before anyone was seen in delivery it is cancelled at once; once
/// delivery is under way it waits for the end-of-service report (then ends prematurely).
/// Withdrawing a withdrawn or concluded referral returns it unchanged.
pub async fn withdraw(
    services: &Services,
    principal: &Principal,
    scope: &Scope,
    id: Uuid,
    reason_code: &str,
    comments: Option<&str>,
    expected_version: Option<i32>,
) -> Result<Referral, AppError> {
    require(principal, scope, Action::Withdraw)?;
    let mut errors = Vec::new();
    let reason_code = reason_code.trim().to_ascii_uppercase();
    if !db::referrals::withdrawal_reason_exists(&services.db, &reason_code).await? {
        errors.push(FieldError::new("reasonCode", code::INVALID_VALUE));
    }
    let comments = comments
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    if comments
        .as_ref()
        .is_some_and(|c| c.chars().count() > draft::MAX_TEXT_LENGTH)
    {
        errors.push(FieldError::new("comments", code::INVALID_LENGTH));
    }
    if !errors.is_empty() {
        return Err(AppError::bad_input("the withdrawal is invalid", errors));
    }
    let Locked {
        txn,
        mut referral,
        decision,
    } = lock(
        services,
        principal,
        scope,
        id,
        Action::Withdraw,
        expected_version,
    )
    .await?;
    if decision == Decision::AlreadyDone || referral.withdrawal.is_some() {
        return Ok(referral);
    }
    let before = referral.clone();
    let at = now();
    let mut withdrawal = Withdrawal {
        reason_code: reason_code.clone(),
        comments,
        at,
        by: principal.user_id.clone(),
        delivery_state: DeliveryState::NotDeliveringYet,
    };
    match decision {
        Decision::MoveTo(status) => {
            referral.withdrawal = Some(withdrawal);
            referral.status = status;
            referral.concluded_at = status.is_concluded().then_some(at);
        }
        Decision::Proceed | Decision::AlreadyDone => {
            let facts = super::delivery::Facts::load(&txn, id).await?;
            withdrawal.delivery_state = facts.delivery_state(&referral);
            referral.withdrawal = Some(withdrawal);
            facts.settle(&mut referral, at);
        }
    }
    let detail = serde_json::json!({ "reasonCode": reason_code }).to_string();
    commit(
        txn,
        &before,
        referral,
        EventKind::Withdrawn,
        &principal.user_id,
        at,
        Some(detail),
    )
    .await
}

/// Adds a case note to a sent referral in the caller's scope.
pub async fn add_case_note(
    services: &Services,
    principal: &Principal,
    scope: &Scope,
    referral_id: Uuid,
    subject: &str,
    body: &str,
) -> Result<CaseNote, AppError> {
    require(principal, scope, Action::AddCaseNote)?;
    let (subject, body) = (subject.trim(), body.trim());
    let mut errors = Vec::new();
    for (value, field, max) in [
        (subject, "subject", MAX_SUBJECT_LENGTH),
        (body, "body", MAX_BODY_LENGTH),
    ] {
        if value.is_empty() {
            errors.push(FieldError::new(field, code::CANNOT_BE_EMPTY));
        } else if value.chars().count() > max {
            errors.push(FieldError::new(field, code::INVALID_LENGTH));
        }
    }
    let Locked { txn, referral, .. } = lock(
        services,
        principal,
        scope,
        referral_id,
        Action::AddCaseNote,
        None,
    )
    .await?;
    if !errors.is_empty() {
        return Err(AppError::bad_input("the case note is invalid", errors));
    }
    let at = now();
    let note = CaseNote {
        id: Uuid::new_v4(),
        referral_id,
        author_id: principal.user_id.clone(),
        subject: subject.to_owned(),
        body: body.to_owned(),
        sent_at: at,
    };
    db::referrals::insert_case_note(&txn, &note).await?;
    let detail = serde_json::json!({ "caseNoteId": note.id }).to_string();
    let recorded = event(
        &referral,
        Some(referral.status),
        EventKind::CaseNoteAdded,
        &principal.user_id,
        at,
        Some(detail),
    );
    db::referrals::insert_event(&txn, &recorded).await?;
    txn.commit().await?;
    Ok(note)
}
