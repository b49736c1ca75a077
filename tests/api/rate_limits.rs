//! Rate limits (S10): a per-caller budget of query cost, stricter budgets for downloads and
//! subject access requests, and failed authentications per client address, each answered 429
//! `RATE_LIMITED` with `Retry-After`. Bounded loops, no timing: the cost budget here refills
//! over an hour, and the per-minute budgets (3 downloads, 2 subject access requests, 5 failed
//! authentications) each take 12 s or more to gain a request back, far longer than the few
//! requests sent in a row take.

use serde_json::json;

use crate::support::personas::{claims, harbour, pp};
use crate::support::{Options, TestApp, first_code};

/// The largest number of requests any loop here sends.
const LOOP: usize = 200;

fn limited() -> Options {
    Options::default()
        .with("CRS_GRAPHQL_MAX_COMPLEXITY", "100")
        .with("CRS_RATE_LIMIT_COST_POINTS", "100")
        .with("CRS_RATE_LIMIT_COST_WINDOW_SECONDS", "3600")
        .with("CRS_RATE_LIMIT_DOWNLOADS_PER_MINUTE", "3")
        .with("CRS_RATE_LIMIT_SAR_PER_MINUTE", "2")
        .with("CRS_RATE_LIMIT_AUTH_FAILURES_PER_MINUTE", "5")
}

const ME: &str = "{ me { id } }";

#[tokio::test]
async fn a_caller_who_spends_their_query_budget_waits_and_others_do_not() {
    let app = TestApp::spawn_with(limited()).await;
    let token = app.token(&pp("pp-1"));
    let mut admitted = 0;
    let mut refusal = None;
    for _ in 0..LOOP {
        let response = app.post_graphql(&token, ME, json!({})).await;
        if response.status().as_u16() == 429 {
            refusal = Some(response);
            break;
        }
        assert_eq!(response.status().as_u16(), 200);
        admitted += 1;
    }
    let refusal = refusal.expect("the budget runs out within the loop");
    assert!(admitted >= 1, "the budget admits operations first");
    let retry_after: u64 = refusal.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    let body: serde_json::Value = refusal.json().await.unwrap();
    assert_eq!(first_code(&body), "RATE_LIMITED");
    assert_eq!(body["errors"][0]["extensions"]["retryAfter"], retry_after);
    assert!(body["data"].is_null(), "nothing ran: {body}");
    // Another caller has a budget of their own.
    let other = app.token(&pp("pp-2"));
    let (status, _) = app.gql(&other, ME, json!({})).await;
    assert_eq!(status, 200);
    let metrics = app.get_text("/metrics").await;
    assert!(
        metrics.contains("crs_rate_limited_total{limit=\"query_cost\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn downloads_and_subject_access_requests_have_stricter_budgets() {
    let app = TestApp::spawn_with(limited()).await;
    let sp = app.token(&harbour("sp-1"));
    let sar = app.token(&claims("sar-client", "ROLE_SAR_DATA_ACCESS", &[]));
    let statuses = |path: &'static str, token: String| {
        let app = &app;
        async move {
            let mut statuses = Vec::new();
            for _ in 0..5 {
                let response = app
                    .client
                    .get(format!("{}{path}", app.address))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                if status == 429 {
                    assert!(response.headers().contains_key("retry-after"));
                    let body: serde_json::Value = response.json().await.unwrap();
                    assert_eq!(first_code(&body), "RATE_LIMITED");
                }
                statuses.push(status);
            }
            statuses
        }
    };
    assert_eq!(
        statuses("/reports/provider-performance.csv", sp).await,
        vec![200, 200, 200, 429, 429]
    );
    assert_eq!(
        statuses("/subject-access-request?crn=A111111", sar).await,
        vec![204, 204, 429, 429, 429]
    );
}

#[tokio::test]
async fn an_address_that_keeps_failing_authentication_is_slowed_down() {
    let app = TestApp::spawn_with(limited()).await;
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let (status, body) = app.gql("not-a-token", ME, json!({})).await;
        if status == 429 {
            assert_eq!(first_code(&body), "RATE_LIMITED");
        } else {
            assert_eq!(first_code(&body), "UNAUTHENTICATED");
        }
        statuses.push(status);
    }
    assert_eq!(statuses, vec![401, 401, 401, 401, 401, 429, 429, 429]);
    // A valid token from the same address is still heard.
    let (status, _) = app.gql(&app.token(&pp("pp-1")), ME, json!({})).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn limits_can_be_switched_off() {
    let app = TestApp::spawn_with(limited().with("CRS_RATE_LIMITS", "false")).await;
    let token = app.token(&pp("pp-1"));
    for _ in 0..LOOP / 4 {
        let (status, _) = app.gql(&token, ME, json!({})).await;
        assert_eq!(status, 200);
    }
}
