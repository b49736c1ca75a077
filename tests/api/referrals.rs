//! The referral journey end to end: drafts, sending, history, dashboards, assignment,
//! withdrawal, case notes, versions.

use serde_json::{Value, json};

use crate::support::personas::{bridgeway, harbour, northern, pp};
use crate::support::steps::*;
use crate::support::{TestApp, first_code};

fn fields_of(body: &Value) -> Vec<(String, String)> {
    body["errors"][0]["extensions"]["fields"]
        .as_array()
        .map(|fields| {
            fields
                .iter()
                .map(|f| {
                    (
                        f["field"].as_str().unwrap().to_owned(),
                        f["code"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(f, c)| ((*f).to_owned(), (*c).to_owned()))
        .collect()
}

#[tokio::test]
async fn a_practitioner_creates_completes_and_sends_a_referral_with_its_history() {
    let app = TestApp::spawn().await;
    let token = app.token(&pp("pp-1"));
    let draft = create_draft(&app, &token, "CRS-ACC-J-01", "Alex", "Smith").await;
    assert_eq!(draft["status"], "DRAFT");
    assert_eq!(draft["reference"], Value::Null);
    assert_eq!(draft["version"], 1);
    let id = draft["id"].as_str().unwrap();
    let (category, level, outcome) = first_choices(&app, &token, "CRS-ACC-J-01").await;
    let updated = ok(
        &app,
        &token,
        UPDATE,
        json!({ "id": id, "input": complete_input(&category, &level, &outcome) }),
        "updateDraftReferral",
    )
    .await;
    assert_eq!(updated["version"], 2);
    assert_eq!(
        updated["serviceCategories"][0]["complexityLevel"]["id"],
        level.as_str()
    );
    let sent = ok(&app, &token, SEND, json!({ "id": id }), "sendReferral").await;
    assert_eq!(sent["status"], "SENT");
    assert_eq!(sent["version"], 3);
    let reference = sent["reference"].as_str().unwrap();
    assert!(
        crs_api::domain::reference_number::looks_like_reference(reference),
        "{reference}"
    );
    assert!(reference.ends_with("AC"), "{reference}");
    assert!(!crs_api::domain::reference_number::has_confusable_pair(
        reference
    ));

    let query = format!(
        "query($id: ID!) {{ referral(id: $id) {{ {REFERRAL_FIELDS} responsiblePractitioner {{ id }} sentBy {{ id name }} }} }}"
    );
    let referral = ok(&app, &token, &query, json!({ "id": id }), "referral").await;
    assert_eq!(referral["responsiblePractitioner"]["id"], "pp-1");
    assert_eq!(
        referral["sentBy"],
        json!({ "id": "pp-1", "name": "User pp-1" })
    );
    assert_eq!(
        referral["history"],
        json!([
            { "kind": "CREATED", "fromStatus": null, "toStatus": "DRAFT", "actor": { "id": "pp-1" } },
            { "kind": "UPDATED", "fromStatus": "DRAFT", "toStatus": "DRAFT", "actor": { "id": "pp-1" } },
            { "kind": "SENT", "fromStatus": "DRAFT", "toStatus": "SENT", "actor": { "id": "pp-1" } }
        ])
    );
    let by_reference = ok(
        &app,
        &token,
        "query($r: String!) { referralByReference(reference: $r) { id } }",
        json!({ "r": reference.to_lowercase() }),
        "referralByReference",
    )
    .await;
    assert_eq!(by_reference["id"], id);
}

#[tokio::test]
async fn sending_a_sent_referral_returns_it_unchanged_and_records_nothing() {
    let app = TestApp::spawn().await;
    let token = app.token(&pp("pp-1"));
    let (id, reference) = sent_referral(&app, &token, "CRS-ACC-J-01", "Alex", "Smith").await;
    let again = ok(&app, &token, SEND, json!({ "id": id }), "sendReferral").await;
    assert_eq!(
        (again["reference"].as_str(), again["version"].as_i64()),
        (Some(reference.as_str()), Some(3))
    );
    let history = referral(&app, &token, &id, "history { kind }").await;
    assert_eq!(history["history"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn sending_an_incomplete_draft_lists_every_missing_field() {
    let app = TestApp::spawn().await;
    let token = app.token(&pp("pp-1"));
    let draft = create_draft(&app, &token, "CRS-WOS-J-01", "Alex", "Smith").await;
    let id = draft["id"].as_str().unwrap();
    let input = json!({ "needsInterpreter": true, "interpreterLanguage": "Polish", "hasAdditionalResponsibilities": false,
        "location": { "type": "CUSTODY", "prisonCode": "MDI", "expectedReleaseDateUnknownReason": "Parole hearing pending" } });
    ok(
        &app,
        &token,
        UPDATE,
        json!({ "id": id, "input": input }),
        "updateDraftReferral",
    )
    .await;
    let (status, body) = app.gql(&token, SEND, json!({ "id": id })).await;
    assert_eq!((status, first_code(&body)), (200, "BAD_USER_INPUT"));
    assert_eq!(
        fields_of(&body),
        pairs(&[
            ("serviceCategoryIds", "CANNOT_BE_EMPTY"),
            ("completionDeadline", "CANNOT_BE_EMPTY"),
            ("maximumEnforceableDays", "CANNOT_BE_EMPTY"),
            ("riskInformation", "CANNOT_BE_EMPTY"),
            ("probationDeliveryUnit", "CANNOT_BE_EMPTY"),
        ])
    );
    let still = referral(&app, &token, id, "status version reference").await;
    assert_eq!(
        still,
        json!({ "status": "DRAFT", "version": 2, "reference": null })
    );
}

#[tokio::test]
async fn draft_updates_apply_the_conditional_rules_over_the_api() {
    let app = TestApp::spawn().await;
    let token = app.token(&pp("pp-1"));
    let id = create_draft(&app, &token, "CRS-WOS-J-01", "Alex", "Smith").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let update = |input: Value| json!({ "id": id, "input": input });
    // Several problems at once, each with its code.
    let (_, body) = app
        .gql(&token, UPDATE, update(json!({ "needsInterpreter": true, "completionDeadline": "2020-01-01", "maximumEnforceableDays": 0,
            "serviceCategoryIds": ["ca374ac3-84eb-4b91-bea7-9005398f426f", "9556a399-3529-4993-8030-41db2090555e", "96a63c39-4371-4f17-a6ec-265755f0cf7b", "76bcdb97-1dea-41c1-a4f8-899d88e5d679", "b84f4eb7-4db0-477e-8c59-21027b3262c5", "8221a81c-08b2-4262-9c1a-0ab3c82cec8c", "c036826e-f077-49a5-8b33-601dca7ad479", "00000000-0000-0000-0000-000000000001"],
            "probationDeliveryUnit": "atlantis" })))
        .await;
    assert_eq!(first_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(
        fields_of(&body),
        pairs(&[
            (
                "serviceCategoryIds",
                "INVALID_SERVICE_CATEGORY_FOR_CONTRACT"
            ),
            ("completionDeadline", "DATE_MUST_BE_IN_THE_FUTURE"),
            ("maximumEnforceableDays", "CANNOT_BE_NEGATIVE_OR_ZERO"),
            ("probationDeliveryUnit", "INVALID_VALUE"),
            ("interpreterLanguage", "CONDITIONAL_FIELD_MUST_BE_SET"),
        ])
    );
    // Nothing of a refused update is kept.
    let now = referral(&app, &token, &id, "version needsInterpreter").await;
    assert_eq!(now, json!({ "version": 1, "needsInterpreter": null }));
    // Select two categories, give both levels and outcomes, then de-select one.
    let catalogue = app.data(&token, "query($id: ID!) { intervention(id: $id) { serviceCategories { id complexityLevels { id } desiredOutcomes { id } } } }", json!({ "id": intervention_id("CRS-WOS-J-01") })).await;
    let cats = catalogue["intervention"]["serviceCategories"]
        .as_array()
        .unwrap();
    let (a, b) = (&cats[0], &cats[1]);
    let both = ok(&app, &token, UPDATE, update(json!({
        "serviceCategoryIds": [a["id"], b["id"]],
        "complexityLevels": [{ "serviceCategoryId": a["id"], "complexityLevelId": a["complexityLevels"][0]["id"] },
                             { "serviceCategoryId": b["id"], "complexityLevelId": b["complexityLevels"][1]["id"] }],
        "desiredOutcomes": [{ "serviceCategoryId": a["id"], "desiredOutcomeIds": [a["desiredOutcomes"][0]["id"]] }],
        "needsInterpreter": true, "interpreterLanguage": "Welsh"
    })), "updateDraftReferral").await;
    assert_eq!(both["serviceCategories"].as_array().unwrap().len(), 2);
    assert_eq!(both["interpreterLanguage"], "Welsh");
    let one = ok(
        &app,
        &token,
        UPDATE,
        update(json!({ "serviceCategoryIds": [b["id"]], "needsInterpreter": false })),
        "updateDraftReferral",
    )
    .await;
    assert_eq!(
        one["serviceCategories"],
        json!([{ "serviceCategory": { "id": b["id"] }, "complexityLevel": { "id": b["complexityLevels"][1]["id"] }, "desiredOutcomes": [] }])
    );
    assert_eq!(
        one["interpreterLanguage"],
        Value::Null,
        "switching the condition off clears its text"
    );
    // A level of another category is refused.
    let (_, body) = app.gql(&token, UPDATE, update(json!({ "complexityLevels": [{ "serviceCategoryId": b["id"], "complexityLevelId": a["complexityLevels"][0]["id"] }] }))).await;
    assert_eq!(
        fields_of(&body),
        pairs(&[("complexityLevels", "INVALID_VALUE")])
    );
    // Custody needs a prison and a release date or its reason; community clears them.
    let (_, body) = app
        .gql(
            &token,
            UPDATE,
            update(json!({ "location": { "type": "CUSTODY" } })),
        )
        .await;
    assert_eq!(
        fields_of(&body),
        pairs(&[
            ("location.prisonCode", "CONDITIONAL_FIELD_MUST_BE_SET"),
            (
                "location.expectedReleaseDate",
                "CONDITIONAL_FIELD_MUST_BE_SET"
            )
        ])
    );
    let custody = ok(&app, &token, UPDATE, update(json!({ "location": { "type": "CUSTODY", "prisonCode": "MDI", "expectedReleaseDate": "2099-01-01" } })), "updateDraftReferral").await;
    assert_eq!(
        custody["location"],
        json!({ "type": "CUSTODY", "prisonCode": "MDI" })
    );
    let community = ok(
        &app,
        &token,
        UPDATE,
        update(json!({ "location": { "type": "COMMUNITY", "prisonCode": "MDI" } })),
        "updateDraftReferral",
    )
    .await;
    assert_eq!(
        community["location"],
        json!({ "type": "COMMUNITY", "prisonCode": null })
    );
    // Malformed ids are coded too.
    let (_, body) = app
        .gql(
            &token,
            UPDATE,
            update(json!({ "serviceCategoryIds": ["not-an-id"] })),
        )
        .await;
    assert_eq!(
        fields_of(&body),
        pairs(&[("serviceCategoryIds", "INVALID_FORMAT")])
    );
}

#[tokio::test]
async fn creating_a_draft_checks_the_intervention_the_crn_and_eligibility() {
    let app = TestApp::spawn().await;
    let token = app.token(&pp("pp-1"));
    let query =
        "mutation($input: CreateDraftReferralInput!) { createDraftReferral(input: $input) { id } }";
    let create = |contract: &str, crn: &str, person: Value| json!({ "input": { "interventionId": intervention_id(contract), "crn": crn, "serviceUser": person } });
    let (_, body) = app
        .gql(&token, query, create("CRS-ACC-K-01", "X123456", json!({})))
        .await;
    assert_eq!(
        fields_of(&body),
        pairs(&[("interventionId", "NOT_OPEN_FOR_REFERRALS")])
    );
    let (_, body) = app
        .gql(
            &token,
            query,
            create("NO-SUCH-CONTRACT", "bad crn", json!({})),
        )
        .await;
    assert_eq!(
        fields_of(&body),
        pairs(&[
            ("crn", "INVALID_FORMAT"),
            ("interventionId", "INVALID_VALUE")
        ])
    );
    let (_, body) = app
        .gql(
            &token,
            query,
            create("CRS-WOS-J-01", "X123456", json!({ "gender": "MALE" })),
        )
        .await;
    assert_eq!(
        fields_of(&body),
        pairs(&[("serviceUser.gender", "NOT_ELIGIBLE")])
    );
    let (_, body) = app
        .gql(
            &token,
            query,
            create(
                "CRS-ETE-A-01",
                "X123456",
                json!({ "dateOfBirth": "1980-01-01" }),
            ),
        )
        .await;
    assert_eq!(
        fields_of(&body),
        pairs(&[("serviceUser.dateOfBirth", "NOT_ELIGIBLE")])
    );
    let created = ok(&app, &token, "mutation($input: CreateDraftReferralInput!) { createDraftReferral(input: $input) { serviceUser { crn } serviceCategories { serviceCategory { name } } } }",
        create("CRS-ACC-J-01", "x654321", json!(null)), "createDraftReferral").await;
    assert_eq!(created["serviceUser"]["crn"], "X654321");
    assert_eq!(
        created["serviceCategories"],
        json!([{ "serviceCategory": { "name": "Accommodation" } }]),
        "a single category is preselected"
    );
}

#[tokio::test]
async fn drafts_are_seen_only_by_the_practitioner_who_created_them() {
    let app = TestApp::spawn().await;
    let (mine, other, provider) = (
        app.token(&pp("pp-1")),
        app.token(&pp("pp-2")),
        app.token(&harbour("sp-1")),
    );
    let id = create_draft(&app, &mine, "CRS-ACC-J-01", "Alex", "Smith").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let query = "query($id: ID!) { referral(id: $id) { id } }";
    assert_eq!(
        app.data(&mine, query, json!({ "id": id })).await["referral"]["id"],
        id.as_str()
    );
    for token in [&other, &provider] {
        assert_eq!(
            app.data(token, query, json!({ "id": id })).await["referral"],
            Value::Null
        );
    }
    assert_eq!(
        dashboard(&app, &mine, json!({})).await,
        Vec::<String>::new(),
        "drafts only when asked for"
    );
    assert_eq!(
        dashboard(&app, &mine, json!({ "status": ["DRAFT"] })).await,
        vec![id.clone()]
    );
    assert!(
        dashboard(&app, &other, json!({ "status": ["DRAFT"] }))
            .await
            .is_empty()
    );
    assert!(
        dashboard(&app, &provider, json!({ "status": ["DRAFT"] }))
            .await
            .is_empty()
    );
    let (_, body) = app
        .gql(
            &other,
            UPDATE,
            json!({ "id": id, "input": { "reasonForReferral": "x" } }),
        )
        .await;
    assert_eq!(first_code(&body), "NOT_FOUND");
}

#[tokio::test]
async fn a_stale_expected_version_is_a_conflict_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let token = app.token(&pp("pp-1"));
    let id = create_draft(&app, &token, "CRS-ACC-J-01", "Alex", "Smith").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(
        &app,
        &token,
        UPDATE,
        json!({ "id": id, "input": { "reasonForReferral": "first" }, "v": 1 }),
        "updateDraftReferral",
    )
    .await;
    let (_, body) = app
        .gql(
            &token,
            UPDATE,
            json!({ "id": id, "input": { "reasonForReferral": "second" }, "v": 1 }),
        )
        .await;
    assert_eq!(first_code(&body), "CONFLICT", "{body}");
    let now = referral(
        &app,
        &token,
        &id,
        "version reasonForReferral history { kind }",
    )
    .await;
    assert_eq!(now["version"], 2);
    assert_eq!(now["reasonForReferral"], "first");
    assert_eq!(now["history"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn providers_assign_referrals_and_reassignment_keeps_the_history() {
    let app = TestApp::spawn().await;
    let pp_token = app.token(&pp("pp-1"));
    let (id, _) = sent_referral(&app, &pp_token, "CRS-ACC-J-01", "Alex", "Smith").await;
    let (lead, caseworker, other_caseworker) = (
        app.token(&harbour("sp-lead")),
        app.token(&harbour("sp-1")),
        app.token(&bridgeway("sp-2")),
    );
    let outsider = app.token(&northern("sp-3"));
    for token in [&caseworker, &other_caseworker, &outsider] {
        seen(&app, token).await;
    }
    // Unknown users, and users whose contracts do not include the referral, are refused by id.
    for assignee in ["never-seen", "sp-3", "pp-1"] {
        let (_, body) = app
            .gql(&lead, ASSIGN, json!({ "id": id, "to": assignee }))
            .await;
        assert_eq!(
            fields_of(&body),
            pairs(&[("assigneeId", "INVALID_VALUE")]),
            "{assignee}"
        );
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(assignee)
        );
    }
    let assigned = ok(
        &app,
        &lead,
        ASSIGN,
        json!({ "id": id, "to": "sp-1", "v": 3 }),
        "assignReferral",
    )
    .await;
    assert_eq!(assigned["status"], "ASSIGNED");
    assert_eq!(
        assigned["assignedTo"],
        json!({ "id": "sp-1", "name": "User sp-1" })
    );
    // A subcontractor's caseworker on the same contract may take it over.
    let reassigned = ok(
        &app,
        &lead,
        ASSIGN,
        json!({ "id": id, "to": "sp-2" }),
        "assignReferral",
    )
    .await;
    assert_eq!(reassigned["status"], "ASSIGNED");
    let kinds: Vec<&str> = reassigned["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec!["CREATED", "UPDATED", "SENT", "ASSIGNED", "ASSIGNED"]
    );
    assert_eq!(reassigned["history"][3]["fromStatus"], "SENT");
    assert_eq!(reassigned["history"][4]["fromStatus"], "ASSIGNED");
    // Dashboards: assigned to me, unassigned.
    let mine = app
        .data(
            &other_caseworker,
            DASHBOARD,
            json!({ "f": { "assignedToMe": true } }),
        )
        .await;
    assert_eq!(mine["referrals"]["totalCount"], 1);
    let unassigned = app
        .data(
            &caseworker,
            DASHBOARD,
            json!({ "f": { "unassigned": true } }),
        )
        .await;
    assert_eq!(unassigned["referrals"]["totalCount"], 0);
    // Practitioners may not assign.
    let (_, body) = app
        .gql(&pp_token, ASSIGN, json!({ "id": id, "to": "sp-1" }))
        .await;
    assert_eq!(first_code(&body), "FORBIDDEN");
}

#[tokio::test]
async fn withdrawing_before_delivery_cancels_once() {
    let app = TestApp::spawn().await;
    let token = app.token(&pp("pp-1"));
    let (id, _) = sent_referral(&app, &token, "CRS-ACC-J-01", "Alex", "Smith").await;
    let (_, body) = app
        .gql(&token, WITHDRAW, json!({ "id": id, "code": "XYZ" }))
        .await;
    assert_eq!(fields_of(&body), pairs(&[("reasonCode", "INVALID_VALUE")]));
    let provider = app.token(&harbour("sp-1"));
    let (_, body) = app
        .gql(&provider, WITHDRAW, json!({ "id": id, "code": "MOV" }))
        .await;
    assert_eq!(first_code(&body), "FORBIDDEN");
    let withdrawn = ok(
        &app,
        &token,
        WITHDRAW,
        json!({ "id": id, "code": "MOV", "comments": "Moved to Leeds" }),
        "withdrawReferral",
    )
    .await;
    assert_eq!(withdrawn["status"], "CANCELLED");
    assert!(withdrawn["concludedAt"].is_string());
    assert_eq!(
        withdrawn["withdrawal"],
        json!({ "reason": { "code": "MOV", "grouping": "user" }, "comments": "Moved to Leeds", "withdrawnBy": { "id": "pp-1" } })
    );
    let again = ok(
        &app,
        &token,
        WITHDRAW,
        json!({ "id": id, "code": "NOT" }),
        "withdrawReferral",
    )
    .await;
    assert_eq!(again["version"], withdrawn["version"]);
    assert_eq!(again["withdrawal"]["reason"]["code"], "MOV");
    assert_eq!(
        again["history"].as_array().unwrap().len(),
        withdrawn["history"].as_array().unwrap().len()
    );
    // Concluded referrals cannot be assigned.
    let (_, body) = app
        .gql(&provider, ASSIGN, json!({ "id": id, "to": "sp-1" }))
        .await;
    assert_eq!(first_code(&body), "INVALID_TRANSITION");
    // Drafts are not withdrawn.
    let draft = create_draft(&app, &token, "CRS-ACC-J-01", "Sam", "Jones").await;
    let (_, body) = app
        .gql(
            &token,
            WITHDRAW,
            json!({ "id": draft["id"], "code": "MOV" }),
        )
        .await;
    assert_eq!(first_code(&body), "INVALID_TRANSITION");
}

const ADD_NOTE: &str = "mutation($id: ID!, $s: String!, $b: String!) { addCaseNote(referralId: $id, subject: $s, body: $b) { id subject body author { id } } }";

#[tokio::test]
async fn case_notes_are_written_by_either_side_and_paged() {
    let app = TestApp::spawn().await;
    let token = app.token(&pp("pp-1"));
    let provider = app.token(&harbour("sp-1"));
    let (id, _) = sent_referral(&app, &token, "CRS-ACC-J-01", "Alex", "Smith").await;
    for (i, who) in [&token, &provider, &token].into_iter().enumerate() {
        let note = ok(
            &app,
            who,
            ADD_NOTE,
            json!({ "id": id, "s": format!("Note {i}"), "b": "Called the person" }),
            "addCaseNote",
        )
        .await;
        assert_eq!(note["subject"], format!("Note {i}"));
    }
    let (_, body) = app
        .gql(
            &token,
            ADD_NOTE,
            json!({ "id": id, "s": " ", "b": "x".repeat(10_001) }),
        )
        .await;
    assert_eq!(
        fields_of(&body),
        pairs(&[("subject", "CANNOT_BE_EMPTY"), ("body", "INVALID_LENGTH")])
    );
    let query = "query($id: ID!, $after: String) { referral(id: $id) { version history { kind }
        caseNotes(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { subject author { id } } } } } }";
    let first = ok(&app, &provider, query, json!({ "id": id }), "referral").await;
    let notes = &first["caseNotes"];
    assert_eq!(notes["totalCount"], 3);
    assert_eq!(
        notes["edges"][0]["node"],
        json!({ "subject": "Note 2", "author": { "id": "pp-1" } })
    );
    assert_eq!(notes["pageInfo"]["hasNextPage"], true);
    assert_eq!(
        first["version"], 3,
        "case notes do not change the referral's version"
    );
    assert_eq!(
        first["history"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "CASE_NOTE_ADDED")
            .count(),
        3
    );
    let next = ok(
        &app,
        &provider,
        query,
        json!({ "id": id, "after": notes["pageInfo"]["endCursor"] }),
        "referral",
    )
    .await;
    assert_eq!(next["caseNotes"]["edges"].as_array().unwrap().len(), 1);
    assert_eq!(next["caseNotes"]["edges"][0]["node"]["subject"], "Note 0");
    // Another provider cannot write on it; drafts take no notes.
    let (_, body) = app
        .gql(
            &app.token(&northern("sp-3")),
            ADD_NOTE,
            json!({ "id": id, "s": "x", "b": "y" }),
        )
        .await;
    assert_eq!(first_code(&body), "NOT_FOUND");
    let draft = create_draft(&app, &token, "CRS-ACC-J-01", "Sam", "Jones").await;
    let (_, body) = app
        .gql(
            &token,
            ADD_NOTE,
            json!({ "id": draft["id"], "s": "x", "b": "y" }),
        )
        .await;
    assert_eq!(first_code(&body), "INVALID_TRANSITION");
}

/// The demo people carry addresses, so each side of a demo referral sees how to reach the other;
/// the machine client has none.
#[tokio::test]
async fn demo_users_see_each_others_email() {
    let app = TestApp::spawn_with(crate::support::Options {
        full_demo: true,
        ..Default::default()
    })
    .await;
    let users = crs_api::demo::demo_users();
    assert!(
        users
            .iter()
            .all(|u| u.claims.email.is_some() == (u.claims.authorities != ["ROLE_CRS_READ_ALL"]))
    );
    let query = "{ referrals(filter: { status: [ASSIGNED] }, first: 1) { edges { node { assignedTo { email } responsiblePractitioner { email } } } } }";
    let practitioner = app
        .data(&app.token(&users[0].claims), query, json!({}))
        .await;
    let node = &practitioner["referrals"]["edges"][0]["node"];
    assert_eq!(node["assignedTo"]["email"], "demo-provider@demo.example");
    let provider = app
        .data(&app.token(&users[1].claims), query, json!({}))
        .await;
    let node = &provider["referrals"]["edges"][0]["node"];
    assert_eq!(
        node["responsiblePractitioner"]["email"],
        "demo-practitioner@demo.example"
    );
}

/// A developer's first start: the demo provider's dashboard holds referrals of its own contract
/// and of the contracts it subcontracts on, in several statuses, and none of another provider's.
#[tokio::test]
async fn the_demo_data_fills_the_demo_dashboards() {
    let app = TestApp::spawn_with(crate::support::Options {
        full_demo: true,
        ..Default::default()
    })
    .await;
    let users = crs_api::demo::demo_users();
    let token = |i: usize| app.token(&users[i].claims);
    let query = "{ referrals(filter: { status: [DRAFT, SENT, ASSIGNED, CANCELLED] }) { totalCount edges { node { status intervention { contract { reference } } history { kind } } } } }";
    let provider = app.data(&token(1), query, json!({})).await;
    let edges = provider["referrals"]["edges"].as_array().unwrap();
    let statuses: std::collections::BTreeSet<&str> = edges
        .iter()
        .map(|e| e["node"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses.into_iter().collect::<Vec<_>>(),
        vec!["ASSIGNED", "CANCELLED", "SENT"]
    );
    let contracts: std::collections::BTreeSet<&str> = edges
        .iter()
        .map(|e| {
            e["node"]["intervention"]["contract"]["reference"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        contracts.into_iter().collect::<Vec<_>>(),
        vec!["CRS-ACC-J-01", "CRS-DNR-G-01", "CRS-WOS-J-01"]
    );
    let practitioner = app.data(&token(0), query, json!({})).await;
    assert_eq!(
        practitioner["referrals"]["totalCount"], 8,
        "every demo referral, the draft included"
    );
    let contracts_of = |data: &Value| {
        let refs: std::collections::BTreeSet<String> = data["referrals"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                e["node"]["intervention"]["contract"]["reference"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        refs.into_iter().collect::<Vec<_>>()
    };
    let bridgeway = app.data(&token(2), query, json!({})).await;
    assert_eq!(
        contracts_of(&bridgeway),
        vec!["CRS-ACC-J-01", "CRS-DNR-G-01"]
    );
    let northern = app.data(&token(3), query, json!({})).await;
    assert_eq!(
        contracts_of(&northern),
        vec!["CRS-ETE-A-01", "CRS-PWB-C-01"]
    );
    let read_all = app.data(&token(4), query, json!({})).await;
    assert_eq!(
        read_all["referrals"]["totalCount"], 7,
        "every sent referral, no draft"
    );
    let (_, body) = app.gql(&token(5), query, json!({})).await;
    assert_eq!(
        first_code(&body),
        "FORBIDDEN",
        "commissioners see no referrals"
    );
}

/// Reference numbers are unique by a database constraint, not only by chance.
#[tokio::test]
async fn reference_numbers_are_unique_in_the_database() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = TestApp::spawn().await;
    let token = app.token(&pp("pp-1"));
    send_many(&app, &token, "CRS-ACC-J-01", 8).await;
    let query = "{ referrals(first: 100) { edges { node { id reference } } } }";
    let data = app.data(&token, query, json!({})).await;
    let rows: Vec<(String, String)> = data["referrals"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["id"].as_str().unwrap().to_owned(),
                e["node"]["reference"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let distinct: std::collections::BTreeSet<&String> = rows.iter().map(|(_, r)| r).collect();
    assert_eq!(
        distinct.len(),
        8,
        "every sent referral has its own reference"
    );
    // Giving one referral another's reference is refused by the database itself.
    let backend = app.db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => "UPDATE referral SET reference = $1 WHERE id = $2",
        _ => "UPDATE referral SET reference = ? WHERE id = ?",
    };
    let (taken, other) = (
        rows[0].1.clone(),
        uuid::Uuid::parse_str(&rows[1].0).unwrap(),
    );
    let result = app
        .db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [taken.into(), other.into()],
        ))
        .await;
    assert!(
        result.is_err(),
        "a second referral with the same reference must be refused"
    );
}

/// A change and its history entry are one transaction: if the entry cannot be written, the
/// change is not made either.
#[tokio::test]
async fn a_change_whose_event_cannot_be_written_is_not_made() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn().await;
    let token = app.token(&pp("pp-1"));
    let (id, _) = sent_referral(&app, &token, "CRS-ACC-J-01", "Alex", "Smith").await;
    let provider = app.token(&harbour("sp-1"));
    seen(&app, &provider).await;
    app.db
        .execute_unprepared("ALTER TABLE referral_event RENAME TO referral_event_gone")
        .await
        .unwrap();
    let (_, body) = app
        .gql(&provider, ASSIGN, json!({ "id": id, "to": "sp-1" }))
        .await;
    assert_eq!(first_code(&body), "INTERNAL_SERVER_ERROR", "{body}");
    let after = referral(&app, &provider, &id, "status version assignedTo { id }").await;
    assert_eq!(
        after,
        json!({ "status": "SENT", "version": 3, "assignedTo": null })
    );
}

/// Fields read after a mutation in the same request see its effect.
#[tokio::test]
async fn nested_fields_after_a_mutation_in_the_same_request_are_fresh() {
    let app = TestApp::spawn().await;
    let token = app.token(&pp("pp-1"));
    let id = create_draft(&app, &token, "CRS-ACC-J-01", "Alex", "Smith").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let two = "mutation($id: ID!) {
        a: updateDraftReferral(id: $id, input: { reasonForReferral: \"one\" }) { history { kind } }
        b: updateDraftReferral(id: $id, input: { reasonForReferral: \"two\" }) { history { kind } } }";
    let data = app.data(&token, two, json!({ "id": id })).await;
    assert_eq!(data["a"]["history"].as_array().unwrap().len(), 2);
    assert_eq!(data["b"]["history"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn names_are_found_whatever_the_split_between_first_and_last() {
    let app = TestApp::spawn().await;
    let token = app.token(&pp("pp-1"));
    let (double_first, _) =
        sent_referral(&app, &token, "CRS-ACC-J-01", "Mary  Jane", "Smith").await;
    let (double_last, _) = sent_referral(&app, &token, "CRS-ACC-J-01", "Mary", "Jane Smith").await;
    let (other, _) = sent_referral(&app, &token, "CRS-ACC-J-01", "Mary", "Smith").await;
    let found = |search: &str| {
        let (app, token, search) = (&app, token.clone(), search.to_owned());
        async move {
            let data = app
                .data(&token, DASHBOARD, json!({ "f": { "search": search } }))
                .await;
            let mut ids: Vec<String> = data["referrals"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
                .collect();
            ids.sort();
            ids
        }
    };
    let mut both = vec![double_first.clone(), double_last.clone()];
    both.sort();
    assert_eq!(found("MARY JANE SMITH").await, both);
    assert_eq!(found("mary smith").await, vec![other.clone()]);
    let mut smiths = vec![double_first, other];
    smiths.sort();
    assert_eq!(found("Smith").await, smiths);
}

#[tokio::test]
async fn a_blank_probation_delivery_unit_clears_it() {
    let app = TestApp::spawn().await;
    let token = app.token(&pp("pp-1"));
    let id = create_draft(&app, &token, "CRS-ACC-J-01", "Alex", "Smith").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let query = "mutation($id: ID!, $pdu: String) { updateDraftReferral(id: $id, input: { probationDeliveryUnit: $pdu }) { probationDeliveryUnit { code } } }";
    let set = ok(
        &app,
        &token,
        query,
        json!({ "id": id, "pdu": "lambeth" }),
        "updateDraftReferral",
    )
    .await;
    assert_eq!(set["probationDeliveryUnit"]["code"], "lambeth");
    let cleared = ok(
        &app,
        &token,
        query,
        json!({ "id": id, "pdu": "  " }),
        "updateDraftReferral",
    )
    .await;
    assert_eq!(cleared["probationDeliveryUnit"], Value::Null);
}

/// A contract that closed after the draft was started no longer takes it.
#[tokio::test]
async fn sending_rechecks_that_the_contract_is_open() {
    let app = TestApp::spawn().await;
    let token = app.token(&pp("pp-1"));
    let draft = create_draft(&app, &token, "CRS-ACC-J-01", "Alex", "Smith").await;
    let id = draft["id"].as_str().unwrap();
    let (category, level, outcome) = first_choices(&app, &token, "CRS-ACC-J-01").await;
    ok(
        &app,
        &token,
        UPDATE,
        json!({ "id": id, "input": complete_input(&category, &level, &outcome) }),
        "updateDraftReferral",
    )
    .await;
    let mut demo: Value =
        serde_json::from_str(crs_api::service::catalogue_import::DEMO_CATALOGUE).unwrap();
    let yesterday = (crs_api::service::catalogue::today() - chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    for contract in demo["contracts"].as_array_mut().unwrap() {
        if contract["reference"] == "CRS-ACC-J-01" {
            contract["referralWindow"]["closesAfter"] = json!(yesterday);
        }
    }
    let services = crs_api::service::Services::new(app.db.clone());
    crs_api::service::catalogue_import::import_text(&services, "closing.json", &demo.to_string())
        .await
        .unwrap();
    let (_, body) = app.gql(&token, SEND, json!({ "id": id })).await;
    assert_eq!(
        fields_of(&body),
        pairs(&[("interventionId", "NOT_OPEN_FOR_REFERRALS")])
    );
}

/// The bytes that make `candidate` produce `reference` (letters A–Z without I and O).
fn bytes_of(reference: &str) -> [u8; 6] {
    const LETTERS: &str = "ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut bytes = [0u8; 6];
    for (i, c) in reference.chars().take(6).enumerate() {
        bytes[i] = if i < 2 {
            LETTERS.find(c).unwrap() as u8
        } else {
            c.to_digit(10).unwrap() as u8
        };
    }
    bytes
}

/// A reference number already taken is drawn again within the same send, which then succeeds
/// with one SENT event.
#[tokio::test]
async fn a_taken_reference_number_is_drawn_again() {
    use crs_api::service::{Services, referrals, viewer};
    let app = TestApp::spawn().await;
    let token = app.token(&pp("pp-1"));
    let (_, taken) = sent_referral(&app, &token, "CRS-ACC-J-01", "Alex", "Smith").await;
    let id = create_draft(&app, &token, "CRS-ACC-J-01", "Blair", "Jones").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (category, level, outcome) = first_choices(&app, &token, "CRS-ACC-J-01").await;
    ok(
        &app,
        &token,
        UPDATE,
        json!({ "id": id, "input": complete_input(&category, &level, &outcome) }),
        "updateDraftReferral",
    )
    .await;
    let fresh = if taken == "HD2123AC" {
        "JK3467AC"
    } else {
        "HD2123AC"
    };
    let mut draws = vec![bytes_of(&taken), bytes_of(fresh)].into_iter();
    let claims = pp("pp-1");
    let principal = crs_api::domain::actor::Principal::new(
        claims.sub.clone(),
        claims.name.clone(),
        None,
        claims.authorities.iter().map(String::as_str),
        std::iter::empty(),
    );
    let services = Services::new(app.db.clone());
    let scope = viewer::resolve(&services, &principal).await.unwrap();
    let caller = crs_api::domain::actor::Caller { principal, scope };
    let id = uuid::Uuid::parse_str(&id).unwrap();
    let sent = referrals::send_with(
        &services,
        &caller,
        crs_api::domain::ids::ReferralId(id),
        || draws.next().unwrap_or([9; 6]),
    )
    .await
    .unwrap();
    assert_eq!(sent.reference.as_deref(), Some(fresh));
    let history = referral(&app, &token, &id.to_string(), "reference history { kind }").await;
    assert_eq!(history["reference"], fresh);
    assert_eq!(
        history["history"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "SENT")
            .count(),
        1
    );
}
