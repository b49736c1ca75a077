//! Bounds on how deeply a request nests, checked before anything recursive reads it.
//!
//! The GraphQL parser, validation and input coercion all recurse over a document's values, and
//! JSON decoding recurses over the variables: a 4 KB list literal nested 2,000 deep overflowed
//! the worker's stack and aborted the process. So a document is scanned first, iteratively, and
//! refused when a value literal (an argument, a default value or a variable's type) nests deeper
//! than [`MAX_VALUE_NESTING`] or selection sets nest deeper than [`MAX_SELECTION_NESTING`]; the
//! variables are measured the same way once decoded (the JSON decoder stops at 128 levels on its
//! own, without recursing further).

use serde_json::Value;

/// Deepest list or input object literal (or variable value) accepted: the deepest input of the
/// schema (`desiredOutcomes: [{ desiredOutcomeIds: [...] }]` inside an input) nests four levels.
pub const MAX_VALUE_NESTING: usize = 8;

/// Deepest selection-set nesting the parser is given. Queries deeper than the configured depth
/// limit (`CRS_GRAPHQL_MAX_DEPTH`, at most this) are refused by validation with
/// `QUERY_TOO_DEEP`; past this they are not parsed at all.
pub const MAX_SELECTION_NESTING: usize = crate::config::GraphqlLimits::MAX_SELECTION_NESTING;

/// Why a request nests too deeply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TooDeep {
    /// A value literal (or a variable's list type) in the document.
    Value,
    /// Selection sets.
    Selection,
}

impl TooDeep {
    /// The message sent to the client.
    pub fn message(self) -> String {
        match self {
            TooDeep::Value => {
                format!("a value in the document nests deeper than {MAX_VALUE_NESTING} levels")
            }
            TooDeep::Selection => format!(
                "selection sets in the document nest deeper than {MAX_SELECTION_NESTING} levels"
            ),
        }
    }
}

/// Scans a GraphQL document without parsing it: brackets inside parentheses (arguments,
/// variable definitions, directive arguments) belong to values, braces outside them to
/// selection sets. Strings, block strings and comments are skipped. Stops at the first level
/// past a limit, so the cost is linear and nothing recurses.
pub fn check_document(document: &str) -> Result<(), TooDeep> {
    let bytes = document.as_bytes();
    let mut i = 0;
    let mut parens = 0usize;
    let mut values = 0usize;
    let mut selections = 0usize;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    // An escaped triple quote stays inside the block string.
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 3;
                continue;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            // Parentheses never nest in GraphQL; nested ones are bounded like values.
            b'(' => {
                parens += 1;
                if parens > MAX_VALUE_NESTING {
                    return Err(TooDeep::Value);
                }
            }
            b')' => {
                parens = parens.saturating_sub(1);
                if parens == 0 {
                    values = 0;
                }
            }
            b'[' | b'{' if parens > 0 => {
                values += 1;
                if values > MAX_VALUE_NESTING {
                    return Err(TooDeep::Value);
                }
            }
            b']' | b'}' if parens > 0 => values = values.saturating_sub(1),
            // Outside parentheses a list bracket can only be a mistake: the parser refuses it,
            // but only after recursing into it, so it counts like a value.
            b'[' => {
                values += 1;
                if values > MAX_VALUE_NESTING {
                    return Err(TooDeep::Value);
                }
            }
            b']' => values = values.saturating_sub(1),
            b'{' => {
                selections += 1;
                if selections > MAX_SELECTION_NESTING {
                    return Err(TooDeep::Selection);
                }
            }
            b'}' => selections = selections.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// How deeply a JSON value nests (a scalar is 0, `[1]` is 1), measured without recursion and
/// stopping once past `limit`.
pub fn json_depth_exceeds(value: &Value, limit: usize) -> bool {
    let mut stack: Vec<(&Value, usize)> = vec![(value, 0)];
    while let Some((value, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match value {
            Value::Array(items) => Box::new(items.iter()),
            Value::Object(map) => Box::new(map.values()),
            _ => continue,
        };
        if depth + 1 > limit {
            return true;
        }
        stack.extend(children.map(|child| (child, depth + 1)));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested_list(levels: usize) -> String {
        format!(
            "{{ referrals(filter: {{status: {}SENT{}}}) {{ totalCount }} }}",
            "[".repeat(levels),
            "]".repeat(levels)
        )
    }

    fn nested_object(levels: usize) -> String {
        format!(
            "{{ referrals(filter: {}\"x\"{}) {{ totalCount }} }}",
            "{search: ".repeat(levels),
            "}".repeat(levels)
        )
    }

    #[test]
    fn ordinary_documents_pass() {
        for document in [
            "{ me { id } }",
            "query($f: [[ID!]!]) { referrals(filter: { status: [SENT, ASSIGNED] }) { edges { node { id } } } }",
            "mutation { updateDraftReferral(id: \"x\", input: { desiredOutcomes: [{ serviceCategoryId: \"a\", desiredOutcomeIds: [\"b\"] }] }) { id } }",
            "{ a(x: \"[[[[[[[[[[[[\") { b } } # [[[[[[[[[[[[[[[",
            "{ a(x: \"\"\" [[[[[[[[[[ \\\"\"\" [[[[[[[[[[ \"\"\") { b } }",
        ] {
            assert_eq!(check_document(document), Ok(()), "{document}");
        }
    }

    #[test]
    fn deep_literals_are_refused_at_any_depth() {
        assert_eq!(check_document(&nested_list(MAX_VALUE_NESTING - 1)), Ok(()));
        for levels in [MAX_VALUE_NESTING + 1, 10, 1_000, 100_000] {
            assert_eq!(check_document(&nested_list(levels)), Err(TooDeep::Value));
            assert_eq!(check_document(&nested_object(levels)), Err(TooDeep::Value));
        }
    }

    #[test]
    fn deep_selections_are_refused_before_parsing() {
        let deep = |levels: usize| format!("{}{}", "{ a ".repeat(levels), "}".repeat(levels));
        assert_eq!(check_document(&deep(MAX_SELECTION_NESTING)), Ok(()));
        assert_eq!(
            check_document(&deep(MAX_SELECTION_NESTING + 1)),
            Err(TooDeep::Selection)
        );
        // Unbalanced brackets outside arguments are bounded too.
        assert_eq!(check_document(&"[".repeat(100_000)), Err(TooDeep::Value));
    }

    #[test]
    fn json_depth_is_measured_without_recursion() {
        let mut value = Value::from(1);
        for _ in 0..MAX_VALUE_NESTING {
            value = Value::Array(vec![value]);
        }
        assert!(!json_depth_exceeds(&value, MAX_VALUE_NESTING));
        let deeper = serde_json::json!({ "x": value });
        assert!(json_depth_exceeds(&deeper, MAX_VALUE_NESTING));
        assert!(!json_depth_exceeds(&Value::from("x"), 0));
    }
}
