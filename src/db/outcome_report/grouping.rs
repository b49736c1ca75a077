//! The report's `GROUP BY` statements, in two levels so the work per fact stays small:
//!
//! 1. Inside, the facts (one row per referral, or per selected category) are added up by the
//!    raw keys the dimensions need (`contract_id`, the delivery unit, a category, a fact
//!    column), with the status and the withdrawal reason as keys too: no join per fact.
//! 2. Outside, those few thousand partial rows are joined to the catalogue (region, PCC area,
//!    provider, names, the reason's grouping) and added up by the dimensions asked for.
//!
//! One statement gives the counts; a second, in three `UNION ALL` branches, gives a histogram
//! of each timeliness measure per group, from which the percentiles are taken (nearest rank,
//! `domain::outcome_report::measures`) on both engines alike. The totals are the rows added up
//! (counts and histograms) when every referral falls in exactly one row; under a category
//! dimension the same two statements run once more without grouping.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult};
use uuid::Uuid;

use super::{REGION, Reach, Sql};
use crate::domain::outcome_report::measures::{
    COUNTS, Count, Counts, Figures, Percentiles, Timeliness, WITHDRAWAL_GROUPINGS, complete,
};
use crate::domain::outcome_report::{Dimension, NOT_KNOWN, ReportFilter};
use crate::domain::referral::ReferralStatus;
use crate::error::AppError;

/// A catalogue table joined outside, in the order joins must come.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Join {
    Contract,
    ContractArea,
    Region,
    Unit,
    UnitArea,
    Provider,
    ContractType,
    Category,
    Level,
}

impl Join {
    fn sql(self) -> &'static str {
        match self {
            Join::Contract => " LEFT JOIN contract c ON c.id = g.k_contract",
            Join::ContractArea => " LEFT JOIN pcc_area ca ON ca.code = c.pcc_area_code",
            Join::Region => {
                " LEFT JOIN region rg ON rg.code = COALESCE(c.region_code, ca.region_code)"
            }
            Join::Unit => " LEFT JOIN probation_delivery_unit u ON u.code = g.k_unit",
            Join::UnitArea => " LEFT JOIN pcc_area pa ON pa.code = u.pcc_area_code",
            Join::Provider => " LEFT JOIN service_provider sp ON sp.code = c.prime_provider_code",
            Join::ContractType => " LEFT JOIN contract_type ct ON ct.code = c.contract_type_code",
            Join::Category => " LEFT JOIN service_category sc ON sc.id = g.k_category",
            Join::Level => " LEFT JOIN complexity_level cl ON cl.id = g.k_level",
        }
    }
}

/// How a dimension is read: the raw key added up inside (its expression and alias), its value
/// and label outside, and the joins those need.
struct Shape {
    key: (&'static str, &'static str),
    value: &'static str,
    label: &'static str,
    joins: &'static [Join],
}

fn shape(dimension: Dimension) -> Shape {
    let fact = |column, alias, value| Shape {
        key: (column, alias),
        value,
        label: "NULL",
        joins: &[],
    };
    match dimension {
        Dimension::Region => Shape {
            key: ("f.contract_id", "k_contract"),
            value: REGION,
            label: "rg.name",
            joins: &[Join::Contract, Join::ContractArea, Join::Region],
        },
        Dimension::PccArea => Shape {
            key: ("f.probation_delivery_unit_code", "k_unit"),
            value: "u.pcc_area_code",
            label: "pa.name",
            joins: &[Join::Unit, Join::UnitArea],
        },
        Dimension::ProbationDeliveryUnit => Shape {
            key: ("f.probation_delivery_unit_code", "k_unit"),
            value: "g.k_unit",
            label: "u.name",
            joins: &[Join::Unit],
        },
        Dimension::Provider => Shape {
            key: ("f.contract_id", "k_contract"),
            value: "c.prime_provider_code",
            label: "sp.name",
            joins: &[Join::Contract, Join::Provider],
        },
        Dimension::Contract => Shape {
            key: ("f.contract_id", "k_contract"),
            value: "c.reference",
            label: "c.reference",
            joins: &[Join::Contract],
        },
        Dimension::ContractType => Shape {
            key: ("f.contract_id", "k_contract"),
            value: "c.contract_type_code",
            label: "ct.name",
            joins: &[Join::Contract, Join::ContractType],
        },
        Dimension::ServiceCategory => Shape {
            key: ("rc.service_category_id", "k_category"),
            value: "g.k_category",
            label: "sc.name",
            joins: &[Join::Category],
        },
        Dimension::Complexity => Shape {
            key: ("rc.complexity_level_id", "k_level"),
            value: "cl.complexity",
            label: "NULL",
            joins: &[Join::Level],
        },
        Dimension::Month => fact("f.sent_month", "k_month", "g.k_month"),
        Dimension::Quarter => fact("f.sent_quarter", "k_quarter", "g.k_quarter"),
        Dimension::Gender => fact("f.gender", "k_gender", "g.k_gender"),
        Dimension::Ethnicity => fact("f.ethnic_group", "k_ethnic", "g.k_ethnic"),
        Dimension::AgeBand => fact("f.age_band", "k_age", "g.k_age"),
        Dimension::LocationType => fact("f.location_type", "k_location", "g.k_location"),
    }
}

impl Plan {
    /// `expression AS alias` of each raw key, for the inner `SELECT`.
    fn inner_select(&self) -> Vec<String> {
        self.inner_keys
            .iter()
            .map(|(expression, alias)| format!("{expression} AS {alias}"))
            .collect()
    }

    /// The raw keys' expressions, for the inner `GROUP BY`.
    fn inner_group(&self) -> Vec<String> {
        self.inner_keys
            .iter()
            .map(|(e, _)| (*e).to_owned())
            .collect()
    }
}

/// The parts of a report statement that depend on its dimensions.
struct Plan {
    /// Raw keys added up inside: `(expression, alias)`.
    inner_keys: Vec<(&'static str, &'static str)>,
    /// `value AS d0, label AS l0, …`.
    outer_select: Vec<String>,
    /// What the outside groups by.
    outer_group: Vec<String>,
    /// The catalogue joins outside.
    joins: Vec<Join>,
    per_category: bool,
}

fn plan(dimensions: &[Dimension]) -> Plan {
    let mut plan = Plan {
        inner_keys: Vec::new(),
        outer_select: Vec::new(),
        outer_group: Vec::new(),
        joins: Vec::new(),
        per_category: dimensions.iter().any(|d| d.per_category()),
    };
    for (i, dimension) in dimensions.iter().enumerate() {
        let shape = shape(*dimension);
        if !plan.inner_keys.contains(&shape.key) {
            plan.inner_keys.push(shape.key);
        }
        plan.outer_select.push(format!("{} AS d{i}", shape.value));
        plan.outer_select.push(format!("{} AS l{i}", shape.label));
        plan.outer_group.push(shape.value.to_owned());
        if shape.label != "NULL" && shape.label != shape.value {
            plan.outer_group.push(shape.label.to_owned());
        }
        plan.joins.extend_from_slice(shape.joins);
    }
    plan.joins.sort();
    plan.joins.dedup();
    plan
}

/// `FROM … WHERE …` over the facts: the reachable contracts, the filter, and one row per
/// selected category when `per_category`; `extra` is one more condition.
fn facts_from_where(
    sql: &mut Sql,
    contracts: &Reach,
    filter: &ReportFilter,
    per_category: bool,
    extra: Option<&str>,
) -> String {
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
    if per_category {
        text.push_str(" JOIN report_category rc ON rc.referral_id = f.referral_id");
    }
    // Filters on the catalogue become look-ups in its small tables.
    let mut contract_conditions = Vec::new();
    for (column, values) in [
        ("prime_provider_code", &filter.provider_codes),
        ("reference", &filter.contract_references),
        ("contract_type_code", &filter.contract_type_codes),
    ] {
        if let Some(values) = values {
            contract_conditions.push(format!("{column} IN {}", sql.list(values)));
        }
    }
    if !contract_conditions.is_empty() {
        conditions.push(format!(
            "f.contract_id IN (SELECT id FROM contract WHERE {})",
            contract_conditions.join(" AND ")
        ));
    }
    if let Some(areas) = &filter.pcc_area_codes {
        conditions.push(format!(
            "f.probation_delivery_unit_code IN \
             (SELECT code FROM probation_delivery_unit WHERE pcc_area_code IN {})",
            sql.list(areas)
        ));
    }
    if let Some(units) = &filter.probation_delivery_unit_codes {
        conditions.push(format!(
            "f.probation_delivery_unit_code IN {}",
            sql.list(units)
        ));
    }
    if let Some(from) = filter.sent_from {
        conditions.push(format!("f.sent_on >= {}", sql.bind(from)));
    }
    if let Some(to) = filter.sent_to {
        conditions.push(format!("f.sent_on <= {}", sql.bind(to)));
    }
    // Category filters apply to the category row itself when rows are per category, else to
    // any of the referral's categories.
    let (categories, levels) = if per_category {
        ("rc", "rl")
    } else {
        ("x", "xl")
    };
    let mut category_conditions = Vec::new();
    if let Some(ids) = &filter.service_category_ids {
        category_conditions.push(format!(
            "{categories}.service_category_id IN {}",
            sql.list(ids)
        ));
    }
    if let Some(complexity) = &filter.complexity {
        category_conditions.push(format!(
            "{categories}.complexity_level_id IN \
             (SELECT id FROM complexity_level {levels} WHERE {levels}.complexity IN {})",
            sql.list(complexity)
        ));
    }
    if !category_conditions.is_empty() {
        if per_category {
            conditions.extend(category_conditions);
        } else {
            conditions.push(format!(
                "EXISTS (SELECT 1 FROM report_category x WHERE x.referral_id = f.referral_id \
                 AND {})",
                category_conditions.join(" AND ")
            ));
        }
    }
    conditions.extend(extra.map(str::to_owned));
    if !conditions.is_empty() {
        text.push_str(" WHERE ");
        text.push_str(&conditions.join(" AND "));
    }
    text
}

/// The outside of a statement: the catalogue joins after the partial rows `g`.
fn outer_from(plan: &Plan, with_reasons: bool, inner: &str) -> String {
    let mut text = format!(" FROM ({inner}) g");
    for join in &plan.joins {
        text.push_str(join.sql());
    }
    if with_reasons {
        text.push_str(" LEFT JOIN withdrawal_reason w ON w.code = g.withdrawal_reason_code");
    }
    text
}

/// A sum outside, as a 64-bit integer on both engines.
fn total(expression: &str) -> String {
    format!("CAST(SUM({expression}) AS BIGINT)")
}

/// The counts statement.
fn counts_statement(
    sql: &mut Sql,
    plan: &Plan,
    contracts: &Reach,
    filter: &ReportFilter,
    today: NaiveDate,
) -> Vec<Count> {
    let outcomes = if plan.per_category { "rc" } else { "f" };
    let today = sql.bind(today);
    let mut inner_select = plan.inner_select();
    inner_select.extend([
        "f.status AS status".to_owned(),
        "f.withdrawal_reason_code AS withdrawal_reason_code".to_owned(),
        "COUNT(*) AS n".to_owned(),
    ]);
    let sums = [
        (Count::AssessmentsAttended, "f.assessments_attended"),
        (Count::AssessmentsMissed, "f.assessments_missed"),
        (Count::SessionsPlanned, "f.sessions_planned"),
        (Count::SessionsAttended, "f.sessions_attended"),
        (Count::SessionsMissed, "f.sessions_missed"),
    ];
    for (count, column) in sums {
        inner_select.push(format!("SUM({column}) AS s{}", count.index()));
    }
    for (count, column) in [
        (Count::OutcomesAchieved, "outcomes_achieved"),
        (
            Count::OutcomesPartiallyAchieved,
            "outcomes_partially_achieved",
        ),
        (Count::OutcomesNotAchieved, "outcomes_not_achieved"),
    ] {
        inner_select.push(format!("SUM({outcomes}.{column}) AS s{}", count.index()));
    }
    inner_select.push(format!(
        "SUM(CASE WHEN f.concluded_on IS NOT NULL AND f.concluded_on <= f.completion_deadline \
         THEN 1 ELSE 0 END) AS s{}",
        Count::ConcludedByDeadline.index()
    ));
    inner_select.push(format!(
        "SUM(CASE WHEN f.completion_deadline IS NOT NULL AND (f.concluded_on IS NOT NULL \
         OR f.completion_deadline < {today}) THEN 1 ELSE 0 END) AS s{}",
        Count::DeadlineReached.index()
    ));
    let mut inner_keys = plan.inner_group();
    inner_keys.extend(["f.status".to_owned(), "f.withdrawal_reason_code".to_owned()]);
    let inner = format!(
        "SELECT {}{} GROUP BY {}",
        inner_select.join(", "),
        facts_from_where(sql, contracts, filter, plan.per_category, None),
        inner_keys.join(", ")
    );

    let mut select = plan.outer_select.clone();
    let mut counts = vec![Count::ReferralsSent];
    select.push(format!(
        "{} AS c{}",
        total("g.n"),
        Count::ReferralsSent.index()
    ));
    let concluded = [
        ReferralStatus::Completed,
        ReferralStatus::Cancelled,
        ReferralStatus::PrematurelyEnded,
    ];
    let quoted: Vec<String> = concluded
        .iter()
        .map(|s| format!("'{}'", s.code()))
        .collect();
    select.push(format!(
        "{} AS c{}",
        total(&format!(
            "CASE WHEN g.status IN ({}) THEN 0 ELSE g.n END",
            quoted.join(", ")
        )),
        Count::Open.index()
    ));
    counts.push(Count::Open);
    for (count, status) in [
        (Count::Completed, ReferralStatus::Completed),
        (Count::Cancelled, ReferralStatus::Cancelled),
        (Count::PrematurelyEnded, ReferralStatus::PrematurelyEnded),
    ] {
        select.push(format!(
            "{} AS c{}",
            total(&format!(
                "CASE WHEN g.status = '{}' THEN g.n ELSE 0 END",
                status.code()
            )),
            count.index()
        ));
        counts.push(count);
    }
    for grouping in WITHDRAWAL_GROUPINGS {
        if let Some(count) = Count::withdrawn(grouping) {
            select.push(format!(
                "{} AS c{}",
                total(&format!(
                    "CASE WHEN w.\"grouping\" = '{grouping}' THEN g.n ELSE 0 END"
                )),
                count.index()
            ));
            counts.push(count);
        }
    }
    for count in [
        Count::AssessmentsAttended,
        Count::AssessmentsMissed,
        Count::SessionsPlanned,
        Count::SessionsAttended,
        Count::SessionsMissed,
        Count::OutcomesAchieved,
        Count::OutcomesPartiallyAchieved,
        Count::OutcomesNotAchieved,
        Count::ConcludedByDeadline,
        Count::DeadlineReached,
    ] {
        select.push(format!(
            "{} AS c{}",
            total(&format!("g.s{}", count.index())),
            count.index()
        ));
        counts.push(count);
    }
    sql.text = format!(
        "SELECT {}{}",
        select.join(", "),
        outer_from(plan, true, &inner)
    );
    if !plan.outer_group.is_empty() {
        sql.text
            .push_str(&format!(" GROUP BY {}", plan.outer_group.join(", ")));
    }
    counts
}

/// The timeliness columns, in `Timeliness` order.
fn timeliness_column(measure: Timeliness) -> &'static str {
    match measure {
        Timeliness::DaysToAssignment => "f.days_to_assignment",
        Timeliness::DaysToAssessment => "f.days_to_assessment",
        Timeliness::DaysToFirstSession => "f.days_to_first_session",
    }
}

/// The histogram statement: per group, each measure's values and how many have each.
fn histogram_statement(sql: &mut Sql, plan: &Plan, contracts: &Reach, filter: &ReportFilter) {
    let inner_keys = plan.inner_group();
    let mut branches = Vec::new();
    for measure in Timeliness::ALL {
        let column = timeliness_column(measure);
        let mut inner_select = plan.inner_select();
        inner_select.push(format!("{column} AS v"));
        inner_select.push("COUNT(*) AS n".to_owned());
        let present = format!("{column} IS NOT NULL");
        let mut keys = inner_keys.clone();
        keys.push(column.to_owned());
        let inner = format!(
            "SELECT {}{} GROUP BY {}",
            inner_select.join(", "),
            facts_from_where(sql, contracts, filter, plan.per_category, Some(&present)),
            keys.join(", ")
        );
        let mut select = plan.outer_select.clone();
        select.push(format!("{} AS measure", measure.index()));
        select.push("g.v AS v".to_owned());
        select.push(format!("{} AS n", total("g.n")));
        let mut group = plan.outer_group.clone();
        group.push("g.v".to_owned());
        branches.push(format!(
            "SELECT {}{} GROUP BY {}",
            select.join(", "),
            outer_from(plan, false, &inner),
            group.join(", ")
        ));
    }
    sql.text = branches.join(" UNION ALL ");
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

/// The groups of a report and its totals.
#[derive(Clone, Debug, PartialEq)]
pub struct Grouped {
    pub groups: Vec<Group>,
    pub totals: Figures,
}

/// Counts and histograms by `dimensions` (none: one group of everything): two statements.
async fn add_up(
    db: &impl ConnectionTrait,
    contracts: &Reach,
    filter: &ReportFilter,
    dimensions: &[Dimension],
    today: NaiveDate,
) -> Result<(Vec<Group>, Vec<HashMap<i64, u64>>), AppError> {
    let backend = db.get_database_backend();
    let plan = plan(dimensions);
    let mut sql = Sql::new(backend);
    let counts = counts_statement(&mut sql, &plan, contracts, filter, today);
    let rows = db.query_all_raw(sql.statement()).await?;
    let mut groups = Vec::with_capacity(rows.len());
    let mut index: HashMap<Vec<String>, usize> = HashMap::new();
    for row in &rows {
        let (values, labels) = row_key(row, dimensions)?;
        let mut tallies: Counts = [0; COUNTS];
        for count in &counts {
            let value: Option<i64> = row.try_get("", &format!("c{}", count.index()))?;
            tallies[count.index()] = u64::try_from(value.unwrap_or(0)).unwrap_or(0);
        }
        complete(&mut tallies);
        index.insert(values.clone(), groups.len());
        groups.push(Group {
            values,
            labels,
            figures: Figures {
                counts: tallies,
                timeliness: [Percentiles::default(); 3],
            },
        });
    }

    let mut sql = Sql::new(backend);
    histogram_statement(&mut sql, &plan, contracts, filter);
    let rows = db.query_all_raw(sql.statement()).await?;
    // Per group and measure: value → how many.
    let mut histograms: Vec<HashMap<i64, u64>> = vec![HashMap::new(); groups.len() * 3];
    for row in &rows {
        let (values, _) = row_key(row, dimensions)?;
        let measure: i32 = row.try_get("", "measure")?;
        let days: i32 = row.try_get("", "v")?;
        let n: Option<i64> = row.try_get("", "n")?;
        let (Some(group), Ok(measure)) = (index.get(&values), usize::try_from(measure)) else {
            continue;
        };
        if let Some(histogram) = histograms.get_mut(group * 3 + measure) {
            *histogram.entry(i64::from(days)).or_default() +=
                u64::try_from(n.unwrap_or(0)).unwrap_or(0);
        }
    }
    for (g, group) in groups.iter_mut().enumerate() {
        for measure in Timeliness::ALL {
            let m = measure.index();
            let mut histogram: Vec<(i64, u64)> = histograms[g * 3 + m]
                .iter()
                .map(|(v, n)| (*v, *n))
                .collect();
            group.figures.timeliness[m] = Percentiles::of_histogram(&mut histogram);
        }
    }
    Ok((groups, histograms))
}

/// The report's groups by `dimensions` and its totals: two statements, four under a category
/// dimension (whose rows overlap, so the totals are counted again).
pub async fn groups(
    db: &impl ConnectionTrait,
    contracts: &Reach,
    filter: &ReportFilter,
    dimensions: &[Dimension],
    today: NaiveDate,
) -> Result<Grouped, AppError> {
    let (groups, histograms) = add_up(db, contracts, filter, dimensions, today).await?;
    let totals = if dimensions.iter().any(|d| d.per_category()) {
        let (mut all, _) = add_up(db, contracts, filter, &[], today).await?;
        match all.pop() {
            Some(group) => group.figures,
            None => empty_figures(),
        }
    } else {
        // Every referral is in exactly one row: the totals are the rows added up.
        let mut counts: Counts = [0; COUNTS];
        for group in &groups {
            for (total, count) in counts.iter_mut().zip(&group.figures.counts) {
                *total += count;
            }
        }
        let mut timeliness = [Percentiles::default(); 3];
        for measure in Timeliness::ALL {
            let m = measure.index();
            let mut merged: HashMap<i64, u64> = HashMap::new();
            for g in 0..groups.len() {
                for (v, n) in &histograms[g * 3 + m] {
                    *merged.entry(*v).or_default() += n;
                }
            }
            let mut histogram: Vec<(i64, u64)> = merged.into_iter().collect();
            timeliness[m] = Percentiles::of_histogram(&mut histogram);
        }
        Figures { counts, timeliness }
    };
    Ok(Grouped { groups, totals })
}

fn empty_figures() -> Figures {
    Figures {
        counts: [0; COUNTS],
        timeliness: [Percentiles::default(); 3],
    }
}
