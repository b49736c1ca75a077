//! The rate limits of the report downloads and subject access requests, checked before they
//! read anything; refused with [`too_many`].

use actix_web::HttpResponse;

use super::AppState;
use super::caller::too_many;
use crate::rate_limit::Refusal;

/// The answer to a check of `caller`'s limit: nothing, or 429 past it.
fn answer(
    state: &AppState,
    caller: &str,
    checked: Result<(), Refusal>,
) -> Result<(), Box<HttpResponse>> {
    checked.map_err(|refusal| {
        tracing::warn!(user_id = %caller, limit = refusal.limit.label(), "request refused by a rate limit");
        Box::new(too_many(state, &refusal))
    })
}

/// Counts a subject access request by `caller`; 429 past the limit.
pub fn check_subject_access(state: &AppState, caller: &str) -> Result<(), Box<HttpResponse>> {
    answer(state, caller, state.rate_limits.subject_access(caller))
}

/// Counts a report download by `caller`; 429 past the limit.
pub fn check_download(state: &AppState, caller: &str) -> Result<(), Box<HttpResponse>> {
    answer(state, caller, state.rate_limits.download(caller))
}
