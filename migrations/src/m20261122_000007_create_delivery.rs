//! Service delivery: appointments (initial assessment and sessions, with rescheduling history
//! and feedback), action plans and their activities, delivery sessions, end-of-service reports
//! with one outcome per desired outcome, and notifications to practitioners. The referral keeps
//! when the person was first seen in a delivery session.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{audit_columns, fk, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("referral")
                    .add_column(timestamp_with_time_zone_null("initial_contact_at"))
                    .to_owned(),
            )
            .await?;
        // How far delivery had got when the referral was withdrawn: what it concludes from.
        manager
            .alter_table(
                Table::alter()
                    .table("referral")
                    .add_column(string_null("withdrawal_delivery_state"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("action_plan")
                        .col(uuid("id").primary_key())
                        .col(uuid("referral_id"))
                        .col(integer("revision").check(Expr::cust("revision > 0")))
                        .col(
                            integer("number_of_sessions")
                                .check(Expr::cust("number_of_sessions > 0")),
                        )
                        .col(timestamp_with_time_zone("submitted_at"))
                        .col(string("submitted_by"))
                        .col(timestamp_with_time_zone_null("approved_at"))
                        .col(string_null("approved_by"))
                        .col(boolean("approved_automatically").default(false))
                        .foreign_key(&mut fk("action_plan", "referral_id", "referral", "id")),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("action_plan_referral_id_revision_key")
                    .table("action_plan")
                    .col("referral_id")
                    .col("revision")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("action_plan_activity")
                        .col(uuid("action_plan_id"))
                        .col(integer("position"))
                        .col(text("description"))
                        .primary_key(
                            Index::create()
                                .name("action_plan_activity_pkey")
                                .col("action_plan_id")
                                .col("position"),
                        )
                        .foreign_key(&mut fk(
                            "action_plan_activity",
                            "action_plan_id",
                            "action_plan",
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
                        .table("delivery_session")
                        .col(uuid("referral_id"))
                        .col(integer("session_number").check(Expr::cust("session_number > 0")))
                        .col(uuid("action_plan_id"))
                        .primary_key(
                            Index::create()
                                .name("delivery_session_pkey")
                                .col("referral_id")
                                .col("session_number"),
                        )
                        .foreign_key(&mut fk("delivery_session", "referral_id", "referral", "id"))
                        .foreign_key(&mut fk(
                            "delivery_session",
                            "action_plan_id",
                            "action_plan",
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
                        .table("appointment")
                        .col(uuid("id").primary_key())
                        .col(uuid("referral_id"))
                        .col(string("kind").check(Expr::cust("kind IN ('ASSESSMENT', 'SESSION')")))
                        .col(integer_null("session_number"))
                        .col(timestamp_with_time_zone("starts_at"))
                        .col(integer("duration_minutes").check(Expr::cust("duration_minutes > 0")))
                        .col(string("delivery_method"))
                        .col(string("session_type"))
                        .col(string_null("probation_office_code"))
                        .col(text_null("address_first_line"))
                        .col(text_null("address_second_line"))
                        .col(text_null("address_town_or_city"))
                        .col(text_null("address_county"))
                        .col(string_null("address_postcode"))
                        .col(string("created_by"))
                        // Rescheduling: the old appointment points at its replacement.
                        .col(uuid_null("superseded_by_id").unique_key())
                        .col(timestamp_with_time_zone_null("superseded_at"))
                        .col(string_null("rescheduled_by"))
                        .col(text_null("reschedule_reason"))
                        .col(string_null("reschedule_requested_by"))
                        // Feedback, which locks the appointment once recorded.
                        .col(string_null("attended"))
                        .col(boolean_null("did_session_happen"))
                        .col(text_null("late_reason"))
                        .col(text_null("no_session_reason"))
                        .col(text_null("no_attendance_information"))
                        .col(text_null("session_summary"))
                        .col(text_null("session_response"))
                        .col(text_null("concerns"))
                        .col(boolean_null("notify_probation_practitioner"))
                        .col(timestamp_with_time_zone_null("feedback_submitted_at"))
                        .col(string_null("feedback_submitted_by"))
                        .check(Expr::cust(
                            "(kind = 'ASSESSMENT' AND session_number IS NULL) \
                             OR (kind = 'SESSION' AND session_number > 0)",
                        ))
                        .check(Expr::cust(
                            "attended IS NULL OR attended IN ('YES', 'LATE', 'NO')",
                        ))
                        .check(Expr::cust(
                            "(feedback_submitted_at IS NULL) = (attended IS NULL)",
                        ))
                        .check(Expr::cust(
                            "delivery_method IN ('PHONE_CALL', 'VIDEO_CALL', \
                             'IN_PERSON_PROBATION_OFFICE', 'IN_PERSON_OTHER')",
                        ))
                        .check(Expr::cust("session_type IN ('ONE_TO_ONE', 'GROUP')"))
                        .check(Expr::cust(
                            "reschedule_requested_by IS NULL OR reschedule_requested_by IN \
                             ('SERVICE_PROVIDER', 'PERSON_ON_PROBATION', 'PROBATION_PRACTITIONER')",
                        ))
                        .foreign_key(&mut fk("appointment", "referral_id", "referral", "id"))
                        .foreign_key(&mut fk(
                            "appointment",
                            "superseded_by_id",
                            "appointment",
                            "id",
                        )),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "appointment",
                &["referral_id", "kind", "session_number", "created_at"],
            ))
            .await?;
        // At most one open booking (not moved, no feedback) per assessment or session.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX appointment_one_open_booking_key \
                 ON appointment (referral_id, kind, COALESCE(session_number, 0)) \
                 WHERE superseded_at IS NULL AND feedback_submitted_at IS NULL",
            )
            .await?;

        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("end_of_service_report")
                        .col(uuid("id").primary_key())
                        .col(uuid("referral_id").unique_key())
                        .col(text_null("further_information"))
                        .col(timestamp_with_time_zone("submitted_at"))
                        .col(string("submitted_by"))
                        .foreign_key(&mut fk(
                            "end_of_service_report",
                            "referral_id",
                            "referral",
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
                        .table("end_of_service_report_outcome")
                        .col(uuid("report_id"))
                        .col(uuid("desired_outcome_id"))
                        .col(uuid("service_category_id"))
                        .col(string("achievement_level").check(Expr::cust(
                            "achievement_level IN ('ACHIEVED', 'PARTIALLY_ACHIEVED', 'NOT_ACHIEVED')",
                        )))
                        .col(text_null("progression_comments"))
                        .col(text_null("additional_task_comments"))
                        .primary_key(
                            Index::create()
                                .name("end_of_service_report_outcome_pkey")
                                .col("report_id")
                                .col("desired_outcome_id"),
                        )
                        .foreign_key(&mut fk(
                            "end_of_service_report_outcome",
                            "report_id",
                            "end_of_service_report",
                            "id",
                        ))
                        .foreign_key(&mut fk(
                            "end_of_service_report_outcome",
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
                        .table("notification")
                        .col(uuid("id").primary_key())
                        .col(uuid("referral_id"))
                        .col(string("recipient_id"))
                        .col(string("kind").check(Expr::cust(
                            "kind IN ('APPOINTMENT_NOT_ATTENDED', 'CONCERNS_RAISED')",
                        )))
                        .col(uuid_null("appointment_id"))
                        .col(timestamp_with_time_zone("notified_at"))
                        .col(timestamp_with_time_zone_null("read_at"))
                        .foreign_key(&mut fk("notification", "referral_id", "referral", "id"))
                        .foreign_key(&mut fk(
                            "notification",
                            "appointment_id",
                            "appointment",
                            "id",
                        )),
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "notification",
                &["recipient_id", "notified_at", "id"],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "notification",
            "end_of_service_report_outcome",
            "end_of_service_report",
            "appointment",
            "delivery_session",
            "action_plan_activity",
            "action_plan",
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in ["withdrawal_delivery_state", "initial_contact_at"] {
            manager
                .alter_table(
                    Table::alter()
                        .table("referral")
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
