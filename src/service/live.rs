//! What a subscriber hears: the announcements of committed changes (`crate::live`), kept to
//! the caller's scope. An announcement's contract and practitioners rule out at once what is
//! plainly someone else's; what remains is read again through the caller's access in SQL, as
//! a query would, so a subscription never tells more than the `referrals` and
//! `notifications` queries would.

use std::collections::VecDeque;
use std::sync::Arc;

use futures_util::Stream;
use futures_util::stream;
use tokio::sync::broadcast::{Receiver, error::RecvError};
use uuid::Uuid;

use super::Services;
use super::change::reader;
use super::notifications::{Notified, recipient_access, with_referrals};
use crate::db;
use crate::db::notifications::Reader;
use crate::domain::actor::{Caller, UserId};
use crate::domain::ids::ReferralId;
use crate::domain::referral::ReferralAccess;
use crate::error::AppError;
use crate::live::{Announcement, ReferralUpdate};

/// Whether the announcement may concern a caller with `access`.
fn may_concern(access: &ReferralAccess, announcement: &Announcement) -> bool {
    match access {
        ReferralAccess::Own(user) => announcement.practitioner_ids.contains(&user.0),
        ReferralAccess::Contracts(ids) => ids.contains(&announcement.contract_id),
        ReferralAccess::AllSent => true,
        // Subject access requests never subscribe.
        ReferralAccess::Person(_) => false,
    }
}

/// Turns announcements into items: `pick` gives the items of one announcement (empty when it
/// is not the subscriber's). A subscriber that falls behind skips what it missed.
fn items<S, T, F, Fut>(
    receiver: Receiver<Arc<Announcement>>,
    state: S,
    pick: F,
) -> impl Stream<Item = T>
where
    S: Send + 'static,
    T: Send + 'static,
    F: Fn(Arc<Announcement>, &S) -> Fut + Send + 'static,
    Fut: Future<Output = Vec<T>> + Send,
{
    stream::unfold(
        (receiver, state, pick, VecDeque::new()),
        |(mut receiver, state, pick, mut pending)| async move {
            loop {
                if let Some(item) = pending.pop_front() {
                    return Some((item, (receiver, state, pick, pending)));
                }
                match receiver.recv().await {
                    Ok(announcement) => pending.extend(pick(announcement, &state).await),
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(
                            missed,
                            "a subscriber fell behind and skipped announcements"
                        );
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    )
}

/// Changes to referrals in the caller's scope (one of them when `only` is given), as they
/// commit. `FORBIDDEN` for callers who see no referrals.
pub fn referral_updates(
    services: &Services,
    caller: &Caller,
    only: Option<ReferralId>,
) -> Result<impl Stream<Item = ReferralUpdate> + Send + 'static, AppError> {
    let (_, access) = reader(caller)?;
    let receiver = services.live.subscribe();
    let state = (services.clone(), access, only.map(|id| id.0));
    Ok(items(
        receiver,
        state,
        |announcement, (services, access, only)| {
            let services = services.clone();
            let access = access.clone();
            let only = *only;
            async move { visible_updates(&services, &access, only, &announcement).await }
        },
    ))
}

async fn visible_updates(
    services: &Services,
    access: &ReferralAccess,
    only: Option<Uuid>,
    announcement: &Announcement,
) -> Vec<ReferralUpdate> {
    let wanted: Vec<&ReferralUpdate> = announcement
        .updates
        .iter()
        .filter(|u| only.is_none_or(|id| u.referral_id == id))
        .collect();
    if wanted.is_empty() || !may_concern(access, announcement) {
        return Vec::new();
    }
    let mut ids: Vec<Uuid> = wanted.iter().map(|u| u.referral_id).collect();
    ids.dedup();
    match db::referrals::find_many(&services.db, access, &ids).await {
        Ok(visible) => wanted
            .into_iter()
            .filter(|u| visible.iter().any(|r| r.id == u.referral_id))
            .cloned()
            .collect(),
        Err(error) => {
            tracing::warn!(error = %error, "a live update was not delivered: its scope could not be checked");
            Vec::new()
        }
    }
}

/// The caller's new notifications, with their referrals, as they are raised. `FORBIDDEN`
/// for callers who get none.
pub fn notifications_added(
    services: &Services,
    caller: &Caller,
) -> Result<impl Stream<Item = Notified> + Send + 'static, AppError> {
    let (access, provider_codes) = recipient_access(caller)?;
    let receiver = services.live.subscribe();
    let state = (
        services.clone(),
        access,
        caller.user_id().clone(),
        provider_codes.to_vec(),
    );
    Ok(items(
        receiver,
        state,
        |announcement, (services, access, user, provider_codes)| {
            let services = services.clone();
            let access = access.clone();
            let user = user.clone();
            let provider_codes = provider_codes.clone();
            async move {
                readable_notifications(&services, &access, &user, &provider_codes, &announcement)
                    .await
            }
        },
    ))
}

async fn readable_notifications(
    services: &Services,
    access: &ReferralAccess,
    user: &UserId,
    provider_codes: &[String],
    announcement: &Announcement,
) -> Vec<Notified> {
    let ids: Vec<Uuid> = announcement
        .notifications
        .iter()
        .filter(|n| {
            n.user_id.as_ref() == Some(&user.0)
                || n.provider_code
                    .as_ref()
                    .is_some_and(|code| provider_codes.contains(code))
        })
        .map(|n| n.notification_id)
        .collect();
    if ids.is_empty() {
        return Vec::new();
    }
    let reader = Reader {
        user,
        provider_codes,
    };
    let found = match db::notifications::readable_among(&services.db, &ids, &reader, access).await {
        Ok(found) => found,
        Err(error) => {
            tracing::warn!(error = %error, "a notification was not delivered live: it could not be read");
            return Vec::new();
        }
    };
    with_referrals(services, access, found)
        .await
        .unwrap_or_else(|error| {
            tracing::warn!(error = %error, "a notification was not delivered live: its referral could not be read");
            Vec::new()
        })
}
