//! The provider dashboard executed in process (schema, service, SQL on SQLite), so a slowdown
//! in any layer shows without a server or a load generator: `cargo bench --bench dashboard`.
//!
//! The database is a synthetic data set of 3,000 referrals; the caller is the caseworker with the
//! most contracts, and the page is the benchmark harness's dashboard query (`support`).
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    missing_debug_implementations
)]

mod support;

use criterion::{Criterion, criterion_group, criterion_main};

fn dashboard(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let setup = runtime.block_on(support::setup(3_000));
    c.bench_function(
        "provider dashboard, 20 rows (in process, SQLite, 3,000 referrals)",
        |b| {
            b.to_async(&runtime).iter(|| async {
                let response = support::dashboard(&setup).await;
                assert!(response.errors.is_empty(), "{:?}", response.errors);
                response
            });
        },
    );
}

criterion_group!(benches, dashboard);
criterion_main!(benches);
