//! Logging: JSON lines in production, readable lines in development. Log ids, never personal
//! data.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. `filter` uses `tracing` env-filter syntax; noisy database
/// crates are kept at `warn` unless named.
pub fn init(filter: &str, json: bool) {
    let filter = EnvFilter::try_new(format!(
        "{filter},sqlx=warn,sea_orm=warn,sea_orm_migration=warn"
    ))
    .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init()
    } else {
        builder.compact().try_init()
    };
    // A subscriber already installed (tests) is fine.
    drop(result);
}
