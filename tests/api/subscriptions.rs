//! GraphQL subscriptions over a real WebSocket (`graphql-transport-ws`): authenticated by the
//! token in `connection_init`, scoped like queries, ended when the token expires, limited per
//! connection and per user, and heard on every instance through NATS.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::nats::NatsServer;
use crate::support::personas::{commissioner, harbour, northern, pp};
use crate::support::steps::*;
use crate::support::ws::Subscriber;
use crate::support::{Options, TestApp};

const UPDATES: &str = "subscription($id: ID) { referralUpdated(referralId: $id) {
    referralId eventType status version occurredAt } }";
const NOTIFICATIONS: &str = "subscription { notificationAdded {
    id kind readAt referral { id reference status } } }";

/// A short wait in which nothing should arrive (what should have arrived came before it).
const QUIET: Duration = Duration::from_millis(700);

async fn subscribed(app: &TestApp, token: &str, query: &str, variables: Value) -> Subscriber {
    let mut subscriber = Subscriber::connect(app, token).await.expect("accepted");
    subscriber.subscribe("1", query, variables).await;
    // A subscription starts listening once its first poll runs: give it that moment.
    tokio::time::sleep(Duration::from_millis(200)).await;
    subscriber
}

#[tokio::test]
async fn a_provider_hears_the_referrals_of_their_contracts_and_never_another_providers() {
    let app = TestApp::spawn().await;
    let pp = app.token(&pp("pp-1"));
    let harbour = app.token(&harbour("sp-1"));
    let northern = app.token(&northern("ns-1"));
    let mut harbour_updates = subscribed(&app, &harbour, UPDATES, json!({})).await;
    let mut harbour_notes = subscribed(&app, &harbour, NOTIFICATIONS, json!({})).await;
    let mut northern_updates = subscribed(&app, &northern, UPDATES, json!({})).await;

    let (id, reference) = sent_referral(&app, &pp, "CRS-ACC-J-01", "Alex", "Rivera").await;
    let update = harbour_updates.data("1").await["referralUpdated"].clone();
    assert_eq!(update["referralId"], id.as_str());
    assert_eq!(update["eventType"], "intervention.referral.sent");
    assert_eq!(update["status"], "SENT");
    assert!(update["version"].as_i64().unwrap() >= 2);
    let note = harbour_notes.data("1").await["notificationAdded"].clone();
    assert_eq!(note["kind"], "REFERRAL_SENT");
    assert_eq!(note["referral"]["reference"], reference.as_str());
    assert_eq!(note["readAt"], Value::Null);

    // Northern Steps delivers neither contract: it hears its own referral and nothing before.
    let (theirs, _) = sent_referral(&app, &pp, "CRS-ETE-A-01", "Sam", "Hill").await;
    let update = northern_updates.data("1").await["referralUpdated"].clone();
    assert_eq!(
        update["referralId"],
        theirs.as_str(),
        "Northern heard only its own"
    );
    harbour_updates.hears_nothing_for(QUIET).await;
    harbour_notes.hears_nothing_for(QUIET).await;
}

#[tokio::test]
async fn a_practitioner_hears_their_own_referrals_and_one_referral_can_be_followed() {
    let app = TestApp::spawn().await;
    let mine = app.token(&pp("pp-1"));
    let other = app.token(&pp("pp-2"));
    let sp = app.token(&harbour("sp-1"));
    let (first, _) = sent_referral(&app, &mine, "CRS-ACC-J-01", "Alex", "Rivera").await;
    let (second, _) = sent_referral(&app, &mine, "CRS-ACC-J-01", "Jo", "Lane").await;
    let mut following = subscribed(&app, &mine, UPDATES, json!({ "id": second })).await;
    let mut everything = subscribed(&app, &mine, UPDATES, json!({})).await;
    let mut stranger = subscribed(&app, &other, UPDATES, json!({})).await;
    let mut outside = subscribed(&app, &other, UPDATES, json!({ "id": second })).await;

    assign(&app, &sp, &first).await;
    assign(&app, &sp, &second).await;
    let heard = everything.data("1").await["referralUpdated"].clone();
    assert_eq!(heard["referralId"], first.as_str());
    assert_eq!(heard["eventType"], "intervention.referral.assigned");
    assert_eq!(heard["status"], "ASSIGNED");
    let heard = everything.data("1").await["referralUpdated"].clone();
    assert_eq!(heard["referralId"], second.as_str());
    let followed = following.data("1").await["referralUpdated"].clone();
    assert_eq!(
        followed["referralId"],
        second.as_str(),
        "only the referral followed"
    );
    following.hears_nothing_for(QUIET).await;
    stranger.hears_nothing_for(QUIET).await;
    outside.hears_nothing_for(QUIET).await;
}

#[tokio::test]
async fn commissioners_hear_nothing_person_level() {
    let app = TestApp::spawn().await;
    let cm = app.token(&commissioner(&["J"]));
    let mut subscriber = Subscriber::connect(&app, &cm).await.expect("accepted");
    for (id, query) in [("u", UPDATES), ("n", NOTIFICATIONS)] {
        subscriber.subscribe(id, query, json!({})).await;
        let message = subscriber.next().await.expect("open");
        assert_eq!(message["id"], id);
        let code = &message["payload"]["errors"][0]["extensions"]["code"];
        assert_eq!(code, "FORBIDDEN", "{message}");
        let completed = subscriber.next().await.expect("open");
        assert_eq!(completed["type"], "complete");
    }
}

#[tokio::test]
async fn a_connection_needs_a_valid_token_and_ends_when_it_expires() {
    let app = TestApp::spawn().await;
    let mut anonymous = Subscriber::open(&app).await;
    anonymous
        .send(json!({ "type": "connection_init", "payload": {} }))
        .await;
    let (code, reason) = anonymous.next().await.expect_err("closed");
    assert_eq!(code, 4401);
    assert!(reason.contains("bearer token"), "{reason}");

    let forged = Subscriber::connect(&app, "not.a.token").await.err();
    assert_eq!(forged.map(|(code, _)| code), Some(4401));

    let mut early = Subscriber::open(&app).await;
    early.subscribe("1", UPDATES, json!({})).await;
    assert_eq!(early.next().await.expect_err("closed").0, 4401);

    let sp = app.token_refused_in(&harbour("sp-1"), 2);
    let mut expiring = subscribed(&app, &sp, UPDATES, json!({})).await;
    let (code, reason) = expiring.next().await.expect_err("closed at expiry");
    assert_eq!(code, 4401);
    assert!(reason.contains("expired"), "{reason}");
}

#[tokio::test]
async fn subscriptions_per_connection_and_connections_per_user_are_limited() {
    let app = TestApp::spawn_with(
        Options::default()
            .with("CRS_SUBSCRIPTIONS_PER_CONNECTION", "2")
            .with("CRS_WEBSOCKETS_PER_USER", "1"),
    )
    .await;
    let sp = app.token(&harbour("sp-1"));
    let mut subscriber = Subscriber::connect(&app, &sp).await.expect("accepted");
    subscriber.subscribe("a", UPDATES, json!({})).await;
    subscriber.subscribe("b", NOTIFICATIONS, json!({})).await;
    subscriber.subscribe("c", UPDATES, json!({})).await;
    let refused = subscriber.next().await.expect("open");
    assert_eq!(refused["id"], "c");
    assert_eq!(refused["type"], "error");
    assert_eq!(refused["payload"][0]["extensions"]["code"], "RATE_LIMITED");

    // Completing one makes room for another.
    subscriber
        .send(json!({ "id": "a", "type": "complete" }))
        .await;
    let completed = subscriber.next().await.expect("open");
    assert_eq!(completed, json!({ "id": "a", "type": "complete" }));
    subscriber.subscribe("d", UPDATES, json!({})).await;
    subscriber.hears_nothing_for(QUIET).await;

    let second = Subscriber::connect(&app, &sp).await.err();
    assert_eq!(second.map(|(code, _)| code), Some(4429));
    drop(subscriber);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        Subscriber::connect(&app, &sp).await.is_ok(),
        "a closed connection gives its place back"
    );
}

#[tokio::test]
async fn a_subscriber_on_one_instance_hears_changes_made_on_another() {
    let nats = NatsServer::start();
    let first = TestApp::spawn_with(Options::default().with("CRS_NATS_URL", nats.url())).await;
    let second = first.another_instance().await;
    let pp = first.token(&pp("pp-1"));
    let sp = first.token(&harbour("sp-1"));
    let mut on_second = subscribed(&second, &sp, UPDATES, json!({})).await;
    let mut notes_on_second = subscribed(&second, &sp, NOTIFICATIONS, json!({})).await;
    // The bridges connect in the background.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let (id, _) = sent_referral(&first, &pp, "CRS-ACC-J-01", "Alex", "Rivera").await;
    let update = on_second.data("1").await["referralUpdated"].clone();
    assert_eq!(update["referralId"], id.as_str());
    assert_eq!(update["eventType"], "intervention.referral.sent");
    let note = notes_on_second.data("1").await["notificationAdded"].clone();
    assert_eq!(note["kind"], "REFERRAL_SENT");
    // Heard once, not once per instance.
    on_second.hears_nothing_for(QUIET).await;
}
