//! Referral SQL. Every read takes a [`ReferralAccess`] and filters by it in SQL: a referral
//! outside it is never loaded, so it cannot be told apart from one that does not exist.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::LockType;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, SqlErr, Statement,
};
use uuid::Uuid;

use super::entities::{
    case_note, referral, referral_desired_outcome, referral_event, referral_service_category,
};
use super::referral_rows;
use crate::domain::actor::UserId;
use crate::domain::catalogue::Gender;
use crate::domain::draft::{DraftDetails, SelectedCategory};
use crate::domain::journey::{EventKind, ReferralStatus};
use crate::domain::referral::{CaseNote, Referral, ReferralAccess, ReferralEvent};
use crate::error::{AppError, internal};

/// The rows `access` may reach.
pub(crate) fn visible(access: &ReferralAccess) -> Condition {
    let sent = referral::Column::Status.ne(ReferralStatus::Draft.code());
    match access {
        ReferralAccess::Own(user) => Condition::any()
            .add(referral::Column::CreatedBy.eq(user.0.clone()))
            .add(referral::Column::ResponsiblePpId.eq(user.0.clone())),
        ReferralAccess::Contracts(ids) => Condition::all()
            .add(sent)
            .add(referral::Column::ContractId.is_in(ids.clone())),
        ReferralAccess::AllSent => Condition::all().add(sent),
        ReferralAccess::Person(crn) => Condition::all().add(referral::Column::Crn.eq(crn.clone())),
    }
}

/// The ids of the visible referrals created from `from` until before `before`, oldest first.
pub async fn ids_created_between(
    db: &impl ConnectionTrait,
    access: &ReferralAccess,
    from: Option<DateTime<Utc>>,
    before: Option<DateTime<Utc>>,
) -> Result<Vec<Uuid>, AppError> {
    let mut select = referral::Entity::find()
        .select_only()
        .column(referral::Column::Id)
        .filter(visible(access));
    if let Some(from) = from {
        select = select.filter(referral::Column::CreatedAt.gte(from));
    }
    if let Some(before) = before {
        select = select.filter(referral::Column::CreatedAt.lt(before));
    }
    Ok(select
        .order_by_asc(referral::Column::CreatedAt)
        .order_by_asc(referral::Column::Id)
        .into_tuple()
        .all(db)
        .await?)
}

fn gender_code(gender: Gender) -> &'static str {
    gender.code()
}

use crate::domain::referral::surname_key as search_key;

/// Every stored column of `referral` from the record.
pub(crate) fn to_row(
    r: &Referral,
    updated_at: DateTime<Utc>,
) -> Result<referral::ActiveModel, AppError> {
    // Every detail named: a field added to `DraftDetails` does not compile until it is stored.
    // The selected categories are rows of their own (`replace_selections`).
    let DraftDetails {
        service_user: person,
        categories: _,
        completion_deadline,
        maximum_enforceable_days,
        reason_for_referral,
        further_information,
        accessibility_needs,
        additional_needs_information,
        needs_interpreter,
        interpreter_language,
        has_additional_responsibilities,
        when_unavailable,
        risk_information,
        location,
        probation_delivery_unit_code,
        probation_office,
    } = &r.details;
    let (reason_code, comments, withdrawn_at, withdrawn_by, withdrawal_state) = match &r.withdrawal
    {
        Some(w) => (
            Some(w.reason_code.clone()),
            w.comments.clone(),
            Some(w.at),
            Some(w.by.0.clone()),
            Some(w.delivery_state.code().to_owned()),
        ),
        None => (None, None, None, None, None),
    };
    let disabilities = if person.disabilities.is_empty() {
        None
    } else {
        Some(
            serde_json::to_string(&person.disabilities)
                .map_err(|_| internal("referral row", "disabilities"))?,
        )
    };
    Ok(referral::ActiveModel {
        id: Set(r.id),
        reference: Set(r.reference.clone()),
        status: Set(r.status.code().to_owned()),
        version: Set(r.version),
        intervention_id: Set(r.intervention.id),
        contract_id: Set(r.intervention.contract.id),
        crn: Set(r.crn.clone()),
        created_by: Set(r.created_by.0.clone()),
        created_at: Set(r.created_at),
        updated_at: Set(updated_at),
        listed_at: Set(r.listed_at),
        sent_at: Set(r.sent_at),
        sent_by: Set(r.sent_by.as_ref().map(|u| u.0.clone())),
        responsible_pp_id: Set(r.responsible_pp_id.as_ref().map(|u| u.0.clone())),
        assigned_to_id: Set(r.assigned_to_id.as_ref().map(|u| u.0.clone())),
        assigned_at: Set(r.assigned_at),
        concluded_at: Set(r.concluded_at),
        initial_contact_at: Set(r.initial_contact_at),
        withdrawal_reason_code: Set(reason_code),
        withdrawal_comments: Set(comments),
        withdrawn_at: Set(withdrawn_at),
        withdrawn_by: Set(withdrawn_by),
        withdrawal_delivery_state: Set(withdrawal_state),
        first_name: Set(person.first_name.clone()),
        last_name: Set(person.last_name.clone()),
        first_name_key: Set(person.first_name.as_deref().map(search_key)),
        last_name_key: Set(person.last_name.as_deref().map(search_key)),
        date_of_birth: Set(person.date_of_birth),
        gender: Set(person.gender.map(|g| gender_code(g).to_owned())),
        ethnicity: Set(person.ethnicity.clone()),
        preferred_language: Set(person.preferred_language.clone()),
        disabilities: Set(disabilities),
        completion_deadline: Set(*completion_deadline),
        maximum_enforceable_days: Set(*maximum_enforceable_days),
        reason_for_referral: Set(reason_for_referral.clone()),
        further_information: Set(further_information.clone()),
        accessibility_needs: Set(accessibility_needs.clone()),
        additional_needs_information: Set(additional_needs_information.clone()),
        needs_interpreter: Set(*needs_interpreter),
        interpreter_language: Set(interpreter_language.clone()),
        has_additional_responsibilities: Set(*has_additional_responsibilities),
        when_unavailable: Set(when_unavailable.clone()),
        risk_information: Set(risk_information.clone()),
        location_type: Set(location.location_type.map(|t| t.code().to_owned())),
        prison_code: Set(location.prison_code.clone()),
        expected_release_date: Set(location.expected_release_date),
        expected_release_date_unknown_reason: Set(location
            .expected_release_date_unknown_reason
            .clone()),
        probation_delivery_unit_code: Set(probation_delivery_unit_code.clone()),
        probation_office: Set(probation_office.clone()),
    })
}

/// One visible referral with its intervention and contract. With `for_update` the row stays
/// locked (PostgreSQL `FOR UPDATE`) until the transaction ends; SQLite transactions that write
/// start with the write lock already (see `begin_write`).
pub async fn find(
    db: &impl ConnectionTrait,
    access: &ReferralAccess,
    id: Uuid,
    for_update: bool,
) -> Result<Option<Referral>, AppError> {
    let mut select = referral_rows::select()
        .cond_where(
            Condition::all()
                .add(referral::Column::Id.eq(id))
                .add(visible(access)),
        )
        .take();
    if for_update && db.get_database_backend() == DbBackend::Postgres {
        // Only the referral row: the joined catalogue rows are never changed here.
        select.lock_with_tables(LockType::Update, [referral::Entity]);
    }
    Ok(referral_rows::all(db, &select).await?.into_iter().next())
}

/// The visible referrals among `ids`, in one statement.
pub async fn find_many(
    db: &impl ConnectionTrait,
    access: &ReferralAccess,
    ids: &[Uuid],
) -> Result<Vec<Referral>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let select = referral_rows::select()
        .cond_where(
            Condition::all()
                .add(referral::Column::Id.is_in(ids.iter().copied()))
                .add(visible(access)),
        )
        .take();
    referral_rows::all(db, &select).await
}

/// The id of the visible referral with this reference number.
fn by_reference(access: &ReferralAccess, reference: &str) -> Select<referral::Entity> {
    referral::Entity::find()
        .select_only()
        .column(referral::Column::Id)
        .filter(referral::Column::Reference.eq(reference))
        .filter(visible(access))
}

/// The SQL of a reference look-up (to inspect its plan).
pub fn reference_statement(
    backend: DbBackend,
    access: &ReferralAccess,
    reference: &str,
) -> Statement {
    by_reference(access, reference).build(backend)
}

/// The visible sent referral with this reference number.
pub async fn find_by_reference(
    db: &impl ConnectionTrait,
    access: &ReferralAccess,
    reference: &str,
) -> Result<Option<Referral>, AppError> {
    let row = by_reference(access, reference)
        .into_tuple::<Uuid>()
        .one(db)
        .await?;
    match row {
        Some(id) => find(db, access, id, false).await,
        None => Ok(None),
    }
}

/// The selected categories (with level and outcomes) of the given referrals; two statements.
pub async fn selections(
    db: &impl ConnectionTrait,
    referral_ids: &[Uuid],
) -> Result<Vec<(Uuid, SelectedCategory)>, AppError> {
    let categories = referral_service_category::Entity::find()
        .filter(referral_service_category::Column::ReferralId.is_in(referral_ids.iter().copied()))
        .order_by_asc(referral_service_category::Column::CreatedAt)
        .order_by_asc(referral_service_category::Column::ServiceCategoryId)
        .all(db)
        .await?;
    let outcomes = referral_desired_outcome::Entity::find()
        .filter(referral_desired_outcome::Column::ReferralId.is_in(referral_ids.iter().copied()))
        .order_by_asc(referral_desired_outcome::Column::DesiredOutcomeId)
        .all(db)
        .await?;
    Ok(categories
        .into_iter()
        .map(|c| {
            let outcome_ids = outcomes
                .iter()
                .filter(|o| {
                    o.referral_id == c.referral_id && o.service_category_id == c.service_category_id
                })
                .map(|o| o.desired_outcome_id)
                .collect();
            (
                c.referral_id,
                SelectedCategory {
                    service_category_id: c.service_category_id,
                    complexity_level_id: c.complexity_level_id,
                    desired_outcome_ids: outcome_ids,
                },
            )
        })
        .collect())
}

/// Inserts a new referral (version 1).
pub async fn insert(db: &impl ConnectionTrait, referral: &Referral) -> Result<(), AppError> {
    referral::Entity::insert(to_row(referral, referral.created_at)?)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Why a save did not happen.
#[derive(Debug)]
pub enum SaveError {
    /// The stored version is not the one read: someone changed it first.
    Stale,
    /// The reference number is taken.
    ReferenceTaken,
    Other(AppError),
}

impl From<DbErr> for SaveError {
    fn from(error: DbErr) -> Self {
        match error.sql_err() {
            // PostgreSQL names the index, SQLite the column.
            Some(SqlErr::UniqueConstraintViolation(message))
                if message.contains("referral_reference_key")
                    || message.contains("referral.reference") =>
            {
                SaveError::ReferenceTaken
            }
            _ => SaveError::Other(error.into()),
        }
    }
}

/// Writes every column of `referral` (whose `version` is the new one) if the stored version is
/// still `expected_version`.
pub async fn save(
    db: &impl ConnectionTrait,
    referral: &Referral,
    expected_version: i32,
    now: DateTime<Utc>,
) -> Result<(), SaveError> {
    let row = to_row(referral, now).map_err(SaveError::Other)?;
    let result = referral::Entity::update_many()
        .set(row)
        .filter(referral::Column::Id.eq(referral.id))
        .filter(referral::Column::Version.eq(expected_version))
        .exec(db)
        .await?;
    if result.rows_affected == 1 {
        Ok(())
    } else {
        Err(SaveError::Stale)
    }
}

/// The rows of a referral's selected categories and their desired outcomes.
pub(crate) fn selection_rows(
    referral_id: Uuid,
    categories: &[SelectedCategory],
    now: DateTime<Utc>,
) -> (
    Vec<referral_service_category::ActiveModel>,
    Vec<referral_desired_outcome::ActiveModel>,
) {
    // Creation times keep the practitioner's order of categories.
    let category_rows = categories
        .iter()
        .enumerate()
        .map(|(i, c)| referral_service_category::ActiveModel {
            referral_id: Set(referral_id),
            service_category_id: Set(c.service_category_id),
            complexity_level_id: Set(c.complexity_level_id),
            created_at: Set(now + chrono::Duration::microseconds(i64::try_from(i).unwrap_or(0))),
            updated_at: Set(now),
        })
        .collect();
    let outcome_rows = categories
        .iter()
        .flat_map(|c| {
            c.desired_outcome_ids
                .iter()
                .map(move |o| referral_desired_outcome::ActiveModel {
                    referral_id: Set(referral_id),
                    service_category_id: Set(c.service_category_id),
                    desired_outcome_id: Set(*o),
                    created_at: Set(now),
                    updated_at: Set(now),
                })
        })
        .collect();
    (category_rows, outcome_rows)
}

/// Replaces the selected categories and outcomes of a referral.
pub async fn replace_selections(
    db: &impl ConnectionTrait,
    referral_id: Uuid,
    categories: &[SelectedCategory],
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    referral_desired_outcome::Entity::delete_many()
        .filter(referral_desired_outcome::Column::ReferralId.eq(referral_id))
        .exec(db)
        .await?;
    referral_service_category::Entity::delete_many()
        .filter(referral_service_category::Column::ReferralId.eq(referral_id))
        .exec(db)
        .await?;
    let (category_rows, outcome_rows) = selection_rows(referral_id, categories, now);
    if !category_rows.is_empty() {
        referral_service_category::Entity::insert_many(category_rows)
            .exec_without_returning(db)
            .await?;
    }
    if !outcome_rows.is_empty() {
        referral_desired_outcome::Entity::insert_many(outcome_rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// The row of an event.
pub(crate) fn event_row(event: &ReferralEvent) -> referral_event::ActiveModel {
    referral_event::ActiveModel {
        id: Set(event.id),
        referral_id: Set(event.referral_id),
        at: Set(event.at),
        actor_id: Set(event.actor_id.0.clone()),
        kind: Set(event.kind.code().to_owned()),
        from_status: Set(event.from_status.map(|s| s.code().to_owned())),
        to_status: Set(event.to_status.code().to_owned()),
        detail: Set(event.detail.clone()),
        created_at: Set(event.at),
        updated_at: Set(event.at),
    }
}

/// Appends an event.
pub async fn insert_event(
    db: &impl ConnectionTrait,
    event: &ReferralEvent,
) -> Result<(), AppError> {
    referral_event::Entity::insert(event_row(event))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The events of the given referrals, oldest first.
pub async fn events_of(
    db: &impl ConnectionTrait,
    referral_ids: &[Uuid],
) -> Result<Vec<ReferralEvent>, AppError> {
    let rows = referral_event::Entity::find()
        .filter(referral_event::Column::ReferralId.is_in(referral_ids.iter().copied()))
        .order_by_asc(referral_event::Column::At)
        .order_by_asc(referral_event::Column::Id)
        .all(db)
        .await?;
    rows.into_iter()
        .map(|e| {
            let status = |code: &str| {
                ReferralStatus::from_code(code)
                    .ok_or_else(|| internal("event row", format!("bad status in event {}", e.id)))
            };
            Ok(ReferralEvent {
                id: e.id,
                referral_id: e.referral_id,
                at: e.at,
                actor_id: UserId(e.actor_id.clone()),
                kind: EventKind::from_code(&e.kind)
                    .ok_or_else(|| internal("event row", format!("bad kind in event {}", e.id)))?,
                from_status: e.from_status.as_deref().map(status).transpose()?,
                to_status: status(&e.to_status)?,
                detail: e.detail.clone(),
            })
        })
        .collect()
}

/// The row of a case note.
pub(crate) fn case_note_row(note: &CaseNote) -> case_note::ActiveModel {
    case_note::ActiveModel {
        id: Set(note.id),
        referral_id: Set(note.referral_id),
        author_id: Set(note.author_id.0.clone()),
        subject: Set(note.subject.clone()),
        body: Set(note.body.clone()),
        sent_at: Set(note.sent_at),
        created_at: Set(note.sent_at),
        updated_at: Set(note.sent_at),
    }
}

/// Adds a case note.
pub async fn insert_case_note(db: &impl ConnectionTrait, note: &CaseNote) -> Result<(), AppError> {
    case_note::Entity::insert(case_note_row(note))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The case notes of the given referrals, newest first.
pub async fn case_notes_of(
    db: &impl ConnectionTrait,
    referral_ids: &[Uuid],
) -> Result<Vec<CaseNote>, AppError> {
    let rows = case_note::Entity::find()
        .filter(case_note::Column::ReferralId.is_in(referral_ids.iter().copied()))
        .order_by_desc(case_note::Column::SentAt)
        .order_by_desc(case_note::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|n| CaseNote {
            id: n.id,
            referral_id: n.referral_id,
            author_id: UserId(n.author_id),
            subject: n.subject,
            body: n.body,
            sent_at: n.sent_at,
        })
        .collect())
}

/// Deletes a draft and every row under it (its selections, history and any notification).
pub async fn delete_draft(db: &impl ConnectionTrait, referral_id: Uuid) -> Result<(), AppError> {
    if delete_drafts(db, &[referral_id]).await? == 1 {
        Ok(())
    } else {
        Err(internal(
            "deleting a draft",
            format!("draft {referral_id} not deleted"),
        ))
    }
}

/// Deletes the drafts among `ids` with every row under them; sent referrals among them are
/// left as they are. Returns how many drafts were deleted.
pub async fn delete_drafts(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<u64, AppError> {
    use super::entities::notification;
    if ids.is_empty() {
        return Ok(0);
    }
    let drafts: Vec<Uuid> = referral::Entity::find()
        .select_only()
        .column(referral::Column::Id)
        .filter(referral::Column::Id.is_in(ids.iter().copied()))
        .filter(referral::Column::Status.eq(ReferralStatus::Draft.code()))
        .into_tuple()
        .all(db)
        .await?;
    if drafts.is_empty() {
        return Ok(0);
    }
    let of_drafts = || drafts.iter().copied();
    referral_desired_outcome::Entity::delete_many()
        .filter(referral_desired_outcome::Column::ReferralId.is_in(of_drafts()))
        .exec(db)
        .await?;
    referral_service_category::Entity::delete_many()
        .filter(referral_service_category::Column::ReferralId.is_in(of_drafts()))
        .exec(db)
        .await?;
    referral_event::Entity::delete_many()
        .filter(referral_event::Column::ReferralId.is_in(of_drafts()))
        .exec(db)
        .await?;
    notification::Entity::delete_many()
        .filter(notification::Column::ReferralId.is_in(of_drafts()))
        .exec(db)
        .await?;
    let deleted = referral::Entity::delete_many()
        .filter(referral::Column::Id.is_in(of_drafts()))
        .filter(referral::Column::Status.eq(ReferralStatus::Draft.code()))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

/// Whether any referral exists.
pub async fn any(db: &impl ConnectionTrait) -> Result<bool, AppError> {
    Ok(referral::Entity::find().one(db).await?.is_some())
}

/// Whether any referral was started by the user `sub`.
pub async fn any_created_by(db: &impl ConnectionTrait, sub: &str) -> Result<bool, AppError> {
    Ok(referral::Entity::find()
        .filter(referral::Column::CreatedBy.eq(sub))
        .one(db)
        .await?
        .is_some())
}

/// Whether a withdrawal reason with this code exists.
pub async fn withdrawal_reason_exists(
    db: &impl ConnectionTrait,
    code: &str,
) -> Result<bool, AppError> {
    use super::entities::withdrawal_reason;
    Ok(withdrawal_reason::Entity::find_by_id(code.to_owned())
        .one(db)
        .await?
        .is_some())
}
