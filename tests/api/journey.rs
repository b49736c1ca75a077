//! Helpers for referral tests: users, and drafts completed and sent through the API.

use serde_json::{Value, json};

use crate::helpers::{TestApp, claims};

/// A probation practitioner.
pub fn pp(sub: &str) -> crs_api::http::auth::Claims {
    claims(sub, "ROLE_PROBATION", &[])
}

/// Harbour Light: prime on CRS-ACC-J-01, subcontractor on CRS-DNR-G-01 and CRS-WOS-J-01.
pub fn harbour(sub: &str) -> crs_api::http::auth::Claims {
    claims(
        sub,
        "ROLE_CRS_PROVIDER",
        &[
            "INT_SP_HARBOUR_LIGHT",
            "INT_CR_CRS-ACC-J-01",
            "INT_CR_CRS-DNR-G-01",
            "INT_CR_CRS-WOS-J-01",
        ],
    )
}

/// Bridgeway: prime on CRS-DNR-G-01 and CRS-MTR-E-01, subcontractor on CRS-ACC-J-01.
pub fn bridgeway(sub: &str) -> crs_api::http::auth::Claims {
    claims(
        sub,
        "ROLE_CRS_PROVIDER",
        &[
            "INT_SP_BRIDGEWAY",
            "INT_CR_CRS-DNR-G-01",
            "INT_CR_CRS-ACC-J-01",
            "INT_CR_CRS-MTR-E-01",
        ],
    )
}

/// Northern Steps: prime on CRS-ETE-A-01 and CRS-PWB-C-01.
pub fn northern(sub: &str) -> crs_api::http::auth::Claims {
    claims(
        sub,
        "ROLE_CRS_PROVIDER",
        &[
            "INT_SP_NORTHERN_STEPS",
            "INT_CR_CRS-ETE-A-01",
            "INT_CR_CRS-PWB-C-01",
        ],
    )
}

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
    let (category, level, outcome) = first_choices(app, token, contract).await;
    ok(
        app,
        token,
        UPDATE,
        json!({ "id": id, "input": complete_input_for(contract, &category, &level, &outcome) }),
        "updateDraftReferral",
    )
    .await;
    let sent = ok(app, token, SEND, json!({ "id": id }), "sendReferral").await;
    (id, sent["reference"].as_str().unwrap().to_owned())
}

/// Records a user by having them call `me` once.
pub async fn seen(app: &TestApp, token: &str) {
    app.data(token, "{ me { id } }", json!({})).await;
}

pub const ASSIGN: &str = "mutation($id: ID!, $to: ID!, $v: Int) { assignReferral(id: $id, assigneeId: $to, expectedVersion: $v) {
    id status version assignedTo { id name } history { kind fromStatus toStatus actor { id } } } }";

pub const WITHDRAW: &str = "mutation($id: ID!, $code: String!, $comments: String, $v: Int) {
    withdrawReferral(id: $id, reasonCode: $code, comments: $comments, expectedVersion: $v) {
      id status version concludedAt withdrawal { reason { code grouping } comments withdrawnBy { id } } history { kind } } }";

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
