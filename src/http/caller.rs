//! Who is calling: the bearer token verified, then the caller's scope resolved; each step
//! answers with a coded refusal when it fails.

use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, HeaderValue, WWW_AUTHENTICATE};
use actix_web::{HttpRequest, HttpResponse};

use super::AppState;
use super::auth::bearer_token;
use crate::domain::actor::{Principal, Scope};
use crate::error::AppError;
use crate::graphql::error::error_body;
use crate::service;

/// A refusal made before any use case runs, coded like every other error.
pub fn refuse(state: &AppState, status: StatusCode, error: &AppError) -> HttpResponse {
    state.metrics.refused(error.code());
    HttpResponse::build(status).json(error_body(error))
}

/// The principal of the request's bearer token; HTTP 401 `UNAUTHENTICATED` without a valid one.
pub fn authenticate(req: &HttpRequest, state: &AppState) -> Result<Principal, Box<HttpResponse>> {
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    bearer_token(header)
        .and_then(|token| state.verifier.verify(token))
        .map_err(|reason| {
            tracing::info!(reason = %reason, "unauthenticated request");
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
            Err(Box::new(refuse(
                state,
                StatusCode::INTERNAL_SERVER_ERROR,
                &error,
            )))
        }
    }
}
