//! No request can take the server down or map the schema: nesting, aliases and fields are
//! bounded before anything recursive reads them, and production refuses introspection with
//! one generic message for every validation error.

use serde_json::{Value, json};

use crate::support::personas::{commissioner, practitioner};
use crate::support::{Options, TestApp, first_code};

fn list_literal(levels: usize) -> String {
    format!(
        "{{ referrals(filter: {{status: {}SENT{}}}) {{ totalCount }} }}",
        "[".repeat(levels),
        "]".repeat(levels)
    )
}

fn object_literal(levels: usize) -> String {
    format!(
        "{{ referrals(filter: {}\"x\"{}) {{ totalCount }} }}",
        "{search: ".repeat(levels),
        "}".repeat(levels)
    )
}

/// Still alive and answering.
async fn assert_serving(app: &TestApp) {
    let data = app
        .data(&app.token(&practitioner()), "{ me { id } }", json!({}))
        .await;
    assert_eq!(data["me"]["id"], "pp-1");
}

/// The reproduction: a 4 KB list literal nested 2,000 deep, and an object literal 3,000 deep,
/// sent with a commissioner's token, overflowed the worker's stack and aborted the process.
#[tokio::test]
async fn deeply_nested_literals_are_refused_and_the_server_keeps_serving() {
    let app = TestApp::spawn().await;
    let token = app.token(&commissioner(&["J"]));
    for document in [list_literal(2_000), object_literal(3_000)] {
        let (status, body) = app.gql(&token, &document, json!({})).await;
        assert_eq!(
            (status, first_code(&body)),
            (400, "GRAPHQL_PARSE_FAILED"),
            "{body}"
        );
        assert!(body["data"].is_null());
        assert_serving(&app).await;
    }
}

#[tokio::test]
async fn literals_and_variables_past_the_limit_are_refused_at_every_depth() {
    let app = TestApp::spawn().await;
    let token = app.token(&commissioner(&["J"]));
    for levels in [10, 1_000, 100_000] {
        // An object literal 100,000 deep does not fit in the body limit (HTTP 413); a list does.
        let documents = if levels < 100_000 {
            vec![list_literal(levels), object_literal(levels)]
        } else {
            vec![list_literal(levels)]
        };
        for document in documents {
            let (status, body) = app.gql(&token, &document, json!({})).await;
            assert_eq!(
                (status, first_code(&body)),
                (400, "GRAPHQL_PARSE_FAILED"),
                "{levels} levels"
            );
        }
        // The same depth as a variable, written as raw JSON (no recursive encoder involved).
        let variable = format!("{}\"SENT\"{}", "[".repeat(levels), "]".repeat(levels));
        let body = format!(
            "{{\"query\": \"query($s: [ReferralStatus!]) {{ referrals(filter: {{status: $s}}) {{ totalCount }} }}\", \"variables\": {{\"s\": {variable}}}}}"
        );
        let response = app
            .client
            .post(format!("{}/graphql", app.address))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!(
            (status, first_code(&body)),
            (400, "BAD_USER_INPUT"),
            "{levels} levels: {body}"
        );
    }
    assert_serving(&app).await;
}

#[tokio::test]
async fn ordinary_nesting_still_passes() {
    let app = TestApp::spawn().await;
    let token = app.token(&practitioner());
    let data = app
        .data(
            &token,
            "query($s: [ReferralStatus!]) { referrals(filter: { status: $s }) { totalCount } }",
            json!({ "s": ["SENT", "DRAFT"] }),
        )
        .await;
    assert_eq!(data["referrals"]["totalCount"], 0);
}

/// graphql-cop's alias and duplicate-field payloads: 101 aliases of `me`, 2,000 aliases of
/// `__typename`, one field written 500 times.
#[tokio::test]
async fn aliases_and_fields_are_limited_per_document() {
    let app = TestApp::spawn().await;
    let token = app.token(&practitioner());
    let aliases = |n: usize, field: &str| {
        let body: String = (0..n).map(|i| format!("a{i}: {field} ")).collect();
        format!("{{ {body} }}")
    };
    for document in [
        aliases(101, "me { id }"),
        aliases(2_000, "__typename"),
        format!("{{ {} }}", "__typename ".repeat(500)),
        format!("{{ me {{ {} }} }}", "id ".repeat(500)),
    ] {
        let (status, body) = app.gql(&token, &document, json!({})).await;
        assert_eq!(
            (status, first_code(&body)),
            (200, "QUERY_TOO_COMPLEX"),
            "{}",
            &document[..40]
        );
        assert!(body["data"].is_null(), "nothing runs");
    }
    // Up to the limits, the same shapes are answered.
    app.data(&token, &aliases(15, "__typename"), json!({}))
        .await;
    app.data(
        &token,
        &format!("{{ {} }}", "__typename ".repeat(200)),
        json!({}),
    )
    .await;
}

#[tokio::test]
async fn the_alias_and_field_limits_are_configurable() {
    let app = TestApp::spawn_with(
        Options::default()
            .with("CRS_GRAPHQL_MAX_ALIASES", "1")
            .with("CRS_GRAPHQL_MAX_FIELDS", "3"),
    )
    .await;
    let token = app.token(&practitioner());
    let (_, body) = app
        .gql(&token, "{ a: __typename b: __typename }", json!({}))
        .await;
    assert_eq!(first_code(&body), "QUERY_TOO_COMPLEX");
    let (_, body) = app.gql(&token, "{ me { id name roles } }", json!({})).await;
    assert_eq!(first_code(&body), "QUERY_TOO_COMPLEX");
    app.data(&token, "{ me { id name } }", json!({})).await;
}

#[tokio::test]
async fn a_document_that_does_not_parse_is_coded() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .gql(&app.token(&practitioner()), "{ me { id ", json!({}))
        .await;
    assert_eq!(
        (status, first_code(&body)),
        (200, "GRAPHQL_PARSE_FAILED"),
        "{body}"
    );
}

async fn production() -> TestApp {
    TestApp::spawn_with(Options::production()).await
}

/// In production `{ __schema { types { name } } }` answered `{"data":{"__schema":null}}` with no
/// error; now it is refused with a coded validation error, as is `__type`.
#[tokio::test]
async fn production_refuses_introspection_with_a_code() {
    let app = production().await;
    let token = app.token(&practitioner());
    for document in [
        "{ __schema { types { name } } }",
        "{ __type(name: \"Referral\") { name fields { name } } }",
        "{ ...F } fragment F on Query { __schema { queryType { name } } }",
    ] {
        let (status, body) = app.gql(&token, document, json!({})).await;
        assert_eq!(
            (status, first_code(&body)),
            (200, "GRAPHQL_VALIDATION_FAILED"),
            "{body}"
        );
        assert!(body["data"].is_null(), "{body}");
    }
    assert_eq!(
        app.data(&token, "{ __typename }", json!({})).await,
        json!({ "__typename": "Query" })
    );
}

/// `{ referral }` (argument missing) and `{ user }` (unknown field) gave different messages,
/// which recovered every root field and mutation. In production every validation error has a
/// code and the same message.
#[tokio::test]
async fn production_validation_errors_do_not_map_the_schema() {
    let app = production().await;
    let token = app.token(&practitioner());
    let mut answers = Vec::new();
    for document in [
        "{ referral }",
        "{ user }",
        "{ referral(id: 1, extra: 2) { id } }",
        "mutation { sendReferal(id: \"x\") { id } }",
        "mutation { sendReferral { id } }",
        "{ me { nothing } }",
        "{ interventions(filter: { gender: SOMETIMES }) { id } }",
    ] {
        let (status, body) = app.gql(&token, document, json!({})).await;
        assert_eq!(status, 200, "{body}");
        let errors = body["errors"].as_array().cloned().unwrap_or_default();
        assert!(!errors.is_empty(), "{document}: {body}");
        for error in &errors {
            assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error}");
            answers.push(error["message"].as_str().unwrap_or_default().to_owned());
        }
    }
    answers.dedup();
    assert_eq!(
        answers,
        vec![crs_api::graphql::guard::GENERIC_VALIDATION.to_owned()]
    );
}

#[tokio::test]
async fn development_keeps_helpful_validation_messages() {
    let app = TestApp::spawn().await;
    let (_, body) = app
        .gql(&app.token(&practitioner()), "{ user }", json!({}))
        .await;
    assert_eq!(first_code(&body), "BAD_USER_INPUT");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("user")),
        "{body}"
    );
}
