//! Failure that says what it is: the database out of reach or the pool exhausted is HTTP 503
//! `SERVICE_UNAVAILABLE` with `Retry-After`; a statement past its limit is `TIMEOUT` and its
//! connection goes back to the pool; instances started together prepare the database once.

use std::time::Duration;

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, TransactionTrait};
use serde_json::{Value, json};

use crate::support::personas::{commissioner, pp, practitioner};
use crate::support::steps::intervention_id;
use crate::support::{Options, TestApp, first_code, on_postgres};

const DASHBOARD: &str = "{ referrals(first: 5) { totalCount } }";

const CREATE: &str =
    "mutation($input: CreateDraftReferralInput!) { createDraftReferral(input: $input) { id } }";

fn draft_input() -> Value {
    json!({ "input": { "interventionId": intervention_id("CRS-ACC-J-01"), "crn": "X123456" } })
}

/// POSTs `query`; returns the status, the `Retry-After` header and the body.
async fn post(
    app: &TestApp,
    token: &str,
    query: &str,
    variables: Value,
) -> (u16, Option<String>, Value) {
    let response = app.post_graphql(token, query, variables).await;
    let status = response.status().as_u16();
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, retry, response.json().await.unwrap_or(Value::Null))
}

fn assert_unavailable((status, retry, body): &(u16, Option<String>, Value)) {
    assert_eq!(
        (*status, first_code(body)),
        (503, "SERVICE_UNAVAILABLE"),
        "{body}"
    );
    assert!(
        retry.as_deref().is_some_and(|s| s.parse::<u64>().is_ok()),
        "{retry:?}"
    );
    let text = body.to_string();
    assert!(!text.contains("pool") && !text.contains("sqlx"), "{text}");
}

/// A pool of one whose connection the test holds: requests waited 5.7–7 s and then got
/// `INTERNAL_SERVER_ERROR`; now they get 503 within the acquire timeout, and are served again
/// once the connection is free.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exhausted_pool_answers_503_with_retry_after() {
    let app = TestApp::spawn_with(
        Options::default()
            .with("CRS_DATABASE_MAX_CONNECTIONS", "1")
            .with("CRS_DATABASE_ACQUIRE_TIMEOUT_MS", "300"),
    )
    .await;
    let token = app.token(&practitioner());
    app.data(&token, DASHBOARD, json!({})).await;
    let held = app.db.begin().await.unwrap();
    let answers =
        futures_util::future::join_all((0..10).map(|_| post(&app, &token, DASHBOARD, json!({}))))
            .await;
    for answer in &answers {
        assert_unavailable(answer);
    }
    held.rollback().await.unwrap();
    app.data(&token, DASHBOARD, json!({})).await;
}

/// A category report reads its rows and the other dimension's margin (or its totals): on a pool of
/// one connection it opened a transaction for each at once and waited for the second until the
/// acquire timeout (503); its reads now take turns on the connections the pool allows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_category_report_is_answered_on_a_pool_of_one_connection() {
    let app = TestApp::spawn_with(
        Options::default()
            .with("CRS_DATABASE_MAX_CONNECTIONS", "1")
            .with("CRS_DATABASE_ACQUIRE_TIMEOUT_MS", "300"),
    )
    .await;
    let token = app.token(&commissioner(&["J"]));
    let report = "{ outcomeReport(groupBy: [SERVICE_CATEGORY, REGION]) { rows { referralsSent } \
                  totals { referralsSent } } }";
    let data = app.data(&token, report, json!({})).await;
    assert_eq!(data["outcomeReport"]["totals"]["referralsSent"], 0);
}

/// A separate connection to the test's database (not the server's pool).
async fn second_connection(app: &TestApp) -> DatabaseConnection {
    use secrecy::ExposeSecret;
    let url = app.settings.database.url.expose_secret().to_owned();
    Database::connect(url).await.unwrap()
}

/// A mutation waiting on a lock past the statement limit fails with `TIMEOUT` (PostgreSQL's
/// `statement_timeout`; SQLite's busy timeout), writes nothing, and its connection (the pool's
/// only one) serves the next request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_past_its_limit_is_a_timeout_and_the_connection_returns() {
    let app = TestApp::spawn_with(
        Options::default()
            .with("CRS_DATABASE_MAX_CONNECTIONS", "1")
            .with("CRS_DATABASE_STATEMENT_TIMEOUT_MS", "300"),
    )
    .await;
    let token = app.token(&pp("pp-1"));
    app.data(&token, DASHBOARD, json!({})).await;
    let other = second_connection(&app).await;
    let lock = other.begin().await.unwrap();
    if on_postgres() {
        lock.execute_unprepared("LOCK TABLE referral IN ACCESS EXCLUSIVE MODE")
            .await
            .unwrap();
    } else {
        // Takes SQLite's write lock until the transaction ends.
        lock.execute_unprepared("DELETE FROM referral WHERE 1 = 0")
            .await
            .unwrap();
    }
    let (status, _, body) = post(&app, &token, CREATE, draft_input()).await;
    assert_eq!((status, first_code(&body)), (200, "TIMEOUT"), "{body}");
    assert!(body["data"].is_null());
    lock.rollback().await.unwrap();
    // Nothing was written, and the one connection is back.
    let data = app
        .data(
            &token,
            "{ referrals(filter: { status: [DRAFT] }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(data["referrals"]["totalCount"], 0);
    app.data(&token, CREATE, draft_input()).await;
    other.close().await.unwrap();
}

/// Outcome reports have a longer limit of their own: a report that waits longer than a request
/// statement may still finishes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_have_a_statement_limit_of_their_own() {
    if !on_postgres() {
        return; // SQLite readers never wait for a lock, and it has no statement limit.
    }
    let app = TestApp::spawn_with(
        Options::default()
            .with("CRS_DATABASE_STATEMENT_TIMEOUT_MS", "300")
            .with("CRS_REPORT_STATEMENT_TIMEOUT_MS", "20000"),
    )
    .await;
    let token = app.token(&commissioner(&["J"]));
    let report = "{ outcomeReport(groupBy: [REGION]) { totals { referralsSent } } }";
    app.data(&token, report, json!({})).await;
    let other = second_connection(&app).await;
    let lock = other.begin().await.unwrap();
    lock.execute_unprepared("LOCK TABLE report_referral IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let waiting = tokio::spawn({
        let (client, address, token) = (app.client.clone(), app.address.clone(), token.clone());
        async move {
            let response = client
                .post(format!("{address}/graphql"))
                .bearer_auth(token)
                .json(&json!({ "query": report }))
                .send()
                .await
                .unwrap();
            response.json::<Value>().await.unwrap()
        }
    });
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    lock.rollback().await.unwrap();
    let body = waiting.await.unwrap();
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["outcomeReport"]["totals"]["referralsSent"], 0);
    other.close().await.unwrap();
}

#[tokio::test]
async fn postgres_ends_sessions_left_idle_in_a_transaction() {
    if !on_postgres() {
        return; // A PostgreSQL setting.
    }
    let app = TestApp::spawn().await;
    let row = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SHOW idle_in_transaction_session_timeout",
        ))
        .await
        .unwrap()
        .unwrap();
    let value: String = row.try_get_by_index(0).unwrap();
    assert_eq!(value, "10s");
}

/// PostgreSQL down: every query got HTTP 500 `INTERNAL_SERVER_ERROR`. Now 503 with
/// `Retry-After`, readiness 503, liveness 200, and service again once it is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_out_of_reach_is_503_and_service_resumes() {
    if !on_postgres() {
        return; // An embedded SQLite file cannot go away.
    }
    let app =
        TestApp::spawn_with(Options::default().with("CRS_DATABASE_ACQUIRE_TIMEOUT_MS", "500"))
            .await;
    let token = app.token(&practitioner());
    app.data(&token, DASHBOARD, json!({})).await;
    let (server, name) = app.postgres_database().unwrap();
    let admin = Database::connect(&server).await.unwrap();
    admin
        .execute_unprepared(&format!(
            "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"
        ))
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
        ))
        .await
        .unwrap();
    for _ in 0..3 {
        assert_unavailable(&post(&app, &token, DASHBOARD, json!({})).await);
    }
    assert_eq!(app.get("/health/ready").await.status().as_u16(), 503);
    assert_eq!(app.get("/health/live").await.status().as_u16(), 200);
    admin
        .execute_unprepared(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true"))
        .await
        .unwrap();
    admin.close().await.unwrap();
    app.data(&token, DASHBOARD, json!({})).await;
    assert_eq!(app.get("/health/ready").await.status().as_u16(), 200);
}

/// Three development instances started together on an empty PostgreSQL database loaded the
/// demo data three times (48 referrals instead of 16).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_started_together_load_the_demo_data_once() {
    if !on_postgres() {
        return; // One SQLite file is not shared by instances.
    }
    let (mut vars, _database) = crate::support::fresh_database().await;
    vars.push(("CRS_DEMO_DATA", "true".into()));
    let settings = crate::support::settings_from(&vars);
    let starts = (0..3).map(|_| {
        let settings = settings.clone();
        tokio::spawn(async move { crs_api::startup::Application::build(&settings).await })
    });
    let mut apps = Vec::new();
    for start in futures_util::future::join_all(starts).await {
        apps.push(start.unwrap().unwrap());
    }
    let count = |sql: &'static str| {
        let db = apps[0].db().clone();
        async move {
            let row = db
                .query_one_raw(sea_orm::Statement::from_string(
                    db.get_database_backend(),
                    sql,
                ))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<i64>(0).unwrap()
        }
    };
    assert_eq!(count("SELECT count(*) FROM referral").await, 16);
    assert_eq!(count("SELECT count(*) FROM service_provider").await, 5);
    let migrations = count("SELECT count(*) FROM seaql_migrations").await;
    assert_eq!(
        count("SELECT count(DISTINCT version) FROM seaql_migrations").await,
        migrations
    );
    for app in &apps {
        drop(app.handle().stop(false));
    }
}
