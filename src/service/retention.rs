//! Draft retention: drafts nobody has changed for the retention period (90 days by default,
//! as the reference service) are deleted with every row under them; sent referrals never are.
//! Run by `crs-api purge-drafts` and once a day inside the server, by one instance of several.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::db;
use crate::error::AppError;

/// The scheduled job's name in `scheduled_job`.
pub const PURGE_JOB: &str = "purge-drafts";

/// Drafts deleted per transaction.
const PURGE_BATCH: u64 = 500;

/// How long an unsent draft is kept after its last change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DraftRetention {
    pub keep_for: Duration,
}

impl Default for DraftRetention {
    fn default() -> Self {
        DraftRetention {
            keep_for: Duration::from_secs(90 * 24 * 3600),
        }
    }
}

impl DraftRetention {
    /// Drafts last changed before this time are due for deletion at `now`.
    pub fn cutoff(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let keep_for = chrono::Duration::from_std(self.keep_for).unwrap_or(chrono::Duration::MAX);
        now.checked_sub_signed(keep_for)
            .unwrap_or(DateTime::<Utc>::MIN_UTC)
    }
}

/// What one purge did (or, on a dry run, would do).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PurgeOutcome {
    /// Drafts deleted, or due for deletion on a dry run.
    pub drafts: u64,
    /// Drafts last changed before this were due.
    pub cutoff: DateTime<Utc>,
    pub dry_run: bool,
}

/// Deletes (or, with `dry_run`, counts) the drafts due for deletion at `now`, a batch per
/// transaction, and logs the count.
pub async fn purge_drafts(
    db: &DatabaseConnection,
    retention: DraftRetention,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<PurgeOutcome, AppError> {
    let cutoff = retention.cutoff(now);
    let drafts = if dry_run {
        db::retention::count_stale_drafts(db, cutoff).await?
    } else {
        let mut deleted = 0;
        loop {
            let txn = db::begin_write(db).await?;
            let due = db::retention::stale_drafts(&txn, cutoff, PURGE_BATCH).await?;
            let batch = db::referrals::delete_drafts(&txn, &due).await?;
            txn.commit().await?;
            deleted += batch;
            if (due.len() as u64) < PURGE_BATCH {
                break;
            }
        }
        deleted
    };
    tracing::info!(
        drafts,
        dry_run,
        cutoff = %cutoff.to_rfc3339(),
        "draft purge: {} drafts last changed before the cutoff",
        if dry_run { "would delete" } else { "deleted" }
    );
    Ok(PurgeOutcome {
        drafts,
        cutoff,
        dry_run,
    })
}

/// The daily purge as the server runs it: only the instance that claims today's run purges;
/// `None` when another instance has it (or it is not yet due).
pub async fn scheduled_purge(
    db: &DatabaseConnection,
    retention: DraftRetention,
    now: DateTime<Utc>,
    every: Duration,
) -> Result<Option<PurgeOutcome>, AppError> {
    let next = now + chrono::Duration::from_std(every).unwrap_or(chrono::Duration::days(1));
    let claimed = {
        let txn = db::begin_write(db).await?;
        let claimed = db::retention::claim_run(&txn, PURGE_JOB, now, next).await?;
        txn.commit().await?;
        claimed
    };
    if !claimed {
        return Ok(None);
    }
    match purge_drafts(db, retention, now, false).await {
        Ok(outcome) => {
            db::retention::record_run(db, PURGE_JOB, outcome.drafts).await?;
            Ok(Some(outcome))
        }
        Err(error) => {
            // Not a day later: the next check of any instance tries again.
            db::retention::reschedule(db, PURGE_JOB, now).await?;
            Err(error)
        }
    }
}
