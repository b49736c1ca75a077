//! The working day around the journey: amending a sent referral (change log, notification,
//! event), handing it to a colleague, finding a person by CRN, sorting the dashboard, the
//! provider's work queue with cancellations, deleting a draft, and who sees whose email.

use std::collections::BTreeSet;

use crs_api::db::entities::{outbox_event, report_referral};
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{Value, json};

use crate::support::personas::{harbour, machine, northern, pp};
use crate::support::steps::*;
use crate::support::{TestApp, first_code};

const AMEND: &str = "mutation($id: ID!, $input: AmendReferralInput!, $reason: String!, $v: Int) {
    amendReferral(id: $id, input: $input, reason: $reason, expectedVersion: $v) {
      id version status completionDeadline
      serviceCategories { desiredOutcomes { id } }
      changeLog { topic oldValue newValue reason actor { id } at } } }";

const TRANSFER: &str = "mutation($id: ID!, $to: ID!, $reason: String) {
    transferReferral(id: $id, toPractitionerId: $to, reason: $reason) {
      id version responsiblePractitioner { id } } }";

const NOTIFICATIONS: &str = "{ notifications { edges { node { kind referral { id } } } } }";

fn day_in(days: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

async fn notification_kinds(app: &TestApp, token: &str, referral: &str) -> Vec<String> {
    let data = app.data(token, NOTIFICATIONS, json!({})).await;
    data["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["node"]["referral"]["id"] == referral)
        .map(|e| e["node"]["kind"].as_str().unwrap().to_owned())
        .collect()
}

async fn outbox_types(app: &TestApp, referral: &str) -> Vec<String> {
    outbox_event::Entity::find()
        .order_by_asc(outbox_event::Column::Position)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|row| row.referral_id.to_string() == referral)
        .map(|row| row.event_type)
        .collect()
}

/// The desired outcome ids of the referral's contract's first category.
async fn all_outcomes(app: &TestApp, token: &str, contract: &str) -> Vec<String> {
    let query = "query($id: ID!) { intervention(id: $id) { serviceCategories { desiredOutcomes { id } } } }";
    let data = app
        .data(token, query, json!({ "id": intervention_id(contract) }))
        .await;
    data["intervention"]["serviceCategories"][0]["desiredOutcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_practitioner_amends_the_deadline_and_outcomes_and_the_provider_sees_why() {
    let app = TestApp::spawn().await;
    let pp1 = app.token(&pp("pp-1"));
    let sp = app.token(&harbour("sp-1"));
    let id = assigned_referral(&app, &pp1, &sp, "Alex").await;
    let (category, _, first_outcome) = first_choices(&app, &pp1, "CRS-ACC-J-01").await;
    let outcomes = all_outcomes(&app, &pp1, "CRS-ACC-J-01").await;
    let second_outcome = outcomes.iter().find(|o| **o != first_outcome).unwrap();
    let before = referral(&app, &pp1, &id, "version completionDeadline").await;

    // A stale version, a blank reason, a past deadline: refused, nothing written.
    let input = json!({
        "completionDeadline": day_in(120),
        "desiredOutcomes": [{ "serviceCategoryId": category, "desiredOutcomeIds": [first_outcome, second_outcome] }],
    });
    let vars = |input: &Value, reason: &str, v: i64| json!({ "id": id, "input": input, "reason": reason, "v": v });
    let version = before["version"].as_i64().unwrap();
    let (_, stale) = app
        .gql(&pp1, AMEND, vars(&input, "Moved", version - 1))
        .await;
    assert_eq!(first_code(&stale), "CONFLICT", "{stale}");
    let (_, blank) = app.gql(&pp1, AMEND, vars(&input, "  ", version)).await;
    assert_eq!(first_code(&blank), "BAD_USER_INPUT");
    assert_eq!(
        blank["errors"][0]["extensions"]["fields"][0]["field"],
        "reason"
    );
    let past = json!({ "completionDeadline": day_in(-1) });
    let (_, refused) = app.gql(&pp1, AMEND, vars(&past, "Typo", version)).await;
    assert_eq!(
        refused["errors"][0]["extensions"]["fields"][0]["code"],
        "DATE_MUST_BE_IN_THE_FUTURE"
    );
    let (_, by_provider) = app.gql(&sp, AMEND, vars(&input, "Mine", version)).await;
    assert_eq!(first_code(&by_provider), "FORBIDDEN");
    let unchanged = referral(
        &app,
        &pp1,
        &id,
        "version completionDeadline changeLog { topic }",
    )
    .await;
    assert_eq!(unchanged["version"], before["version"]);
    assert_eq!(unchanged["changeLog"], json!([]));

    let (_, body) = app
        .gql(
            &pp1,
            AMEND,
            vars(&input, "Court extended the order", version),
        )
        .await;
    let amended = &body["data"]["amendReferral"];
    assert_eq!(amended["completionDeadline"], day_in(120), "{body}");
    assert_eq!(amended["version"], version + 1);
    let log = amended["changeLog"].as_array().unwrap();
    let topics: Vec<&str> = log.iter().map(|e| e["topic"].as_str().unwrap()).collect();
    assert_eq!(topics, ["COMPLETION_DEADLINE", "DESIRED_OUTCOMES"]);
    assert_eq!(log[0]["oldValue"], before["completionDeadline"]);
    assert_eq!(log[0]["newValue"], day_in(120));
    assert_eq!(log[0]["reason"], "Court extended the order");
    assert_eq!(log[0]["actor"]["id"], "pp-1");
    // Outcomes are logged in words, with their category.
    let new_outcomes = log[1]["newValue"].as_str().unwrap();
    assert!(
        new_outcomes.contains(": ") && new_outcomes.contains("; "),
        "{new_outcomes}"
    );

    // The outcome facts moved with the deadline, in the same change.
    let facts = report_referral::Entity::find_by_id(id.parse::<uuid::Uuid>().unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .expect("a sent referral has its facts");
    assert_eq!(
        facts.completion_deadline.map(|d| d.to_string()),
        Some(day_in(120))
    );

    // The same amendment again changes nothing and says so.
    let (_, again) = app
        .gql(&pp1, AMEND, vars(&input, "Again", version + 1))
        .await;
    assert_eq!(
        again["errors"][0]["extensions"]["fields"][0]["code"],
        "NOTHING_CHANGED"
    );

    // The provider reads the change log and is notified; the history names the topics.
    let seen_by_provider = referral(
        &app,
        &sp,
        &id,
        "changeLog { topic reason } history { kind amendedTopics }",
    )
    .await;
    assert_eq!(seen_by_provider["changeLog"].as_array().unwrap().len(), 2);
    let last = seen_by_provider["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["kind"], "AMENDED");
    assert_eq!(
        last["amendedTopics"],
        json!(["COMPLETION_DEADLINE", "DESIRED_OUTCOMES"])
    );
    // Newest first: the amendment, to the caseworker, above the organisation's new referral.
    assert_eq!(
        notification_kinds(&app, &sp, &id).await,
        ["REFERRAL_AMENDED", "REFERRAL_SENT"]
    );
    let types = outbox_types(&app, &id).await;
    assert_eq!(
        types.last().map(String::as_str),
        Some("intervention.referral.amended")
    );
    // Another provider learns nothing.
    let other = app.token(&northern("sp-3"));
    assert!(notification_kinds(&app, &other, &id).await.is_empty());
}

#[tokio::test]
async fn levels_and_outcomes_are_locked_once_a_plan_is_approved() {
    let app = TestApp::spawn().await;
    let pp1 = app.token(&pp("pp-1"));
    let sp = app.token(&harbour("sp-1"));
    let id = delivering_referral(&app, &pp1, &sp, "Bo", 2).await;
    let query = "query($id: ID!) { intervention(id: $id) { serviceCategories { id complexityLevels { id } } } }";
    let data = app
        .data(
            &pp1,
            query,
            json!({ "id": intervention_id("CRS-ACC-J-01") }),
        )
        .await;
    let category = &data["intervention"]["serviceCategories"][0];
    let other_level = category["complexityLevels"][1]["id"].clone();
    let input = json!({ "complexityLevels": [{ "serviceCategoryId": category["id"], "complexityLevelId": other_level }] });
    let (_, locked) = app
        .gql(
            &pp1,
            AMEND,
            json!({ "id": id, "input": input, "reason": "Reassessed" }),
        )
        .await;
    assert_eq!(first_code(&locked), "CONFLICT", "{locked}");
    let deadline = json!({ "completionDeadline": day_in(200) });
    let (_, moved) = app
        .gql(
            &pp1,
            AMEND,
            json!({ "id": id, "input": deadline, "reason": "Extended" }),
        )
        .await;
    assert_eq!(
        moved["data"]["amendReferral"]["completionDeadline"],
        day_in(200),
        "{moved}"
    );
}

#[tokio::test]
async fn a_handover_gives_the_referral_to_the_colleague_who_then_withdraws_it() {
    let app = TestApp::spawn().await;
    let pp1 = app.token(&pp("pp-1"));
    let pp2 = app.token(&pp("pp-2"));
    let pp3 = app.token(&pp("pp-3"));
    let sp = app.token(&harbour("sp-1"));
    for token in [&pp2, &pp3] {
        seen(&app, token).await;
    }
    let (id, _) = sent_referral(&app, &pp1, "CRS-ACC-J-01", "Cal", "Reed").await;
    assert!(dashboard(&app, &pp2, json!({})).await.is_empty());

    // Only to a practitioner the service knows; a provider may not hand referrals over.
    let (_, unknown) = app
        .gql(&pp1, TRANSFER, json!({ "id": id, "to": "pp-9" }))
        .await;
    assert_eq!(
        unknown["errors"][0]["extensions"]["fields"][0]["field"],
        "toPractitionerId"
    );
    let (_, provider) = app
        .gql(&sp, TRANSFER, json!({ "id": id, "to": "pp-2" }))
        .await;
    assert_eq!(first_code(&provider), "FORBIDDEN");

    let (_, body) = app
        .gql(
            &pp1,
            TRANSFER,
            json!({ "id": id, "to": "pp-2", "reason": "Caseload reallocated" }),
        )
        .await;
    assert_eq!(
        body["data"]["transferReferral"]["responsiblePractitioner"]["id"], "pp-2",
        "{body}"
    );
    assert_eq!(dashboard(&app, &pp2, json!({})).await.len(), 1);
    assert_eq!(
        notification_kinds(&app, &pp2, &id).await,
        ["REFERRAL_TRANSFERRED"]
    );
    let entry = referral(
        &app,
        &pp2,
        &id,
        "history { kind transferredFrom { id } transferredTo { id } } changeLog { topic oldValue newValue reason }",
    )
    .await;
    let last = entry["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last,
        json!({ "kind": "TRANSFERRED", "transferredFrom": { "id": "pp-1" }, "transferredTo": { "id": "pp-2" } })
    );
    assert_eq!(
        entry["changeLog"],
        json!([{ "topic": "RESPONSIBLE_PRACTITIONER", "oldValue": "pp-1", "newValue": "pp-2", "reason": "Caseload reallocated" }])
    );
    assert!(
        outbox_types(&app, &id)
            .await
            .contains(&"intervention.referral.transferred".to_owned())
    );

    // The creator keeps reading it but no longer acts on it; the colleague withdraws it.
    assert_eq!(referral(&app, &pp1, &id, "id").await["id"], id);
    let (_, by_creator) = app
        .gql(&pp1, WITHDRAW, json!({ "id": id, "code": "MIS" }))
        .await;
    assert_eq!(first_code(&by_creator), "FORBIDDEN", "{by_creator}");
    let withdrawn = withdraw(&app, &pp2, &id, "MIS").await;
    assert_eq!(withdrawn["status"], "CANCELLED");

    // Handed on again, the middle practitioner (not its creator) loses it; a case-management
    // system may hand it on too.
    let (_, onward) = app
        .gql(&pp2, TRANSFER, json!({ "id": id, "to": "pp-3" }))
        .await;
    assert!(onward["errors"].is_null(), "{onward}");
    let (_, gone) = app
        .gql(
            &pp2,
            "query($id: ID!) { referral(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert!(gone["data"]["referral"].is_null());
    let system = app.token(&machine());
    let (_, back) = app
        .gql(&system, TRANSFER, json!({ "id": id, "to": "pp-1" }))
        .await;
    assert_eq!(
        back["data"]["transferReferral"]["responsiblePractitioner"]["id"],
        "pp-1"
    );
}

/// A draft for `contract` of a person with this CRN, completed and sent.
async fn send_for(app: &TestApp, token: &str, crn: &str, last: &str) -> String {
    let query =
        "mutation($input: CreateDraftReferralInput!) { createDraftReferral(input: $input) { id } }";
    let input = json!({
        "interventionId": intervention_id("CRS-ACC-J-01"),
        "crn": crn,
        "serviceUser": { "firstName": "Sam", "lastName": last, "dateOfBirth": "1990-01-02", "gender": "MALE" }
    });
    let id = ok(
        app,
        token,
        query,
        json!({ "input": input }),
        "createDraftReferral",
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    complete_and_send(app, token, "CRS-ACC-J-01", &id).await;
    id
}

#[tokio::test]
async fn a_person_is_found_by_crn_within_the_callers_scope() {
    let app = TestApp::spawn().await;
    let pp1 = app.token(&pp("pp-1"));
    let pp2 = app.token(&pp("pp-2"));
    let wanted = send_for(&app, &pp1, "X123457", "Lowe").await;
    send_for(&app, &pp1, "X123458", "Lowe").await;
    send_for(&app, &pp2, "X123457", "Lowe").await;
    let ids = |data: Value| -> Vec<String> {
        data["referrals"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let find = |crn: &str| json!({ "f": { "crn": crn }, "first": 100 });
    // The practitioner finds their own; the read-all client every sent one; search text works too.
    assert_eq!(
        ids(app.data(&pp1, DASHBOARD, find(" x123457 ")).await),
        std::slice::from_ref(&wanted)
    );
    let system = app.token(&machine());
    assert_eq!(
        ids(app.data(&system, DASHBOARD, find("X123457")).await).len(),
        2
    );
    let by_search = json!({ "f": { "search": "x123457" }, "first": 100 });
    assert_eq!(ids(app.data(&pp1, DASHBOARD, by_search).await), [wanted]);
    let other = app.token(&northern("sp-3"));
    assert!(ids(app.data(&other, DASHBOARD, find("X123457")).await).is_empty());
    let (_, bad) = app.gql(&pp1, DASHBOARD, find("123")).await;
    assert_eq!(bad["errors"][0]["extensions"]["fields"][0]["field"], "crn");
}

const ORDERED: &str = "query($order: ReferralOrder, $first: Int, $after: String) {
    referrals(orderBy: $order, first: $first, after: $after) {
      pageInfo { hasNextPage endCursor } edges { node { id reference completionDeadline sentAt serviceUser { lastName } } } } }";

#[tokio::test]
async fn every_order_pages_through_every_row_once_in_order_at_the_same_cost() {
    let app = TestApp::spawn().await;
    let pp1 = app.token(&pp("pp-1"));
    let surnames = ["Okafor", "adams", "Young", "Baker", "Okafor", "Ng", "Zhou"];
    let mut ids = Vec::new();
    for (i, surname) in surnames.iter().enumerate() {
        let id = send_for(&app, &pp1, &format!("X20000{i}"), surname).await;
        // Deadlines with a tie, so order by id decides between them.
        let deadline = json!({ "completionDeadline": day_in(30 + (i as i64 % 3) * 10) });
        ok(
            &app,
            &pp1,
            AMEND,
            json!({ "id": id, "input": deadline, "reason": "Set" }),
            "amendReferral",
        )
        .await;
        ids.push(id);
    }
    let key = |node: &Value, field: &str| -> String {
        match field {
            "SENT_AT" => chrono::DateTime::parse_from_rfc3339(node["sentAt"].as_str().unwrap())
                .unwrap()
                .to_utc()
                .format("%Y-%m-%dT%H:%M:%S%.6f")
                .to_string(),
            "COMPLETION_DEADLINE" => node["completionDeadline"].as_str().unwrap().to_owned(),
            "REFERENCE" => node["reference"].as_str().unwrap().to_owned(),
            _ => node["serviceUser"]["lastName"]
                .as_str()
                .unwrap()
                .to_lowercase(),
        }
    };
    let mut costs = BTreeSet::new();
    for field in ["SENT_AT", "COMPLETION_DEADLINE", "REFERENCE", "SURNAME"] {
        for direction in ["ASC", "DESC"] {
            let order = json!({ "field": field, "direction": direction });
            let mut seen: Vec<Value> = Vec::new();
            let mut after: Option<String> = None;
            loop {
                let before = app.statements().await;
                let data = app
                    .data(
                        &pp1,
                        ORDERED,
                        json!({ "order": order, "first": 2, "after": after }),
                    )
                    .await;
                costs.insert(app.statements().await - before);
                let page = &data["referrals"];
                seen.extend(
                    page["edges"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|e| e["node"].clone()),
                );
                if page["pageInfo"]["hasNextPage"] != true {
                    break;
                }
                after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
            }
            let got: Vec<&str> = seen.iter().map(|n| n["id"].as_str().unwrap()).collect();
            let unique: BTreeSet<&str> = got.iter().copied().collect();
            assert_eq!(unique.len(), ids.len(), "{field} {direction}: {got:?}");
            let mut sorted = seen.clone();
            sorted.sort_by(|a, b| {
                let by_key = key(a, field).cmp(&key(b, field));
                let by_id = a["id"].as_str().cmp(&b["id"].as_str());
                let both = by_key.then(by_id);
                if direction == "DESC" {
                    both.reverse()
                } else {
                    both
                }
            });
            let want: Vec<&str> = sorted.iter().map(|n| n["id"].as_str().unwrap()).collect();
            assert_eq!(got, want, "{field} {direction}");
        }
    }
    // Every page of every order costs the same number of statements.
    assert_eq!(costs.len(), 1, "{costs:?}");
    // A cursor of one order is refused by another.
    let first = app
        .data(
            &pp1,
            ORDERED,
            json!({ "order": { "field": "REFERENCE" }, "first": 2 }),
        )
        .await;
    let cursor = first["referrals"]["pageInfo"]["endCursor"].clone();
    let (_, mixed) = app
        .gql(
            &pp1,
            ORDERED,
            json!({ "order": { "field": "SURNAME" }, "first": 2, "after": cursor }),
        )
        .await;
    assert_eq!(
        mixed["errors"][0]["extensions"]["fields"][0]["field"],
        "after"
    );
}

const QUEUE: &str = "query($f: AppointmentFilter, $first: Int, $after: String) {
    appointments(filter: $f, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }
      nodes { id appointment { id kind startsAt } referral { id status } } } }";

const CANCEL: &str = "mutation($id: ID!, $reason: String!) {
    cancelAppointment(appointmentId: $id, reason: $reason) { id cancelled cancellationReason cancelledBy { id } } }";

fn queue_ids(data: &Value) -> Vec<String> {
    data["appointments"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_provider_lists_the_weeks_appointments_and_those_with_feedback_due_and_cancels_one() {
    let app = TestApp::spawn().await;
    let pp1 = app.token(&pp("pp-1"));
    let sp = app.token(&harbour("sp-1"));
    let this_week = assigned_referral(&app, &pp1, &sp, "Dee").await;
    let upcoming = schedule(
        &app,
        &sp,
        &this_week,
        phone("ASSESSMENT", None, &future_start()),
    )
    .await;
    let overdue_for = assigned_referral(&app, &pp1, &sp, "Eve").await;
    let overdue = schedule(
        &app,
        &sp,
        &overdue_for,
        phone("ASSESSMENT", None, &past_start()),
    )
    .await;
    let done_for = assigned_referral(&app, &pp1, &sp, "Fin").await;
    let done = schedule(
        &app,
        &sp,
        &done_for,
        phone("ASSESSMENT", None, &past_start()),
    )
    .await;
    record(&app, &sp, &done, attended()).await;

    let now = chrono::Utc::now();
    let week =
        json!({ "from": now.to_rfc3339(), "to": (now + chrono::Duration::days(7)).to_rfc3339() });
    let data = app.data(&sp, QUEUE, json!({ "f": week })).await;
    assert_eq!(queue_ids(&data), std::slice::from_ref(&upcoming));
    assert_eq!(
        data["appointments"]["nodes"][0]["referral"]["id"],
        this_week
    );
    let due = app
        .data(
            &sp,
            QUEUE,
            json!({ "f": { "feedbackDue": true, "assignedToMe": true } }),
        )
        .await;
    assert_eq!(queue_ids(&due), std::slice::from_ref(&overdue));
    // Pages of one: every live appointment once, earliest first.
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = app
            .data(&sp, QUEUE, json!({ "first": 1, "after": after }))
            .await;
        all.extend(queue_ids(&page));
        assert_eq!(page["appointments"]["totalCount"], 3);
        if page["appointments"]["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["appointments"]["pageInfo"]["endCursor"]
            .as_str()
            .map(str::to_owned);
    }
    assert_eq!(all.len(), 3);
    assert_eq!(all.last(), Some(&upcoming));
    // Another provider's queue and mutations do not reach these.
    let other = app.token(&northern("sp-3"));
    assert!(queue_ids(&app.data(&other, QUEUE, json!({})).await).is_empty());
    let (_, foreign) = app
        .gql(&other, CANCEL, json!({ "id": upcoming, "reason": "No" }))
        .await;
    assert_eq!(first_code(&foreign), "NOT_FOUND");

    // Cancelled: a reason is required, the slot frees, the practitioner is told.
    let (_, blank) = app
        .gql(&sp, CANCEL, json!({ "id": upcoming, "reason": " " }))
        .await;
    assert_eq!(first_code(&blank), "BAD_USER_INPUT");
    let (_, body) = app
        .gql(
            &sp,
            CANCEL,
            json!({ "id": upcoming, "reason": "Caseworker ill" }),
        )
        .await;
    assert_eq!(
        body["data"]["cancelAppointment"],
        json!({ "id": upcoming, "cancelled": true, "cancellationReason": "Caseworker ill", "cancelledBy": { "id": "sp-1" } })
    );
    let (_, twice) = app
        .gql(&sp, CANCEL, json!({ "id": upcoming, "reason": "Again" }))
        .await;
    assert_eq!(first_code(&twice), "CONFLICT");
    let (_, recorded) = app
        .gql(&sp, CANCEL, json!({ "id": done, "reason": "Late" }))
        .await;
    assert_eq!(first_code(&recorded), "CONFLICT");
    let after_cancel = referral(
        &app,
        &sp,
        &this_week,
        "status history { kind appointmentId }",
    )
    .await;
    assert_eq!(after_cancel["status"], "ASSIGNED");
    let last = after_cancel["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        last,
        json!({ "kind": "APPOINTMENT_CANCELLED", "appointmentId": upcoming })
    );
    assert!(queue_ids(&app.data(&sp, QUEUE, json!({ "f": week })).await).is_empty());
    assert!(
        notification_kinds(&app, &pp1, &this_week)
            .await
            .contains(&"APPOINTMENT_CANCELLED".to_owned())
    );
    assert!(
        outbox_types(&app, &this_week)
            .await
            .contains(&"intervention.appointment.cancelled".to_owned())
    );
    schedule(
        &app,
        &sp,
        &this_week,
        phone("ASSESSMENT", None, &future_start()),
    )
    .await;
    assert_eq!(
        referral(&app, &sp, &this_week, "status").await["status"],
        "ASSESSMENT_BOOKED"
    );
}

#[tokio::test]
async fn the_dashboard_filters_plans_and_reports_due() {
    let app = TestApp::spawn().await;
    let pp1 = app.token(&pp("pp-1"));
    let sp = app.token(&harbour("sp-1"));
    let assessed = assessed_referral(&app, &pp1, &sp, "Gus").await;
    let delivering = delivering_referral(&app, &pp1, &sp, "Hal", 1).await;
    hold_session(&app, &sp, &delivering, 1, attended()).await;
    assigned_referral(&app, &pp1, &sp, "Ivy").await;
    let ids = |data: Value| -> Vec<String> {
        data["referrals"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let plans = app
        .data(&sp, DASHBOARD, json!({ "f": { "actionPlanDue": true } }))
        .await;
    assert_eq!(ids(plans), std::slice::from_ref(&assessed));
    let reports = app
        .data(&sp, DASHBOARD, json!({ "f": { "reportDue": true } }))
        .await;
    assert_eq!(ids(reports), [delivering]);
    let not_due = app
        .data(
            &sp,
            DASHBOARD,
            json!({ "f": { "actionPlanDue": false, "reportDue": false } }),
        )
        .await;
    assert_eq!(ids(not_due).len(), 1);
}

#[tokio::test]
async fn a_draft_is_deleted_by_its_creator_with_everything_under_it() {
    let app = TestApp::spawn().await;
    let pp1 = app.token(&pp("pp-1"));
    let pp2 = app.token(&pp("pp-2"));
    let draft = create_draft(&app, &pp1, "CRS-ACC-J-01", "Jay", "Moss").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let delete = "mutation($id: ID!) { deleteDraftReferral(id: $id) }";
    let (_, stranger) = app.gql(&pp2, delete, json!({ "id": draft })).await;
    assert_eq!(first_code(&stranger), "NOT_FOUND");
    let sp = app.token(&harbour("sp-1"));
    let (_, provider) = app.gql(&sp, delete, json!({ "id": draft })).await;
    assert_eq!(first_code(&provider), "FORBIDDEN");
    assert_eq!(
        ok(
            &app,
            &pp1,
            delete,
            json!({ "id": draft }),
            "deleteDraftReferral"
        )
        .await,
        draft
    );
    let (_, gone) = app
        .gql(
            &pp1,
            "query($id: ID!) { referral(id: $id) { id } }",
            json!({ "id": draft }),
        )
        .await;
    assert!(gone["data"]["referral"].is_null());
    let history = crs_api::db::referrals::events_of(&app.db, &[draft.parse().unwrap()])
        .await
        .unwrap();
    assert!(history.is_empty(), "no history of a person never referred");
    let (sent, _) = sent_referral(&app, &pp1, "CRS-ACC-J-01", "Kay", "Nash").await;
    let (_, refused) = app.gql(&pp1, delete, json!({ "id": sent })).await;
    assert_eq!(first_code(&refused), "INVALID_TRANSITION");
}

#[tokio::test]
async fn emails_are_shown_to_the_other_party_of_a_referral_only() {
    let app = TestApp::spawn().await;
    let mut practitioner = pp("pp-1");
    practitioner.email = Some("pp-1@probation.example".into());
    let mut caseworker = harbour("sp-1");
    caseworker.email = Some("sp-1@harbour.example".into());
    let pp1 = app.token(&practitioner);
    let sp = app.token(&caseworker);
    let id = assigned_referral(&app, &pp1, &sp, "Lou").await;
    let fields = "assignedTo { email } responsiblePractitioner { email }";
    let by_pp = referral(&app, &pp1, &id, fields).await;
    assert_eq!(by_pp["assignedTo"]["email"], "sp-1@harbour.example");
    let by_sp = referral(&app, &sp, &id, fields).await;
    assert_eq!(
        by_sp["responsiblePractitioner"]["email"],
        "pp-1@probation.example"
    );
    let system = app.token(&machine());
    let by_system = referral(&app, &system, &id, fields).await;
    assert!(by_system["assignedTo"]["email"].is_null());
    assert!(by_system["responsiblePractitioner"]["email"].is_null());
}
