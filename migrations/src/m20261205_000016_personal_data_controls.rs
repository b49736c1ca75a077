//! Controls on personal data: the read audit (append-only: the database refuses to change or
//! delete a row), the keys of idempotent writes with the answer they gave, and the schedule of
//! jobs that one of several instances runs (the draft purge).

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

use crate::util::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_APPEND_ONLY: [&str; 3] = [
    "CREATE FUNCTION read_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN RAISE EXCEPTION 'read_audit is append-only'; END $$",
    "CREATE TRIGGER read_audit_append_only BEFORE UPDATE OR DELETE ON read_audit \
     FOR EACH ROW EXECUTE FUNCTION read_audit_append_only()",
    "CREATE TRIGGER read_audit_no_truncate BEFORE TRUNCATE ON read_audit \
     FOR EACH STATEMENT EXECUTE FUNCTION read_audit_append_only()",
];

const SQLITE_APPEND_ONLY: [&str; 2] = [
    "CREATE TRIGGER read_audit_no_update BEFORE UPDATE ON read_audit \
     BEGIN SELECT RAISE(ABORT, 'read_audit is append-only'); END",
    "CREATE TRIGGER read_audit_no_delete BEFORE DELETE ON read_audit \
     BEGIN SELECT RAISE(ABORT, 'read_audit is append-only'); END",
];

/// The draft purge finds drafts by when they last changed; sent referrals are not in it.
const DRAFTS_BY_UPDATE: &str = "CREATE INDEX referral_draft_updated_at_idx \
     ON referral (updated_at) WHERE status = 'DRAFT'";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("read_audit")
                    // UUIDv7: ordered by the time it was made.
                    .col(uuid("id").primary_key())
                    .col(timestamp_with_time_zone("at"))
                    .col(string("actor_id"))
                    // PROVIDER_USER, READ_ALL or SUBJECT_ACCESS (the only readers audited).
                    .col(string("actor_role"))
                    // The provider codes of a provider user, comma-separated.
                    .col(string_null("organisation"))
                    .col(uuid("referral_id"))
                    // What was read: a GraphQL operation's name, the SAR export, a download.
                    .col(string("operation"))
                    .col(uuid_null("request_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("read_audit", &["referral_id", "at"]))
            .await?;
        manager
            .create_index(index("read_audit", &["actor_id", "at"]))
            .await?;
        manager.create_index(index("read_audit", &["at"])).await?;
        let connection = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                for statement in POSTGRES_APPEND_ONLY {
                    connection.execute_unprepared(statement).await?;
                }
            }
            _ => {
                for statement in SQLITE_APPEND_ONLY {
                    connection.execute_unprepared(statement).await?;
                }
            }
        }

        manager
            .create_table(
                Table::create()
                    .table("idempotency_key")
                    // The caller's `sub`: a key is the caller's own.
                    .col(string("principal"))
                    .col(string("key"))
                    // SHA-256 of the request (document, operation name, variables).
                    .col(string("request_hash"))
                    // The answer, once there is one; null while the first request runs.
                    .col(integer_null("status_code"))
                    .col(text_null("response"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .primary_key(Index::create().col("principal").col("key"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("idempotency_key", &["expires_at"]))
            .await?;

        connection.execute_unprepared(DRAFTS_BY_UPDATE).await?;

        manager
            .create_table(
                Table::create()
                    .table("scheduled_job")
                    .col(string("name").primary_key())
                    // The instance that moves this on first runs the job.
                    .col(timestamp_with_time_zone("next_run_at"))
                    .col(timestamp_with_time_zone_null("last_run_at"))
                    .col(big_integer_null("last_count"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["scheduled_job", "idempotency_key", "read_audit"] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX referral_draft_updated_at_idx")
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP FUNCTION read_audit_append_only()")
                .await?;
        }
        Ok(())
    }
}
