//! Notifications to either side of a referral, and marking them read.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use super::context::{caller, services};
use super::delivery::{Appointment, appointments_of};
use super::enums::NotificationKind;
use super::ids::id_or_nil;
use super::paging::{self, Page};
use super::referral::Referral;
use crate::domain::ids::NotificationId;
use crate::domain::notifications as dom;
use crate::domain::page::{PageCursor, PageSize};
use crate::domain::referral as record;
use crate::service::notifications as notification_service;

#[derive(Clone, Debug)]
pub struct Notification {
    notification: dom::Notification,
    referral: record::Referral,
}

impl Notification {
    /// A notification with the referral it is about.
    pub fn new(notification: dom::Notification, referral: record::Referral) -> Self {
        Notification {
            notification,
            referral,
        }
    }
}

/// Something one side of a referral must be told about it: the practitioner (feedback that
/// flags something, an action plan to approve, the end-of-service report, a provider's case
/// note) or the provider (a new referral, a withdrawal, a practitioner's case note; to the
/// caseworker once assigned, else shared by the users of each delivering organisation).
#[Object]
impl Notification {
    /// Stable id.
    async fn id(&self) -> ID {
        ID(self.notification.id.to_string())
    }
    /// What it is about.
    async fn kind(&self) -> NotificationKind {
        self.notification.kind.into()
    }
    /// When it was raised.
    async fn notified_at(&self) -> DateTime<Utc> {
        self.notification.notified_at
    }
    /// When the recipient marked it read (for an organisation's, the first of its users);
    /// null while unread.
    async fn read_at(&self) -> Option<DateTime<Utc>> {
        self.notification.read_at
    }
    /// The referral it is about.
    async fn referral(&self) -> Referral {
        Referral(self.referral.clone())
    }
    /// The appointment whose feedback raised it, or that was cancelled; null for the other kinds.
    async fn appointment(&self, ctx: &Context<'_>) -> Result<Option<Appointment>> {
        let Some(id) = self.notification.appointment_id else {
            return Ok(None);
        };
        Ok(appointments_of(ctx, self.referral.id)
            .await?
            .into_iter()
            .find(|a| a.id == id)
            .map(Appointment::from))
    }
}

/// A page of notifications, newest first.
pub type NotificationConnection = Page<Notification>;

impl paging::Listed for Notification {}

#[derive(Debug, Default)]
pub struct NotificationQuery;

/// The caller's notifications (probation practitioners and provider users).
#[Object]
impl NotificationQuery {
    /// The caller's notifications, newest first (probation practitioners and provider users),
    /// about referrals the caller may see: a provider user's include those to their
    /// organisation. `first` defaults to 20, at most 100.
    #[graphql(complexity = "PageSize::cost(first) * child_complexity")]
    async fn notifications(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "`true`: only notifications not yet marked read.")] unread_only: Option<
            bool,
        >,
        #[graphql(desc = "Rows of the page: 20 unless given, at most 100.")] first: Option<i32>,
        #[graphql(desc = "An `endCursor` of the previous page.")] after: Option<String>,
    ) -> Result<NotificationConnection> {
        let cursor = after.as_deref().map(paging::decode_cursor).transpose();
        let page = notification_service::list(
            services(ctx)?,
            caller(ctx)?,
            unread_only.unwrap_or(false),
            first,
            cursor,
        )
        .await?;
        Ok(paging::connection(
            page.items,
            page.has_next_page,
            page.total_count,
            |(notification, _)| PageCursor {
                listed_at: notification.notified_at,
                id: notification.id,
            },
            |(notification, referral)| Notification {
                notification,
                referral,
            },
        ))
    }
}

#[derive(Debug, Default)]
pub struct NotificationMutation;

/// Marking notifications read (probation practitioners and provider users).
#[Object]
impl NotificationMutation {
    /// Marks one of the caller's notifications as read (probation practitioners and provider
    /// users; an organisation's is then read for all its users).
    async fn mark_notification_read(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "One of the caller's notifications.")] id: ID,
    ) -> Result<Notification> {
        let (notification, referral) = notification_service::mark_read(
            services(ctx)?,
            caller(ctx)?,
            NotificationId(id_or_nil(&id)),
        )
        .await?;
        Ok(Notification {
            notification,
            referral,
        })
    }
}
