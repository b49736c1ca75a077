//! The `notification` table: something one side of a referral must be told about it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub referral_id: Uuid,
    /// A user's id, when it went to one user.
    pub recipient_id: Option<String>,
    /// A provider's code, when it went to every user of the organisation.
    pub recipient_provider_code: Option<String>,
    pub kind: String,
    pub appointment_id: Option<Uuid>,
    pub notified_at: DateTimeUtc,
    pub read_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
