//! The outcome report: who may run it and over which referrals, keeping each referral's facts
//! in step with its changes, and publishing the figures with small counts withheld.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use uuid::Uuid;

use super::Services;
use crate::db;
use crate::domain::actor::Scope;
use crate::domain::catalogue::uk_date;
use crate::domain::outcome_report::disclosure::{self, Withheld};
use crate::domain::outcome_report::facts::facts;
use crate::domain::outcome_report::measures::{
    COUNTS, Count, Figures, Percentiles, Rates, Timeliness,
};
use crate::domain::outcome_report::{
    Dimension, ReportAccess, ReportFilter, ReportRequestError, check_request, fixed_label,
};
use crate::domain::record::ReferralRecord;
use crate::domain::referral::ReferralAccess;
use crate::error::field_code as code;
use crate::error::{AppError, FieldError};

/// Turns to run a disclosure audit: one per core, shared by every report of the process.
static AUDITS: std::sync::LazyLock<tokio::sync::Semaphore> = std::sync::LazyLock::new(|| {
    tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
});

/// How the report is published.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReportPolicy {
    /// Counts from 1 to one below this are withheld (`CRS_SUPPRESSION_THRESHOLD`).
    pub suppression_threshold: u64,
    /// Referrals read per page of a download (`CRS_DOWNLOAD_PAGE_SIZE`).
    pub download_page_size: u64,
    /// Longest a report's statement may run (`CRS_REPORT_STATEMENT_TIMEOUT_MS`, PostgreSQL).
    pub statement_timeout: std::time::Duration,
    /// Connections a report's statements, split into pieces, are read by at most, at once
    /// (`CRS_REPORT_SCAN_PARTS`, PostgreSQL; 1: never split).
    pub scan_parts: usize,
    /// Pages of facts each piece reads at least (`CRS_REPORT_PART_PAGES`).
    pub part_pages: u64,
}

/// Connections a report's pieces are read by unless configured otherwise
/// (`CRS_REPORT_SCAN_PARTS`).
pub const SCAN_PARTS: usize = 2;

/// Pages of facts (8 KiB each, about 30 referrals a page) a piece reads at least unless
/// configured otherwise (`CRS_REPORT_PART_PAGES`): below two of these (about 120,000 facts)
/// a report is one statement.
pub const PART_PAGES: u64 = 2_048;

/// Referrals read per page of a download unless configured otherwise (`CRS_DOWNLOAD_PAGE_SIZE`).
pub const DOWNLOAD_PAGE_SIZE: u64 = 500;

impl Default for ReportPolicy {
    fn default() -> Self {
        ReportPolicy {
            suppression_threshold: 5,
            download_page_size: DOWNLOAD_PAGE_SIZE,
            statement_timeout: std::time::Duration::from_secs(30),
            scan_parts: SCAN_PARTS,
            part_pages: PART_PAGES,
        }
    }
}

/// What is recorded about these referrals that reports are made from (sent ones only): nine
/// statements whatever their number. Delivery sessions, case notes and notifications are left
/// empty: no report reads them.
pub(crate) async fn records(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<ReferralRecord>, AppError> {
    let referrals = db::referrals::find_many(db, &ReferralAccess::AllSent, ids).await?;
    let mut selections = by_referral(db::referrals::selections(db, ids).await?, |(r, _)| *r);
    let mut events = by_referral(db::referrals::events_of(db, ids).await?, |e| e.referral_id);
    let mut appointments = by_referral(db::delivery::appointments_of(db, ids).await?, |a| {
        a.referral_id
    });
    let mut plans = by_referral(db::delivery::plans_of(db, ids).await?, |p| p.referral_id);
    let mut reports = by_referral(db::delivery::reports_of(db, ids).await?, |r| r.referral_id);
    Ok(referrals
        .into_iter()
        .map(|referral| {
            let id = referral.id;
            ReferralRecord {
                selections: selections
                    .remove(&id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(_, s)| s)
                    .collect(),
                events: events.remove(&id).unwrap_or_default(),
                case_notes: Vec::new(),
                appointments: appointments.remove(&id).unwrap_or_default(),
                plans: plans.remove(&id).unwrap_or_default(),
                sessions: Vec::new(),
                report: reports.remove(&id).and_then(|r| r.into_iter().next()),
                notifications: Vec::new(),
                changes: Vec::new(),
                referral,
            }
        })
        .collect())
}

/// Rows of many referrals by referral, each referral's in the order read.
fn by_referral<T>(rows: Vec<T>, referral_of: impl Fn(&T) -> Uuid) -> HashMap<Uuid, Vec<T>> {
    let mut grouped: HashMap<Uuid, Vec<T>> = HashMap::new();
    for row in rows {
        grouped.entry(referral_of(&row)).or_default().push(row);
    }
    grouped
}

/// Rewrites the report's facts of these referrals from what is recorded about them; called in
/// the transaction of every change to a sent referral, so the report never lags the journey.
pub async fn refresh(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<(), AppError> {
    for record in records(db, ids).await? {
        if let Some(facts) = facts(&record) {
            db::outcome_report::replace(db, &facts).await?;
        }
    }
    Ok(())
}

/// Writes the facts of sent referrals that have none (recorded before the report existed), a
/// batch per transaction. Returns how many were written.
pub async fn backfill(db: &DatabaseConnection) -> Result<usize, AppError> {
    const BATCH: u64 = 500;
    let mut written = 0;
    if db::outcome_report::facts_complete(db).await? {
        return Ok(written);
    }
    loop {
        let ids = db::outcome_report::referrals_without_facts(db, BATCH).await?;
        if ids.is_empty() {
            return Ok(written);
        }
        let txn = db.begin().await?;
        refresh(&txn, &ids).await?;
        txn.commit().await?;
        written += ids.len();
        tracing::info!(referrals = ids.len(), "outcome report facts written");
    }
}

/// Rewrites the facts of every sent referral from its records, a batch per transaction, so a
/// new or redefined measure reaches the referrals written before it (`crs-api facts rebuild`).
/// Returns how many referrals were rewritten.
pub async fn rebuild(db: &DatabaseConnection) -> Result<usize, AppError> {
    const BATCH: u64 = 500;
    let mut rewritten = 0;
    let mut after = None;
    loop {
        let ids = db::outcome_report::sent_referrals_after(db, after, BATCH).await?;
        let Some(last) = ids.last().copied() else {
            return Ok(rewritten);
        };
        let txn = db.begin().await?;
        refresh(&txn, &ids).await?;
        txn.commit().await?;
        rewritten += ids.len();
        after = Some(last);
        tracing::info!(referrals = rewritten, "outcome report facts rebuilt");
    }
}

/// Which referrals the caller's report may count: a commissioner's regions, a provider user's
/// contracts, or everything for a machine client; practitioners are refused.
pub fn access(scope: &Scope) -> Result<ReportAccess, AppError> {
    match scope {
        Scope::Commissioner { region_codes } => Ok(ReportAccess::Regions(region_codes.clone())),
        Scope::Provider(provider) => Ok(ReportAccess::Contracts(provider.contract_ids())),
        Scope::ReadAll => Ok(ReportAccess::All),
        Scope::Practitioner => Err(AppError::Forbidden(
            "outcome reports are for commissioners and providers".into(),
        )),
        Scope::NoRole => Err(AppError::Forbidden("the token carries no CRS role".into())),
    }
}

/// A dimension value of a published row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DimensionValue {
    pub dimension: Dimension,
    /// The code or key.
    pub value: String,
    /// The readable name.
    pub label: String,
}

/// One published row (or the totals): `None` for a withheld count or a measure built on one.
#[derive(Clone, Debug, PartialEq)]
pub struct PublishedRow {
    pub dimensions: Vec<DimensionValue>,
    pub counts: [Option<u64>; COUNTS],
    pub suppressed: bool,
    pub rates: Rates,
    /// Median and 90th percentile per timeliness measure.
    pub timeliness: [(Option<i64>, Option<i64>); 3],
}

impl PublishedRow {
    /// A count, `None` when withheld.
    pub fn count(&self, count: Count) -> Option<u64> {
        self.counts[count.index()]
    }

    /// The median and 90th percentile of a timeliness measure.
    pub fn percentiles(&self, measure: Timeliness) -> (Option<i64>, Option<i64>) {
        self.timeliness[measure.index()]
    }
}

/// A published report.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub group_by: Vec<Dimension>,
    pub rows: Vec<PublishedRow>,
    pub totals: PublishedRow,
    pub suppression_threshold: u64,
}

fn request_error(error: ReportRequestError) -> AppError {
    let (field, code) = match error {
        ReportRequestError::DimensionCount => ("groupBy", code::INVALID_LENGTH),
        ReportRequestError::RepeatedDimension => ("groupBy", code::INVALID_VALUE),
        ReportRequestError::DateRange => ("sentTo", code::INVALID_VALUE),
    };
    AppError::bad_input(error.to_string(), vec![FieldError::new(field, code)])
}

/// What a report asks for, as read from the request: its grouping and its filter. Read errors
/// are reported only once the caller may run reports at all.
pub type ReportRequest = Result<(Vec<Dimension>, ReportFilter), AppError>;

/// Runs the report for the caller: the rows grouped by the request's dimensions and the
/// totals, over the referrals the caller may count that match its filter, with small counts
/// withheld. The role gate is asked here, once, before the request is read.
pub async fn run(
    services: &Services,
    scope: &Scope,
    request: ReportRequest,
) -> Result<Report, AppError> {
    let access = access(scope)?;
    let (dimensions, filter) = request?;
    let (dimensions, filter) = (dimensions.as_slice(), &filter);
    check_request(dimensions, filter).map_err(request_error)?;
    let today = uk_date(Utc::now());
    let reach = db::outcome_report::reach(&services.db, &access, filter).await?;
    let db::outcome_report::Grouped {
        mut groups,
        totals,
        margins,
    } = db::outcome_report::groups(
        &services.db,
        db::outcome_report::Reading {
            limit: services.reports.statement_timeout,
            parts: services.reports.scan_parts,
            part_pages: services.reports.part_pages,
        },
        &reach,
        filter,
        dimensions,
        today,
    )
    .await?;
    groups.sort_by(|a, b| a.values.cmp(&b.values));

    let threshold = services.reports.suppression_threshold;
    let counts: Vec<_> = groups.iter().map(|g| g.figures.counts).collect();
    let keys: Vec<_> = groups.iter().map(|g| g.values.clone()).collect();
    let per_category: Vec<bool> = dimensions.iter().map(|d| d.per_category()).collect();
    // The audit is CPU work of up to seconds on a large two-dimension report: it runs on the
    // blocking pool so the server's workers keep answering other requests meanwhile, and no
    // more audits run at once than there are cores (the rest wait their turn).
    let margins: Vec<Option<disclosure::Margin>> = margins
        .into_iter()
        .map(|margin| {
            margin.map(|groups| {
                groups
                    .into_iter()
                    .filter_map(|g| Some((g.values.into_iter().next()?, g.figures.counts)))
                    .collect()
            })
        })
        .collect();
    let total_counts = totals.counts;
    let _turn = AUDITS
        .acquire()
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("disclosure audit queue: {e}")))?;
    let audit_started = std::time::Instant::now();
    let withheld = tokio::task::spawn_blocking(move || {
        disclosure::suppress(
            &counts,
            &keys,
            &total_counts,
            &per_category,
            &margins,
            threshold,
        )
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("disclosure audit failed: {e}")))?;
    tracing::debug!(
        rows = withheld.rows.len(),
        rounds = withheld.rounds,
        ms = audit_started.elapsed().as_millis(),
        "disclosure audit"
    );

    let rows = groups
        .iter()
        .enumerate()
        .map(|(i, group)| {
            let dimensions = dimensions
                .iter()
                .zip(&group.values)
                .zip(&group.labels)
                .map(|((dimension, value), label)| DimensionValue {
                    dimension: *dimension,
                    label: label
                        .clone()
                        .or_else(|| fixed_label(*dimension, value))
                        .unwrap_or_else(|| value.clone()),
                    value: value.clone(),
                })
                .collect();
            publish(dimensions, &group.figures, &withheld, Some(i), threshold)
        })
        .collect();
    Ok(Report {
        group_by: dimensions.to_vec(),
        totals: publish(Vec::new(), &totals, &withheld, None, threshold),
        rows,
        suppression_threshold: threshold,
    })
}

/// A row as published: withheld counts blanked, rates and percentiles only where safe.
fn publish(
    dimensions: Vec<DimensionValue>,
    figures: &Figures,
    withheld: &Withheld,
    row: Option<usize>,
    threshold: u64,
) -> PublishedRow {
    let hidden = match row {
        Some(r) => withheld.rows[r],
        None => withheld.totals,
    };
    let mut counts = [None; COUNTS];
    for (i, slot) in counts.iter_mut().enumerate() {
        if !hidden[i] {
            *slot = Some(figures.counts[i]);
        }
    }
    // A percentile of fewer values than the threshold describes too few people.
    let percentiles = |p: &Percentiles| {
        if p.values < threshold {
            (None, None)
        } else {
            (p.median, p.p90)
        }
    };
    PublishedRow {
        dimensions,
        counts,
        suppressed: withheld.any(row),
        rates: Rates::of(&figures.counts, &hidden),
        timeliness: [
            percentiles(&figures.timeliness[0]),
            percentiles(&figures.timeliness[1]),
            percentiles(&figures.timeliness[2]),
        ],
    }
}
