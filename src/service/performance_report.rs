//! The provider performance report: a provider user's referrals, a page at a time, as lines of
//! the reference service's report.

use std::collections::HashMap;

use chrono::NaiveDate;
use uuid::Uuid;

use super::Services;
use super::outcome_report::records;
use crate::db;
use crate::db::outcome_report::SentCursor;
use crate::domain::actor::Scope;
use crate::domain::catalogue::uk_day_start;
use crate::domain::performance_report::{PerformanceLine, line};
use crate::error::AppError;

/// Which referrals the report covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PerformanceQuery {
    contract_ids: Vec<Uuid>,
    from: Option<chrono::DateTime<chrono::Utc>>,
    before: Option<chrono::DateTime<chrono::Utc>>,
    page: u64,
}

impl PerformanceQuery {
    /// The same query read `page` referrals at a time.
    pub fn paged(mut self, page: u64) -> Self {
        self.page = page.max(1);
        self
    }
}

/// The report of a provider user's contracts, for referrals sent from `sent_from` to `sent_to`
/// (UK days, inclusive); anyone else is refused.
pub fn query(
    scope: &Scope,
    sent_from: Option<NaiveDate>,
    sent_to: Option<NaiveDate>,
) -> Result<PerformanceQuery, AppError> {
    let Scope::Provider(provider) = scope else {
        return Err(AppError::Forbidden(
            "the performance report is for provider users".into(),
        ));
    };
    Ok(PerformanceQuery {
        contract_ids: provider.contract_ids(),
        from: sent_from.map(uk_day_start),
        before: sent_to.and_then(|d| d.succ_opt()).map(uk_day_start),
        page: super::outcome_report::DOWNLOAD_PAGE_SIZE,
    })
}

/// Where the report has got to: a contract (by position in the caller's scope) and the last
/// referral read in it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PerformanceCursor {
    contract: usize,
    after: Option<SentCursor>,
}

/// The next page of lines after `after`, and where the page ended (`None`: nothing more).
/// Lines come contract by contract, oldest first within each, so every page is a range of one
/// contract's index.
pub async fn page(
    services: &Services,
    query: &PerformanceQuery,
    after: Option<PerformanceCursor>,
) -> Result<(Vec<PerformanceLine>, Option<PerformanceCursor>), AppError> {
    match next_page(services, query, after).await? {
        Some((ids, next)) => Ok((lines(services, &ids).await?, Some(next))),
        None => Ok((Vec::new(), None)),
    }
}

/// The referrals of the next page after `after` and where it ends (`None`: nothing more); one
/// index range per contract passed over. Cheap, so a download can find the next page while the
/// lines of this one are still being read.
pub async fn next_page(
    services: &Services,
    query: &PerformanceQuery,
    after: Option<PerformanceCursor>,
) -> Result<Option<(Vec<Uuid>, PerformanceCursor)>, AppError> {
    let mut cursor = after.unwrap_or_default();
    loop {
        let Some(contract) = query.contract_ids.get(cursor.contract) else {
            return Ok(None);
        };
        let positions = db::outcome_report::sent_page(
            &services.db,
            *contract,
            query.from,
            query.before,
            cursor.after,
            query.page,
        )
        .await?;
        let Some(last) = positions.last().copied() else {
            cursor = PerformanceCursor {
                contract: cursor.contract + 1,
                after: None,
            };
            continue;
        };
        let ids = positions.iter().map(|(_, id)| *id).collect();
        let next = PerformanceCursor {
            contract: cursor.contract,
            after: Some(last),
        };
        return Ok(Some((ids, next)));
    }
}

/// The lines of these referrals, in their order: their records read together, in one snapshot,
/// each statement within the reports' statement limit (a download is a long read).
pub async fn lines(services: &Services, ids: &[Uuid]) -> Result<Vec<PerformanceLine>, AppError> {
    let txn = db::begin_long_batch_reads(&services.db, services.reports.statement_timeout).await?;
    let mut records = records(&txn, ids).await?;
    txn.commit().await?;
    let order: HashMap<Uuid, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    records.sort_by_key(|r| order.get(&r.referral.id).copied());
    Ok(records.iter().map(line).collect())
}

/// Withdrawal reason descriptions by code.
pub async fn reason_descriptions(services: &Services) -> Result<HashMap<String, String>, AppError> {
    Ok(db::catalogue::list_withdrawal_reasons(&services.db)
        .await?
        .into_iter()
        .map(|r| (r.code, r.description))
        .collect())
}
