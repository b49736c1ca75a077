//! `POST /graphql`: authenticate, read a bounded JSON body, resolve the caller's scope, execute.
//! `GET /graphql` never executes an operation: it serves GraphiQL in development only.

use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::http::header::{
    AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, WWW_AUTHENTICATE,
};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use async_graphql::http::GraphiQLSource;
use futures_util::StreamExt;

use super::AppState;
use super::auth::bearer_token;
use super::request_context::RequestId;
use crate::error::AppError;
use crate::graphql::context::{Caller, new_loader};
use crate::graphql::error::{assign_codes, error_body};
use crate::service;

fn refuse(status: StatusCode, message: &str, code: &str) -> HttpResponse {
    HttpResponse::build(status).json(error_body(message, code))
}

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

enum BodyError {
    TooLarge,
    Broken,
}

/// Reads the body, stopping as soon as it passes `limit` bytes.
async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(1024).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| BodyError::Broken)?;
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Executes one GraphQL operation.
pub async fn execute(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let principal = match bearer_token(header).and_then(|token| state.verifier.verify(token)) {
        Ok(principal) => principal,
        Err(reason) => {
            tracing::info!(reason = %reason, "unauthenticated request");
            let mut response = refuse(
                StatusCode::UNAUTHORIZED,
                "authentication required",
                "UNAUTHENTICATED",
            );
            let challenge = HeaderValue::from_static("Bearer");
            response.headers_mut().insert(WWW_AUTHENTICATE, challenge);
            return response;
        }
    };
    if !is_json(&req) {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send operations as application/json",
            "BAD_USER_INPUT",
        );
    }
    let body = match read_body(&req, payload, state.max_body_bytes).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => {
            let message = format!(
                "the request body is larger than {} bytes",
                state.max_body_bytes
            );
            return refuse(StatusCode::PAYLOAD_TOO_LARGE, &message, "BAD_USER_INPUT");
        }
        Err(BodyError::Broken) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "the request body could not be read",
                "BAD_USER_INPUT",
            );
        }
    };
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return refuse(
            StatusCode::BAD_REQUEST,
            "batched operations are not supported",
            "BAD_USER_INPUT",
        );
    }
    let request: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(_) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "the body is not a GraphQL request in JSON",
                "BAD_USER_INPUT",
            );
        }
    };

    let scope = match service::viewer::resolve(&state.services, &principal).await {
        Ok(scope) => scope,
        Err(AppError::Forbidden(message)) => {
            return refuse(StatusCode::FORBIDDEN, &message, "FORBIDDEN");
        }
        Err(error) => {
            tracing::error!(error = ?error, "resolving the caller's scope");
            return refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error",
                "INTERNAL_SERVER_ERROR",
            );
        }
    };

    let operation = state
        .metrics
        .operation_label(request.operation_name.as_deref());
    let mut request = request
        .data(Caller { principal, scope })
        .data(new_loader(&state.services));
    if let Some(id) = req.extensions().get::<RequestId>().copied() {
        request = request.data(id);
    }
    let started = Instant::now();
    let mut response = state.schema.execute(request).await;
    assign_codes(&mut response);
    let outcome = if response.errors.is_empty() {
        "ok"
    } else {
        "error"
    };
    state
        .metrics
        .observe(&operation, outcome, started.elapsed());
    HttpResponse::Ok().json(response)
}

/// GraphiQL in development; never executes an operation.
pub async fn graphiql(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if state.production || req.query_string().contains("query") {
        return method_not_allowed().await;
    }
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(
            GraphiQLSource::build()
                .endpoint("/graphql")
                .title("crs-api")
                .finish(),
        )
}

/// Any other method, or an operation sent with GET.
pub async fn method_not_allowed() -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header(("Allow", "POST"))
        .json(error_body(
            "send GraphQL operations with POST as application/json",
            "BAD_USER_INPUT",
        ))
}
