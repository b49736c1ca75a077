//! The reports' SQL: each sent referral's facts (written with every change to it); the contracts
//! a report may count (the caller's and the filter's regions resolved to contract ids); one
//! `GROUP BY` over the facts for the rows and one for the totals, filtered by those contracts in
//! the same statement; and the pages of the provider performance report.
//!
//! Percentiles: PostgreSQL computes them with `percentile_disc` in the same statements; SQLite,
//! which has no ordered-set aggregates, returns a histogram of each timeliness measure per group
//! (one more statement each for rows and totals) and the nearest rank is taken from it, which is
//! the same definition.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, Iterable, QueryFilter,
    QueryResult, Statement, Value,
};
use uuid::Uuid;

use super::entities::{report_category, report_referral};
use crate::domain::outcome_report::facts::ReferralFacts;
use crate::domain::outcome_report::measures::{
    COUNTS, Count, Counts, Figures, Percentiles, Timeliness, WITHDRAWAL_GROUPINGS, complete,
};
use crate::domain::outcome_report::{Dimension, NOT_KNOWN, ReportAccess, ReportFilter};
use crate::domain::referral::ReferralStatus;
use crate::error::AppError;

/// The rows of one referral's facts.
pub(crate) fn fact_rows(
    facts: &ReferralFacts,
) -> (
    report_referral::ActiveModel,
    Vec<report_category::ActiveModel>,
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
    let categories = facts
        .categories
        .iter()
        .map(|c| report_category::ActiveModel {
            referral_id: Set(facts.referral_id),
            service_category_id: Set(c.service_category_id),
            complexity_level_id: Set(c.complexity_level_id),
            outcomes_achieved: Set(c.outcomes.achieved),
            outcomes_partially_achieved: Set(c.outcomes.partially_achieved),
            outcomes_not_achieved: Set(c.outcomes.not_achieved),
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
    report_category::Entity::delete_many()
        .filter(report_category::Column::ReferralId.eq(facts.referral_id))
        .exec(db)
        .await?;
    if !categories.is_empty() {
        report_category::Entity::insert_many(categories)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
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

/// The region of a referral: its contract's, or its contract's PCC area's.
const REGION: &str = "COALESCE(c.region_code, ca.region_code)";

/// The value and label expressions of a dimension, and the joins its label needs.
fn dimension_sql(dimension: Dimension) -> (&'static str, &'static str, &'static str) {
    match dimension {
        Dimension::Region => (
            REGION,
            "rg.name",
            " LEFT JOIN region rg ON rg.code = COALESCE(c.region_code, ca.region_code)",
        ),
        Dimension::PccArea => (
            "u.pcc_area_code",
            "pa.name",
            " LEFT JOIN pcc_area pa ON pa.code = u.pcc_area_code",
        ),
        Dimension::ProbationDeliveryUnit => ("f.probation_delivery_unit_code", "u.name", ""),
        Dimension::Provider => (
            "c.prime_provider_code",
            "sp.name",
            " LEFT JOIN service_provider sp ON sp.code = c.prime_provider_code",
        ),
        Dimension::Contract => ("c.reference", "c.reference", ""),
        Dimension::ContractType => (
            "c.contract_type_code",
            "ct.name",
            " LEFT JOIN contract_type ct ON ct.code = c.contract_type_code",
        ),
        Dimension::ServiceCategory => (
            "rc.service_category_id",
            "sc.name",
            " LEFT JOIN service_category sc ON sc.id = rc.service_category_id",
        ),
        Dimension::Complexity => ("cl.complexity", "NULL", ""),
        Dimension::Month => ("f.sent_month", "NULL", ""),
        Dimension::Quarter => ("f.sent_quarter", "NULL", ""),
        Dimension::Gender => ("f.gender", "NULL", ""),
        Dimension::Ethnicity => ("f.ethnic_group", "NULL", ""),
        Dimension::AgeBand => ("f.age_band", "NULL", ""),
        Dimension::LocationType => ("f.location_type", "NULL", ""),
    }
}

/// The timeliness columns, in `Timeliness` order.
fn timeliness_column(measure: Timeliness) -> &'static str {
    match measure {
        Timeliness::DaysToAssignment => "f.days_to_assignment",
        Timeliness::DaysToAssessment => "f.days_to_assessment",
        Timeliness::DaysToFirstSession => "f.days_to_first_session",
    }
}

/// `FROM … WHERE …` of a report: the facts within `access` matching `filter`, one row per
/// selected category when `per_category`.
fn from_where(
    sql: &mut Sql,
    dimensions: &[Dimension],
    contracts: &Reach,
    filter: &ReportFilter,
    per_category: bool,
    extra: Option<String>,
) {
    let mut text = String::from(" FROM report_referral f");
    let mut conditions: Vec<String> = Vec::new();
    if let Some(ids) = &contracts.0 {
        if sql.backend == DbBackend::Postgres && !ids.is_empty() {
            // A join PostgreSQL hashes: a list of parameters in `IN` is compared one by one
            // for every row under a generic plan.
            let rows: Vec<String> = ids
                .iter()
                .map(|id| format!("({}::uuid)", sql.bind(*id)))
                .collect();
            text.push_str(&format!(
                " JOIN (VALUES {}) AS reach (id) ON reach.id = f.contract_id",
                rows.join(", ")
            ));
        } else {
            conditions.push(format!("f.contract_id IN {}", sql.list(ids)));
        }
    }
    text.push_str(
        " JOIN contract c ON c.id = f.contract_id \
         LEFT JOIN pcc_area ca ON ca.code = c.pcc_area_code \
         LEFT JOIN probation_delivery_unit u ON u.code = f.probation_delivery_unit_code \
         LEFT JOIN withdrawal_reason w ON w.code = f.withdrawal_reason_code",
    );
    if per_category {
        text.push_str(
            " JOIN report_category rc ON rc.referral_id = f.referral_id \
             LEFT JOIN complexity_level cl ON cl.id = rc.complexity_level_id",
        );
    }
    for dimension in dimensions {
        text.push_str(dimension_sql(*dimension).2);
    }
    let lists: [(&str, &Option<Vec<String>>); 5] = [
        ("u.pcc_area_code", &filter.pcc_area_codes),
        (
            "f.probation_delivery_unit_code",
            &filter.probation_delivery_unit_codes,
        ),
        ("c.prime_provider_code", &filter.provider_codes),
        ("c.reference", &filter.contract_references),
        ("c.contract_type_code", &filter.contract_type_codes),
    ];
    for (column, values) in lists {
        if let Some(values) = values {
            conditions.push(format!("{column} IN {}", sql.list(values)));
        }
    }
    if let Some(from) = filter.sent_from {
        conditions.push(format!("f.sent_on >= {}", sql.bind(from)));
    }
    if let Some(to) = filter.sent_to {
        conditions.push(format!("f.sent_on <= {}", sql.bind(to)));
    }
    // Category filters apply to the category row itself when rows are per category, else to
    // any of the referral's categories.
    let mut category_conditions = Vec::new();
    let (categories, levels) = if per_category {
        ("rc", "cl")
    } else {
        ("x", "xl")
    };
    if let Some(ids) = &filter.service_category_ids {
        category_conditions.push(format!(
            "{categories}.service_category_id IN {}",
            sql.list(ids)
        ));
    }
    if let Some(complexity) = &filter.complexity {
        category_conditions.push(format!("{levels}.complexity IN {}", sql.list(complexity)));
    }
    if !category_conditions.is_empty() {
        if per_category {
            conditions.extend(category_conditions);
        } else {
            conditions.push(format!(
                "EXISTS (SELECT 1 FROM report_category x \
                 LEFT JOIN complexity_level xl ON xl.id = x.complexity_level_id \
                 WHERE x.referral_id = f.referral_id AND {})",
                category_conditions.join(" AND ")
            ));
        }
    }
    conditions.extend(extra);
    if !conditions.is_empty() {
        text.push_str(" WHERE ");
        text.push_str(&conditions.join(" AND "));
    }
    sql.text.push_str(&text);
}

/// `SELECT` of the dimension values and labels, as `d0`, `l0`, `d1`, `l1`.
fn select_dimensions(dimensions: &[Dimension]) -> (Vec<String>, Vec<String>) {
    let mut select = Vec::new();
    let mut group = Vec::new();
    for (i, dimension) in dimensions.iter().enumerate() {
        let (value, label, _) = dimension_sql(*dimension);
        select.push(format!("{value} AS d{i}"));
        select.push(format!("{label} AS l{i}"));
        group.push(value.to_owned());
        if label != "NULL" && label != value {
            group.push(label.to_owned());
        }
    }
    (select, group)
}

/// The aggregate expressions of the counts, in `Count` order (the sums of others excepted).
fn count_expressions(sql: &mut Sql, per_category: bool, today: NaiveDate) -> Vec<(Count, String)> {
    let status_is = |codes: &[ReferralStatus]| {
        let list: Vec<String> = codes.iter().map(|s| format!("'{}'", s.code())).collect();
        format!(
            "SUM(CASE WHEN f.status IN ({}) THEN 1 ELSE 0 END)",
            list.join(", ")
        )
    };
    let outcomes = if per_category { "rc" } else { "f" };
    let mut expressions = vec![
        (Count::ReferralsSent, "COUNT(*)".to_owned()),
        (
            Count::Open,
            "SUM(CASE WHEN f.status IN ('COMPLETED', 'CANCELLED', 'PREMATURELY_ENDED') \
             THEN 0 ELSE 1 END)"
                .to_owned(),
        ),
        (Count::Completed, status_is(&[ReferralStatus::Completed])),
        (Count::Cancelled, status_is(&[ReferralStatus::Cancelled])),
        (
            Count::PrematurelyEnded,
            status_is(&[ReferralStatus::PrematurelyEnded]),
        ),
    ];
    for grouping in WITHDRAWAL_GROUPINGS {
        if let Some(count) = Count::withdrawn(grouping) {
            expressions.push((
                count,
                format!("SUM(CASE WHEN w.\"grouping\" = '{grouping}' THEN 1 ELSE 0 END)"),
            ));
        }
    }
    for (count, column) in [
        (Count::AssessmentsAttended, "f.assessments_attended"),
        (Count::AssessmentsMissed, "f.assessments_missed"),
        (Count::SessionsPlanned, "f.sessions_planned"),
        (Count::SessionsAttended, "f.sessions_attended"),
        (Count::SessionsMissed, "f.sessions_missed"),
    ] {
        expressions.push((count, format!("SUM({column})")));
    }
    expressions.push((
        Count::OutcomesAchieved,
        format!("SUM({outcomes}.outcomes_achieved)"),
    ));
    expressions.push((
        Count::OutcomesPartiallyAchieved,
        format!("SUM({outcomes}.outcomes_partially_achieved)"),
    ));
    expressions.push((
        Count::OutcomesNotAchieved,
        format!("SUM({outcomes}.outcomes_not_achieved)"),
    ));
    expressions.push((
        Count::ConcludedByDeadline,
        "SUM(CASE WHEN f.concluded_on IS NOT NULL AND f.concluded_on <= f.completion_deadline \
         THEN 1 ELSE 0 END)"
            .to_owned(),
    ));
    let today = sql.bind(today);
    expressions.push((
        Count::DeadlineReached,
        format!(
            "SUM(CASE WHEN f.completion_deadline IS NOT NULL AND \
             (f.concluded_on IS NOT NULL OR f.completion_deadline < {today}) THEN 1 ELSE 0 END)"
        ),
    ));
    expressions
}

/// The dimension values of a result row (`NOT_KNOWN` for none) and their catalogue labels.
fn row_key(
    row: &QueryResult,
    dimensions: &[Dimension],
) -> Result<(Vec<String>, Vec<Option<String>>), AppError> {
    let mut values = Vec::new();
    let mut labels = Vec::new();
    for (i, dimension) in dimensions.iter().enumerate() {
        let value = if *dimension == Dimension::ServiceCategory {
            row.try_get::<Option<Uuid>>("", &format!("d{i}"))?
                .map(|id| id.to_string())
        } else {
            row.try_get::<Option<String>>("", &format!("d{i}"))?
        };
        values.push(value.unwrap_or_else(|| NOT_KNOWN.to_owned()));
        labels.push(row.try_get::<Option<String>>("", &format!("l{i}"))?);
    }
    Ok((values, labels))
}

/// One group of a report as the database added it up.
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// The dimension values, in the order asked.
    pub values: Vec<String>,
    /// Their catalogue names, where the dimension is a catalogue entry.
    pub labels: Vec<Option<String>>,
    pub figures: Figures,
}

/// Adds up the facts within `access` matching `filter`, grouped by `dimensions` (none: the
/// totals): two statements on PostgreSQL, three on SQLite.
pub async fn groups(
    db: &impl ConnectionTrait,
    contracts: &Reach,
    filter: &ReportFilter,
    dimensions: &[Dimension],
    today: NaiveDate,
) -> Result<Vec<Group>, AppError> {
    let backend = db.get_database_backend();
    let per_category = dimensions.iter().any(|d| d.per_category());
    let mut sql = Sql::new(backend);
    let (mut select, group_by) = select_dimensions(dimensions);
    let counts = count_expressions(&mut sql, per_category, today);
    for (count, expression) in &counts {
        select.push(format!("{expression} AS {}", count_alias(*count)));
    }
    let postgres = backend == DbBackend::Postgres;
    for measure in Timeliness::ALL {
        let column = timeliness_column(measure);
        select.push(format!("COUNT({column}) AS n{}", measure.index()));
        if postgres {
            select.push(format!(
                "percentile_disc(0.5) WITHIN GROUP (ORDER BY {column}) AS p50_{i}, \
                 percentile_disc(0.9) WITHIN GROUP (ORDER BY {column}) AS p90_{i}",
                i = measure.index()
            ));
        }
    }
    sql.text = format!("SELECT {}", select.join(", "));
    from_where(&mut sql, dimensions, contracts, filter, per_category, None);
    if !group_by.is_empty() {
        sql.text
            .push_str(&format!(" GROUP BY {}", group_by.join(", ")));
    }
    let rows = db.query_all_raw(sql.statement()).await?;

    let mut groups = Vec::with_capacity(rows.len());
    for row in &rows {
        let (values, labels) = row_key(row, dimensions)?;
        let mut tallies: Counts = [0; COUNTS];
        for (count, _) in &counts {
            let value: Option<i64> = row.try_get("", &count_alias(*count))?;
            tallies[count.index()] = u64::try_from(value.unwrap_or(0)).unwrap_or(0);
        }
        complete(&mut tallies);
        let mut timeliness = [Percentiles::default(); 3];
        for measure in Timeliness::ALL {
            let i = measure.index();
            let n: i64 = row.try_get("", &format!("n{i}"))?;
            timeliness[i].values = u64::try_from(n).unwrap_or(0);
            if postgres {
                timeliness[i].median = row
                    .try_get::<Option<i32>>("", &format!("p50_{i}"))?
                    .map(i64::from);
                timeliness[i].p90 = row
                    .try_get::<Option<i32>>("", &format!("p90_{i}"))?
                    .map(i64::from);
            }
        }
        groups.push(Group {
            values,
            labels,
            figures: Figures {
                counts: tallies,
                timeliness,
            },
        });
    }
    if !postgres {
        percentiles_from_histograms(db, contracts, filter, dimensions, &mut groups).await?;
    }
    Ok(groups)
}

fn count_alias(count: Count) -> String {
    format!("c{}", count.index())
}

/// Fills the percentiles of `groups` from one histogram statement (for engines without
/// `percentile_disc`).
async fn percentiles_from_histograms(
    db: &impl ConnectionTrait,
    contracts: &Reach,
    filter: &ReportFilter,
    dimensions: &[Dimension],
    groups: &mut [Group],
) -> Result<(), AppError> {
    let per_category = dimensions.iter().any(|d| d.per_category());
    let mut sql = Sql::new(db.get_database_backend());
    let (select, group_by) = select_dimensions(dimensions);
    for measure in Timeliness::ALL {
        let column = timeliness_column(measure);
        if measure.index() > 0 {
            sql.text.push_str(" UNION ALL ");
        }
        let mut columns = select.clone();
        columns.push(format!("{} AS measure", measure.index()));
        columns.push(format!("{column} AS days"));
        columns.push("COUNT(*) AS n".to_owned());
        sql.text.push_str(&format!("SELECT {}", columns.join(", ")));
        let present = format!("{column} IS NOT NULL");
        from_where(
            &mut sql,
            dimensions,
            contracts,
            filter,
            per_category,
            Some(present),
        );
        let mut keys: Vec<&str> = group_by.iter().map(String::as_str).collect();
        keys.push(column);
        sql.text.push_str(&format!(" GROUP BY {}", keys.join(", ")));
    }
    let rows = db.query_all_raw(sql.statement()).await?;

    let index: HashMap<Vec<String>, usize> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.values.clone(), i))
        .collect();
    let mut histograms: HashMap<(usize, usize), Vec<(i64, u64)>> = HashMap::new();
    for row in &rows {
        let (values, _) = row_key(row, dimensions)?;
        let measure: i64 = row.try_get("", "measure")?;
        let days: i64 = row.try_get("", "days")?;
        let n: i64 = row.try_get("", "n")?;
        if let Some(group) = index.get(&values) {
            histograms
                .entry((*group, usize::try_from(measure).unwrap_or(0)))
                .or_default()
                .push((days, u64::try_from(n).unwrap_or(0)));
        }
    }
    for ((group, measure), mut histogram) in histograms {
        if let Some(slot) = groups[group].figures.timeliness.get_mut(measure) {
            let values = slot.values;
            *slot = Percentiles::of_histogram(&mut histogram);
            slot.values = values;
        }
    }
    Ok(())
}

/// A position in the performance report: the last referral written (sending time and id).
pub type SentCursor = (chrono::DateTime<chrono::Utc>, Uuid);

/// The next `limit` sent referrals of `contract_ids` sent in `[from, before)`, oldest first,
/// after `after`: one statement on the `(contract_id, listed_at, id)` index.
pub async fn sent_page(
    db: &impl ConnectionTrait,
    contract_ids: &[Uuid],
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
        .filter(referral::Column::ContractId.is_in(contract_ids.iter().copied()))
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
