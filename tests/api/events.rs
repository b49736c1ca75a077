//! Domain events: written to the outbox with the change that made them (nothing for a draft or a
//! refused change, no free text), and relayed to a real NATS JetStream server: each event once,
//! in order per referral, from one of several instances, and nothing lost while the broker is
//! down.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use crs_api::db::entities::outbox_event;
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{Value, json};

use crate::support::nats::{NatsServer, stream_messages};
use crate::support::personas::{Actors, actors};
use crate::support::steps::*;
use crate::support::{Options, TestApp, first_code};

/// The outbox, oldest first: (referral id, event type, body).
async fn outbox(app: &TestApp) -> Vec<(String, String, Value)> {
    outbox_event::Entity::find()
        .order_by_asc(outbox_event::Column::Position)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|row| {
            (
                row.referral_id.to_string(),
                row.event_type,
                serde_json::from_str(&row.body).unwrap(),
            )
        })
        .collect()
}

/// The event types of one referral, oldest first.
fn types_of(events: &[(String, String, Value)], referral: &str) -> Vec<String> {
    events
        .iter()
        .filter(|(id, _, _)| id == referral)
        .map(|(_, t, _)| t.trim_start_matches("intervention.").to_owned())
        .collect()
}

const CASE_NOTE: &str = "mutation($id: ID!, $body: String!) {
    addCaseNote(referralId: $id, subject: \"Housing\", body: $body) { id } }";

#[tokio::test]
async fn every_change_writes_its_events_with_the_change() {
    let app = TestApp::spawn().await;
    let Actors { pp, sp } = actors(&app);
    let draft = create_draft(&app, &pp, "CRS-ACC-J-01", "Alex", "Rivera").await;
    let draft_id = draft["id"].as_str().unwrap().to_owned();
    assert!(outbox(&app).await.is_empty(), "a draft publishes nothing");

    let id = delivering_referral(&app, &pp, &sp, "Sam", 2).await;
    hold_session(&app, &sp, &id, 1, attended()).await;
    hold_session(&app, &sp, &id, 2, missed()).await;
    ok(
        &app,
        &sp,
        CASE_NOTE,
        json!({ "id": id, "body": "Spoke about the tenancy at 4 Elm Road" }),
        "addCaseNote",
    )
    .await;
    let report = full_report(&app, &sp, &id).await;
    ok(
        &app,
        &sp,
        SUBMIT_REPORT,
        json!({ "id": id, "input": report }),
        "submitEndOfServiceReport",
    )
    .await;
    let events = outbox(&app).await;
    assert_eq!(
        types_of(&events, &id),
        [
            "referral.sent",
            "referral.assigned",
            "initial-assessment-appointment.scheduled",
            "initial-assessment-appointment.attended",
            "action-plan.submitted",
            "action-plan.approved",
            "session-appointment.scheduled",
            "session-appointment.attended",
            "session-appointment.scheduled",
            "session-appointment.missed",
            "case-note.added",
            "end-of-service-report.submitted",
            "referral.concluded",
        ]
    );
    assert!(types_of(&events, &draft_id).is_empty());

    let (withdrawn, _) = sent_referral(&app, &pp, "CRS-ACC-J-01", "Jo", "Doe").await;
    withdraw(&app, &pp, &withdrawn, "INE").await;
    let events = outbox(&app).await;
    assert_eq!(
        types_of(&events, &withdrawn),
        [
            "referral.sent",
            "referral.withdrawn",
            "referral.ended",
            "referral.concluded"
        ]
    );

    let mut ids = HashSet::new();
    for (referral, event_type, body) in &events {
        assert_eq!(&body["eventType"], event_type);
        assert_eq!(body["version"], 1);
        assert!(body["description"].as_str().is_some_and(|d| !d.is_empty()));
        assert!(
            body["detailUrl"]
                .as_str()
                .is_some_and(|u| u.ends_with(&format!("/sent-referral/{referral}")))
        );
        assert!(
            body["occurredAt"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z'))
        );
        assert_eq!(&body["additionalInformation"]["referralId"], referral);
        assert_eq!(
            body["personReference"]["identifiers"][0]["type"], "CRN",
            "{body}"
        );
        assert!(ids.insert(body["eventId"].as_str().unwrap().to_owned()));
        // Ids and codes only: no names, no case note text.
        let text = body.to_string();
        for personal in ["Sam", "Rivera", "Elm Road", "Housing", "Doe"] {
            assert!(!text.contains(personal), "{personal} in {text}");
        }
    }
    let assigned = events
        .iter()
        .find(|(r, t, _)| r == &id && t == "intervention.referral.assigned")
        .unwrap();
    assert_eq!(assigned.2["additionalInformation"]["assigneeId"], "sp-1");
    let missed_session = events
        .iter()
        .find(|(_, t, _)| t == "intervention.session-appointment.missed")
        .unwrap();
    assert_eq!(missed_session.2["additionalInformation"]["attended"], "NO");
}

#[tokio::test]
async fn a_refused_change_writes_no_event() {
    let app = TestApp::spawn().await;
    let Actors { pp, sp } = actors(&app);
    let id = assigned_referral(&app, &pp, &sp, "Kim").await;
    let before = outbox(&app).await.len();
    // A stale version and a practitioner assigning: both refused, neither leaves an event.
    let (_, stale) = app
        .gql(&sp, ASSIGN, json!({ "id": id, "to": "sp-1", "v": 1 }))
        .await;
    assert_eq!(first_code(&stale), "CONFLICT");
    let (_, forbidden) = app
        .gql(&pp, ASSIGN, json!({ "id": id, "to": "sp-1" }))
        .await;
    assert_eq!(first_code(&forbidden), "FORBIDDEN");
    assert_eq!(outbox(&app).await.len(), before);
}

/// A server relaying to `nats`.
async fn relaying(nats: &NatsServer) -> TestApp {
    TestApp::spawn_with(Options::default().with("CRS_NATS_URL", nats.url())).await
}

/// Waits until the stream holds `n` messages (or the time is up); returns them.
async fn wait_for_stream(nats: &NatsServer, n: usize) -> Vec<(String, Value)> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let messages = stream_messages(nats).await;
        if messages.len() >= n || tokio::time::Instant::now() > deadline {
            return messages;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A metric of the server, read off /metrics.
async fn metric(app: &TestApp, name: &str) -> f64 {
    let text = app.get_text("/metrics").await;
    text.lines()
        .find_map(|line| {
            let (key, value) = line.split_once(' ')?;
            (key == name).then(|| value.parse().ok()).flatten()
        })
        .unwrap_or(0.0)
}

#[tokio::test]
async fn the_relay_publishes_every_event_once_in_order_per_referral() {
    let nats = NatsServer::start();
    let app = relaying(&nats).await;
    let Actors { pp, sp } = actors(&app);
    let mut referrals = Vec::new();
    for name in ["Ana", "Ben", "Cy"] {
        referrals.push(assigned_referral(&app, &pp, &sp, name).await);
    }
    withdraw(&app, &pp, &referrals[1], "INE").await;
    let written = outbox(&app).await;
    let messages = wait_for_stream(&nats, written.len()).await;
    assert_eq!(
        messages.len(),
        written.len(),
        "every event reached the stream"
    );
    // The same events, in the same order per referral, on their own subjects.
    let mut per_referral: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (subject, body) in &messages {
        let event_type = body["eventType"].as_str().unwrap();
        assert_eq!(subject, &format!("crs.events.{event_type}"));
        let referral = body["additionalInformation"]["referralId"]
            .as_str()
            .unwrap()
            .to_owned();
        per_referral
            .entry(referral)
            .or_default()
            .push(event_type.trim_start_matches("intervention.").to_owned());
    }
    for referral in &referrals {
        assert_eq!(per_referral[referral], types_of(&written, referral));
    }
    // Marked published once acknowledged: the backlog drains to nothing.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while metric(&app, "crs_outbox_backlog").await > 0.0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(metric(&app, "crs_outbox_backlog").await, 0.0);
    assert_eq!(
        metric(&app, "crs_events_published_total").await,
        written.len() as f64
    );
}

#[tokio::test]
async fn two_instances_on_one_database_publish_each_event_once() {
    let nats = NatsServer::start();
    let first = relaying(&nats).await;
    let second = first.another_instance().await;
    let Actors { pp, sp } = actors(&first);
    for name in ["Dee", "Eli", "Fay", "Gus"] {
        let id = assigned_referral(&first, &pp, &sp, name).await;
        withdraw(&second, &pp, &id, "INE").await;
    }
    let written = outbox(&first).await.len();
    let messages = wait_for_stream(&nats, written).await;
    assert_eq!(messages.len(), written);
    // One instance held the lease: between them they published each event once, and the
    // broker dropped nothing as a duplicate.
    let published = metric(&first, "crs_events_published_total").await
        + metric(&second, "crs_events_published_total").await;
    assert_eq!(published, written as f64);
    let duplicates = metric(&first, "crs_events_duplicates_total").await
        + metric(&second, "crs_events_duplicates_total").await;
    assert_eq!(duplicates, 0.0);
}

#[tokio::test]
async fn events_wait_while_the_broker_is_down_and_drain_when_it_is_back() {
    let nats = NatsServer::reserve();
    let app = relaying(&nats).await;
    let Actors { pp, sp } = actors(&app);
    let id = assigned_referral(&app, &pp, &sp, "Hal").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let written = outbox(&app).await;
    assert_eq!(types_of(&written, &id).len(), 2);
    assert_eq!(metric(&app, "crs_outbox_backlog").await, 2.0);
    assert!(metric(&app, "crs_events_publish_failures_total").await >= 1.0);
    let nats = nats.run();
    let messages = wait_for_stream(&nats, written.len()).await;
    assert_eq!(messages.len(), written.len(), "the backlog drained");
}

#[tokio::test]
async fn an_events_detail_url_names_the_referral_for_those_who_may_see_it() {
    let app = TestApp::spawn().await;
    let Actors { pp, sp } = actors(&app);
    let (id, reference) = sent_referral(&app, &pp, "CRS-ACC-J-01", "Alex", "Rivera").await;
    let events = outbox(&app).await;
    let url = events[0].2["detailUrl"].as_str().unwrap().to_owned();
    let path = &url[url.find("/sent-referral/").unwrap()..];
    assert_eq!(path, format!("/sent-referral/{id}"));
    let get = |token: Option<String>, path: String| {
        let request = app.client.get(format!("{}{path}", app.address));
        let request = match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        async move {
            let answer = request.send().await.unwrap();
            let status = answer.status().as_u16();
            (status, answer.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = get(Some(sp.clone()), path.to_owned()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], id.as_str());
    assert_eq!(body["referenceNumber"], reference.as_str());
    assert_eq!(body["status"], "SENT");
    assert_eq!(body["personReference"]["identifiers"][0]["type"], "CRN");
    let northern = app.token(&crate::support::personas::northern("ns-1"));
    let (status, body) = get(Some(northern), path.to_owned()).await;
    assert_eq!((status, first_code(&body)), (404, "NOT_FOUND"));
    let (status, _) = get(Some(sp.clone()), "/sent-referral/not-a-uuid".into()).await;
    assert_eq!(status, 404);
    let (status, _) = get(None, path.to_owned()).await;
    assert_eq!(status, 401);
    // A draft is not a sent referral, even to its author.
    let draft = create_draft(&app, &pp, "CRS-ACC-J-01", "Jo", "Lane").await;
    let draft_path = format!("/sent-referral/{}", draft["id"].as_str().unwrap());
    assert_eq!(get(Some(pp.clone()), draft_path).await.0, 404);
}
