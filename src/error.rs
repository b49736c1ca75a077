//! The one error type of the service layer and the one list of field codes. `graphql::error`
//! maps it to `extensions.code`; internal causes are logged there and never sent to a client.
//! What a database error means is decided in `db::failure`, which converts it.

use std::fmt;

/// A field-level validation failure with a stable code.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The input field, named as in the GraphQL input.
    pub field: String,
    /// A stable code such as `CANNOT_BE_EMPTY` or `INVALID_FORMAT`.
    pub code: &'static str,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str) -> Self {
        FieldError {
            field: field.into(),
            code,
        }
    }
}

/// Stable field codes: the one list of every code `extensions.fields` may carry.
pub mod field_code {
    pub const CANNOT_BE_EMPTY: &str = "CANNOT_BE_EMPTY";
    pub const CONDITIONAL_FIELD_MUST_BE_SET: &str = "CONDITIONAL_FIELD_MUST_BE_SET";
    pub const DATE_MUST_BE_IN_THE_FUTURE: &str = "DATE_MUST_BE_IN_THE_FUTURE";
    pub const DATE_MUST_BE_IN_THE_PAST: &str = "DATE_MUST_BE_IN_THE_PAST";
    pub const CANNOT_BE_NEGATIVE_OR_ZERO: &str = "CANNOT_BE_NEGATIVE_OR_ZERO";
    pub const INVALID_SERVICE_CATEGORY_FOR_CONTRACT: &str = "INVALID_SERVICE_CATEGORY_FOR_CONTRACT";
    pub const SERVICE_CATEGORY_MUST_BE_SET: &str = "SERVICE_CATEGORY_MUST_BE_SET";
    pub const INVALID_VALUE: &str = "INVALID_VALUE";
    /// A probation delivery unit outside the region of the referral's contract.
    pub const NOT_IN_CONTRACT_REGION: &str = "NOT_IN_CONTRACT_REGION";
    pub const INVALID_FORMAT: &str = "INVALID_FORMAT";
    pub const INVALID_LENGTH: &str = "INVALID_LENGTH";
    pub const NOT_ELIGIBLE: &str = "NOT_ELIGIBLE";
    /// The intervention's contract does not take referrals today.
    pub const NOT_OPEN_FOR_REFERRALS: &str = "NOT_OPEN_FOR_REFERRALS";
    pub const APPOINTMENT_TIME_BEFORE_REFERRAL_START_DATE: &str =
        "APPOINTMENT_TIME_BEFORE_REFERRAL_START_DATE";
    pub const APPOINTMENT_TIME_TOO_FAR_IN_FUTURE: &str = "APPOINTMENT_TIME_TOO_FAR_IN_FUTURE";
    pub const APPOINTMENT_NOT_STARTED: &str = "APPOINTMENT_NOT_STARTED";
    pub const CANNOT_BE_REDUCED: &str = "CANNOT_BE_REDUCED";
    pub const OUTCOME_MISSING: &str = "OUTCOME_MISSING";
    pub const DUPLICATE_OUTCOME: &str = "DUPLICATE_OUTCOME";
    /// An amendment whose values are the referral's already.
    pub const NOTHING_CHANGED: &str = "NOTHING_CHANGED";
}

/// Everything a use case can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No valid credentials.
    #[error("authentication required")]
    Unauthenticated,
    /// The caller may not do this; the message names what is missing (never another
    /// organisation's data).
    #[error("{0}")]
    Forbidden(String),
    /// Unknown, or outside the caller's scope: the two look the same.
    #[error("not found")]
    NotFound,
    /// The input is invalid; `fields` lists each failure.
    #[error("{message}")]
    BadInput {
        message: String,
        fields: Vec<FieldError>,
    },
    /// A stale version or a change to something locked.
    #[error("{0}")]
    Conflict(String),
    /// A status change the journey does not allow.
    #[error("{0}")]
    InvalidTransition(String),
    /// A document that does not parse, or nests deeper than the documented limits.
    #[error("{0}")]
    ParseFailed(String),
    /// The database cannot be reached, or no connection came free in time: try again later.
    #[error("the service is temporarily unavailable; try again shortly")]
    Unavailable,
    /// A limit on what one caller may use was reached; the message names it.
    #[error("{0}")]
    RateLimited(String),
    /// An `Idempotency-Key` sent again with a different request.
    #[error(
        "this Idempotency-Key was used for a different request; use a new key for a new request"
    )]
    IdempotencyKeyReused,
    /// A statement ran past its time limit; nothing it would have written was kept.
    #[error("the operation took too long and was stopped")]
    Timeout,
    /// Anything unexpected: logged, and answered with no detail.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    /// A validation failure of the given fields.
    pub fn bad_input(message: impl Into<String>, fields: Vec<FieldError>) -> Self {
        AppError::BadInput {
            message: message.into(),
            fields,
        }
    }

    /// The `extensions.code` of this error.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "UNAUTHENTICATED",
            AppError::Forbidden(_) => "FORBIDDEN",
            AppError::NotFound => "NOT_FOUND",
            AppError::BadInput { .. } => "BAD_USER_INPUT",
            AppError::Conflict(_) => "CONFLICT",
            AppError::InvalidTransition(_) => "INVALID_TRANSITION",
            AppError::ParseFailed(_) => "GRAPHQL_PARSE_FAILED",
            AppError::Unavailable => "SERVICE_UNAVAILABLE",
            AppError::Timeout => "TIMEOUT",
            AppError::RateLimited(_) => "RATE_LIMITED",
            AppError::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            AppError::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }
}

/// Wraps a displayable internal cause with what was being done.
pub fn internal(context: &'static str, cause: impl fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("{context}: {cause}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_its_contract_code() {
        let cases = [
            (AppError::Unauthenticated, "UNAUTHENTICATED"),
            (AppError::Forbidden("x".into()), "FORBIDDEN"),
            (AppError::NotFound, "NOT_FOUND"),
            (AppError::bad_input("x", vec![]), "BAD_USER_INPUT"),
            (AppError::Conflict("x".into()), "CONFLICT"),
            (
                AppError::InvalidTransition("x".into()),
                "INVALID_TRANSITION",
            ),
            (
                AppError::Internal(anyhow::anyhow!("db down")),
                "INTERNAL_SERVER_ERROR",
            ),
        ];
        for (error, code) in cases {
            assert_eq!(error.code(), code);
        }
    }

    #[test]
    fn internal_errors_display_no_cause() {
        let error = AppError::Internal(anyhow::anyhow!("SELECT * FROM secret_table"));
        assert_eq!(error.to_string(), "internal error");
    }
}
