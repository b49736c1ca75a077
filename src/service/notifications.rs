//! The caller's notifications, on either side of a referral: a practitioner's (feedback that
//! flags something, an action plan to approve, a report, a provider's case note) and a provider
//! user's (addressed to them as the caseworker, or to their organisation: a new referral, a
//! withdrawal, a practitioner's case note). Only recipients read them, and only about referrals
//! they may still see.

use uuid::Uuid;

use super::Services;
use super::change::now;
use crate::db;
use crate::db::notifications::Reader;
use crate::domain::actor::Scope;
use crate::domain::actor::{Caller, Role};
use crate::domain::ids::NotificationId;
use crate::domain::notifications::Notification;
use crate::domain::page::{PageCursor, PageSize};
use crate::domain::referral::{Referral, ReferralAccess, referral_access};
use crate::error::AppError;

/// The caller's access and provider organisations, or `FORBIDDEN`: notifications go to
/// practitioners and provider users only.
pub(super) fn recipient_access(caller: &Caller) -> Result<(ReferralAccess, &[String]), AppError> {
    match (
        referral_access(caller.user_id(), &caller.scope),
        &caller.scope,
    ) {
        (Some((Role::ProbationPractitioner, access)), _) => Ok((access, &[])),
        (Some((Role::ProviderUser, access)), Scope::Provider(scope)) => {
            Ok((access, &scope.provider_codes))
        }
        _ => Err(AppError::Forbidden(
            "notifications are for probation practitioners and provider users".into(),
        )),
    }
}

/// A notification with the referral it is about.
pub type Notified = (Notification, Referral);

/// A page of notifications, newest first.
#[derive(Debug)]
pub struct NotificationPage {
    pub items: Vec<Notified>,
    pub has_next_page: bool,
    pub total_count: u64,
}

/// Pairs notifications with their referrals, loaded in one statement through `access`.
pub(super) async fn with_referrals(
    services: &Services,
    access: &ReferralAccess,
    notifications: Vec<Notification>,
) -> Result<Vec<Notified>, AppError> {
    let ids: Vec<Uuid> = notifications.iter().map(|n| n.referral_id).collect();
    let referrals = db::referrals::find_many(&services.db, access, &ids).await?;
    Ok(notifications
        .into_iter()
        .filter_map(|n| {
            let referral = referrals.iter().find(|r| r.id == n.referral_id)?.clone();
            Some((n, referral))
        })
        .collect())
}

/// The caller's notifications, newest first, after `cursor` (as read from the request: a bad
/// cursor is reported once the caller may read notifications at all).
pub async fn list(
    services: &Services,
    caller: &Caller,
    unread_only: bool,
    first: Option<i32>,
    cursor: Result<Option<PageCursor>, AppError>,
) -> Result<NotificationPage, AppError> {
    let (access, provider_codes) = recipient_access(caller)?;
    let cursor = cursor?;
    let limit = PageSize::parse(first)?.rows();
    let reader = Reader {
        user: caller.user_id(),
        provider_codes,
    };
    let (page, has_next_page) =
        db::notifications::page(&services.db, &reader, &access, unread_only, cursor, limit).await?;
    let total_count = db::notifications::count(&services.db, &reader, &access, unread_only).await?;
    Ok(NotificationPage {
        items: with_referrals(services, &access, page).await?,
        has_next_page,
        total_count,
    })
}

/// Marks one of the caller's notifications as read; `NOT_FOUND` for anyone else's.
pub async fn mark_read(
    services: &Services,
    caller: &Caller,
    id: NotificationId,
) -> Result<Notified, AppError> {
    let (access, provider_codes) = recipient_access(caller)?;
    let reader = Reader {
        user: caller.user_id(),
        provider_codes,
    };
    let notification = db::notifications::mark_read(&services.db, id.0, &reader, &access, now())
        .await?
        .ok_or(AppError::NotFound)?;
    with_referrals(services, &access, vec![notification])
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)
}
