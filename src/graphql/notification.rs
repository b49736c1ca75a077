//! A practitioner's notifications: what appointment feedback flagged for them.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use super::context::{caller, services};
use super::delivery::{Appointment, appointments_of};
use super::enums::NotificationKind;
use super::ids::id_or_nil;
use super::paging::{self, Page};
use super::referral::Referral;
use crate::domain::delivery as dom;
use crate::domain::ids::NotificationId;
use crate::domain::page::{PageCursor, PageSize};
use crate::domain::referral as record;
use crate::service::notifications as notification_service;

#[derive(Clone, Debug)]
pub struct Notification {
    notification: dom::Notification,
    referral: record::Referral,
}

/// Something a practitioner must be told about one of their referrals.
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
    /// When the practitioner marked it read; null while unread.
    async fn read_at(&self) -> Option<DateTime<Utc>> {
        self.notification.read_at
    }
    /// The referral it is about.
    async fn referral(&self) -> Referral {
        Referral(self.referral.clone())
    }
    /// The appointment whose feedback raised it.
    async fn appointment(&self, ctx: &Context<'_>) -> Result<Option<Appointment>> {
        let Some(id) = self.notification.appointment_id else {
            return Ok(None);
        };
        Ok(appointments_of(ctx, self.referral.id)
            .await?
            .into_iter()
            .find(|a| a.id == id)
            .map(Appointment))
    }
}

/// A page of notifications, newest first.
pub type NotificationConnection = Page<Notification>;

#[derive(Debug, Default)]
pub struct NotificationQuery;

/// The caller's notifications (probation practitioners).
#[Object]
impl NotificationQuery {
    /// The caller's notifications, newest first (probation practitioners): non-attendance and
    /// concerns from appointment feedback on their referrals. `first` defaults to 20, at most
    /// 100.
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

/// Marking notifications read (probation practitioners).
#[Object]
impl NotificationMutation {
    /// Marks one of the caller's notifications as read (probation practitioners).
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
