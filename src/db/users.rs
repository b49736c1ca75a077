//! Users as seen in tokens.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::entities::app_user;
use crate::domain::actor::{
    CONTRACT_GROUP_PREFIX, PROVIDER_GROUP_PREFIX, Principal, REGION_GROUP_PREFIX, UserId,
};
use crate::error::{AppError, internal};

/// The groups of a principal, written back with their prefixes.
fn group_names(principal: &Principal) -> Vec<String> {
    let groups = &principal.groups;
    groups
        .providers
        .iter()
        .map(|c| format!("{PROVIDER_GROUP_PREFIX}{c}"))
        .chain(
            groups
                .contracts
                .iter()
                .map(|c| format!("{CONTRACT_GROUP_PREFIX}{c}")),
        )
        .chain(
            groups
                .regions
                .iter()
                .map(|c| format!("{REGION_GROUP_PREFIX}{c}")),
        )
        .collect()
}

/// The row of a user as seen in `principal`'s token at `now`.
pub(crate) fn user_row(
    principal: &Principal,
    now: DateTime<Utc>,
) -> Result<app_user::ActiveModel, AppError> {
    let authorities: Vec<&str> = principal.roles.iter().map(|r| r.authority()).collect();
    Ok(app_user::ActiveModel {
        id: Set(principal.user_id.0.clone()),
        name: Set(principal.name.clone()),
        email: Set(principal.email.clone()),
        last_seen_at: Set(now),
        updated_at: Set(now),
        authorities: Set(to_json(&authorities)?),
        groups: Set(to_json(&group_names(principal))?),
    })
}

/// Records a user on first sight, or refreshes their name, email, roles, groups and last-seen
/// time.
pub async fn record_seen(
    db: &impl ConnectionTrait,
    principal: &Principal,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    app_user::Entity::insert(user_row(principal, now)?)
        .on_conflict(
            OnConflict::column(app_user::Column::Id)
                .update_columns([
                    app_user::Column::Name,
                    app_user::Column::Email,
                    app_user::Column::LastSeenAt,
                    app_user::Column::UpdatedAt,
                    app_user::Column::Authorities,
                    app_user::Column::Groups,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// A list as a JSON text column.
fn to_json<T: serde::Serialize>(values: &[T]) -> Result<String, AppError> {
    serde_json::to_string(values).map_err(|e| internal("user record", e))
}

/// A recorded user: their name and email, and the principal of their latest token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedUser {
    pub id: UserId,
    pub name: Option<String>,
    pub email: Option<String>,
    pub principal: Principal,
}

fn to_user(row: app_user::Model) -> Result<RecordedUser, AppError> {
    let authorities: Vec<String> =
        serde_json::from_str(&row.authorities).map_err(|e| internal("user row", e))?;
    let groups: Vec<String> =
        serde_json::from_str(&row.groups).map_err(|e| internal("user row", e))?;
    let principal = Principal::new(
        row.id.clone(),
        row.name.clone(),
        row.email.clone(),
        authorities.iter().map(String::as_str),
        groups.iter().map(String::as_str),
    );
    Ok(RecordedUser {
        id: UserId(row.id),
        name: row.name,
        email: row.email,
        principal,
    })
}

/// The claims of the latest token of the recorded user `id` (name, email, authorities,
/// groups), to mint one like it in development.
pub async fn latest_claims(
    db: &impl ConnectionTrait,
    id: &str,
) -> Result<Option<(Option<String>, Option<String>, Vec<String>, Vec<String>)>, AppError> {
    let Some(row) = app_user::Entity::find_by_id(id.to_owned()).one(db).await? else {
        return Ok(None);
    };
    let authorities: Vec<String> =
        serde_json::from_str(&row.authorities).map_err(|e| internal("user row", e))?;
    let groups: Vec<String> =
        serde_json::from_str(&row.groups).map_err(|e| internal("user row", e))?;
    Ok(Some((row.name, row.email, authorities, groups)))
}

/// The recorded user with this id.
pub async fn find(
    db: &impl ConnectionTrait,
    id: &UserId,
) -> Result<Option<RecordedUser>, AppError> {
    let row = app_user::Entity::find_by_id(id.0.clone()).one(db).await?;
    row.map(to_user).transpose()
}

/// The recorded users with these ids.
pub async fn find_many(
    db: &impl ConnectionTrait,
    ids: &[UserId],
) -> Result<HashMap<UserId, RecordedUser>, AppError> {
    let rows = app_user::Entity::find()
        .filter(app_user::Column::Id.is_in(ids.iter().map(|u| u.0.clone())))
        .all(db)
        .await?;
    rows.into_iter()
        .map(|row| to_user(row).map(|u| (u.id.clone(), u)))
        .collect()
}
