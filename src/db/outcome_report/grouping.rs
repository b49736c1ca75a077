//! The report's `GROUP BY` statement, in two levels so the work per fact stays small:
//!
//! 1. Inside, the facts (one row per referral, or per selected category: `report_referral` or
//!    `report_referral_category`, which repeats its referral's facts so no join is needed) are
//!    added up by the raw keys the dimensions need (`contract_id`, the delivery unit, a
//!    category, a fact column): no join per fact but one hashed look-up of the withdrawal
//!    reason's grouping (most facts have no reason).
//! 2. Outside, those partial rows are joined to the catalogue (region, PCC area, provider,
//!    names) and added up by the dimensions asked for.
//!
//! The one statement reads the facts once: every count, and each timeliness measure's values as
//! a comma-separated list (concatenated inside and again outside). Rows are read as they arrive
//! and each list is counted by value (`Distribution`), from which the percentiles are taken here
//! (nearest rank, `domain::outcome_report::measures`) on both engines alike, so no more than one
//! row's list is held at once. The
//! totals are the rows added up (counts and values) when every referral falls in exactly one
//! row. Under a category dimension the rows count a referral once per category; one of each
//! referral's category rows is marked (`first_of_referral`), and the statement groups by the
//! mark too, so the marked rows of each group count its referrals once: added up by the other
//! dimension they are that dimension's one-dimension report (its margin), and added up
//! altogether the totals. Under a category filter a referral's marked row may be filtered out,
//! so one more statement reads the referrals instead: by the other dimension alone when there
//! is one, else ungrouped. This rests on what the service keeps true: every sent referral has
//! at least one category (sending requires one, amendments never remove one), one row of each
//! is marked (a unique index, migration 18), and every outcome reported is of a selected
//! category, so a referral's outcomes are those of its category rows added up.
//!
//! On PostgreSQL these statements read one snapshot (exported by the first, imported by the
//! others), and a statement over a large facts table is split into pieces over ranges of its
//! pages, which a few connections take from one queue, and merged here: `string_agg` keeps
//! PostgreSQL before 16 from running the statement in parallel itself (`Reading`).

use chrono::NaiveDate;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::TryStreamExt;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, QueryResult, StreamTrait};
use uuid::Uuid;

use super::terms::{count_term, held_per_category, timeliness_column};
use super::{REGION, Reach, Sql};
use crate::domain::outcome_report::measures::{
    COUNTS, Count, Counts, Distribution, Figures, Percentiles, Timeliness, complete,
};
use crate::domain::outcome_report::{Dimension, NOT_KNOWN, ReportFilter};
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
            key: ("f.service_category_id", "k_category"),
            value: "g.k_category",
            label: "sc.name",
            joins: &[Join::Category],
        },
        Dimension::Complexity => Shape {
            key: ("f.complexity_level_id", "k_level"),
            value: "cl.complexity",
            label: "NULL",
            joins: &[Join::Level],
        },
        Dimension::Month => fact("f.sent_month", "k_month", "g.k_month"),
        Dimension::Quarter => fact("f.sent_quarter", "k_quarter", "g.k_quarter"),
        Dimension::Gender => fact("f.gender", "k_gender", "g.k_gender"),
        Dimension::Ethnicity => fact("f.ethnic_group", "k_ethnic", "g.k_ethnic"),
        Dimension::EthnicCategory => fact(
            "f.ethnic_category",
            "k_ethnic_category",
            "g.k_ethnic_category",
        ),
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
    /// Per category rows grouped by their `first_of_referral` mark too (column `own`), so a
    /// group's referrals are counted once by its marked rows.
    own: bool,
}

/// The plan of a read by `dimensions`; `own`: under a category dimension, group by the mark of
/// each referral's first category row as well.
fn plan(dimensions: &[Dimension], own: bool) -> Plan {
    let per_category = dimensions.iter().any(|d| d.per_category());
    let mut plan = Plan {
        inner_keys: Vec::new(),
        outer_select: Vec::new(),
        outer_group: Vec::new(),
        joins: Vec::new(),
        per_category,
        own: own && per_category,
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
    if plan.own {
        plan.inner_keys.push(("f.first_of_referral", "k_first"));
        plan.outer_select.push("g.k_first AS own".to_owned());
        plan.outer_group.push("g.k_first".to_owned());
    }
    plan.joins.sort();
    plan.joins.dedup();
    plan
}

/// The range of the facts table's pages one part of a split statement reads (PostgreSQL's
/// `ctid`, a TID range scan): from page `from`, up to page `to` (`None`: to the end, rows added
/// since the table was measured included).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pages {
    from: u64,
    to: Option<u64>,
}

impl Pages {
    /// Every page: the statement is not split.
    const ALL: Pages = Pages { from: 0, to: None };

    /// The conditions on `f.ctid` (page numbers are integers formatted here, not input).
    fn conditions(self) -> Vec<String> {
        let mut conditions = Vec::new();
        if self.from > 0 {
            conditions.push(format!("f.ctid >= '({},0)'::tid", self.from));
        }
        if let Some(to) = self.to {
            conditions.push(format!("f.ctid < '({to},0)'::tid"));
        }
        conditions
    }

    /// How many of a table's `table_pages` this range reads (as measured: the open end counts
    /// to the measured end).
    fn length(self, table_pages: u64) -> u64 {
        self.to.unwrap_or(table_pages).saturating_sub(self.from)
    }

    /// `table_pages` cut into at most `parts` ranges of at least `part_pages` pages each, the
    /// last open-ended; one range of everything when the table is too small to split.
    fn split(table_pages: u64, parts: usize, part_pages: u64) -> Vec<Pages> {
        let parts = (table_pages / part_pages.max(1)).min(parts as u64).max(1);
        if parts == 1 {
            return vec![Pages::ALL];
        }
        let per_part = table_pages.div_ceil(parts);
        (0..parts)
            .map(|i| Pages {
                from: i * per_part,
                to: (i + 1 < parts).then(|| (i + 1) * per_part),
            })
            .collect()
    }
}

/// `FROM … WHERE …` over the facts: the reachable contracts, the filter, and one row per
/// selected category when `per_category`.
fn facts_from_where(
    sql: &mut Sql,
    contracts: &Reach,
    filter: &ReportFilter,
    per_category: bool,
    pages: Pages,
) -> String {
    let mut text = String::from(if per_category {
        " FROM report_referral_category f"
    } else {
        " FROM report_referral f"
    });
    // The reason's grouping, by one hashed join (most facts have no reason).
    text.push_str(" LEFT JOIN withdrawal_reason w ON w.code = f.withdrawal_reason_code");
    let mut conditions: Vec<String> = pages.conditions();
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
    let categories = if per_category { "f" } else { "x" };
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
             (SELECT id FROM complexity_level WHERE complexity IN {})",
            sql.list(complexity)
        ));
    }
    if !category_conditions.is_empty() {
        if per_category {
            conditions.extend(category_conditions);
        } else {
            conditions.push(format!(
                "EXISTS (SELECT 1 FROM report_referral_category x \
                 WHERE x.referral_id = f.referral_id AND {})",
                category_conditions.join(" AND ")
            ));
        }
    }
    if !conditions.is_empty() {
        text.push_str(" WHERE ");
        text.push_str(&conditions.join(" AND "));
    }
    text
}

/// The outside of the statement: the catalogue joins after the partial rows `g`.
fn outer_from(plan: &Plan, inner: &str) -> String {
    let mut text = format!(" FROM ({inner}) g");
    for join in &plan.joins {
        text.push_str(join.sql());
    }
    text
}

/// A sum outside, as a 64-bit integer on both engines.
fn total(expression: &str) -> String {
    format!("CAST(SUM({expression}) AS BIGINT)")
}

/// The aggregate joining text values with commas (`NULL`s left out).
fn joined(backend: DbBackend, expression: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("string_agg({expression}, ',')"),
        _ => format!("group_concat({expression}, ',')"),
    }
}

/// The statement: per group, each count (`c<index>`) and each timeliness measure's values
/// (`v<index>`). Returns the counts it reads.
fn report_statement(
    sql: &mut Sql,
    plan: &Plan,
    contracts: &Reach,
    filter: &ReportFilter,
    today: NaiveDate,
    pages: Pages,
) -> Vec<Count> {
    // Placeholders in the order they appear: the select list's before the filter's.
    let today = sql.bind(today);
    let terms: Vec<(Count, String)> = Count::ALL
        .into_iter()
        .filter_map(|count| count_term(count, &today).map(|term| (count, term)))
        .collect();
    let mut inner_select = plan.inner_select();
    let mut select = plan.outer_select.clone();
    for (count, term) in &terms {
        let i = count.index();
        inner_select.push(format!("SUM({term}) AS s{i}"));
        select.push(format!("{} AS c{i}", total(&format!("g.s{i}"))));
    }
    for measure in Timeliness::ALL {
        let m = measure.index();
        let column = timeliness_column(measure);
        inner_select.push(format!(
            "{} AS v{m}",
            joined(sql.backend, &format!("CAST({column} AS TEXT)"))
        ));
        select.push(format!(
            "{} AS v{m}",
            joined(sql.backend, &format!("g.v{m}"))
        ));
    }
    let mut inner = format!(
        "SELECT {}{}",
        inner_select.join(", "),
        facts_from_where(sql, contracts, filter, plan.per_category, pages),
    );
    let inner_group = plan.inner_group();
    if !inner_group.is_empty() {
        inner.push_str(&format!(" GROUP BY {}", inner_group.join(", ")));
    }
    sql.text = format!("SELECT {}{}", select.join(", "), outer_from(plan, &inner));
    if !plan.outer_group.is_empty() {
        sql.text
            .push_str(&format!(" GROUP BY {}", plan.outer_group.join(", ")));
    }
    terms.into_iter().map(|(count, _)| count).collect()
}

/// The values of a comma-separated list from the statement, counted by value.
fn distribution_of(list: Option<String>) -> Result<Distribution, AppError> {
    let mut distribution = Distribution::default();
    for value in list.iter().flat_map(|list| list.split(',')) {
        let value = value.parse::<i32>().map_err(|_| {
            AppError::Internal(anyhow::anyhow!("a report value list held a non-number"))
        })?;
        distribution.add(value, 1);
    }
    Ok(distribution)
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
    /// Per dimension, the one-dimension report's groups where they are not the rows added up:
    /// a dimension beside a category dimension (its rows share referrals).
    pub margins: Vec<Option<Vec<Group>>>,
}

/// Each timeliness measure's values of one group, counted by value, in `Timeliness` order.
type Values = [Distribution; 3];

/// How a report's statements run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reading {
    /// Longest one statement may run.
    pub limit: Duration,
    /// On PostgreSQL, a report's statements are split into pieces over ranges of the facts
    /// tables' pages, read by at most this many connections at once and merged here: the
    /// statement concatenates values (`string_agg`), which PostgreSQL before 16 cannot run in
    /// parallel itself. 1: never split (a report's statements one after another on one
    /// connection).
    pub parts: usize,
    /// A part reads at least this many pages (8 KiB each) of facts: a smaller table is read
    /// by fewer parts, or one statement.
    pub part_pages: u64,
}

/// One group's sums as a statement (or one part of it) returns them.
struct Partial {
    values: Vec<String>,
    labels: Vec<Option<String>>,
    sums: Sums,
    /// Where the plan reads them: what the group's marked rows add (its referrals once each).
    own: Option<Sums>,
}

/// A group's counts and each timeliness measure's values, as added up so far; a group's
/// [`Partial::own`] sums are those of its referrals counted once each (by their marked
/// category row).
type Sums = (Counts, Values);

/// Pieces per connection when a report reads more than one table: its reads are cut finer
/// than the connections, so that connections pulling pieces from one queue finish together
/// although one table (the per-category facts) is larger than the other.
const PIECES_PER_CONNECTION: usize = 4;

/// How many pieces each read (of a table of `tables[read]` pages) is cut into for `parts`
/// connections: one read, into `parts`; several, into about `PIECES_PER_CONNECTION` pieces
/// per connection in all, shared by the size of each read's table, at least one each.
/// [`Pages::split`] then keeps every piece at least `part_pages` long.
fn pieces(tables: &[u64], parts: usize) -> Vec<usize> {
    if tables.len() < 2 {
        return vec![parts.max(1); tables.len()];
    }
    let all: u64 = tables.iter().sum();
    let wanted = (parts * PIECES_PER_CONNECTION) as u64;
    tables
        .iter()
        .map(|&pages| {
            let share = (pages * wanted + all / 2).checked_div(all).unwrap_or(1);
            usize::try_from(share.max(1)).unwrap_or(1)
        })
        .collect()
}

/// The pieces of a report's reads (each read's index and its range of pages), largest first,
/// and the transactions that read them. On PostgreSQL with splitting on, one statement
/// exports the snapshot and measures both facts tables, and no more than [`Reading::parts`]
/// transactions share the pieces, all on that snapshot. Otherwise one piece per read, shared
/// the same way by transactions of their own (on PostgreSQL one, repeatable-read, so again one
/// snapshot; on SQLite up to [`Reading::parts`], a snapshot each).
async fn parts_of(
    db: &DatabaseConnection,
    reading: Reading,
    plans: &[Plan],
) -> Result<(Vec<(usize, Pages)>, Vec<sea_orm::DatabaseTransaction>), AppError> {
    if db.get_database_backend() != DbBackend::Postgres || reading.parts < 2 {
        let mut txns = Vec::with_capacity(plans.len());
        for _ in 0..plans.len().min(reading.parts.max(1)) {
            txns.push(crate::db::begin_long_reads(db, reading.limit).await?);
        }
        return Ok((
            (0..plans.len()).map(|read| (read, Pages::ALL)).collect(),
            txns,
        ));
    }
    let pages = |table: &str| {
        format!(
            "CAST(pg_relation_size('{table}') / current_setting('block_size')::bigint AS BIGINT)"
        )
    };
    let also = format!(
        "{} AS facts, {} AS category_facts",
        pages("report_referral"),
        pages("report_referral_category")
    );
    let (first, snapshot, row) =
        crate::db::begin_exporting_snapshot(db, reading.limit, &also).await?;
    let facts: i64 = row.try_get("", "facts")?;
    let category_facts: i64 = row.try_get("", "category_facts")?;
    let tables: Vec<u64> = plans
        .iter()
        .map(|plan| {
            let table = if plan.per_category {
                category_facts
            } else {
                facts
            };
            u64::try_from(table).unwrap_or(0)
        })
        .collect();
    let mut parts = Vec::new();
    for (read, (&table, cut)) in tables
        .iter()
        .zip(pieces(&tables, reading.parts))
        .enumerate()
    {
        for piece in Pages::split(table, cut, reading.part_pages) {
            parts.push((read, piece));
        }
    }
    // Largest first, so the last pieces taken are short and the connections finish together.
    parts.sort_by_key(|&(read, piece)| std::cmp::Reverse(piece.length(tables[read])));
    let mut txns = vec![first];
    for _ in 1..parts.len().min(reading.parts) {
        txns.push(crate::db::begin_in_snapshot(db, reading.limit, &snapshot).await?);
    }
    Ok((parts, txns))
}

/// The groups one statement (one range of pages) returns, unmerged, read in `txn`.
async fn add_up_part(
    txn: &sea_orm::DatabaseTransaction,
    plan: &Plan,
    query: (&Reach, &ReportFilter, &[Dimension], NaiveDate),
    pages: Pages,
) -> Result<Vec<Partial>, AppError> {
    let (contracts, filter, dimensions, today) = query;
    let mut sql = Sql::new(ConnectionTrait::get_database_backend(txn));
    let counts = report_statement(&mut sql, plan, contracts, filter, today, pages);
    // Row by row, each value list counted as it arrives: a list can hold a value for most
    // referrals of the part, and no more than one row's is held at once.
    let mut rows = txn.stream_raw(sql.statement()).await?;
    let mut partials = Vec::new();
    while let Some(row) = rows.try_next().await? {
        let row = &row;
        let (values, labels) = row_key(row, dimensions)?;
        let mut tallies: Counts = [0; COUNTS];
        for count in &counts {
            let value: Option<i64> = row.try_get("", &format!("c{}", count.index()))?;
            tallies[count.index()] = u64::try_from(value.unwrap_or(0)).unwrap_or(0);
        }
        let mut measured: Values = Default::default();
        for measure in Timeliness::ALL {
            let m = measure.index();
            measured[m] = distribution_of(row.try_get("", &format!("v{m}"))?)?;
        }
        // The marked rows and the others of a group come as two rows: here they are one group,
        // and what the marked rows add is kept apart too.
        let own = if plan.own {
            let marked: i32 = row.try_get("", "own")?;
            Some(if marked == 1 {
                (tallies, measured.clone())
            } else {
                ([0; COUNTS], Values::default())
            })
        } else {
            None
        };
        partials.push(Partial {
            values,
            labels,
            sums: (tallies, measured),
            own,
        });
    }
    Ok(partials)
}

/// The parts' groups as one: a group's sums added and its values put together, in the order
/// each group first appears. A group may come more than once from one part too: as the rows
/// marked `first_of_referral` and as the others.
fn merge(parts: Vec<Vec<Partial>>) -> Vec<Partial> {
    let mut merged: Vec<Partial> = Vec::new();
    let mut index: HashMap<Vec<String>, usize> = HashMap::new();
    for partial in parts.into_iter().flatten() {
        match index.get(&partial.values) {
            Some(&i) => {
                let into = &mut merged[i];
                add_into(&mut into.sums, &partial.sums);
                if let (Some(into), Some(more)) = (&mut into.own, &partial.own) {
                    add_into(into, more);
                }
            }
            None => {
                index.insert(partial.values.clone(), merged.len());
                merged.push(partial);
            }
        }
    }
    merged
}

/// `more`'s counts added to `into`'s and its values put with them.
fn add_into(into: &mut Sums, more: &Sums) {
    for (total, count) in into.0.iter_mut().zip(&more.0) {
        *total += count;
    }
    for (values, more) in into.1.iter_mut().zip(&more.1) {
        values.absorb(more);
    }
}

/// One read's groups, each group's values and, where the read counts its referrals once too,
/// each group's own [`Sums`] (derived counts filled).
#[derive(Default)]
struct Read {
    groups: Vec<Group>,
    values: Vec<Values>,
    own: Vec<Sums>,
}

/// Merged groups made into a report's groups (derived counts filled, percentiles taken), with
/// each group's values and own figures.
fn finish(merged: Vec<Partial>) -> Read {
    let mut read = Read::default();
    for Partial {
        values,
        labels,
        sums: (mut tallies, measured),
        own,
    } in merged
    {
        if let Some((mut counts, own_values)) = own {
            // A category row holds that category's outcomes, and a referral's are those of all
            // its rows: the group's own take all of its rows', which added up over every
            // category (a margin's groups, or all of them) are the referrals' outcomes.
            for count in Count::ALL.into_iter().filter(|&c| held_per_category(c)) {
                counts[count.index()] = tallies[count.index()];
            }
            complete(&mut counts);
            read.own.push((counts, own_values));
        }
        complete(&mut tallies);
        let timeliness = Timeliness::ALL.map(|m| measured[m.index()].percentiles());
        read.groups.push(Group {
            values,
            labels,
            figures: Figures {
                counts: tallies,
                timeliness,
            },
        });
        read.values.push(measured);
    }
    read
}

/// Counts and timeliness by each of `reads` (a list of dimensions; none: one group of
/// everything), with each group's values, and with `own` each per-category read's own
/// [`Sums`] too. Every read is one statement, or pieces of it over ranges of the facts' pages,
/// which the transactions of [`parts_of`] take from one queue (no more statements at once
/// than [`Reading::parts`]); on PostgreSQL all read one snapshot of the database, so they add
/// up the same rows as one statement would.
async fn add_up(
    db: &DatabaseConnection,
    reading: Reading,
    query: (&Reach, &ReportFilter, NaiveDate),
    reads: &[&[Dimension]],
    own: bool,
) -> Result<Vec<Read>, AppError> {
    let (contracts, filter, today) = query;
    let plans: Vec<Plan> = reads
        .iter()
        .map(|dimensions| plan(dimensions, own))
        .collect();
    let (parts, txns) = parts_of(db, reading, &plans).await?;
    let next = AtomicUsize::new(0);
    let taken = futures_util::future::try_join_all(txns.into_iter().map(|txn| {
        let (parts, plans, next) = (&parts, &plans, &next);
        async move {
            let mut read_here = Vec::new();
            loop {
                let piece = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(read, pages)) = parts.get(piece) else {
                    break;
                };
                let query = (contracts, filter, reads[read], today);
                let partials = add_up_part(&txn, &plans[read], query, pages).await?;
                read_here.push((piece, read, partials));
            }
            txn.commit().await?;
            Ok::<_, AppError>(read_here)
        }
    }))
    .await?;
    // Merged in the pieces' order, whichever transaction read them.
    let mut taken: Vec<_> = taken.into_iter().flatten().collect();
    taken.sort_by_key(|&(piece, _, _)| piece);
    let mut by_read: Vec<Vec<Vec<Partial>>> = reads.iter().map(|_| Vec::new()).collect();
    for (_, read, partials) in taken {
        by_read[read].push(partials);
    }
    Ok(by_read.into_iter().map(|p| finish(merge(p))).collect())
}

/// The report's groups by `dimensions` and its totals, from one statement (or its parts).
/// Under a category dimension, whose rows share referrals, the totals (and beside it the other
/// dimension's one-dimension report, its margin) come from the groups' own figures; under a
/// category filter from a second statement over the referrals' facts instead.
pub async fn groups(
    db: &DatabaseConnection,
    reading: Reading,
    contracts: &Reach,
    filter: &ReportFilter,
    dimensions: &[Dimension],
    today: NaiveDate,
) -> Result<Grouped, AppError> {
    let query = (contracts, filter, today);
    if !dimensions.iter().any(|d| d.per_category()) {
        let read = add_up(db, reading, query, &[dimensions], false)
            .await?
            .pop()
            .unwrap_or_default();
        // Every referral is in exactly one row: the totals are the rows added up.
        let totals = added_up(&read.groups, &read.values);
        return Ok(Grouped {
            groups: read.groups,
            totals,
            margins: vec![None; dimensions.len()],
        });
    }
    // The dimension beside a category dimension, if any: its margin counts every referral in
    // exactly one row, and added up, its rows are the totals.
    let beside = match dimensions {
        [first, second] if first.per_category() != second.per_category() => {
            Some(usize::from(first.per_category()))
        }
        _ => None,
    };
    let unfiltered = filter.service_category_ids.is_none() && filter.complexity.is_none();
    let (groups, (margin, values)) = if unfiltered {
        // Every category row is read, so every referral's marked row is among them.
        let read = add_up(db, reading, query, &[dimensions], true)
            .await?
            .pop()
            .unwrap_or_default();
        let margin = referrals_by(&read, beside);
        (read.groups, margin)
    } else {
        // The filter may leave a referral's marked row out: its referrals are read apart, by
        // the other dimension alone (or ungrouped), counted once each.
        let alone = beside.map(|d| &dimensions[d..=d]).unwrap_or_default();
        let mut reads = add_up(db, reading, query, &[dimensions, alone], false)
            .await?
            .into_iter();
        let groups = reads.next().unwrap_or_default().groups;
        let margin = reads.next().unwrap_or_default();
        (groups, (margin.groups, margin.values))
    };
    let totals = added_up(&margin, &values);
    let mut margins: Vec<Option<Vec<Group>>> = vec![None; dimensions.len()];
    if let Some(d) = beside {
        margins[d] = Some(margin);
    }
    Ok(Grouped {
        groups,
        totals,
        margins,
    })
}

/// A read's own figures added up by the value of dimension `d` (none: into one group), in the
/// order each value first appears: every referral counted once, so by `d` they are `d`'s
/// one-dimension report. Returns its groups and each group's values.
fn referrals_by(read: &Read, d: Option<usize>) -> (Vec<Group>, Vec<Values>) {
    let mut index: HashMap<Option<&str>, usize> = HashMap::new();
    let mut sums: Vec<(Vec<String>, Vec<Option<String>>, Sums)> = Vec::new();
    for (group, own) in read.groups.iter().zip(&read.own) {
        let key = d.map(|d| group.values[d].as_str());
        let at = *index.entry(key).or_insert_with(|| {
            let values = d.map(|d| vec![group.values[d].clone()]).unwrap_or_default();
            let labels = d.map(|d| vec![group.labels[d].clone()]).unwrap_or_default();
            sums.push((values, labels, ([0; COUNTS], Values::default())));
            sums.len() - 1
        });
        add_into(&mut sums[at].2, own);
    }
    sums.into_iter()
        .map(|(values, labels, (counts, measured))| {
            let timeliness = Timeliness::ALL.map(|m| measured[m.index()].percentiles());
            let figures = Figures { counts, timeliness };
            (
                Group {
                    values,
                    labels,
                    figures,
                },
                measured,
            )
        })
        .unzip()
}

/// The figures of groups that count every referral once between them: their counts added and
/// their values put together.
fn added_up(groups: &[Group], values: &[Values]) -> Figures {
    let mut counts: Counts = [0; COUNTS];
    for group in groups {
        for (total, count) in counts.iter_mut().zip(&group.figures.counts) {
            *total += count;
        }
    }
    let mut timeliness = [Percentiles::default(); 3];
    for measure in Timeliness::ALL {
        let m = measure.index();
        let mut merged = Distribution::default();
        for group in values {
            merged.absorb(&group[m]);
        }
        timeliness[m] = merged.percentiles();
    }
    Figures { counts, timeliness }
}

#[cfg(test)]
mod tests {
    use super::{
        COUNTS, Count, Distribution, PIECES_PER_CONNECTION, Pages, Partial, Values, finish, merge,
        pieces, referrals_by,
    };

    /// A group's partial sums: `rows` category rows, `achieved` outcomes, one value of days to
    /// assignment per row; `marked` rows (when the read counts them) among them.
    fn partial(values: [&str; 2], rows: u64, achieved: u64, marked: Option<u64>) -> Partial {
        let counts = |rows: u64, achieved: u64| {
            let mut counts = [0; COUNTS];
            counts[Count::ReferralsSent.index()] = rows;
            counts[Count::OutcomesAchieved.index()] = achieved;
            counts
        };
        let days = |rows: u64| {
            let mut values = Values::default();
            values[0].add(3, rows);
            values
        };
        Partial {
            values: values.map(str::to_owned).to_vec(),
            labels: vec![None, None],
            sums: (counts(rows, achieved), days(rows)),
            own: marked.map(|m| (counts(m, 0), days(m))),
        }
    }

    #[test]
    fn marked_and_unmarked_rows_of_a_group_make_one_group_and_count_its_referrals_once() {
        // Category A × unit u1: 5 rows, 4 marked, in two pieces; the unmarked row comes from
        // the same piece as the first marked ones. Category B × u1: 3 rows, 1 marked.
        let first = vec![
            partial(["A", "u1"], 3, 2, Some(3)),
            partial(["A", "u1"], 1, 1, Some(0)),
        ];
        let second = vec![
            partial(["A", "u1"], 1, 0, Some(1)),
            partial(["B", "u1"], 1, 0, Some(1)),
            partial(["B", "u1"], 2, 1, Some(0)),
        ];
        let read = finish(merge(vec![first, second]));
        assert_eq!(read.groups.len(), 2, "one group per category and unit");
        let sent = |counts: &[u64; COUNTS]| counts[Count::ReferralsSent.index()];
        assert_eq!(sent(&read.groups[0].figures.counts), 5);
        assert_eq!(sent(&read.groups[1].figures.counts), 3);
        // The unit's margin: 5 referrals (4 + 1 marked rows); its outcomes are all of its
        // category rows' (2 + 1 + 0 + 0 + 1).
        let (margin, values) = referrals_by(&read, Some(1));
        assert_eq!(margin.len(), 1);
        assert_eq!(margin[0].values, ["u1"]);
        assert_eq!(sent(&margin[0].figures.counts), 5);
        assert_eq!(margin[0].figures.counts[Count::OutcomesAchieved.index()], 4);
        let mut expected = Distribution::default();
        expected.add(3, 5);
        assert_eq!(values[0][0], expected);
        assert_eq!(margin[0].figures.timeliness[0].values, 5);
        // Added up altogether: the same one group.
        let (all, _) = referrals_by(&read, None);
        assert_eq!(all.len(), 1);
        assert!(all[0].values.is_empty());
        assert_eq!(all[0].figures.counts, margin[0].figures.counts);
    }

    #[test]
    fn one_read_is_cut_into_as_many_pieces_as_connections() {
        assert_eq!(pieces(&[40_000], 2), [2]);
        assert_eq!(pieces(&[40_000], 1), [1]);
        assert!(pieces(&[], 2).is_empty());
    }

    #[test]
    fn several_reads_share_the_pieces_by_the_size_of_their_tables() {
        // A category report: the per-category facts twice the referrals' facts.
        let cut = pieces(&[20_000, 10_000], 2);
        assert_eq!(cut.iter().sum::<usize>(), 2 * PIECES_PER_CONNECTION);
        assert_eq!(cut, [5, 3]);
        // Three reads, each at least one piece.
        let cut = pieces(&[20_000, 10_000, 10_000], 2);
        assert_eq!(cut, [4, 2, 2]);
        assert_eq!(pieces(&[1, 0, 100_000], 2), [1, 1, 8]);
        assert_eq!(pieces(&[0, 0], 3), [1, 1]);
    }

    #[test]
    fn a_table_is_split_into_ranges_that_cover_every_page_once() {
        let parts = Pages::split(10_001, 4, 1_000);
        assert_eq!(parts.len(), 4);
        assert_eq!(parts[0].from, 0);
        for pair in parts.windows(2) {
            assert_eq!(pair[0].to, Some(pair[1].from));
        }
        // The last range is open: rows added after the table was measured are read too.
        assert_eq!(parts[3].to, None);
        assert!(parts[3].from < 10_001);
    }

    #[test]
    fn a_small_table_is_read_by_fewer_parts_or_one_statement() {
        assert_eq!(Pages::split(2_500, 4, 1_000).len(), 2);
        assert_eq!(Pages::split(1_999, 4, 1_000), vec![Pages::ALL]);
        assert_eq!(Pages::split(0, 4, 1_000), vec![Pages::ALL]);
        assert_eq!(Pages::split(10_000, 1, 1), vec![Pages::ALL]);
        assert!(Pages::ALL.conditions().is_empty());
        assert_eq!(Pages::ALL.length(70), 70);
        assert_eq!(Pages::split(10_000, 4, 1)[1].length(10_000), 2_500);
        assert_eq!(
            Pages {
                from: 5,
                to: Some(9)
            }
            .conditions(),
            ["f.ctid >= '(5,0)'::tid", "f.ctid < '(9,0)'::tid"]
        );
    }
}
