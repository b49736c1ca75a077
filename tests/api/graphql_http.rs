//! GraphQL over HTTP (the GraphQL-over-HTTP specification, the cases its `graphql-http` audit
//! checks): with `Accept: application/graphql-response+json` a request error is HTTP 400 with
//! no `data`; an executed operation is 200, errors and all; `application/json` clients keep
//! HTTP 200 with `data: null`.

use serde_json::{Value, json};

use crate::support::personas::pp;
use crate::support::{TestApp, first_code};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

/// POSTs `body` (any JSON) with `accept`: the status, the content type and the body.
async fn post(app: &TestApp, accept: Option<&str>, body: &Value) -> (u16, String, Value) {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(app.token(&pp("pp-1")))
        .json(body);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let kind = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    (status, kind, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn request_errors_are_400_without_data_for_graphql_response_clients() {
    let app = TestApp::spawn().await;
    for (body, code) in [
        (json!({ "query": "{ me {" }), "GRAPHQL_PARSE_FAILED"),
        (json!({ "query": "{ nothingLikeThis }" }), "BAD_USER_INPUT"),
        (
            json!({ "query": "query($n: Int!) { referrals(first: $n) { totalCount } }", "variables": { "n": "many" } }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "query": "query($n: Int!) { referrals(first: $n) { totalCount } }" }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "query": "query A { me { id } } query B { me { id } }", "operationName": "C" }),
            "BAD_USER_INPUT",
        ),
        (json!({ "notAQuery": true }), "GRAPHQL_PARSE_FAILED"),
    ] {
        let (status, kind, answer) = post(&app, Some(GRAPHQL_RESPONSE), &body).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(kind.starts_with(GRAPHQL_RESPONSE), "{kind}");
        assert!(answer.get("data").is_none(), "no data entry: {answer}");
        assert_eq!(first_code(&answer), code, "{body}");
    }
}

#[tokio::test]
async fn executed_operations_are_200_for_graphql_response_clients() {
    let app = TestApp::spawn().await;
    let accept = "application/graphql-response+json, application/json;q=0.9";
    let (status, kind, answer) =
        post(&app, Some(accept), &json!({ "query": "{ me { id } }" })).await;
    assert_eq!(
        (status, answer["data"]["me"]["id"].as_str()),
        (200, Some("pp-1"))
    );
    assert!(kind.starts_with(GRAPHQL_RESPONSE), "{kind}");
    // A field error: the operation ran, so 200 with data.
    let unknown = "mutation { sendReferral(id: \"00000000-0000-0000-0000-000000000000\") { id } }";
    let (status, _, answer) =
        post(&app, Some(GRAPHQL_RESPONSE), &json!({ "query": unknown })).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer.get("data").is_some());
    assert_eq!(first_code(&answer), "NOT_FOUND");
}

#[tokio::test]
async fn json_clients_keep_200_with_null_data() {
    let app = TestApp::spawn().await;
    for accept in [None, Some("application/json"), Some("*/*")] {
        let (status, kind, answer) = post(&app, accept, &json!({ "query": "{ me {" })).await;
        assert_eq!(status, 200, "{accept:?}");
        assert!(kind.starts_with("application/json"), "{kind}");
        assert!(answer["data"].is_null() && answer.get("data").is_some());
        assert_eq!(first_code(&answer), "GRAPHQL_PARSE_FAILED");
    }
}

#[tokio::test]
async fn a_subscription_sent_over_http_says_where_subscriptions_run() {
    let app = TestApp::spawn().await;
    let body = json!({ "query": "subscription { notificationAdded { id } }" });
    let (status, _, answer) = post(&app, None, &body).await;
    assert_eq!(status, 200);
    let errors = answer["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "one error: {answer}");
    assert_eq!(
        errors[0]["message"],
        "subscriptions run over a WebSocket at /graphql (protocol graphql-transport-ws), not over HTTP POST"
    );
}

#[tokio::test]
async fn a_database_that_cannot_be_opened_is_said_once() {
    // PostgreSQL names the missing database; SQLite would create its file.
    let Ok(base) = std::env::var("CRS_TEST_DATABASE_URL") else {
        return;
    };
    let (root, _) = base.rsplit_once('/').unwrap();
    let missing = format!("{root}/crs_no_such_database");
    let (ok, _, stderr) = crate::import::cli(&[("CRS_DATABASE_URL", missing)], &["migrate"]);
    assert!(!ok);
    assert_eq!(stderr.matches("does not exist").count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("crs-api: connecting to the database: "),
        "{stderr}"
    );
}
