//! What the tests share. Here: `TestApp::spawn`, a real server against a fresh database, and
//! helpers to call it; `personas`: every named user and the claims builder; `steps`: the
//! journey through the API, from a draft to the end-of-service report, step by step.

pub mod nats;
pub mod node;
pub mod personas;
pub mod replica;
pub mod steps;
pub mod ws;

use std::collections::HashMap;
use std::path::PathBuf;

use crs_api::config::Settings;
use crs_api::http::auth::{Claims, mint};
use crs_api::startup::Application;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};

/// The HS256 secret of test servers.
pub const TEST_SECRET: &str = "integration-test-secret-0123456789abcdef";

/// Where the test database lives; dropped with it.
pub enum TestDatabase {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        maintenance_url: String,
        name: String,
    },
    /// Another instance's database, dropped with that instance.
    Shared,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let TestDatabase::Postgres {
            maintenance_url,
            name,
        } = self
        else {
            return;
        };
        let (url, sql) = (
            maintenance_url.clone(),
            format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        );
        // Dropping runs inside a test's runtime: use a thread with its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let db = sea_orm::Database::connect(&url).await.ok()?;
                db.execute_unprepared(&sql).await.ok()?;
                db.close().await.ok()
            })
        });
        let _ = dropped.join();
    }
}

/// The URL of database `name` on the server `url` names.
fn database_url(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

/// A fresh database: a SQLite file in a temporary folder, or a new database on the PostgreSQL
/// server `CRS_TEST_DATABASE_URL` names (an unreachable server fails the test).
pub async fn fresh_database() -> (Vec<(&'static str, String)>, TestDatabase) {
    match std::env::var("CRS_TEST_DATABASE_URL")
        .ok()
        .filter(|v| !v.is_empty())
    {
        Some(url) => {
            let name = format!("crs_test_{}", uuid::Uuid::new_v4().simple());
            let admin = sea_orm::Database::connect(&url).await.unwrap_or_else(|e| {
                panic!("CRS_TEST_DATABASE_URL is set but its server cannot be reached ({e}); start PostgreSQL or unset it")
            });
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("create test database");
            admin.close().await.expect("close");
            let vars = vec![("CRS_DATABASE_URL", database_url(&url, &name))];
            (
                vars,
                TestDatabase::Postgres {
                    maintenance_url: url,
                    name,
                },
            )
        }
        None => {
            let dir = tempfile::tempdir().expect("temporary folder");
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("crs.db").display());
            (vec![("CRS_DATABASE_URL", url)], TestDatabase::Sqlite(dir))
        }
    }
}

/// Reverts the migrations applied after `name`, and `name` itself, whatever came later.
pub async fn migrate_down_through(db: &DatabaseConnection, name: &str) {
    use migration::MigratorTrait;
    let all = migration::Migrator::migrations();
    let at = all
        .iter()
        .position(|m| m.name() == name)
        .unwrap_or_else(|| panic!("no migration {name}"));
    let steps = u32::try_from(all.len() - at).unwrap();
    migration::Migrator::down(db, Some(steps))
        .await
        .expect("migrations revert");
}

/// Whether the suite runs on PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("CRS_TEST_DATABASE_URL").is_ok_and(|v| !v.is_empty())
}

/// How to start a test server.
#[derive(Clone, Default)]
pub struct Options {
    /// Leave out the demo catalogue (by default it is imported, without demo referrals).
    pub without_demo_data: bool,
    /// Start as a developer would: the whole demo data set, referrals included.
    pub full_demo: bool,
    /// Extra `CRS_*` variables.
    pub env: Vec<(&'static str, String)>,
}

impl Options {
    /// No demo data: the reference catalogue only.
    pub fn empty() -> Self {
        Options {
            without_demo_data: true,
            ..Default::default()
        }
    }

    /// Production, with no demo data and the development issuer and audience (so the test
    /// secret's tokens verify).
    pub fn production() -> Self {
        Options::empty()
            .with("CRS_ENV", "production")
            .with("CRS_JWT_ISSUER", crs_api::config::DEVELOPMENT_JWT_ISSUER)
            .with(
                "CRS_JWT_AUDIENCE",
                crs_api::config::DEVELOPMENT_JWT_AUDIENCE,
            )
    }

    /// Adds the `CRS_*` variable `name`.
    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.env.push((name, value.into()));
        self
    }
}

/// An HTTP client. The crate's HTTP client is built without a default TLS provider (the JWKS
/// fetch uses ring, as the database driver does), so one is installed first.
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A running server.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub settings: Settings,
    pub db: DatabaseConnection,
    pub handle: actix_web::dev::ServerHandle,
    _database: TestDatabase,
}

/// Settings from `vars` over the test defaults.
pub fn settings_from(vars: &[(&'static str, String)]) -> Settings {
    let mut map: HashMap<&str, String> = HashMap::new();
    map.insert("CRS_BIND", "127.0.0.1:0".into());
    if !vars
        .iter()
        .any(|(k, _)| *k == "CRS_JWT_PUBLIC_KEY_FILE" || *k == "CRS_JWT_JWKS_URL")
    {
        map.insert("CRS_JWT_SECRET", TEST_SECRET.into());
    }
    map.insert("CRS_DATABASE_MAX_CONNECTIONS", "4".into());
    // The full demo without its generated referrals unless a test asks for them.
    map.insert("CRS_DEMO_REFERRALS", "0".into());
    for (k, v) in vars {
        map.insert(k, v.clone());
    }
    Settings::from_lookup(|name| map.get(name).cloned()).expect("test settings are valid")
}

impl TestApp {
    /// A server with the default options: the demo catalogue, no demo referrals.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(Options::default()).await
    }

    /// A server started with `options`.
    pub async fn spawn_with(options: Options) -> TestApp {
        if std::env::var_os("TEST_LOG").is_some() {
            crs_api::telemetry::init("info", false);
        }
        let (mut vars, database) = fresh_database().await;
        vars.push(("CRS_DEMO_DATA", options.full_demo.to_string()));
        vars.extend(options.env.iter().cloned());
        let settings = settings_from(&vars);
        let app = Application::build(&settings).await.unwrap_or_else(|e| {
            panic!(
                "could not start the test server: {e:#}. With CRS_TEST_DATABASE_URL set, the PostgreSQL \
                 server it names must be running (see README)."
            )
        });
        let address = format!("http://127.0.0.1:{}", app.port());
        let db = app.db().clone();
        if !options.without_demo_data && !options.full_demo {
            let services = crs_api::service::Services::new(db.clone());
            let demo = crs_api::service::catalogue_import::DEMO_CATALOGUE;
            crs_api::service::catalogue_import::import_text(&services, "demo.json", demo)
                .await
                .expect("demo catalogue");
        }
        let handle = app.handle();
        tokio::spawn(app.run_until_stopped());
        TestApp {
            address,
            client: crate::support::http_client(),
            settings,
            db,
            handle,
            _database: database,
        }
    }

    /// The PostgreSQL server's maintenance URL and the test database's name (PostgreSQL only).
    pub fn postgres_database(&self) -> Option<(String, String)> {
        match &self._database {
            TestDatabase::Postgres {
                maintenance_url,
                name,
            } => Some((maintenance_url.clone(), name.clone())),
            TestDatabase::Sqlite(_) | TestDatabase::Shared => None,
        }
    }

    /// A second server on this one's database and settings (as another instance of a
    /// deployment), without its own demo data.
    pub async fn another_instance(&self) -> TestApp {
        self.another_instance_with(self.settings.clone()).await
    }

    /// A second server on this one's database with `settings` (changed from this one's).
    pub async fn another_instance_with(&self, settings: Settings) -> TestApp {
        let app = Application::build(&settings)
            .await
            .expect("a second instance starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        let db = app.db().clone();
        let handle = app.handle();
        tokio::spawn(app.run_until_stopped());
        TestApp {
            address,
            client: crate::support::http_client(),
            db,
            handle,
            settings,
            _database: TestDatabase::Shared,
        }
    }

    /// A token for `claims` that the server refuses `seconds` from now: it expired already,
    /// and is accepted only within the allowed clock skew.
    pub fn token_refused_in(&self, claims: &Claims, seconds: u64) -> String {
        let now = jsonwebtoken::get_current_timestamp();
        let exp = now + seconds - crs_api::http::auth::LEEWAY_SECONDS;
        crs_api::http::auth::mint_expiring_at(&self.settings.jwt, claims, exp).expect("mint")
    }

    /// A token for `claims` signed with the test secret.
    pub fn token(&self, claims: &Claims) -> String {
        mint(&self.settings.jwt, claims, 3600).expect("mint")
    }

    /// POSTs a GraphQL operation; returns the response as it came.
    pub async fn post_graphql(
        &self,
        token: &str,
        query: &str,
        variables: Value,
    ) -> reqwest::Response {
        self.client
            .post(format!("{}/graphql", self.address))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request")
    }

    /// POSTs a GraphQL operation; returns the HTTP status and the JSON body.
    pub async fn gql(&self, token: &str, query: &str, variables: Value) -> (u16, Value) {
        let response = self.post_graphql(token, query, variables).await;
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// `data` of a successful operation; panics with the errors otherwise.
    pub async fn data(&self, token: &str, query: &str, variables: Value) -> Value {
        let (status, body) = self.gql(token, query, variables).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// `GET path` without a token.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request")
    }

    /// The body of `GET path`.
    pub async fn get_text(&self, path: &str) -> String {
        self.get(path).await.text().await.expect("body")
    }

    /// The SQL statements counted on `/metrics` so far.
    pub async fn statements(&self) -> u64 {
        let text = self.get_text("/metrics").await;
        text.lines()
            .find_map(|l| l.strip_prefix("crs_db_statements_total "))
            .and_then(|v| v.trim().parse().ok())
            .expect("statement counter on /metrics")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        drop(handle.stop(false));
    }
}

/// The test server's database, as the `crs-api` commands are told it.
pub fn database_of(app: &TestApp) -> Vec<(&'static str, String)> {
    use secrecy::ExposeSecret;
    vec![(
        "CRS_DATABASE_URL",
        app.settings.database.url.expose_secret().to_owned(),
    )]
}

/// The code of the first error.
pub fn first_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
}

/// The path of a file in `tests/fixtures`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}
