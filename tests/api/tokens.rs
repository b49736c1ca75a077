//! Development tokens: `crs-api token` warns when the server would refuse what it mints,
//! `token --like USER` copies a recorded user's roles and groups, and the banner offers only the
//! demo tokens the database would accept.

use serde_json::json;

use crate::import::cli;
use crate::support::personas::harbour;
use crate::support::{Options, TEST_SECRET, TestApp, database_of};

const ME: &str = "{ me { id roles contracts { reference } } }";

fn with_secret(app: &TestApp) -> Vec<(&'static str, String)> {
    let mut vars = database_of(app);
    vars.push(("CRS_JWT_SECRET", TEST_SECRET.to_owned()));
    vars
}

#[tokio::test]
async fn token_warns_exactly_when_the_server_would_refuse_the_token() {
    let app = TestApp::spawn().await;
    let vars = with_secret(&app);
    let (ok, token, err) = cli(
        &vars,
        &[
            "token",
            "--role",
            "provider",
            "--provider",
            "HARBOUR_LIGHT",
            "--contract",
            "CRS-ACC-J-01",
        ],
    );
    assert!(ok, "{err}");
    assert!(!err.contains("warning"), "{err}");
    let (status, body) = app.gql(token.trim(), ME, json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["errors"].is_null(), "{body}");

    let (ok, token, err) = cli(
        &vars,
        &[
            "token",
            "--role",
            "provider",
            "--provider",
            "NO_SUCH_PROVIDER",
        ],
    );
    assert!(ok, "the token is still printed: {err}");
    assert!(
        err.contains("warning: the server would refuse this token on this database"),
        "{err}"
    );
    let (_, body) = app.gql(token.trim(), ME, json!({})).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
}

#[tokio::test]
async fn token_like_a_recorded_user_carries_their_groups() {
    let app = TestApp::spawn().await;
    let original = app
        .data(&app.token(&harbour("sp-like")), ME, json!({}))
        .await;
    let vars = with_secret(&app);
    let (ok, token, err) = cli(&vars, &["token", "--like", "sp-like"]);
    assert!(ok, "{err}");
    assert!(!err.contains("warning"), "{err}");
    let copy = app.data(token.trim(), ME, json!({})).await;
    assert_eq!(copy, original);

    let (ok, _, err) = cli(&vars, &["token", "--like", "nobody-recorded"]);
    assert!(!ok);
    assert!(err.contains("no user nobody-recorded is recorded"), "{err}");
    let (ok, _, err) = cli(
        &vars,
        &["token", "--like", "sp-like", "--role", "probation"],
    );
    assert!(!ok, "--like and --role together are refused: {err}");
}

#[tokio::test]
async fn the_banner_offers_only_the_demo_tokens_this_database_accepts() {
    // Without the demo catalogue (as after `seed synthetic`) the demo providers are unknown.
    let app = TestApp::spawn_with(Options::empty()).await;
    let services = crs_api::service::Services::new(app.db.clone());
    let tokens = crs_api::demo::working_tokens(&services, &app.settings.jwt)
        .await
        .expect("tokens");
    for (label, token) in &tokens {
        let provider = label.starts_with("provider user");
        assert_eq!(token.is_err(), provider, "{label}: {token:?}");
        if let Ok(token) = token {
            let (status, body) = app.gql(token, ME, json!({})).await;
            assert!(status == 200 && body["errors"].is_null(), "{label}: {body}");
        }
    }
    // With it, every one is offered, and works.
    let app = TestApp::spawn().await;
    let services = crs_api::service::Services::new(app.db.clone());
    for (label, token) in crs_api::demo::working_tokens(&services, &app.settings.jwt)
        .await
        .expect("tokens")
    {
        let token = token.unwrap_or_else(|e| panic!("{label}: {e}"));
        let (_, body) = app.gql(&token, ME, json!({})).await;
        assert!(body["errors"].is_null(), "{label}: {body}");
    }
}

/// The README's walkthrough: seed synthetic, then serve in development (demo data on). The
/// demo referrals need the demo catalogue, which this database does not hold: the server starts
/// without them instead of failing to.
#[tokio::test]
async fn a_development_server_starts_on_a_seeded_database() {
    let seeded = TestApp::spawn_with(Options::empty()).await;
    crate::synthetic::seed(&seeded, 200).await;
    let mut vars = database_of(&seeded);
    vars.push(("CRS_DEMO_DATA", "true".to_owned()));
    let settings = crate::support::settings_from(&vars);
    let app = crs_api::startup::Application::build(&settings)
        .await
        .expect("the development server starts on the seeded database");
    let services = crs_api::service::Services::new(app.db().clone());
    let offered: Vec<bool> = crs_api::demo::working_tokens(&services, &settings.jwt)
        .await
        .expect("tokens")
        .iter()
        .map(|(_, token)| token.is_ok())
        .collect();
    assert_eq!(offered, [true, false, false, false, true, true]);
}

/// Demo tokens are handed out by the pages only where the demo data is: a development server
/// without it (a shared test environment, say) offers none.
#[tokio::test]
async fn without_demo_data_the_pages_offer_no_token() {
    let app = TestApp::spawn_with(Options::empty().with("CRS_DEMO_DATA", "false")).await;
    let graphiql = app.get_text("/graphql").await;
    assert!(graphiql.contains(r#""headers":null"#), "{graphiql}");
    assert!(!graphiql.contains("Bearer"), "{graphiql}");
    let reports = app.get_text("/reports").await;
    assert!(reports.contains(r#""demoToken":null"#), "{reports}");
}
