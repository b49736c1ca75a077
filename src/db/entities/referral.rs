//! The `referral` table: a draft or sent referral.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "referral")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub reference: Option<String>,
    pub status: String,
    pub version: i32,
    pub intervention_id: Uuid,
    pub contract_id: Uuid,
    pub crn: String,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub listed_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    pub sent_by: Option<String>,
    pub responsible_pp_id: Option<String>,
    pub assigned_to_id: Option<String>,
    pub assigned_at: Option<DateTimeUtc>,
    pub concluded_at: Option<DateTimeUtc>,
    pub withdrawal_reason_code: Option<String>,
    pub withdrawal_comments: Option<String>,
    pub withdrawn_at: Option<DateTimeUtc>,
    pub withdrawn_by: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub first_name_key: Option<String>,
    pub last_name_key: Option<String>,
    pub date_of_birth: Option<Date>,
    pub gender: Option<String>,
    pub ethnicity: Option<String>,
    pub preferred_language: Option<String>,
    pub disabilities: Option<String>,
    pub completion_deadline: Option<Date>,
    pub maximum_enforceable_days: Option<i32>,
    pub reason_for_referral: Option<String>,
    pub further_information: Option<String>,
    pub accessibility_needs: Option<String>,
    pub additional_needs_information: Option<String>,
    pub needs_interpreter: Option<bool>,
    pub interpreter_language: Option<String>,
    pub has_additional_responsibilities: Option<bool>,
    pub when_unavailable: Option<String>,
    pub risk_information: Option<String>,
    pub location_type: Option<String>,
    pub prison_code: Option<String>,
    pub expected_release_date: Option<Date>,
    pub expected_release_date_unknown_reason: Option<String>,
    pub probation_delivery_unit_code: Option<String>,
    pub probation_office: Option<String>,
    /// When the person first attended a delivery session.
    pub initial_contact_at: Option<DateTimeUtc>,
    /// How far delivery had got when the referral was withdrawn.
    pub withdrawal_delivery_state: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::intervention::Entity",
        from = "Column::InterventionId",
        to = "super::intervention::Column::Id"
    )]
    Intervention,
    #[sea_orm(
        belongs_to = "super::contract::Entity",
        from = "Column::ContractId",
        to = "super::contract::Column::Id"
    )]
    Contract,
}

impl Related<super::intervention::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Intervention.def()
    }
}

impl Related<super::contract::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Contract.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
