//! The outcome report's per-category rows carry their referral's facts too, so a report by
//! service category or complexity reads one table instead of joining a million referrals to
//! their categories. The rows already written are copied over; the old table goes.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The referral's facts repeated on each of its category rows, as in `report_referral`.
const REFERRAL_COLUMNS: [&str; 21] = [
    "contract_id",
    "probation_delivery_unit_code",
    "sent_on",
    "sent_month",
    "sent_quarter",
    "status",
    "concluded_on",
    "completion_deadline",
    "gender",
    "ethnic_group",
    "age_band",
    "location_type",
    "withdrawal_reason_code",
    "assessments_attended",
    "assessments_missed",
    "sessions_planned",
    "sessions_attended",
    "sessions_missed",
    "days_to_assignment",
    "days_to_assessment",
    "days_to_first_session",
];

/// The category's own columns, as in `report_category`.
const CATEGORY_COLUMNS: [&str; 6] = [
    "referral_id",
    "service_category_id",
    "complexity_level_id",
    "outcomes_achieved",
    "outcomes_partially_achieved",
    "outcomes_not_achieved",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("report_referral_category")
                    .col(uuid("referral_id"))
                    .col(uuid("service_category_id"))
                    .col(uuid_null("complexity_level_id"))
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
                    .primary_key(
                        Index::create()
                            .name("report_referral_category_pkey")
                            .col("referral_id")
                            .col("service_category_id"),
                    )
                    .foreign_key(&mut fk(
                        "report_referral_category",
                        "referral_id",
                        "report_referral",
                        "referral_id",
                    ))
                    .foreign_key(&mut fk(
                        "report_referral_category",
                        "service_category_id",
                        "service_category",
                        "id",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("report_referral_category", &["service_category_id"]))
            .await?;
        let category: Vec<String> = CATEGORY_COLUMNS.iter().map(|c| format!("rc.{c}")).collect();
        let referral: Vec<String> = REFERRAL_COLUMNS.iter().map(|c| format!("f.{c}")).collect();
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "INSERT INTO report_referral_category ({}, {}) SELECT {}, {} \
                 FROM report_category rc JOIN report_referral f ON f.referral_id = rc.referral_id",
                CATEGORY_COLUMNS.join(", "),
                REFERRAL_COLUMNS.join(", "),
                category.join(", "),
                referral.join(", "),
            ))
            .await?;
        manager
            .drop_table(Table::drop().table("report_category").to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
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
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "INSERT INTO report_category ({0}) SELECT {0} FROM report_referral_category",
                CATEGORY_COLUMNS.join(", ")
            ))
            .await?;
        manager
            .drop_table(Table::drop().table("report_referral_category").to_owned())
            .await
    }
}
