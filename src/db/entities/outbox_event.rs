//! The `outbox_event` table: a domain event waiting for (or kept after) its publication.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub position: i64,
    pub event_id: Uuid,
    pub referral_id: Uuid,
    pub event_type: String,
    pub occurred_at: DateTimeUtc,
    pub body: String,
    pub published_at: Option<DateTimeUtc>,
    pub attempts: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
