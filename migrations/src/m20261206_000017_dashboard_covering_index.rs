//! A provider's dashboard reads, contract by contract, the newest sent referrals off
//! `(contract_id, listed_at, id)`; with `status` in the index too the index alone answers it
//! (the status filter is read from the index entry), so a page no longer visits the table for
//! every candidate row of every contract, only for the rows it returns. The new index serves
//! every use of the one it replaces (same leading columns, same order).

use sea_orm_migration::prelude::*;

use crate::util::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

const REPLACED: &str = "referral_contract_id_listed_at_id_idx";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(
                "referral",
                &["contract_id", "listed_at", "id", "status"],
            ))
            .await?;
        manager
            .drop_index(Index::drop().name(REPLACED).table("referral").to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index("referral", &["contract_id", "listed_at", "id"]))
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("referral_contract_id_listed_at_id_status_idx")
                    .table("referral")
                    .to_owned(),
            )
            .await
    }
}
