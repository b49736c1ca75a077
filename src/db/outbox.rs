//! The outbox: domain events written in the transaction of the change that made them, read back
//! in order by the relay, marked when the broker has acknowledged them, pruned after a
//! retention; and the relay's lease, which one server instance holds at a time.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use uuid::Uuid;

use super::entities::outbox_event;
use crate::domain::events::DomainEvent;
use crate::error::AppError;

/// The name of the relay's lease.
const RELAY_LEASE: &str = "outbox-relay";

/// An event waiting in the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    pub position: i64,
    pub event_id: Uuid,
    pub referral_id: Uuid,
    pub event_type: String,
    pub body: String,
}

/// Appends events (inside the change's transaction), in the order given.
pub async fn append(db: &impl ConnectionTrait, events: &[DomainEvent]) -> Result<(), AppError> {
    if events.is_empty() {
        return Ok(());
    }
    let rows = events.iter().map(|event| outbox_event::ActiveModel {
        position: NotSet,
        event_id: Set(event.id),
        referral_id: Set(event.referral_id),
        event_type: Set(event.event_type.code().to_owned()),
        occurred_at: Set(event.occurred_at),
        body: Set(event.body.to_string()),
        published_at: Set(None),
        attempts: Set(0),
    });
    outbox_event::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Takes or renews the relay's lease for `holder` until `until`: true when `holder` has it (it
/// was free, expired, or already theirs). One statement, on both engines.
pub async fn take_lease(
    db: &impl ConnectionTrait,
    holder: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, AppError> {
    let backend = db.get_database_backend();
    let (p1, p2, p3, p4) = match backend {
        sea_orm::DbBackend::Postgres => ("$1", "$2", "$3", "$4"),
        _ => ("?", "?", "?", "?"),
    };
    let sql = format!(
        "INSERT INTO outbox_lease (name, holder, expires_at) VALUES ({p1}, {p2}, {p3}) \
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
         WHERE outbox_lease.holder = excluded.holder OR outbox_lease.expires_at < {p4}"
    );
    let result = db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [RELAY_LEASE.into(), holder.into(), until.into(), now.into()],
        ))
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Gives the lease up (at shutdown), so another instance need not wait for it to expire.
pub async fn release_lease(db: &impl ConnectionTrait, holder: &str) -> Result<(), AppError> {
    use super::entities::outbox_lease;
    outbox_lease::Entity::delete_many()
        .filter(outbox_lease::Column::Name.eq(RELAY_LEASE))
        .filter(outbox_lease::Column::Holder.eq(holder))
        .exec(db)
        .await?;
    Ok(())
}

/// The oldest `limit` unpublished events, in the order they were written.
pub async fn pending(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<Pending>, AppError> {
    let rows = outbox_event::Entity::find()
        .filter(outbox_event::Column::PublishedAt.is_null())
        .order_by_asc(outbox_event::Column::Position)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| Pending {
            position: row.position,
            event_id: row.event_id,
            referral_id: row.referral_id,
            event_type: row.event_type,
            body: row.body,
        })
        .collect())
}

/// Marks events published.
pub async fn mark_published(
    db: &impl ConnectionTrait,
    positions: &[i64],
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    if positions.is_empty() {
        return Ok(());
    }
    outbox_event::Entity::update_many()
        .col_expr(
            outbox_event::Column::PublishedAt,
            sea_orm::sea_query::Expr::value(at),
        )
        .filter(outbox_event::Column::Position.is_in(positions.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}

/// Counts a failed publication of an event.
pub async fn count_failure(db: &impl ConnectionTrait, position: i64) -> Result<(), AppError> {
    outbox_event::Entity::update_many()
        .col_expr(
            outbox_event::Column::Attempts,
            sea_orm::sea_query::ExprTrait::add(
                sea_orm::sea_query::Expr::col(outbox_event::Column::Attempts),
                1,
            ),
        )
        .filter(outbox_event::Column::Position.eq(position))
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes events published before `before`; how many.
pub async fn prune(db: &impl ConnectionTrait, before: DateTime<Utc>) -> Result<u64, AppError> {
    let result = outbox_event::Entity::delete_many()
        .filter(outbox_event::Column::PublishedAt.lt(before))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// The backlog: how many events wait, and when the oldest of them happened.
pub async fn backlog(db: &impl ConnectionTrait) -> Result<(u64, Option<DateTime<Utc>>), AppError> {
    let row: Option<(i64, Option<DateTime<Utc>>)> = outbox_event::Entity::find()
        .select_only()
        .column_as(outbox_event::Column::Position.count(), "waiting")
        .column_as(outbox_event::Column::OccurredAt.min(), "oldest")
        .filter(outbox_event::Column::PublishedAt.is_null())
        .into_tuple()
        .one(db)
        .await?;
    let (waiting, oldest) = row.unwrap_or((0, None));
    Ok((u64::try_from(waiting).unwrap_or(0), oldest))
}
