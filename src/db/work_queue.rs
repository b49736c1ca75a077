//! The provider's work queue: live appointments (not moved, not cancelled) of the referrals a
//! caller reaches, by start time, a page at a time. The scope is a sub-select of the referrals
//! `access` reaches, so an appointment of a referral out of scope is never read.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Statement,
};

use super::delivery::to_appointment;
use super::entities::{appointment, referral};
use super::referrals::visible;
use crate::domain::delivery::{Appointment, AppointmentQuery};
use crate::domain::page::PageCursor;
use crate::domain::referral::ReferralAccess;
use crate::error::{AppError, internal};

/// The ids of the referrals `access` reaches (assigned to the user, when asked).
fn referrals_in_scope(access: &ReferralAccess, query: &AppointmentQuery) -> SelectStatement {
    let mut condition = Condition::all().add(visible(access));
    if let Some(user) = &query.assigned_to {
        condition = condition.add(referral::Column::AssignedToId.eq(user.0.clone()));
    }
    Query::select()
        .column(referral::Column::Id)
        .from(referral::Entity)
        .cond_where(condition)
        .take()
}

/// Live appointments matching `query` within `access`.
fn matching(access: &ReferralAccess, query: &AppointmentQuery, now: DateTime<Utc>) -> Condition {
    let mut condition = Condition::all()
        .add(appointment::Column::SupersededAt.is_null())
        .add(appointment::Column::CancelledAt.is_null())
        .add(appointment::Column::ReferralId.in_subquery(referrals_in_scope(access, query)));
    if let Some(from) = query.from {
        condition = condition.add(appointment::Column::StartsAt.gte(from));
    }
    if let Some(to) = query.to {
        condition = condition.add(appointment::Column::StartsAt.lt(to));
    }
    if let Some(kind) = query.kind {
        condition = condition.add(appointment::Column::Kind.eq(kind.code()));
    }
    match query.feedback_due {
        // Started, and nothing recorded yet.
        Some(true) => {
            condition = condition
                .add(appointment::Column::StartsAt.lte(now))
                .add(appointment::Column::FeedbackSubmittedAt.is_null());
        }
        Some(false) => {
            condition = condition.add(
                Condition::any()
                    .add(appointment::Column::StartsAt.gt(now))
                    .add(appointment::Column::FeedbackSubmittedAt.is_not_null()),
            );
        }
        None => {}
    }
    condition
}

/// Rows after `cursor` (start time, then id, both ascending).
fn after(cursor: PageCursor) -> Condition {
    Condition::all()
        .add(appointment::Column::StartsAt.gte(cursor.listed_at))
        .add(
            Condition::any()
                .add(appointment::Column::StartsAt.gt(cursor.listed_at))
                .add(
                    Condition::all()
                        .add(appointment::Column::StartsAt.eq(cursor.listed_at))
                        .add(appointment::Column::Id.gt(cursor.id)),
                ),
        )
}

fn page_select(
    access: &ReferralAccess,
    query: &AppointmentQuery,
    now: DateTime<Utc>,
    cursor: Option<PageCursor>,
    limit: u64,
) -> sea_orm::Select<appointment::Entity> {
    let mut condition = matching(access, query, now);
    if let Some(cursor) = cursor {
        condition = condition.add(after(cursor));
    }
    appointment::Entity::find()
        .filter(condition)
        .order_by_asc(appointment::Column::StartsAt)
        .order_by_asc(appointment::Column::Id)
        .limit(limit)
}

/// The SQL of a work-queue page (to inspect its plan).
pub fn page_statement(
    backend: DbBackend,
    access: &ReferralAccess,
    query: &AppointmentQuery,
    now: DateTime<Utc>,
    cursor: Option<PageCursor>,
    limit: u64,
) -> Statement {
    page_select(access, query, now, cursor, limit).build(backend)
}

/// One page of the queue, earliest first, after `cursor`; one statement. The bool says
/// whether more rows follow.
pub async fn page(
    db: &impl ConnectionTrait,
    access: &ReferralAccess,
    query: &AppointmentQuery,
    now: DateTime<Utc>,
    cursor: Option<PageCursor>,
    limit: u64,
) -> Result<(Vec<Appointment>, bool), AppError> {
    let rows = page_select(access, query, now, cursor, limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    let page = rows
        .into_iter()
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(to_appointment)
        .collect::<Result<_, _>>()?;
    Ok((page, more))
}

/// How many appointments match, whatever the page; one statement.
pub async fn count(
    db: &impl ConnectionTrait,
    access: &ReferralAccess,
    query: &AppointmentQuery,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    let statement = Query::select()
        .expr(Expr::cust("COUNT(*)"))
        .from(appointment::Entity)
        .cond_where(matching(access, query, now))
        .take();
    let counted: i64 = match db.query_one(&statement).await? {
        Some(row) => row.try_get_by_index(0)?,
        None => 0,
    };
    u64::try_from(counted).map_err(|_| internal("counting appointments", "negative count"))
}
