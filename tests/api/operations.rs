//! Health, metrics, request ids, error hygiene and the query count of nested catalogue reads.

use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::support::personas::practitioner;
use crate::support::{Options, TestApp, first_code, on_postgres};

#[tokio::test]
async fn liveness_and_readiness() {
    let app = TestApp::spawn_with(Options::empty()).await;
    let live = app.get("/health/live").await;
    assert_eq!(live.status().as_u16(), 200);
    let ready = app.get("/health/ready").await;
    assert_eq!(ready.status().as_u16(), 200);
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_unreachable() {
    let app = TestApp::spawn_with(Options::empty()).await;
    app.db.clone().close().await.unwrap();
    let ready = app.get("/health/ready").await;
    assert_eq!(ready.status().as_u16(), 503);
    let live = app.get("/health/live").await;
    assert_eq!(live.status().as_u16(), 200);
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::spawn_with(Options::empty()).await;
    let mut seen = std::collections::HashSet::new();
    for path in ["/health/live", "/metrics", "/graphql", "/no-such-page"] {
        let response = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        let id = response
            .headers()
            .get("x-request-id")
            .unwrap_or_else(|| panic!("{path}"))
            .to_str()
            .unwrap();
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
        assert_eq!(
            response.headers().get("cache-control").unwrap(),
            "no-store",
            "{path}"
        );
        assert!(seen.insert(id.to_owned()));
    }
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": "{ me { id } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    assert!(response.headers().contains_key("x-request-id"));
}

#[tokio::test]
async fn metrics_show_routes_the_connection_pool_and_the_process() {
    let app = TestApp::spawn().await;
    app.get("/health/live").await;
    app.get("/health/live").await;
    app.get("/sent-referral/00000000-0000-0000-0000-000000000000")
        .await;
    app.get("/no/such/path/with-a-name-in-it").await;
    let odd = reqwest::Method::from_bytes(b"BREWCOFFEE").unwrap();
    app.client
        .request(odd, format!("{}/health/live", app.address))
        .send()
        .await
        .unwrap();
    let text = app.get_text("/metrics").await;
    let line = |prefix: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {prefix} in {text}"))
    };
    assert_eq!(
        line("crs_http_requests_total{method=\"GET\",route=\"/health/live\",status=\"200\"}"),
        2.0
    );
    // The pattern, never the path (which may hold an id or anything a client sends).
    assert!(text.contains("route=\"/sent-referral/{id}\""), "{text}");
    assert!(!text.contains("00000000-0000"), "{text}");
    assert!(!text.contains("with-a-name-in-it"), "{text}");
    assert!(text.contains("route=\"unmatched\""), "{text}");
    // A client's own method names take no label of their own.
    assert!(text.contains("method=\"OTHER\""), "{text}");
    assert!(!text.contains("BREWCOFFEE"), "{text}");
    assert!(text.contains(
        "crs_http_request_duration_seconds_bucket{method=\"GET\",route=\"/health/live\""
    ));
    // The test pool may open four connections; at least one is open.
    assert_eq!(line("crs_db_pool_connections{state=\"max\"}"), 4.0);
    assert!(line("crs_db_pool_connections{state=\"open\"}") >= 1.0);
    assert!(line("process_resident_memory_bytes") > 1.0e6);
    assert!(line("process_open_fds") >= 1.0);
}

#[tokio::test]
async fn metrics_count_operations_by_name() {
    let app = TestApp::spawn().await;
    let token = app.token(&practitioner());
    let body = json!({ "query": "query Regions { regions { code } }", "operationName": "Regions" });
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let text = app.get_text("/metrics").await;
    assert!(
        text.contains("crs_graphql_requests_total{operation=\"Regions\",outcome=\"ok\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("crs_graphql_request_duration_seconds_bucket{operation=\"Regions\""),
        "{text}"
    );
    assert!(text.contains("crs_db_statements_total"), "{text}");
    // Refusals are counted by code; names of operations that never ran take no label.
    let no_token = json!({ "query": "{ me { id } }" });
    app.client
        .post(format!("{}/graphql", app.address))
        .json(&no_token)
        .send()
        .await
        .unwrap();
    let junk = json!({ "query": "{ nope }", "operationName": "Junk123" });
    app.client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&token)
        .json(&junk)
        .send()
        .await
        .unwrap();
    let text = app.get_text("/metrics").await;
    assert!(
        text.contains(
            "crs_graphql_requests_total{operation=\"refused\",outcome=\"UNAUTHENTICATED\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("crs_graphql_requests_total{operation=\"rejected\",outcome=\"error\"} 1"),
        "{text}"
    );
    assert!(!text.contains("Junk123"), "{text}");
}

#[tokio::test]
async fn database_failures_are_internal_errors_with_no_detail() {
    let app = TestApp::spawn_with(Options::empty()).await;
    let token = app.token(&practitioner());
    app.data(&token, "{ me { id } }", json!({})).await;
    app.db
        .execute_unprepared("ALTER TABLE withdrawal_reason RENAME TO withdrawal_reason_gone")
        .await
        .unwrap();
    let (status, body) = app
        .gql(&token, "{ withdrawalReasons { code } }", json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(first_code(&body), "INTERNAL_SERVER_ERROR");
    assert_eq!(body["errors"][0]["message"], "internal error");
    let text = body.to_string().to_lowercase();
    for leak in [
        "withdrawal_reason",
        "select",
        "table",
        "sqlite",
        "postgres",
        ".rs",
    ] {
        assert!(!text.contains(leak), "{leak} leaked: {body}");
    }
}

/// Nested catalogue reads cost the same number of statements whatever the number of rows.
// On the server's own multi-threaded runtime, where a loader's batch can start on another
// thread: batching must still hold there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_catalogue_reads_run_a_constant_number_of_statements() {
    const DEEP: &str = "{ interventions { title serviceCategories { name complexityLevels { title } desiredOutcomes { description } }
        contract { reference contractType { name serviceCategories { name } } primeProvider { name } subcontractors { name }
        region { name pccAreas { name probationDeliveryUnits { name } } } pccAreas { name region { name } } } } }";
    async fn cost(app: &TestApp, token: &str) -> (u64, usize) {
        let before = app.statements().await;
        let data = app.data(token, DEEP, json!({})).await;
        (
            app.statements().await - before,
            data["interventions"].as_array().unwrap().len(),
        )
    }
    let few = TestApp::spawn_with(Options::empty()).await;
    let token = few.token(&practitioner());
    import_contracts(&few, 2).await;
    few.data(&token, "{ me { id } }", json!({})).await;
    let (few_statements, few_rows) = cost(&few, &token).await;

    let many = TestApp::spawn_with(Options::empty()).await;
    import_contracts(&many, 30).await;
    many.data(&token, "{ me { id } }", json!({})).await;
    let (many_statements, many_rows) = cost(&many, &token).await;

    assert_eq!((few_rows, many_rows), (2, 30));
    // One statement per loader key type and level at most, whatever the number of rows; with
    // N+1 the 30-row read alone would run well over 30. (Whether a key type needs a second batch
    // depends on whether the first has returned, so the two counts may differ by one or two.)
    for statements in [few_statements, many_statements] {
        assert!(
            statements <= 16,
            "{few_statements} statements for 2 rows, {many_statements} for 30"
        );
    }
}

/// Imports `n` open contracts spread over regions and types, each with subcontractors.
async fn import_contracts(app: &TestApp, n: usize) {
    let regions = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L"];
    let types = ["ACC", "ETE", "PWB", "WOS", "DNR", "MTR"];
    let providers: Vec<_> = (0..5)
        .map(|i| json!({ "code": format!("P{i}"), "name": format!("Provider {i}") }))
        .collect();
    let contracts: Vec<_> = (0..n)
        .map(|i| {
            json!({
                "reference": format!("T-{i:03}"), "contractType": types[i % types.len()],
                "primeProvider": format!("P{}", i % 5), "subcontractors": [format!("P{}", (i + 1) % 5), format!("P{}", (i + 2) % 5)],
                "region": regions[i % regions.len()],
                "eligibility": { "minimumAge": 18, "maximumAge": null, "allowsFemale": true, "allowsMale": true },
                "referralWindow": { "opensOn": "2021-06-01", "closesAfter": null },
                "intervention": { "title": format!("Service {i:03}"), "description": "Test service" }
            })
        })
        .collect();
    let file = json!({ "providers": providers, "contracts": contracts }).to_string();
    let services = crs_api::service::Services::new(app.db.clone());
    crs_api::service::catalogue_import::import_text(&services, "test.json", &file)
        .await
        .unwrap();
}

/// `CRS_DATABASE_SCHEMA` keeps the service's tables in their own PostgreSQL schema (SQLite,
/// which has no schemas, ignores it).
#[tokio::test]
async fn a_configured_database_schema_holds_the_tables() {
    let app =
        TestApp::spawn_with(Options::default().with("CRS_DATABASE_SCHEMA", "crs_tenant")).await;
    let data = app
        .data(
            &app.token(&practitioner()),
            "{ regions { code } }",
            json!({}),
        )
        .await;
    assert_eq!(data["regions"].as_array().unwrap().len(), 12);
    if !on_postgres() {
        return;
    }
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT count(*)::bigint AS n FROM information_schema.tables WHERE table_schema = 'crs_tenant' AND table_name = 'region'",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i64>("", "n").unwrap(), 1);
}
