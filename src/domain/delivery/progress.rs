//! The facts a referral's status is derived from, gathered from its delivery records.

use super::action_plan::{ActionPlan, DeliverySession};
use super::appointment::{Appointment, AppointmentKind, latest_appointment};
use crate::domain::journey::{AssessmentState, PlanState, Progress, SessionCounts};
use crate::domain::referral::Referral;

/// The facts the status is derived from, for a sent referral.
pub fn progress(
    referral: &Referral,
    appointments: &[Appointment],
    plans: &[ActionPlan],
    sessions: &[DeliverySession],
    report_submitted: bool,
) -> Progress {
    let assessment = match latest_appointment(appointments, AppointmentKind::Assessment, None) {
        None => AssessmentState::NotBooked,
        Some(a) => match &a.feedback {
            None => AssessmentState::Booked,
            Some(f) if f.is_attended_session() => AssessmentState::Attended,
            Some(_) => AssessmentState::NotBooked,
        },
    };
    let plan = if plans.iter().any(|p| p.approval.is_some()) {
        PlanState::Approved
    } else if plans.is_empty() {
        PlanState::None
    } else {
        PlanState::Submitted
    };
    let recorded = sessions
        .iter()
        .filter(|s| {
            latest_appointment(appointments, AppointmentKind::Session, Some(s.number))
                .is_some_and(|a| a.feedback.is_some())
        })
        .count();
    Progress {
        assigned: referral.assigned_to_id.is_some(),
        assessment,
        plan,
        sessions: SessionCounts {
            planned: u32::try_from(sessions.len()).unwrap_or(u32::MAX),
            recorded: u32::try_from(recorded).unwrap_or(u32::MAX),
        },
        initial_contact: referral.initial_contact_at.is_some(),
        withdrawn_at_state: referral.withdrawal.as_ref().map(|w| {
            w.delivery_state
                .as_recorded(referral.initial_contact_at.is_some())
        }),
        report_submitted,
        concluded: referral.concluded_at.map(|_| referral.status),
    }
}
