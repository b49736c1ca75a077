//! One per-category row of each referral is marked (`first_of_referral`: its lowest category
//! id), so a report by service category or complexity counts each referral once from the same
//! rows it reads for the categories: its totals, and beside another dimension that dimension's
//! one-dimension report, no longer take a second read of the referrals' facts. The rows already
//! written are marked here; the server marks the rows it writes from now on.
//!
//! Most referrals have one category, so the column comes with the default 1 (on both engines a
//! change of the table's definition, not of its rows) and only the other rows are written, set
//! to 0: on PostgreSQL an update of every row would leave the table twice its size, which every
//! report by category would then read. The rows set to 0 still take new space (on the generated
//! million referrals, 8 % of the rows and 8 % more pages), which `VACUUM FULL
//! report_referral_category` gives back.
//!
//! A unique index over the marked rows' referrals keeps the mark to one row per referral: a
//! writer that does not know the mark (a server of an earlier version still running) would
//! leave every row of a referral at the default, and the reports would count that referral
//! once per category in their totals and margins, which the disclosure audit takes as true.
//! Such a write now fails instead.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLE: &str = "report_referral_category";

/// One marked row per referral.
const INDEX: &str = "report_referral_category_first_of_referral_idx";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(TABLE)
                    .add_column(integer("first_of_referral").default(1))
                    .to_owned(),
            )
            .await?;
        // Marked: the row with no lower category id of the same referral (the primary key's
        // order); every other row is set to 0.
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "UPDATE {TABLE} SET first_of_referral = 0 WHERE EXISTS \
                 (SELECT 1 FROM {TABLE} o WHERE o.referral_id = {TABLE}.referral_id \
                 AND o.service_category_id < {TABLE}.service_category_id)"
            ))
            .await?;
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "CREATE UNIQUE INDEX {INDEX} ON {TABLE} (referral_id) WHERE first_of_referral = 1"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(&format!("DROP INDEX {INDEX}"))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(TABLE)
                    .drop_column("first_of_referral")
                    .to_owned(),
            )
            .await
    }
}
