//! The read audit (C4): every read of person-level data by a provider user or a read-all client
//! is recorded (actor, organisation, referral, operation, request id, time), practitioners'
//! reads of their own referrals are not, and the records cannot be changed or deleted.

use std::time::Duration;

use crs_api::domain::read_audit::{AuditQuery, ReadRecord};
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::support::TestApp;
use crate::support::personas::{harbour, machine, pp};
use crate::support::steps::sent_referral;

/// The audit records of `actor`, once there are at least `expected` (written in batches, a
/// moment after the request), looking at most 100 times.
pub async fn records_of(app: &TestApp, actor: &str, expected: usize) -> Vec<ReadRecord> {
    let query = AuditQuery {
        actor_id: Some(actor.to_owned()),
        limit: 10_000,
        ..AuditQuery::default()
    };
    let mut records = Vec::new();
    for _ in 0..100 {
        records = crs_api::service::read_audit::find(&app.db, &query)
            .await
            .unwrap();
        if records.len() >= expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    records
}

const DASHBOARD: &str = "query Dashboard { referrals(first: 20) { edges { node { id serviceUser { firstName lastName crn } } } } }";
const NO_PERSON: &str = "query Statuses { referrals(first: 20) { edges { node { id status } } } }";

#[tokio::test]
async fn each_person_a_provider_reads_is_recorded_once_per_request_with_its_request_id() {
    let app = TestApp::spawn().await;
    let pp1 = app.token(&pp("pp-1"));
    let sp = app.token(&harbour("sp-1"));
    let (a, _) = sent_referral(&app, &pp1, "CRS-ACC-J-01", "Ann", "One").await;
    let (b, _) = sent_referral(&app, &pp1, "CRS-ACC-J-01", "Ben", "Two").await;
    // Not in Harbour Light's contracts: never read by them.
    let (elsewhere, _) = sent_referral(&app, &pp1, "CRS-MTR-E-01", "Cat", "Three").await;

    // The practitioner reads their own referrals: not recorded.
    app.data(&pp1, DASHBOARD, json!({})).await;
    // The provider lists without person fields: nothing to record.
    app.data(&sp, NO_PERSON, json!({})).await;
    let response = app.post_graphql(&sp, DASHBOARD, json!({})).await;
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(response.status().as_u16(), 200);

    let records = records_of(&app, "sp-1", 2).await;
    let mut read: Vec<String> = records.iter().map(|r| r.referral_id.to_string()).collect();
    read.sort();
    let mut expected = vec![a.clone(), b.clone()];
    expected.sort();
    assert_eq!(read, expected, "one record per person read, in one request");
    assert!(!read.contains(&elsewhere));
    for record in &records {
        assert_eq!(record.actor_role, "PROVIDER_USER");
        assert_eq!(record.organisation.as_deref(), Some("HARBOUR_LIGHT"));
        assert_eq!(record.operation, "graphql:Dashboard");
        assert_eq!(
            record.request_id.map(|id| id.to_string()),
            Some(request_id.clone())
        );
    }
    assert!(
        records_of(&app, "pp-1", 1).await.is_empty(),
        "practitioners are not recorded"
    );

    // A read-all client reading one referral.
    let m2m = app.token(&machine());
    app.data(
        &m2m,
        "query One($id: ID!) { referral(id: $id) { serviceUser { crn } } }",
        json!({ "id": a }),
    )
    .await;
    let records = records_of(&app, "m2m", 1).await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].actor_role, "READ_ALL");
    assert_eq!(records[0].referral_id.to_string(), a);
    assert_eq!(records[0].operation, "graphql:One");

    // A mutation's answer with the person in it is a read too.
    let assign = "mutation Assign($id: ID!, $to: ID!) {
        assignReferral(id: $id, assigneeId: $to) { serviceUser { lastName } } }";
    app.data(&sp, assign, json!({ "id": b, "to": "sp-1" }))
        .await;
    let by_referral = AuditQuery {
        referral_id: Some(b.parse().unwrap()),
        limit: 100,
        ..AuditQuery::default()
    };
    let mut of_b = Vec::new();
    for _ in 0..100 {
        of_b = crs_api::service::read_audit::find(&app.db, &by_referral)
            .await
            .unwrap();
        if of_b.iter().any(|r| r.operation == "graphql:Assign") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        of_b.iter().any(|r| r.operation == "graphql:Assign"),
        "{of_b:?}"
    );
    assert!(of_b.iter().all(|r| r.referral_id.to_string() == b));
}

#[tokio::test]
async fn reads_over_the_websocket_are_recorded_too() {
    let app = TestApp::spawn().await;
    let pp1 = app.token(&pp("pp-1"));
    let sp = app.token(&harbour("sp-1"));
    let (a, _) = sent_referral(&app, &pp1, "CRS-ACC-J-01", "Ann", "One").await;
    let mut socket = crate::support::ws::Subscriber::connect(&app, &sp)
        .await
        .unwrap();
    socket.subscribe("1", DASHBOARD, json!({})).await;
    let data = socket.data("1").await;
    assert!(data.to_string().contains(&a), "{data}");
    let records = records_of(&app, "sp-1", 1).await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].referral_id.to_string(), a);
    assert_eq!(records[0].operation, "graphql:Dashboard");
}

#[tokio::test]
async fn the_performance_download_records_every_line() {
    let app = TestApp::spawn().await;
    let pp1 = app.token(&pp("pp-1"));
    let sp = app.token(&harbour("sp-1"));
    let (a, _) = sent_referral(&app, &pp1, "CRS-ACC-J-01", "Ann", "One").await;
    let (b, _) = sent_referral(&app, &pp1, "CRS-DNR-G-01", "Ben", "Two").await;
    let response = app
        .client
        .get(format!("{}/reports/provider-performance.csv", app.address))
        .bearer_auth(&sp)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body = response.text().await.unwrap();
    assert!(body.contains(&a) && body.contains(&b));
    let records = records_of(&app, "sp-1", 2).await;
    let mut read: Vec<String> = records.iter().map(|r| r.referral_id.to_string()).collect();
    read.sort();
    let mut expected = vec![a, b];
    expected.sort();
    assert_eq!(read, expected);
    assert!(
        records
            .iter()
            .all(|r| r.operation == "provider-performance.csv")
    );
}

#[tokio::test]
async fn audit_records_cannot_be_changed_or_deleted() {
    let app = TestApp::spawn().await;
    let pp1 = app.token(&pp("pp-1"));
    let sp = app.token(&harbour("sp-1"));
    sent_referral(&app, &pp1, "CRS-ACC-J-01", "Ann", "One").await;
    app.data(&sp, DASHBOARD, json!({})).await;
    assert_eq!(records_of(&app, "sp-1", 1).await.len(), 1);
    for statement in [
        "UPDATE read_audit SET actor_id = 'someone-else'",
        "DELETE FROM read_audit",
    ] {
        let refused = app.db.execute_unprepared(statement).await;
        assert!(refused.is_err(), "{statement} must be refused");
    }
    let records = records_of(&app, "sp-1", 1).await;
    assert_eq!(records.len(), 1, "the record is still there, unchanged");
}

#[tokio::test]
async fn the_read_audit_command_prints_the_records_as_csv() {
    let app = TestApp::spawn().await;
    let pp1 = app.token(&pp("pp-1"));
    let sp = app.token(&harbour("sp-1"));
    let (a, _) = sent_referral(&app, &pp1, "CRS-ACC-J-01", "Ann", "One").await;
    app.data(&sp, DASHBOARD, json!({})).await;
    records_of(&app, "sp-1", 1).await;
    let database = crate::support::database_of(&app);
    let (success, text, stderr) = crate::import::cli(&database, &["read-audit", "--referral", &a]);
    assert!(success, "{stderr}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "a header and one record: {text}");
    assert!(lines[0].starts_with("at (UTC),actor,role,organisation,referral id"));
    assert!(lines[1].contains(&format!(
        "sp-1,PROVIDER_USER,HARBOUR_LIGHT,{a},graphql:Dashboard"
    )));
    assert!(!text.contains("Ann"), "names are never in the audit");
}
