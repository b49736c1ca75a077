//! Service delivery: assessment, action plan, sessions with feedback, the end-of-service report
//! and the conclusion rules, through the API.

use serde_json::{Value, json};

use crate::support::personas::{self, Actors, actors, bridgeway, machine, northern};
use crate::support::steps::*;
use crate::support::{Options, TestApp, first_code};

async fn delivery(app: &TestApp, token: &str, id: &str) -> Value {
    referral(app, token, id, DELIVERY_FIELDS).await
}

fn fields(body: &Value) -> Vec<(String, String)> {
    body["errors"][0]["extensions"]["fields"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap().to_owned(),
                f["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pair(field: &str, code: &str) -> (String, String) {
    (field.to_owned(), code.to_owned())
}

#[tokio::test]
async fn a_booked_assessment_moves_to_assessment_booked_and_attendance_completes_it() {
    let app = TestApp::spawn().await;
    let Actors { pp, sp } = actors(&app);
    let id = assigned_referral(&app, &pp, &sp, "Ash").await;
    let appointment = schedule(&app, &sp, &id, phone("ASSESSMENT", None, &past_start())).await;
    assert_eq!(
        delivery(&app, &pp, &id).await["status"],
        "ASSESSMENT_BOOKED"
    );
    let recorded = record(&app, &sp, &appointment, attended()).await;
    assert_eq!(recorded["feedback"]["attended"], "YES");
    let after = delivery(&app, &pp, &id).await;
    assert_eq!(after["status"], "ASSESSMENT_COMPLETED");
    assert_eq!(
        kinds(&after)[4..],
        ["APPOINTMENT_SCHEDULED", "APPOINTMENT_FEEDBACK_RECORDED"]
    );
    let last = &after["history"][5];
    assert_eq!(last["fromStatus"], "ASSESSMENT_BOOKED");
    assert_eq!(last["toStatus"], "ASSESSMENT_COMPLETED");
    assert_eq!(last["actor"]["id"], "sp-1");
    // The person was seen at the assessment, not in delivery: no initial contact yet.
    assert!(after["initialContactAt"].is_null());
}

#[tokio::test]
async fn a_missed_assessment_needs_a_new_booking_and_tells_the_practitioner() {
    let app = TestApp::spawn().await;
    let Actors { pp, sp } = actors(&app);
    let id = assigned_referral(&app, &pp, &sp, "Bo").await;
    let first = schedule(&app, &sp, &id, phone("ASSESSMENT", None, &past_start())).await;
    let mut no_show = missed();
    no_show["notifyProbationPractitioner"] = json!(true);
    no_show["concerns"] = json!("Not seen at the hostel since Monday");
    record(&app, &sp, &first, no_show).await;
    let after = delivery(&app, &pp, &id).await;
    assert_eq!(
        after["status"], "ASSIGNED",
        "a missed assessment must be rebooked"
    );
    // A plan cannot follow a missed assessment.
    let (_, body) = app
        .gql(
            &sp,
            SUBMIT_PLAN,
            json!({ "id": id, "input": { "numberOfSessions": 2, "activities": ["x"] } }),
        )
        .await;
    assert_eq!(first_code(&body), "INVALID_TRANSITION");
    // The new booking is a new appointment; the missed one stays, not superseded.
    let second = schedule(&app, &sp, &id, phone("ASSESSMENT", None, &future_start())).await;
    let after = delivery(&app, &pp, &id).await;
    assert_eq!(after["status"], "ASSESSMENT_BOOKED");
    let appointments = after["appointments"].as_array().unwrap();
    assert_eq!(appointments.len(), 2);
    assert_eq!(appointments[0]["id"], first.as_str());
    assert_eq!(appointments[0]["superseded"], false);
    assert_eq!(appointments[0]["feedback"]["attended"], "NO");
    assert_eq!(appointments[1]["id"], second.as_str());

    // The responsible practitioner reads two notifications: non-attendance and concerns.
    let query = "query($unread: Boolean) { notifications(unreadOnly: $unread) { totalCount
        edges { node { id kind readAt referral { id } appointment { id feedback { concerns } } } } } }";
    let data = app.data(&pp, query, json!({})).await;
    assert_eq!(data["notifications"]["totalCount"], 2);
    let nodes: Vec<&Value> = data["notifications"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .collect();
    let mut kinds: Vec<&str> = nodes.iter().map(|n| n["kind"].as_str().unwrap()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["APPOINTMENT_NOT_ATTENDED", "CONCERNS_RAISED"]);
    assert!(nodes.iter().all(|n| n["referral"]["id"] == id.as_str()));
    assert!(
        nodes
            .iter()
            .all(|n| n["appointment"]["id"] == first.as_str())
    );
    assert_eq!(
        nodes[0]["appointment"]["feedback"]["concerns"],
        "Not seen at the hostel since Monday"
    );
    // Another practitioner sees none of them and cannot mark them read, nor can the provider.
    let other = app.token(&personas::pp("pp-2"));
    let theirs = app.data(&other, query, json!({})).await;
    assert_eq!(theirs["notifications"]["totalCount"], 0);
    let mark = "mutation($id: ID!) { markNotificationRead(id: $id) { id readAt } }";
    let target = nodes[0]["id"].as_str().unwrap();
    let (_, body) = app.gql(&other, mark, json!({ "id": target })).await;
    assert_eq!(first_code(&body), "NOT_FOUND");
    let (_, body) = app.gql(&sp, mark, json!({ "id": target })).await;
    assert_eq!(first_code(&body), "NOT_FOUND");
    let read = ok(
        &app,
        &pp,
        mark,
        json!({ "id": target }),
        "markNotificationRead",
    )
    .await;
    assert!(read["readAt"].is_string());
    let unread = app.data(&pp, query, json!({ "unread": true })).await;
    assert_eq!(unread["notifications"]["totalCount"], 1);
}

#[tokio::test]
async fn appointment_details_are_validated_with_field_codes() {
    let app = TestApp::spawn().await;
    let Actors { pp, sp } = actors(&app);
    let id = assigned_referral(&app, &pp, &sp, "Cy").await;
    let version_before = delivery(&app, &pp, &id).await["version"].clone();
    let far = (chrono::Utc::now() + chrono::Duration::days(200)).to_rfc3339();
    let before_sent = (chrono::Utc::now() - chrono::Duration::days(3)).to_rfc3339();
    let cases = [
        (
            json!({ "deliveryMethod": "IN_PERSON_OTHER", "address": { "firstLine": "1 High Street", "postcode": "NOT A POSTCODE" } }),
            vec![pair("address.postcode", "INVALID_FORMAT")],
        ),
        (
            json!({ "deliveryMethod": "IN_PERSON_OTHER" }),
            vec![pair("address", "CANNOT_BE_EMPTY")],
        ),
        (
            json!({ "deliveryMethod": "IN_PERSON_PROBATION_OFFICE" }),
            vec![pair("probationOfficeCode", "CANNOT_BE_EMPTY")],
        ),
        (
            json!({ "startsAt": far }),
            vec![pair("startsAt", "APPOINTMENT_TIME_TOO_FAR_IN_FUTURE")],
        ),
        (
            json!({ "startsAt": before_sent }),
            vec![pair(
                "startsAt",
                "APPOINTMENT_TIME_BEFORE_REFERRAL_START_DATE",
            )],
        ),
        (
            json!({ "durationMinutes": 0, "sessionNumber": 1 }),
            vec![
                pair("sessionNumber", "INVALID_VALUE"),
                pair("durationMinutes", "CANNOT_BE_NEGATIVE_OR_ZERO"),
            ],
        ),
    ];
    for (change, want) in cases {
        let mut input = phone("ASSESSMENT", None, &future_start());
        for (key, value) in change.as_object().unwrap() {
            input[key] = value.clone();
        }
        let (_, body) = app
            .gql(&sp, SCHEDULE, json!({ "id": id, "input": input }))
            .await;
        assert_eq!(first_code(&body), "BAD_USER_INPUT", "{change}: {body}");
        assert_eq!(fields(&body), want, "{change}");
    }
    // Nothing was booked by the refused attempts.
    let after = delivery(&app, &pp, &id).await;
    assert_eq!(after["version"], version_before);
    assert_eq!(after["appointments"], json!([]));
    // A valid in-person booking keeps its normalised postcode and office.
    let mut elsewhere = phone("ASSESSMENT", None, &future_start());
    elsewhere["deliveryMethod"] = json!("IN_PERSON_OTHER");
    elsewhere["address"] = json!({ "firstLine": "1 High Street", "postcode": "ls1 4ap" });
    let booked = ok(
        &app,
        &sp,
        SCHEDULE,
        json!({ "id": id, "input": elsewhere }),
        "scheduleAppointment",
    )
    .await;
    assert_eq!(booked["address"]["postcode"], "LS1 4AP");
}

fn reschedule_of(appointment: &str, starts_at: &str) -> Value {
    let mut input = phone("ASSESSMENT", None, starts_at);
    input["reschedule"] = json!({
        "appointmentId": appointment,
        "reason": "Person has a job interview",
        "requestedBy": "PERSON_ON_PROBATION",
    });
    input
}

#[tokio::test]
async fn rescheduling_keeps_the_old_appointment_in_history() {
    let app = TestApp::spawn().await;
    let Actors { pp, sp } = actors(&app);
    let id = assigned_referral(&app, &pp, &sp, "Di").await;
    let first = schedule(&app, &sp, &id, phone("ASSESSMENT", None, &future_start())).await;
    // Booking again while one is booked is refused: it must be rescheduled.
    let (_, body) = app
        .gql(
            &sp,
            SCHEDULE,
            json!({ "id": id, "input": phone("ASSESSMENT", None, &future_start()) }),
        )
        .await;
    assert_eq!(first_code(&body), "CONFLICT", "{body}");
    let second = schedule(&app, &sp, &id, reschedule_of(&first, &past_start())).await;
    let query = format!("appointments {{ {APPOINTMENT_FIELDS} }} status history {{ kind }}");
    let data = referral(&app, &pp, &id, &query).await;
    assert_eq!(data["status"], "ASSESSMENT_BOOKED");
    let old = &data["appointments"][0];
    assert_eq!(old["id"], first.as_str());
    assert_eq!(old["superseded"], true);
    assert_eq!(old["supersededByAppointmentId"], second.as_str());
    assert_eq!(old["rescheduleReason"], "Person has a job interview");
    assert_eq!(old["rescheduleRequestedBy"], "PERSON_ON_PROBATION");
    assert_eq!(old["rescheduledBy"]["id"], "sp-1");
    assert_eq!(data["appointments"][1]["superseded"], false);
    assert_eq!(
        data["history"].as_array().unwrap().last().unwrap()["kind"],
        "APPOINTMENT_RESCHEDULED"
    );
    // Only the latest can be moved, and feedback cannot go on a replaced appointment.
    let (_, body) = app
        .gql(
            &sp,
            SCHEDULE,
            json!({ "id": id, "input": reschedule_of(&first, &future_start()) }),
        )
        .await;
    assert_eq!(first_code(&body), "CONFLICT", "{body}");
    let (_, body) = app
        .gql(&sp, FEEDBACK, json!({ "id": first, "input": attended() }))
        .await;
    assert_eq!(first_code(&body), "CONFLICT", "{body}");
    // Once feedback is recorded the latest cannot be moved either.
    record(&app, &sp, &second, attended()).await;
    let (_, body) = app
        .gql(
            &sp,
            SCHEDULE,
            json!({ "id": id, "input": reschedule_of(&second, &future_start()) }),
        )
        .await;
    assert_eq!(first_code(&body), "CONFLICT", "{body}");
}

#[tokio::test]
async fn a_session_is_rescheduled_like_an_assessment() {
    let app = TestApp::spawn().await;
    let Actors { pp, sp } = actors(&app);
    let id = delivering_referral(&app, &pp, &sp, "Sol", 2).await;
    let first = schedule(&app, &sp, &id, phone("SESSION", Some(1), &future_start())).await;
    let mut moved = reschedule_of(&first, &past_start());
    moved["kind"] = json!("SESSION");
    moved["sessionNumber"] = json!(1);
    let second = schedule(&app, &sp, &id, moved.clone()).await;
    let after = delivery(&app, &pp, &id).await;
    let session = &after["sessions"][0];
    assert_eq!(session["appointment"]["id"], second.as_str());
    assert_eq!(session["history"][0]["id"], first.as_str());
    assert_eq!(session["history"][0]["superseded"], true);
    record(&app, &sp, &second, attended()).await;
    let mut again = moved;
    again["reschedule"]["appointmentId"] = json!(second);
    let (_, body) = app
        .gql(&sp, SCHEDULE, json!({ "id": id, "input": again }))
        .await;
    assert_eq!(first_code(&body), "CONFLICT", "{body}");
}

#[tokio::test]
async fn feedback_waits_for_the_start_time_and_locks_the_appointment() {
    let app = TestApp::spawn().await;
    let Actors { pp, sp } = actors(&app);
    let id = assigned_referral(&app, &pp, &sp, "Ed").await;
    let future = schedule(&app, &sp, &id, phone("ASSESSMENT", None, &future_start())).await;
    let (_, body) = app
        .gql(&sp, FEEDBACK, json!({ "id": future, "input": attended() }))
        .await;
    assert_eq!(first_code(&body), "BAD_USER_INPUT");
    assert_eq!(
        fields(&body),
        [pair("appointmentId", "APPOINTMENT_NOT_STARTED")]
    );
    // Incomplete feedback lists what is missing.
    let (_, body) = app
        .gql(
            &sp,
            FEEDBACK,
            json!({ "id": future, "input": { "attended": "LATE", "notifyProbationPractitioner": true } }),
        )
        .await;
    assert_eq!(
        fields(&body),
        [
            pair("appointmentId", "APPOINTMENT_NOT_STARTED"),
            pair("lateReason", "CONDITIONAL_FIELD_MUST_BE_SET"),
            pair("didSessionHappen", "CONDITIONAL_FIELD_MUST_BE_SET"),
            pair("concerns", "CONDITIONAL_FIELD_MUST_BE_SET"),
        ]
    );
    let now = schedule(&app, &sp, &id, reschedule_of(&future, &past_start())).await;
    record(&app, &sp, &now, attended()).await;
    let version = delivery(&app, &pp, &id).await["version"].clone();
    let (_, body) = app
        .gql(&sp, FEEDBACK, json!({ "id": now, "input": missed() }))
        .await;
    assert_eq!(first_code(&body), "CONFLICT", "{body}");
    let after = delivery(&app, &pp, &id).await;
    assert_eq!(
        after["version"], version,
        "a refused recording changes nothing"
    );
    assert_eq!(after["appointments"][1]["feedback"]["attended"], "YES");
}

#[tokio::test]
async fn a_plan_needs_a_completed_assessment_and_never_shrinks() {
    let app = TestApp::spawn().await;
    let Actors { pp, sp } = actors(&app);
    let booked = assigned_referral(&app, &pp, &sp, "Fi").await;
    let plan =
        |sessions: i32| json!({ "numberOfSessions": sessions, "activities": ["Find a tenancy"] });
    let (_, body) = app
        .gql(&sp, SUBMIT_PLAN, json!({ "id": booked, "input": plan(3) }))
        .await;
    assert_eq!(first_code(&body), "INVALID_TRANSITION");
    let id = assessed_referral(&app, &pp, &sp, "Gus").await;
    let (_, body) = app
        .gql(
            &sp,
            SUBMIT_PLAN,
            json!({ "id": id, "input": { "numberOfSessions": 0, "activities": [" "] } }),
        )
        .await;
    assert_eq!(
        fields(&body),
        [
            pair("numberOfSessions", "CANNOT_BE_NEGATIVE_OR_ZERO"),
            pair("activities", "CANNOT_BE_EMPTY"),
        ]
    );
    submit_plan(&app, &sp, &id, 3).await;
    let (_, body) = app
        .gql(&sp, SUBMIT_PLAN, json!({ "id": id, "input": plan(2) }))
        .await;
    assert_eq!(
        fields(&body),
        [pair("numberOfSessions", "CANNOT_BE_REDUCED")]
    );
    // A revision only adds sessions.
    let revised = ok(
        &app,
        &sp,
        SUBMIT_PLAN,
        json!({ "id": id, "input": plan(5) }),
        "submitActionPlan",
    )
    .await;
    assert_eq!(revised["revision"], 2);
    let after = delivery(&app, &pp, &id).await;
    let numbers: Vec<i64> = after["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sessionNumber"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [1, 2, 3, 4, 5]);
    assert_eq!(after["actionPlan"]["revision"], 2);
    assert_eq!(after["actionPlans"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn automatic_approval_creates_the_sessions_at_once() {
    let app = TestApp::spawn().await;
    let Actors { pp, sp } = actors(&app);
    let id = assessed_referral(&app, &pp, &sp, "Hal").await;
    let plan = submit_plan(&app, &sp, &id, 3).await;
    assert_eq!(plan["approved"], true);
    assert_eq!(plan["approvedAutomatically"], true);
    assert!(plan["approvedBy"].is_null());
    let after = delivery(&app, &pp, &id).await;
    assert_eq!(after["status"], "IN_DELIVERY");
    assert_eq!(after["sessions"].as_array().unwrap().len(), 3);
    let history = after["history"].as_array().unwrap();
    let submitted = &history[history.len() - 2];
    let approved = &history[history.len() - 1];
    assert_eq!(submitted["kind"], "ACTION_PLAN_SUBMITTED");
    assert_eq!(submitted["toStatus"], "ACTION_PLAN_SUBMITTED");
    assert_eq!(approved["kind"], "ACTION_PLAN_APPROVED");
    assert_eq!(approved["fromStatus"], "ACTION_PLAN_SUBMITTED");
    assert_eq!(approved["toStatus"], "IN_DELIVERY");
}

#[tokio::test]
async fn without_automatic_approval_the_practitioner_approves_the_latest_plan() {
    let app =
        TestApp::spawn_with(Options::default().with("CRS_AUTO_APPROVE_ACTION_PLANS", "false"))
            .await;
    let Actors { pp, sp } = actors(&app);
    let id = assessed_referral(&app, &pp, &sp, "Ivy").await;
    let first = submit_plan(&app, &sp, &id, 2).await;
    assert_eq!(first["approved"], false);
    let after = delivery(&app, &pp, &id).await;
    assert_eq!(after["status"], "ACTION_PLAN_SUBMITTED");
    assert_eq!(after["sessions"], json!([]));
    // The provider may not approve; another practitioner cannot reach it.
    let (_, body) = app
        .gql(&sp, APPROVE_PLAN, json!({ "id": first["id"] }))
        .await;
    assert_eq!(first_code(&body), "FORBIDDEN");
    let other = app.token(&personas::pp("pp-2"));
    let (_, body) = app
        .gql(&other, APPROVE_PLAN, json!({ "id": first["id"] }))
        .await;
    assert_eq!(first_code(&body), "NOT_FOUND");
    // A revision replaces the waiting plan: the old one can no longer be approved.
    let second = submit_plan(&app, &sp, &id, 4).await;
    let (_, body) = app
        .gql(&pp, APPROVE_PLAN, json!({ "id": first["id"] }))
        .await;
    assert_eq!(first_code(&body), "CONFLICT", "{body}");
    let approved = ok(
        &app,
        &pp,
        APPROVE_PLAN,
        json!({ "id": second["id"] }),
        "approveActionPlan",
    )
    .await;
    assert_eq!(approved["approved"], true);
    assert_eq!(approved["approvedAutomatically"], false);
    assert_eq!(approved["approvedBy"]["id"], "pp-1");
    let after = delivery(&app, &pp, &id).await;
    assert_eq!(after["status"], "IN_DELIVERY");
    assert_eq!(after["sessions"].as_array().unwrap().len(), 4);
    // Approving again returns the plan and records nothing.
    let events = after["history"].as_array().unwrap().len();
    ok(
        &app,
        &pp,
        APPROVE_PLAN,
        json!({ "id": second["id"] }),
        "approveActionPlan",
    )
    .await;
    let again = delivery(&app, &pp, &id).await;
    assert_eq!(again["history"].as_array().unwrap().len(), events);
}

#[tokio::test]
async fn sessions_mark_initial_contact_and_then_await_the_report() {
    let app = TestApp::spawn().await;
    let Actors { pp, sp } = actors(&app);
    let id = delivering_referral(&app, &pp, &sp, "Jo", 3).await;
    // Only sessions of the plan can be booked.
    let (_, body) = app
        .gql(
            &sp,
            SCHEDULE,
            json!({ "id": id, "input": phone("SESSION", Some(4), &future_start()) }),
        )
        .await;
    assert_eq!(fields(&body), [pair("sessionNumber", "INVALID_VALUE")]);
    // A missed first session is recorded but is no contact.
    hold_session(&app, &sp, &id, 1, missed()).await;
    let after = delivery(&app, &pp, &id).await;
    assert_eq!(after["status"], "IN_DELIVERY");
    assert!(after["initialContactAt"].is_null());
    // It can be booked again; the missed appointment stays in the session's history.
    hold_session(&app, &sp, &id, 1, attended()).await;
    let after = delivery(&app, &pp, &id).await;
    assert!(after["initialContactAt"].is_string());
    assert_eq!(after["sessions"][0]["history"].as_array().unwrap().len(), 2);
    assert_eq!(after["sessions"][0]["feedbackRecorded"], true);
    let mut late = attended();
    late["attended"] = json!("LATE");
    late["lateReason"] = json!("Bus was late");
    hold_session(&app, &sp, &id, 2, late).await;
    assert_eq!(delivery(&app, &pp, &id).await["status"], "IN_DELIVERY");
    hold_session(&app, &sp, &id, 3, missed()).await;
    let after = delivery(&app, &pp, &id).await;
    assert_eq!(after["status"], "AWAITING_END_OF_SERVICE_REPORT");
    assert!(after["concludedAt"].is_null());
    // Until the report is in, a missed session can be caught up: delivery resumes.
    let catch_up = schedule(&app, &sp, &id, phone("SESSION", Some(3), &past_start())).await;
    assert_eq!(delivery(&app, &pp, &id).await["status"], "IN_DELIVERY");
    record(&app, &sp, &catch_up, attended()).await;
    assert_eq!(
        delivery(&app, &pp, &id).await["status"],
        "AWAITING_END_OF_SERVICE_REPORT"
    );
}

#[tokio::test]
async fn the_report_covers_every_desired_outcome_and_completes_once() {
    let app = TestApp::spawn().await;
    let Actors { pp, sp } = actors(&app);
    let id = delivering_referral(&app, &pp, &sp, "Kit", 1).await;
    // Not before every session is recorded.
    let report = full_report(&app, &sp, &id).await;
    let (_, body) = app
        .gql(&sp, SUBMIT_REPORT, json!({ "id": id, "input": report }))
        .await;
    assert_eq!(first_code(&body), "INVALID_TRANSITION");
    hold_session(&app, &sp, &id, 1, attended()).await;
    let (_, body) = app
        .gql(
            &sp,
            SUBMIT_REPORT,
            json!({ "id": id, "input": { "outcomes": [] } }),
        )
        .await;
    assert_eq!(fields(&body), [pair("outcomes", "OUTCOME_MISSING")]);
    let submitted = ok(
        &app,
        &sp,
        SUBMIT_REPORT,
        json!({ "id": id, "input": report }),
        "submitEndOfServiceReport",
    )
    .await;
    assert_eq!(submitted["outcomes"][0]["achievementLevel"], "ACHIEVED");
    let done = delivery(&app, &pp, &id).await;
    assert_eq!(done["status"], "COMPLETED");
    assert!(done["concludedAt"].is_string());
    assert_eq!(done["endOfServiceReport"]["furtherInformation"], "Settled");
    let last = done["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "END_OF_SERVICE_REPORT_SUBMITTED");
    assert_eq!(last["fromStatus"], "AWAITING_END_OF_SERVICE_REPORT");
    assert_eq!(last["toStatus"], "COMPLETED");
    // A late second report is refused and concludes nothing again.
    let (_, body) = app
        .gql(&sp, SUBMIT_REPORT, json!({ "id": id, "input": report }))
        .await;
    assert_eq!(first_code(&body), "CONFLICT", "{body}");
    let again = delivery(&app, &pp, &id).await;
    assert_eq!(again["concludedAt"], done["concludedAt"]);
    assert_eq!(again["version"], done["version"]);
    assert_eq!(again["history"], done["history"]);
}

/// The provider submits a report achieving every desired outcome (which must be accepted).
async fn report(app: &TestApp, sp: &str, id: &str) -> Value {
    let input = full_report(app, sp, id).await;
    ok(
        app,
        sp,
        SUBMIT_REPORT,
        json!({ "id": id, "input": input }),
        "submitEndOfServiceReport",
    )
    .await
}

#[tokio::test]
async fn withdrawal_before_contact_cancels_at_once() {
    let app = TestApp::spawn().await;
    let Actors { pp, sp } = actors(&app);
    // Assessment booked: cancelled.
    let booked = assigned_referral(&app, &pp, &sp, "Lou").await;
    schedule(
        &app,
        &sp,
        &booked,
        phone("ASSESSMENT", None, &future_start()),
    )
    .await;
    let cancelled = withdraw(&app, &pp, &booked, "MIS").await;
    assert_eq!(cancelled["status"], "CANCELLED");
    assert!(cancelled["concludedAt"].is_string());
    // In delivery but nobody seen in a session yet: cancelled too, no report needed.
    let delivering = delivering_referral(&app, &pp, &sp, "Max", 2).await;
    hold_session(&app, &sp, &delivering, 1, missed()).await;
    let cancelled = withdraw(&app, &pp, &delivering, "MIS").await;
    assert_eq!(cancelled["status"], "CANCELLED");
    // A report after cancellation is refused and concludes nothing again.
    let before = delivery(&app, &pp, &delivering).await;
    let report = full_report(&app, &sp, &delivering).await;
    let (_, body) = app
        .gql(
            &sp,
            SUBMIT_REPORT,
            json!({ "id": delivering, "input": report }),
        )
        .await;
    assert_eq!(first_code(&body), "INVALID_TRANSITION");
    let after = delivery(&app, &pp, &delivering).await;
    assert_eq!(after["concludedAt"], before["concludedAt"]);
    assert_eq!(after["history"], before["history"]);
}

#[tokio::test]
async fn withdrawal_during_delivery_waits_for_the_report_then_ends_prematurely() {
    let app = TestApp::spawn().await;
    let Actors { pp, sp } = actors(&app);
    let id = delivering_referral(&app, &pp, &sp, "Ned", 3).await;
    hold_session(&app, &sp, &id, 1, attended()).await;
    let withdrawn = withdraw(&app, &pp, &id, "MIS").await;
    assert_eq!(withdrawn["status"], "AWAITING_END_OF_SERVICE_REPORT");
    assert!(withdrawn["concludedAt"].is_null());
    // No more sessions are booked once withdrawn; withdrawing again changes nothing.
    let (_, body) = app
        .gql(
            &sp,
            SCHEDULE,
            json!({ "id": id, "input": phone("SESSION", Some(2), &future_start()) }),
        )
        .await;
    assert_eq!(first_code(&body), "INVALID_TRANSITION");
    let version = delivery(&app, &pp, &id).await["version"].clone();
    withdraw(&app, &pp, &id, "MIS").await;
    assert_eq!(delivery(&app, &pp, &id).await["version"], version);
    report(&app, &sp, &id).await;
    let ended = delivery(&app, &pp, &id).await;
    assert_eq!(ended["status"], "PREMATURELY_ENDED");
    assert!(ended["concludedAt"].is_string());
    let kinds = kinds(&ended);
    assert_eq!(
        kinds[kinds.len() - 2..],
        ["WITHDRAWN", "END_OF_SERVICE_REPORT_SUBMITTED"]
    );
}

#[tokio::test]
async fn sessions_recorded_after_a_withdrawal_never_turn_it_into_a_completion() {
    let app = TestApp::spawn().await;
    let Actors { pp, sp } = actors(&app);
    let id = delivering_referral(&app, &pp, &sp, "Pip", 3).await;
    hold_session(&app, &sp, &id, 1, attended()).await;
    let booked: Vec<String> = {
        let mut ids = Vec::new();
        for n in [2, 3] {
            ids.push(schedule(&app, &sp, &id, phone("SESSION", Some(n), &past_start())).await);
        }
        ids
    };
    withdraw(&app, &pp, &id, "MIS").await;
    // The provider records what happened at the sessions already booked: nobody came.
    for appointment in &booked {
        record(&app, &sp, appointment, missed()).await;
    }
    let waiting = delivery(&app, &pp, &id).await;
    assert_eq!(waiting["status"], "AWAITING_END_OF_SERVICE_REPORT");
    assert!(
        waiting["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["feedbackRecorded"] == true)
    );
    report(&app, &sp, &id).await;
    assert_eq!(
        delivery(&app, &pp, &id).await["status"],
        "PREMATURELY_ENDED"
    );
}

#[tokio::test]
async fn withdrawal_after_every_session_is_recorded_still_completes_with_the_report() {
    let app = TestApp::spawn().await;
    let Actors { pp, sp } = actors(&app);
    let id = delivering_referral(&app, &pp, &sp, "Ros", 1).await;
    hold_session(&app, &sp, &id, 1, attended()).await;
    let withdrawn = withdraw(&app, &pp, &id, "MIS").await;
    assert_eq!(withdrawn["status"], "AWAITING_END_OF_SERVICE_REPORT");
    report(&app, &sp, &id).await;
    assert_eq!(delivery(&app, &pp, &id).await["status"], "COMPLETED");
}

#[tokio::test]
async fn other_providers_reach_no_appointment_plan_or_report() {
    let app = TestApp::spawn().await;
    let Actors { pp, sp } = actors(&app);
    let northern = app.token(&northern("sp-3"));
    let bridgeway = app.token(&bridgeway("sp-2"));
    let read_all = app.token(&machine());
    let id = delivering_referral(&app, &pp, &sp, "Oz", 2).await;
    let session = schedule(&app, &sp, &id, phone("SESSION", Some(1), &past_start())).await;
    let plan_id = delivery(&app, &pp, &id).await["actionPlan"]["id"].clone();
    let attempts = [
        (
            SCHEDULE,
            json!({ "id": id, "input": phone("SESSION", Some(2), &future_start()) }),
        ),
        (FEEDBACK, json!({ "id": session, "input": attended() })),
        (
            SUBMIT_PLAN,
            json!({ "id": id, "input": { "numberOfSessions": 3, "activities": ["x"] } }),
        ),
        (
            SUBMIT_REPORT,
            json!({ "id": id, "input": { "outcomes": [] } }),
        ),
    ];
    for (query, variables) in &attempts {
        let (_, body) = app.gql(&northern, query, variables.clone()).await;
        assert_eq!(first_code(&body), "NOT_FOUND", "{query}: {body}");
        let (_, body) = app.gql(&read_all, query, variables.clone()).await;
        assert_eq!(first_code(&body), "FORBIDDEN", "{query}: {body}");
    }
    let (_, body) = app
        .gql(&northern, APPROVE_PLAN, json!({ "id": plan_id }))
        .await;
    assert_eq!(first_code(&body), "FORBIDDEN");
    // Reads: the referral and every child are out of reach.
    let query = format!("query($id: ID!) {{ referral(id: $id) {{ {DELIVERY_FIELDS} }} }}");
    let (_, body) = app.gql(&northern, &query, json!({ "id": id })).await;
    assert!(
        body["errors"].is_null() && body["data"]["referral"].is_null(),
        "{body}"
    );
    // The subcontractor on the contract works on it; read-all reads it.
    record(&app, &bridgeway, &session, attended()).await;
    let seen = delivery(&app, &read_all, &id).await;
    assert!(seen["initialContactAt"].is_string());
    assert_eq!(seen["sessions"][0]["feedbackRecorded"], true);
}

// On the server's own multi-threaded runtime, where a loader's batch can start on another
// thread: batching must still hold there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_referral_page_with_delivery_children_costs_the_same_for_any_size() {
    let app = TestApp::spawn().await;
    let Actors { pp, sp } = actors(&app);
    for name in ["Pat", "Quin", "Rae"] {
        let id = delivering_referral(&app, &pp, &sp, name, 2).await;
        hold_session(&app, &sp, &id, 1, attended()).await;
    }
    let query = "query($first: Int) { referrals(first: $first) { edges { node {
        appointments { id feedback { attended } } actionPlan { id activities }
        sessions { sessionNumber appointment { id } } endOfServiceReport { id } } } } }";
    let mut costs = Vec::new();
    for first in [1, 3] {
        let before = app.statements().await;
        let data = app.data(&sp, query, json!({ "first": first })).await;
        assert_eq!(data["referrals"]["edges"].as_array().unwrap().len(), first);
        costs.push(app.statements().await - before);
    }
    assert_eq!(
        costs[0], costs[1],
        "statements for 1 and 3 referrals: {costs:?}"
    );
}

/// A developer's first start shows every status, with completed and ended referrals carrying
/// their reports, and a notification for the practitioner.
#[tokio::test]
async fn the_demo_data_covers_every_status() {
    let app = TestApp::spawn_with(Options {
        full_demo: true,
        ..Default::default()
    })
    .await;
    let users = crs_api::demo::demo_users();
    let practitioner = app.token(&users[0].claims);
    let schema = crs_api::graphql::sdl();
    let all: Vec<&str> = schema
        .split("enum ReferralStatus {")
        .nth(1)
        .unwrap()
        .split('}')
        .next()
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .collect();
    let query = "query($all: [ReferralStatus!]) { referrals(first: 100, filter: { status: $all }) {
        edges { node { status concludedAt
        endOfServiceReport { outcomes { achievementLevel } } sessions { sessionNumber } } } } }";
    let data = app.data(&practitioner, query, json!({ "all": all })).await;
    let nodes: Vec<&Value> = data["referrals"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .collect();
    let statuses: std::collections::BTreeSet<&str> = nodes
        .iter()
        .map(|n| n["status"].as_str().unwrap())
        .collect();
    assert_eq!(all.len(), 11);
    assert_eq!(statuses.len(), all.len(), "statuses present: {statuses:?}");
    for node in &nodes {
        let reported = !node["endOfServiceReport"].is_null();
        let status = node["status"].as_str().unwrap();
        assert_eq!(
            reported,
            ["COMPLETED", "PREMATURELY_ENDED"].contains(&status),
            "{node}"
        );
        assert_eq!(
            node["concludedAt"].is_string(),
            ["COMPLETED", "PREMATURELY_ENDED", "CANCELLED"].contains(&status)
        );
    }
    let notified = app
        .data(&practitioner, "{ notifications { totalCount } }", json!({}))
        .await;
    assert!(notified["notifications"]["totalCount"].as_u64().unwrap() >= 1);
}

/// Builds an operation's variables around an id.
type Variables<'a> = &'a dyn Fn(&str) -> Value;

/// Another organisation's appointment or plan, an unknown id and a malformed id get the same
/// answer after the same number of SQL statements.
#[tokio::test]
async fn foreign_unknown_and_malformed_delivery_ids_look_the_same() {
    let app = TestApp::spawn().await;
    let Actors { pp, sp } = actors(&app);
    let northern = app.token(&northern("sp-3"));
    let other_pp = app.token(&personas::pp("pp-2"));
    let id = delivering_referral(&app, &pp, &sp, "Tam", 1).await;
    let appointment = schedule(&app, &sp, &id, phone("SESSION", Some(1), &past_start())).await;
    let plan = delivery(&app, &pp, &id).await["actionPlan"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    seen(&app, &northern).await;
    seen(&app, &other_pp).await;
    let unknown = uuid::Uuid::new_v4().to_string();
    let feedback = |id: &str| json!({ "id": id, "input": attended() });
    let approval = |id: &str| json!({ "id": id });
    let cases: [(&String, &str, Variables); 2] = [
        (&northern, FEEDBACK, &feedback),
        (&other_pp, APPROVE_PLAN, &approval),
    ];
    for (token, query, variables) in cases {
        let real = if query == FEEDBACK {
            &appointment
        } else {
            &plan
        };
        let mut answers = Vec::new();
        for target in [real.as_str(), unknown.as_str(), "not-an-id"] {
            let before = app.statements().await;
            let (status, body) = app.gql(token, query, variables(target)).await;
            answers.push((status, body, app.statements().await - before));
        }
        assert_eq!(answers[0].1["errors"][0]["extensions"]["code"], "NOT_FOUND");
        assert_eq!(answers[0], answers[1], "{query}");
        assert_eq!(answers[1], answers[2], "{query}");
    }
}
