//! The outcome report's facts gain the person's ONS 2021 ethnic category, and every fact row is
//! written again: the ethnic group is now classified from ONS wordings and nDelius codes, and a
//! referral whose sessions were all missed is no longer a completion. The rows are derived
//! data: they are emptied here and the server writes them again on its next start (as it does
//! for any sent referral without facts), under the start-up lock.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Category rows first: they refer to their referral's row.
const TABLES: [&str; 2] = ["report_referral_category", "report_referral"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager
                .get_connection()
                .execute_unprepared(&format!("DELETE FROM {table}"))
                .await?;
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(string("ethnic_category").default("NOT_KNOWN"))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            // Written again on the next start by the rules of the version then running.
            manager
                .get_connection()
                .execute_unprepared(&format!("DELETE FROM {table}"))
                .await?;
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .drop_column("ethnic_category")
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
