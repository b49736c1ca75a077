//! The `appointment` table: an initial assessment or a delivery session appointment.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "appointment")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub referral_id: Uuid,
    pub kind: String,
    pub session_number: Option<i32>,
    pub starts_at: DateTimeUtc,
    pub duration_minutes: i32,
    pub delivery_method: String,
    pub session_type: String,
    pub probation_office_code: Option<String>,
    pub address_first_line: Option<String>,
    pub address_second_line: Option<String>,
    pub address_town_or_city: Option<String>,
    pub address_county: Option<String>,
    pub address_postcode: Option<String>,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub superseded_by_id: Option<Uuid>,
    pub superseded_at: Option<DateTimeUtc>,
    pub rescheduled_by: Option<String>,
    pub reschedule_reason: Option<String>,
    pub reschedule_requested_by: Option<String>,
    pub attended: Option<String>,
    pub did_session_happen: Option<bool>,
    pub late_reason: Option<String>,
    pub no_session_reason: Option<String>,
    pub no_attendance_information: Option<String>,
    pub session_summary: Option<String>,
    pub session_response: Option<String>,
    pub concerns: Option<String>,
    pub notify_probation_practitioner: Option<bool>,
    pub feedback_submitted_at: Option<DateTimeUtc>,
    pub feedback_submitted_by: Option<String>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub cancelled_by: Option<String>,
    pub cancellation_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
