//! Helpers for service-delivery tests: booking, feedback, plans and reports through the API.

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::journey::*;

pub const APPOINTMENT_FIELDS: &str = "id kind sessionNumber startsAt durationMinutes deliveryMethod
    sessionType probationOfficeCode address { firstLine postcode } superseded supersededByAppointmentId
    rescheduleReason rescheduleRequestedBy rescheduledBy { id }
    feedback { attended didSessionHappen concerns notifyProbationPractitioner submittedBy { id } }";

pub const DELIVERY_FIELDS: &str = "id status version concludedAt initialContactAt
    appointments { id kind sessionNumber superseded feedback { attended } }
    actionPlan { id revision numberOfSessions activities approved approvedAutomatically approvedBy { id } }
    actionPlans { id revision }
    sessions { sessionNumber feedbackRecorded appointment { id } history { id superseded } }
    endOfServiceReport { id outcomes { desiredOutcome { id } achievementLevel progressionComments } furtherInformation }
    history { kind fromStatus toStatus actor { id } }";

/// A start time that has passed but is on the day the referral was sent (today, UK time).
pub fn past_start() -> String {
    use crs_api::domain::catalogue::{uk_date, uk_day_start};
    let now = Utc::now();
    let start = (now - Duration::minutes(2)).max(uk_day_start(uk_date(now)));
    start.to_rfc3339()
}

/// A start time two days ahead.
pub fn future_start() -> String {
    (Utc::now() + Duration::days(2)).to_rfc3339()
}

/// A phone appointment input.
pub fn phone(kind: &str, session: Option<i32>, starts_at: &str) -> Value {
    json!({
        "kind": kind,
        "sessionNumber": session,
        "startsAt": starts_at,
        "durationMinutes": 60,
        "deliveryMethod": "PHONE_CALL",
        "sessionType": "ONE_TO_ONE",
    })
}

pub const SCHEDULE: &str = "mutation($id: ID!, $input: ScheduleAppointmentInput!) {
    scheduleAppointment(referralId: $id, input: $input) {
      id kind sessionNumber startsAt superseded deliveryMethod probationOfficeCode address { firstLine postcode } } }";

pub const FEEDBACK: &str = "mutation($id: ID!, $input: AppointmentFeedbackInput!) {
    recordAppointmentFeedback(appointmentId: $id, input: $input) {
      id feedback { attended didSessionHappen sessionSummary concerns notifyProbationPractitioner } } }";

pub const SUBMIT_PLAN: &str = "mutation($id: ID!, $input: ActionPlanInput!) {
    submitActionPlan(referralId: $id, input: $input) {
      id revision numberOfSessions activities approved approvedAutomatically approvedBy { id } } }";

pub const APPROVE_PLAN: &str = "mutation($id: ID!) {
    approveActionPlan(actionPlanId: $id) { id revision numberOfSessions approved approvedAutomatically approvedBy { id } } }";

pub const SUBMIT_REPORT: &str = "mutation($id: ID!, $input: EndOfServiceReportInput!) {
    submitEndOfServiceReport(referralId: $id, input: $input) {
      id outcomes { desiredOutcome { id } achievementLevel } furtherInformation submittedBy { id } } }";

/// Books an appointment; returns its id.
pub async fn schedule(app: &TestApp, token: &str, referral: &str, input: Value) -> String {
    let data = ok(
        app,
        token,
        SCHEDULE,
        json!({ "id": referral, "input": input }),
        "scheduleAppointment",
    )
    .await;
    data["id"].as_str().unwrap().to_owned()
}

/// Feedback: attended on time, the session took place.
pub fn attended() -> Value {
    json!({
        "attended": "YES",
        "didSessionHappen": true,
        "sessionSummary": "Went through the plan",
        "sessionResponse": "Engaged well",
        "notifyProbationPractitioner": false,
    })
}

/// Feedback: did not come.
pub fn missed() -> Value {
    json!({
        "attended": "NO",
        "noAttendanceInformation": "Did not answer the phone",
        "notifyProbationPractitioner": false,
    })
}

/// Records feedback that must be accepted.
pub async fn record(app: &TestApp, token: &str, appointment: &str, input: Value) -> Value {
    ok(
        app,
        token,
        FEEDBACK,
        json!({ "id": appointment, "input": input }),
        "recordAppointmentFeedback",
    )
    .await
}

/// A referral sent by `pp` on CRS-ACC-J-01, assigned to `sp` (Harbour Light); returns its id.
pub async fn assigned_referral(app: &TestApp, pp: &str, sp: &str, name: &str) -> String {
    let (id, _) = sent_referral(app, pp, "CRS-ACC-J-01", name, "Doe").await;
    seen(app, sp).await;
    ok(
        app,
        sp,
        ASSIGN,
        json!({ "id": id, "to": "sp-1" }),
        "assignReferral",
    )
    .await;
    id
}

/// A referral whose initial assessment was attended (`ASSESSMENT_COMPLETED`).
pub async fn assessed_referral(app: &TestApp, pp: &str, sp: &str, name: &str) -> String {
    let id = assigned_referral(app, pp, sp, name).await;
    let appointment = schedule(app, sp, &id, phone("ASSESSMENT", None, &past_start())).await;
    record(app, sp, &appointment, attended()).await;
    id
}

/// Submits a plan of `sessions` sessions; returns the plan.
pub async fn submit_plan(app: &TestApp, sp: &str, referral: &str, sessions: i32) -> Value {
    ok(
        app,
        sp,
        SUBMIT_PLAN,
        json!({ "id": referral, "input": { "numberOfSessions": sessions, "activities": ["Find a tenancy", "Open a bank account"] } }),
        "submitActionPlan",
    )
    .await
}

/// A referral in delivery with an automatically approved plan of `sessions` sessions.
pub async fn delivering_referral(
    app: &TestApp,
    pp: &str,
    sp: &str,
    name: &str,
    sessions: i32,
) -> String {
    let id = assessed_referral(app, pp, sp, name).await;
    submit_plan(app, sp, &id, sessions).await;
    id
}

/// Books session `n` in the past and records `feedback` on it.
pub async fn hold_session(app: &TestApp, sp: &str, referral: &str, n: i32, feedback: Value) {
    let appointment = schedule(app, sp, referral, phone("SESSION", Some(n), &past_start())).await;
    record(app, sp, &appointment, feedback).await;
}

/// The ids of the referral's desired outcomes.
pub async fn desired_outcomes(app: &TestApp, token: &str, referral: &str) -> Vec<String> {
    let data = crate::journey::referral(
        app,
        token,
        referral,
        "serviceCategories { desiredOutcomes { id } }",
    )
    .await;
    data["serviceCategories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["desiredOutcomes"].as_array().unwrap().clone())
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

/// A complete report input: every desired outcome achieved.
pub async fn full_report(app: &TestApp, token: &str, referral: &str) -> Value {
    let outcomes: Vec<Value> = desired_outcomes(app, token, referral)
        .await
        .into_iter()
        .map(|id| json!({ "desiredOutcomeId": id, "achievementLevel": "ACHIEVED", "progressionComments": "Moved into a tenancy" }))
        .collect();
    json!({ "outcomes": outcomes, "furtherInformation": "Settled" })
}

/// The kinds of the referral's history, oldest first.
pub fn kinds(referral: &Value) -> Vec<String> {
    referral["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}
