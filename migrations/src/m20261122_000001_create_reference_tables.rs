//! The reference catalogue: regions, PCC areas, probation delivery units, contract types,
//! service categories with their complexity levels and desired outcomes, withdrawal reasons.

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
                        .table("region")
                        .col(string_len("code", 1).primary_key())
                        .col(string("name")),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("pcc_area")
                        .col(string("code").primary_key())
                        .col(string("name"))
                        .col(string_len("region_code", 1))
                        .foreign_key(&mut fk("pcc_area", "region_code", "region", "code")),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index("pcc_area", &["region_code"]))
            .await?;
        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("probation_delivery_unit")
                        .col(string("code").primary_key())
                        .col(string("name"))
                        .col(string("pcc_area_code"))
                        .foreign_key(&mut fk(
                            "probation_delivery_unit",
                            "pcc_area_code",
                            "pcc_area",
                            "code",
                        )),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index("probation_delivery_unit", &["pcc_area_code"]))
            .await?;
        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("contract_type")
                        .col(string("code").primary_key())
                        .col(string("name"))
                        .col(string_len("reference_suffix", 2)),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("service_category")
                        .col(uuid("id").primary_key())
                        .col(string_uniq("name")),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("contract_type_service_category")
                        .col(string("contract_type_code"))
                        .col(uuid("service_category_id"))
                        .primary_key(
                            Index::create()
                                .name("contract_type_service_category_pkey")
                                .col("contract_type_code")
                                .col("service_category_id"),
                        )
                        .foreign_key(&mut fk(
                            "contract_type_service_category",
                            "contract_type_code",
                            "contract_type",
                            "code",
                        ))
                        .foreign_key(&mut fk(
                            "contract_type_service_category",
                            "service_category_id",
                            "service_category",
                            "id",
                        )),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "contract_type_service_category",
                &["service_category_id"],
            ))
            .await?;
        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("complexity_level")
                        .col(uuid("id").primary_key())
                        .col(uuid("service_category_id"))
                        .col(
                            string("complexity")
                                .check(Expr::cust("complexity IN ('LOW', 'MEDIUM', 'HIGH')")),
                        )
                        .col(string("title"))
                        .col(text("description"))
                        .foreign_key(&mut fk(
                            "complexity_level",
                            "service_category_id",
                            "service_category",
                            "id",
                        )),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index("complexity_level", &["service_category_id", "complexity"])
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("desired_outcome")
                        .col(uuid("id").primary_key())
                        .col(uuid("service_category_id"))
                        .col(integer("position"))
                        .col(text("description"))
                        .col(timestamp_with_time_zone_null("deprecated_at"))
                        .foreign_key(&mut fk(
                            "desired_outcome",
                            "service_category_id",
                            "service_category",
                            "id",
                        )),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "desired_outcome",
                &["service_category_id", "position"],
            ))
            .await?;
        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("withdrawal_reason")
                        .col(string_len("code", 3).primary_key())
                        .col(string("description"))
                        .col(string("grouping").check(Expr::cust(
                            "\"grouping\" IN ('problem', 'user', 'sentence', 'early', 'other')",
                        )))
                        .col(integer("position")),
                )
                .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "withdrawal_reason",
            "desired_outcome",
            "complexity_level",
            "contract_type_service_category",
            "service_category",
            "contract_type",
            "probation_delivery_unit",
            "pcc_area",
            "region",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
