//! The journey through the API step by step: drafts completed and sent, assigned, then
//! service delivery (booking, feedback, plans and reports).

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use super::TestApp;

/// The id of the demo intervention of `contract`.
pub fn intervention_id(contract: &str) -> String {
    crs_api::domain::onboarding::intervention_id(contract).to_string()
}

pub const REFERRAL_FIELDS: &str = "id reference status version sentAt concludedAt
    serviceUser { crn firstName lastName }
    assignedTo { id name }
    history { kind fromStatus toStatus actor { id } }";

/// Runs an operation that must succeed and returns `data[field]`.
pub async fn ok(app: &TestApp, token: &str, query: &str, variables: Value, field: &str) -> Value {
    app.data(token, query, variables).await[field].clone()
}

/// Starts a draft for `contract` with a named person.
pub async fn create_draft(
    app: &TestApp,
    token: &str,
    contract: &str,
    first: &str,
    last: &str,
) -> Value {
    let query = format!(
        "mutation($input: CreateDraftReferralInput!) {{ createDraftReferral(input: $input) {{ {REFERRAL_FIELDS} }} }}"
    );
    let input = json!({
        "interventionId": intervention_id(contract),
        "crn": "X123456",
        "serviceUser": { "firstName": first, "lastName": last, "dateOfBirth": "2003-05-17", "gender": "FEMALE", "ethnicity": "White British" }
    });
    ok(
        app,
        token,
        &query,
        json!({ "input": input }),
        "createDraftReferral",
    )
    .await
}

/// The first selectable category of the contract with its first level and outcome.
pub async fn first_choices(app: &TestApp, token: &str, contract: &str) -> (String, String, String) {
    let query = "query($id: ID!) { intervention(id: $id) { serviceCategories { id complexityLevels { id } desiredOutcomes { id } } } }";
    let data = app
        .data(token, query, json!({ "id": intervention_id(contract) }))
        .await;
    let category = &data["intervention"]["serviceCategories"][0];
    (
        category["id"].as_str().unwrap().to_owned(),
        category["complexityLevels"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
        category["desiredOutcomes"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
    )
}

/// A probation delivery unit in the region of one of the demo contracts (a referral's unit
/// must be in its contract's region).
pub fn unit_for(contract: &str) -> &'static str {
    match contract {
        "CRS-ETE-A-01" => "newcastle",
        "CRS-PWB-C-01" => "leeds",
        "CRS-DNR-G-01" => "bristol-and-south-gloucestershire",
        "CRS-MTR-E-01" => "birmingham-central-and-south",
        "CRS-WSM-L-01" => "manchester-north",
        "CRS-ACC-K-01" => "east-kent",
        _ => "camden-and-islington",
    }
}

/// Everything a draft needs before it can be sent, for a London contract.
pub fn complete_input(category: &str, level: &str, outcome: &str) -> Value {
    complete_input_for("CRS-ACC-J-01", category, level, outcome)
}

/// Everything a draft on `contract` needs before it can be sent.
pub fn complete_input_for(contract: &str, category: &str, level: &str, outcome: &str) -> Value {
    let mut input = complete_fields(category, level, outcome);
    input["probationDeliveryUnit"] = json!(unit_for(contract));
    input
}

fn complete_fields(category: &str, level: &str, outcome: &str) -> Value {
    let deadline = (chrono::Utc::now().date_naive() + chrono::Duration::days(90))
        .format("%Y-%m-%d")
        .to_string();
    json!({
        "serviceCategoryIds": [category],
        "complexityLevels": [{ "serviceCategoryId": category, "complexityLevelId": level }],
        "desiredOutcomes": [{ "serviceCategoryId": category, "desiredOutcomeIds": [outcome] }],
        "completionDeadline": deadline,
        "maximumEnforceableDays": 10,
        "reasonForReferral": "Needs stable accommodation",
        "riskInformation": "No known risk to staff",
        "needsInterpreter": false,
        "hasAdditionalResponsibilities": false,
        "probationDeliveryUnit": "camden-and-islington",
        "location": { "type": "COMMUNITY" }
    })
}

pub const UPDATE: &str = "mutation($id: ID!, $input: UpdateDraftReferralInput!, $v: Int) {
    updateDraftReferral(id: $id, input: $input, expectedVersion: $v) { id status version
      serviceCategories { serviceCategory { id } complexityLevel { id } desiredOutcomes { id } }
      needsInterpreter interpreterLanguage location { type prisonCode } } }";

pub const SEND: &str =
    "mutation($id: ID!) { sendReferral(id: $id) { id reference status version sentAt } }";

/// Creates, completes and sends a referral; returns (id, reference).
pub async fn sent_referral(
    app: &TestApp,
    token: &str,
    contract: &str,
    first: &str,
    last: &str,
) -> (String, String) {
    let draft = create_draft(app, token, contract, first, last).await;
    let id = draft["id"].as_str().unwrap().to_owned();
    let sent = complete_and_send(app, token, contract, &id).await;
    (id, sent["reference"].as_str().unwrap().to_owned())
}

/// Completes draft `id` on `contract` with its first choices and sends it; returns
/// `sendReferral`.
pub async fn complete_and_send(app: &TestApp, token: &str, contract: &str, id: &str) -> Value {
    let (category, level, outcome) = first_choices(app, token, contract).await;
    ok(
        app,
        token,
        UPDATE,
        json!({ "id": id, "input": complete_input_for(contract, &category, &level, &outcome) }),
        "updateDraftReferral",
    )
    .await;
    ok(app, token, SEND, json!({ "id": id }), "sendReferral").await
}

/// Records a user by having them call `me` once.
pub async fn seen(app: &TestApp, token: &str) {
    app.data(token, "{ me { id } }", json!({})).await;
}

pub const ASSIGN: &str = "mutation($id: ID!, $to: ID!, $v: Int) { assignReferral(id: $id, assigneeId: $to, expectedVersion: $v) {
    id status version assignedTo { id name } history { kind fromStatus toStatus actor { id } } } }";

/// `sp` (a Harbour Light caseworker's token), once recorded, assigns referral `id` to `sp-1`.
pub async fn assign(app: &TestApp, sp: &str, id: &str) {
    seen(app, sp).await;
    ok(
        app,
        sp,
        ASSIGN,
        json!({ "id": id, "to": "sp-1" }),
        "assignReferral",
    )
    .await;
}

pub const WITHDRAW: &str = "mutation($id: ID!, $code: String!, $comments: String, $v: Int) {
    withdrawReferral(id: $id, reasonCode: $code, comments: $comments, expectedVersion: $v) {
      id status version concludedAt withdrawal { reason { code grouping } comments withdrawnBy { id } } history { kind } } }";

/// Withdraws referral `id` for `reason` (which must be accepted); returns `withdrawReferral`.
pub async fn withdraw(app: &TestApp, pp: &str, id: &str, reason: &str) -> Value {
    ok(
        app,
        pp,
        WITHDRAW,
        json!({ "id": id, "code": reason }),
        "withdrawReferral",
    )
    .await
}

pub const DASHBOARD: &str = "query($f: ReferralFilter, $first: Int, $after: String) {
    referrals(filter: $f, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor }
      edges { cursor node { id reference status } } } }";

/// The references (or ids for drafts) on a dashboard page.
pub async fn dashboard(app: &TestApp, token: &str, filter: Value) -> Vec<String> {
    let data = app
        .data(token, DASHBOARD, json!({ "f": filter, "first": 100 }))
        .await;
    data["referrals"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            e["node"]["reference"]
                .as_str()
                .or(e["node"]["id"].as_str())
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// Sends `n` complete referrals on `contract` named `Person{i} Lastname{i}`; returns their ids
/// newest first.
pub async fn send_many(app: &TestApp, token: &str, contract: &str, n: usize) -> Vec<String> {
    let (category, level, outcome) = first_choices(app, token, contract).await;
    let input = complete_input_for(contract, &category, &level, &outcome);
    let mut ids = Vec::new();
    for i in 0..n {
        let draft = create_draft(
            app,
            token,
            contract,
            &format!("Person{i}"),
            &format!("Lastname{i}"),
        )
        .await;
        let id = draft["id"].as_str().unwrap().to_owned();
        ok(
            app,
            token,
            UPDATE,
            json!({ "id": id, "input": input }),
            "updateDraftReferral",
        )
        .await;
        ok(app, token, SEND, json!({ "id": id }), "sendReferral").await;
        ids.push(id);
    }
    ids.reverse();
    ids
}

/// The given fields of a referral the caller may see (fails on errors).
pub async fn referral(app: &TestApp, token: &str, id: &str, fields: &str) -> Value {
    let query = format!("query($id: ID!) {{ referral(id: $id) {{ {fields} }} }}");
    ok(app, token, &query, json!({ "id": id }), "referral").await
}

// Service delivery: booking, feedback, plans and reports.

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
    assign(app, sp, &id).await;
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
    let data = self::referral(
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
