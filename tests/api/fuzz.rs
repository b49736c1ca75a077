//! A bounded fuzz of the request path: generated documents (schema words, punctuation, strings,
//! comments, nesting up to thousands of levels) and generated variables, sent over HTTP. Every
//! answer must be a coded client error or data, never a 5xx or an uncoded error, and the server
//! must still answer afterwards. Deterministic (fixed seed), so a failure repeats.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Value, json};

use crate::support::TestApp;
use crate::support::personas::{commissioner, practitioner};

/// Documents sent per run.
const CASES: usize = 300;

/// Codes a request can be refused with before or while it runs.
const CLIENT_CODES: [&str; 10] = [
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "BAD_USER_INPUT",
    "CONFLICT",
    "INVALID_TRANSITION",
    "QUERY_TOO_DEEP",
    "QUERY_TOO_COMPLEX",
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
];

fn token_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just("(".to_owned()),
        Just(")".to_owned()),
        Just(":".to_owned()),
        Just("!".to_owned()),
        Just("=".to_owned()),
        Just("...".to_owned()),
        Just("$s".to_owned()),
        Just("@include(if: true)".to_owned()),
        Just("\"[[[{{{\"".to_owned()),
        Just("\"\"\" ]]] \"\"\"".to_owned()),
        Just("# {{{[[[\n".to_owned()),
        Just("\"unterminated".to_owned()),
        prop::sample::select(vec![
            "query",
            "mutation",
            "subscription",
            "fragment",
            "on",
            "me",
            "id",
            "name",
            "referrals",
            "referral",
            "filter",
            "status",
            "SENT",
            "first",
            "after",
            "totalCount",
            "edges",
            "node",
            "__typename",
            "__schema",
            "__type",
            "types",
            "regions",
            "pccAreas",
            "outcomeReport",
            "groupBy",
            "REGION",
            "search",
            "sendReferral",
            "Query",
            "ReferralStatus",
            "null",
            "true",
            "-1",
            "99999999999",
            "1.5e308",
        ])
        .prop_map(str::to_owned),
        "[a-zA-Z_][a-zA-Z0-9_]{0,8}",
        any::<u8>().prop_map(|b| char::from(b).to_string()),
    ]
}

/// A document: a run of tokens, sometimes wrapped in deep nesting of one kind of bracket.
fn document_strategy() -> impl Strategy<Value = String> {
    let tokens = prop::collection::vec(token_strategy(), 0..60)
        .prop_map(|t| t.join(" "))
        .boxed();
    let wrappers = wrappers();
    prop_oneof![
        3 => tokens.clone(),
        1 => (tokens, wrappers, 0usize..5_000).prop_map(|(core, (head, tail, open, close), n)| {
            format!("{head}{}{core}{}{tail}", open.repeat(n), close.repeat(n))
        }),
    ]
}

fn variables_strategy() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[A-Z_]{0,12}".prop_map(Value::from),
    ];
    let nested = leaf.prop_recursive(24, 64, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::hash_map("[a-z]{1,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    prop_oneof![
        Just(json!({})),
        nested.prop_map(|v| json!({ "s": v, "f": { "status": v.clone() } })),
    ]
}

fn is_coded_client_answer(status: u16, body: &Value) -> bool {
    if !(status == 200 || status == 400) {
        return false;
    }
    let Some(errors) = body.get("errors") else {
        return body.get("data").is_some_and(Value::is_object);
    };
    errors.as_array().is_some_and(|errors| {
        !errors.is_empty()
            && errors.iter().all(|e| {
                e["extensions"]["code"]
                    .as_str()
                    .is_some_and(|code| CLIENT_CODES.contains(&code))
            })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_requests_never_crash_the_server_or_go_uncoded() {
    let app = TestApp::spawn().await;
    let tokens = [app.token(&practitioner()), app.token(&commissioner(&["J"]))];
    let config = Config {
        cases: CASES as u32,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let strategy = (document_strategy(), variables_strategy());
    for case in 0..CASES {
        let (document, variables) = strategy
            .new_tree(&mut runner)
            .expect("a generated case")
            .current();
        let (status, body) = app
            .gql(&tokens[case % tokens.len()], &document, variables.clone())
            .await;
        assert!(
            is_coded_client_answer(status, &body),
            "case {case}: HTTP {status} {body}\ndocument: {}\nvariables: {variables}",
            document.chars().take(300).collect::<String>()
        );
    }
    let data = app.data(&tokens[0], "{ me { id } }", json!({})).await;
    assert_eq!(data["me"]["id"], "pp-1");
}

fn wrappers() -> impl Strategy<Value = (&'static str, &'static str, &'static str, &'static str)> {
    prop::sample::select(vec![
        (
            "{ referrals(filter: {status: ",
            "}) { totalCount } }",
            "[",
            "]",
        ),
        (
            "{ referrals(filter: ",
            ") { totalCount } }",
            "{search: ",
            "}",
        ),
        ("", "", "{ a ", "}"),
        ("query($s: ", ") { me { id } }", "[", "]"),
        ("", "", "(", ")"),
    ])
}

proptest! {
    #![proptest_config(Config { cases: 1_000, ..Config::default() })]

    /// The scanner reads anything without panicking.
    #[test]
    fn the_document_scanner_reads_anything(document in document_strategy()) {
        let _ = crs_api::graphql::nesting::check_document(&document);
    }

    /// Whatever follows, a run of brackets past every limit is refused.
    #[test]
    fn nesting_past_the_limits_is_always_refused(
        core in prop::collection::vec(token_strategy(), 0..20),
        (head, tail, open, close) in wrappers(),
        levels in 65usize..5_000,
    ) {
        let document = format!("{head}{}{}{}{tail}", open.repeat(levels), core.join(" "), close.repeat(levels));
        prop_assert!(crs_api::graphql::nesting::check_document(&document).is_err());
    }
}
