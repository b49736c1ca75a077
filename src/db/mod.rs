//! All sea-orm code: connecting, migrating, entities, and the queries behind the service layer.
//! Functions here return domain types, never entities.

pub mod any_of;
pub mod bulk;
pub mod catalogue;
pub mod change_log;
pub mod dashboard;
pub mod delivery;
pub mod entities;
pub mod failure;
pub mod idempotency;
pub mod import;
pub mod notifications;
pub mod outbox;
pub mod outcome_report;
mod positional;
pub mod read_audit;
pub mod referral_rows;
pub mod referrals;
pub mod retention;
pub mod scope;
pub mod users;
pub mod work_queue;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
    TransactionTrait,
};
use secrecy::ExposeSecret;

use crate::config::DatabaseSettings;

/// First key of the PostgreSQL advisory lock held while migrating ("crsm"); the second key is
/// a hash of the current schema, so separate schemas migrate independently.
const MIGRATION_LOCK_KEY: i32 = 0x6372_736d;

/// First key of the PostgreSQL advisory lock held while an instance prepares the database on
/// start (migrations, the report's facts, the demo data: "crss").
const STARTUP_LOCK_KEY: i32 = 0x6372_7373;

/// How long a pooled connection may sit idle before it is pinged on checkout.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(30);

/// Called once for every SQL statement run, with the statement (the server counts them on
/// `/metrics`; the benchmark's capture tool records them).
pub type OnStatement = Arc<dyn Fn(&Statement) + Send + Sync>;

/// A database that could not be opened, said once: sea-orm's error repeats the driver's
/// message as its source, which `{:#}` would print a second time.
fn unreachable(error: sea_orm::DbErr) -> anyhow::Error {
    let cause = match &error {
        sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(sqlx)) => sqlx.to_string(),
        other => other.to_string(),
    };
    anyhow::anyhow!("connecting to the database: {cause}")
}

/// Opens the database: creates the SQLite file's folder, turns on WAL and a busy timeout, or
/// selects the configured PostgreSQL schema (creating it if needed).
/// How many connections a pool has open and idle, and the most it may open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolStatus {
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

/// The status of `db`'s pool.
pub fn pool_status(db: &DatabaseConnection) -> PoolStatus {
    fn of<D: sea_orm::sqlx::Database>(pool: &sea_orm::sqlx::Pool<D>) -> PoolStatus {
        PoolStatus {
            open: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
        }
    }
    match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => of(db.get_postgres_connection_pool()),
        _ => of(db.get_sqlite_connection_pool()),
    }
}

pub async fn connect(
    settings: &DatabaseSettings,
    on_statement: OnStatement,
) -> anyhow::Result<DatabaseConnection> {
    let url = settings.url.expose_secret().to_owned();
    if !settings.is_postgres() {
        create_sqlite_folder(&url)?;
    }
    if let Some(schema) = settings
        .schema
        .as_deref()
        .filter(|_| settings.is_postgres())
    {
        let db = Database::connect(&url).await.map_err(unreachable)?;
        db.execute_unprepared(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
            .await
            .context("creating the database schema")?;
        db.close().await.context("closing the setup connection")?;
    }
    open_pool(settings, url, on_statement).await
}

/// Opens the read replica of `settings` (`CRS_DATABASE_REPLICA_URL`), if one is configured:
/// the same pool settings and schema as the primary, nothing created (a standby is read-only).
pub async fn connect_replica(
    settings: &DatabaseSettings,
    on_statement: OnStatement,
) -> anyhow::Result<Option<DatabaseConnection>> {
    let Some(url) = &settings.replica_url else {
        return Ok(None);
    };
    let replica = open_pool(settings, url.expose_secret().to_owned(), on_statement)
        .await
        .context("the read replica (CRS_DATABASE_REPLICA_URL)")?;
    Ok(Some(replica))
}

/// A pool on `url` with the connection settings of `settings`.
async fn open_pool(
    settings: &DatabaseSettings,
    url: String,
    on_statement: OnStatement,
) -> anyhow::Result<DatabaseConnection> {
    let busy_timeout = settings.statement_timeout;
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(settings.max_connections)
        .min_connections(1)
        .acquire_timeout(settings.acquire_timeout)
        .connect_timeout(settings.acquire_timeout)
        // A busy connection is known to be alive: only one idle for a while is checked before
        // use (a ping on every checkout is a round trip per statement).
        .test_before_acquire_if_idle_for(IDLE_BEFORE_PING)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(move |opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                // SQLite has no statement timeout: the longest wait is for a lock.
                .busy_timeout(busy_timeout)
                .foreign_keys(true)
        });
    if settings.is_postgres() {
        options.statement_timeout(settings.statement_timeout);
        // The request statements are indexed look-ups whose plans do not depend on the values
        // bound; planning each execution again (PostgreSQL's default for statements whose
        // generic plan it estimates dearer) cost more CPU than running them. The reports'
        // statements are written so their generic plans hold too (contracts joined as VALUES).
        // JIT compiling a report's aggregate took 80–100 ms at a million referrals and never
        // paid back; the other statements are too small to be compiled at all.
        // A session left idle inside a transaction (a client gone mid-transaction) is ended
        // by the server, so its locks and its pooled connection are not held for ever.
        let idle_in_transaction = format!("{}ms", settings.idle_in_transaction_timeout.as_millis());
        options.map_sqlx_postgres_opts(move |opts| {
            opts.options([
                ("plan_cache_mode", "force_generic_plan"),
                ("jit", "off"),
                (
                    "idle_in_transaction_session_timeout",
                    idle_in_transaction.as_str(),
                ),
            ])
        });
        if let Some(schema) = &settings.schema {
            options.set_schema_search_path(schema.clone());
        }
    }
    let mut db = Database::connect(options).await.map_err(unreachable)?;
    db.set_metric_callback(move |info| on_statement(info.statement));
    Ok(db)
}

fn create_sqlite_folder(url: &str) -> anyhow::Result<()> {
    let path = url
        .trim_start_matches("sqlite:")
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(parent) = std::path::Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating the folder {}", parent.display()))?;
    }
    Ok(())
}

/// Applies pending migrations. On PostgreSQL they run inside one transaction that holds an
/// advisory lock, so instances that start together migrate once, one after the other, and a
/// failed migration leaves nothing behind; one connection is enough.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        let txn = db
            .begin()
            .await
            .context("starting the migration transaction")?;
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))",
            [MIGRATION_LOCK_KEY.into()],
        ))
        .await
        .context("taking the migration lock")?;
        // Migrations may rewrite large tables: no statement limit for them.
        txn.execute_unprepared("SET LOCAL statement_timeout = 0")
            .await
            .context("lifting the statement timeout for migrations")?;
        Migrator::up(&txn, None)
            .await
            .context("applying migrations")?;
        txn.commit().await.context("committing migrations")
    } else {
        // One transaction, so every statement runs on one connection and sees the schema the
        // one before it left (a table rebuild renames and re-creates indexes).
        let txn = db
            .begin()
            .await
            .context("starting the migration transaction")?;
        Migrator::up(&txn, None)
            .await
            .context("applying migrations")?;
        txn.commit().await.context("committing migrations")
    }
}

/// Held while one instance prepares the database on start: on PostgreSQL a session advisory
/// lock on a connection of its own, so instances started together on one database migrate and
/// seed one after the other (the later ones find the work done). SQLite needs none.
#[derive(Debug)]
pub struct StartupLock {
    connection: Option<DatabaseConnection>,
}

impl StartupLock {
    /// Waits for the lock.
    pub async fn acquire(settings: &DatabaseSettings) -> anyhow::Result<StartupLock> {
        if !settings.is_postgres() {
            return Ok(StartupLock { connection: None });
        }
        let single = DatabaseSettings {
            max_connections: 1,
            // Another instance may hold the lock for as long as its migrations take.
            statement_timeout: Duration::ZERO,
            ..settings.clone()
        };
        let connection = connect(&single, Arc::new(|_| {})).await?;
        connection
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_advisory_lock($1, hashtext(current_schema()))",
                [STARTUP_LOCK_KEY.into()],
            ))
            .await
            .context("taking the start-up lock")?;
        Ok(StartupLock {
            connection: Some(connection),
        })
    }

    /// Releases the lock (closing its connection would release it too).
    pub async fn release(self) -> anyhow::Result<()> {
        if let Some(connection) = self.connection {
            connection
                .execute_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT pg_advisory_unlock($1, hashtext(current_schema()))",
                    [STARTUP_LOCK_KEY.into()],
                ))
                .await
                .context("releasing the start-up lock")?;
            connection
                .close()
                .await
                .context("closing the lock connection")?;
        }
        Ok(())
    }
}

/// Starts a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`), so concurrent writers queue on the busy timeout instead of failing when a
/// read inside the transaction would have to become a write.
pub async fn begin_write(
    db: &DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    db.begin_with_options(sea_orm::TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Starts a transaction for a batch of indexed look-ups read together (one snapshot for all of
/// them). On PostgreSQL no parallel workers are started for its statements: for a batch of a few
/// hundred ids the planner over-estimates the rows and chose parallel plans whose workers took
/// longer to start than the look-ups took to run (a page's events: 20–45 ms against 10 ms).
pub async fn begin_batch_reads(
    db: &DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    begin_batch_reads_within(db, None).await
}

/// [`begin_batch_reads`] for a batch that may take longer than a request's statement limit: a
/// report download's page, whose look-ups wait on the disk after a cold start (a page of the
/// busiest provider's download took over 5 s then, and the download ended part way). On
/// PostgreSQL its statements may each run for up to `limit`, set in the same round trip.
pub async fn begin_long_batch_reads(
    db: &DatabaseConnection,
    limit: Duration,
) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    begin_batch_reads_within(db, Some(limit)).await
}

async fn begin_batch_reads_within(
    db: &DatabaseConnection,
    limit: Option<Duration>,
) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    let txn = db.begin().await?;
    if db.get_database_backend() == DbBackend::Postgres {
        let mut settings = String::from("SET LOCAL max_parallel_workers_per_gather = 0");
        if let Some(limit) = limit {
            settings.push_str(&format!(
                "; SET LOCAL statement_timeout = {}",
                limit.as_millis()
            ));
        }
        txn.execute_unprepared(&settings).await?;
    }
    Ok(txn)
}

/// Starts a transaction whose statements may run for up to `limit` (PostgreSQL; SQLite has no
/// statement limit), for reads that are known to be long, such as outcome reports. Its
/// statements all read one snapshot: on PostgreSQL it is repeatable-read and read-only; a
/// SQLite transaction reads one snapshot from its first read.
pub async fn begin_long_reads(
    db: &DatabaseConnection,
    limit: Duration,
) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return db.begin().await;
    }
    let txn = begin_repeatable_reads(db).await?;
    limit_statements(&txn, limit).await?;
    Ok(txn)
}

/// A PostgreSQL transaction, repeatable-read and read-only, whose statements may each run for
/// up to `limit` and whose snapshot others can share ([`begin_in_snapshot`]): its first
/// statement exports the snapshot and selects `also` beside it. Returns the transaction, the
/// snapshot's identifier and the row.
pub async fn begin_exporting_snapshot(
    db: &DatabaseConnection,
    limit: Duration,
    also: &str,
) -> Result<(sea_orm::DatabaseTransaction, String, sea_orm::QueryResult), sea_orm::DbErr> {
    let txn = begin_repeatable_reads(db).await?;
    // The limit first: the export's statement waits for the locks of what `also` reads.
    limit_statements(&txn, limit).await?;
    let row = txn
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            format!("SELECT pg_export_snapshot() AS snapshot, {also}"),
        ))
        .await?
        .ok_or_else(|| sea_orm::DbErr::Custom("no snapshot was exported".to_owned()))?;
    let snapshot: String = row.try_get("", "snapshot")?;
    // An identifier such as `00000003-0000001B-1`, written into `SET TRANSACTION SNAPSHOT`.
    if snapshot.is_empty() || !snapshot.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
        return Err(sea_orm::DbErr::Custom(
            "the exported snapshot has an unexpected identifier".to_owned(),
        ));
    }
    Ok((txn, snapshot, row))
}

/// A PostgreSQL transaction like [`begin_exporting_snapshot`]'s that reads the snapshot it
/// exported (while that transaction is open): statements on several connections at once see
/// the same rows one statement would.
pub async fn begin_in_snapshot(
    db: &DatabaseConnection,
    limit: Duration,
    snapshot: &str,
) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    let txn = begin_repeatable_reads(db).await?;
    // Checked where it was exported: hexadecimal digits and dashes.
    txn.execute_unprepared(&format!("SET TRANSACTION SNAPSHOT '{snapshot}'"))
        .await?;
    limit_statements(&txn, limit).await?;
    Ok(txn)
}

/// A repeatable-read, read-only transaction.
async fn begin_repeatable_reads(
    db: &DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    db.begin_with_config(
        Some(sea_orm::IsolationLevel::RepeatableRead),
        Some(sea_orm::AccessMode::ReadOnly),
    )
    .await
}

/// Lets the transaction's statements run for up to `limit` (PostgreSQL).
async fn limit_statements(
    txn: &sea_orm::DatabaseTransaction,
    limit: Duration,
) -> Result<(), sea_orm::DbErr> {
    txn.execute_unprepared(&format!(
        "SET LOCAL statement_timeout = {}",
        limit.as_millis()
    ))
    .await
    .map(|_| ())
}

/// Whether the database answers.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}
