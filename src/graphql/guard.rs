//! Checks of the parsed document before validation: how many aliases and fields it holds, and,
//! in production, no introspection. Parse failures get their code here, and in production
//! validation errors a generic message.
//!
//! Complexity counts what an operation would resolve; these count what the document spells
//! out, so that 2,000 aliases of `__typename` (cheap each, a 30 KB answer) or one field written
//! 500 times are refused before anything runs.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Response, ServerError, ServerResult, Variables};

/// Document limits (`CRS_GRAPHQL_MAX_ALIASES`, `CRS_GRAPHQL_MAX_FIELDS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DocumentLimits {
    /// Most aliased fields in one document.
    pub max_aliases: usize,
    /// Most field selections written in one document (fragments included, each once).
    pub max_fields: usize,
    /// Production: refuse `__schema` and `__type`, and answer validation errors with a code and
    /// a generic message (messages that differ by field would map the schema).
    pub production: bool,
}

/// The extension that applies [`DocumentLimits`].
#[derive(Clone, Copy, Debug)]
pub struct DocumentGuard(pub DocumentLimits);

impl ExtensionFactory for DocumentGuard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

/// An error with its `extensions.code`.
pub(super) fn coded(message: impl Into<String>, code: &'static str) -> ServerError {
    let mut error = ServerError::new(message, None);
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
    error
}

/// The code of an error raised while the document was read (parsed, or its recursion and
/// directives checked by async-graphql).
fn code_of_parse_error(error: &ServerError) -> &'static str {
    if error
        .message
        .starts_with("The recursion depth of the query")
    {
        "QUERY_TOO_DEEP"
    } else if error.message.starts_with("The number of directives") {
        "QUERY_TOO_COMPLEX"
    } else {
        "GRAPHQL_PARSE_FAILED"
    }
}

/// What a document spells out.
#[derive(Debug, Default, PartialEq, Eq)]
struct Tally {
    fields: usize,
    aliases: usize,
    introspection: bool,
}

/// Counts the fields and aliases written in `document`, without recursion.
fn tally(document: &ExecutableDocument) -> Tally {
    let mut tally = Tally::default();
    let mut pending: Vec<&SelectionSet> = document
        .operations
        .iter()
        .map(|(_, op)| &op.node.selection_set.node)
        .chain(
            document
                .fragments
                .values()
                .map(|f| &f.node.selection_set.node),
        )
        .collect();
    while let Some(set) = pending.pop() {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    tally.fields += 1;
                    tally.aliases += usize::from(field.node.alias.is_some());
                    let name = field.node.name.node.as_str();
                    tally.introspection |= name == "__schema" || name == "__type";
                    pending.push(&field.node.selection_set.node);
                }
                Selection::InlineFragment(fragment) => {
                    pending.push(&fragment.node.selection_set.node);
                }
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    tally
}

impl DocumentLimits {
    /// The first limit `document` breaks, as a coded error.
    pub fn check(&self, document: &ExecutableDocument) -> Result<(), ServerError> {
        let tally = tally(document);
        if self.production && tally.introspection {
            return Err(coded(
                "introspection is not available",
                "GRAPHQL_VALIDATION_FAILED",
            ));
        }
        if tally.aliases > self.max_aliases {
            return Err(coded(
                format!(
                    "the document uses {} aliases; at most {} are accepted",
                    tally.aliases, self.max_aliases
                ),
                "QUERY_TOO_COMPLEX",
            ));
        }
        if tally.fields > self.max_fields {
            return Err(coded(
                format!(
                    "the document selects {} fields; at most {} are accepted",
                    tally.fields, self.max_fields
                ),
                "QUERY_TOO_COMPLEX",
            ));
        }
        Ok(())
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for DocumentGuard {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await.map_err(|error| {
            let code = code_of_parse_error(&error);
            let mut error = error;
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", code);
            error
        })?;
        self.0.check(&document)?;
        Ok(document)
    }

    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        if self.0.production {
            for error in &mut response.errors {
                if super::error::code_of(error).is_none()
                    && super::error::code_for_framework_error(error) == "BAD_USER_INPUT"
                {
                    error.message = if error.path.is_empty() {
                        GENERIC_VALIDATION.to_owned()
                    } else {
                        GENERIC_VALUE.to_owned()
                    };
                }
            }
        }
        response
    }
}

/// The production message of every validation error (unknown field, missing argument, wrong
/// type…): the same for all, so messages cannot be used to map the schema.
pub const GENERIC_VALIDATION: &str = "the operation is not valid for this API";
/// The production message of an argument value refused while executing.
pub const GENERIC_VALUE: &str = "an argument value is not valid";

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(production: bool) -> DocumentLimits {
        DocumentLimits {
            max_aliases: 15,
            max_fields: 200,
            production,
        }
    }

    fn check(limits: DocumentLimits, query: &str) -> Option<String> {
        let document = async_graphql::parser::parse_query(query).ok()?;
        limits.check(&document).err().map(|e| {
            match e.extensions.and_then(|x| x.get("code").cloned()) {
                Some(async_graphql::Value::String(code)) => code,
                _ => "<none>".into(),
            }
        })
    }

    #[test]
    fn fields_and_aliases_are_counted_in_operations_and_fragments() {
        let document = async_graphql::parser::parse_query(
            "query { a: me { id } ...F } fragment F on Query { b: me { id name } regions { code } }",
        )
        .ok();
        let tally = document.as_ref().map(tally);
        assert_eq!(
            tally,
            Some(Tally {
                fields: 7,
                aliases: 2,
                introspection: false
            })
        );
    }

    #[test]
    fn too_many_aliases_or_fields_are_refused() {
        let aliases = |n: usize| {
            let body: String = (0..n).map(|i| format!("a{i}: __typename ")).collect();
            format!("{{ {body} }}")
        };
        assert_eq!(check(limits(false), &aliases(15)), None);
        assert_eq!(
            check(limits(false), &aliases(16)).as_deref(),
            Some("QUERY_TOO_COMPLEX")
        );
        let repeated = format!("{{ {} }}", "__typename ".repeat(201));
        assert_eq!(
            check(limits(false), &repeated).as_deref(),
            Some("QUERY_TOO_COMPLEX")
        );
    }

    #[test]
    fn introspection_is_refused_only_when_asked() {
        for query in [
            "{ __schema { types { name } } }",
            "{ __type(name: \"Query\") { name } }",
            "query { ...F } fragment F on Query { __schema { queryType { name } } }",
            "{ me { ... on Viewer { x: __type(name: \"A\") { name } } } }",
        ] {
            assert_eq!(
                check(limits(true), query).as_deref(),
                Some("GRAPHQL_VALIDATION_FAILED"),
                "{query}"
            );
            assert_eq!(check(limits(false), query), None, "{query}");
        }
        assert_eq!(check(limits(true), "{ __typename }"), None);
    }

    #[test]
    fn parse_errors_are_told_apart() {
        let code = |message: &str| code_of_parse_error(&ServerError::new(message, None));
        assert_eq!(
            code("The recursion depth of the query cannot be greater than `32`"),
            "QUERY_TOO_DEEP"
        );
        assert_eq!(
            code("The number of directives on the field `a` cannot be greater than `5`"),
            "QUERY_TOO_COMPLEX"
        );
        assert_eq!(code(" --> 1:3 expected selection"), "GRAPHQL_PARSE_FAILED");
    }
}
