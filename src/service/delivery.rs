//! Service delivery: booking and rescheduling appointments, recording feedback, action plans
//! and their approval, delivery sessions, and the end-of-service report that concludes.
//!
//! Every change goes through the write path ([`super::change`]): the referral is reached only
//! through the caller's access, so an appointment, plan or report of a referral out of scope is
//! `NOT_FOUND` exactly like an unknown id; the journey rules decide on the recorded facts; after
//! each change the status is derived again from them, and one event per step is appended in the
//! same transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::Services;
use super::change::{self, Change, Facts, authorise, reader};
use crate::db;
use crate::domain::actor::{Caller, UserId};
use crate::domain::delivery::{
    self, ActionPlan, Appointment, AppointmentInput, AppointmentKind, AppointmentQuery, Approval,
    Booking, DeliverySession, EndOfServiceReport, FeedbackInput, OutcomeInput, Supersession,
    latest_appointment,
};
use crate::domain::ids::{ActionPlanId, AppointmentId, ReferralId};
use crate::domain::journey::{Action, Decision, EventKind};
use crate::domain::notifications::{NotificationKind, Side};
use crate::domain::page::{PageCursor, PageSize};
use crate::domain::referral::Referral;
use crate::error::field_code as code;
use crate::error::{AppError, FieldError};

/// How delivery is run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeliveryPolicy {
    /// Approve action plans as soon as they are submitted (`CRS_AUTO_APPROVE_ACTION_PLANS`).
    pub auto_approve_action_plans: bool,
}

impl Default for DeliveryPolicy {
    fn default() -> Self {
        DeliveryPolicy {
            auto_approve_action_plans: true,
        }
    }
}

/// The approved plan with the most sessions planned so far.
fn approved_sessions(facts: &Facts) -> Option<i32> {
    facts
        .plans
        .iter()
        .filter(|p| p.approval.is_some())
        .map(|p| p.number_of_sessions)
        .max()
}

fn conflict(error: impl std::fmt::Display) -> AppError {
    AppError::Conflict(error.to_string())
}

fn detail(value: serde_json::Value) -> Option<String> {
    Some(value.to_string())
}

/// Books the initial assessment or a delivery session, or reschedules the latest appointment
/// of one (`input.reschedule`): the replaced appointment is kept, superseded, with the reason.
pub async fn schedule_appointment(
    services: &Services,
    caller: &Caller,
    referral: ReferralId,
    input: &AppointmentInput,
) -> Result<Appointment, AppError> {
    let referral_id = referral.0;
    let action = match input.kind {
        AppointmentKind::Assessment => Action::ScheduleAssessment,
        AppointmentKind::Session => Action::ScheduleSession,
    };
    let authorised = authorise(caller, action)?;
    let mut change = Change::open(services, authorised, referral, None).await?;
    let facts = Facts::load(change.txn(), referral_id).await?;
    // Moving an appointment whose feedback is recorded is a change to something locked,
    // whatever the referral's status has become since.
    if let Some(reschedule) = &input.reschedule
        && let Some(target) = facts
            .appointments
            .iter()
            .find(|a| a.id == reschedule.appointment_id)
    {
        if target.feedback.is_some() {
            return Err(conflict(delivery::BookingConflict::FeedbackRecorded));
        }
        if target.superseded.is_some() {
            return Err(conflict(delivery::BookingConflict::NotLatest));
        }
        if target.cancellation.is_some() {
            return Err(conflict(delivery::CancellationConflict::AlreadyCancelled));
        }
    }
    change.decide(Some(&facts)).await?;
    let at = change.at;
    let referral = &change.referral;
    let sent_at = referral.sent_at.unwrap_or(referral.created_at);
    let checked = delivery::check_appointment(input, sent_at, at)
        .map_err(|fields| AppError::bad_input("the appointment is invalid", fields))?;
    if let Some(number) = checked.session_number
        && !facts.sessions.iter().any(|s| s.number == number)
    {
        return Err(AppError::bad_input(
            format!("the action plan has no session {number}"),
            vec![FieldError::new("sessionNumber", code::INVALID_VALUE)],
        ));
    }
    let latest = latest_appointment(&facts.appointments, checked.kind, checked.session_number);
    let booking = delivery::plan_booking(latest, checked.reschedule.as_ref().map(|r| r.0))
        .map_err(conflict)?;
    let appointment = Appointment {
        id: Uuid::now_v7(),
        referral_id,
        kind: checked.kind,
        session_number: checked.session_number,
        starts_at: checked.starts_at,
        duration_minutes: checked.duration_minutes,
        delivery: checked.delivery,
        created_at: at,
        created_by: caller.user_id().clone(),
        superseded: None,
        feedback: None,
        cancellation: None,
    };
    let txn = change.txn();
    let (kind, replaces) = match (booking, checked.reschedule) {
        (Booking::Replace(old), Some((_, reason, requested_by))) => {
            let supersession = Supersession {
                by_appointment_id: appointment.id,
                at,
                by: caller.user_id().clone(),
                reason,
                requested_by,
            };
            if !db::delivery::supersede(txn, old, &supersession).await? {
                return Err(conflict(delivery::BookingConflict::FeedbackRecorded));
            }
            db::delivery::insert_appointment(txn, &appointment).await?;
            db::delivery::link_replacement(txn, old, appointment.id).await?;
            (EventKind::AppointmentRescheduled, Some(old))
        }
        _ => {
            db::delivery::insert_appointment(txn, &appointment).await?;
            (EventKind::AppointmentScheduled, None)
        }
    };
    let detail = detail(serde_json::json!({
        "appointmentId": appointment.id,
        "kind": appointment.kind.code(),
        "sessionNumber": appointment.session_number,
        "replaces": replaces,
    }));
    change.settle(kind, detail).await?;
    change.commit().await?;
    Ok(appointment)
}

/// Records what happened at an appointment whose start time has passed, and locks it. An
/// attended assessment completes the assessment; the first attended session marks initial
/// contact; non-attendance and concerns notify the responsible practitioner.
pub async fn record_feedback(
    services: &Services,
    caller: &Caller,
    appointment: AppointmentId,
    input: &FeedbackInput,
) -> Result<Appointment, AppError> {
    let appointment_id = appointment.0;
    // An unknown appointment goes through the same scoped look-up (of the nil id, which never
    // exists) as another organisation's, so the two cannot be told apart.
    let (referral_id, kind) = db::delivery::referral_of_appointment(&services.db, appointment_id)
        .await?
        .unwrap_or((Uuid::nil(), AppointmentKind::Session));
    let authorised = authorise(
        caller,
        match kind {
            AppointmentKind::Assessment => Action::RecordAssessmentFeedback,
            AppointmentKind::Session => Action::RecordSessionFeedback,
        },
    )?;
    let mut change = Change::open(services, authorised, ReferralId(referral_id), None).await?;
    let facts = Facts::load(change.txn(), referral_id).await?;
    let mut appointment = facts
        .appointments
        .iter()
        .find(|a| a.id == appointment_id)
        .cloned()
        .ok_or(AppError::NotFound)?;
    if appointment.feedback.is_some() {
        return Err(conflict(delivery::BookingConflict::FeedbackRecorded));
    }
    if appointment.superseded.is_some() {
        return Err(AppError::Conflict(
            "this appointment was rescheduled: record feedback on its replacement".into(),
        ));
    }
    if appointment.cancellation.is_some() {
        return Err(conflict(delivery::CancellationConflict::AlreadyCancelled));
    }
    change.decide(Some(&facts)).await?;
    let at = change.at;
    let not_started = (appointment.starts_at > at)
        .then(|| FieldError::new("appointmentId", code::APPOINTMENT_NOT_STARTED));
    let feedback = match delivery::check_feedback(input, caller.user_id(), at) {
        Ok(feedback) if not_started.is_none() => feedback,
        Ok(_) => {
            return Err(AppError::bad_input(
                "feedback can be recorded once the appointment has started",
                not_started.into_iter().collect(),
            ));
        }
        Err(fields) => {
            return Err(AppError::bad_input(
                "the feedback is invalid",
                not_started.into_iter().chain(fields).collect(),
            ));
        }
    };
    if !db::delivery::record_feedback(change.txn(), appointment_id, &feedback).await? {
        return Err(conflict(delivery::BookingConflict::FeedbackRecorded));
    }
    let referral = &mut change.referral;
    if kind == AppointmentKind::Session
        && feedback.is_attended_session()
        && referral.initial_contact_at.is_none()
    {
        referral.initial_contact_at = Some(appointment.starts_at);
    }
    let notifications = delivery::notifications_for(&feedback);
    for kind in &notifications {
        change.notify(*kind, Side::Practitioner, Some(appointment_id));
    }
    let detail = detail(serde_json::json!({
        "appointmentId": appointment_id,
        "kind": kind.code(),
        "attended": feedback.attendance.code(),
    }));
    change
        .settle(EventKind::AppointmentFeedbackRecorded, detail)
        .await?;
    appointment.feedback = Some(feedback);
    change.commit().await?;
    tracing::info!(%appointment_id, notifications = notifications.len(), "appointment feedback recorded");
    Ok(appointment)
}

/// A page of the work queue: appointments with their referrals.
#[derive(Debug)]
pub struct QueuePage {
    pub appointments: Vec<(Appointment, Referral)>,
    pub has_next_page: bool,
    pub total_count: u64,
}

/// What a work-queue request asks for, as read from the request: its filter and position.
pub type QueueRequest = Result<(AppointmentQuery, Option<PageCursor>), AppError>;

/// The work queue: live appointments of the referrals in the caller's scope, earliest first,
/// each with its referral; three statements whatever the page size.
pub async fn work_queue(
    services: &Services,
    caller: &Caller,
    request: QueueRequest,
    first: Option<i32>,
) -> Result<QueuePage, AppError> {
    let (_, access) = reader(caller)?;
    let (query, cursor) = request?;
    let limit = PageSize::parse(first)?.rows();
    let now = change::now();
    let (appointments, has_next_page) =
        db::work_queue::page(&services.db, &access, &query, now, cursor, limit).await?;
    let total_count = db::work_queue::count(&services.db, &access, &query, now).await?;
    let mut ids: Vec<Uuid> = appointments.iter().map(|a| a.referral_id).collect();
    ids.sort();
    ids.dedup();
    let referrals: HashMap<Uuid, Referral> = db::referrals::find_many(&services.db, &access, &ids)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    Ok(QueuePage {
        appointments: appointments
            .into_iter()
            .filter_map(|a| referrals.get(&a.referral_id).cloned().map(|r| (a, r)))
            .collect(),
        has_next_page,
        total_count,
    })
}

/// Cancels a booked appointment that has not taken place (no feedback, not moved), with a
/// reason: nothing replaces it, its slot is free to book again, the status follows (an
/// assessment booked falls back to assigned), and the practitioner is notified.
pub async fn cancel_appointment(
    services: &Services,
    caller: &Caller,
    appointment: AppointmentId,
    reason: &str,
) -> Result<Appointment, AppError> {
    let appointment_id = appointment.0;
    let authorised = authorise(caller, Action::CancelAppointment)?;
    let reason = reason.trim();
    let reason_problem = if reason.is_empty() {
        Some(FieldError::new("reason", code::CANNOT_BE_EMPTY))
    } else if reason.chars().count() > crate::domain::draft::MAX_TEXT_LENGTH {
        Some(FieldError::new("reason", code::INVALID_LENGTH))
    } else {
        None
    };
    // Unknown and out-of-scope appointments take the same path (see `record_feedback`).
    let referral_id = db::delivery::referral_of_appointment(&services.db, appointment_id)
        .await?
        .map_or(Uuid::nil(), |(referral_id, _)| referral_id);
    let mut change = Change::open(services, authorised, ReferralId(referral_id), None).await?;
    let facts = Facts::load(change.txn(), referral_id).await?;
    let mut appointment = facts
        .appointments
        .iter()
        .find(|a| a.id == appointment_id)
        .cloned()
        .ok_or(AppError::NotFound)?;
    if let Some(problem) = reason_problem {
        return Err(AppError::bad_input(
            "the cancellation is invalid",
            vec![problem],
        ));
    }
    appointment.check_cancellable().map_err(conflict)?;
    change.decide(Some(&facts)).await?;
    let cancellation = delivery::Cancellation {
        at: change.at,
        by: caller.user_id().clone(),
        reason: reason.to_owned(),
    };
    if !db::delivery::cancel(change.txn(), appointment_id, &cancellation).await? {
        return Err(conflict(delivery::CancellationConflict::AlreadyCancelled));
    }
    change.notify(
        NotificationKind::AppointmentCancelled,
        Side::Practitioner,
        Some(appointment_id),
    );
    let detail = detail(serde_json::json!({
        "appointmentId": appointment_id,
        "kind": appointment.kind.code(),
        "sessionNumber": appointment.session_number,
    }));
    change
        .settle(EventKind::AppointmentCancelled, detail)
        .await?;
    appointment.cancellation = Some(cancellation);
    change.commit().await?;
    Ok(appointment)
}

/// Adds the delivery sessions an approved plan brings (numbers after the existing ones).
fn new_sessions(facts: &Facts, plan: &ActionPlan, at: DateTime<Utc>) -> Vec<DeliverySession> {
    let existing = facts.sessions.iter().map(|s| s.number).max().unwrap_or(0);
    (existing + 1..=plan.number_of_sessions)
        .map(|number| DeliverySession {
            referral_id: plan.referral_id,
            number,
            action_plan_id: plan.id,
            created_at: at,
        })
        .collect()
}

/// Approves a plan inside the open transaction and creates its sessions.
async fn approve(
    db: &impl ConnectionTrait,
    facts: &Facts,
    plan: &mut ActionPlan,
    by: Option<UserId>,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    let approval = Approval { at, by };
    db::delivery::approve_plan(db, plan.id, &approval).await?;
    db::delivery::insert_sessions(db, &new_sessions(facts, plan, at)).await?;
    plan.approval = Some(approval);
    Ok(())
}

fn plan_detail(plan: &ActionPlan, automatic: bool) -> Option<String> {
    detail(serde_json::json!({
        "actionPlanId": plan.id,
        "numberOfSessions": plan.number_of_sessions,
        "automatic": automatic,
    }))
}

/// Submits an action plan (or a revision) once the assessment is completed; approved at once
/// when the policy says so.
pub async fn submit_action_plan(
    services: &Services,
    caller: &Caller,
    referral: ReferralId,
    number_of_sessions: i32,
    activities: &[String],
) -> Result<ActionPlan, AppError> {
    let referral_id = referral.0;
    let authorised = authorise(caller, Action::SubmitActionPlan)?;
    let mut change = Change::open(services, authorised, referral, None).await?;
    let facts = Facts::load(change.txn(), referral_id).await?;
    change.decide(Some(&facts)).await?;
    let activities =
        delivery::check_action_plan(number_of_sessions, activities, approved_sessions(&facts))
            .map_err(|fields| AppError::bad_input("the action plan is invalid", fields))?;
    let at = change.at;
    let mut plan = ActionPlan {
        id: Uuid::now_v7(),
        referral_id,
        revision: i32::try_from(facts.plans.len()).unwrap_or(i32::MAX - 1) + 1,
        number_of_sessions,
        activities,
        submitted_at: at,
        submitted_by: caller.user_id().clone(),
        approval: None,
    };
    db::delivery::insert_plan(change.txn(), &plan).await?;
    change
        .settle(EventKind::ActionPlanSubmitted, plan_detail(&plan, false))
        .await?;
    if services.delivery.auto_approve_action_plans {
        approve(change.txn(), &facts, &mut plan, None, at).await?;
        change
            .settle(EventKind::ActionPlanApproved, plan_detail(&plan, true))
            .await?;
    }
    change.commit().await?;
    Ok(plan)
}

/// The practitioner approves the latest submitted plan; approving an approved plan returns it.
pub async fn approve_action_plan(
    services: &Services,
    caller: &Caller,
    id: ActionPlanId,
) -> Result<ActionPlan, AppError> {
    let plan_id = id.0;
    let authorised = authorise(caller, Action::ApproveActionPlan)?;
    // An unknown plan goes through the same scoped look-up as another organisation's.
    let referral_id = db::delivery::referral_of_plan(&services.db, plan_id)
        .await?
        .unwrap_or(Uuid::nil());
    let mut change = Change::open(services, authorised, ReferralId(referral_id), None).await?;
    let facts = Facts::load(change.txn(), referral_id).await?;
    let mut plan = facts
        .plans
        .iter()
        .find(|p| p.id == plan_id)
        .cloned()
        .ok_or(AppError::NotFound)?;
    if plan.approval.is_some() {
        return Ok(plan);
    }
    change.decide(Some(&facts)).await?;
    if facts.plans.iter().any(|p| p.revision > plan.revision) {
        return Err(AppError::Conflict(
            "a later revision of the action plan was submitted: approve that one".into(),
        ));
    }
    let by = caller.user_id().clone();
    approve(change.txn(), &facts, &mut plan, Some(by), change.at).await?;
    change
        .settle(EventKind::ActionPlanApproved, plan_detail(&plan, false))
        .await?;
    change.commit().await?;
    Ok(plan)
}

/// Submits the end-of-service report, with an achievement level for every desired outcome of
/// the referral, and concludes it: completed, or prematurely ended after a withdrawal during
/// delivery. A referral concludes once; a second report is `CONFLICT`.
pub async fn submit_end_of_service_report(
    services: &Services,
    caller: &Caller,
    referral: ReferralId,
    outcomes: &[OutcomeInput],
    further_information: Option<&str>,
) -> Result<EndOfServiceReport, AppError> {
    let referral_id = referral.0;
    let authorised = authorise(caller, Action::SubmitEndOfServiceReport)?;
    let mut change = Change::open(services, authorised, referral, None).await?;
    let facts = Facts::load(change.txn(), referral_id).await?;
    let already = || AppError::Conflict("the end-of-service report was already submitted".into());
    if facts.report.is_some() {
        return Err(already());
    }
    // Decided on the status the recorded facts give, not only the stored one: a referral
    // stored as awaiting its report by the earlier rule (every session missed) needs none.
    if change.decide(Some(&facts)).await?.1 == Decision::AlreadyDone {
        return Err(already());
    }
    let desired: Vec<(Uuid, Uuid)> = db::referrals::selections(change.txn(), &[referral_id])
        .await?
        .into_iter()
        .flat_map(|(_, c)| {
            c.desired_outcome_ids
                .into_iter()
                .map(move |o| (o, c.service_category_id))
        })
        .collect();
    let (achievements, further) =
        delivery::check_report_outcomes(outcomes, &desired, further_information).map_err(
            |fields| AppError::bad_input("the end-of-service report is invalid", fields),
        )?;
    let report = EndOfServiceReport {
        id: Uuid::now_v7(),
        referral_id,
        outcomes: achievements,
        further_information: further,
        submitted_at: change.at,
        submitted_by: caller.user_id().clone(),
    };
    db::delivery::insert_report(change.txn(), &report).await?;
    let detail = detail(serde_json::json!({ "endOfServiceReportId": report.id }));
    change
        .settle(EventKind::EndOfServiceReportSubmitted, detail)
        .await?;
    change.commit().await?;
    Ok(report)
}
