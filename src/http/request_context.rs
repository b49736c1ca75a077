//! Gives every request an id (the `x-request-id` response header and the `request_id` field of
//! every log line in it; a caller's own `x-request-id` is kept when it is a UUID), notes the
//! trace id of an incoming W3C `traceparent` on every log line (`trace_id`), and logs one line
//! per request: method, route, status, time. Query strings, bodies and other headers are never
//! logged.

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
/// W3C Trace Context.
pub const TRACEPARENT: &str = "traceparent";

/// The trace id of a `traceparent` header (`00-<32 hex>-<16 hex>-<2 hex>`), when well formed
/// and not all zeros.
pub fn trace_id_of(traceparent: &str) -> Option<&str> {
    let mut parts = traceparent.trim().split('-');
    let (version, trace, parent, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, n: usize| {
        s.len() == n
            && s.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    };
    (hex(version, 2)
        && version != "ff"
        && hex(trace, 32)
        && hex(parent, 16)
        && hex(flags, 2)
        && trace.bytes().any(|b| b != b'0'))
    .then_some(trace)
}

/// Reads W3C Trace Context headers for the OpenTelemetry propagator.
struct HeaderExtractor<'a>(&'a actix_web::http::header::HeaderMap);

impl opentelemetry::propagation::Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// The middleware.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    // A caller's own request id is kept when it is a UUID (anything else could forge log
    // lines); otherwise the request gets one.
    let id = RequestId(
        req.headers()
            .get(REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| Uuid::try_parse(v.trim()).ok())
            .unwrap_or_else(Uuid::new_v4),
    );
    req.extensions_mut().insert(id);
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let trace_id = req
        .headers()
        .get(TRACEPARENT)
        .and_then(|v| v.to_str().ok())
        .and_then(trace_id_of)
        .unwrap_or_default();
    let span = tracing::info_span!(
        "request",
        request_id = %id.0,
        trace_id = %trace_id,
        method = %req.method(),
        route = %route
    );
    // Exported traces continue the caller's (nothing happens when none are exported).
    let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&HeaderExtractor(req.headers()))
    });
    let _ = tracing_opentelemetry::OpenTelemetrySpanExt::set_parent(&span, parent);
    let started = Instant::now();
    let mut response = next.call(req).instrument(span.clone()).await?;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&id.0.to_string()) {
        headers.insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    // Responses may carry personal data: never stored by caches (unless the handler said
    // otherwise, as the embedded page assets do).
    if !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
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
    if let Some(state) = response
        .request()
        .app_data::<actix_web::web::Data<AppState>>()
    {
        // Methods are a client's to name: any but the standard ones count as OTHER.
        let method = match response.request().method().as_str() {
            m @ ("GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS") => m,
            _ => "OTHER",
        };
        state
            .metrics
            .observe_http(&route, method, status, started.elapsed());
    }
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| tracing::info!(status, elapsed_ms, "request finished"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::trace_id_of;

    #[test]
    fn only_well_formed_trace_ids_are_kept() {
        assert_eq!(
            trace_id_of("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
        for bad in [
            "",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f35-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736\ninjected-00f067aa0ba902b7-01",
        ] {
            assert_eq!(trace_id_of(bad), None, "{bad}");
        }
    }
}
