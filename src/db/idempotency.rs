//! The `idempotency_key` rows: claimed by the first request with a key, answered once it has
//! run, kept until they expire.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TryInsertResult,
};

use super::entities::idempotency_key;
use crate::error::AppError;

/// A stored key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredKey {
    pub request_hash: String,
    /// The status and body of the answer, once there is one.
    pub answer: Option<(u16, String)>,
    pub created_at: DateTime<Utc>,
}

/// Deletes the caller's key if it expired by `now` (an expired key may be used again).
pub async fn forget_expired(
    db: &impl ConnectionTrait,
    principal: &str,
    key: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::Principal.eq(principal))
        .filter(idempotency_key::Column::Key.eq(key))
        .filter(idempotency_key::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    Ok(())
}

/// Claims the caller's key for a request with `request_hash`: true when this call made the
/// row (no other request holds the key).
pub async fn claim(
    db: &impl ConnectionTrait,
    principal: &str,
    key: &str,
    request_hash: &str,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<bool, AppError> {
    let inserted = idempotency_key::Entity::insert(idempotency_key::ActiveModel {
        principal: Set(principal.to_owned()),
        key: Set(key.to_owned()),
        request_hash: Set(request_hash.to_owned()),
        status_code: Set(None),
        response: Set(None),
        created_at: Set(now),
        expires_at: Set(expires_at),
    })
    .on_conflict_do_nothing_on([
        idempotency_key::Column::Principal,
        idempotency_key::Column::Key,
    ])
    .exec_without_returning(db)
    .await?;
    Ok(matches!(inserted, TryInsertResult::Inserted(1)))
}

/// The caller's key as stored.
pub async fn find(
    db: &impl ConnectionTrait,
    principal: &str,
    key: &str,
) -> Result<Option<StoredKey>, AppError> {
    let row = idempotency_key::Entity::find_by_id((principal.to_owned(), key.to_owned()))
        .one(db)
        .await?;
    Ok(row.map(|row| StoredKey {
        request_hash: row.request_hash,
        answer: match (row.status_code, row.response) {
            (Some(status), Some(body)) => Some((u16::try_from(status).unwrap_or(500), body)),
            _ => None,
        },
        created_at: row.created_at,
    }))
}

/// Stores the answer given to the request that claimed the key at `claimed_at`, if that claim
/// still holds it unanswered.
pub async fn answer(
    db: &impl ConnectionTrait,
    principal: &str,
    key: &str,
    claimed_at: DateTime<Utc>,
    status: u16,
    body: &str,
) -> Result<(), AppError> {
    idempotency_key::Entity::update_many()
        .col_expr(
            idempotency_key::Column::StatusCode,
            Some(i32::from(status)).into(),
        )
        .col_expr(
            idempotency_key::Column::Response,
            Some(body.to_owned()).into(),
        )
        .filter(idempotency_key::Column::Principal.eq(principal))
        .filter(idempotency_key::Column::Key.eq(key))
        .filter(idempotency_key::Column::CreatedAt.eq(claimed_at))
        .filter(idempotency_key::Column::Response.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Releases a key whose request gave no answer worth keeping (it may be tried again), if it is
/// still unanswered and was claimed at `claimed_at`.
pub async fn release(
    db: &impl ConnectionTrait,
    principal: &str,
    key: &str,
    claimed_at: DateTime<Utc>,
) -> Result<(), AppError> {
    idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::Principal.eq(principal))
        .filter(idempotency_key::Column::Key.eq(key))
        .filter(idempotency_key::Column::CreatedAt.eq(claimed_at))
        .filter(idempotency_key::Column::Response.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Deletes every key expired by `now`; returns how many.
pub async fn prune(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, AppError> {
    Ok(idempotency_key::Entity::delete_many()
        .filter(idempotency_key::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?
        .rows_affected)
}
