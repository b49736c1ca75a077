//! The change log of referrals: amendments and handovers, written in the change's transaction.

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::entities::referral_change_log;
use crate::domain::actor::UserId;
use crate::domain::amendment::{ChangeLogEntry, ChangeTopic};
use crate::error::{AppError, internal};

/// The row of an entry (also what a bulk load writes).
pub(super) fn row(entry: &ChangeLogEntry) -> referral_change_log::ActiveModel {
    referral_change_log::ActiveModel {
        id: Set(entry.id),
        referral_id: Set(entry.referral_id),
        topic: Set(entry.topic.code().to_owned()),
        old_value: Set(entry.old_value.clone()),
        new_value: Set(entry.new_value.clone()),
        reason: Set(entry.reason.clone()),
        actor_id: Set(entry.actor_id.0.clone()),
        at: Set(entry.at),
        created_at: Set(entry.at),
        updated_at: Set(entry.at),
    }
}

/// Appends entries (none: no statement).
pub async fn insert(db: &impl ConnectionTrait, entries: &[ChangeLogEntry]) -> Result<(), AppError> {
    if entries.is_empty() {
        return Ok(());
    }
    referral_change_log::Entity::insert_many(entries.iter().map(row))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The entries of these referrals (already authorised), oldest first; one statement.
pub async fn of(
    db: &impl ConnectionTrait,
    referral_ids: &[Uuid],
) -> Result<Vec<ChangeLogEntry>, AppError> {
    referral_change_log::Entity::find()
        .filter(referral_change_log::Column::ReferralId.is_in(referral_ids.iter().copied()))
        .order_by_asc(referral_change_log::Column::At)
        .order_by_asc(referral_change_log::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|e| {
            Ok(ChangeLogEntry {
                id: e.id,
                referral_id: e.referral_id,
                topic: ChangeTopic::from_code(&e.topic).ok_or_else(|| {
                    internal("change log row", format!("unknown topic on entry {}", e.id))
                })?,
                old_value: e.old_value,
                new_value: e.new_value,
                reason: e.reason,
                actor_id: UserId(e.actor_id),
                at: e.at,
            })
        })
        .collect()
}
