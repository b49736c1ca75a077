//! Notifications for both sides of a referral: a notification goes to one user (the
//! practitioner, or the assigned caseworker) or to a provider organisation (every user of it,
//! while the referral is unassigned), and new kinds: a referral sent or withdrawn, a case note,
//! an action plan to approve, an end-of-service report. SQLite cannot alter a column's
//! nullability or a check, so the table is rebuilt (on both engines, to keep one definition).

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{audit_columns, fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

const KINDS_BEFORE: &str = "'APPOINTMENT_NOT_ATTENDED', 'CONCERNS_RAISED'";
/// The kinds after this migration.
pub(crate) const KINDS: &str = "'APPOINTMENT_NOT_ATTENDED', 'CONCERNS_RAISED', 'REFERRAL_SENT', \
                     'REFERRAL_WITHDRAWN', 'CASE_NOTE_ADDED', 'ACTION_PLAN_SUBMITTED', \
                     'END_OF_SERVICE_REPORT_SUBMITTED'";
/// The columns of the table before this migration, kept by it.
pub(crate) const COMMON: &str = "id, referral_id, recipient_id, kind, appointment_id, notified_at, read_at, created_at, updated_at";

/// The table as it is after this migration, with the check allowing `kinds` (an SQL list).
pub(crate) fn both_sides(kinds: &str) -> TableCreateStatement {
    let name = "notification";
    audit_columns(
        Table::create()
            .table(name.to_owned())
            .col(uuid("id").primary_key())
            .col(uuid("referral_id"))
            .col(string_null("recipient_id"))
            .col(string_null("recipient_provider_code"))
            .col(string("kind").check(Expr::cust(format!("kind IN ({kinds})"))))
            .col(uuid_null("appointment_id"))
            .col(timestamp_with_time_zone("notified_at"))
            .col(timestamp_with_time_zone_null("read_at"))
            // Exactly one recipient: a user or an organisation.
            .check(Expr::cust(
                "(recipient_id IS NULL) <> (recipient_provider_code IS NULL)",
            ))
            .foreign_key(&mut fk(name, "referral_id", "referral", "id"))
            .foreign_key(&mut fk(name, "appointment_id", "appointment", "id"))
            .foreign_key(&mut fk(
                name,
                "recipient_provider_code",
                "service_provider",
                "code",
            )),
    )
    .to_owned()
}

/// The table as it was before, under `name`.
fn practitioners_only(name: &str) -> TableCreateStatement {
    audit_columns(
        Table::create()
            .table(name.to_owned())
            .col(uuid("id").primary_key())
            .col(uuid("referral_id"))
            .col(string("recipient_id"))
            .col(string("kind").check(Expr::cust(format!("kind IN ({KINDS_BEFORE})"))))
            .col(uuid_null("appointment_id"))
            .col(timestamp_with_time_zone("notified_at"))
            .col(timestamp_with_time_zone_null("read_at"))
            .foreign_key(&mut fk(name, "referral_id", "referral", "id"))
            .foreign_key(&mut fk(name, "appointment_id", "appointment", "id")),
    )
    .to_owned()
}

/// Replaces `notification` by the table `next` defines, keeping the rows `keep` selects: the
/// `columns` of the rows are set aside, the table dropped and created anew under its own name (no rename).
pub(crate) async fn rebuild(
    manager: &SchemaManager<'_>,
    next: TableCreateStatement,
    columns: &str,
    keep: &str,
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    db.execute_unprepared(&format!(
        "CREATE TABLE notification_previous AS SELECT {columns} FROM notification {keep}"
    ))
    .await?;
    manager
        .drop_table(Table::drop().table("notification").to_owned())
        .await?;
    manager.create_table(next).await?;
    db.execute_unprepared(&format!(
        "INSERT INTO notification ({columns}) SELECT {columns} FROM notification_previous"
    ))
    .await?;
    manager
        .drop_table(Table::drop().table("notification_previous").to_owned())
        .await?;
    manager
        .create_index(index(
            "notification",
            &["recipient_id", "notified_at", "id"],
        ))
        .await
}

/// Organisations' notifications, newest first.
pub(crate) async fn index_by_provider(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_index(index(
            "notification",
            &["recipient_provider_code", "notified_at", "id"],
        ))
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// The rebuild is all or nothing, on SQLite too.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rebuild(manager, both_sides(KINDS), COMMON, "").await?;
        index_by_provider(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Organisations' notifications and the new kinds have no place in the old table.
        rebuild(
            manager,
            practitioners_only("notification"),
            COMMON,
            &format!("WHERE recipient_id IS NOT NULL AND kind IN ({KINDS_BEFORE})"),
        )
        .await
    }
}
