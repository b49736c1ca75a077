//! Idempotent writes (`Idempotency-Key`): the first request with a key runs and its answer is
//! kept for 24 hours; a request with the same key and the same content gets that answer again
//! without running, however many arrive at once; the same key with other content is refused
//! (`IDEMPOTENCY_KEY_REUSED`). Keys are the caller's own: another caller's key of the same
//! name is another key.
//!
//! The answer is stored just after the operation commits, by the same task (a client going
//! away does not stop it). Should the server itself stop in between, the key stays unanswered;
//! after [`ABANDONED_AFTER`] a retry runs the operation again.

use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::DatabaseConnection;
use sha2::{Digest, Sha256};

use crate::db;
use crate::error::AppError;

/// How long a key and its answer are kept.
pub const KEEP_FOR: Duration = Duration::from_secs(24 * 3600);
/// An unanswered key older than this is taken to belong to a request that never finished.
pub const ABANDONED_AFTER: Duration = Duration::from_secs(60);
/// Longest accepted key.
pub const MAX_KEY_LENGTH: usize = 255;

/// What a request with a key may do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// Run the operation, then [`answer`] (or [`release`]) with this claim time.
    Run { claimed_at: DateTime<Utc> },
    /// Answer with what the first request was answered.
    Replay { status: u16, body: String },
    /// The first request with this key is still running.
    Running,
}

/// Whether `key` is a usable key: 1 to 255 visible ASCII characters.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= MAX_KEY_LENGTH && key.bytes().all(|b| b.is_ascii_graphic())
}

/// The request's fingerprint: the document, the operation name and the variables (object keys
/// in sorted order, so the same variables in another order are the same request).
pub fn fingerprint(
    query: &str,
    operation_name: Option<&str>,
    variables: &serde_json::Value,
) -> String {
    let mut hasher = Sha256::new();
    hasher.update(query.as_bytes());
    hasher.update([0]);
    hasher.update(operation_name.unwrap_or("").as_bytes());
    hasher.update([0]);
    hasher.update(canonical(variables).as_bytes());
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// JSON text with every object's keys sorted.
fn canonical(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<(&String, &serde_json::Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let inner: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{}:{}", serde_json::Value::from(k.as_str()), canonical(v)))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
        serde_json::Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(canonical).collect();
            format!("[{}]", inner.join(","))
        }
        other => other.to_string(),
    }
}

fn later(now: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(by).unwrap_or(chrono::Duration::days(1))
}

/// Claims `key` of `principal` for a request with `fingerprint` at `now` (to the microsecond).
pub async fn claim(
    db: &DatabaseConnection,
    principal: &str,
    key: &str,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> Result<Claim, AppError> {
    // At the precision both databases store, so the claim is found again by its time.
    let now = now.trunc_subsecs(6);
    // Twice at most: once more after forgetting an abandoned claim.
    for _ in 0..2 {
        db::idempotency::forget_expired(db, principal, key, now).await?;
        if db::idempotency::claim(db, principal, key, fingerprint, now, later(now, KEEP_FOR))
            .await?
        {
            return Ok(Claim::Run { claimed_at: now });
        }
        let Some(stored) = db::idempotency::find(db, principal, key).await? else {
            // Released between the two statements: claim again.
            continue;
        };
        if stored.request_hash != fingerprint {
            return Err(AppError::IdempotencyKeyReused);
        }
        match stored.answer {
            Some((status, body)) => return Ok(Claim::Replay { status, body }),
            None if later(stored.created_at, ABANDONED_AFTER) <= now => {
                db::idempotency::release(db, principal, key, stored.created_at).await?;
            }
            None => return Ok(Claim::Running),
        }
    }
    Ok(Claim::Running)
}

/// What a request waiting for the first with its key sees now, reading only: `None` when the
/// key is free again (released, expired or abandoned) and may be claimed.
pub async fn look(
    db: &DatabaseConnection,
    principal: &str,
    key: &str,
    fingerprint: &str,
    now: DateTime<Utc>,
) -> Result<Option<Claim>, AppError> {
    let Some(stored) = db::idempotency::find(db, principal, key).await? else {
        return Ok(None);
    };
    if stored.request_hash != fingerprint {
        return Err(AppError::IdempotencyKeyReused);
    }
    Ok(match stored.answer {
        Some((status, body)) => Some(Claim::Replay { status, body }),
        None if later(stored.created_at, ABANDONED_AFTER) <= now => None,
        None => Some(Claim::Running),
    })
}

/// Keeps the answer of the request that claimed the key at `claimed_at` (not of a claim that
/// has since been taken over).
pub async fn answer(
    db: &DatabaseConnection,
    principal: &str,
    key: &str,
    claimed_at: DateTime<Utc>,
    status: u16,
    body: &str,
) -> Result<(), AppError> {
    db::idempotency::answer(db, principal, key, claimed_at, status, body).await
}

/// Gives up a claim whose request had no answer worth keeping (the service was unavailable,
/// a limit refused it): the same key may be tried again.
pub async fn release(
    db: &DatabaseConnection,
    principal: &str,
    key: &str,
    claimed_at: DateTime<Utc>,
) -> Result<(), AppError> {
    db::idempotency::release(db, principal, key, claimed_at).await
}

/// Deletes the keys expired by `now`.
pub async fn prune(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64, AppError> {
    db::idempotency::prune(db, now).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_variables_in_another_order_are_the_same_request() {
        let a = fingerprint(
            "mutation { x }",
            None,
            &serde_json::json!({ "a": 1, "b": { "c": 2, "d": [1, 2] } }),
        );
        let b = fingerprint(
            "mutation { x }",
            None,
            &serde_json::json!({ "b": { "d": [1, 2], "c": 2 }, "a": 1 }),
        );
        let c = fingerprint(
            "mutation { x }",
            None,
            &serde_json::json!({ "a": 2, "b": { "c": 2, "d": [1, 2] } }),
        );
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(
            a,
            fingerprint(
                "mutation { x }",
                Some("X"),
                &serde_json::json!({ "a": 1, "b": { "c": 2, "d": [1, 2] } })
            )
        );
    }

    #[test]
    fn keys_are_visible_ascii_up_to_255_characters() {
        assert!(valid_key("8e0b1b2c-1f7a-4d8e-9c57-2f6d2f0f5a11"));
        assert!(!valid_key(""));
        assert!(!valid_key("has space"));
        assert!(!valid_key(&"k".repeat(256)));
        assert!(!valid_key("naïve"));
    }
}
