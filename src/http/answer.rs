//! The answer to one GraphQL operation, before it is sent: what `POST /graphql` responds with
//! and what an idempotent request keeps for its retries.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::RETRY_AFTER;

/// How the client asked to be answered (GraphQL over HTTP, section "Accept").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MediaType {
    /// `application/json`: every GraphQL response is HTTP 200 with `data` (older clients).
    Json,
    /// `application/graphql-response+json`: a request error (the document does not parse or
    /// validate, a variable is invalid) is HTTP 400 with no `data`.
    GraphqlResponse,
}

impl MediaType {
    pub const GRAPHQL_RESPONSE: &'static str = "application/graphql-response+json";

    /// The media type asked for in an `Accept` header: the GraphQL response type when it is
    /// listed (and not refused with `q=0`), `application/json` otherwise.
    pub fn accepted(accept: Option<&str>) -> MediaType {
        let listed = accept.unwrap_or("").split(',').any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let media = parts.next().unwrap_or("");
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            media.eq_ignore_ascii_case(Self::GRAPHQL_RESPONSE) && !refused
        });
        if listed {
            MediaType::GraphqlResponse
        } else {
            MediaType::Json
        }
    }

    /// The `Content-Type` of an answer.
    pub fn content_type(self) -> &'static str {
        match self {
            MediaType::Json => "application/json",
            MediaType::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
        }
    }
}

/// The answer to one operation, before it is sent.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub media: MediaType,
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
        response.content_type(self.media.content_type());
        if let Some(seconds) = self.retry_after {
            response.insert_header((RETRY_AFTER, seconds.to_string()));
        }
        response.body(self.body)
    }
}

#[cfg(test)]
mod tests {
    use super::MediaType;

    #[test]
    fn the_graphql_response_type_is_used_when_listed() {
        for accept in [
            "application/graphql-response+json",
            "application/graphql-response+json, application/json;q=0.9",
            "application/json;q=0.5, Application/GraphQL-Response+JSON",
        ] {
            assert_eq!(
                MediaType::accepted(Some(accept)),
                MediaType::GraphqlResponse,
                "{accept}"
            );
        }
        for accept in [
            None,
            Some("application/json"),
            Some("*/*"),
            Some("application/graphql-response+json;q=0"),
        ] {
            assert_eq!(MediaType::accepted(accept), MediaType::Json, "{accept:?}");
        }
    }
}
