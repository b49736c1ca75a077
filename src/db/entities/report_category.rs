//! The `report_category` table: one selected service category of a sent referral, with its
//! complexity and the outcomes reported for it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "report_category")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub referral_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub service_category_id: Uuid,
    pub complexity_level_id: Option<Uuid>,
    pub outcomes_achieved: i32,
    pub outcomes_partially_achieved: i32,
    pub outcomes_not_achieved: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
