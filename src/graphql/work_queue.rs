//! The provider's work queue: live appointments across the referrals in the caller's scope,
//! each with its referral, so a caseworker sees what needs doing without opening every case.

use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};

use super::context::{caller, services};
use super::delivery::Appointment;
use super::enums::AppointmentKind;
use super::paging::{self, Listed, Page};
use super::referral::Referral;
use crate::domain::delivery as dom;
use crate::domain::page::{PageCursor, PageSize};
use crate::domain::referral as record;
use crate::service::delivery as delivery_service;

/// Which live appointments (not moved, not cancelled) to list; every criterion given must
/// hold.
#[derive(Clone, Debug, Default, InputObject)]
pub struct AppointmentFilter {
    /// Starting at or after.
    pub from: Option<DateTime<Utc>>,
    /// Starting before.
    pub to: Option<DateTime<Utc>>,
    /// `true`: started and without feedback yet; `false`: the others.
    pub feedback_due: Option<bool>,
    /// Assessments or sessions only.
    pub kind: Option<AppointmentKind>,
    /// `true`: of referrals assigned to the caller.
    pub assigned_to_me: Option<bool>,
}

#[derive(Clone, Debug)]
pub struct QueuedAppointment {
    appointment: dom::Appointment,
    referral: record::Referral,
}

/// One entry of the work queue: an appointment and the referral it belongs to.
#[Object]
impl QueuedAppointment {
    /// The appointment's id.
    async fn id(&self) -> ID {
        ID(self.appointment.id.to_string())
    }
    /// The appointment.
    async fn appointment(&self) -> Appointment {
        Appointment(self.appointment.clone())
    }
    /// Its referral.
    async fn referral(&self) -> Referral {
        Referral(self.referral.clone())
    }
}

impl Listed for QueuedAppointment {
    fn connection_name() -> String {
        "AppointmentConnection".to_owned()
    }
}

/// A page of the work queue, earliest first.
pub type AppointmentConnection = Page<QueuedAppointment>;

#[derive(Debug, Default)]
pub struct WorkQueueQuery;

/// The provider's work queue.
#[Object]
impl WorkQueueQuery {
    /// Live appointments of the referrals in the caller's scope, earliest first, each with its
    /// referral: this week's, those with feedback due, mine. `first` defaults to 20 and may be
    /// at most 100; `after` takes an `endCursor` of the same filter.
    #[graphql(complexity = "PageSize::cost(first) * child_complexity")]
    async fn appointments(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Filters; every one given must hold.")] filter: Option<AppointmentFilter>,
        #[graphql(desc = "Rows of the page: 20 unless given, at most 100.")] first: Option<i32>,
        #[graphql(desc = "An `endCursor` of the previous page.")] after: Option<String>,
    ) -> Result<AppointmentConnection> {
        let caller = caller(ctx)?;
        let filter = filter.unwrap_or_default();
        let query = dom::AppointmentQuery {
            from: filter.from,
            to: filter.to,
            feedback_due: filter.feedback_due,
            kind: filter.kind.map(Into::into),
            assigned_to: filter
                .assigned_to_me
                .filter(|mine| *mine)
                .map(|_| caller.user_id().clone()),
        };
        let request = after
            .as_deref()
            .map(paging::decode_cursor)
            .transpose()
            .map(|cursor| (query, cursor));
        let page = delivery_service::work_queue(services(ctx)?, caller, request, first).await?;
        Ok(paging::connection(
            page.appointments,
            page.has_next_page,
            page.total_count,
            |(a, _)| PageCursor {
                listed_at: a.starts_at,
                id: a.id,
            },
            |(appointment, referral)| QueuedAppointment {
                appointment,
                referral,
            },
        ))
    }
}
