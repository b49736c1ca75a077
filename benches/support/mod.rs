//! The in-process provider dashboard shared by the Criterion benchmark (`benches/dashboard.rs`)
//! and the instruction-count gate (`bench/dashboard_instructions.rs`): a synthetic data set on
//! SQLite, the caseworker with the most contracts, and the benchmark harness's dashboard query.
#![allow(clippy::expect_used, clippy::unwrap_used, dead_code)]

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use crs_api::config::Settings;
use crs_api::domain::actor::Caller;
use crs_api::domain::actor::Principal;
use crs_api::graphql::{self, CrsSchema};
use crs_api::service::{self, Services, seed};
use crs_api::synthetic::{ALL_REGIONS, Options};
use sea_orm::{ConnectionTrait, Statement};

/// The benchmark harness's dashboard query (`bench/run`'s `DASHBOARD`).
pub const DASHBOARD: &str = "query BenchDashboard($first: Int) { referrals(first: $first) { totalCount \
    pageInfo { hasNextPage endCursor } edges { node { id reference status sentAt \
    serviceUser { crn firstName lastName } assignedTo { id name } \
    intervention { title contract { reference primeProvider { name } subcontractors { name } } } } } } }";

/// A migrated, seeded database and the caller whose dashboard is run.
pub struct Setup {
    pub schema: CrsSchema,
    pub services: Services,
    pub caller: Caller,
    _folder: tempfile::TempDir,
}

/// A SQLite database in a temporary folder holding `referrals` synthetic referrals (seed 1),
/// and the provider user with the most contracts.
pub async fn setup(referrals: u64) -> Setup {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let url = format!(
        "sqlite://{}?mode=rwc",
        folder.path().join("bench.db").display()
    );
    let settings = Settings::from_lookup(|name| match name {
        "CRS_DATABASE_URL" => Some(url.clone()),
        "CRS_JWT_SECRET" => Some("benchmark-secret-0123456789abcdef0123".into()),
        _ => None,
    })
    .expect("settings");
    let db = crs_api::db::connect(&settings.database, Arc::new(|_| {}))
        .await
        .expect("database");
    crs_api::db::migrate(&db).await.expect("migrations");
    // Rows kept across requests for a day, not the default 30 s: under callgrind the counted
    // dashboards take longer than that, and expiry would make their work depend on the clock.
    let services = Services::new(db.clone()).with_scope_ttl(Duration::from_secs(86_400));
    let options = Options {
        referrals,
        seed: 1,
        as_of: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
        regions: ALL_REGIONS,
    };
    seed::synthetic(&services, options, |_| {})
        .await
        .expect("synthetic data");
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id, groups FROM app_user WHERE id LIKE 'sp-%' ORDER BY length(groups) DESC, id",
        ))
        .await
        .unwrap()
        .unwrap();
    let id: String = row.try_get_by_index(0).unwrap();
    let groups: Vec<String> =
        serde_json::from_str(&row.try_get_by_index::<String>(1).unwrap()).unwrap();
    let principal = Principal::new(
        id,
        None,
        None,
        ["ROLE_CRS_PROVIDER"],
        groups.iter().map(String::as_str),
    );
    let scope = service::viewer::resolve(&services, &principal)
        .await
        .expect("scope");
    Setup {
        schema: graphql::build(services.clone(), settings.limits, true, None),
        services,
        caller: Caller { principal, scope },
        _folder: folder,
    }
}

/// One dashboard of 20 rows through the executor, as `POST /graphql` runs it.
pub async fn dashboard(setup: &Setup) -> async_graphql::Response {
    let request = async_graphql::Request::new(DASHBOARD).variables(
        async_graphql::Variables::from_json(serde_json::json!({ "first": 20 })),
    );
    graphql::execute(
        &setup.schema,
        &setup.services,
        setup.caller.clone(),
        request,
        None,
    )
    .await
}
