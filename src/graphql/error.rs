//! The one mapping from errors to `extensions.code`.
//!
//! Service errors carry their code ([`AppError::code`]); errors raised by async-graphql itself
//! (parse, validation, limits, bad input values) are given theirs by [`assign_codes`]. Internal
//! causes are logged here and never sent.

use std::sync::Arc;

use async_graphql::{Error, ErrorExtensions, Response, ServerError, Value};

use crate::error::AppError;

/// Message of async-graphql's depth-limit error.
const TOO_DEEP: &str = "Query is nested too deep.";
/// Message of async-graphql's complexity-limit error.
const TOO_COMPLEX: &str = "Query is too complex.";

fn to_graphql_error(error: &AppError) -> Error {
    if let AppError::Internal(cause) = error {
        // The cause chain's messages only: database error details can quote row values.
        tracing::error!(error = %format!("{cause:#}"), "internal error");
    }
    let message = error.to_string();
    let code = error.code();
    let fields = match error {
        AppError::BadInput { fields, .. } => Some(
            fields
                .iter()
                .map(|f| {
                    let mut entry = async_graphql::indexmap::IndexMap::new();
                    entry.insert(
                        async_graphql::Name::new("field"),
                        Value::from(f.field.clone()),
                    );
                    entry.insert(async_graphql::Name::new("code"), Value::from(f.code));
                    Value::Object(entry)
                })
                .collect::<Vec<_>>(),
        ),
        _ => None,
    };
    Error::new(message).extend_with(|_, ext| {
        ext.set("code", code);
        if let Some(fields) = &fields {
            ext.set("fields", Value::List(fields.clone()));
        }
    })
}

impl From<AppError> for Error {
    fn from(error: AppError) -> Self {
        to_graphql_error(&error)
    }
}

/// Errors from DataLoaders, which must be cloneable.
pub fn from_loader(error: Arc<AppError>) -> Error {
    to_graphql_error(&error)
}

/// The code of an error async-graphql raised itself.
pub(crate) fn code_for_framework_error(error: &ServerError) -> &'static str {
    match error.message.as_str() {
        TOO_DEEP => "QUERY_TOO_DEEP",
        TOO_COMPLEX => "QUERY_TOO_COMPLEX",
        _ => "BAD_USER_INPUT",
    }
}

/// The `extensions.code` of an error, once assigned.
pub fn code_of(error: &ServerError) -> Option<&str> {
    match error.extensions.as_ref()?.get("code")? {
        Value::String(code) => Some(code.as_str()),
        _ => None,
    }
}

/// async-graphql's answer to a subscription sent over HTTP.
const SUBSCRIPTION_OVER_HTTP: &str = "Subscriptions are not supported on this transport.";

/// Gives every error of `response` an `extensions.code`.
pub fn assign_codes(response: &mut Response) {
    for error in &mut response.errors {
        if error.message == SUBSCRIPTION_OVER_HTTP {
            error.message = "subscriptions run over a WebSocket at /graphql (protocol \
                             graphql-transport-ws), not over HTTP POST"
                .to_owned();
        }
        let has_code = error
            .extensions
            .as_ref()
            .is_some_and(|ext| ext.get("code").is_some());
        if !has_code {
            let code = code_for_framework_error(error);
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", code);
        }
    }
}

/// A whole-request error body (`{"data": null, "errors": [...]}`) for refusals made before
/// GraphQL runs, with the same message, code and field failures the error has everywhere else.
pub fn error_body(error: &AppError) -> serde_json::Value {
    let mut extensions = serde_json::json!({ "code": error.code() });
    if let AppError::BadInput { fields, .. } = error
        && !fields.is_empty()
    {
        extensions["fields"] = fields
            .iter()
            .map(|f| serde_json::json!({ "field": f.field, "code": f.code }))
            .collect();
    }
    serde_json::json!({
        "data": null,
        "errors": [{ "message": error.to_string(), "extensions": extensions }]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FieldError;

    fn code_of(error: Error) -> Option<String> {
        let server = error.into_server_error(async_graphql::Pos::default());
        match server.extensions.and_then(|e| e.get("code").cloned()) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        }
    }

    #[test]
    fn service_errors_keep_their_codes() {
        assert_eq!(
            code_of(AppError::NotFound.into()).as_deref(),
            Some("NOT_FOUND")
        );
        assert_eq!(
            code_of(AppError::Forbidden("x".into()).into()).as_deref(),
            Some("FORBIDDEN")
        );
        assert_eq!(
            code_of(AppError::Conflict("x".into()).into()).as_deref(),
            Some("CONFLICT")
        );
    }

    #[test]
    fn internal_errors_say_nothing_of_their_cause() {
        let error: Error =
            AppError::Internal(anyhow::anyhow!("relation \"referral\" does not exist")).into();
        assert_eq!(error.message, "internal error");
        assert_eq!(code_of(error).as_deref(), Some("INTERNAL_SERVER_ERROR"));
    }

    #[test]
    fn bad_input_lists_its_fields() {
        let error: Error =
            AppError::bad_input("invalid", vec![FieldError::new("age", "INVALID_VALUE")]).into();
        let server = error.into_server_error(async_graphql::Pos::default());
        let fields = server.extensions.and_then(|e| e.get("fields").cloned());
        let json = serde_json::to_value(fields).unwrap_or_default();
        assert_eq!(
            json,
            serde_json::json!([{ "field": "age", "code": "INVALID_VALUE" }])
        );
    }

    #[test]
    fn framework_errors_are_coded() {
        let mut response = Response::from_errors(vec![
            ServerError::new(TOO_DEEP, None),
            ServerError::new(TOO_COMPLEX, None),
            ServerError::new("Unknown field \"x\" on type \"Query\".", None),
        ]);
        assign_codes(&mut response);
        let codes: Vec<String> = response
            .errors
            .iter()
            .filter_map(
                |e| match e.extensions.as_ref().and_then(|x| x.get("code")) {
                    Some(Value::String(s)) => Some(s.clone()),
                    _ => None,
                },
            )
            .collect();
        assert_eq!(
            codes,
            vec!["QUERY_TOO_DEEP", "QUERY_TOO_COMPLEX", "BAD_USER_INPUT"]
        );
    }
}
