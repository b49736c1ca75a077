//! Provider isolation with three providers (Harbour Light: prime on one contract and
//! subcontractor on two; Bridgeway: on two contracts; Northern Steps: on others). No provider
//! reads or changes another's referral by any route, and a foreign id answers exactly like an
//! unknown one.

use serde_json::{Value, json};

use crate::support::personas::{bridgeway, harbour, northern, pp};
use crate::support::steps::*;
use crate::support::{TestApp, first_code};

const DETAIL: &str = "query($id: ID!) { referral(id: $id) { id } }";
const BY_REFERENCE: &str = "query($r: String!) { referralByReference(reference: $r) { id } }";
const NOTE: &str =
    "mutation($id: ID!) { addCaseNote(referralId: $id, subject: \"s\", body: \"b\") { id } }";
const ASSIGN_TO_SELF: &str =
    "mutation($id: ID!, $to: ID!) { assignReferral(id: $id, assigneeId: $to) { id } }";

#[tokio::test]
async fn no_provider_reaches_another_providers_referral() {
    let app = TestApp::spawn().await;
    let token = app.token(&pp("pp-1"));
    let mut referrals = Vec::new();
    for (contract, name) in [
        ("CRS-ACC-J-01", "Acc"),
        ("CRS-DNR-G-01", "Dnr"),
        ("CRS-ETE-A-01", "Ete"),
        ("CRS-MTR-E-01", "Mtr"),
    ] {
        let (id, reference) = sent_referral(&app, &token, contract, name, "Person").await;
        referrals.push((contract, id, reference));
    }
    let draft = create_draft(&app, &token, "CRS-ACC-J-01", "Draft", "Person").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // On every contract one more referral is withdrawn and one assigned, so that every status
    // and assignment filter has rows to leak.
    for (contract, assignee) in [
        ("CRS-ACC-J-01", harbour("sp-harbour")),
        ("CRS-DNR-G-01", bridgeway("sp-bridgeway")),
        ("CRS-ETE-A-01", northern("sp-northern")),
        ("CRS-MTR-E-01", bridgeway("sp-bridgeway")),
    ] {
        let (withdrawn, r1) = sent_referral(&app, &token, contract, "Gone", "Person").await;
        ok(
            &app,
            &token,
            WITHDRAW,
            json!({ "id": withdrawn, "code": "MOV" }),
            "withdrawReferral",
        )
        .await;
        let (assigned, r2) = sent_referral(&app, &token, contract, "Taken", "Person").await;
        let assigner = app.token(&assignee);
        seen(&app, &assigner).await;
        ok(
            &app,
            &assigner,
            ASSIGN,
            json!({ "id": assigned, "to": assignee.sub }),
            "assignReferral",
        )
        .await;
        referrals.push((contract, withdrawn, r1));
        referrals.push((contract, assigned, r2));
    }
    let providers = [
        (
            "sp-harbour",
            harbour("sp-harbour"),
            vec!["CRS-ACC-J-01", "CRS-DNR-G-01"],
        ),
        (
            "sp-bridgeway",
            bridgeway("sp-bridgeway"),
            vec!["CRS-ACC-J-01", "CRS-DNR-G-01", "CRS-MTR-E-01"],
        ),
        ("sp-northern", northern("sp-northern"), vec!["CRS-ETE-A-01"]),
    ];
    let unknown = uuid::Uuid::new_v4().to_string();
    for (sub, claims, allowed) in &providers {
        let provider = app.token(claims);
        seen(&app, &provider).await;
        let (_, unknown_detail) = app.gql(&provider, DETAIL, json!({ "id": unknown })).await;
        let (_, unknown_note) = app.gql(&provider, NOTE, json!({ "id": unknown })).await;
        let (_, unknown_assign) = app
            .gql(
                &provider,
                ASSIGN_TO_SELF,
                json!({ "id": unknown, "to": sub }),
            )
            .await;
        assert_eq!(first_code(&unknown_note), "NOT_FOUND");
        for (contract, id, reference) in &referrals {
            let (_, detail) = app.gql(&provider, DETAIL, json!({ "id": id })).await;
            let (_, by_reference) = app
                .gql(&provider, BY_REFERENCE, json!({ "r": reference }))
                .await;
            if allowed.contains(contract) {
                assert_eq!(
                    detail["data"]["referral"]["id"],
                    id.as_str(),
                    "{sub} on {contract}"
                );
                assert_eq!(
                    by_reference["data"]["referralByReference"]["id"],
                    id.as_str()
                );
                continue;
            }
            assert_eq!(detail, unknown_detail, "{sub} read {contract}");
            assert_eq!(
                by_reference,
                json!({ "data": { "referralByReference": null } })
            );
            let (_, note) = app.gql(&provider, NOTE, json!({ "id": id })).await;
            assert_eq!(note, unknown_note, "{sub} noted on {contract}");
            let (_, assign) = app
                .gql(&provider, ASSIGN_TO_SELF, json!({ "id": id, "to": sub }))
                .await;
            assert_eq!(assign, unknown_assign, "{sub} assigned {contract}");
        }
        // Every dashboard filter stays inside the provider's contracts; drafts never show.
        let visible: Vec<&String> = referrals
            .iter()
            .filter(|(c, _, _)| allowed.contains(c))
            .map(|(_, id, _)| id)
            .collect();
        let today = crs_api::service::catalogue::today()
            .format("%Y-%m-%d")
            .to_string();
        for filter in [
            json!({}),
            json!({ "status": ["DRAFT", "SENT", "ASSIGNED", "CANCELLED"] }),
            json!({ "status": ["ASSIGNED"] }),
            json!({ "open": true }),
            json!({ "open": false }),
            json!({ "unassigned": true }),
            json!({ "unassigned": false }),
            json!({ "assignedToMe": true }),
            json!({ "sentFrom": today, "sentTo": today }),
            json!({ "search": "person" }),
            json!({ "contractReference": "CRS-ETE-A-01" }),
            json!({ "contractReference": "CRS-ACC-J-01" }),
            json!({ "serviceCategoryId": "428ee70f-3001-4399-95a6-ad25eaaede16" }),
        ] {
            let data = app
                .data(&provider, DASHBOARD, json!({ "f": filter, "first": 100 }))
                .await;
            let edges = data["referrals"]["edges"].as_array().unwrap();
            assert_eq!(
                data["referrals"]["totalCount"].as_u64(),
                Some(edges.len() as u64),
                "{sub} {filter}"
            );
            for edge in edges {
                let id = edge["node"]["id"].as_str().unwrap().to_owned();
                assert!(visible.contains(&&id), "{sub} saw {id} with {filter}");
                assert_ne!(id, draft);
            }
        }
        for (_, reference) in referrals
            .iter()
            .filter(|(c, _, _)| !allowed.contains(c))
            .map(|(c, _, r)| (c, r))
        {
            let data = app
                .data(
                    &provider,
                    DASHBOARD,
                    json!({ "f": { "search": reference } }),
                )
                .await;
            assert_eq!(data["referrals"]["totalCount"], 0);
        }
    }
    // Nested reads in one request: a note on Northern's referral never shows on Harbour's, even
    // when both referrals' notes are batched by the same loader (the practitioner sees both).
    let (_, acc_id, _) = &referrals[0];
    let (_, ete_id, _) = &referrals[2];
    let note =
        "mutation($id: ID!) { addCaseNote(referralId: $id, subject: \"s\", body: \"b\") { id } }";
    ok(&app, &token, note, json!({ "id": ete_id }), "addCaseNote").await;
    let both = "query($a: ID!, $b: ID!) { a: referral(id: $a) { caseNotes { totalCount } } b: referral(id: $b) { caseNotes { totalCount } } }";
    let detail = app
        .data(&token, both, json!({ "a": acc_id, "b": ete_id }))
        .await;
    assert_eq!(detail["a"]["caseNotes"]["totalCount"], 0);
    assert_eq!(detail["b"]["caseNotes"]["totalCount"], 1);
    let harbour_token = app.token(&harbour("sp-harbour"));
    let detail = app
        .data(&harbour_token, both, json!({ "a": acc_id, "b": ete_id }))
        .await;
    assert_eq!(detail["b"], Value::Null);
    assert_eq!(detail["a"]["caseNotes"]["totalCount"], 0);
}

#[tokio::test]
async fn foreign_and_unknown_ids_look_the_same_to_practitioners_too() {
    let app = TestApp::spawn().await;
    let owner = app.token(&pp("pp-1"));
    let (id, _) = sent_referral(&app, &owner, "CRS-ACC-J-01", "Alex", "Smith").await;
    let other = app.token(&pp("pp-2"));
    let (_, foreign) = app
        .gql(&other, WITHDRAW, json!({ "id": id, "code": "MOV" }))
        .await;
    let (_, unknown) = app
        .gql(
            &other,
            WITHDRAW,
            json!({ "id": uuid::Uuid::new_v4().to_string(), "code": "MOV" }),
        )
        .await;
    let (_, malformed) = app
        .gql(
            &other,
            WITHDRAW,
            json!({ "id": "not-a-uuid", "code": "MOV" }),
        )
        .await;
    assert_eq!(first_code(&foreign), "NOT_FOUND");
    assert_eq!(foreign, unknown);
    assert_eq!(foreign, malformed);
    let data: Value = app.data(&other, DETAIL, json!({ "id": id })).await;
    assert_eq!(data["referral"], Value::Null);
}
