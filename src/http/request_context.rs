//! Gives every request an id (the `x-request-id` response header and the `request_id` field of
//! every log line in it) and logs one line per request: method, route, status, time. Query
//! strings, bodies and headers are never logged.

use std::sync::atomic::Ordering;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::ConnectionType;
use actix_web::http::header::{CACHE_CONTROL, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use tracing::Instrument;
use uuid::Uuid;

use super::AppState;

/// The id of one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestId(pub Uuid);

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The middleware.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = RequestId(Uuid::new_v4());
    req.extensions_mut().insert(id);
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let span =
        tracing::info_span!("request", request_id = %id.0, method = %req.method(), route = %route);
    let started = Instant::now();
    let mut response = next.call(req).instrument(span.clone()).await?;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&id.0.to_string()) {
        headers.insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    // Responses may carry personal data: never stored by caches.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Draining before shutdown: each answer closes its connection, so clients reconnect
    // (elsewhere) instead of reusing one the server is about to close.
    let draining = response
        .request()
        .app_data::<actix_web::web::Data<AppState>>()
        .is_some_and(|state| state.shutting_down.load(Ordering::Relaxed));
    if draining {
        response
            .response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
    let status = response.status().as_u16();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| tracing::info!(status, elapsed_ms, "request finished"));
    Ok(response)
}
