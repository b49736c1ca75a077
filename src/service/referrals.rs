//! The referral journey: drafts, sending, dashboards, assignment, withdrawal and case notes.
//!
//! Reads go through the caller's access; every change goes through the write path
//! ([`super::change`]): role gate, locked load, version check, the journey rules, save and
//! history in one transaction. A stale version is `CONFLICT` and writes nothing.

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::Services;
use super::catalogue::today;
use super::change::{self, Change, authorise, reader};
use crate::db;
use crate::domain::actor::{Caller, Scope, UserId, resolve_scope};
use crate::domain::amendment::Words;
use crate::domain::catalogue::ContractArea;
use crate::domain::draft::{
    self, DraftContext, DraftDetails, DraftUpdate, SelectedCategory, ServiceUserPatch, UnitCheck,
};
use crate::domain::ids::{ContractId, InterventionId, ReferralId};
use crate::domain::journey::{Action, Decision, EventKind, ReferralStatus};
use crate::domain::page::PageSize;
use crate::domain::reference_number;
use crate::domain::referral::{CaseNote, DashboardCursor, Referral, ReferralQuery, Withdrawal};
use crate::error::field_code as code;
use crate::error::{AppError, FieldError, internal};

/// Case note limits, in characters.
pub const MAX_SUBJECT_LENGTH: usize = 200;
pub const MAX_BODY_LENGTH: usize = 10_000;

/// One visible referral, or `None` (unknown or out of scope alike).
pub async fn get(
    services: &Services,
    caller: &Caller,
    id: ReferralId,
) -> Result<Option<Referral>, AppError> {
    let (_, access) = reader(caller)?;
    db::referrals::find(&services.db, &access, id.0, false).await
}

/// The visible referral with this reference number, or `None`.
pub async fn get_by_reference(
    services: &Services,
    caller: &Caller,
    reference: &str,
) -> Result<Option<Referral>, AppError> {
    let (_, access) = reader(caller)?;
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

/// What a dashboard asks for, as read from the request: its filters and its position. Read
/// errors are reported only once the caller may see referrals at all.
pub type DashboardRequest = Result<(ReferralQuery, Option<DashboardCursor>), AppError>;

/// The dashboard: visible referrals matching the query, newest first, after the cursor.
pub async fn list(
    services: &Services,
    caller: &Caller,
    request: DashboardRequest,
    first: Option<i32>,
) -> Result<Page, AppError> {
    let (_, access) = reader(caller)?;
    let (query, cursor) = request?;
    let limit = PageSize::parse(first)?.rows();
    let db = &services.lag_tolerant(caller.user_id()).db;
    // The page and its count are independent: sent together, on two pooled connections.
    let ((referrals, has_next_page), total_count) = futures_util::try_join!(
        db::dashboard::list_page(db, &access, &query, cursor.as_ref(), limit),
        db::dashboard::count(db, &access, &query),
    )?;
    Ok(Page {
        referrals,
        has_next_page,
        total_count,
    })
}

/// Starts a draft for a person and an intervention open for referrals today.
pub async fn create_draft(
    services: &Services,
    caller: &Caller,
    intervention_id: Option<InterventionId>,
    crn: &str,
    person: Option<&ServiceUserPatch>,
) -> Result<Referral, AppError> {
    let authorised = authorise(caller, Action::CreateDraft)?;
    let mut errors = Vec::new();
    let crn = draft::parse_crn(crn);
    if crn.is_none() {
        errors.push(FieldError::new("crn", code::INVALID_FORMAT));
    }
    let intervention = match intervention_id {
        Some(id) => db::catalogue::find_intervention(&services.db, id.0).await?,
        None => None,
    };
    let today = today();
    let ctx = match &intervention {
        None => {
            errors.push(FieldError::new("interventionId", code::INVALID_VALUE));
            None
        }
        Some(i) if !i.contract.window.is_open_on(today) => {
            errors.push(FieldError::new(
                "interventionId",
                code::NOT_OPEN_FOR_REFERRALS,
            ));
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
    let at = change::now();
    let referral = Referral {
        id: Uuid::new_v4(),
        reference: None,
        status: ReferralStatus::Draft,
        version: 1,
        intervention,
        crn,
        created_by: caller.user_id().clone(),
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
    change::create(services, authorised, &referral).await?;
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
    Ok(
        draft_context_with_words(db, contract_type, intervention, pdu, today)
            .await?
            .0,
    )
}

/// [`draft_context`], with the titles of the categories, levels and outcomes it names.
pub(super) async fn draft_context_with_words(
    db: &impl ConnectionTrait,
    contract_type: &str,
    intervention: &crate::domain::catalogue::Intervention,
    pdu: Option<&str>,
    today: chrono::NaiveDate,
) -> Result<(DraftContext, Words), AppError> {
    let categories =
        db::catalogue::categories_by_contract_type_codes(db, &[contract_type.to_owned()]).await?;
    let ids: Vec<Uuid> = categories.iter().map(|(_, c)| c.id).collect();
    let levels = db::catalogue::complexity_levels_by_category_ids(db, &ids).await?;
    let outcomes = db::catalogue::desired_outcomes_by_category_ids(db, &ids).await?;
    let words: Words = categories
        .iter()
        .map(|(_, c)| (c.id, c.name.clone()))
        .chain(levels.iter().map(|l| (l.id, l.title.clone())))
        .chain(outcomes.iter().map(|o| (o.id, o.description.clone())))
        .collect();
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
    let ctx = DraftContext {
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
    };
    Ok((ctx, words))
}

/// Applies a partial update to a draft. `update` is the update as read from the request: its
/// errors are reported once the caller may update drafts at all.
pub async fn update_draft(
    services: &Services,
    caller: &Caller,
    id: ReferralId,
    update: Result<DraftUpdate, AppError>,
    expected_version: Option<i32>,
) -> Result<Referral, AppError> {
    let authorised = authorise(caller, Action::UpdateDraft)?;
    let update = update?;
    let mut change = Change::open(services, authorised, id, expected_version).await?;
    change.decide(None).await?;
    let current = current_selections(change.txn(), id.0).await?;
    change.referral.details.categories = current;
    let pdu = match &update.probation_delivery_unit {
        draft::Patch::Set(code) if !code.trim().is_empty() => Some(code.trim()),
        _ => None,
    };
    let intervention = change.referral.intervention.clone();
    let ctx = draft_context(
        change.txn(),
        &intervention.contract.contract_type_code,
        &intervention,
        pdu,
        today(),
    )
    .await?;
    let details = draft::apply_update(&change.referral.details, &update, &ctx)
        .map_err(|fields| AppError::bad_input("the draft referral update is invalid", fields))?;
    if details.categories != change.referral.details.categories {
        db::referrals::replace_selections(change.txn(), id.0, &details.categories, change.at)
            .await?;
    }
    change.referral.details = details;
    change.record(EventKind::Updated, None);
    change.commit().await
}

pub(super) async fn current_selections(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Vec<SelectedCategory>, AppError> {
    Ok(db::referrals::selections(db, &[id])
        .await?
        .into_iter()
        .map(|(_, c)| c)
        .collect())
}

/// Deletes a draft with everything under it (its creator only); a sent referral is never
/// deleted (`INVALID_TRANSITION`).
pub async fn delete_draft(
    services: &Services,
    caller: &Caller,
    id: ReferralId,
) -> Result<ReferralId, AppError> {
    let authorised = authorise(caller, Action::DeleteDraft)?;
    let change = Change::open(services, authorised, id, None).await?;
    change.decide(None).await?;
    change.discard().await?;
    Ok(id)
}

/// Sends a complete draft: stamps the sender and time and gives it a reference number. Sending
/// a sent referral returns it unchanged.
pub async fn send(
    services: &Services,
    caller: &Caller,
    id: ReferralId,
) -> Result<Referral, AppError> {
    send_with(services, caller, id, rand::random).await
}

/// [`send`] with the random bytes of reference numbers drawn from `random`.
pub async fn send_with(
    services: &Services,
    caller: &Caller,
    id: ReferralId,
    mut random: impl FnMut() -> [u8; 6],
) -> Result<Referral, AppError> {
    let authorised = authorise(caller, Action::Send)?;
    let mut change = Change::open(services, authorised, id, None).await?;
    let (_, Decision::MoveTo(status)) = change.decide(None).await? else {
        return Ok(change.referral);
    };
    let current = current_selections(change.txn(), id.0).await?;
    let referral = &mut change.referral;
    referral.details.categories = current;
    let today = today();
    let mut missing = draft::missing_for_send(&referral.details, today);
    if !referral.intervention.contract.window.is_open_on(today) {
        missing.push(FieldError::new(
            "interventionId",
            code::NOT_OPEN_FOR_REFERRALS,
        ));
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
        change.txn(),
        &[change
            .referral
            .intervention
            .contract
            .contract_type_code
            .clone()],
    )
    .await?
    .into_iter()
    .next()
    .map(|t| t.reference_suffix)
    .ok_or_else(|| internal("sending a referral", "contract type missing"))?;
    let (at, sender) = (change.at, caller.user_id().clone());
    let referral = &mut change.referral;
    referral.status = status;
    referral.sent_at = Some(at);
    referral.listed_at = at;
    referral.sent_by = Some(sender.clone());
    referral.responsible_pp_id = Some(sender);
    change.record(EventKind::Sent, None);
    change.commit_with_reference(&suffix, &mut random).await
}

/// Assigns a sent referral to a caseworker whose own scope covers its contract.
pub async fn assign(
    services: &Services,
    caller: &Caller,
    id: ReferralId,
    assignee: &UserId,
    expected_version: Option<i32>,
) -> Result<Referral, AppError> {
    let authorised = authorise(caller, Action::Assign)?;
    let mut change = Change::open(services, authorised, id, expected_version).await?;
    let (_, Decision::MoveTo(status)) = change.decide(None).await? else {
        return Ok(change.referral);
    };
    let contract = ContractId(change.referral.intervention.contract.id);
    if !may_be_assigned(change.txn(), assignee, contract).await? {
        return Err(AppError::bad_input(
            format!(
                "user {assignee} cannot be assigned this referral: they must have used the service as a provider user whose contracts include it"
            ),
            vec![FieldError::new("assigneeId", code::INVALID_VALUE)],
        ));
    }
    change.referral.status = status;
    change.referral.assigned_to_id = Some(assignee.clone());
    change.referral.assigned_at = Some(change.at);
    let detail = serde_json::json!({ "assigneeId": assignee.0 }).to_string();
    change.record(EventKind::Assigned, Some(detail));
    change.commit().await
}

/// Whether `assignee` is a recorded provider user whose scope includes `contract`.
async fn may_be_assigned(
    db: &impl ConnectionTrait,
    assignee: &UserId,
    contract: ContractId,
) -> Result<bool, AppError> {
    let Some(user) = db::users::find(db, assignee).await? else {
        return Ok(false);
    };
    let groups = &user.principal.groups;
    let providers: Vec<String> = groups.providers.iter().cloned().collect();
    let contracts: Vec<String> = groups.contracts.iter().cloned().collect();
    let (known, deliveries) = db::scope::lookup(db, &providers, &contracts).await?;
    Ok(match resolve_scope(&user.principal, &known, &deliveries) {
        Ok(Scope::Provider(scope)) => scope.contracts.iter().any(|c| c.id == contract.0),
        _ => false,
    })
}

/// Withdraws a referral. Before anyone was seen in delivery it is cancelled at once; once
/// delivery is under way it waits for the end-of-service report (then ends prematurely).
/// Withdrawing a withdrawn or concluded referral returns it unchanged.
pub async fn withdraw(
    services: &Services,
    caller: &Caller,
    id: ReferralId,
    reason_code: &str,
    comments: Option<&str>,
    expected_version: Option<i32>,
) -> Result<Referral, AppError> {
    let authorised = authorise(caller, Action::Withdraw)?;
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
    let mut change = Change::open(services, authorised, id, expected_version).await?;
    let (standing, Decision::MoveTo(status)) = change.decide(None).await? else {
        return Ok(change.referral);
    };
    let at = change.at;
    let referral = &mut change.referral;
    referral.withdrawal = Some(Withdrawal {
        reason_code: reason_code.clone(),
        comments,
        at,
        by: caller.user_id().clone(),
        delivery_state: standing.delivery,
    });
    referral.status = status;
    if status.is_concluded() {
        referral.concluded_at = Some(at);
    }
    let detail = serde_json::json!({ "reasonCode": reason_code }).to_string();
    change.record(EventKind::Withdrawn, Some(detail));
    change.commit().await
}

/// Adds a case note to a sent referral in the caller's scope.
pub async fn add_case_note(
    services: &Services,
    caller: &Caller,
    referral_id: ReferralId,
    subject: &str,
    body: &str,
) -> Result<CaseNote, AppError> {
    let authorised = authorise(caller, Action::AddCaseNote)?;
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
    let mut change = Change::open(services, authorised, referral_id, None).await?;
    change.decide(None).await?;
    if !errors.is_empty() {
        return Err(AppError::bad_input("the case note is invalid", errors));
    }
    let note = CaseNote {
        id: Uuid::new_v4(),
        referral_id: referral_id.0,
        author_id: caller.user_id().clone(),
        subject: subject.to_owned(),
        body: body.to_owned(),
        sent_at: change.at,
    };
    db::referrals::insert_case_note(change.txn(), &note).await?;
    let detail = serde_json::json!({ "caseNoteId": note.id }).to_string();
    change.record(EventKind::CaseNoteAdded, Some(detail));
    change.commit_events_only().await?;
    Ok(note)
}
