//! The answer to one GraphQL operation, before it is sent: what `POST /graphql` responds with
//! and what an idempotent request keeps for its retries.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::RETRY_AFTER;

/// The answer to one operation, before it is sent.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    /// Seconds for `Retry-After` (rate-limited or unavailable).
    pub retry_after: Option<u64>,
    pub body: Vec<u8>,
    /// Whether a retry with the same `Idempotency-Key` should be given this answer again
    /// (false for answers that say "try again": unavailable, rate-limited, timed out, internal).
    pub final_answer: bool,
}

impl Answer {
    /// The HTTP response.
    pub fn into_response(self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.content_type("application/json");
        if let Some(seconds) = self.retry_after {
            response.insert_header((RETRY_AFTER, seconds.to_string()));
        }
        response.body(self.body)
    }
}
