//! The `contract` table: a dynamic framework contract.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contract")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub reference: String,
    pub contract_type_code: String,
    pub prime_provider_code: String,
    pub region_code: Option<String>,
    pub pcc_area_code: Option<String>,
    pub minimum_age: i32,
    pub maximum_age: Option<i32>,
    pub allows_female: bool,
    pub allows_male: bool,
    pub referral_start_date: Date,
    pub referral_end_date: Option<Date>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_one = "super::intervention::Entity")]
    Intervention,
}

impl Related<super::intervention::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Intervention.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
