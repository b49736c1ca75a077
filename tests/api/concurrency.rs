//! No lost update: concurrent changes with the same expected version let exactly one through.

use serde_json::{Value, json};

use crate::support::personas::{harbour, pp};
use crate::support::steps::*;
use crate::support::{TestApp, first_code};

/// Posts `n` operations at once, as `token`; `body(i)` is the i-th request body. Returns the
/// response bodies.
async fn concurrently(
    app: &TestApp,
    token: &str,
    n: usize,
    body: impl Fn(usize) -> Value,
) -> Vec<Value> {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let request = app
                .client
                .post(format!("{}/graphql", app.address))
                .bearer_auth(token)
                .json(&body(i));
            tokio::spawn(
                async move { request.send().await.unwrap().json::<Value>().await.unwrap() },
            )
        })
        .collect();
    let mut bodies = Vec::new();
    for task in tasks {
        bodies.push(task.await.unwrap());
    }
    bodies
}

#[tokio::test]
async fn twenty_concurrent_assignments_with_one_version_let_exactly_one_through() {
    let app = TestApp::spawn().await;
    let owner = app.token(&pp("pp-1"));
    let (id, _) = sent_referral(&app, &owner, "CRS-ACC-J-01", "Alex", "Smith").await;
    let provider = app.token(&harbour("sp-1"));
    seen(&app, &provider).await;
    let bodies = concurrently(
        &app,
        &provider,
        20,
        |_| json!({ "query": ASSIGN, "variables": { "id": id, "to": "sp-1", "v": 3 } }),
    )
    .await;
    let mut succeeded = 0;
    let mut conflicts = 0;
    for body in bodies {
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
    let bodies = concurrently(&app, &provider, 10, |i| {
        let input = if i % 2 == 0 { attended() } else { missed() };
        json!({ "query": FEEDBACK, "variables": { "id": appointment, "input": input } })
    })
    .await;
    let mut kept = Vec::new();
    for body in bodies {
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
    let app = TestApp::spawn().await;
    let owner = app.token(&pp("pp-1"));
    let provider = app.token(&harbour("sp-1"));
    let id = assigned_referral(&app, &owner, &provider, "Dee").await;
    let bodies = concurrently(&app, &provider, 10, |_| {
        let input = phone("ASSESSMENT", None, &future_start());
        json!({ "query": SCHEDULE, "variables": { "id": id, "input": input } })
    })
    .await;
    let mut booked = 0;
    for body in bodies {
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
