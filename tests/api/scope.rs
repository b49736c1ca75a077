//! Provider, commissioner and practitioner scope (contract section 3), seen through `me`.

use serde_json::{Value, json};

use crate::support::personas::{claims, harbour_light_user};
use crate::support::{Options, TestApp, first_code};

const ME: &str =
    "{ me { id name roles providers { code } contracts { reference } regions { code } } }";

fn codes(list: &Value, field: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v[field].as_str().unwrap().to_owned())
        .collect()
}

async fn me(app: &TestApp, groups: &[&str], authority: &str) -> (u16, Value) {
    app.gql(
        &app.token(&claims("user-1", authority, groups)),
        ME,
        json!({}),
    )
    .await
}

async fn assert_forbidden_naming(app: &TestApp, groups: &[&str], needle: &str) {
    let (status, body) = me(app, groups, "ROLE_CRS_PROVIDER").await;
    assert_eq!((status, first_code(&body)), (403, "FORBIDDEN"), "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains(needle), "{message}");
    let token = app.token(&claims("user-1", "ROLE_CRS_PROVIDER", groups));
    let (status, body) = app.gql(&token, "{ regions { code } }", json!({})).await;
    assert_eq!((status, first_code(&body)), (403, "FORBIDDEN"), "{body}");
}

#[tokio::test]
async fn a_prime_provider_user_sees_their_contracts_and_providers() {
    let app = TestApp::spawn().await;
    let data = app
        .data(&app.token(&harbour_light_user()), ME, json!({}))
        .await;
    assert_eq!(data["me"]["roles"], json!(["ROLE_CRS_PROVIDER"]));
    assert_eq!(
        codes(&data["me"]["providers"], "code"),
        vec!["HARBOUR_LIGHT"]
    );
    assert_eq!(
        codes(&data["me"]["contracts"], "reference"),
        vec!["CRS-ACC-J-01", "CRS-DNR-G-01"]
    );
    assert_eq!(data["me"]["regions"], json!([]));
}

#[tokio::test]
async fn a_subcontractor_user_sees_the_contract_they_subcontract_on() {
    let app = TestApp::spawn().await;
    let (status, body) = me(
        &app,
        &["INT_SP_KEYSTONE_MONEY", "INT_CR_CRS-WOS-J-01"],
        "ROLE_CRS_PROVIDER",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        codes(&body["data"]["me"]["contracts"], "reference"),
        vec!["CRS-WOS-J-01"]
    );
}

#[tokio::test]
async fn a_user_of_two_providers_sees_the_union() {
    let app = TestApp::spawn().await;
    let groups = [
        "INT_SP_HARBOUR_LIGHT",
        "INT_SP_NORTHERN_STEPS",
        "INT_CR_CRS-ACC-J-01",
        "INT_CR_CRS-ETE-A-01",
    ];
    let (status, body) = me(&app, &groups, "ROLE_CRS_PROVIDER").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        codes(&body["data"]["me"]["providers"], "code"),
        vec!["HARBOUR_LIGHT", "NORTHERN_STEPS"]
    );
    assert_eq!(
        codes(&body["data"]["me"]["contracts"], "reference"),
        vec!["CRS-ACC-J-01", "CRS-ETE-A-01"]
    );
}

#[tokio::test]
async fn unknown_groups_are_ignored() {
    let app = TestApp::spawn().await;
    let groups = [
        "INT_SP_HARBOUR_LIGHT",
        "INT_SP_GHOST",
        "INT_CR_CRS-ACC-J-01",
        "INT_CR_NO-SUCH",
        "SOME_OTHER_GROUP",
    ];
    let (status, body) = me(&app, &groups, "ROLE_CRS_PROVIDER").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        codes(&body["data"]["me"]["contracts"], "reference"),
        vec!["CRS-ACC-J-01"]
    );
}

#[tokio::test]
async fn a_contract_none_of_the_users_providers_delivers_is_forbidden_everywhere() {
    let app = TestApp::spawn().await;
    assert_forbidden_naming(
        &app,
        &[
            "INT_SP_HARBOUR_LIGHT",
            "INT_CR_CRS-ACC-J-01",
            "INT_CR_CRS-ETE-A-01",
        ],
        "INT_CR_CRS-ETE-A-01",
    )
    .await;
}

#[tokio::test]
async fn a_provider_user_without_a_provider_group_is_forbidden() {
    let app = TestApp::spawn().await;
    assert_forbidden_naming(&app, &["INT_CR_CRS-ACC-J-01"], "INT_SP_").await;
}

#[tokio::test]
async fn a_provider_user_without_a_contract_group_is_forbidden() {
    let app = TestApp::spawn().await;
    assert_forbidden_naming(&app, &["INT_SP_HARBOUR_LIGHT"], "INT_CR_").await;
}

#[tokio::test]
async fn a_commissioner_sees_their_regions() {
    let app = TestApp::spawn().await;
    let (status, body) = me(
        &app,
        &["INT_RG_J", "INT_RG_B", "INT_RG_Q"],
        "ROLE_CRS_COMMISSIONER",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        codes(&body["data"]["me"]["regions"], "code"),
        vec!["B", "J"]
    );
    assert_eq!(body["data"]["me"]["contracts"], json!([]));
    let (status, body) = me(&app, &[], "ROLE_CRS_COMMISSIONER").await;
    assert_eq!((status, first_code(&body)), (403, "FORBIDDEN"), "{body}");
}

#[tokio::test]
async fn practitioners_and_read_all_clients_need_no_groups() {
    let app = TestApp::spawn().await;
    for authority in ["ROLE_PROBATION", "ROLE_CRS_READ_ALL"] {
        let (status, body) = me(&app, &[], authority).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["me"]["roles"], json!([authority]));
        assert_eq!(body["data"]["me"]["name"], "User user-1");
    }
}

#[tokio::test]
async fn a_token_with_two_of_our_roles_is_forbidden() {
    let app = TestApp::spawn().await;
    let mut two = claims("user-1", "ROLE_PROBATION", &[]);
    two.authorities.push("ROLE_CRS_COMMISSIONER".into());
    let (status, body) = app.gql(&app.token(&two), ME, json!({})).await;
    assert_eq!((status, first_code(&body)), (403, "FORBIDDEN"), "{body}");
}

/// A token's scope is resolved once and kept: after its first request, `{ __typename }` and
/// `me` read no catalogue (the user was recorded on that first request too).
#[tokio::test]
async fn a_known_tokens_requests_read_no_scope() {
    let app = TestApp::spawn().await;
    let token = app.token(&harbour_light_user());
    app.data(&token, "{ __typename }", json!({})).await;
    let before = app.statements().await;
    for _ in 0..3 {
        app.data(&token, "{ __typename }", json!({})).await;
    }
    assert_eq!(
        app.statements().await - before,
        0,
        "statements per __typename"
    );
}

/// Drops KEYSTONE_MONEY as a subcontractor of CRS-WOS-J-01, as a catalogue import would.
async fn keystone_stops_subcontracting(app: &TestApp) {
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared(
            "DELETE FROM contract_subcontractor WHERE provider_code = 'KEYSTONE_MONEY' \
             AND contract_id = (SELECT id FROM contract WHERE reference = 'CRS-WOS-J-01')",
        )
        .await
        .expect("catalogue change");
}

const KEYSTONE: [&str; 2] = ["INT_SP_KEYSTONE_MONEY", "INT_CR_CRS-WOS-J-01"];

/// A catalogue change reaches a caller whose scope is kept once `CRS_SCOPE_CACHE_SECONDS` has
/// passed: the subcontractor's user, refused once the contract is no longer theirs.
#[tokio::test]
async fn a_catalogue_change_is_seen_once_the_scope_cache_bound_has_passed() {
    let app = TestApp::spawn_with(Options::default().with("CRS_SCOPE_CACHE_SECONDS", "1")).await;
    let (status, body) = me(&app, &KEYSTONE, "ROLE_CRS_PROVIDER").await;
    assert_eq!(status, 200, "{body}");
    keystone_stops_subcontracting(&app).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, body) = me(&app, &KEYSTONE, "ROLE_CRS_PROVIDER").await;
    assert_eq!((status, first_code(&body)), (403, "FORBIDDEN"), "{body}");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("CRS-WOS-J-01"), "{message}");
}

/// With `CRS_SCOPE_CACHE_SECONDS=0` nothing is kept: every request reads the catalogue, and a
/// change is seen by the very next request.
#[tokio::test]
async fn without_a_scope_cache_every_request_reads_the_catalogue() {
    let app = TestApp::spawn_with(Options::default().with("CRS_SCOPE_CACHE_SECONDS", "0")).await;
    let token = app.token(&claims("user-1", "ROLE_CRS_PROVIDER", &KEYSTONE));
    app.data(&token, "{ __typename }", json!({})).await;
    let before = app.statements().await;
    app.data(&token, "{ __typename }", json!({})).await;
    assert_eq!(app.statements().await - before, 1, "the scope look-up");
    keystone_stops_subcontracting(&app).await;
    let (status, body) = me(&app, &KEYSTONE, "ROLE_CRS_PROVIDER").await;
    assert_eq!((status, first_code(&body)), (403, "FORBIDDEN"), "{body}");
}
