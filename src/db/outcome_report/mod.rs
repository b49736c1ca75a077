//! The reports' SQL: each sent referral's facts (written with every change to it); the contracts
//! a report may count (the caller's and the filter's regions resolved to contract ids, one
//! statement); the `GROUP BY` statements (`grouping`); and the pages of the provider performance
//! report.

mod grouping;
mod terms;

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, Iterable, QueryFilter,
    Statement, Value,
};
use uuid::Uuid;

pub use self::grouping::{Group, Grouped, Reading, groups};
use super::entities::{report_referral, report_referral_category};
use crate::domain::journey::ReferralStatus;
use crate::domain::outcome_report::facts::ReferralFacts;
use crate::domain::outcome_report::{ReportAccess, ReportFilter};
use crate::error::AppError;

/// The region of a referral: its contract's, or its contract's PCC area's.
const REGION: &str = "COALESCE(c.region_code, ca.region_code)";

/// The rows of one referral's facts.
pub(crate) fn fact_rows(
    facts: &ReferralFacts,
) -> (
    report_referral::ActiveModel,
    Vec<report_referral_category::ActiveModel>,
) {
    let referral = report_referral::ActiveModel {
        referral_id: Set(facts.referral_id),
        contract_id: Set(facts.contract_id),
        probation_delivery_unit_code: Set(facts.probation_delivery_unit_code.clone()),
        sent_on: Set(facts.sent_on),
        sent_month: Set(facts.sent_month.clone()),
        sent_quarter: Set(facts.sent_quarter.clone()),
        status: Set(facts.status.code().to_owned()),
        concluded_on: Set(facts.concluded_on),
        completion_deadline: Set(facts.completion_deadline),
        gender: Set(facts.gender.to_owned()),
        ethnic_group: Set(facts.ethnic_group.code().to_owned()),
        ethnic_category: Set(facts.ethnic_category.code().to_owned()),
        age_band: Set(facts.age_band.code().to_owned()),
        location_type: Set(facts.location_type.to_owned()),
        withdrawal_reason_code: Set(facts.withdrawal_reason_code.clone()),
        assessments_attended: Set(facts.assessments_attended),
        assessments_missed: Set(facts.assessments_missed),
        sessions_planned: Set(facts.sessions_planned),
        sessions_attended: Set(facts.sessions_attended),
        sessions_missed: Set(facts.sessions_missed),
        outcomes_achieved: Set(facts.outcomes.achieved),
        outcomes_partially_achieved: Set(facts.outcomes.partially_achieved),
        outcomes_not_achieved: Set(facts.outcomes.not_achieved),
        days_to_assignment: Set(facts.days_to_assignment),
        days_to_assessment: Set(facts.days_to_assessment),
        days_to_first_session: Set(facts.days_to_first_session),
    };
    // The row the referral itself is counted on in reports by category.
    let first = facts.categories.iter().map(|c| c.service_category_id).min();
    let categories = facts
        .categories
        .iter()
        .map(|c| report_referral_category::ActiveModel {
            referral_id: Set(facts.referral_id),
            service_category_id: Set(c.service_category_id),
            complexity_level_id: Set(c.complexity_level_id),
            contract_id: referral.contract_id.clone(),
            probation_delivery_unit_code: referral.probation_delivery_unit_code.clone(),
            sent_on: referral.sent_on.clone(),
            sent_month: referral.sent_month.clone(),
            sent_quarter: referral.sent_quarter.clone(),
            status: referral.status.clone(),
            concluded_on: referral.concluded_on.clone(),
            completion_deadline: referral.completion_deadline.clone(),
            gender: referral.gender.clone(),
            ethnic_group: referral.ethnic_group.clone(),
            ethnic_category: referral.ethnic_category.clone(),
            age_band: referral.age_band.clone(),
            location_type: referral.location_type.clone(),
            withdrawal_reason_code: referral.withdrawal_reason_code.clone(),
            assessments_attended: referral.assessments_attended.clone(),
            assessments_missed: referral.assessments_missed.clone(),
            sessions_planned: referral.sessions_planned.clone(),
            sessions_attended: referral.sessions_attended.clone(),
            sessions_missed: referral.sessions_missed.clone(),
            outcomes_achieved: Set(c.outcomes.achieved),
            outcomes_partially_achieved: Set(c.outcomes.partially_achieved),
            outcomes_not_achieved: Set(c.outcomes.not_achieved),
            days_to_assignment: referral.days_to_assignment.clone(),
            days_to_assessment: referral.days_to_assessment.clone(),
            days_to_first_session: referral.days_to_first_session.clone(),
            first_of_referral: Set(i32::from(Some(c.service_category_id) == first)),
        })
        .collect();
    (referral, categories)
}

/// Writes one referral's facts over what was there: three statements.
pub async fn replace(db: &impl ConnectionTrait, facts: &ReferralFacts) -> Result<(), AppError> {
    let (referral, categories) = fact_rows(facts);
    let columns = report_referral::Column::iter()
        .filter(|c| !matches!(c, report_referral::Column::ReferralId))
        .collect::<Vec<_>>();
    report_referral::Entity::insert(referral)
        .on_conflict(
            OnConflict::column(report_referral::Column::ReferralId)
                .update_columns(columns)
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    report_referral_category::Entity::delete_many()
        .filter(report_referral_category::Column::ReferralId.eq(facts.referral_id))
        .exec(db)
        .await?;
    if !categories.is_empty() {
        report_referral_category::Entity::insert_many(categories)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Whether every sent referral has its facts, from two counts: the sent referrals (the
/// `referral_count` counters) and the facts. Facts are written only for sent referrals and
/// referrals are never deleted, so equal counts mean the same referrals; one look-up instead of
/// comparing a million ids at every start.
pub async fn facts_complete(db: &impl ConnectionTrait) -> Result<bool, AppError> {
    let sql = format!(
        "SELECT CAST((SELECT COALESCE(SUM(referrals), 0) FROM referral_count \
         WHERE status <> '{}') AS BIGINT) AS sent, \
         CAST((SELECT COUNT(*) FROM report_referral) AS BIGINT) AS facts",
        ReferralStatus::Draft.code()
    );
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    let Some(row) = row else {
        return Ok(false);
    };
    let sent: i64 = row.try_get("", "sent")?;
    let facts: i64 = row.try_get("", "facts")?;
    Ok(sent == facts)
}

/// Up to `limit` sent referrals that have no facts yet (written before the report existed).
pub async fn referrals_without_facts(
    db: &impl ConnectionTrait,
    limit: u64,
) -> Result<Vec<Uuid>, AppError> {
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT r.id FROM referral r LEFT JOIN report_referral f ON f.referral_id = r.id \
         WHERE r.sent_at IS NOT NULL AND f.referral_id IS NULL ORDER BY r.id LIMIT {limit}"
    );
    let rows = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await?;
    rows.iter()
        .map(|row| row.try_get::<Uuid>("", "id").map_err(AppError::from))
        .collect()
}

/// Up to `limit` sent referrals after `after` in id order: one page of all of them.
pub async fn sent_referrals_after(
    db: &impl ConnectionTrait,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Uuid>, AppError> {
    use sea_orm::{QueryOrder, QuerySelect};

    use super::entities::referral;

    let mut select = referral::Entity::find()
        .select_only()
        .column(referral::Column::Id)
        .filter(referral::Column::SentAt.is_not_null());
    if let Some(after) = after {
        select = select.filter(referral::Column::Id.gt(after));
    }
    Ok(select
        .order_by_asc(referral::Column::Id)
        .limit(limit)
        .into_tuple::<Uuid>()
        .all(db)
        .await?)
}

/// A statement under construction, with its bound values.
struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    fn new(backend: DbBackend) -> Sql {
        Sql {
            backend,
            text: String::new(),
            values: Vec::new(),
        }
    }

    /// A placeholder for `value`.
    fn bind(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        match self.backend {
            DbBackend::Postgres => format!("${}", self.values.len()),
            _ => "?".to_owned(),
        }
    }

    /// `(placeholders…)` for a list.
    fn list<T: Into<Value> + Clone>(&mut self, items: &[T]) -> String {
        if items.is_empty() {
            return "(NULL)".to_owned();
        }
        let placeholders: Vec<String> = items.iter().map(|v| self.bind(v.clone())).collect();
        format!("({})", placeholders.join(", "))
    }

    fn statement(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}

/// The contracts a report may count (`None`: every contract).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reach(pub Option<Vec<Uuid>>);

/// The contracts within `access` and the filter's regions, in at most one statement. Regions
/// are resolved to contracts here so the report statements filter on `contract_id`, which the
/// planner estimates well, rather than on an expression over the joined contract.
pub async fn reach(
    db: &impl ConnectionTrait,
    access: &ReportAccess,
    filter: &ReportFilter,
) -> Result<Reach, AppError> {
    let (base, regions) = match (access, &filter.region_codes) {
        (ReportAccess::All, None) => return Ok(Reach(None)),
        (ReportAccess::Contracts(ids), None) => return Ok(Reach(Some(ids.clone()))),
        (ReportAccess::All, Some(codes)) => (None, codes.clone()),
        (ReportAccess::Contracts(ids), Some(codes)) => (Some(ids), codes.clone()),
        (ReportAccess::Regions(mine), None) => (None, mine.clone()),
        (ReportAccess::Regions(mine), Some(codes)) => (
            None,
            mine.iter().filter(|c| codes.contains(c)).cloned().collect(),
        ),
    };
    let mut sql = Sql::new(db.get_database_backend());
    sql.text = format!(
        "SELECT c.id FROM contract c LEFT JOIN pcc_area ca ON ca.code = c.pcc_area_code \
         WHERE {REGION} IN {}",
        sql.list(&regions)
    );
    let rows = db.query_all_raw(sql.statement()).await?;
    let mut ids = Vec::with_capacity(rows.len());
    for row in &rows {
        let id: Uuid = row.try_get("", "id")?;
        if base.is_none_or(|allowed| allowed.contains(&id)) {
            ids.push(id);
        }
    }
    Ok(Reach(Some(ids)))
}

/// A position in one contract's sent referrals: the last one read (sending time and id).
pub type SentCursor = (chrono::DateTime<chrono::Utc>, Uuid);

/// The next `limit` sent referrals of one contract sent in `[from, before)`, oldest first,
/// after `after`: a range of the `(contract_id, listed_at, id)` index.
pub async fn sent_page(
    db: &impl ConnectionTrait,
    contract_id: Uuid,
    from: Option<chrono::DateTime<chrono::Utc>>,
    before: Option<chrono::DateTime<chrono::Utc>>,
    after: Option<SentCursor>,
    limit: u64,
) -> Result<Vec<SentCursor>, AppError> {
    use sea_orm::{Condition, QueryOrder, QuerySelect};

    use super::entities::referral;

    let mut select = referral::Entity::find()
        .select_only()
        .column(referral::Column::ListedAt)
        .column(referral::Column::Id)
        .filter(referral::Column::ContractId.eq(contract_id))
        .filter(referral::Column::Status.ne(ReferralStatus::Draft.code()));
    if let Some(from) = from {
        select = select.filter(referral::Column::ListedAt.gte(from));
    }
    if let Some(before) = before {
        select = select.filter(referral::Column::ListedAt.lt(before));
    }
    if let Some((at, id)) = after {
        select = select.filter(
            Condition::any().add(referral::Column::ListedAt.gt(at)).add(
                Condition::all()
                    .add(referral::Column::ListedAt.eq(at))
                    .add(referral::Column::Id.gt(id)),
            ),
        );
    }
    Ok(select
        .order_by_asc(referral::Column::ListedAt)
        .order_by_asc(referral::Column::Id)
        .limit(limit)
        .into_tuple::<SentCursor>()
        .all(db)
        .await?)
}
