//! Providers, contracts (prime provider and subcontractors, region or PCC area, eligibility,
//! referral window) and their interventions, onboarded with `crs-api catalogue import`.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{audit_columns, fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("service_provider")
                        .col(string("code").primary_key())
                        .col(string("name")),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("contract")
                        .col(uuid("id").primary_key())
                        .col(string_uniq("reference"))
                        .col(string("contract_type_code"))
                        .col(string("prime_provider_code"))
                        .col(string_len_null("region_code", 1))
                        .col(string_null("pcc_area_code"))
                        .col(integer("minimum_age"))
                        .col(integer_null("maximum_age"))
                        .col(boolean("allows_female"))
                        .col(boolean("allows_male"))
                        .col(date("referral_start_date"))
                        .col(date_null("referral_end_date"))
                        .check(Expr::cust(
                            "(region_code IS NULL) <> (pcc_area_code IS NULL)",
                        ))
                        .check(Expr::cust(
                            "minimum_age >= 0 AND (maximum_age IS NULL OR maximum_age >= minimum_age)",
                        ))
                        .foreign_key(&mut fk("contract", "contract_type_code", "contract_type", "code"))
                        .foreign_key(&mut fk("contract", "prime_provider_code", "service_provider", "code"))
                        .foreign_key(&mut fk("contract", "region_code", "region", "code"))
                        .foreign_key(&mut fk("contract", "pcc_area_code", "pcc_area", "code")),
                )
                .to_owned(),
            )
            .await?;
        for column in [
            "contract_type_code",
            "prime_provider_code",
            "region_code",
            "pcc_area_code",
        ] {
            manager.create_index(index("contract", &[column])).await?;
        }
        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("contract_subcontractor")
                        .col(uuid("contract_id"))
                        .col(string("provider_code"))
                        .primary_key(
                            Index::create()
                                .name("contract_subcontractor_pkey")
                                .col("contract_id")
                                .col("provider_code"),
                        )
                        .foreign_key(&mut fk(
                            "contract_subcontractor",
                            "contract_id",
                            "contract",
                            "id",
                        ))
                        .foreign_key(&mut fk(
                            "contract_subcontractor",
                            "provider_code",
                            "service_provider",
                            "code",
                        )),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index("contract_subcontractor", &["provider_code"]))
            .await?;
        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("intervention")
                        .col(uuid("id").primary_key())
                        .col(uuid_uniq("contract_id"))
                        .col(string("title"))
                        .col(text("description"))
                        .foreign_key(&mut fk("intervention", "contract_id", "contract", "id")),
                )
                .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "intervention",
            "contract_subcontractor",
            "contract",
            "service_provider",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
