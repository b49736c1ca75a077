//! No lost update: concurrent changes with the same expected version let exactly one through.

use serde_json::json;

use crate::helpers::{TestApp, first_code};
use crate::journey::*;

#[tokio::test]
async fn twenty_concurrent_assignments_with_one_version_let_exactly_one_through() {
    let app = TestApp::spawn().await;
    let owner = app.token(&pp("pp-1"));
    let (id, _) = sent_referral(&app, &owner, "CRS-ACC-J-01", "Alex", "Smith").await;
    let provider = app.token(&harbour("sp-1"));
    seen(&app, &provider).await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (client, address, token, id) = (
            app.client.clone(),
            app.address.clone(),
            provider.clone(),
            id.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let body = json!({ "query": ASSIGN, "variables": { "id": id, "to": "sp-1", "v": 3 } });
            let response = client
                .post(format!("{address}/graphql"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            response.json::<serde_json::Value>().await.unwrap()
        }));
    }
    let mut succeeded = 0;
    let mut conflicts = 0;
    for task in tasks {
        let body = task.await.unwrap();
        match body.get("errors") {
            None => succeeded += 1,
            Some(_) => {
                assert_eq!(first_code(&body), "CONFLICT", "{body}");
                conflicts += 1;
            }
        }
    }
    assert_eq!((succeeded, conflicts), (1, 19));
    let query = "query($id: ID!) { referral(id: $id) { version status history { kind } } }";
    let referral = ok(&app, &provider, query, json!({ "id": id }), "referral").await;
    assert_eq!(referral["version"], 4);
    assert_eq!(referral["status"], "ASSIGNED");
    assert_eq!(
        referral["history"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "ASSIGNED")
            .count(),
        1
    );
}
