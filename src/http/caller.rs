//! Who is calling: the bearer token verified, then the caller's scope resolved; each step
//! answers with a coded refusal when it fails.

use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use actix_web::{HttpRequest, HttpResponse};

use super::AppState;
use super::auth::bearer_token;
use crate::domain::actor::{Principal, Scope};
use crate::error::AppError;
use crate::graphql::error::error_body;
use crate::rate_limit::Refusal;
use crate::service;

/// Seconds a client is asked to wait before trying again when the service is unavailable.
pub const RETRY_AFTER_SECONDS: u64 = 2;

/// The HTTP status a request that failed with `error` as a whole is answered with.
pub fn status_of(error: &AppError) -> StatusCode {
    match error {
        AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::BadInput { .. } | AppError::ParseFailed(_) => StatusCode::BAD_REQUEST,
        AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        AppError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
        AppError::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A response builder with `status`, telling the client when to retry if it is a 503.
pub fn respond(status: StatusCode) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::build(status);
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.insert_header((RETRY_AFTER, RETRY_AFTER_SECONDS.to_string()));
    }
    response
}

/// A refusal made before any use case runs, coded like every other error.
pub fn refuse(state: &AppState, status: StatusCode, error: &AppError) -> HttpResponse {
    state.metrics.refused(error.code());
    respond(status).json(error_body(error))
}

/// The answer to a request a limit refused: 429 with `Retry-After` and the `RATE_LIMITED`
/// body, counted by limit on `/metrics`.
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

/// The principal of the request's bearer token; HTTP 401 `UNAUTHENTICATED` without a valid one.
pub async fn authenticate(
    req: &HttpRequest,
    state: &AppState,
) -> Result<Principal, Box<HttpResponse>> {
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let verified = match bearer_token(header) {
        Ok(token) => state.verifier.verify_fresh(token).await,
        Err(missing) => Err(missing),
    };
    verified.map(|(principal, _)| principal).map_err(|reason| {
        tracing::info!(reason = %reason, "unauthenticated request");
        // Tokens guessed from one address: past the limit, failures are answered 429.
        if let Some(address) = req.peer_addr().map(|a| a.ip())
            && let Err(refusal) = state.rate_limits.failed_authentication(address)
        {
            tracing::warn!(
                limit = refusal.limit.label(),
                "request refused by a rate limit"
            );
            return Box::new(too_many(state, &refusal));
        }
        let mut response = refuse(state, StatusCode::UNAUTHORIZED, &AppError::Unauthenticated);
        let challenge = HeaderValue::from_static("Bearer");
        response.headers_mut().insert(WWW_AUTHENTICATE, challenge);
        Box::new(response)
    })
}

/// The caller's scope; HTTP 403 `FORBIDDEN` when their groups refuse them.
pub async fn scope(state: &AppState, principal: &Principal) -> Result<Scope, Box<HttpResponse>> {
    match service::viewer::resolve(&state.services, principal).await {
        Ok(scope) => Ok(scope),
        Err(error @ AppError::Forbidden(_)) => {
            Err(Box::new(refuse(state, StatusCode::FORBIDDEN, &error)))
        }
        Err(error) => {
            tracing::error!(error = %error, "resolving the caller's scope");
            Err(Box::new(refuse(state, status_of(&error), &error)))
        }
    }
}
