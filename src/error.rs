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

/// Stable field codes.
pub mod field_code {
    pub const INVALID_FORMAT: &str = "INVALID_FORMAT";
    pub const INVALID_VALUE: &str = "INVALID_VALUE";
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
