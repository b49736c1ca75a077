//! The `referrals` dashboard: scope, filters, search, order, cursors, totals, page sizes, and
//! the number of SQL statements a page costs.

use serde_json::{Value, json};

use crate::support::personas::{bridgeway, commissioner, harbour, machine, northern, pp};
use crate::support::steps::*;
use crate::support::{Options, TestApp, first_code};

fn ids(page: &Value) -> Vec<String> {
    page["referrals"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn providers_see_their_contracts_newest_first_and_read_all_sees_every_sent_referral() {
    let app = TestApp::spawn().await;
    let token = app.token(&pp("pp-1"));
    let (acc, _) = sent_referral(&app, &token, "CRS-ACC-J-01", "Alex", "Smith").await;
    let (dnr, _) = sent_referral(&app, &token, "CRS-DNR-G-01", "Blair", "Jones").await;
    let (ete, _) = sent_referral(&app, &token, "CRS-ETE-A-01", "Casey", "Brown").await;
    create_draft(&app, &token, "CRS-ACC-J-01", "Drew", "Draft").await;
    let page = |token: String| {
        let app = &app;
        async move { ids(&app.data(&token, DASHBOARD, json!({})).await) }
    };
    assert_eq!(
        page(app.token(&harbour("sp-1"))).await,
        vec![dnr.clone(), acc.clone()]
    );
    assert_eq!(
        page(app.token(&bridgeway("sp-2"))).await,
        vec![dnr.clone(), acc.clone()]
    );
    assert_eq!(page(app.token(&northern("sp-3"))).await, vec![ete.clone()]);
    assert_eq!(
        page(app.token(&machine())).await,
        vec![ete.clone(), dnr.clone(), acc.clone()]
    );
    assert_eq!(
        page(token.clone()).await,
        vec![ete, dnr, acc],
        "the practitioner's own sent referrals"
    );
    let (_, body) = app
        .gql(&app.token(&commissioner(&["J"])), DASHBOARD, json!({}))
        .await;
    assert_eq!(first_code(&body), "FORBIDDEN");
}

#[tokio::test]
async fn every_filter_narrows_the_dashboard() {
    let app = TestApp::spawn().await;
    let token = app.token(&pp("pp-1"));
    let (smith, smith_ref) = sent_referral(&app, &token, "CRS-ACC-J-01", "Alex", "Smith").await;
    let (jones, _) = sent_referral(&app, &token, "CRS-ACC-J-01", "Blair", "Jones").await;
    let (wos, _) = sent_referral(&app, &token, "CRS-WOS-J-01", "Alex", "Jones").await;
    let provider = app.token(&harbour("sp-1"));
    seen(&app, &provider).await;
    ok(
        &app,
        &provider,
        ASSIGN,
        json!({ "id": jones, "to": "sp-1" }),
        "assignReferral",
    )
    .await;
    ok(
        &app,
        &token,
        WITHDRAW,
        json!({ "id": wos, "code": "NEE" }),
        "withdrawReferral",
    )
    .await;
    let filter = |f: Value| {
        let app = &app;
        let provider = provider.clone();
        async move { ids(&app.data(&provider, DASHBOARD, json!({ "f": f })).await) }
    };
    assert_eq!(
        filter(json!({ "status": ["ASSIGNED"] })).await,
        vec![jones.clone()]
    );
    assert_eq!(
        filter(json!({ "status": ["SENT", "CANCELLED"] })).await,
        vec![wos.clone(), smith.clone()]
    );
    assert_eq!(
        filter(json!({ "open": true })).await,
        vec![jones.clone(), smith.clone()]
    );
    assert_eq!(filter(json!({ "open": false })).await, vec![wos.clone()]);
    assert_eq!(
        filter(json!({ "unassigned": true })).await,
        vec![wos.clone(), smith.clone()]
    );
    assert_eq!(
        filter(json!({ "unassigned": false })).await,
        vec![jones.clone()]
    );
    assert_eq!(
        filter(json!({ "assignedToMe": true })).await,
        vec![jones.clone()]
    );
    assert_eq!(
        filter(json!({ "search": smith_ref.to_lowercase() })).await,
        vec![smith.clone()]
    );
    assert_eq!(
        filter(json!({ "search": "JONES" })).await,
        vec![wos.clone(), jones.clone()]
    );
    assert_eq!(
        filter(json!({ "search": "alex jones" })).await,
        vec![wos.clone()]
    );
    assert_eq!(
        filter(json!({ "search": "Smith Alex" })).await,
        Vec::<String>::new()
    );
    assert_eq!(
        filter(json!({ "contractReference": "CRS-WOS-J-01" })).await,
        vec![wos.clone()]
    );
    let accommodation = "428ee70f-3001-4399-95a6-ad25eaaede16";
    // Women's services referrals choose Accommodation too (the first of their categories).
    assert_eq!(
        filter(json!({ "serviceCategoryId": accommodation })).await,
        vec![wos.clone(), jones.clone(), smith.clone()]
    );
    let today = crs_api::service::catalogue::today();
    let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    assert_eq!(
        filter(json!({ "sentFrom": day(today), "sentTo": day(today) }))
            .await
            .len(),
        3
    );
    assert!(
        filter(json!({ "sentFrom": day(today.succ_opt().unwrap()) }))
            .await
            .is_empty()
    );
    assert!(
        filter(json!({ "sentTo": day(today.pred_opt().unwrap()) }))
            .await
            .is_empty()
    );
    let (_, body) = app
        .gql(
            &provider,
            DASHBOARD,
            json!({ "f": { "serviceCategoryId": "nope" } }),
        )
        .await;
    assert_eq!(first_code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn cursors_stay_stable_while_new_referrals_arrive() {
    let app = TestApp::spawn().await;
    let token = app.token(&pp("pp-1"));
    let all = send_many(&app, &token, "CRS-ACC-J-01", 5).await;
    let provider = app.token(&harbour("sp-1"));
    let first = app.data(&provider, DASHBOARD, json!({ "first": 2 })).await;
    assert_eq!(ids(&first), all[..2].to_vec());
    assert_eq!(first["referrals"]["totalCount"], 5);
    assert_eq!(first["referrals"]["pageInfo"]["hasNextPage"], true);
    let cursor = first["referrals"]["pageInfo"]["endCursor"].clone();
    // A new referral arrives at the top; the next page continues where the last one ended.
    let newer = send_many(&app, &token, "CRS-ACC-J-01", 1).await;
    let second = app
        .data(&provider, DASHBOARD, json!({ "first": 2, "after": cursor }))
        .await;
    assert_eq!(ids(&second), all[2..4].to_vec());
    assert_eq!(second["referrals"]["totalCount"], 6);
    let third = app
        .data(
            &provider,
            DASHBOARD,
            json!({ "first": 2, "after": second["referrals"]["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(ids(&third), all[4..].to_vec());
    assert_eq!(third["referrals"]["pageInfo"]["hasNextPage"], false);
    assert_eq!(
        ids(&app.data(&provider, DASHBOARD, json!({ "first": 1 })).await),
        newer
    );
}

#[tokio::test]
async fn page_sizes_and_cursors_are_checked() {
    let app = TestApp::spawn().await;
    let token = app.token(&harbour("sp-1"));
    for (first, after) in [
        (json!(101), Value::Null),
        (json!(0), Value::Null),
        (json!(20), json!("not-a-cursor")),
    ] {
        let (status, body) = app
            .gql(&token, DASHBOARD, json!({ "first": first, "after": after }))
            .await;
        assert_eq!(
            (status, first_code(&body)),
            (200, "BAD_USER_INPUT"),
            "{body}"
        );
    }
    let data = app.data(&token, DASHBOARD, json!({ "first": 100 })).await;
    assert_eq!(data["referrals"]["totalCount"], 0);
}

const NESTED_PAGE: &str = "query($first: Int) { referrals(first: $first) { totalCount edges { node { id reference status sentAt
    serviceUser { crn firstName lastName } assignedTo { id name }
    intervention { title contract { reference primeProvider { name } subcontractors { name } } } } } } }";

/// 100 referrals sent on CRS-ACC-J-01, a third of them assigned to `sp-1`; the Harbour Light
/// caseworker's token.
async fn hundred_referrals_a_third_assigned(app: &TestApp) -> String {
    let token = app.token(&pp("pp-1"));
    let ids = send_many(app, &token, "CRS-ACC-J-01", 100).await;
    let provider = app.token(&harbour("sp-1"));
    seen(app, &provider).await;
    for id in ids.iter().step_by(3) {
        ok(
            app,
            &provider,
            ASSIGN,
            json!({ "id": id, "to": "sp-1" }),
            "assignReferral",
        )
        .await;
    }
    provider
}

/// With nothing kept between requests (`CRS_SCOPE_CACHE_SECONDS=0`), the dashboard with nested
/// intervention, contract, providers, assignee and person costs the same number of statements
/// for 1, 20 and 100 rows, and at most 6 (the token's scope, the page, its count, then
/// assignees, prime providers and subcontractors, each in one batch).
// On the server's own multi-threaded runtime, where a loader's batch can start on another
// thread: batching must still hold there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dashboard_page_costs_a_constant_number_of_statements() {
    let app = TestApp::spawn_with(Options::default().with("CRS_SCOPE_CACHE_SECONDS", "0")).await;
    let provider = hundred_referrals_a_third_assigned(&app).await;
    let mut costs = Vec::new();
    for first in [1, 20, 100] {
        let before = app.statements().await;
        let data = app
            .data(&provider, NESTED_PAGE, json!({ "first": first }))
            .await;
        costs.push(app.statements().await - before);
        assert_eq!(data["referrals"]["edges"].as_array().unwrap().len(), first);
    }
    assert_eq!(costs[0], costs[1], "{costs:?}");
    assert_eq!(costs[1], costs[2], "{costs:?}");
    assert!(costs[0] <= 6, "{costs:?} statements per page");
}

/// Once a page has been read, the providers, subcontracts and users it names are kept: the
/// next page of 100 costs its page and its count only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warm_dashboard_page_reads_only_its_rows_and_its_count() {
    let app = TestApp::spawn().await;
    let provider = hundred_referrals_a_third_assigned(&app).await;
    app.data(&provider, NESTED_PAGE, json!({ "first": 100 }))
        .await;
    let before = app.statements().await;
    let data = app
        .data(&provider, NESTED_PAGE, json!({ "first": 100 }))
        .await;
    assert_eq!(app.statements().await - before, 2);
    assert_eq!(data["referrals"]["edges"].as_array().unwrap().len(), 100);
}

/// A provider renamed and a user renamed by another instance (straight in the database) show
/// on pages once `CRS_SCOPE_CACHE_SECONDS` has passed; a user seen again by this instance with
/// a new name shows at once.
#[tokio::test]
async fn renamed_providers_and_users_show_once_the_cache_bound_has_passed() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn_with(Options::default().with("CRS_SCOPE_CACHE_SECONDS", "1")).await;
    let provider = hundred_referrals_a_third_assigned(&app).await;
    let names = |data: &Value| {
        let node = &data["referrals"]["edges"][0]["node"];
        (
            node["intervention"]["contract"]["primeProvider"]["name"]
                .as_str()
                .unwrap()
                .to_owned(),
            node["assignedTo"]["name"].as_str().map(str::to_owned),
        )
    };
    // The oldest referral was the first assigned.
    let oldest = json!({ "first": 1 });
    let query = NESTED_PAGE.replace(
        "referrals(first: $first)",
        "referrals(first: $first, orderBy: { field: SENT_AT, direction: ASC })",
    );
    let (prime, assignee) = names(&app.data(&provider, &query, oldest.clone()).await);
    assert!(assignee.is_some());
    app.db
        .execute_unprepared(
            "UPDATE service_provider SET name = 'Renamed Trust' WHERE code = \
             (SELECT prime_provider_code FROM contract WHERE reference = 'CRS-ACC-J-01')",
        )
        .await
        .expect("rename the provider");
    app.db
        .execute_unprepared("UPDATE app_user SET name = 'Renamed Caseworker' WHERE id = 'sp-1'")
        .await
        .expect("rename the user");
    assert_eq!(
        names(&app.data(&provider, &query, oldest.clone()).await),
        (prime, assignee),
        "kept within the bound"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        names(&app.data(&provider, &query, oldest.clone()).await),
        (
            "Renamed Trust".to_owned(),
            Some("Renamed Caseworker".to_owned())
        )
    );
}

/// A referral's detail with its assignee and its history's actors costs three statements
/// (the referral, its history, then every user named at once), however long the history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_referral_detail_costs_three_statements() {
    const DETAIL: &str = "id assignedTo { id name } history { at kind actor { id name } }";
    let app = TestApp::spawn().await;
    let practitioner = app.token(&pp("pp-1"));
    let ids = send_many(&app, &practitioner, "CRS-ACC-J-01", 1).await;
    let provider = app.token(&harbour("sp-1"));
    seen(&app, &provider).await;
    ok(
        &app,
        &provider,
        ASSIGN,
        json!({ "id": ids[0], "to": "sp-1" }),
        "assignReferral",
    )
    .await;
    let before = app.statements().await;
    let detail = referral(&app, &provider, &ids[0], DETAIL).await;
    assert_eq!(app.statements().await - before, 3);
    assert!(detail["assignedTo"]["name"].is_string(), "{detail}");
    let history = detail["history"].as_array().unwrap();
    assert!(history.len() >= 2, "{detail}");
    assert!(
        history.iter().all(|e| e["actor"]["name"].is_string()),
        "{detail}"
    );
}

/// `totalCount` comes from counters kept by triggers: after the demo's journeys (every kind of
/// change, ending in every status) they agree with the referrals row for row, and every total a
/// counter gives equals the number of rows the page lists.
#[tokio::test]
async fn the_counters_behind_totals_follow_every_change() {
    let app = TestApp::spawn_with(crate::support::Options {
        full_demo: true,
        ..Default::default()
    })
    .await;
    let (rows, counters) = crate::synthetic::counts(&app.db).await;
    assert_eq!(rows, counters);
    assert!(rows.len() >= 10, "{rows:?}");
    const TOTAL: &str = "query($f: ReferralFilter) { referrals(first: 100, filter: $f) {
        totalCount edges { node { id } } } }";
    let filters = [
        json!({}),
        json!({ "open": true }),
        json!({ "open": false }),
        json!({ "unassigned": true }),
        json!({ "unassigned": false }),
        json!({ "status": ["SENT", "ASSIGNED", "COMPLETED"] }),
        json!({ "open": true, "unassigned": false, "contractReference": "CRS-ACC-J-01" }),
    ];
    let readers = crs_api::demo::demo_users()
        .into_iter()
        .filter(|u| {
            u.claims.authorities[0] == "ROLE_CRS_PROVIDER"
                || u.claims.authorities[0] == "ROLE_CRS_READ_ALL"
        })
        .collect::<Vec<_>>();
    assert_eq!(readers.len(), 4);
    for reader in &readers {
        let token = app.token(&reader.claims);
        for filter in &filters {
            let data = app.data(&token, TOTAL, json!({ "f": filter })).await;
            let listed = data["referrals"]["edges"].as_array().unwrap().len();
            assert_eq!(
                data["referrals"]["totalCount"], listed,
                "{} with {filter}",
                reader.label
            );
        }
    }
}
