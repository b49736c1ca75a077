//! Token refusals (contract section 2): every bad token is HTTP 401 `UNAUTHENTICATED`.

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode, get_current_timestamp};
use serde_json::{Value, json};

use crate::support::{Options, TEST_SECRET, TestApp, first_code, fixture};
use crs_api::config::{DEVELOPMENT_JWT_AUDIENCE, DEVELOPMENT_JWT_ISSUER};

const ME: &str = "{ me { id roles } }";

fn valid_claims() -> Value {
    json!({
        "sub": "pp-1",
        "iss": DEVELOPMENT_JWT_ISSUER,
        "aud": DEVELOPMENT_JWT_AUDIENCE,
        "exp": get_current_timestamp() + 600,
        "authorities": ["ROLE_PROBATION"],
    })
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

fn without(mut claims: Value, key: &str) -> Value {
    claims.as_object_mut().unwrap().remove(key);
    claims
}

fn hs256(claims: &Value, secret: &[u8]) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

fn rs256(claims: &Value, kid: Option<&str>) -> String {
    let pem = std::fs::read(fixture("test-rs256-private.pem")).unwrap();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = kid.map(str::to_owned);
    encode(&header, claims, &EncodingKey::from_rsa_pem(&pem).unwrap()).unwrap()
}

async fn assert_refused(app: &TestApp, token: &str) {
    let (status, body) = app.gql(token, ME, json!({})).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(first_code(&body), "UNAUTHENTICATED");
    assert!(body["data"].is_null());
}

async fn assert_accepted(app: &TestApp, token: &str) {
    let data = app.data(token, ME, json!({})).await;
    assert_eq!(data["me"]["id"], "pp-1");
}

#[tokio::test]
async fn a_valid_token_is_accepted() {
    let app = TestApp::spawn_with(Options::empty()).await;
    assert_accepted(&app, &hs256(&valid_claims(), TEST_SECRET.as_bytes())).await;
}

#[tokio::test]
async fn no_token_is_refused() {
    let app = TestApp::spawn_with(Options::empty()).await;
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!({ "query": ME }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    assert_eq!(
        response.headers().get("www-authenticate").unwrap(),
        "Bearer"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(first_code(&body), "UNAUTHENTICATED");
}

#[tokio::test]
async fn a_malformed_token_is_refused() {
    let app = TestApp::spawn_with(Options::empty()).await;
    assert_refused(&app, "not-a.jwt").await;
}

#[tokio::test]
async fn a_bad_signature_is_refused() {
    let app = TestApp::spawn_with(Options::empty()).await;
    assert_refused(
        &app,
        &hs256(&valid_claims(), b"some-other-secret-some-other-secret"),
    )
    .await;
}

#[tokio::test]
async fn alg_none_is_refused() {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let app = TestApp::spawn_with(Options::empty()).await;
    let token = format!(
        "{}.{}.",
        b64(&json!({ "alg": "none", "typ": "JWT" }).to_string()),
        b64(&valid_claims().to_string())
    );
    assert_refused(&app, &token).await;
}

#[tokio::test]
async fn hs256_signed_with_the_rs256_public_key_is_refused() {
    let app = TestApp::spawn_with(Options::empty().with(
        "CRS_JWT_PUBLIC_KEY_FILE",
        fixture("test-rs256-public.pem").display().to_string(),
    ))
    .await;
    let public_pem = std::fs::read(fixture("test-rs256-public.pem")).unwrap();
    assert_refused(&app, &hs256(&valid_claims(), &public_pem)).await;
    assert_accepted(&app, &rs256(&valid_claims(), None)).await;
}

#[tokio::test]
async fn jwks_keys_are_chosen_by_kid() {
    let app = TestApp::spawn_with(Options::empty().with(
        "CRS_JWT_PUBLIC_KEY_FILE",
        fixture("test-jwks.json").display().to_string(),
    ))
    .await;
    assert_accepted(&app, &rs256(&valid_claims(), Some("test-key-1"))).await;
    assert_refused(&app, &rs256(&valid_claims(), Some("unknown-key"))).await;
    assert_refused(&app, &rs256(&valid_claims(), None)).await;
}

#[tokio::test]
async fn a_token_expired_beyond_the_leeway_is_refused() {
    let app = TestApp::spawn_with(Options::empty()).await;
    let claims = with(valid_claims(), "exp", json!(get_current_timestamp() - 120));
    assert_refused(&app, &hs256(&claims, TEST_SECRET.as_bytes())).await;
}

#[tokio::test]
async fn a_token_expired_within_the_leeway_is_accepted() {
    let app = TestApp::spawn_with(Options::empty()).await;
    let claims = with(valid_claims(), "exp", json!(get_current_timestamp() - 30));
    assert_accepted(&app, &hs256(&claims, TEST_SECRET.as_bytes())).await;
}

#[tokio::test]
async fn a_token_not_yet_valid_is_refused() {
    let app = TestApp::spawn_with(Options::empty()).await;
    let claims = with(valid_claims(), "nbf", json!(get_current_timestamp() + 120));
    assert_refused(&app, &hs256(&claims, TEST_SECRET.as_bytes())).await;
}

#[tokio::test]
async fn tokens_missing_a_required_claim_are_refused() {
    let app = TestApp::spawn_with(Options::empty()).await;
    for claim in ["exp", "iss", "aud", "sub", "authorities"] {
        let token = hs256(&without(valid_claims(), claim), TEST_SECRET.as_bytes());
        let (status, body) = app.gql(&token, ME, json!({})).await;
        assert_eq!(
            (status, first_code(&body)),
            (401, "UNAUTHENTICATED"),
            "missing {claim}: {body}"
        );
    }
}

#[tokio::test]
async fn a_wrong_issuer_is_refused() {
    let app = TestApp::spawn_with(Options::empty()).await;
    let claims = with(valid_claims(), "iss", json!("https://someone-else.example"));
    assert_refused(&app, &hs256(&claims, TEST_SECRET.as_bytes())).await;
}

#[tokio::test]
async fn a_wrong_audience_is_refused() {
    let app = TestApp::spawn_with(Options::empty()).await;
    let claims = with(valid_claims(), "aud", json!("another-api"));
    assert_refused(&app, &hs256(&claims, TEST_SECRET.as_bytes())).await;
}

#[tokio::test]
async fn a_token_in_the_query_string_is_ignored() {
    let app = TestApp::spawn_with(Options::empty()).await;
    let token = hs256(&valid_claims(), TEST_SECRET.as_bytes());
    for parameter in ["access_token", "token", "authorization"] {
        let response = app
            .client
            .post(format!("{}/graphql?{parameter}={token}", app.address))
            .json(&json!({ "query": ME }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 401, "{parameter}");
    }
}

#[tokio::test]
async fn users_are_recorded_on_first_sight() {
    use crs_api::db::users;
    use crs_api::domain::actor::UserId;
    let app = TestApp::spawn_with(Options::empty()).await;
    let id = UserId("pp-1".into());
    assert_eq!(users::find(&app.db, &id).await.unwrap(), None);
    let claims = with(valid_claims(), "name", json!("Alex Example"));
    assert_accepted(&app, &hs256(&claims, TEST_SECRET.as_bytes())).await;
    let recorded = users::find(&app.db, &id).await.unwrap().expect("recorded");
    assert_eq!(recorded.name.as_deref(), Some("Alex Example"));
    let renamed = with(valid_claims(), "name", json!("Alex Renamed"));
    assert_accepted(&app, &hs256(&renamed, TEST_SECRET.as_bytes())).await;
    let recorded = users::find(&app.db, &id).await.unwrap().expect("recorded");
    assert_eq!(recorded.name.as_deref(), Some("Alex Renamed"));
}

#[tokio::test]
async fn a_token_with_none_of_our_roles_reaches_only_me() {
    let app = TestApp::spawn_with(Options::empty()).await;
    let claims = with(
        valid_claims(),
        "authorities",
        json!(["ROLE_SOMETHING_ELSE"]),
    );
    let token = hs256(&claims, TEST_SECRET.as_bytes());
    let data = app.data(&token, ME, json!({})).await;
    assert_eq!(data["me"]["roles"], json!([]));
    let (status, body) = app.gql(&token, "{ regions { code } }", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(first_code(&body), "FORBIDDEN");
}

fn hs256_typed(claims: &Value, typ: Option<&str>) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.typ = typ.map(str::to_owned);
    encode(
        &header,
        claims,
        &EncodingKey::from_secret(TEST_SECRET.as_bytes()),
    )
    .unwrap()
}

/// RFC 8725 3.11: a well-signed token of another type (a refresh token, an encrypted token)
/// is not an access token.
#[tokio::test]
async fn a_token_typed_as_anything_but_an_access_token_is_refused() {
    let app = TestApp::spawn().await;
    for typ in ["refresh+jwt", "JWE", "JOSE", "id_token", ""] {
        assert_refused(&app, &hs256_typed(&valid_claims(), Some(typ))).await;
    }
    for typ in [
        None,
        Some("JWT"),
        Some("jwt"),
        Some("at+jwt"),
        Some("application/at+jwt"),
    ] {
        assert_accepted(&app, &hs256_typed(&valid_claims(), typ)).await;
    }
}
