//! `POST /graphql`: authenticate, read a bounded JSON body, resolve the caller's scope, execute.
//! `GET /graphql` never executes an operation: it serves GraphiQL in development only.

use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::http::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use futures_util::StreamExt;

use super::AppState;
use super::answer::{Answer, MediaType};
use super::caller::{self, refuse};
use super::idempotency;
use super::request_context::RequestId;
use crate::domain::actor::Caller;
use crate::error::AppError;
use crate::graphql;
use crate::graphql::error::error_body;
use crate::graphql::nesting;

fn bad_request(message: impl Into<String>) -> AppError {
    AppError::bad_input(message, Vec::new())
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

/// Decodes the JSON body into a request whose document and variables nest no deeper than the
/// limits of [`nesting`], so nothing after this recurses without bound.
fn decode_request(body: &[u8]) -> Result<async_graphql::Request, AppError> {
    let json: serde_json::Value = serde_json::from_slice(body).map_err(|error| {
        // The decoder refuses JSON nested past 128 levels itself, before recursing further.
        if error.to_string().starts_with("recursion limit exceeded") {
            bad_request(format!(
                "the request body nests deeper than {} levels",
                nesting::MAX_VALUE_NESTING
            ))
        } else {
            bad_request("the body is not a GraphQL request in JSON")
        }
    })?;
    let too_deep = |name: &str| {
        json.get(name)
            .and_then(serde_json::Value::as_object)
            .is_some_and(|map| {
                map.values()
                    .any(|v| nesting::json_depth_exceeds(v, nesting::MAX_VALUE_NESTING))
            })
    };
    if too_deep("variables") || too_deep("extensions") {
        return Err(bad_request(format!(
            "a variable nests deeper than {} levels",
            nesting::MAX_VALUE_NESTING
        )));
    }
    let request: async_graphql::Request = serde_json::from_value(json)
        .map_err(|_| bad_request("the body is not a GraphQL request in JSON"))?;
    nesting::check_document(&request.query)
        .map_err(|too_deep| AppError::ParseFailed(too_deep.message()))?;
    Ok(request)
}

/// Executes one GraphQL operation.
pub async fn execute(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let principal = match caller::authenticate(&req, &state).await {
        Ok(principal) => principal,
        Err(refusal) => return *refusal,
    };
    let media = MediaType::accepted(req.headers().get(ACCEPT).and_then(|v| v.to_str().ok()));
    // Refusals of the request itself; with the GraphQL response type, without `data`.
    let refuse = |state: &AppState, status: StatusCode, error: &AppError| match media {
        MediaType::Json => refuse(state, status, error),
        MediaType::GraphqlResponse => {
            state.metrics.refused(error.code());
            let mut body = error_body(error);
            if let Some(body) = body.as_object_mut() {
                body.remove("data");
            }
            HttpResponse::build(status)
                .content_type(media.content_type())
                .body(body.to_string())
        }
    };
    if !is_json(&req) {
        let error = bad_request("send operations as application/json");
        return refuse(&state, StatusCode::UNSUPPORTED_MEDIA_TYPE, &error);
    }
    let body = match read_body(&req, payload, state.max_body_bytes).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => {
            let error = bad_request(format!(
                "the request body is larger than {} bytes",
                state.max_body_bytes
            ));
            return refuse(&state, StatusCode::PAYLOAD_TOO_LARGE, &error);
        }
        Err(BodyError::Broken) => {
            let error = bad_request("the request body could not be read");
            return refuse(&state, StatusCode::BAD_REQUEST, &error);
        }
    };
    if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        let error = bad_request("batched operations are not supported");
        return refuse(&state, StatusCode::BAD_REQUEST, &error);
    }
    let request = match decode_request(&body) {
        Ok(request) => request,
        Err(error) => return refuse(&state, StatusCode::BAD_REQUEST, &error),
    };

    let scope = match caller::scope(&state, &principal).await {
        Ok(scope) => scope,
        Err(refusal) => return *refusal,
    };

    let request_id = req.extensions().get::<RequestId>().map(|id| id.0);
    let caller = Caller { principal, scope };
    match idempotency::key_of(&req, &request) {
        Ok(None) => run(&state, caller, request, request_id, media)
            .await
            .into_response(),
        Ok(Some(key)) => {
            let principal = caller.principal.user_id.0.clone();
            let fingerprint = idempotency::fingerprint_of(&request);
            let runner = state.clone();
            idempotency::run_once(&state, principal, key, fingerprint, move || async move {
                run(&runner, caller, request, request_id, media).await
            })
            .await
        }
        Err(error) => refuse(&state, StatusCode::BAD_REQUEST, &error),
    }
}

/// Whether the operation `operation_name` of `query` (a document that passed validation, so
/// it parses within the nesting limit) is a mutation.
fn ran_a_mutation(query: &str, operation_name: Option<&str>) -> bool {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let Ok(document) = async_graphql::parser::parse_query(query) else {
        return false;
    };
    match document.operations {
        DocumentOperations::Single(operation) => operation.node.ty == OperationType::Mutation,
        DocumentOperations::Multiple(operations) => operations
            .iter()
            .filter(|(name, _)| operation_name.is_none_or(|wanted| wanted == name.as_str()))
            .any(|(_, operation)| operation.node.ty == OperationType::Mutation),
    }
}

/// Codes of errors a client is expected to retry.
const TRY_AGAIN: [&str; 4] = [
    "SERVICE_UNAVAILABLE",
    "RATE_LIMITED",
    "TIMEOUT",
    "INTERNAL_SERVER_ERROR",
];

/// Executes the operation for `caller` and records its metrics.
async fn run(
    state: &AppState,
    caller: Caller,
    request: async_graphql::Request,
    request_id: Option<uuid::Uuid>,
    media: MediaType,
) -> Answer {
    let operation_name = request.operation_name.clone();
    // With a read replica, a caller's writes keep their next reads on the primary.
    let document = state
        .services
        .replica
        .is_some()
        .then(|| (request.query.clone(), caller.user_id().clone()));
    let started = Instant::now();
    let response =
        graphql::execute(&state.schema, &state.services, caller, request, request_id).await;
    // Errors without a path were raised before execution (parse, validation, limits): the
    // operation never ran, so its client-chosen name is not worth a label.
    let rejected = response.errors.iter().any(|e| e.path.is_empty());
    if let Some((query, user)) = document
        && !rejected
        && ran_a_mutation(&query, operation_name.as_deref())
    {
        state.services.wrote(&user);
    }
    let operation = if rejected {
        "rejected".to_owned()
    } else {
        state.metrics.operation_label(operation_name.as_deref())
    };
    let outcome = if response.errors.is_empty() {
        "ok"
    } else {
        "error"
    };
    state
        .metrics
        .observe(&operation, outcome, started.elapsed());
    let has = |code: &str| {
        response
            .errors
            .iter()
            .any(|e| graphql::error::code_of(e) == Some(code))
    };
    // An answer is kept for retries unless it says "try again" and the operation gave nothing:
    // a mutation whose root field answered has run, whatever failed in the fields below it.
    let ran = match &response.data {
        async_graphql::Value::Object(fields) => {
            fields.values().any(|v| *v != async_graphql::Value::Null)
        }
        _ => false,
    };
    let final_answer = ran || !TRY_AGAIN.iter().any(|code| has(code));
    // The operation never started: the document did not parse or validate, or a variable was
    // invalid (every such error is about the request, none has a path).
    let request_error =
        !ran && !response.errors.is_empty() && response.errors.iter().all(|e| e.path.is_empty());
    let without_data = media == MediaType::GraphqlResponse && request_error;
    // A spent budget is 429; the database out of reach (or no connection free in time) is
    // the service being unavailable, whatever part of the operation met it: 503. Both say when
    // to retry.
    let rate_limited = response
        .errors
        .iter()
        .find(|e| graphql::error::code_of(e) == Some("RATE_LIMITED"))
        .map(|e| graphql::budget::retry_after(e).unwrap_or(1));
    let (status, retry_after) = if let Some(seconds) = rate_limited {
        state
            .metrics
            .rate_limited
            .with_label_values(&[crate::rate_limit::Limit::QueryCost.label()])
            .inc();
        (StatusCode::TOO_MANY_REQUESTS, Some(seconds))
    } else if has(AppError::Unavailable.code()) {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Some(caller::RETRY_AFTER_SECONDS),
        )
    } else if without_data {
        (StatusCode::BAD_REQUEST, None)
    } else {
        (StatusCode::OK, None)
    };
    let encoded = if without_data {
        // A request error has no `data` at all (not even null).
        serde_json::to_vec(&serde_json::json!({ "errors": response.errors }))
    } else {
        serde_json::to_vec(&response)
    };
    let body = encoded.unwrap_or_else(|error| {
        tracing::error!(error = %error, "writing a GraphQL response");
        serde_json::to_vec(&error_body(&crate::error::internal(
            "writing a GraphQL response",
            error,
        )))
        .unwrap_or_default()
    });
    Answer {
        status,
        media,
        retry_after,
        body,
        final_answer,
    }
}

/// GraphiQL in development; never executes an operation.
pub async fn graphiql(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if state.production || req.query_string().contains("query") {
        return method_not_allowed().await;
    }
    super::graphiql::page(&state).await
}

/// Any other method, or an operation sent with GET.
pub async fn method_not_allowed() -> HttpResponse {
    let error = bad_request("send GraphQL operations with POST as application/json");
    HttpResponse::MethodNotAllowed()
        .insert_header(("Allow", "POST"))
        .json(error_body(&error))
}
