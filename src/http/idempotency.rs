//! The `Idempotency-Key` header on mutations (`createDraftReferral`, `sendReferral`, the
//! delivery mutations and every other): the first request with a key runs; the others with the
//! same key and the same request wait for it and get its answer, byte for byte, with
//! `Idempotent-Replayed: true`; the same key with another request is HTTP 422
//! `IDEMPOTENCY_KEY_REUSED`. On a query the header changes nothing (reads repeat safely).

use std::future::Future;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::parser::types::OperationType;
use chrono::{DateTime, Utc};

use super::AppState;
use super::answer::Answer;
use super::caller::{self, refuse};
use crate::error::{AppError, FieldError, field_code};
use crate::service::idempotency::{self, Claim};

/// The request header.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// The response header on an answer given again.
pub const REPLAYED: &str = "idempotent-replayed";

/// How long a request waits for the first request with its key to finish.
const WAIT_FOR_FIRST: Duration = Duration::from_secs(10);
/// Its first look, and the longest pause between looks (each pause doubles the last).
const FIRST_LOOK: Duration = Duration::from_millis(10);
const LONGEST_LOOK: Duration = Duration::from_millis(200);

/// The request's key when it carries one and runs a mutation; `BAD_USER_INPUT` for a key
/// that is empty, too long or not visible ASCII.
pub fn key_of(
    req: &HttpRequest,
    request: &async_graphql::Request,
) -> Result<Option<String>, AppError> {
    let Some(value) = req.headers().get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| idempotency::valid_key(k));
    let Some(key) = key else {
        return Err(AppError::bad_input(
            format!(
                "the Idempotency-Key header must be 1 to {} visible ASCII characters",
                idempotency::MAX_KEY_LENGTH
            ),
            vec![FieldError::new(
                "Idempotency-Key",
                field_code::INVALID_FORMAT,
            )],
        ));
    };
    Ok(is_mutation(request).then(|| key.to_owned()))
}

/// Whether the operation the request runs is a mutation (a document that does not parse is
/// not: it runs to its parse error).
fn is_mutation(request: &async_graphql::Request) -> bool {
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let operation = match &request.operation_name {
        Some(name) => document
            .operations
            .iter()
            .find(|(op_name, _)| op_name.is_some_and(|n| n.as_str() == name))
            .map(|(_, op)| op),
        None => document.operations.iter().next().map(|(_, op)| op),
    };
    operation.is_some_and(|op| op.node.ty == OperationType::Mutation)
}

fn replayed(status: u16, body: String) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
        .content_type("application/json")
        .insert_header((REPLAYED, "true"))
        .body(body)
}

/// The fingerprint of `request` (what a reused key is compared by).
pub fn fingerprint_of(request: &async_graphql::Request) -> String {
    let variables = serde_json::to_value(&request.variables).unwrap_or_default();
    idempotency::fingerprint(
        &request.query,
        request.operation_name.as_deref(),
        &variables,
    )
}

/// Runs `operation` once for `key` of `principal`, or answers as the run did. The operation
/// and the keeping of its answer run as a task of their own, so a client that goes away
/// mid-operation cannot leave it run but unanswered.
pub async fn run_once<F, Fut>(
    state: &web::Data<AppState>,
    principal: String,
    key: String,
    fingerprint: String,
    operation: F,
) -> HttpResponse
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = Answer> + Send + 'static,
{
    let db = &state.services.db;
    let waiting_since = Instant::now();
    let mut pause = FIRST_LOOK;
    let mut claim = idempotency::claim(db, &principal, &key, &fingerprint, Utc::now()).await;
    loop {
        match claim {
            Ok(Claim::Run { claimed_at }) => {
                let keeper = state.clone();
                let task = tokio::spawn(async move {
                    let answer = operation().await;
                    keep(&keeper, &principal, &key, claimed_at, &answer).await;
                    answer
                });
                return match task.await {
                    Ok(answer) => answer.into_response(),
                    Err(error) => {
                        let error = crate::error::internal("an idempotent operation", error);
                        tracing::error!(error = %error, "an idempotent operation failed");
                        refuse(state, StatusCode::INTERNAL_SERVER_ERROR, &error)
                    }
                };
            }
            Ok(Claim::Replay { status, body }) => return replayed(status, body),
            Ok(Claim::Running) if waiting_since.elapsed() < WAIT_FOR_FIRST => {
                // Wait for the first request's answer, reading only (no write while waiting).
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(LONGEST_LOOK);
                claim =
                    match idempotency::look(db, &principal, &key, &fingerprint, Utc::now()).await {
                        Ok(Some(seen)) => Ok(seen),
                        Ok(None) => {
                            idempotency::claim(db, &principal, &key, &fingerprint, Utc::now()).await
                        }
                        Err(error) => Err(error),
                    };
            }
            Ok(Claim::Running) => {
                let error = AppError::Conflict(
                    "a request with this Idempotency-Key is still running; try again shortly"
                        .into(),
                );
                return refuse(state, StatusCode::CONFLICT, &error);
            }
            Err(error) => {
                if !matches!(error, AppError::IdempotencyKeyReused) {
                    tracing::error!(error = %error, "claiming an idempotency key");
                }
                return refuse(state, caller::status_of(&error), &error);
            }
        }
    }
}

/// Keeps `answer` for the retries of the claim made at `claimed_at`, or gives the claim up when
/// the answer says "try again".
async fn keep(
    state: &AppState,
    principal: &str,
    key: &str,
    claimed_at: DateTime<Utc>,
    answer: &Answer,
) {
    let db = &state.services.db;
    let kept = if answer.final_answer {
        let body = String::from_utf8_lossy(&answer.body);
        idempotency::answer(
            db,
            principal,
            key,
            claimed_at,
            answer.status.as_u16(),
            &body,
        )
        .await
    } else {
        idempotency::release(db, principal, key, claimed_at).await
    };
    if let Err(error) = kept {
        // The operation ran: its answer goes out; a retry after the claim is abandoned may run
        // it again.
        tracing::error!(error = %error, user_id = %principal, "keeping the answer of an idempotent request");
    }
}
