//! The transactional outbox: every domain event a committed change makes, written in the same
//! transaction as the change, kept until the relay has published it to the broker (and for a
//! retention after), in the order the changes committed per referral. And the relay's lease,
//! so that one server instance at a time publishes.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("outbox_event")
                    // The order events were written in: per referral, the order of its changes
                    // (a change holds its referral's row lock until it commits).
                    .col(big_integer("position").auto_increment().primary_key())
                    // What consumers deduplicate on (the broker's `Nats-Msg-Id`).
                    .col(uuid("event_id").unique_key())
                    .col(uuid("referral_id"))
                    .col(string("event_type"))
                    .col(timestamp_with_time_zone("occurred_at"))
                    // The message as published: ids and codes, never free text.
                    .col(text("body"))
                    .col(timestamp_with_time_zone_null("published_at"))
                    // Failed publications of this event (the relay stops at the first).
                    .col(integer("attempts").default(0))
                    .to_owned(),
            )
            .await?;
        // The relay reads what is unpublished, oldest first; pruning reads what was published.
        manager
            .create_index(index("outbox_event", &["published_at", "position"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("outbox_lease")
                    .col(string("name").primary_key())
                    .col(string("holder"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("outbox_lease").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("outbox_event").to_owned())
            .await
    }
}
