//! Delivery SQL: appointments, action plans, delivery sessions and end-of-service reports.
//!
//! Reads take referral ids the caller was already allowed to load (through
//! `db::referrals::find`, which filters by access in SQL) and batch over them, so a page of
//! referrals costs one statement per child list. Writes run inside the referral's write
//! transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::entities::{
    action_plan, action_plan_activity, appointment, delivery_session, end_of_service_report,
    end_of_service_report_outcome,
};
use crate::domain::actor::UserId;
use crate::domain::delivery::{
    AchievementLevel, ActionPlan, Address, Appointment, AppointmentKind, Approval, Attendance,
    Cancellation, Delivery, DeliveryMethod, DeliverySession, EndOfServiceReport, Feedback,
    OutcomeAchievement, RescheduleRequester, SessionType, Supersession,
};
use crate::error::{AppError, internal};

fn parse<T>(value: Option<T>, what: &str, id: Uuid) -> Result<T, AppError> {
    value.ok_or_else(|| internal("delivery row", format!("bad {what} on {id}")))
}

pub(super) fn to_appointment(a: appointment::Model) -> Result<Appointment, AppError> {
    let id = a.id;
    let address = match (a.address_first_line, a.address_postcode) {
        (Some(first_line), Some(postcode)) => Some(Address {
            first_line,
            second_line: a.address_second_line,
            town_or_city: a.address_town_or_city,
            county: a.address_county,
            postcode,
        }),
        _ => None,
    };
    let superseded = match (a.superseded_by_id, a.superseded_at, a.rescheduled_by) {
        (Some(by_appointment_id), Some(at), Some(by)) => Some(Supersession {
            by_appointment_id,
            at,
            by: UserId(by),
            reason: a.reschedule_reason.unwrap_or_default(),
            requested_by: parse(
                a.reschedule_requested_by
                    .as_deref()
                    .and_then(RescheduleRequester::from_code),
                "requester",
                id,
            )?,
        }),
        _ => None,
    };
    let feedback = match (a.feedback_submitted_at, a.feedback_submitted_by) {
        (Some(submitted_at), Some(by)) => Some(Feedback {
            attendance: parse(
                a.attended.as_deref().and_then(Attendance::from_code),
                "attendance",
                id,
            )?,
            session_happened: a.did_session_happen.unwrap_or(false),
            late_reason: a.late_reason,
            no_session_reason: a.no_session_reason,
            no_attendance_information: a.no_attendance_information,
            session_summary: a.session_summary,
            session_response: a.session_response,
            concerns: a.concerns,
            notify_probation_practitioner: a.notify_probation_practitioner.unwrap_or(false),
            submitted_at,
            submitted_by: UserId(by),
        }),
        _ => None,
    };
    let cancellation = match (a.cancelled_at, a.cancelled_by) {
        (Some(at), Some(by)) => Some(Cancellation {
            at,
            by: UserId(by),
            reason: a.cancellation_reason.unwrap_or_default(),
        }),
        _ => None,
    };
    Ok(Appointment {
        id,
        referral_id: a.referral_id,
        kind: parse(AppointmentKind::from_code(&a.kind), "kind", id)?,
        session_number: a.session_number,
        starts_at: a.starts_at,
        duration_minutes: a.duration_minutes,
        delivery: Delivery {
            method: parse(
                DeliveryMethod::from_code(&a.delivery_method),
                "delivery method",
                id,
            )?,
            session_type: parse(SessionType::from_code(&a.session_type), "session type", id)?,
            probation_office_code: a.probation_office_code,
            address,
        },
        created_at: a.created_at,
        created_by: UserId(a.created_by),
        superseded,
        feedback,
        cancellation,
    })
}

/// The appointments of these referrals, oldest first.
pub async fn appointments_of(
    db: &impl ConnectionTrait,
    referral_ids: &[Uuid],
) -> Result<Vec<Appointment>, AppError> {
    appointment::Entity::find()
        .filter(appointment::Column::ReferralId.is_in(referral_ids.iter().copied()))
        .order_by_asc(appointment::Column::CreatedAt)
        .order_by_asc(appointment::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(to_appointment)
        .collect()
}

/// Every stored column of an appointment, its rescheduling and feedback included.
pub(crate) fn appointment_row(a: &Appointment) -> appointment::ActiveModel {
    let address = a.delivery.address.as_ref();
    let superseded = a.superseded.as_ref();
    let feedback = a.feedback.as_ref();
    let cancellation = a.cancellation.as_ref();
    appointment::ActiveModel {
        id: Set(a.id),
        referral_id: Set(a.referral_id),
        kind: Set(a.kind.code().to_owned()),
        session_number: Set(a.session_number),
        starts_at: Set(a.starts_at),
        duration_minutes: Set(a.duration_minutes),
        delivery_method: Set(a.delivery.method.code().to_owned()),
        session_type: Set(a.delivery.session_type.code().to_owned()),
        probation_office_code: Set(a.delivery.probation_office_code.clone()),
        address_first_line: Set(address.map(|x| x.first_line.clone())),
        address_second_line: Set(address.and_then(|x| x.second_line.clone())),
        address_town_or_city: Set(address.and_then(|x| x.town_or_city.clone())),
        address_county: Set(address.and_then(|x| x.county.clone())),
        address_postcode: Set(address.map(|x| x.postcode.clone())),
        created_by: Set(a.created_by.0.clone()),
        created_at: Set(a.created_at),
        updated_at: Set(feedback
            .map(|f| f.submitted_at)
            .or(superseded.map(|s| s.at))
            .or(cancellation.map(|c| c.at))
            .unwrap_or(a.created_at)),
        superseded_by_id: Set(superseded.map(|s| s.by_appointment_id)),
        superseded_at: Set(superseded.map(|s| s.at)),
        rescheduled_by: Set(superseded.map(|s| s.by.0.clone())),
        reschedule_reason: Set(superseded.map(|s| s.reason.clone())),
        reschedule_requested_by: Set(superseded.map(|s| s.requested_by.code().to_owned())),
        attended: Set(feedback.map(|f| f.attendance.code().to_owned())),
        did_session_happen: Set(feedback.map(|f| f.session_happened)),
        late_reason: Set(feedback.and_then(|f| f.late_reason.clone())),
        no_session_reason: Set(feedback.and_then(|f| f.no_session_reason.clone())),
        no_attendance_information: Set(feedback.and_then(|f| f.no_attendance_information.clone())),
        session_summary: Set(feedback.and_then(|f| f.session_summary.clone())),
        session_response: Set(feedback.and_then(|f| f.session_response.clone())),
        concerns: Set(feedback.and_then(|f| f.concerns.clone())),
        notify_probation_practitioner: Set(feedback.map(|f| f.notify_probation_practitioner)),
        feedback_submitted_at: Set(feedback.map(|f| f.submitted_at)),
        feedback_submitted_by: Set(feedback.map(|f| f.submitted_by.0.clone())),
        cancelled_at: Set(cancellation.map(|c| c.at)),
        cancelled_by: Set(cancellation.map(|c| c.by.0.clone())),
        cancellation_reason: Set(cancellation.map(|c| c.reason.clone())),
    }
}

/// Adds a new appointment (no feedback, not superseded).
pub async fn insert_appointment(
    db: &impl ConnectionTrait,
    a: &Appointment,
) -> Result<(), AppError> {
    appointment::Entity::insert(appointment_row(a))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Marks an appointment as replaced, if it is still live and without feedback (`false` if it
/// was not). Done before its replacement is inserted, so at most one open booking exists at any
/// moment (a unique index holds that); [`link_replacement`] then points it at the replacement.
pub async fn supersede(
    db: &impl ConnectionTrait,
    appointment_id: Uuid,
    s: &Supersession,
) -> Result<bool, AppError> {
    let result = appointment::Entity::update_many()
        .set(appointment::ActiveModel {
            superseded_at: Set(Some(s.at)),
            rescheduled_by: Set(Some(s.by.0.clone())),
            reschedule_reason: Set(Some(s.reason.clone())),
            reschedule_requested_by: Set(Some(s.requested_by.code().to_owned())),
            updated_at: Set(s.at),
            ..Default::default()
        })
        .filter(appointment::Column::Id.eq(appointment_id))
        .filter(appointment::Column::SupersededAt.is_null())
        .filter(appointment::Column::CancelledAt.is_null())
        .filter(appointment::Column::FeedbackSubmittedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Cancels a live appointment without feedback (`false` if it was not one any more).
pub async fn cancel(
    db: &impl ConnectionTrait,
    appointment_id: Uuid,
    c: &Cancellation,
) -> Result<bool, AppError> {
    let result = appointment::Entity::update_many()
        .set(appointment::ActiveModel {
            cancelled_at: Set(Some(c.at)),
            cancelled_by: Set(Some(c.by.0.clone())),
            cancellation_reason: Set(Some(c.reason.clone())),
            updated_at: Set(c.at),
            ..Default::default()
        })
        .filter(appointment::Column::Id.eq(appointment_id))
        .filter(appointment::Column::SupersededAt.is_null())
        .filter(appointment::Column::CancelledAt.is_null())
        .filter(appointment::Column::FeedbackSubmittedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Points a superseded appointment at the appointment that replaced it.
pub async fn link_replacement(
    db: &impl ConnectionTrait,
    appointment_id: Uuid,
    replacement_id: Uuid,
) -> Result<(), AppError> {
    appointment::Entity::update_many()
        .set(appointment::ActiveModel {
            superseded_by_id: Set(Some(replacement_id)),
            ..Default::default()
        })
        .filter(appointment::Column::Id.eq(appointment_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Records feedback on a live appointment without feedback; `false` if it had some already
/// (or was replaced).
pub async fn record_feedback(
    db: &impl ConnectionTrait,
    appointment_id: Uuid,
    f: &Feedback,
) -> Result<bool, AppError> {
    let result = appointment::Entity::update_many()
        .set(appointment::ActiveModel {
            attended: Set(Some(f.attendance.code().to_owned())),
            did_session_happen: Set(Some(f.session_happened)),
            late_reason: Set(f.late_reason.clone()),
            no_session_reason: Set(f.no_session_reason.clone()),
            no_attendance_information: Set(f.no_attendance_information.clone()),
            session_summary: Set(f.session_summary.clone()),
            session_response: Set(f.session_response.clone()),
            concerns: Set(f.concerns.clone()),
            notify_probation_practitioner: Set(Some(f.notify_probation_practitioner)),
            feedback_submitted_at: Set(Some(f.submitted_at)),
            feedback_submitted_by: Set(Some(f.submitted_by.0.clone())),
            updated_at: Set(f.submitted_at),
            ..Default::default()
        })
        .filter(appointment::Column::Id.eq(appointment_id))
        .filter(appointment::Column::SupersededAt.is_null())
        .filter(appointment::Column::CancelledAt.is_null())
        .filter(appointment::Column::FeedbackSubmittedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// The referral and kind of an appointment, if the appointment exists. Callers then load the
/// referral through the caller's access.
pub async fn referral_of_appointment(
    db: &impl ConnectionTrait,
    appointment_id: Uuid,
) -> Result<Option<(Uuid, AppointmentKind)>, AppError> {
    match appointment::Entity::find_by_id(appointment_id)
        .one(db)
        .await?
    {
        None => Ok(None),
        Some(a) => Ok(Some((
            a.referral_id,
            parse(AppointmentKind::from_code(&a.kind), "kind", a.id)?,
        ))),
    }
}

/// The referral an action plan belongs to, if the plan exists.
pub async fn referral_of_plan(
    db: &impl ConnectionTrait,
    plan_id: Uuid,
) -> Result<Option<Uuid>, AppError> {
    Ok(action_plan::Entity::find_by_id(plan_id)
        .one(db)
        .await?
        .map(|p| p.referral_id))
}

/// The action plans of these referrals with their activities, oldest revision first.
pub async fn plans_of(
    db: &impl ConnectionTrait,
    referral_ids: &[Uuid],
) -> Result<Vec<ActionPlan>, AppError> {
    let plans = action_plan::Entity::find()
        .filter(action_plan::Column::ReferralId.is_in(referral_ids.iter().copied()))
        .order_by_asc(action_plan::Column::ReferralId)
        .order_by_asc(action_plan::Column::Revision)
        .all(db)
        .await?;
    if plans.is_empty() {
        return Ok(Vec::new());
    }
    let activities = action_plan_activity::Entity::find()
        .filter(action_plan_activity::Column::ActionPlanId.is_in(plans.iter().map(|p| p.id)))
        .order_by_asc(action_plan_activity::Column::Position)
        .all(db)
        .await?;
    let mut by_plan: HashMap<Uuid, Vec<String>> = HashMap::new();
    for activity in activities {
        by_plan
            .entry(activity.action_plan_id)
            .or_default()
            .push(activity.description);
    }
    Ok(plans
        .into_iter()
        .map(|p| ActionPlan {
            id: p.id,
            referral_id: p.referral_id,
            revision: p.revision,
            number_of_sessions: p.number_of_sessions,
            activities: by_plan.remove(&p.id).unwrap_or_default(),
            submitted_at: p.submitted_at,
            submitted_by: UserId(p.submitted_by),
            approval: p.approved_at.map(|at| Approval {
                at,
                by: if p.approved_automatically {
                    None
                } else {
                    p.approved_by.map(UserId)
                },
            }),
        })
        .collect())
}

/// The rows of an action plan (with its approval, if any) and its activities.
pub(crate) fn plan_rows(
    plan: &ActionPlan,
) -> (
    action_plan::ActiveModel,
    Vec<action_plan_activity::ActiveModel>,
) {
    let approval = plan.approval.as_ref();
    let row = action_plan::ActiveModel {
        id: Set(plan.id),
        referral_id: Set(plan.referral_id),
        revision: Set(plan.revision),
        number_of_sessions: Set(plan.number_of_sessions),
        submitted_at: Set(plan.submitted_at),
        submitted_by: Set(plan.submitted_by.0.clone()),
        approved_at: Set(approval.map(|a| a.at)),
        approved_by: Set(approval.and_then(|a| a.by.as_ref().map(|u| u.0.clone()))),
        approved_automatically: Set(approval.is_some_and(|a| a.by.is_none())),
        created_at: Set(plan.submitted_at),
        updated_at: Set(approval.map_or(plan.submitted_at, |a| a.at)),
    };
    let activities = plan
        .activities
        .iter()
        .enumerate()
        .map(
            |(position, description)| action_plan_activity::ActiveModel {
                action_plan_id: Set(plan.id),
                position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
                description: Set(description.clone()),
                created_at: Set(plan.submitted_at),
                updated_at: Set(plan.submitted_at),
            },
        )
        .collect();
    (row, activities)
}

/// Adds a submitted plan and its activities.
pub async fn insert_plan(db: &impl ConnectionTrait, plan: &ActionPlan) -> Result<(), AppError> {
    let (row, activities) = plan_rows(plan);
    action_plan::Entity::insert(row)
        .exec_without_returning(db)
        .await?;
    action_plan_activity::Entity::insert_many(activities)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Stamps a plan's approval.
pub async fn approve_plan(
    db: &impl ConnectionTrait,
    plan_id: Uuid,
    approval: &Approval,
) -> Result<(), AppError> {
    action_plan::Entity::update_many()
        .set(action_plan::ActiveModel {
            approved_at: Set(Some(approval.at)),
            approved_by: Set(approval.by.as_ref().map(|u| u.0.clone())),
            approved_automatically: Set(approval.by.is_none()),
            updated_at: Set(approval.at),
            ..Default::default()
        })
        .filter(action_plan::Column::Id.eq(plan_id))
        .exec(db)
        .await?;
    Ok(())
}

/// The delivery sessions of these referrals, by number.
pub async fn sessions_of(
    db: &impl ConnectionTrait,
    referral_ids: &[Uuid],
) -> Result<Vec<DeliverySession>, AppError> {
    Ok(delivery_session::Entity::find()
        .filter(delivery_session::Column::ReferralId.is_in(referral_ids.iter().copied()))
        .order_by_asc(delivery_session::Column::ReferralId)
        .order_by_asc(delivery_session::Column::SessionNumber)
        .all(db)
        .await?
        .into_iter()
        .map(|s| DeliverySession {
            referral_id: s.referral_id,
            number: s.session_number,
            action_plan_id: s.action_plan_id,
            created_at: s.created_at,
        })
        .collect())
}

/// The row of a delivery session.
pub(crate) fn session_row(s: &DeliverySession) -> delivery_session::ActiveModel {
    delivery_session::ActiveModel {
        referral_id: Set(s.referral_id),
        session_number: Set(s.number),
        action_plan_id: Set(s.action_plan_id),
        created_at: Set(s.created_at),
        updated_at: Set(s.created_at),
    }
}

/// Adds delivery sessions.
pub async fn insert_sessions(
    db: &impl ConnectionTrait,
    sessions: &[DeliverySession],
) -> Result<(), AppError> {
    if sessions.is_empty() {
        return Ok(());
    }
    delivery_session::Entity::insert_many(sessions.iter().map(session_row))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// The end-of-service reports of these referrals, with their outcomes.
pub async fn reports_of(
    db: &impl ConnectionTrait,
    referral_ids: &[Uuid],
) -> Result<Vec<EndOfServiceReport>, AppError> {
    let reports = end_of_service_report::Entity::find()
        .filter(end_of_service_report::Column::ReferralId.is_in(referral_ids.iter().copied()))
        .all(db)
        .await?;
    if reports.is_empty() {
        return Ok(Vec::new());
    }
    let outcomes = end_of_service_report_outcome::Entity::find()
        .filter(end_of_service_report_outcome::Column::ReportId.is_in(reports.iter().map(|r| r.id)))
        .order_by_asc(end_of_service_report_outcome::Column::CreatedAt)
        .order_by_asc(end_of_service_report_outcome::Column::DesiredOutcomeId)
        .all(db)
        .await?;
    let mut by_report: HashMap<Uuid, Vec<OutcomeAchievement>> = HashMap::new();
    for o in outcomes {
        let level = parse(
            AchievementLevel::from_code(&o.achievement_level),
            "achievement level",
            o.report_id,
        )?;
        by_report
            .entry(o.report_id)
            .or_default()
            .push(OutcomeAchievement {
                desired_outcome_id: o.desired_outcome_id,
                service_category_id: o.service_category_id,
                level,
                progression_comments: o.progression_comments,
                additional_task_comments: o.additional_task_comments,
            });
    }
    Ok(reports
        .into_iter()
        .map(|r| EndOfServiceReport {
            id: r.id,
            referral_id: r.referral_id,
            outcomes: by_report.remove(&r.id).unwrap_or_default(),
            further_information: r.further_information,
            submitted_at: r.submitted_at,
            submitted_by: UserId(r.submitted_by),
        })
        .collect())
}

/// The rows of an end-of-service report and its outcomes.
pub(crate) fn report_rows(
    report: &EndOfServiceReport,
) -> (
    end_of_service_report::ActiveModel,
    Vec<end_of_service_report_outcome::ActiveModel>,
) {
    let row = end_of_service_report::ActiveModel {
        id: Set(report.id),
        referral_id: Set(report.referral_id),
        further_information: Set(report.further_information.clone()),
        submitted_at: Set(report.submitted_at),
        submitted_by: Set(report.submitted_by.0.clone()),
        created_at: Set(report.submitted_at),
        updated_at: Set(report.submitted_at),
    };
    let at: DateTime<Utc> = report.submitted_at;
    let outcomes = report
        .outcomes
        .iter()
        .enumerate()
        .map(|(i, o)| end_of_service_report_outcome::ActiveModel {
            report_id: Set(report.id),
            desired_outcome_id: Set(o.desired_outcome_id),
            service_category_id: Set(o.service_category_id),
            achievement_level: Set(o.level.code().to_owned()),
            progression_comments: Set(o.progression_comments.clone()),
            additional_task_comments: Set(o.additional_task_comments.clone()),
            // Creation times keep the order the outcomes were given in.
            created_at: Set(at + chrono::Duration::microseconds(i64::try_from(i).unwrap_or(0))),
            updated_at: Set(at),
        })
        .collect();
    (row, outcomes)
}

/// Adds a submitted report and its outcomes.
pub async fn insert_report(
    db: &impl ConnectionTrait,
    report: &EndOfServiceReport,
) -> Result<(), AppError> {
    let (row, outcomes) = report_rows(report);
    end_of_service_report::Entity::insert(row)
        .exec_without_returning(db)
        .await?;
    if outcomes.is_empty() {
        return Ok(());
    }
    end_of_service_report_outcome::Entity::insert_many(outcomes)
        .exec_without_returning(db)
        .await?;
    Ok(())
}
