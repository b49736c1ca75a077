//! Users, recorded the first time a token with their `sub` is seen.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::audit_columns;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("app_user")
                        .col(string("id").primary_key())
                        .col(string_null("name"))
                        .col(string_null("email"))
                        .col(timestamp_with_time_zone("last_seen_at")),
                )
                .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("app_user").to_owned())
            .await
    }
}
