//! Users as seen in tokens.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};

use super::entities::app_user;
use crate::domain::actor::UserId;
use crate::error::AppError;

/// Records a user on first sight, or refreshes their name, email and last-seen time.
pub async fn record_seen(
    db: &DatabaseConnection,
    id: &UserId,
    name: Option<&str>,
    email: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let row = app_user::ActiveModel {
        id: Set(id.0.clone()),
        name: Set(name.map(str::to_owned)),
        email: Set(email.map(str::to_owned)),
        last_seen_at: Set(now),
        updated_at: Set(now),
    };
    app_user::Entity::insert(row)
        .on_conflict(
            OnConflict::column(app_user::Column::Id)
                .update_columns([
                    app_user::Column::Name,
                    app_user::Column::Email,
                    app_user::Column::LastSeenAt,
                    app_user::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// A recorded user: name and email as last seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedUser {
    pub id: UserId,
    pub name: Option<String>,
    pub email: Option<String>,
}

/// The recorded user with this id.
pub async fn find(db: &DatabaseConnection, id: &UserId) -> Result<Option<RecordedUser>, AppError> {
    let row = app_user::Entity::find_by_id(id.0.clone()).one(db).await?;
    Ok(row.map(|u| RecordedUser {
        id: UserId(u.id),
        name: u.name,
        email: u.email,
    }))
}
