//! Notifications for both sides of a referral, written with the change that raises them: the
//! delivering organisations hear of a new referral, the caseworker of a withdrawal or a
//! practitioner's case note; the practitioner of an action plan to approve, the end-of-service
//! report and a provider's case note. Each reads only their own.

use serde_json::json;

use crate::support::personas::{bridgeway, harbour, northern, pp};
use crate::support::steps::*;
use crate::support::{Options, TestApp, first_code};

const LIST: &str =
    "{ notifications { totalCount edges { node { id kind readAt referral { id } } } } }";
const MARK: &str = "mutation($id: ID!) { markNotificationRead(id: $id) { id readAt } }";
const CASE_NOTE: &str = "mutation($id: ID!) {
    addCaseNote(referralId: $id, subject: \"Housing\", body: \"Viewing booked\") { id } }";

/// (kind, referral id, read) of the caller's notifications, oldest first.
async fn notices(app: &TestApp, token: &str) -> Vec<(String, String, bool)> {
    let data = app.data(token, LIST, json!({})).await;
    let mut rows: Vec<(String, String, bool)> = data["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let n = &e["node"];
            (
                n["kind"].as_str().unwrap().to_owned(),
                n["referral"]["id"].as_str().unwrap().to_owned(),
                !n["readAt"].is_null(),
            )
        })
        .collect();
    rows.reverse();
    rows
}

fn kinds(rows: &[(String, String, bool)]) -> Vec<&str> {
    rows.iter().map(|(kind, _, _)| kind.as_str()).collect()
}

async fn first_id(app: &TestApp, token: &str) -> String {
    app.data(token, LIST, json!({})).await["notifications"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn each_side_is_told_what_the_other_did() {
    let app =
        TestApp::spawn_with(Options::default().with("CRS_AUTO_APPROVE_ACTION_PLANS", "false"))
            .await;
    let pp = app.token(&pp("pp-1"));
    let sp = app.token(&harbour("sp-1"));
    let colleague = app.token(&harbour("sp-2"));
    let subcontractor = app.token(&bridgeway("bw-1"));
    let stranger = app.token(&northern("ns-1"));

    // Sent: every organisation delivering the contract (prime and subcontractor) is told.
    let (id, _) = sent_referral(&app, &pp, "CRS-ACC-J-01", "Alex", "Rivera").await;
    for token in [&sp, &colleague, &subcontractor] {
        assert_eq!(kinds(&notices(&app, token).await), ["REFERRAL_SENT"]);
    }
    assert!(notices(&app, &stranger).await.is_empty());
    assert!(
        notices(&app, &pp).await.is_empty(),
        "nothing of their own doing"
    );

    // An organisation's notification is read for all its users, and only theirs.
    let shared = first_id(&app, &colleague).await;
    let (_, body) = app.gql(&subcontractor, MARK, json!({ "id": shared })).await;
    assert_eq!(first_code(&body), "NOT_FOUND");
    let (_, body) = app.gql(&stranger, MARK, json!({ "id": shared })).await;
    assert_eq!(first_code(&body), "NOT_FOUND");
    ok(
        &app,
        &colleague,
        MARK,
        json!({ "id": shared }),
        "markNotificationRead",
    )
    .await;
    assert!(
        notices(&app, &sp).await[0].2,
        "read for the whole organisation"
    );
    assert!(!notices(&app, &subcontractor).await[0].2);

    // Once assigned, the provider side is the caseworker alone.
    assign(&app, &sp, &id).await;
    ok(&app, &pp, CASE_NOTE, json!({ "id": id }), "addCaseNote").await;
    assert_eq!(
        kinds(&notices(&app, &sp).await),
        ["REFERRAL_SENT", "CASE_NOTE_ADDED"]
    );
    assert_eq!(kinds(&notices(&app, &colleague).await), ["REFERRAL_SENT"]);
    assert_eq!(
        kinds(&notices(&app, &subcontractor).await),
        ["REFERRAL_SENT"]
    );

    // The practitioner hears of the provider's case note and of a plan to approve.
    ok(&app, &sp, CASE_NOTE, json!({ "id": id }), "addCaseNote").await;
    let appointment = schedule(&app, &sp, &id, phone("ASSESSMENT", None, &past_start())).await;
    record(&app, &sp, &appointment, attended()).await;
    submit_plan(&app, &sp, &id, 2).await;
    assert_eq!(
        kinds(&notices(&app, &pp).await),
        ["CASE_NOTE_ADDED", "ACTION_PLAN_SUBMITTED"]
    );
    assert!(notices(&app, &pp).await.iter().all(|(_, r, _)| *r == id));

    // Withdrawn: the caseworker is told.
    withdraw(&app, &pp, &id, "MIS").await;
    assert_eq!(
        kinds(&notices(&app, &sp).await),
        ["REFERRAL_SENT", "CASE_NOTE_ADDED", "REFERRAL_WITHDRAWN"]
    );
}

#[tokio::test]
async fn the_practitioner_is_told_of_the_end_of_service_report() {
    let app = TestApp::spawn().await;
    let pp = app.token(&pp("pp-1"));
    let sp = app.token(&harbour("sp-1"));
    let id = delivering_referral(&app, &pp, &sp, "Sam", 1).await;
    hold_session(&app, &sp, &id, 1, attended()).await;
    let report = full_report(&app, &sp, &id).await;
    ok(
        &app,
        &sp,
        SUBMIT_REPORT,
        json!({ "id": id, "input": report }),
        "submitEndOfServiceReport",
    )
    .await;
    let rows = notices(&app, &pp).await;
    assert_eq!(
        kinds(&rows),
        ["ACTION_PLAN_SUBMITTED", "END_OF_SERVICE_REPORT_SUBMITTED"]
    );
}
