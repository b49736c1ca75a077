//! Subscriptions (over WebSocket at `/graphql`, protocol `graphql-transport-ws`): the caller's
//! new notifications and changes to referrals in their scope, as they commit on any instance.

use async_graphql::{Context, ID, Result, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};

use super::context::{caller, forget_referral_children, services};
use super::enums::ReferralStatus;
use super::ids::id_or_nil;
use super::notification::Notification;
use crate::domain::ids::ReferralId;
use crate::domain::journey;
use crate::live;
use crate::service::live as live_service;

/// A change to a referral: enough for a dashboard to refresh its row.
#[derive(Clone, Debug, SimpleObject)]
pub struct ReferralUpdate {
    /// The referral that changed.
    referral_id: ID,
    /// The domain event the change published (`intervention.referral.assigned`, …).
    event_type: String,
    /// The referral's status after the change.
    status: ReferralStatus,
    /// The referral's version after the change (for `expectedVersion`).
    version: i32,
    /// When the change was made.
    occurred_at: DateTime<Utc>,
}

impl ReferralUpdate {
    fn of(update: live::ReferralUpdate) -> Option<ReferralUpdate> {
        Some(ReferralUpdate {
            referral_id: ID(update.referral_id.to_string()),
            event_type: update.event_type,
            status: journey::ReferralStatus::from_code(&update.status)?.into(),
            version: update.version,
            occurred_at: update.occurred_at,
        })
    }
}

#[derive(Debug, Default)]
pub struct SubscriptionRoot;

/// What a client hears as it happens.
#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// The caller's new notifications as they are raised (probation practitioners and provider
    /// users), as the `notifications` query would list them.
    async fn notification_added<'a>(
        &'a self,
        ctx: &'a Context<'_>,
    ) -> Result<impl Stream<Item = Notification> + 'a> {
        let added = live_service::notifications_added(services(ctx)?, caller(ctx)?)?;
        Ok(added.map(move |(notification, referral)| {
            // Fields read under it (its appointment) come from the records as they are now.
            let _ = forget_referral_children(ctx);
            Notification::new(notification, referral)
        }))
    }

    /// Changes to referrals in the caller's scope as they commit, one per domain event;
    /// with `referralId`, to that referral only (nothing is heard for one outside the scope).
    /// Not open to commissioners.
    async fn referral_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only changes to this referral.")] referral_id: Option<ID>,
    ) -> Result<impl Stream<Item = ReferralUpdate>> {
        let only = referral_id.as_ref().map(|id| ReferralId(id_or_nil(id)));
        let updates = live_service::referral_updates(services(ctx)?, caller(ctx)?, only)?;
        Ok(updates.filter_map(|update| async move { ReferralUpdate::of(update) }))
    }
}
