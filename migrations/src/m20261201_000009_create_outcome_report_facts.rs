//! The outcome report's read model: one row of facts per sent referral (where, when, who for,
//! how it went) and one per selected service category (its complexity and outcomes). The
//! application writes them in the same transaction as every change to the referral, from the
//! same definitions the report documents; the report aggregates them with `GROUP BY`.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("report_referral")
                    .col(uuid("referral_id").primary_key())
                    .col(uuid("contract_id"))
                    .col(string_null("probation_delivery_unit_code"))
                    .col(date("sent_on"))
                    .col(string("sent_month"))
                    .col(string("sent_quarter"))
                    .col(string("status"))
                    .col(date_null("concluded_on"))
                    .col(date_null("completion_deadline"))
                    .col(string("gender"))
                    .col(string("ethnic_group"))
                    .col(string("age_band"))
                    .col(string("location_type"))
                    .col(string_null("withdrawal_reason_code"))
                    .col(integer("assessments_attended"))
                    .col(integer("assessments_missed"))
                    .col(integer("sessions_planned"))
                    .col(integer("sessions_attended"))
                    .col(integer("sessions_missed"))
                    .col(integer("outcomes_achieved"))
                    .col(integer("outcomes_partially_achieved"))
                    .col(integer("outcomes_not_achieved"))
                    .col(integer_null("days_to_assignment"))
                    .col(integer_null("days_to_assessment"))
                    .col(integer_null("days_to_first_session"))
                    .foreign_key(&mut fk("report_referral", "referral_id", "referral", "id"))
                    .foreign_key(&mut fk("report_referral", "contract_id", "contract", "id"))
                    .to_owned(),
            )
            .await?;
        // No index on contract_id: reports add up large shares of the table, and an index only
        // tempts the planner into a loop of bitmap scans where one scan is cheaper.
        manager
            .create_table(
                Table::create()
                    .table("report_category")
                    .col(uuid("referral_id"))
                    .col(uuid("service_category_id"))
                    .col(uuid_null("complexity_level_id"))
                    .col(integer("outcomes_achieved"))
                    .col(integer("outcomes_partially_achieved"))
                    .col(integer("outcomes_not_achieved"))
                    .primary_key(
                        Index::create()
                            .name("report_category_pkey")
                            .col("referral_id")
                            .col("service_category_id"),
                    )
                    .foreign_key(&mut fk(
                        "report_category",
                        "referral_id",
                        "report_referral",
                        "referral_id",
                    ))
                    .foreign_key(&mut fk(
                        "report_category",
                        "service_category_id",
                        "service_category",
                        "id",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("report_category", &["service_category_id"]))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("report_category").to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table("report_referral").to_owned())
            .await
    }
}
