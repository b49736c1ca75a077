//! The provider performance report: one line per referral of a provider's contracts, with the
//! columns of the reference service's report (domain study, section 7.1). Appointments replaced
//! by a rescheduling are ignored except where a column asks for the first one arranged.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::delivery::{AchievementLevel, Appointment, AppointmentKind, Feedback};
use super::journey::ReferralStatus;
use super::record::ReferralRecord;

/// One referral's line.
#[derive(Clone, Debug, PartialEq)]
pub struct PerformanceLine {
    pub reference: Option<String>,
    pub referral_id: Uuid,
    pub contract_reference: String,
    /// The contract's prime provider (also on subcontractors' lines).
    pub organisation_code: String,
    pub caseworker_id: Option<String>,
    pub crn: String,
    pub received_at: Option<DateTime<Utc>>,
    pub assessment_first_arranged_at: Option<DateTime<Utc>>,
    pub assessment_first_scheduled_for: Option<DateTime<Utc>>,
    pub assessment_first_not_attended: Option<DateTime<Utc>>,
    pub assessment_first_attended: Option<DateTime<Utc>>,
    pub assessment_first_completed: Option<DateTime<Utc>>,
    /// Whether the first attended assessment was on time (`None` before one is attended).
    pub assessment_attended_on_time: Option<bool>,
    pub first_action_plan_submitted_at: Option<DateTime<Utc>>,
    pub first_action_plan_approved_at: Option<DateTime<Utc>>,
    pub first_attended_session: Option<DateTime<Utc>>,
    pub outcomes_to_be_achieved: usize,
    /// Achieved 1, partially achieved 0.5, from the end-of-service report (`None` without one).
    pub outcomes_score: Option<f64>,
    pub sessions_expected: Option<i32>,
    pub sessions_attended: usize,
    pub end_requested_at: Option<DateTime<Utc>>,
    pub end_requested_reason_code: Option<String>,
    pub end_of_service_report_submitted_at: Option<DateTime<Utc>>,
    pub concluded_at: Option<DateTime<Utc>>,
    /// `completed`, `cancelled` or `ended` once concluded.
    pub end_state: Option<&'static str>,
    pub completion_deadline: Option<NaiveDate>,
}

/// The start of the earliest of these appointments.
fn earliest<'a>(appointments: impl Iterator<Item = &'a Appointment>) -> Option<DateTime<Utc>> {
    appointments.map(|a| a.starts_at).min()
}

/// These appointments, earliest first.
fn by_start(mut appointments: Vec<&Appointment>) -> Vec<&Appointment> {
    appointments.sort_by_key(|a| a.starts_at);
    appointments
}

/// The line of a referral.
pub fn line(record: &ReferralRecord) -> PerformanceLine {
    let referral = &record.referral;
    let assessments = || {
        record
            .appointments
            .iter()
            .filter(|a| a.kind == AppointmentKind::Assessment)
    };
    let current_with = |kind: AppointmentKind, keep: fn(&Feedback) -> bool| {
        record
            .appointments
            .iter()
            .filter(move |a| a.kind == kind && a.is_live())
            .filter(move |a| a.feedback.as_ref().is_some_and(keep))
    };
    let attended_assessments =
        by_start(current_with(AppointmentKind::Assessment, |f| f.attendance.attended()).collect());
    let outcomes_score = record.report.as_ref().map(|report| {
        report
            .outcomes
            .iter()
            .map(|o| match o.level {
                AchievementLevel::Achieved => 1.0,
                AchievementLevel::PartiallyAchieved => 0.5,
                AchievementLevel::NotAchieved => 0.0,
            })
            .sum()
    });
    PerformanceLine {
        reference: referral.reference.clone(),
        referral_id: referral.id,
        contract_reference: referral.intervention.contract.reference.clone(),
        organisation_code: referral.intervention.contract.prime_provider_code.clone(),
        caseworker_id: referral.assigned_to_id.as_ref().map(|u| u.0.clone()),
        crn: referral.crn.clone(),
        received_at: referral.sent_at,
        assessment_first_arranged_at: assessments().map(|a| a.created_at).min(),
        assessment_first_scheduled_for: assessments()
            .filter(|a| a.is_live())
            .min_by_key(|a| a.created_at)
            .map(|a| a.starts_at),
        assessment_first_not_attended: earliest(current_with(AppointmentKind::Assessment, |f| {
            !f.attendance.attended()
        })),
        assessment_first_attended: earliest(attended_assessments.iter().copied()),
        assessment_first_completed: earliest(current_with(
            AppointmentKind::Assessment,
            Feedback::is_attended_session,
        )),
        assessment_attended_on_time: attended_assessments.first().and_then(|a| {
            a.feedback
                .as_ref()
                .map(|f| f.attendance == super::delivery::Attendance::Yes)
        }),
        first_action_plan_submitted_at: record.plans.iter().map(|p| p.submitted_at).min(),
        first_action_plan_approved_at: record
            .plans
            .iter()
            .filter_map(|p| p.approval.as_ref().map(|a| a.at))
            .min(),
        first_attended_session: earliest(current_with(
            AppointmentKind::Session,
            Feedback::is_attended_session,
        )),
        outcomes_to_be_achieved: record
            .selections
            .iter()
            .map(|s| s.desired_outcome_ids.len())
            .sum(),
        outcomes_score,
        sessions_expected: record
            .plans
            .iter()
            .filter(|p| p.approval.is_some())
            .max_by_key(|p| p.revision)
            .map(|p| p.number_of_sessions),
        sessions_attended: current_with(AppointmentKind::Session, Feedback::is_attended_session)
            .count(),
        end_requested_at: referral.withdrawal.as_ref().map(|w| w.at),
        end_requested_reason_code: referral.withdrawal.as_ref().map(|w| w.reason_code.clone()),
        end_of_service_report_submitted_at: record.report.as_ref().map(|r| r.submitted_at),
        concluded_at: referral.concluded_at,
        end_state: match referral.status {
            ReferralStatus::Completed => Some("completed"),
            ReferralStatus::Cancelled => Some("cancelled"),
            ReferralStatus::PrematurelyEnded => Some("ended"),
            _ => None,
        },
        completion_deadline: referral.details.completion_deadline,
    }
}
