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

/// Feedback locks its appointment: of ten concurrent recordings exactly one is kept.
#[tokio::test]
async fn ten_concurrent_feedback_recordings_keep_exactly_one() {
    use crate::delivery_steps::*;
    let app = TestApp::spawn().await;
    let owner = app.token(&pp("pp-1"));
    let provider = app.token(&harbour("sp-1"));
    let id = assigned_referral(&app, &owner, &provider, "Cam").await;
    let appointment = schedule(
        &app,
        &provider,
        &id,
        phone("ASSESSMENT", None, &past_start()),
    )
    .await;
    let mut tasks = Vec::new();
    for i in 0..10 {
        let (client, address, token, appointment) = (
            app.client.clone(),
            app.address.clone(),
            provider.clone(),
            appointment.clone(),
        );
        let input = if i % 2 == 0 { attended() } else { missed() };
        tasks.push(tokio::spawn(async move {
            let body =
                json!({ "query": FEEDBACK, "variables": { "id": appointment, "input": input } });
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
    let mut kept = Vec::new();
    for task in tasks {
        let body = task.await.unwrap();
        match body.get("errors") {
            None => {
                kept.push(body["data"]["recordAppointmentFeedback"]["feedback"]["attended"].clone())
            }
            Some(_) => assert_eq!(first_code(&body), "CONFLICT", "{body}"),
        }
    }
    assert_eq!(kept.len(), 1);
    let query = "query($id: ID!) { referral(id: $id) { status appointments { feedback { attended } } history { kind } } }";
    let after = ok(&app, &provider, query, json!({ "id": id }), "referral").await;
    assert_eq!(after["appointments"][0]["feedback"]["attended"], kept[0]);
    let recorded = after["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "APPOINTMENT_FEEDBACK_RECORDED")
        .count();
    assert_eq!(recorded, 1);
}

/// Ten concurrent bookings of the same assessment: one is booked, the others are told to
/// reschedule it instead.
#[tokio::test]
async fn ten_concurrent_bookings_of_one_assessment_book_it_once() {
    use crate::delivery_steps::*;
    let app = TestApp::spawn().await;
    let owner = app.token(&pp("pp-1"));
    let provider = app.token(&harbour("sp-1"));
    let id = assigned_referral(&app, &owner, &provider, "Dee").await;
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (client, address, token, id) = (
            app.client.clone(),
            app.address.clone(),
            provider.clone(),
            id.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let input = phone("ASSESSMENT", None, &future_start());
            let body = json!({ "query": SCHEDULE, "variables": { "id": id, "input": input } });
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
    let mut booked = 0;
    for task in tasks {
        let body = task.await.unwrap();
        match body.get("errors") {
            None => booked += 1,
            Some(_) => assert_eq!(first_code(&body), "CONFLICT", "{body}"),
        }
    }
    assert_eq!(booked, 1);
    let query = "query($id: ID!) { referral(id: $id) { appointments { id } } }";
    let after = ok(&app, &provider, query, json!({ "id": id }), "referral").await;
    assert_eq!(after["appointments"].as_array().unwrap().len(), 1);
}
