//! The `action_plan` table: one submitted revision of a referral's action plan.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "action_plan")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub referral_id: Uuid,
    pub revision: i32,
    pub number_of_sessions: i32,
    pub submitted_at: DateTimeUtc,
    pub submitted_by: String,
    pub approved_at: Option<DateTimeUtc>,
    pub approved_by: Option<String>,
    pub approved_automatically: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
