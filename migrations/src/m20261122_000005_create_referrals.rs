//! Referrals (drafts and sent), their selected service categories and desired outcomes, the
//! event history and case notes.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{audit_columns, fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

const STATUSES: &str = "'DRAFT', 'SENT', 'ASSIGNED', 'ASSESSMENT_BOOKED', 'ASSESSMENT_COMPLETED', \
    'ACTION_PLAN_SUBMITTED', 'IN_DELIVERY', 'AWAITING_END_OF_SERVICE_REPORT', 'COMPLETED', \
    'CANCELLED', 'PREMATURELY_ENDED'";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("referral")
                        .col(uuid("id").primary_key())
                        .col(string_null("reference"))
                        .col(string("status").check(Expr::cust(format!("status IN ({STATUSES})"))))
                        .col(integer("version"))
                        .col(uuid("intervention_id"))
                        .col(uuid("contract_id"))
                        .col(string("crn"))
                        .col(string("created_by"))
                        .col(timestamp_with_time_zone("listed_at"))
                        .col(timestamp_with_time_zone_null("sent_at"))
                        .col(string_null("sent_by"))
                        .col(string_null("responsible_pp_id"))
                        .col(string_null("assigned_to_id"))
                        .col(timestamp_with_time_zone_null("assigned_at"))
                        .col(timestamp_with_time_zone_null("concluded_at"))
                        .col(string_len_null("withdrawal_reason_code", 3))
                        .col(text_null("withdrawal_comments"))
                        .col(timestamp_with_time_zone_null("withdrawn_at"))
                        .col(string_null("withdrawn_by"))
                        // The person.
                        .col(text_null("first_name"))
                        .col(text_null("last_name"))
                        .col(text_null("first_name_key"))
                        .col(text_null("last_name_key"))
                        .col(date_null("date_of_birth"))
                        .col(string_null("gender"))
                        .col(text_null("ethnicity"))
                        .col(text_null("preferred_language"))
                        .col(text_null("disabilities"))
                        // Referral details.
                        .col(date_null("completion_deadline"))
                        .col(integer_null("maximum_enforceable_days"))
                        .col(text_null("reason_for_referral"))
                        .col(text_null("further_information"))
                        .col(text_null("accessibility_needs"))
                        .col(text_null("additional_needs_information"))
                        .col(boolean_null("needs_interpreter"))
                        .col(text_null("interpreter_language"))
                        .col(boolean_null("has_additional_responsibilities"))
                        .col(text_null("when_unavailable"))
                        .col(text_null("risk_information"))
                        .col(string_null("location_type"))
                        .col(text_null("prison_code"))
                        .col(date_null("expected_release_date"))
                        .col(text_null("expected_release_date_unknown_reason"))
                        .col(string_null("probation_delivery_unit_code"))
                        .col(text_null("probation_office"))
                        .foreign_key(&mut fk("referral", "intervention_id", "intervention", "id"))
                        .foreign_key(&mut fk("referral", "contract_id", "contract", "id"))
                        .foreign_key(&mut fk(
                            "referral",
                            "withdrawal_reason_code",
                            "withdrawal_reason",
                            "code",
                        ))
                        .foreign_key(&mut fk(
                            "referral",
                            "probation_delivery_unit_code",
                            "probation_delivery_unit",
                            "code",
                        )),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("referral_reference_key")
                    .table("referral")
                    .col("reference")
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Dashboards: scope by contract, newest first; practitioners' own; assignee; name search.
        manager
            .create_index(index("referral", &["contract_id", "listed_at", "id"]))
            .await?;
        manager
            .create_index(index("referral", &["listed_at", "id"]))
            .await?;
        manager
            .create_index(index("referral", &["created_by", "listed_at"]))
            .await?;
        manager
            .create_index(index("referral", &["responsible_pp_id", "listed_at"]))
            .await?;
        manager
            .create_index(index("referral", &["assigned_to_id"]))
            .await?;
        manager
            .create_index(index("referral", &["last_name_key"]))
            .await?;
        manager
            .create_index(index("referral", &["intervention_id"]))
            .await?;

        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("referral_service_category")
                        .col(uuid("referral_id"))
                        .col(uuid("service_category_id"))
                        .col(uuid_null("complexity_level_id"))
                        .primary_key(
                            Index::create()
                                .name("referral_service_category_pkey")
                                .col("referral_id")
                                .col("service_category_id"),
                        )
                        .foreign_key(&mut fk(
                            "referral_service_category",
                            "referral_id",
                            "referral",
                            "id",
                        ))
                        .foreign_key(&mut fk(
                            "referral_service_category",
                            "service_category_id",
                            "service_category",
                            "id",
                        ))
                        .foreign_key(&mut fk(
                            "referral_service_category",
                            "complexity_level_id",
                            "complexity_level",
                            "id",
                        )),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("referral_desired_outcome")
                        .col(uuid("referral_id"))
                        .col(uuid("service_category_id"))
                        .col(uuid("desired_outcome_id"))
                        .primary_key(
                            Index::create()
                                .name("referral_desired_outcome_pkey")
                                .col("referral_id")
                                .col("desired_outcome_id"),
                        )
                        .foreign_key(&mut fk(
                            "referral_desired_outcome",
                            "referral_id",
                            "referral",
                            "id",
                        ))
                        .foreign_key(&mut fk(
                            "referral_desired_outcome",
                            "desired_outcome_id",
                            "desired_outcome",
                            "id",
                        )),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("referral_event")
                        .col(uuid("id").primary_key())
                        .col(uuid("referral_id"))
                        .col(timestamp_with_time_zone("at"))
                        .col(string("actor_id"))
                        .col(string("kind"))
                        .col(string_null("from_status"))
                        .col(string("to_status"))
                        .col(text_null("detail"))
                        .foreign_key(&mut fk("referral_event", "referral_id", "referral", "id")),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index("referral_event", &["referral_id", "at"]))
            .await?;
        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("case_note")
                        .col(uuid("id").primary_key())
                        .col(uuid("referral_id"))
                        .col(string("author_id"))
                        .col(text("subject"))
                        .col(text("body"))
                        .col(timestamp_with_time_zone("sent_at"))
                        .foreign_key(&mut fk("case_note", "referral_id", "referral", "id")),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index("case_note", &["referral_id", "sent_at"]))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "case_note",
            "referral_event",
            "referral_desired_outcome",
            "referral_service_category",
            "referral",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
