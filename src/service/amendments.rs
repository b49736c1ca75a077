//! Changing a sent referral: amendments by its responsible practitioner and handovers to
//! another practitioner. Both go through the write path ([`super::change`]) and leave one
//! change-log entry per topic changed, a history event, a domain event and a notification.

use super::Services;
use super::catalogue::today;
use super::change::{Change, Facts, authorise};
use super::referrals::{current_selections, draft_context_with_words};
use crate::db;
use crate::domain::actor::{Caller, Role, UserId};
use crate::domain::amendment::{self, Amendment, AmendmentRefusal, ChangeTopic, TopicChange};
use crate::domain::ids::ReferralId;
use crate::domain::journey::{Action, Decision, EventKind};
use crate::domain::referral::Referral;
use crate::error::field_code as code;
use crate::error::{AppError, FieldError};

/// Amends a sent referral (its responsible practitioner): the fields given change, each
/// checked as in a draft; complexity levels and desired outcomes are locked once an action
/// plan is approved (`CONFLICT`); every topic that changed is logged with `reason`. `amendment`
/// is the input as read from the request: its errors are reported once the caller may amend.
pub async fn amend(
    services: &Services,
    caller: &Caller,
    id: ReferralId,
    amendment: Result<Amendment, AppError>,
    reason: &str,
    expected_version: Option<i32>,
) -> Result<Referral, AppError> {
    let authorised = authorise(caller, Action::Amend)?;
    let amendment = amendment?;
    let reason = amendment::check_reason(reason)
        .map_err(|problem| AppError::bad_input("the amendment is invalid", vec![problem]))?;
    let mut change = Change::open(services, authorised, id, expected_version).await?;
    let facts = Facts::load(change.txn(), id.0).await?;
    change.decide(Some(&facts)).await?;
    change.referral.details.categories = current_selections(change.txn(), id.0).await?;
    let intervention = change.referral.intervention.clone();
    let (ctx, words) = draft_context_with_words(
        change.txn(),
        &intervention.contract.contract_type_code,
        &intervention,
        None,
        today(),
    )
    .await?;
    let plan_approved = facts.plans.iter().any(|p| p.approval.is_some());
    let (details, changes) = amendment::amend(
        &change.referral.details,
        &amendment,
        &ctx,
        plan_approved,
        &words,
    )
    .map_err(|refusal| match refusal {
        AmendmentRefusal::Invalid(fields) => {
            AppError::bad_input("the amendment is invalid", fields)
        }
        AmendmentRefusal::LockedByApprovedPlan => AppError::Conflict(
            "complexity levels and desired outcomes cannot change once an action plan is approved"
                .into(),
        ),
        AmendmentRefusal::NothingChanged => AppError::bad_input(
            "the amendment changes nothing",
            vec![FieldError::new("input", code::NOTHING_CHANGED)],
        ),
    })?;
    if details.categories != change.referral.details.categories {
        db::referrals::replace_selections(change.txn(), id.0, &details.categories, change.at)
            .await?;
    }
    change.referral.details = details;
    let topics: Vec<&str> = changes.iter().map(|c| c.topic.code()).collect();
    let detail = serde_json::json!({ "topics": topics }).to_string();
    for topic_change in changes {
        change.log(topic_change, Some(&reason));
    }
    change.record(EventKind::Amended, Some(detail));
    change.commit().await
}

/// Hands a sent referral to another practitioner (by its responsible practitioner, or a
/// read-all machine client syncing a case-management system). The new practitioner sees it
/// and is told; the old one keeps it only if they created it, and then only to read.
pub async fn transfer(
    services: &Services,
    caller: &Caller,
    id: ReferralId,
    to: &UserId,
    reason: Option<&str>,
    expected_version: Option<i32>,
) -> Result<Referral, AppError> {
    let authorised = authorise(caller, Action::Transfer)?;
    let reason = match reason.map(str::trim).filter(|r| !r.is_empty()) {
        None => None,
        Some(text) => Some(
            amendment::check_reason(text)
                .map_err(|problem| AppError::bad_input("the handover is invalid", vec![problem]))?,
        ),
    };
    let is_practitioner = db::users::find(&services.db, to)
        .await?
        .is_some_and(|user| user.principal.roles.contains(&Role::ProbationPractitioner));
    let mut change = Change::open(services, authorised, id, expected_version).await?;
    let (_, Decision::MoveTo(status)) = change.decide(None).await? else {
        return Ok(change.referral);
    };
    if !is_practitioner {
        return Err(AppError::bad_input(
            format!(
                "user {to} cannot take over this referral: they must have used the service as a probation practitioner"
            ),
            vec![FieldError::new("toPractitionerId", code::INVALID_VALUE)],
        ));
    }
    let from = change
        .referral
        .responsible_pp_id
        .clone()
        .unwrap_or_else(|| change.referral.created_by.clone());
    if &from == to {
        return Ok(change.referral);
    }
    change.referral.status = status;
    change.referral.responsible_pp_id = Some(to.clone());
    let detail = serde_json::json!({
        "fromPractitionerId": from.0,
        "toPractitionerId": to.0,
    })
    .to_string();
    change.log(
        TopicChange {
            topic: ChangeTopic::ResponsiblePractitioner,
            old_value: Some(from.0.clone()),
            new_value: Some(to.0.clone()),
        },
        reason.as_deref(),
    );
    change.record(EventKind::Transferred, Some(detail));
    change.commit().await
}
