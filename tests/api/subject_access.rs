//! `GET /subject-access-request`, as the HMPPS SAR contract tests it (`SarsDataControllerTest`,
//! `SubjectAccessRequestTemplateIntegrationTest`): 200 with everything held about one person
//! (drafts and history included), 204 when nothing is held, 209 for a prison number only, 400,
//! 401 and 403; an inclusive date filter; never another person's data, namesakes included.

use chrono::Utc;
use serde_json::{Value, json};

use crate::support::personas::{claims, harbour, machine, pp};
use crate::support::steps::{
    REFERRAL_FIELDS, attended, complete_and_send, create_draft, delivering_referral, hold_session,
    intervention_id, ok,
};
use crate::support::{TestApp, first_code};

/// A subject access request client.
fn sar_client() -> crs_api::http::auth::Claims {
    claims("sar-client", "ROLE_SAR_DATA_ACCESS", &[])
}

/// Starts a draft on CRS-ACC-J-01 for the person with `crn`.
async fn draft_for(app: &TestApp, token: &str, crn: &str, first: &str, last: &str) -> String {
    let query = format!(
        "mutation($input: CreateDraftReferralInput!) {{ createDraftReferral(input: $input) {{ {REFERRAL_FIELDS} }} }}"
    );
    let input = json!({
        "interventionId": intervention_id("CRS-ACC-J-01"),
        "crn": crn,
        "serviceUser": { "firstName": first, "lastName": last, "dateOfBirth": "1990-02-03", "gender": "MALE" }
    });
    let draft = ok(
        app,
        token,
        &query,
        json!({ "input": input }),
        "createDraftReferral",
    )
    .await;
    draft["id"].as_str().unwrap().to_owned()
}

/// `GET /subject-access-request?{query}` with `token`: the status and the body (JSON or empty).
async fn sar(app: &TestApp, token: Option<&str>, query: &str) -> (u16, Value) {
    let mut request = app
        .client
        .get(format!("{}/subject-access-request?{query}", app.address));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

const CASE_NOTE: &str = "mutation($id: ID!) {
    addCaseNote(referralId: $id, subject: \"Housing\", body: \"Viewed a flat on Monday\") { id } }";

const AMEND: &str = "mutation($id: ID!) {
    amendReferral(id: $id, input: { furtherInformation: \"Moved to a hostel\" }, reason: \"New address\") { id } }";

#[tokio::test]
async fn the_export_holds_everything_about_one_person_and_nothing_about_a_namesake() {
    let app = TestApp::spawn().await;
    let (pp1, sp) = (app.token(&pp("pp-1")), app.token(&harbour("sp-1")));
    // The person: a referral in delivery with a session held, a case note, an amendment…
    let delivered = delivering_referral(&app, &pp1, &sp, "Sam", 2).await;
    hold_session(&app, &sp, &delivered, 1, attended()).await;
    ok(
        &app,
        &pp1,
        CASE_NOTE,
        json!({ "id": delivered }),
        "addCaseNote",
    )
    .await;
    ok(
        &app,
        &pp1,
        AMEND,
        json!({ "id": delivered }),
        "amendReferral",
    )
    .await;
    // …and a draft never sent.
    let draft = create_draft(&app, &pp1, "CRS-ACC-J-01", "Sam", "Doe").await;
    let draft = draft["id"].as_str().unwrap().to_owned();
    // A namesake with another CRN.
    let namesake = draft_for(&app, &pp1, "Y654321", "Sam", "Doe").await;
    complete_and_send(&app, &pp1, "CRS-ACC-J-01", &namesake).await;

    let token = app.token(&sar_client());
    let (status, body) = sar(&app, Some(&token), "crn=X123456").await;
    assert_eq!(status, 200, "{body}");
    let referrals = body["content"]["referrals"].as_array().unwrap();
    let ids: Vec<&str> = referrals
        .iter()
        .map(|r| r["id"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        referrals.len(),
        2,
        "the sent referral and the draft: {body}"
    );
    let text = body.to_string();
    assert!(
        !text.contains("Y654321"),
        "the namesake's CRN is not in the export"
    );
    assert!(
        !text.contains(&namesake),
        "the namesake's referral is not in the export"
    );
    assert!(!ids.is_empty());

    let sent = referrals
        .iter()
        .find(|r| r["status"] != "DRAFT")
        .expect("the sent referral");
    let unsent = referrals
        .iter()
        .find(|r| r["status"] == "DRAFT")
        .expect("the draft is included");
    assert_eq!(sent["serviceUser"]["crn"], "X123456");
    assert_eq!(sent["serviceUser"]["firstName"], "Sam");
    assert_eq!(unsent["serviceUser"]["lastName"], "Doe");
    // Staff and reference data in words.
    assert_eq!(sent["createdBy"], "User pp-1");
    assert_eq!(sent["assignedTo"], "User sp-1");
    assert_eq!(sent["serviceProvider"], "Harbour Light Trust");
    let category = &sent["serviceCategories"][0];
    assert!(
        category["serviceCategory"]
            .as_str()
            .is_some_and(|n| !n.is_empty() && uuid::Uuid::try_parse(n).is_err()),
        "a category by name: {category}"
    );
    assert!(category["desiredOutcomes"][0].as_str().is_some());
    // History, amendments, appointments with feedback, plans, sessions, case notes.
    let history = sent["history"].as_array().unwrap();
    assert!(
        history.iter().any(|e| e["toStatus"] == "SENT"),
        "{history:?}"
    );
    assert!(
        history
            .iter()
            .all(|e| e["by"].as_str().is_some_and(|by| by.starts_with("User ")))
    );
    assert_eq!(sent["amendments"][0]["newValue"], "Moved to a hostel");
    assert_eq!(sent["amendments"][0]["reason"], "New address");
    let appointments = sent["appointments"].as_array().unwrap();
    assert!(
        appointments
            .iter()
            .any(|a| a["kind"] == "ASSESSMENT" && a["feedback"]["attendance"] == "YES")
    );
    assert!(
        appointments
            .iter()
            .any(|a| a["kind"] == "SESSION" && a["feedback"]["submittedBy"] == "User sp-1")
    );
    assert_eq!(sent["actionPlans"][0]["numberOfSessions"], 2);
    assert_eq!(sent["sessions"].as_array().map(Vec::len), Some(2));
    assert_eq!(sent["caseNotes"][0]["body"], "Viewed a flat on Monday");
    assert_eq!(sent["caseNotes"][0]["sentBy"], "User pp-1");
    assert!(unsent["history"].as_array().is_some());
    assert!(text.contains(&delivered) && text.contains(&draft));

    // The namesake's own request holds only theirs.
    let (status, body) = sar(&app, Some(&token), "crn=y654321").await;
    assert_eq!(status, 200);
    let referrals = body["content"]["referrals"].as_array().unwrap();
    assert_eq!(referrals.len(), 1);
    assert_eq!(referrals[0]["id"], namesake.as_str());
    assert!(!body.to_string().contains("X123456"));
}

#[tokio::test]
async fn statuses_follow_the_sar_contract() {
    let app = TestApp::spawn().await;
    let pp1 = app.token(&pp("pp-1"));
    draft_for(&app, &pp1, "A111111", "Ali", "Khan").await;
    let token = app.token(&sar_client());

    assert_eq!(sar(&app, None, "crn=A111111").await.0, 401, "no token");
    let (status, body) = sar(&app, Some("not-a-token"), "crn=A111111").await;
    assert_eq!((status, first_code(&body)), (401, "UNAUTHENTICATED"));
    for other in [pp("pp-1"), harbour("sp-1"), machine()] {
        let (status, body) = sar(&app, Some(&app.token(&other)), "crn=A111111").await;
        assert_eq!(
            (status, first_code(&body)),
            (403, "FORBIDDEN"),
            "{}",
            other.sub
        );
    }
    assert_eq!(
        sar(&app, Some(&token), "crn=B222222").await.0,
        204,
        "nothing held"
    );
    assert_eq!(
        sar(&app, Some(&token), "prn=A1234BC").await.0,
        209,
        "a prison number only"
    );
    assert_eq!(
        sar(&app, Some(&token), "crn=A111111&prn=A1234BC").await.0,
        200
    );
    for bad in [
        "",
        "crn=not-a-crn",
        "crn=A111111&fromDate=01/02/2026",
        "crn=A111111&fromDate=2026-02-03&toDate=2026-02-01",
        "crn=A111111&colour=blue",
    ] {
        let (status, body) = sar(&app, Some(&token), bad).await;
        assert_eq!(
            (status, first_code(&body)),
            (400, "BAD_USER_INPUT"),
            "{bad}: {body}"
        );
        assert!(!body.to_string().contains("A111111"), "no CRN in errors");
    }
}

#[tokio::test]
async fn the_date_filter_is_inclusive_at_both_ends() {
    let app = TestApp::spawn().await;
    let pp1 = app.token(&pp("pp-1"));
    let today = crs_api::domain::catalogue::uk_date(Utc::now());
    draft_for(&app, &pp1, "A111111", "Ali", "Khan").await;
    let token = app.token(&sar_client());
    let (yesterday, tomorrow) = (today.pred_opt().unwrap(), today.succ_opt().unwrap());
    for (query, expected) in [
        (format!("crn=A111111&fromDate={today}&toDate={today}"), 200),
        (format!("crn=A111111&fromDate={today}"), 200),
        (format!("crn=A111111&toDate={today}"), 200),
        (format!("crn=A111111&toDate={yesterday}"), 204),
        (format!("crn=A111111&fromDate={tomorrow}"), 204),
    ] {
        assert_eq!(sar(&app, Some(&token), &query).await.0, expected, "{query}");
    }
}

#[tokio::test]
async fn every_export_is_recorded_in_the_read_audit() {
    let app = TestApp::spawn().await;
    let pp1 = app.token(&pp("pp-1"));
    let first = draft_for(&app, &pp1, "A111111", "Ali", "Khan").await;
    let second = draft_for(&app, &pp1, "A111111", "Ali", "Khan").await;
    let token = app.token(&sar_client());
    let response = app
        .client
        .get(format!(
            "{}/subject-access-request?crn=A111111",
            app.address
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let records = crate::read_audit::records_of(&app, "sar-client", 2).await;
    let mut referrals: Vec<String> = records.iter().map(|r| r.referral_id.to_string()).collect();
    referrals.sort();
    let mut expected = vec![first, second];
    expected.sort();
    assert_eq!(referrals, expected);
    for record in &records {
        assert_eq!(record.operation, "subject-access-request");
        assert_eq!(record.actor_role, "SUBJECT_ACCESS");
        assert_eq!(
            record.request_id.map(|id| id.to_string()),
            Some(request_id.clone())
        );
    }
}
