//! Keys from the identity provider's JWKS URL (S4), against a stub JWKS server on loopback:
//! fetched at start, a new `kid` picked up without a restart, a removed key refused after the
//! next refresh, unknown `kid`s causing at most one fetch a minute, and the cached keys kept
//! while the endpoint is down.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode, get_current_timestamp};
use serde_json::{Value, json};

use crate::support::{Options, TestApp, fixture};
use crs_api::config::{DEVELOPMENT_JWT_AUDIENCE, DEVELOPMENT_JWT_ISSUER};

/// What the stub serves, and how often it was asked.
#[derive(Clone, Default)]
struct Served {
    keys: Arc<Mutex<Vec<Value>>>,
    down: Arc<AtomicBool>,
    fetches: Arc<AtomicUsize>,
}

struct StubJwks {
    url: String,
    served: Served,
    handle: actix_web::dev::ServerHandle,
}

impl StubJwks {
    async fn start(keys: Vec<Value>) -> StubJwks {
        let served = Served::default();
        *served.keys.lock().unwrap() = keys;
        let state = served.clone();
        let server = HttpServer::new(move || {
            App::new().app_data(web::Data::new(state.clone())).route(
                "/.well-known/jwks.json",
                web::get().to(|served: web::Data<Served>| async move {
                    served.fetches.fetch_add(1, Ordering::SeqCst);
                    if served.down.load(Ordering::SeqCst) {
                        return HttpResponse::ServiceUnavailable().body("down for maintenance");
                    }
                    let keys = served.keys.lock().unwrap().clone();
                    HttpResponse::Ok().json(json!({ "keys": keys }))
                }),
            )
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        StubJwks {
            url: format!("http://127.0.0.1:{port}/.well-known/jwks.json"),
            served,
            handle,
        }
    }

    fn serve(&self, keys: Vec<Value>) {
        *self.served.keys.lock().unwrap() = keys;
    }

    fn fetches(&self) -> usize {
        self.served.fetches.load(Ordering::SeqCst)
    }
}

impl Drop for StubJwks {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

/// The public key of fixture key `n` (1 or 2) as a JWK.
fn jwk(n: u8) -> Value {
    let file = if n == 1 {
        "test-jwks.json"
    } else {
        "test-jwks-2.json"
    };
    let set: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture(file)).unwrap()).unwrap();
    set["keys"][0].clone()
}

/// A token signed with fixture key `n`, naming `kid`.
fn token(n: u8, kid: &str) -> String {
    let file = if n == 1 {
        "test-rs256-private.pem"
    } else {
        "test-rs256-private-2.pem"
    };
    let pem = std::fs::read(fixture(file)).unwrap();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    let claims = json!({
        "sub": "pp-1",
        "iss": DEVELOPMENT_JWT_ISSUER,
        "aud": DEVELOPMENT_JWT_AUDIENCE,
        "exp": get_current_timestamp() + 600,
        "authorities": ["ROLE_PROBATION"],
    });
    encode(&header, &claims, &EncodingKey::from_rsa_pem(&pem).unwrap()).unwrap()
}

async fn status(app: &TestApp, token: &str) -> u16 {
    app.gql(token, "{ me { id } }", json!({})).await.0
}

async fn app_on(stub: &StubJwks, refresh_seconds: u64) -> TestApp {
    TestApp::spawn_with(
        Options::empty()
            .with("CRS_JWT_JWKS_URL", stub.url.clone())
            .with("CRS_JWT_JWKS_REFRESH_SECONDS", refresh_seconds.to_string()),
    )
    .await
}

/// Waits (looking at most 100 times) until `token` gets `expected`.
async fn eventually(app: &TestApp, token: &str, expected: u16) -> bool {
    for _ in 0..100 {
        if status(app, token).await == expected {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn a_new_key_is_picked_up_without_a_restart_and_unknown_kids_fetch_at_most_once_a_minute() {
    let stub = StubJwks::start(vec![jwk(1)]).await;
    let app = app_on(&stub, 3600).await;
    assert_eq!(stub.fetches(), 1, "fetched at start");
    assert_eq!(status(&app, &token(1, "test-key-1")).await, 200);
    assert_eq!(stub.fetches(), 1, "known keys are served from the cache");

    // Rotation, step one: the identity provider serves both keys and signs with the new one.
    stub.serve(vec![jwk(1), jwk(2)]);
    assert_eq!(
        status(&app, &token(2, "test-key-2")).await,
        200,
        "the new kid is fetched"
    );
    assert_eq!(stub.fetches(), 2);
    assert_eq!(
        status(&app, &token(1, "test-key-1")).await,
        200,
        "the old key still works"
    );

    // Forged kids: refused, and no more than one fetch a minute between them.
    for n in 0..20 {
        assert_eq!(status(&app, &token(1, &format!("forged-{n}"))).await, 401);
    }
    assert!(stub.fetches() <= 3, "{} fetches", stub.fetches());
}

#[tokio::test]
async fn a_key_removed_by_the_identity_provider_stops_working_at_the_next_refresh() {
    let stub = StubJwks::start(vec![jwk(1), jwk(2)]).await;
    let app = app_on(&stub, 1).await;
    assert_eq!(status(&app, &token(1, "test-key-1")).await, 200);
    // Rotation, step two: the old key is removed.
    stub.serve(vec![jwk(2)]);
    assert!(
        eventually(&app, &token(1, "test-key-1"), 401).await,
        "the old key is refused once removed"
    );
    assert_eq!(status(&app, &token(2, "test-key-2")).await, 200);
}

#[tokio::test]
async fn an_endpoint_that_is_down_leaves_the_cached_keys_in_use() {
    let stub = StubJwks::start(vec![jwk(1)]).await;
    let app = app_on(&stub, 1).await;
    stub.served.down.store(true, Ordering::SeqCst);
    let before = stub.fetches();
    // Wait for two failed refreshes.
    for _ in 0..100 {
        if stub.fetches() >= before + 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(stub.fetches() >= before + 2, "refreshes were attempted");
    assert_eq!(
        status(&app, &token(1, "test-key-1")).await,
        200,
        "the cached key still works"
    );
    // Garbage instead of a key set changes nothing either.
    stub.served.down.store(false, Ordering::SeqCst);
    stub.serve(vec![json!({ "kty": "nonsense" })]);
    // Two more fetches: the first answered with garbage has then been read (fetches are one
    // after another).
    let before = stub.fetches();
    for _ in 0..100 {
        if stub.fetches() >= before + 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(stub.fetches() >= before + 2);
    assert_eq!(status(&app, &token(1, "test-key-1")).await, 200);
}

#[tokio::test]
async fn an_unreachable_jwks_url_at_start_is_a_clear_start_up_error() {
    let (vars, _database) = crate::support::fresh_database().await;
    let mut vars = vars;
    vars.push(("CRS_JWT_JWKS_URL", "http://127.0.0.1:9/jwks.json".into()));
    let settings = crate::support::settings_from(&vars);
    let error = crs_api::startup::Application::build(&settings)
        .await
        .err()
        .map(|e| format!("{e:#}"))
        .unwrap_or_default();
    assert!(error.contains("CRS_JWT_JWKS_URL"), "{error}");
}
