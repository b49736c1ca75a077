//! Live updates for GraphQL subscriptions: after a change commits, the write path announces
//! the referral updates (one per domain event) and the notifications it raised. Every
//! subscriber on this instance hears them through an in-process broadcast; with a broker, the
//! [`bridge`] carries them to and from every other instance, so a subscriber hears about a
//! change whichever instance made it.
//!
//! An announcement says only which referral changed and who might care (its contract and its
//! practitioners), so a subscriber can skip what is plainly not theirs; what it does deliver
//! is read again through the caller's scope in SQL (`service::live`).

pub mod bridge;

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};
use uuid::Uuid;

use crate::domain::events::DomainEvent;
use crate::domain::notifications::{Notification, Recipient};
use crate::domain::referral::Referral;

/// Announcements a slow subscriber may fall behind by before it misses some (it then skips
/// ahead: a live view refetches, the notifications query stays the record).
const BACKLOG: usize = 1024;

/// One change to a referral, as a dashboard row needs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralUpdate {
    pub referral_id: Uuid,
    /// The domain event's type (`intervention.referral.assigned`, …).
    pub event_type: String,
    /// The status code after the change.
    pub status: String,
    pub version: i32,
    pub occurred_at: DateTime<Utc>,
}

/// A notification raised, by id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationAdded {
    pub notification_id: Uuid,
    pub referral_id: Uuid,
    /// A user id, when it went to one user.
    pub user_id: Option<String>,
    /// A provider code, when it went to an organisation.
    pub provider_code: Option<String>,
}

/// What one committed change announces.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Announcement {
    /// The instance that made the change.
    pub origin: Uuid,
    /// The referral's contract: provider users outside it skip the updates.
    pub contract_id: Uuid,
    /// The referral's creator and responsible practitioner: other practitioners skip them.
    pub practitioner_ids: Vec<String>,
    pub updates: Vec<ReferralUpdate>,
    pub notifications: Vec<NotificationAdded>,
}

impl Announcement {
    /// The announcement of a committed change to `referral` that published `events` and
    /// raised `notifications` (its origin is set by the hub).
    pub fn of_change(
        referral: &Referral,
        events: &[DomainEvent],
        notifications: &[Notification],
    ) -> Announcement {
        let mut practitioner_ids = vec![referral.created_by.0.clone()];
        if let Some(responsible) = &referral.responsible_pp_id
            && responsible != &referral.created_by
        {
            practitioner_ids.push(responsible.0.clone());
        }
        Announcement {
            origin: Uuid::nil(),
            contract_id: referral.intervention.contract.id,
            practitioner_ids,
            updates: events
                .iter()
                .map(|event| ReferralUpdate {
                    referral_id: event.referral_id,
                    event_type: event.event_type.code().to_owned(),
                    status: event.status.code().to_owned(),
                    version: event.version,
                    occurred_at: event.occurred_at,
                })
                .collect(),
            notifications: notifications
                .iter()
                .map(|n| {
                    let (user_id, provider_code) = match &n.recipient {
                        Recipient::User(user) => (Some(user.0.clone()), None),
                        Recipient::Provider(code) => (None, Some(code.clone())),
                    };
                    NotificationAdded {
                        notification_id: n.id,
                        referral_id: n.referral_id,
                        user_id,
                        provider_code,
                    }
                })
                .collect(),
        }
    }

    /// Whether there is nothing to tell.
    pub fn is_empty(&self) -> bool {
        self.updates.is_empty() && self.notifications.is_empty()
    }
}

/// Where announcements are made and heard. Cheap to clone.
#[derive(Clone, Debug)]
pub struct LiveHub {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// This instance, so the bridge can tell its own announcements from others'.
    origin: Uuid,
    local: broadcast::Sender<Arc<Announcement>>,
    /// The bridge's outbound queue, once a bridge runs.
    outbound: OnceLock<mpsc::UnboundedSender<Announcement>>,
}

impl Default for LiveHub {
    fn default() -> Self {
        LiveHub::new()
    }
}

impl LiveHub {
    /// A hub heard on this instance only, until a bridge is attached.
    pub fn new() -> LiveHub {
        let (local, _) = broadcast::channel(BACKLOG);
        LiveHub {
            inner: Arc::new(Inner {
                origin: Uuid::new_v4(),
                local,
                outbound: OnceLock::new(),
            }),
        }
    }

    /// This instance's id.
    pub fn origin(&self) -> Uuid {
        self.inner.origin
    }

    /// Tells this instance's subscribers, and the other instances through the bridge.
    pub fn announce(&self, mut announcement: Announcement) {
        if announcement.is_empty() {
            return;
        }
        announcement.origin = self.inner.origin;
        if let Some(outbound) = self.inner.outbound.get() {
            // The bridge has stopped only when the server is stopping.
            let _ = outbound.send(announcement.clone());
        }
        self.deliver(announcement);
    }

    /// Tells this instance's subscribers (none listening is fine).
    fn deliver(&self, announcement: Announcement) {
        let _ = self.inner.local.send(Arc::new(announcement));
    }

    /// Hears what another instance announced (its own come back from the broker and are
    /// dropped: they were delivered when made).
    pub fn heard(&self, announcement: Announcement) {
        if announcement.origin != self.inner.origin {
            self.deliver(announcement);
        }
    }

    /// Attaches a bridge's outbound queue; `false` if one is attached already.
    pub fn attach(&self, outbound: mpsc::UnboundedSender<Announcement>) -> bool {
        self.inner.outbound.set(outbound).is_ok()
    }

    /// A new subscriber.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Announcement>> {
        self.inner.local.subscribe()
    }
}
