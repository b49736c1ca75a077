//! Notifications to practitioners. Every read filters by recipient and by the recipient's
//! referral access in SQL, so a notification about a referral they can no longer see is gone.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::entities::{notification, referral};
use super::referrals::visible;
use crate::domain::actor::UserId;
use crate::domain::delivery::{Notification, NotificationKind};
use crate::domain::page::PageCursor;
use crate::domain::referral::ReferralAccess;
use crate::error::{AppError, internal};

fn to_notification(n: notification::Model) -> Result<Notification, AppError> {
    Ok(Notification {
        id: n.id,
        referral_id: n.referral_id,
        recipient: UserId(n.recipient_id),
        kind: NotificationKind::from_code(&n.kind)
            .ok_or_else(|| internal("notification row", format!("bad kind on {}", n.id)))?,
        appointment_id: n.appointment_id,
        notified_at: n.notified_at,
        read_at: n.read_at,
    })
}

/// The notifications `recipient` may read: theirs, about referrals in their access.
fn readable(recipient: &UserId, access: &ReferralAccess, unread_only: bool) -> Condition {
    let mut condition = Condition::all()
        .add(notification::Column::RecipientId.eq(recipient.0.clone()))
        .add(
            notification::Column::ReferralId.in_subquery(
                Query::select()
                    .column(referral::Column::Id)
                    .from(referral::Entity)
                    .cond_where(visible(access))
                    .to_owned(),
            ),
        );
    if unread_only {
        condition = condition.add(notification::Column::ReadAt.is_null());
    }
    condition
}

/// The row of a notification.
pub(crate) fn notification_row(n: &Notification) -> notification::ActiveModel {
    notification::ActiveModel {
        id: Set(n.id),
        referral_id: Set(n.referral_id),
        recipient_id: Set(n.recipient.0.clone()),
        kind: Set(n.kind.code().to_owned()),
        appointment_id: Set(n.appointment_id),
        notified_at: Set(n.notified_at),
        read_at: Set(n.read_at),
        created_at: Set(n.notified_at),
        updated_at: Set(n.read_at.unwrap_or(n.notified_at)),
    }
}

/// Adds notifications.
pub async fn insert(db: &impl ConnectionTrait, items: &[Notification]) -> Result<(), AppError> {
    if items.is_empty() {
        return Ok(());
    }
    notification::Entity::insert_many(items.iter().map(notification_row))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// One page of a recipient's notifications, newest first, after `cursor`; the bool says
/// whether more follow.
pub async fn page(
    db: &impl ConnectionTrait,
    recipient: &UserId,
    access: &ReferralAccess,
    unread_only: bool,
    cursor: Option<PageCursor>,
    limit: u64,
) -> Result<(Vec<Notification>, bool), AppError> {
    let mut condition = readable(recipient, access, unread_only);
    if let Some(cursor) = cursor {
        condition = condition.add(
            Condition::any()
                .add(notification::Column::NotifiedAt.lt(cursor.listed_at))
                .add(
                    Condition::all()
                        .add(notification::Column::NotifiedAt.eq(cursor.listed_at))
                        .add(notification::Column::Id.lt(cursor.id)),
                ),
        );
    }
    let rows = notification::Entity::find()
        .filter(condition)
        .order_by_desc(notification::Column::NotifiedAt)
        .order_by_desc(notification::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    let items = rows
        .into_iter()
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(to_notification)
        .collect::<Result<_, _>>()?;
    Ok((items, more))
}

/// How many notifications the recipient may read.
pub async fn count(
    db: &impl ConnectionTrait,
    recipient: &UserId,
    access: &ReferralAccess,
    unread_only: bool,
) -> Result<u64, AppError> {
    Ok(notification::Entity::find()
        .filter(readable(recipient, access, unread_only))
        .count(db)
        .await?)
}

/// Marks a readable notification as read (keeping the first reading time); `None` if the
/// recipient may not read it.
pub async fn mark_read(
    db: &impl ConnectionTrait,
    id: Uuid,
    recipient: &UserId,
    access: &ReferralAccess,
    at: DateTime<Utc>,
) -> Result<Option<Notification>, AppError> {
    notification::Entity::update_many()
        .set(notification::ActiveModel {
            read_at: Set(Some(at)),
            updated_at: Set(at),
            ..Default::default()
        })
        .filter(notification::Column::Id.eq(id))
        .filter(notification::Column::ReadAt.is_null())
        .filter(readable(recipient, access, false))
        .exec(db)
        .await?;
    notification::Entity::find()
        .filter(notification::Column::Id.eq(id))
        .filter(readable(recipient, access, false))
        .one(db)
        .await?
        .map(to_notification)
        .transpose()
}
