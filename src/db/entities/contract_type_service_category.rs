//! The `contract_type_service_category` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contract_type_service_category")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub contract_type_code: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub service_category_id: Uuid,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
