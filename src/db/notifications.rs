//! Notifications to either side of a referral. Every read filters by recipient (the user, or
//! one of the user's provider organisations) and by the reader's referral access in SQL, so a
//! notification about a referral they can no longer see is gone.

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
use crate::domain::notifications::{Notification, NotificationKind, Recipient};
use crate::domain::page::PageCursor;
use crate::domain::referral::ReferralAccess;
use crate::error::{AppError, internal};

/// Who reads notifications: a user, and the organisations they belong to (provider users).
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    pub user: &'a UserId,
    pub provider_codes: &'a [String],
}

fn to_notification(n: notification::Model) -> Result<Notification, AppError> {
    let recipient = match (n.recipient_id, n.recipient_provider_code) {
        (Some(user), None) => Recipient::User(UserId(user)),
        (None, Some(code)) => Recipient::Provider(code),
        _ => {
            return Err(internal(
                "notification row",
                format!("not one recipient on {}", n.id),
            ));
        }
    };
    Ok(Notification {
        id: n.id,
        referral_id: n.referral_id,
        recipient,
        kind: NotificationKind::from_code(&n.kind)
            .ok_or_else(|| internal("notification row", format!("bad kind on {}", n.id)))?,
        appointment_id: n.appointment_id,
        notified_at: n.notified_at,
        read_at: n.read_at,
    })
}

/// The notifications `reader` may read: theirs or their organisations', about referrals in
/// their access.
fn readable(reader: &Reader<'_>, access: &ReferralAccess, unread_only: bool) -> Condition {
    let mut addressed =
        Condition::any().add(notification::Column::RecipientId.eq(reader.user.0.clone()));
    if !reader.provider_codes.is_empty() {
        addressed = addressed.add(
            notification::Column::RecipientProviderCode
                .is_in(reader.provider_codes.iter().cloned()),
        );
    }
    let mut condition = Condition::all().add(addressed).add(
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
        recipient_id: Set(match &n.recipient {
            Recipient::User(user) => Some(user.0.clone()),
            Recipient::Provider(_) => None,
        }),
        recipient_provider_code: Set(match &n.recipient {
            Recipient::User(_) => None,
            Recipient::Provider(code) => Some(code.clone()),
        }),
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

/// One page of a reader's notifications, newest first, after `cursor`; the bool says
/// whether more follow.
pub async fn page(
    db: &impl ConnectionTrait,
    reader: &Reader<'_>,
    access: &ReferralAccess,
    unread_only: bool,
    cursor: Option<PageCursor>,
    limit: u64,
) -> Result<(Vec<Notification>, bool), AppError> {
    let mut condition = readable(reader, access, unread_only);
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

/// How many notifications the reader may read.
pub async fn count(
    db: &impl ConnectionTrait,
    reader: &Reader<'_>,
    access: &ReferralAccess,
    unread_only: bool,
) -> Result<u64, AppError> {
    Ok(notification::Entity::find()
        .filter(readable(reader, access, unread_only))
        .count(db)
        .await?)
}

/// Marks a readable notification as read (keeping the first reading time); `None` if the
/// reader may not read it.
pub async fn mark_read(
    db: &impl ConnectionTrait,
    id: Uuid,
    reader: &Reader<'_>,
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
        .filter(readable(reader, access, false))
        .exec(db)
        .await?;
    notification::Entity::find()
        .filter(notification::Column::Id.eq(id))
        .filter(readable(reader, access, false))
        .one(db)
        .await?
        .map(to_notification)
        .transpose()
}

/// The notifications among `ids` that `reader` may read, oldest first.
pub async fn readable_among(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
    reader: &Reader<'_>,
    access: &ReferralAccess,
) -> Result<Vec<Notification>, AppError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    notification::Entity::find()
        .filter(notification::Column::Id.is_in(ids.iter().copied()))
        .filter(readable(reader, access, false))
        .order_by_asc(notification::Column::NotifiedAt)
        .order_by_asc(notification::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(to_notification)
        .collect()
}
