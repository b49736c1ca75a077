//! Rate-limit refusals over HTTP: 429 with `Retry-After` and the `RATE_LIMITED` body, counted
//! by limit on `/metrics`.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::RETRY_AFTER;

use super::AppState;
use super::caller::refuse;
use crate::rate_limit::Refusal;

/// The answer to a request a limit refused.
pub fn too_many(state: &AppState, refusal: &Refusal) -> HttpResponse {
    state
        .metrics
        .rate_limited
        .with_label_values(&[refusal.limit.label()])
        .inc();
    let mut response = refuse(state, StatusCode::TOO_MANY_REQUESTS, &refusal.error());
    if let Ok(value) = refusal.retry_after_seconds().to_string().parse() {
        response.headers_mut().insert(RETRY_AFTER, value);
    }
    response
}

/// Counts a subject access request by `caller`; 429 past the limit.
pub fn check_subject_access(state: &AppState, caller: &str) -> Result<(), Box<HttpResponse>> {
    state.rate_limits.subject_access(caller).map_err(|refusal| {
        tracing::warn!(user_id = %caller, limit = refusal.limit.label(), "request refused by a rate limit");
        Box::new(too_many(state, &refusal))
    })
}

/// Counts a report download by `caller`; 429 past the limit.
pub fn check_download(state: &AppState, caller: &str) -> Result<(), Box<HttpResponse>> {
    state.rate_limits.download(caller).map_err(|refusal| {
        tracing::warn!(user_id = %caller, limit = refusal.limit.label(), "request refused by a rate limit");
        Box::new(too_many(state, &refusal))
    })
}
