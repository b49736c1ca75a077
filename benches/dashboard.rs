//! The provider dashboard executed in process (schema, service, SQL on SQLite), so a slowdown
//! in any layer shows without a server or a load generator: `cargo bench --bench dashboard`.
//!
//! The database is a synthetic data set of 3,000 referrals; the caller is the caseworker with the
//! most contracts, and the page is the benchmark harness's dashboard query.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    missing_debug_implementations
)]

use std::sync::Arc;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use crs_api::config::Settings;
use crs_api::domain::actor::Caller;
use crs_api::domain::actor::Principal;
use crs_api::graphql::{self, CrsSchema};
use crs_api::service::{self, Services, seed};
use crs_api::synthetic::{ALL_REGIONS, Options};
use sea_orm::{ConnectionTrait, Statement};

const DASHBOARD: &str = "query BenchDashboard($first: Int) { referrals(first: $first) { totalCount \
    pageInfo { hasNextPage endCursor } edges { node { id reference status sentAt \
    serviceUser { crn firstName lastName } assignedTo { id name } \
    intervention { title contract { reference primeProvider { name } subcontractors { name } } } } } } }";

struct Setup {
    schema: CrsSchema,
    services: Services,
    caller: Caller,
    _folder: tempfile::TempDir,
}

async fn setup() -> Setup {
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
    let services = Services::new(db.clone());
    let options = Options {
        referrals: 3_000,
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

fn dashboard(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let setup = runtime.block_on(setup());
    c.bench_function(
        "provider dashboard, 20 rows (in process, SQLite, 3,000 referrals)",
        |b| {
            b.to_async(&runtime).iter(|| async {
                let request = async_graphql::Request::new(DASHBOARD).variables(
                    async_graphql::Variables::from_json(serde_json::json!({ "first": 20 })),
                );
                let response = graphql::execute(
                    &setup.schema,
                    &setup.services,
                    setup.caller.clone(),
                    request,
                    None,
                )
                .await;
                assert!(response.errors.is_empty(), "{:?}", response.errors);
                response
            });
        },
    );
}

criterion_group!(benches, dashboard);
criterion_main!(benches);
