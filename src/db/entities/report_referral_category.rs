//! The `report_referral_category` table: one selected service category of a sent referral, with
//! its complexity and the outcomes reported for it, and the referral's facts repeated (as in
//! `report_referral`) so reports by category read this table without joining the referrals'
//! facts.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "report_referral_category")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub referral_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub service_category_id: Uuid,
    pub complexity_level_id: Option<Uuid>,
    pub contract_id: Uuid,
    pub probation_delivery_unit_code: Option<String>,
    pub sent_on: Date,
    pub sent_month: String,
    pub sent_quarter: String,
    pub status: String,
    pub concluded_on: Option<Date>,
    pub completion_deadline: Option<Date>,
    pub gender: String,
    pub ethnic_group: String,
    /// The ONS 2021 ethnic category (`ethnicity::EthnicCategory` codes).
    pub ethnic_category: String,
    pub age_band: String,
    pub location_type: String,
    pub withdrawal_reason_code: Option<String>,
    pub assessments_attended: i32,
    pub assessments_missed: i32,
    pub sessions_planned: i32,
    pub sessions_attended: i32,
    pub sessions_missed: i32,
    /// This category's outcomes (the referral's are in `report_referral`).
    pub outcomes_achieved: i32,
    pub outcomes_partially_achieved: i32,
    pub outcomes_not_achieved: i32,
    pub days_to_assignment: Option<i32>,
    pub days_to_assessment: Option<i32>,
    pub days_to_first_session: Option<i32>,
    /// 1 on one row of each referral (its lowest category id), 0 on the others: the row a
    /// report by category counts the referral itself on.
    pub first_of_referral: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
