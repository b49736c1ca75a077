//! Bulk loading of whole referrals (the synthetic data set): rows built by the same mappings the
//! use cases write with, then streamed with `COPY` on PostgreSQL or multi-row `INSERT`s on
//! SQLite, all in one transaction, so a failed load leaves nothing behind.
//!
//! On PostgreSQL the referral tables are emptied in the load's transaction and their keys,
//! indexes and foreign keys dropped, so rows are copied frozen without index upkeep; they are
//! built again at the end (which checks every key and reference at once) and the referral
//! counters are recounted.

use std::fmt::Write as _;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, Query};
use sea_orm::sqlx::{self, Postgres, Row};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend,
    EntityName, EntityTrait, Iterable, Value,
};

use super::{change_log, delivery, notifications, outcome_report, referrals, users};
use crate::domain::actor::Principal;
use crate::domain::journey::EventKind;
use crate::domain::outcome_report::facts::facts;
use crate::domain::record::ReferralRecord;

/// The tables a bulk load fills, in the order rows are written.
const TABLES: [&str; 15] = [
    "referral",
    "report_referral",
    "report_referral_category",
    "referral_service_category",
    "referral_desired_outcome",
    "referral_event",
    "referral_change_log",
    "case_note",
    "action_plan",
    "action_plan_activity",
    "delivery_session",
    "appointment",
    "end_of_service_report",
    "end_of_service_report_outcome",
    "notification",
];

/// Recounts `referral_count` from the referrals (its trigger, `referral_count_track`, is off
/// during a PostgreSQL load).
const RECOUNT: &str = "INSERT INTO referral_count (contract_id, status, assigned, referrals) \
     SELECT contract_id, status, assigned_to_id IS NOT NULL, COUNT(*) FROM referral \
     GROUP BY contract_id, status, assigned_to_id IS NOT NULL";

/// Most values bound in one SQLite statement.
const SQLITE_MAX_VALUES: usize = 30_000;

/// The rows of one table: every column, in entity order.
#[derive(Debug)]
struct Rows {
    table: String,
    columns: Vec<String>,
    values: Vec<Vec<Value>>,
}

/// Rows of several tables, in the order they are written.
#[derive(Debug, Default)]
pub struct Batch {
    tables: Vec<Rows>,
}

impl Batch {
    /// Adds the rows of `models`, all of one table, with every column set.
    fn push<A: ActiveModelTrait>(
        &mut self,
        models: impl IntoIterator<Item = A>,
    ) -> anyhow::Result<()> {
        let table = <A::Entity as Default>::default().table_name().to_owned();
        let columns: Vec<_> = <<A::Entity as EntityTrait>::Column as Iterable>::iter().collect();
        let mut rows = Vec::new();
        for model in models {
            let mut row = Vec::with_capacity(columns.len());
            for column in &columns {
                match model.get(*column).into_value() {
                    Some(value) => row.push(value),
                    None => bail!("{table}: a bulk row leaves a column unset"),
                }
            }
            rows.push(row);
        }
        if rows.is_empty() {
            return Ok(());
        }
        let names = columns
            .iter()
            .map(|c| sea_orm::IdenStatic::as_str(c).to_owned())
            .collect();
        match self.tables.iter_mut().find(|t| t.table == table) {
            Some(existing) => existing.values.extend(rows),
            None => self.tables.push(Rows {
                table,
                columns: names,
                values: rows,
            }),
        }
        Ok(())
    }

    /// The users seen in these principals' tokens.
    pub fn of_users(principals: &[Principal], now: DateTime<Utc>) -> anyhow::Result<Batch> {
        let mut batch = Batch::default();
        let rows = principals
            .iter()
            .map(|p| users::user_row(p, now))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        batch.push(rows)?;
        Ok(batch)
    }

    /// Every row of these referrals.
    pub fn of_records(records: &[ReferralRecord]) -> anyhow::Result<Batch> {
        let mut batch = Batch::default();
        let mut referral_rows = Vec::with_capacity(records.len());
        for record in records {
            // Last changed by its latest event (case notes leave the referral row alone).
            let changed_at = record
                .events
                .iter()
                .filter(|e| e.kind != EventKind::CaseNoteAdded)
                .map(|e| e.at)
                .max()
                .unwrap_or(record.referral.created_at);
            let row = referrals::to_row(&record.referral, changed_at)
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            referral_rows.push(row);
        }
        batch.push(referral_rows)?;
        // The outcome report's facts, from the same definitions the use cases write them with.
        let (mut fact_rows, mut category_rows) = (Vec::new(), Vec::new());
        for facts in records.iter().filter_map(facts) {
            let (row, rows) = outcome_report::fact_rows(&facts);
            fact_rows.push(row);
            category_rows.extend(rows);
        }
        batch.push(fact_rows)?;
        batch.push(category_rows)?;
        let (mut categories, mut outcomes) = (Vec::new(), Vec::new());
        for record in records {
            let (c, o) = referrals::selection_rows(
                record.referral.id,
                &record.selections,
                record.referral.created_at,
            );
            categories.extend(c);
            outcomes.extend(o);
        }
        batch.push(categories)?;
        batch.push(outcomes)?;
        batch.push(
            records
                .iter()
                .flat_map(|r| &r.events)
                .map(referrals::event_row),
        )?;
        batch.push(records.iter().flat_map(|r| &r.changes).map(change_log::row))?;
        batch.push(
            records
                .iter()
                .flat_map(|r| &r.case_notes)
                .map(referrals::case_note_row),
        )?;
        let (mut plans, mut activities) = (Vec::new(), Vec::new());
        for plan in records.iter().flat_map(|r| &r.plans) {
            let (row, rows) = delivery::plan_rows(plan);
            plans.push(row);
            activities.extend(rows);
        }
        batch.push(plans)?;
        batch.push(activities)?;
        batch.push(
            records
                .iter()
                .flat_map(|r| &r.sessions)
                .map(delivery::session_row),
        )?;
        // Newest first: a moved appointment points at its replacement, which must exist.
        batch.push(
            records
                .iter()
                .flat_map(|r| r.appointments.iter().rev())
                .map(delivery::appointment_row),
        )?;
        let (mut reports, mut achievements) = (Vec::new(), Vec::new());
        for report in records.iter().filter_map(|r| r.report.as_ref()) {
            let (row, rows) = delivery::report_rows(report);
            reports.push(row);
            achievements.extend(rows);
        }
        batch.push(reports)?;
        batch.push(achievements)?;
        batch.push(
            records
                .iter()
                .flat_map(|r| &r.notifications)
                .map(notifications::notification_row),
        )?;
        Ok(batch)
    }

    /// Rows in the batch, over every table.
    pub fn row_count(&self) -> usize {
        self.tables.iter().map(|t| t.values.len()).sum()
    }

    /// The batch ready for `backend`: `COPY` text for PostgreSQL, bound rows for SQLite. Meant
    /// for the thread that generates the rows, so the loader only streams.
    pub fn prepare(self, backend: DbBackend) -> anyhow::Result<Prepared> {
        if backend != DbBackend::Postgres {
            return Ok(Prepared::Rows(self));
        }
        let mut blocks = Vec::with_capacity(self.tables.len());
        for rows in self.tables {
            let mut text = String::with_capacity(rows.values.len() * 128);
            for row in &rows.values {
                for (i, value) in row.iter().enumerate() {
                    if i > 0 {
                        text.push('\t');
                    }
                    copy_text(value, &mut text)
                        .with_context(|| format!("{}.{}", rows.table, rows.columns[i]))?;
                }
                text.push('\n');
            }
            let columns = rows
                .columns
                .iter()
                .map(|c| format!("\"{c}\""))
                .collect::<Vec<_>>()
                .join(", ");
            // Tables emptied in the load's transaction take their rows frozen.
            let freeze = if TABLES.contains(&rows.table.as_str()) {
                " WITH (FREEZE)"
            } else {
                ""
            };
            blocks.push(CopyBlock {
                statement: format!("COPY \"{}\" ({columns}) FROM STDIN{freeze}", rows.table),
                data: text.into_bytes(),
            });
        }
        Ok(Prepared::Copy(blocks))
    }
}

/// One table's rows as `COPY` text.
#[derive(Debug)]
pub struct CopyBlock {
    statement: String,
    data: Vec<u8>,
}

/// A batch ready to be written.
#[derive(Debug)]
pub enum Prepared {
    Rows(Batch),
    Copy(Vec<CopyBlock>),
}

/// Writes `value` in PostgreSQL's `COPY` text format.
fn copy_text(value: &Value, out: &mut String) -> anyhow::Result<()> {
    fn escaped(text: &str, out: &mut String) {
        for c in text.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\t' => out.push_str("\\t"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                c => out.push(c),
            }
        }
    }
    const NULL: &str = "\\N";
    let written = match value {
        Value::Bool(v) => v.map(|b| out.push(if b { 't' } else { 'f' })),
        Value::Int(v) => v.map(|n| {
            let _ = write!(out, "{n}");
        }),
        Value::BigInt(v) => v.map(|n| {
            let _ = write!(out, "{n}");
        }),
        Value::String(v) => v.as_deref().map(|s| escaped(s, out)),
        Value::Uuid(v) => v.map(|u| {
            let _ = write!(out, "{}", u.hyphenated());
        }),
        Value::ChronoDateTimeUtc(v) => v.map(|t| {
            let _ = write!(out, "{}", t.format("%Y-%m-%d %H:%M:%S%.6f+00"));
        }),
        Value::ChronoDate(v) => v.map(|d| {
            let _ = write!(out, "{}", d.format("%Y-%m-%d"));
        }),
        other => bail!("no COPY text for {other:?}"),
    };
    if written.is_none() {
        out.push_str(NULL);
    }
    Ok(())
}

/// A bulk load in progress: one transaction, committed by [`BulkLoad::finish`].
#[derive(Debug)]
pub struct BulkLoad {
    target: Target,
}

enum Target {
    Postgres {
        tx: sqlx::Transaction<'static, Postgres>,
        /// Statements that build the dropped keys, indexes and foreign keys again, in order.
        rebuild: Vec<String>,
    },
    Sqlite {
        txn: DatabaseTransaction,
        /// Statements that create the dropped indexes again.
        rebuild: Vec<String>,
    },
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Postgres { rebuild, .. } => f
                .debug_struct("Postgres")
                .field("rebuild", &rebuild.len())
                .finish_non_exhaustive(),
            Target::Sqlite { rebuild, .. } => f
                .debug_struct("Sqlite")
                .field("rebuild", &rebuild.len())
                .finish_non_exhaustive(),
        }
    }
}

fn quoted_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|t| format!("\"{t}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

impl BulkLoad {
    /// Starts a load into a database that has no referrals yet (anything else is refused).
    pub async fn begin(db: &DatabaseConnection) -> anyhow::Result<BulkLoad> {
        let target = match db.get_database_backend() {
            DbBackend::Postgres => {
                let mut tx = db
                    .get_postgres_connection_pool()
                    .begin()
                    .await
                    .context("starting the load")?;
                refuse_if_any_referral(&mut tx).await?;
                for setting in [
                    "SET LOCAL maintenance_work_mem = '512MB'",
                    "SET LOCAL synchronous_commit = off",
                    // A load writes and indexes millions of rows: no statement limit.
                    "SET LOCAL statement_timeout = 0",
                ] {
                    sqlx::query(setting).execute(&mut *tx).await?;
                }
                let rebuild = drop_keys_and_indexes(&mut tx).await?;
                // Built from the constant table names only.
                let truncate = format!("TRUNCATE {}", quoted_list(&TABLES));
                sqlx::query(sqlx::AssertSqlSafe(truncate))
                    .execute(&mut *tx)
                    .await
                    .context("emptying the referral tables")?;
                sqlx::query("ALTER TABLE referral DISABLE TRIGGER referral_count_track")
                    .execute(&mut *tx)
                    .await?;
                Target::Postgres { tx, rebuild }
            }
            _ => {
                let txn = super::begin_write(db).await.context("starting the load")?;
                if referrals::any(&txn)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e:?}"))?
                {
                    bail!(already_has_referrals());
                }
                // Rows go in parents first, so references are checked as they come. A large
                // page cache keeps the keys' pages in memory while millions of rows go in.
                txn.execute_unprepared("PRAGMA cache_size = -262144")
                    .await?;
                let rebuild = drop_sqlite_indexes(&txn).await?;
                Target::Sqlite { txn, rebuild }
            }
        };
        Ok(BulkLoad { target })
    }

    /// Writes a prepared batch.
    pub async fn write(&mut self, batch: Prepared) -> anyhow::Result<()> {
        match (&mut self.target, batch) {
            (Target::Postgres { tx, .. }, Prepared::Copy(blocks)) => {
                for block in blocks {
                    let mut copy = tx
                        .copy_in_raw(&block.statement)
                        .await
                        .context("starting COPY")?;
                    copy.send(block.data).await.context("sending COPY data")?;
                    copy.finish().await.context("finishing COPY")?;
                }
                Ok(())
            }
            (Target::Postgres { tx, .. }, Prepared::Rows(batch)) => {
                // Small batches (users) come as rows: copy them all the same.
                match batch.prepare(DbBackend::Postgres)? {
                    Prepared::Copy(blocks) => {
                        for block in blocks {
                            let mut copy = tx.copy_in_raw(&block.statement).await?;
                            copy.send(block.data).await?;
                            copy.finish().await?;
                        }
                        Ok(())
                    }
                    Prepared::Rows(_) => bail!("rows for PostgreSQL must be COPY text"),
                }
            }
            (Target::Sqlite { txn, .. }, Prepared::Rows(batch)) => insert_rows(txn, batch).await,
            (Target::Sqlite { .. }, Prepared::Copy(_)) => {
                bail!("COPY text cannot load into SQLite")
            }
        }
    }

    /// Builds the keys and indexes again, recounts, commits and refreshes the planner's
    /// statistics. `step` is told what is being done.
    pub async fn finish(self, db: &DatabaseConnection, step: impl Fn(&str)) -> anyhow::Result<()> {
        match self.target {
            Target::Postgres { mut tx, rebuild } => {
                step("building keys, indexes and foreign keys");
                for statement in &rebuild {
                    // Written by PostgreSQL itself (pg_get_constraintdef, pg_get_indexdef).
                    sqlx::query(sqlx::AssertSqlSafe(statement.as_str()))
                        .execute(&mut *tx)
                        .await
                        .with_context(|| format!("rebuilding: {statement}"))?;
                }
                step("counting referrals by contract and status");
                sqlx::query("DELETE FROM referral_count")
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(RECOUNT).execute(&mut *tx).await?;
                sqlx::query("ALTER TABLE referral ENABLE TRIGGER referral_count_track")
                    .execute(&mut *tx)
                    .await?;
                // In the load's transaction, which has no statement timeout: at a million
                // referrals this takes seconds, more than a request's statement may run.
                step("analysing");
                let analyse = format!("ANALYZE {}, referral_count, app_user", quoted_list(&TABLES));
                sqlx::query(sqlx::AssertSqlSafe(analyse.as_str()))
                    .execute(&mut *tx)
                    .await?;
                step("committing");
                tx.commit().await.context("committing the load")?;
            }
            Target::Sqlite { txn, rebuild } => {
                step("building indexes");
                for statement in &rebuild {
                    txn.execute_unprepared(statement)
                        .await
                        .with_context(|| format!("rebuilding: {statement}"))?;
                }
                // In the load's transaction, which holds the write lock already.
                step("analysing");
                txn.execute_unprepared("ANALYZE").await?;
                step("committing");
                txn.commit().await.context("committing the load")?;
                // The load went through the write-ahead log (as large as the data); writing it
                // back into the database file now and truncating it leaves a file readers use
                // directly, rather than each connection searching a gigabyte of log.
                step("checkpointing");
                db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                    .await?;
            }
        }
        Ok(())
    }
}

fn already_has_referrals() -> &'static str {
    "the database already holds referrals: synthetic data is loaded into a database without any"
}

async fn refuse_if_any_referral(tx: &mut sqlx::PgConnection) -> anyhow::Result<()> {
    let any: bool = sqlx::query("SELECT EXISTS (SELECT 1 FROM referral)")
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    if any {
        bail!(already_has_referrals());
    }
    Ok(())
}

/// Drops the keys, unique constraints, indexes and foreign keys of the bulk tables (and foreign
/// keys pointing at them); returns the statements that create them again, keys first and
/// foreign keys last.
async fn drop_keys_and_indexes(tx: &mut sqlx::PgConnection) -> anyhow::Result<Vec<String>> {
    let tables: Vec<String> = TABLES.iter().map(|t| (*t).to_owned()).collect();
    let constraints = sqlx::query(
        "SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname), \
                format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname, \
                       pg_get_constraintdef(oid)), \
                contype = 'f' \
         FROM pg_constraint \
         WHERE contype IN ('p', 'u', 'f') \
           AND (conrelid = ANY($1::text[]::regclass[]) \
                OR (contype = 'f' AND confrelid = ANY($1::text[]::regclass[])))",
    )
    .bind(&tables)
    .fetch_all(&mut *tx)
    .await
    .context("reading the keys of the referral tables")?;
    let indexes = sqlx::query(
        "SELECT format('DROP INDEX %s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid) \
         FROM pg_index i \
         WHERE i.indrelid = ANY($1::text[]::regclass[]) \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c \
                           WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))",
    )
    .bind(&tables)
    .fetch_all(&mut *tx)
    .await
    .context("reading the indexes of the referral tables")?;

    let mut drop_foreign = Vec::new();
    let mut drop_keys = Vec::new();
    let mut add_keys = Vec::new();
    let mut add_foreign = Vec::new();
    for row in &constraints {
        let (drop, add, foreign): (String, String, bool) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        if foreign {
            drop_foreign.push(drop);
            add_foreign.push(add);
        } else {
            drop_keys.push(drop);
            add_keys.push(add);
        }
    }
    let mut drop_indexes = Vec::new();
    let mut add_indexes = Vec::new();
    for row in &indexes {
        drop_indexes.push(row.try_get::<String, _>(0)?);
        add_indexes.push(row.try_get::<String, _>(1)?);
    }
    for statement in drop_foreign.iter().chain(&drop_keys).chain(&drop_indexes) {
        // Written by PostgreSQL itself (format with %s of regclass and %I).
        sqlx::query(sqlx::AssertSqlSafe(statement.as_str()))
            .execute(&mut *tx)
            .await
            .with_context(|| format!("dropping: {statement}"))?;
    }
    Ok(add_keys
        .into_iter()
        .chain(add_indexes)
        .chain(add_foreign)
        .collect())
}

/// Drops the secondary indexes of the bulk tables (keys stay: SQLite cannot drop them);
/// returns the statements that create them again. Built once over the loaded rows, they cost
/// far less than kept up row by row.
async fn drop_sqlite_indexes(txn: &DatabaseTransaction) -> anyhow::Result<Vec<String>> {
    let tables = TABLES
        .iter()
        .map(|t| format!("'{t}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = txn
        .query_all_raw(sea_orm::Statement::from_string(
            DbBackend::Sqlite,
            format!(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
                 AND tbl_name IN ({tables}) ORDER BY name"
            ),
        ))
        .await
        .context("reading the indexes of the referral tables")?;
    let mut rebuild = Vec::new();
    for row in rows {
        let name: String = row.try_get_by_index(0)?;
        let sql: String = row.try_get_by_index(1)?;
        txn.execute_unprepared(&format!("DROP INDEX \"{name}\""))
            .await
            .with_context(|| format!("dropping index {name}"))?;
        rebuild.push(sql);
    }
    Ok(rebuild)
}

/// Multi-row `INSERT`s of every table in the batch, as many rows per statement as SQLite binds.
async fn insert_rows(txn: &DatabaseTransaction, batch: Batch) -> anyhow::Result<()> {
    for rows in batch.tables {
        let per_statement = (SQLITE_MAX_VALUES / rows.columns.len().max(1)).max(1);
        for chunk in rows.values.chunks(per_statement) {
            let mut insert = Query::insert();
            insert
                .into_table(Alias::new(rows.table.as_str()))
                .columns(rows.columns.iter().map(|c| Alias::new(c.as_str())));
            for row in chunk {
                insert
                    .values(row.iter().cloned().map(Expr::val))
                    .with_context(|| format!("{}: a row of the wrong width", rows.table))?;
            }
            txn.execute(&insert)
                .await
                .with_context(|| format!("inserting into {}", rows.table))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone};
    use uuid::Uuid;

    use super::*;

    fn text(value: Value) -> String {
        let mut out = String::new();
        copy_text(&value, &mut out).expect("a COPY value");
        out
    }

    #[test]
    fn copy_text_escapes_what_would_split_rows_or_columns() {
        assert_eq!(
            text(Value::String(Some("a\tb\nc\\d\re".into()))),
            "a\\tb\\nc\\\\d\\re"
        );
        assert_eq!(text(Value::String(None)), "\\N");
        assert_eq!(text(Value::Bool(Some(true))), "t");
        assert_eq!(text(Value::Int(Some(-3))), "-3");
        assert_eq!(
            text(Value::Uuid(Some(Uuid::from_u128(1)))),
            "00000000-0000-0000-0000-000000000001"
        );
        let at = Utc
            .with_ymd_and_hms(2026, 3, 1, 9, 5, 0)
            .single()
            .unwrap_or_default();
        assert_eq!(
            text(Value::ChronoDateTimeUtc(Some(at))),
            "2026-03-01 09:05:00.000000+00"
        );
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default();
        assert_eq!(text(Value::ChronoDate(Some(day))), "2026-03-01");
        assert!(copy_text(&Value::Double(Some(1.5)), &mut String::new()).is_err());
    }

    #[test]
    fn every_column_of_a_batch_is_set() {
        let mut batch = Batch::default();
        let unset = <crate::db::entities::case_note::ActiveModel as ActiveModelTrait>::default();
        assert!(
            batch.push([unset]).is_err(),
            "a row with unset columns is refused"
        );
    }
}
