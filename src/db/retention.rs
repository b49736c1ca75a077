//! The draft purge's reads and writes, and the schedule that lets one of several instances
//! claim a periodic job.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{LockBehavior, LockType};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::entities::{referral, scheduled_job};
use crate::domain::journey::ReferralStatus;
use crate::error::AppError;

/// Up to `limit` drafts last changed before `cutoff`, oldest first, locked until the
/// transaction ends (PostgreSQL `FOR UPDATE SKIP LOCKED`: a draft being sent or changed right
/// now is left for the next run, and one sent or changed since the look is not taken; SQLite
/// write transactions hold the database's write lock already).
pub async fn stale_drafts(
    db: &impl ConnectionTrait,
    cutoff: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Uuid>, AppError> {
    let mut select = referral::Entity::find()
        .select_only()
        .column(referral::Column::Id)
        .filter(referral::Column::Status.eq(ReferralStatus::Draft.code()))
        .filter(referral::Column::UpdatedAt.lt(cutoff))
        .order_by_asc(referral::Column::UpdatedAt)
        .limit(limit);
    if db.get_database_backend() == DbBackend::Postgres {
        select = select.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    Ok(select.into_tuple().all(db).await?)
}

/// How many drafts were last changed before `cutoff`.
pub async fn count_stale_drafts(
    db: &impl ConnectionTrait,
    cutoff: DateTime<Utc>,
) -> Result<u64, AppError> {
    Ok(referral::Entity::find()
        .filter(referral::Column::Status.eq(ReferralStatus::Draft.code()))
        .filter(referral::Column::UpdatedAt.lt(cutoff))
        .count(db)
        .await?)
}

/// Claims the run of job `name` due at `now`: true for exactly one caller among instances
/// asking at once (the one whose update moved `next_run_at` on to `next`).
pub async fn claim_run(
    db: &impl ConnectionTrait,
    name: &str,
    now: DateTime<Utc>,
    next: DateTime<Utc>,
) -> Result<bool, AppError> {
    scheduled_job::Entity::insert(scheduled_job::ActiveModel {
        name: Set(name.to_owned()),
        next_run_at: Set(now),
        last_run_at: Set(None),
        last_count: Set(None),
    })
    .on_conflict_do_nothing_on([scheduled_job::Column::Name])
    .exec(db)
    .await?;
    let claimed = scheduled_job::Entity::update_many()
        .col_expr(scheduled_job::Column::NextRunAt, next.into())
        .col_expr(scheduled_job::Column::LastRunAt, Some(now).into())
        .filter(scheduled_job::Column::Name.eq(name))
        .filter(scheduled_job::Column::NextRunAt.lte(now))
        .exec(db)
        .await?;
    Ok(claimed.rows_affected == 1)
}

/// Records what the run of job `name` did.
pub async fn record_run(db: &impl ConnectionTrait, name: &str, count: u64) -> Result<(), AppError> {
    scheduled_job::Entity::update_many()
        .col_expr(
            scheduled_job::Column::LastCount,
            Some(i64::try_from(count).unwrap_or(i64::MAX)).into(),
        )
        .filter(scheduled_job::Column::Name.eq(name))
        .exec(db)
        .await?;
    Ok(())
}

/// Makes job `name` due again at `at` (after a failed run).
pub async fn reschedule(
    db: &impl ConnectionTrait,
    name: &str,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    scheduled_job::Entity::update_many()
        .col_expr(scheduled_job::Column::NextRunAt, at.into())
        .filter(scheduled_job::Column::Name.eq(name))
        .exec(db)
        .await?;
    Ok(())
}
