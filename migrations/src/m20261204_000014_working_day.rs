//! The working day: the change log of amendments and handovers, cancelled appointments (the
//! booking slot freed), and the indexes of the dashboard's orders, the CRN search and the
//! provider's work queue.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261203_000013_notify_both_sides::{self as notify_both_sides, both_sides};
use crate::util::{audit_columns, fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The open-booking index, now also ignoring cancelled appointments.
const ONE_OPEN_BOOKING: &str = "CREATE UNIQUE INDEX appointment_one_open_booking_key \
     ON appointment (referral_id, kind, COALESCE(session_number, 0)) \
     WHERE superseded_at IS NULL AND feedback_submitted_at IS NULL AND cancelled_at IS NULL";

const ONE_OPEN_BOOKING_BEFORE: &str = "CREATE UNIQUE INDEX appointment_one_open_booking_key \
     ON appointment (referral_id, kind, COALESCE(session_number, 0)) \
     WHERE superseded_at IS NULL AND feedback_submitted_at IS NULL";

/// Notification kinds after this migration: amendments, handovers and cancellations.
fn notification_kinds() -> String {
    format!(
        "{}, 'REFERRAL_AMENDED', 'REFERRAL_TRANSFERRED', 'APPOINTMENT_CANCELLED'",
        notify_both_sides::KINDS
    )
}

/// Every column of the notification table.
fn notification_columns() -> String {
    format!("{}, recipient_provider_code", notify_both_sides::COMMON)
}

/// The work queue reads live appointments (not moved, not cancelled) by start time.
const LIVE_BY_START: &str = "CREATE INDEX appointment_live_starts_at_id_idx \
     ON appointment (starts_at, id) WHERE superseded_at IS NULL AND cancelled_at IS NULL";

/// The dashboard's orders: per contract (providers) and over everything (read-all).
const ORDER_INDEXES: [&[&str]; 5] = [
    &["contract_id", "completion_deadline", "id"],
    &["contract_id", "reference", "id"],
    &["contract_id", "last_name_key", "id"],
    &["completion_deadline", "id"],
    &["crn"],
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One connection and all or nothing, on SQLite too: the open-booking index is dropped and
    /// created again, which another pooled connection's older snapshot must not see half done.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("referral_change_log")
                        .col(uuid("id").primary_key())
                        .col(uuid("referral_id"))
                        // AMENDMENT topics and RESPONSIBLE_PRACTITIONER.
                        .col(string("topic"))
                        .col(text_null("old_value"))
                        .col(text_null("new_value"))
                        // Required of amendments; a handover may give none.
                        .col(text_null("reason"))
                        .col(string("actor_id"))
                        .col(timestamp_with_time_zone("at")),
                )
                .foreign_key(&mut fk(
                    "referral_change_log",
                    "referral_id",
                    "referral",
                    "id",
                ))
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index("referral_change_log", &["referral_id", "at"]))
            .await?;
        for column in [
            timestamp_with_time_zone_null("cancelled_at"),
            string_null("cancelled_by"),
            text_null("cancellation_reason"),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table("appointment")
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX appointment_one_open_booking_key")
            .await?;
        db.execute_unprepared(ONE_OPEN_BOOKING).await?;
        db.execute_unprepared(LIVE_BY_START).await?;
        for columns in ORDER_INDEXES {
            manager.create_index(index("referral", columns)).await?;
        }
        notify_both_sides::rebuild(
            manager,
            both_sides(&notification_kinds()),
            &notification_columns(),
            "",
        )
        .await?;
        notify_both_sides::index_by_provider(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Notifications of the new kinds have no place in the old table.
        notify_both_sides::rebuild(
            manager,
            both_sides(notify_both_sides::KINDS),
            &notification_columns(),
            &format!("WHERE kind IN ({})", notify_both_sides::KINDS),
        )
        .await?;
        notify_both_sides::index_by_provider(manager).await?;
        for columns in ORDER_INDEXES {
            let name = format!("referral_{}_idx", columns.join("_"));
            manager
                .drop_index(Index::drop().name(name).table("referral").to_owned())
                .await?;
        }
        let db = manager.get_connection();
        db.execute_unprepared("DROP INDEX appointment_live_starts_at_id_idx")
            .await?;
        db.execute_unprepared("DROP INDEX appointment_one_open_booking_key")
            .await?;
        for column in ["cancellation_reason", "cancelled_by", "cancelled_at"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("appointment")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        db.execute_unprepared(ONE_OPEN_BOOKING_BEFORE).await?;
        manager
            .drop_table(Table::drop().table("referral_change_log").to_owned())
            .await
    }
}
