//! Request hygiene (contract section 5): depth, complexity, batches, body size, methods,
//! content types, introspection and suggestions.

use serde_json::{Value, json};

use crate::support::personas::practitioner;
use crate::support::{Options, TestApp, first_code};

/// The introspection query GraphiQL sends (graphql-js `getIntrospectionQuery`).
const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}"#;

fn nested(depth: usize) -> String {
    // regions > pccAreas > region > pccAreas > ... each level adds one.
    let mut query = String::from("code");
    for level in 0..depth {
        query = if (depth - 1 - level).is_multiple_of(2) {
            format!("pccAreas {{ {query} }}")
        } else {
            format!("region {{ {query} }}")
        };
    }
    format!("{{ regions {{ {query} }} }}")
}

async fn post_raw(app: &TestApp, body: String, content_type: &str) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(app.token(&practitioner()))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A chain of single objects `depth` levels deep (cheap, so only the depth limit applies).
fn deep_chain(depth: usize) -> String {
    let mut query = String::from("name");
    for _ in 0..depth.saturating_sub(3) {
        query = format!("ofType {{ {query} }}");
    }
    format!("{{ __schema {{ queryType {{ {query} }} }} }}")
}

#[tokio::test]
async fn a_query_too_deep_is_refused_before_any_sql() {
    let app = TestApp::spawn().await;
    let token = app.token(&practitioner());
    app.data(&token, &deep_chain(15), json!({})).await;
    let before = app.statements().await;
    let (status, body) = app.gql(&token, &deep_chain(16), json!({})).await;
    assert_eq!(
        (status, first_code(&body)),
        (200, "QUERY_TOO_DEEP"),
        "{body}"
    );
    assert!(body["data"].is_null());
    // A practitioner already recorded needs no look-up, so nothing at all ran.
    assert_eq!(app.statements().await, before);
}

#[tokio::test]
async fn nesting_lists_costs_complexity_so_exponential_queries_are_refused() {
    let app = TestApp::spawn().await;
    let token = app.token(&practitioner());
    app.data(&token, &nested(4), json!({})).await;
    let (status, body) = app.gql(&token, &nested(10), json!({})).await;
    assert_eq!(
        (status, first_code(&body)),
        (200, "QUERY_TOO_COMPLEX"),
        "{body}"
    );
}

#[tokio::test]
async fn the_depth_limit_is_configurable() {
    let app = TestApp::spawn_with(Options::default().with("CRS_GRAPHQL_MAX_DEPTH", "3")).await;
    let (_, body) = app
        .gql(&app.token(&practitioner()), &nested(3), json!({}))
        .await;
    assert_eq!(first_code(&body), "QUERY_TOO_DEEP", "{body}");
}

#[tokio::test]
async fn a_query_too_complex_is_refused() {
    // Aliases and fields allowed freely here, so that complexity alone refuses the query.
    let app = TestApp::spawn_with(
        Options::default()
            .with("CRS_GRAPHQL_MAX_ALIASES", "10000")
            .with("CRS_GRAPHQL_MAX_FIELDS", "10000"),
    )
    .await;
    // Each alias costs two (me, id): 2,600 aliases exceed the default of 5,000.
    let aliases: String = (0..2600).map(|i| format!("a{i}: me {{ id }} ")).collect();
    let (status, body) = app
        .gql(
            &app.token(&practitioner()),
            &format!("{{ {aliases} }}"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        first_code(&body),
        "QUERY_TOO_COMPLEX",
        "{}",
        &body.to_string()[..200.min(body.to_string().len())]
    );
    // The message says what it cost and what the limit is.
    assert_eq!(
        body["errors"][0]["message"],
        "the query costs 5200 points, more than the limit of 5000: ask for fewer items per list, \
         or fewer nested lists"
    );
}

#[tokio::test]
async fn graphiql_introspection_passes_the_limits_in_development() {
    let app = TestApp::spawn().await;
    let data = app
        .data(&app.token(&practitioner()), INTROSPECTION, json!({}))
        .await;
    assert!(data["__schema"]["types"].as_array().unwrap().len() > 10);
}

#[tokio::test]
async fn production_turns_off_introspection_suggestions_and_graphiql() {
    let app = TestApp::spawn_with(Options::production()).await;
    let token = app.token(&practitioner());
    let (status, body) = app.gql(&token, INTROSPECTION, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(first_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
    assert!(body["data"].is_null(), "introspection must be off: {body}");
    assert_eq!(
        app.data(&token, "{ __typename }", json!({})).await,
        json!({ "__typename": "Query" })
    );
    let (_, body) = app.gql(&token, "{ regoins { code } }", json!({})).await;
    assert_eq!(first_code(&body), "BAD_USER_INPUT");
    assert!(!body.to_string().contains("Did you mean"), "{body}");
    let page = app.get("/graphql").await;
    assert_eq!(page.status().as_u16(), 405);
}

#[tokio::test]
async fn a_batch_is_refused_with_400() {
    let app = TestApp::spawn().await;
    let batch = json!([{ "query": "{ me { id } }" }, { "query": "{ me { id } }" }]).to_string();
    let (status, body) = post_raw(&app, batch, "application/json").await;
    assert_eq!(
        (status, first_code(&body)),
        (400, "BAD_USER_INPUT"),
        "{body}"
    );
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_413() {
    let app = TestApp::spawn().await;
    let padding = " ".repeat(300 * 1024);
    let body = format!("{{\"query\": \"{{ me {{ id }} }}{padding}\"}}");
    let (status, body) = post_raw(&app, body, "application/json").await;
    assert_eq!(
        (status, first_code(&body)),
        (413, "BAD_USER_INPUT"),
        "{body}"
    );
}

/// A chunked body declares no length: reading stops as soon as it passes the limit.
#[tokio::test]
async fn an_oversized_chunked_body_is_refused_with_413() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn().await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        app.token(&practitioner())
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = " ".repeat(64 * 1024);
    for _ in 0..5 {
        let framed = format!("{:x}\r\n{chunk}\r\n", chunk.len());
        if stream.write_all(framed.as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    let response = String::from_utf8_lossy(&response);
    assert!(
        response.starts_with("HTTP/1.1 413"),
        "{}",
        response.lines().next().unwrap_or_default()
    );
    assert!(!response.contains("\"me\""));
}

#[tokio::test]
async fn the_body_limit_is_configurable() {
    let app = TestApp::spawn_with(Options::default().with("CRS_MAX_BODY_BYTES", "2048")).await;
    let body = json!({ "query": format!("{{ me {{ id }} }} #{}", "x".repeat(3000)) }).to_string();
    let (status, _) = post_raw(&app, body, "application/json").await;
    assert_eq!(status, 413);
}

#[tokio::test]
async fn operations_sent_with_get_never_execute() {
    let app = TestApp::spawn().await;
    for query in [
        "mutation%20%7B%20__typename%20%7D",
        "%7B%20me%20%7B%20id%20%7D%20%7D",
    ] {
        let response = app
            .client
            .get(format!("{}/graphql?query={query}", app.address))
            .bearer_auth(app.token(&practitioner()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 405);
        let body: Value = response.json().await.unwrap();
        assert_eq!(first_code(&body), "BAD_USER_INPUT");
        assert!(body["data"].is_null());
    }
}

#[tokio::test]
async fn only_json_posts_execute() {
    let app = TestApp::spawn().await;
    for content_type in [
        "application/x-www-form-urlencoded",
        "text/plain",
        "multipart/form-data; boundary=x",
    ] {
        let (status, body) = post_raw(
            &app,
            "query=%7B%20me%20%7B%20id%20%7D%20%7D".into(),
            content_type,
        )
        .await;
        assert_eq!(
            (status, first_code(&body)),
            (415, "BAD_USER_INPUT"),
            "{content_type}"
        );
    }
    let (status, body) = post_raw(&app, "{ not json".into(), "application/json").await;
    assert_eq!((status, first_code(&body)), (400, "BAD_USER_INPUT"));
}

#[tokio::test]
async fn graphiql_is_served_in_development() {
    let app = TestApp::spawn().await;
    let page = app.get("/graphql").await;
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().await.unwrap().contains("graphiql"));
}

#[tokio::test]
async fn bad_input_values_are_coded() {
    let app = TestApp::spawn().await;
    let token = app.token(&practitioner());
    for query in [
        "{ interventions(filter: { age: 99999999999 }) { id } }",
        "{ interventions(filter: { gender: SOMETIMES }) { id } }",
        "{ nope }",
    ] {
        let (status, body) = app.gql(&token, query, json!({})).await;
        assert_eq!(
            (status, first_code(&body)),
            (200, "BAD_USER_INPUT"),
            "{query}: {body}"
        );
    }
}
