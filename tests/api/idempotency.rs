//! Idempotent writes (R2): one `Idempotency-Key` sent 20 times at once makes one change and 20
//! identical answers; the same key with another request is 422 `IDEMPOTENCY_KEY_REUSED`; keys
//! are the caller's own and kept for 24 hours (clock injected).

use chrono::{Duration, SubsecRound, Utc};
use crs_api::service::idempotency::{self, Claim};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};

use crate::support::personas::{harbour, pp};
use crate::support::steps::{
    REFERRAL_FIELDS, assigned_referral, create_draft, intervention_id, past_start, phone,
};
use crate::support::{TestApp, first_code};

fn create_query() -> String {
    format!(
        "mutation Create($input: CreateDraftReferralInput!) {{ createDraftReferral(input: $input) {{ {REFERRAL_FIELDS} }} }}"
    )
}

fn draft_input(first: &str) -> Value {
    json!({ "input": {
        "interventionId": intervention_id("CRS-ACC-J-01"),
        "crn": "X123456",
        "serviceUser": { "firstName": first, "lastName": "Doe" }
    }})
}

/// POSTs `query` with `Idempotency-Key: key`: the status, whether it was replayed, the body.
async fn post_with_key(
    app: &TestApp,
    token: &str,
    key: &str,
    query: &str,
    variables: Value,
) -> (u16, bool, String) {
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let replayed = response.headers().get("idempotent-replayed").is_some();
    (status, replayed, response.text().await.unwrap())
}

async fn referral_count(app: &TestApp) -> u64 {
    crs_api::db::entities::referral::Entity::find()
        .count(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn twenty_concurrent_creates_with_one_key_make_one_draft_and_twenty_identical_answers() {
    let app = TestApp::spawn().await;
    let token = app.token(&pp("pp-1"));
    let query = create_query();
    let answers = futures_util::future::join_all(
        (0..20).map(|_| post_with_key(&app, &token, "create-ann-1", &query, draft_input("Ann"))),
    )
    .await;
    assert_eq!(referral_count(&app).await, 1, "one draft");
    let first = &answers[0].2;
    assert!(first.contains("createDraftReferral"), "{first}");
    for (status, _, body) in &answers {
        assert_eq!(*status, 200);
        assert_eq!(body, first, "every answer is the first one");
    }
    assert_eq!(
        answers.iter().filter(|(_, replayed, _)| !replayed).count(),
        1,
        "one ran"
    );

    // The same key with another request is refused, and changes nothing.
    let (status, _, body) =
        post_with_key(&app, &token, "create-ann-1", &query, draft_input("Bea")).await;
    assert_eq!(status, 422);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(first_code(&body), "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(referral_count(&app).await, 1);

    // Another caller's key of the same name is another key.
    let other = app.token(&pp("pp-2"));
    let (status, replayed, _) =
        post_with_key(&app, &other, "create-ann-1", &query, draft_input("Ann")).await;
    assert_eq!((status, replayed), (200, false));
    assert_eq!(referral_count(&app).await, 2);
}

#[tokio::test]
async fn a_send_and_a_booking_retried_with_their_keys_happen_once() {
    let app = TestApp::spawn().await;
    let (pp1, sp) = (app.token(&pp("pp-1")), app.token(&harbour("sp-1")));
    let id = assigned_referral(&app, &pp1, &sp, "Ann").await;
    let schedule = crate::support::steps::SCHEDULE;
    let variables = json!({ "id": id, "input": phone("ASSESSMENT", None, &past_start()) });
    let answers = futures_util::future::join_all(
        (0..20).map(|_| post_with_key(&app, &sp, "book-1", schedule, variables.clone())),
    )
    .await;
    assert!(!answers[0].2.contains("\"errors\""), "{}", answers[0].2);
    assert!(
        answers.iter().all(|a| a.0 == 200 && a.2 == answers[0].2),
        "{:?}",
        answers[0]
    );
    let appointments = app
        .data(
            &sp,
            "query($id: ID!) { referral(id: $id) { appointments { id } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        appointments["referral"]["appointments"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // sendReferral retried after its answer was lost.
    let draft = create_draft(&app, &pp1, "CRS-ACC-J-01", "Ben", "Doe").await;
    let draft = draft["id"].as_str().unwrap().to_owned();
    crate::support::steps::complete_and_send(&app, &pp1, "CRS-ACC-J-01", &draft).await;
    let send = "mutation Send($id: ID!) { sendReferral(id: $id) { id status history { kind } } }";
    let first = post_with_key(&app, &pp1, "send-ben", send, json!({ "id": draft })).await;
    let again = post_with_key(&app, &pp1, "send-ben", send, json!({ "id": draft })).await;
    assert_eq!((first.0, first.1), (200, false));
    assert!(!first.2.contains("\"errors\""), "{}", first.2);
    assert_eq!((again.0, again.1), (200, true), "the retry is a replay");
    assert_eq!(first.2, again.2);
}

#[tokio::test]
async fn a_bad_key_is_refused_and_queries_ignore_the_header() {
    let app = TestApp::spawn().await;
    let token = app.token(&pp("pp-1"));
    let long = "k".repeat(256);
    for key in [long.as_str(), "has space"] {
        let (status, _, body) =
            post_with_key(&app, &token, key, &create_query(), draft_input("Ann")).await;
        assert_eq!(status, 400, "{key}");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(first_code(&body), "BAD_USER_INPUT");
    }
    assert_eq!(referral_count(&app).await, 0);
    // A query with a key runs as any query, every time.
    let (a, b) = (
        post_with_key(&app, &token, "q", "{ me { id } }", json!({})).await,
        post_with_key(&app, &token, "q", "{ me { id name } }", json!({})).await,
    );
    assert_eq!((a.0, a.1, b.0, b.1), (200, false, 200, false));
}

#[tokio::test]
async fn keys_are_kept_for_a_day_then_forgotten() {
    let app = TestApp::spawn().await;
    let now = Utc::now().trunc_subsecs(6);
    let claim = idempotency::claim(&app.db, "pp-1", "k", "hash-a", now)
        .await
        .unwrap();
    assert_eq!(claim, Claim::Run { claimed_at: now });
    idempotency::answer(&app.db, "pp-1", "k", now, 200, "{\"data\":1}")
        .await
        .unwrap();
    let replay = idempotency::claim(&app.db, "pp-1", "k", "hash-a", now + Duration::hours(23))
        .await
        .unwrap();
    assert_eq!(
        replay,
        Claim::Replay {
            status: 200,
            body: "{\"data\":1}".into()
        }
    );
    let reused =
        idempotency::claim(&app.db, "pp-1", "k", "hash-b", now + Duration::hours(23)).await;
    assert!(matches!(
        reused,
        Err(crs_api::error::AppError::IdempotencyKeyReused)
    ));
    // After 24 hours the key is free again, for any request.
    let later = now + Duration::hours(25);
    let fresh = idempotency::claim(&app.db, "pp-1", "k", "hash-b", later)
        .await
        .unwrap();
    assert_eq!(fresh, Claim::Run { claimed_at: later });
    // Expired keys are deleted by the daily run.
    assert_eq!(
        idempotency::prune(&app.db, later + Duration::hours(25))
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn a_claim_left_unanswered_is_taken_over_after_a_minute() {
    let app = TestApp::spawn().await;
    let now = Utc::now().trunc_subsecs(6);
    idempotency::claim(&app.db, "pp-1", "k", "hash-a", now)
        .await
        .unwrap();
    let waiting = idempotency::claim(&app.db, "pp-1", "k", "hash-a", now + Duration::seconds(5))
        .await
        .unwrap();
    assert_eq!(waiting, Claim::Running);
    let later = now + Duration::seconds(61);
    let taken = idempotency::claim(&app.db, "pp-1", "k", "hash-a", later)
        .await
        .unwrap();
    assert_eq!(taken, Claim::Run { claimed_at: later });
}

#[tokio::test]
async fn an_answer_that_says_try_again_is_not_kept() {
    let app = TestApp::spawn_with(
        crate::support::Options::default()
            .with("CRS_GRAPHQL_MAX_COMPLEXITY", "100")
            .with("CRS_RATE_LIMIT_COST_POINTS", "100")
            .with("CRS_RATE_LIMIT_COST_WINDOW_SECONDS", "3600"),
    )
    .await;
    let token = app.token(&pp("pp-1"));
    // Spend the budget.
    for _ in 0..200 {
        if app.gql(&token, "{ me { id } }", json!({})).await.0 == 429 {
            break;
        }
    }
    let (status, replayed, _) =
        post_with_key(&app, &token, "late", &create_query(), draft_input("Ann")).await;
    assert_eq!((status, replayed), (429, false));
    let kept = crs_api::db::idempotency::find(&app.db, "pp-1", "late")
        .await
        .unwrap();
    assert_eq!(kept, None, "the key is free for the retry");
    assert_eq!(referral_count(&app).await, 0);
}
