//! Role × operation matrix over every root field of the schema. A root field missing from the
//! matrix fails the test, so every new query or mutation must decide who may call it.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::support::personas::{commissioner, harbour, machine, northern, outsider, pp};
use crate::support::steps::*;
use crate::support::{TestApp, first_code};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// Data, no error.
    Ok,
    /// `null`, no error (out of scope reads).
    Null,
    Forbidden,
    NotFound,
    /// `INVALID_TRANSITION`: in scope, but not from the referral's status.
    Invalid,
}
use Expect::*;

/// Callers, in the order of each row's expectations.
const CALLERS: [&str; 6] = [
    "practitioner",
    "provider",
    "other provider",
    "commissioner",
    "read-all",
    "no role",
];

/// The root fields of a type in the SDL.
fn root_fields(sdl: &str, type_name: &str) -> BTreeSet<String> {
    let start = sdl
        .find(&format!("type {type_name} {{"))
        .unwrap_or_else(|| panic!("no type {type_name}"));
    let body = &sdl[start..];
    let body = &body[..body.find("\n}").unwrap()];
    let mut in_description = false;
    let mut fields = BTreeSet::new();
    for line in body.lines().skip(1) {
        let text = line.trim();
        if text.starts_with("\"\"\"") {
            // A one-line description opens and closes on the same line.
            let closes_here = text.len() > 3 && text.ends_with("\"\"\"");
            if !closes_here {
                in_description = !in_description;
            }
            continue;
        }
        // Fields sit one tab in; their arguments (and closing brackets) deeper or after.
        let is_field =
            line.starts_with('\t') && !line.starts_with("\t\t") && !text.starts_with(')');
        if in_description || text.is_empty() || !is_field {
            continue;
        }
        if let Some(name) = text.split(['(', ':']).next() {
            fields.insert(name.trim().to_owned());
        }
    }
    fields
}

fn outcome(status: u16, body: &Value, field: &str) -> Expect {
    assert_eq!(status, 200, "{body}");
    match body["errors"][0]["extensions"]["code"].as_str() {
        Some("FORBIDDEN") => Forbidden,
        Some("NOT_FOUND") => NotFound,
        Some("INVALID_TRANSITION") => Invalid,
        Some(other) => panic!("{field}: unexpected {other}: {body}"),
        None if body["data"][field].is_null() => Null,
        None => Ok,
    }
}

#[tokio::test]
async fn every_root_field_has_a_row_and_every_cell_holds() {
    let app = TestApp::spawn().await;
    let owner = app.token(&pp("pp-1"));
    let (sent, reference) = sent_referral(&app, &owner, "CRS-ACC-J-01", "Alex", "Smith").await;
    let (to_withdraw, _) = sent_referral(&app, &owner, "CRS-ACC-J-01", "Blair", "Jones").await;
    let draft = create_draft(&app, &owner, "CRS-ACC-J-01", "Casey", "Brown").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (category, level, outcome_id) = first_choices(&app, &owner, "CRS-ACC-J-01").await;
    let to_send = create_draft(&app, &owner, "CRS-ACC-J-01", "Drew", "Green").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(
        &app,
        &owner,
        UPDATE,
        json!({ "id": to_send, "input": complete_input(&category, &level, &outcome_id) }),
        "updateDraftReferral",
    )
    .await;
    let tokens = [
        owner.clone(),
        app.token(&harbour("sp-1")),
        app.token(&northern("sp-3")),
        app.token(&commissioner(&["J"])),
        app.token(&machine()),
        app.token(&outsider()),
        app.token(&pp("pp-2")),
    ];
    seen(&app, &tokens[1]).await;
    let intervention = intervention_id("CRS-ACC-J-01");
    // Delivery: an assessment to record, a referral ready for a plan, and a notification.
    let to_assess = assigned_referral(&app, &owner, &tokens[1], "Eli").await;
    let assessment = schedule(
        &app,
        &tokens[1],
        &to_assess,
        phone("ASSESSMENT", None, &past_start()),
    )
    .await;
    let missed_one = assigned_referral(&app, &owner, &tokens[1], "Fay").await;
    let no_show = schedule(
        &app,
        &tokens[1],
        &missed_one,
        phone("ASSESSMENT", None, &past_start()),
    )
    .await;
    record(&app, &tokens[1], &no_show, missed()).await;
    let planned = assessed_referral(&app, &owner, &tokens[1], "Gil").await;
    let assessed = assessed_referral(&app, &owner, &tokens[1], "Hew").await;
    let planned_plan = submit_plan(&app, &tokens[1], &planned, 2).await["id"].clone();
    let notification = app
        .data(
            &owner,
            "{ notifications { edges { node { id } } } }",
            json!({}),
        )
        .await["notifications"]["edges"][0]["node"]["id"]
        .clone();
    seen(&app, &tokens[6]).await;
    let (to_transfer, _) = sent_referral(&app, &owner, "CRS-ACC-J-01", "Ira", "Hart").await;
    let to_delete = create_draft(&app, &owner, "CRS-ACC-J-01", "Jo", "Kerr").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let to_cancel_for = assigned_referral(&app, &owner, &tokens[1], "Kit").await;
    let to_cancel = schedule(
        &app,
        &tokens[1],
        &to_cancel_for,
        phone("ASSESSMENT", None, &future_start()),
    )
    .await;
    let catalogue = [Ok, Ok, Ok, Ok, Ok, Forbidden, Ok];
    let rows: Vec<(&str, &str, Value, [Expect; 7])> = vec![
        ("me", "{ me { id } }", json!({}), [Ok; 7]),
        (
            "outcomeReport",
            "{ outcomeReport(groupBy: [REGION]) { totals { referralsSent } } }",
            json!({}),
            [Forbidden, Ok, Ok, Ok, Ok, Forbidden, Forbidden],
        ),
        ("regions", "{ regions { code } }", json!({}), catalogue),
        (
            "contractTypes",
            "{ contractTypes { code } }",
            json!({}),
            catalogue,
        ),
        (
            "serviceCategories",
            "{ serviceCategories { id } }",
            json!({}),
            catalogue,
        ),
        (
            "serviceProviders",
            "{ serviceProviders { code } }",
            json!({}),
            catalogue,
        ),
        (
            "interventions",
            "{ interventions { id } }",
            json!({}),
            catalogue,
        ),
        (
            "intervention",
            "query($id: ID!) { intervention(id: $id) { id } }",
            json!({ "id": intervention }),
            catalogue,
        ),
        (
            "withdrawalReasons",
            "{ withdrawalReasons { code } }",
            json!({}),
            catalogue,
        ),
        (
            "referral",
            "query($id: ID!) { referral(id: $id) { id } }",
            json!({ "id": sent }),
            [Ok, Ok, Null, Forbidden, Ok, Forbidden, Null],
        ),
        (
            "referralByReference",
            "query($r: String!) { referralByReference(reference: $r) { id } }",
            json!({ "r": reference }),
            [Ok, Ok, Null, Forbidden, Ok, Forbidden, Null],
        ),
        (
            "referrals",
            "{ referrals { totalCount } }",
            json!({}),
            [Ok, Ok, Ok, Forbidden, Ok, Forbidden, Ok],
        ),
        (
            "createDraftReferral",
            "mutation($i: ID!) { createDraftReferral(input: { interventionId: $i, crn: \"X111111\" }) { id } }",
            json!({ "i": intervention }),
            [
                Ok, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, Ok,
            ],
        ),
        (
            "updateDraftReferral",
            "mutation($id: ID!) { updateDraftReferral(id: $id, input: { furtherInformation: \"x\" }) { id } }",
            json!({ "id": draft }),
            [
                Ok, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, NotFound,
            ],
        ),
        (
            "sendReferral",
            "mutation($id: ID!) { sendReferral(id: $id) { id } }",
            json!({ "id": to_send }),
            [
                Ok, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, NotFound,
            ],
        ),
        (
            "assignReferral",
            "mutation($id: ID!) { assignReferral(id: $id, assigneeId: \"sp-1\") { id } }",
            json!({ "id": sent }),
            [
                Forbidden, Ok, NotFound, Forbidden, Forbidden, Forbidden, Forbidden,
            ],
        ),
        (
            "withdrawReferral",
            "mutation($id: ID!) { withdrawReferral(id: $id, reasonCode: \"MIS\") { id } }",
            json!({ "id": to_withdraw }),
            [
                Ok, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, NotFound,
            ],
        ),
        (
            "notifications",
            "{ notifications { totalCount } }",
            json!({}),
            [Ok, Ok, Ok, Forbidden, Forbidden, Forbidden, Ok],
        ),
        (
            "markNotificationRead",
            "mutation($id: ID!) { markNotificationRead(id: $id) { id } }",
            json!({ "id": notification }),
            [
                Ok, NotFound, NotFound, Forbidden, Forbidden, Forbidden, NotFound,
            ],
        ),
        (
            "scheduleAppointment",
            "mutation($id: ID!, $input: ScheduleAppointmentInput!) { scheduleAppointment(referralId: $id, input: $input) { id } }",
            json!({ "id": sent, "input": phone("ASSESSMENT", None, &future_start()) }),
            [
                Forbidden, Ok, NotFound, Forbidden, Forbidden, Forbidden, Forbidden,
            ],
        ),
        (
            "recordAppointmentFeedback",
            "mutation($id: ID!, $input: AppointmentFeedbackInput!) { recordAppointmentFeedback(appointmentId: $id, input: $input) { id } }",
            json!({ "id": assessment, "input": attended() }),
            [
                Forbidden, Ok, NotFound, Forbidden, Forbidden, Forbidden, Forbidden,
            ],
        ),
        (
            "submitActionPlan",
            "mutation($id: ID!) { submitActionPlan(referralId: $id, input: { numberOfSessions: 2, activities: [\"Find a tenancy\"] }) { id } }",
            json!({ "id": assessed }),
            [
                Forbidden, Ok, NotFound, Forbidden, Forbidden, Forbidden, Forbidden,
            ],
        ),
        (
            "approveActionPlan",
            "mutation($id: ID!) { approveActionPlan(actionPlanId: $id) { id } }",
            json!({ "id": planned_plan }),
            [
                Ok, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, NotFound,
            ],
        ),
        (
            "submitEndOfServiceReport",
            "mutation($id: ID!) { submitEndOfServiceReport(referralId: $id, input: { outcomes: [] }) { id } }",
            json!({ "id": sent }),
            [
                Forbidden, Invalid, NotFound, Forbidden, Forbidden, Forbidden, Forbidden,
            ],
        ),
        (
            "appointments",
            "{ appointments { totalCount } }",
            json!({}),
            [Ok, Ok, Ok, Forbidden, Ok, Forbidden, Ok],
        ),
        (
            "amendReferral",
            "mutation($id: ID!) { amendReferral(id: $id, input: { furtherInformation: \"Moved to a hostel\" }, reason: \"New address\") { id } }",
            json!({ "id": sent }),
            [
                Ok, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, NotFound,
            ],
        ),
        (
            // Handed to pp-2 by its practitioner; handing it to its holder again changes nothing.
            "transferReferral",
            "mutation($id: ID!) { transferReferral(id: $id, toPractitionerId: \"pp-2\") { id } }",
            json!({ "id": to_transfer }),
            [Ok, Forbidden, Forbidden, Forbidden, Ok, Forbidden, Ok],
        ),
        (
            "deleteDraftReferral",
            "mutation($id: ID!) { deleteDraftReferral(id: $id) }",
            json!({ "id": to_delete }),
            [
                Ok, Forbidden, Forbidden, Forbidden, Forbidden, Forbidden, NotFound,
            ],
        ),
        (
            "cancelAppointment",
            "mutation($id: ID!) { cancelAppointment(appointmentId: $id, reason: \"Caseworker ill\") { id } }",
            json!({ "id": to_cancel }),
            [
                Forbidden, Ok, NotFound, Forbidden, Forbidden, Forbidden, Forbidden,
            ],
        ),
        (
            "addCaseNote",
            "mutation($id: ID!) { addCaseNote(referralId: $id, subject: \"s\", body: \"b\") { id } }",
            json!({ "id": sent }),
            [Ok, Ok, NotFound, Forbidden, Forbidden, Forbidden, NotFound],
        ),
    ];
    let sdl = crs_api::graphql::sdl();
    let schema_fields: BTreeSet<String> = root_fields(&sdl, "Query")
        .into_iter()
        .chain(root_fields(&sdl, "Mutation"))
        .collect();
    let matrix_fields: BTreeSet<String> = rows.iter().map(|(f, ..)| (*f).to_owned()).collect();
    assert_eq!(
        schema_fields, matrix_fields,
        "every root field needs a row in the role matrix"
    );
    for (field, query, variables, expected) in &rows {
        for (i, token) in tokens.iter().enumerate() {
            let (status, body) = app.gql(token, query, variables.clone()).await;
            let got = outcome(status, &body, field);
            assert_eq!(got, expected[i], "{field} by {}: {body}", CALLERS[i]);
        }
    }
    let (_, body) = app
        .gql(&tokens[3], "{ referrals { totalCount } }", json!({}))
        .await;
    assert_eq!(first_code(&body), "FORBIDDEN");
}

/// A caller who may never take an operation is told so before their input is read.
#[tokio::test]
async fn roles_are_checked_before_input() {
    let app = TestApp::spawn().await;
    let commissioner = app.token(&commissioner(&["J"]));
    let provider = app.token(&harbour("sp-1"));
    let cases = [
        (
            &commissioner,
            "{ referrals(filter: { serviceCategoryId: \"nope\" }) { totalCount } }",
        ),
        (
            &provider,
            "mutation { createDraftReferral(input: { interventionId: \"x\", crn: \"bad\" }) { id } }",
        ),
        (
            &provider,
            "mutation { updateDraftReferral(id: \"x\", input: { serviceCategoryIds: [\"nope\"] }) { id } }",
        ),
        (
            &provider,
            "mutation { withdrawReferral(id: \"x\", reasonCode: \"NOPE\") { id } }",
        ),
        (
            &commissioner,
            "mutation { addCaseNote(referralId: \"x\", subject: \"\", body: \"\") { id } }",
        ),
    ];
    for (token, query) in cases {
        let (_, body) = app.gql(token, query, json!({})).await;
        assert_eq!(first_code(&body), "FORBIDDEN", "{query}: {body}");
    }
}
