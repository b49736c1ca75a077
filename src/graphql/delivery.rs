//! GraphQL types and mutations of service delivery: appointments and their feedback, action
//! plans, delivery sessions and end-of-service reports.
//!
//! Objects here are only built from records of referrals the service returned for this caller
//! (children load through the request's loader, keyed by such referrals), so they inherit the
//! referral's scope.

use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, SubsecRound, Utc};

use super::context::{caller, forget_referral_children, loader, services};
use super::cost;
use super::enums::{
    AchievementLevel, AppointmentKind, Attendance, DeliveryMethod, RescheduleRequester, SessionType,
};
use super::error::from_loader;
use super::ids::{id_or_nil, parse_uuid};
use super::loaders::{
    AppointmentsOfReferral, DesiredOutcomeById, PlansOfReferral, ReportOfReferral,
    ServiceCategoryById, SessionsOfReferral,
};
use super::types::{DesiredOutcome, ServiceCategory};
use super::user::User;
use crate::domain::delivery as dom;
use crate::domain::ids::{ActionPlanId, AppointmentId, ReferralId};
use crate::service::delivery as delivery_service;

#[derive(Clone, Debug)]
pub struct AppointmentAddress(pub dom::Address);

/// An address of an in-person appointment.
#[Object]
impl AppointmentAddress {
    /// First line.
    async fn first_line(&self) -> &str {
        &self.0.first_line
    }
    /// Second line.
    async fn second_line(&self) -> Option<&str> {
        self.0.second_line.as_deref()
    }
    /// Town or city.
    async fn town_or_city(&self) -> Option<&str> {
        self.0.town_or_city.as_deref()
    }
    /// County.
    async fn county(&self) -> Option<&str> {
        self.0.county.as_deref()
    }
    /// UK postcode, upper case with one space.
    async fn postcode(&self) -> &str {
        &self.0.postcode
    }
}

#[derive(Clone, Debug)]
pub struct AppointmentFeedback(pub dom::Feedback);

/// What happened at an appointment; recorded once, then locked.
#[Object]
impl AppointmentFeedback {
    /// Whether the person came.
    async fn attended(&self) -> Attendance {
        self.0.attendance.into()
    }
    /// Whether the session took place.
    async fn did_session_happen(&self) -> bool {
        self.0.session_happened
    }
    /// Why the person was late.
    async fn late_reason(&self) -> Option<&str> {
        self.0.late_reason.as_deref()
    }
    /// Why the session did not take place although the person came.
    async fn no_session_reason(&self) -> Option<&str> {
        self.0.no_session_reason.as_deref()
    }
    /// What is known about the non-attendance.
    async fn no_attendance_information(&self) -> Option<&str> {
        self.0.no_attendance_information.as_deref()
    }
    /// What the session covered.
    async fn session_summary(&self) -> Option<&str> {
        self.0.session_summary.as_deref()
    }
    /// How the person responded.
    async fn session_response(&self) -> Option<&str> {
        self.0.session_response.as_deref()
    }
    /// Concerns for the practitioner.
    async fn concerns(&self) -> Option<&str> {
        self.0.concerns.as_deref()
    }
    /// Whether the practitioner was to be told of concerns.
    async fn notify_probation_practitioner(&self) -> bool {
        self.0.notify_probation_practitioner
    }
    /// When the feedback was recorded.
    async fn submitted_at(&self) -> DateTime<Utc> {
        self.0.submitted_at
    }
    /// Who recorded it.
    async fn submitted_by(&self) -> User {
        User(self.0.submitted_by.clone())
    }
}

#[derive(Clone, Debug)]
pub struct Appointment(pub dom::Appointment);

impl From<dom::Appointment> for Appointment {
    fn from(appointment: dom::Appointment) -> Self {
        Appointment(appointment)
    }
}

/// An appointment: the initial assessment or a delivery session.
#[Object]
impl Appointment {
    /// Stable id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Assessment or session.
    async fn kind(&self) -> AppointmentKind {
        self.0.kind.into()
    }
    /// The session number (sessions only).
    async fn session_number(&self) -> Option<i32> {
        self.0.session_number
    }
    /// When it starts.
    async fn starts_at(&self) -> DateTime<Utc> {
        self.0.starts_at
    }
    /// How long it lasts, in minutes.
    async fn duration_minutes(&self) -> i32 {
        self.0.duration_minutes
    }
    /// How it is delivered.
    async fn delivery_method(&self) -> DeliveryMethod {
        self.0.delivery.method.into()
    }
    /// One-to-one or group.
    async fn session_type(&self) -> SessionType {
        self.0.delivery.session_type.into()
    }
    /// The probation office (in person at a probation office).
    async fn probation_office_code(&self) -> Option<&str> {
        self.0.delivery.probation_office_code.as_deref()
    }
    /// The address (in person elsewhere).
    async fn address(&self) -> Option<AppointmentAddress> {
        self.0.delivery.address.clone().map(AppointmentAddress)
    }
    /// When it was booked.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Who booked it.
    async fn created_by(&self) -> User {
        User(self.0.created_by.clone())
    }
    /// Whether it was rescheduled (replaced by another appointment, kept here as history).
    async fn superseded(&self) -> bool {
        self.0.superseded.is_some()
    }
    /// The appointment that replaced it.
    async fn superseded_by_appointment_id(&self) -> Option<ID> {
        self.0
            .superseded
            .as_ref()
            .map(|s| ID(s.by_appointment_id.to_string()))
    }
    /// When it was rescheduled.
    async fn rescheduled_at(&self) -> Option<DateTime<Utc>> {
        self.0.superseded.as_ref().map(|s| s.at)
    }
    /// Who rescheduled it.
    async fn rescheduled_by(&self) -> Option<User> {
        self.0.superseded.as_ref().map(|s| User(s.by.clone()))
    }
    /// Why it was rescheduled.
    async fn reschedule_reason(&self) -> Option<&str> {
        self.0.superseded.as_ref().map(|s| s.reason.as_str())
    }
    /// Who asked for it to be rescheduled.
    async fn reschedule_requested_by(&self) -> Option<RescheduleRequester> {
        self.0.superseded.as_ref().map(|s| s.requested_by.into())
    }
    /// The recorded feedback; null until recorded.
    async fn feedback(&self) -> Option<AppointmentFeedback> {
        self.0.feedback.clone().map(AppointmentFeedback)
    }
    /// Whether it was cancelled (nothing replaces it; its slot is free to book again).
    async fn cancelled(&self) -> bool {
        self.0.cancellation.is_some()
    }
    /// When it was cancelled.
    async fn cancelled_at(&self) -> Option<DateTime<Utc>> {
        self.0.cancellation.as_ref().map(|c| c.at)
    }
    /// Who cancelled it.
    async fn cancelled_by(&self) -> Option<User> {
        self.0.cancellation.as_ref().map(|c| User(c.by.clone()))
    }
    /// Why it was cancelled.
    async fn cancellation_reason(&self) -> Option<&str> {
        self.0.cancellation.as_ref().map(|c| c.reason.as_str())
    }
}

#[derive(Clone, Debug)]
pub struct ActionPlan(pub dom::ActionPlan);

/// A submitted revision of the action plan.
#[Object]
impl ActionPlan {
    /// Stable id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// 1 for the first plan, then one more per revision.
    async fn revision(&self) -> i32 {
        self.0.revision
    }
    /// Sessions planned.
    async fn number_of_sessions(&self) -> i32 {
        self.0.number_of_sessions
    }
    /// The planned activities, in order.
    async fn activities(&self) -> &[String] {
        &self.0.activities
    }
    /// When it was submitted.
    async fn submitted_at(&self) -> DateTime<Utc> {
        self.0.submitted_at
    }
    /// Who submitted it.
    async fn submitted_by(&self) -> User {
        User(self.0.submitted_by.clone())
    }
    /// Whether it is approved.
    async fn approved(&self) -> bool {
        self.0.approval.is_some()
    }
    /// When it was approved.
    async fn approved_at(&self) -> Option<DateTime<Utc>> {
        self.0.approval.as_ref().map(|a| a.at)
    }
    /// The practitioner who approved it; null when approval was automatic.
    async fn approved_by(&self) -> Option<User> {
        self.0
            .approval
            .as_ref()
            .and_then(|a| a.by.clone())
            .map(User)
    }
    /// Whether it was approved automatically on submission.
    async fn approved_automatically(&self) -> bool {
        self.0.approval.as_ref().is_some_and(|a| a.by.is_none())
    }
}

#[derive(Clone, Debug)]
pub struct DeliverySession {
    session: dom::DeliverySession,
    /// This session's appointments, oldest first.
    appointments: Vec<dom::Appointment>,
}

/// A numbered delivery session with its current appointment and rescheduling history.
#[Object]
impl DeliverySession {
    /// The session number.
    async fn session_number(&self) -> i32 {
        self.session.number
    }
    /// The latest appointment; null until one is booked.
    async fn appointment(&self) -> Option<Appointment> {
        dom::latest_appointment(
            &self.appointments,
            dom::AppointmentKind::Session,
            Some(self.session.number),
        )
        .cloned()
        .map(Appointment::from)
    }
    /// Every appointment of this session, oldest first (rescheduled and missed ones included).
    async fn history(&self) -> Vec<Appointment> {
        self.appointments
            .iter()
            .cloned()
            .map(Appointment::from)
            .collect()
    }
    /// Whether the latest appointment has recorded feedback.
    async fn feedback_recorded(&self) -> bool {
        dom::latest_appointment(
            &self.appointments,
            dom::AppointmentKind::Session,
            Some(self.session.number),
        )
        .is_some_and(|a| a.feedback.is_some())
    }
}

#[derive(Clone, Debug)]
pub struct EndOfServiceReportOutcome(pub dom::OutcomeAchievement);

/// The achievement of one desired outcome.
#[Object]
impl EndOfServiceReportOutcome {
    /// The desired outcome.
    async fn desired_outcome(&self, ctx: &Context<'_>) -> Result<Option<DesiredOutcome>> {
        let outcome = loader(ctx)?
            .load_one(DesiredOutcomeById(self.0.desired_outcome_id))
            .await
            .map_err(from_loader)?;
        Ok(outcome.map(DesiredOutcome))
    }
    /// Its service category.
    async fn service_category(&self, ctx: &Context<'_>) -> Result<Option<ServiceCategory>> {
        let category = loader(ctx)?
            .load_one(ServiceCategoryById(self.0.service_category_id))
            .await
            .map_err(from_loader)?;
        Ok(category.map(ServiceCategory))
    }
    /// How well it was achieved.
    async fn achievement_level(&self) -> AchievementLevel {
        self.0.level.into()
    }
    /// Progress made.
    async fn progression_comments(&self) -> Option<&str> {
        self.0.progression_comments.as_deref()
    }
    /// Further tasks for the person.
    async fn additional_task_comments(&self) -> Option<&str> {
        self.0.additional_task_comments.as_deref()
    }
}

#[derive(Clone, Debug)]
pub struct EndOfServiceReport(pub dom::EndOfServiceReport);

/// The end-of-service report.
#[Object]
impl EndOfServiceReport {
    /// Stable id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// One entry per desired outcome of the referral.
    #[graphql(complexity = "cost::OUTCOMES_PER_CATEGORY * child_complexity")]
    async fn outcomes(&self) -> Vec<EndOfServiceReportOutcome> {
        self.0
            .outcomes
            .iter()
            .cloned()
            .map(EndOfServiceReportOutcome)
            .collect()
    }
    /// Anything else the provider reported.
    async fn further_information(&self) -> Option<&str> {
        self.0.further_information.as_deref()
    }
    /// When it was submitted.
    async fn submitted_at(&self) -> DateTime<Utc> {
        self.0.submitted_at
    }
    /// Who submitted it.
    async fn submitted_by(&self) -> User {
        User(self.0.submitted_by.clone())
    }
}

/// The appointments of a visible referral, oldest first.
pub async fn appointments_of(
    ctx: &Context<'_>,
    referral_id: uuid::Uuid,
) -> Result<Vec<dom::Appointment>> {
    Ok(loader(ctx)?
        .load_one(AppointmentsOfReferral(referral_id))
        .await
        .map_err(from_loader)?
        .unwrap_or_default())
}

/// The action plans of a visible referral, oldest revision first.
pub async fn plans_of(ctx: &Context<'_>, referral_id: uuid::Uuid) -> Result<Vec<ActionPlan>> {
    Ok(loader(ctx)?
        .load_one(PlansOfReferral(referral_id))
        .await
        .map_err(from_loader)?
        .unwrap_or_default()
        .into_iter()
        .map(ActionPlan)
        .collect())
}

/// The delivery sessions of a visible referral, by number, with their appointments.
pub async fn sessions_of(
    ctx: &Context<'_>,
    referral_id: uuid::Uuid,
) -> Result<Vec<DeliverySession>> {
    let loader = loader(ctx)?;
    let (sessions, appointments) = futures_util::join!(
        loader.load_one(SessionsOfReferral(referral_id)),
        loader.load_one(AppointmentsOfReferral(referral_id))
    );
    let appointments = appointments.map_err(from_loader)?.unwrap_or_default();
    Ok(sessions
        .map_err(from_loader)?
        .unwrap_or_default()
        .into_iter()
        .map(|session| DeliverySession {
            appointments: appointments
                .iter()
                .filter(|a| {
                    a.kind == dom::AppointmentKind::Session
                        && a.session_number == Some(session.number)
                })
                .cloned()
                .collect(),
            session,
        })
        .collect())
}

/// The end-of-service report of a visible referral.
pub async fn report_of(
    ctx: &Context<'_>,
    referral_id: uuid::Uuid,
) -> Result<Option<EndOfServiceReport>> {
    Ok(loader(ctx)?
        .load_one(ReportOfReferral(referral_id))
        .await
        .map_err(from_loader)?
        .map(EndOfServiceReport))
}

/// Where an in-person appointment away from a probation office takes place.
#[derive(Clone, Debug, InputObject)]
pub struct AddressInput {
    /// First line (required).
    pub first_line: Option<String>,
    /// Second line.
    pub second_line: Option<String>,
    /// Town or city.
    pub town_or_city: Option<String>,
    /// County.
    pub county: Option<String>,
    /// A UK postcode (required).
    pub postcode: Option<String>,
}

/// Replaces the latest appointment of the assessment or session.
#[derive(Clone, Debug, InputObject)]
pub struct RescheduleInput {
    /// The appointment being moved: the latest of its assessment or session, without feedback.
    pub appointment_id: ID,
    /// Why it is moved.
    pub reason: String,
    /// Who asked.
    pub requested_by: RescheduleRequester,
}

/// Books (or, with `reschedule`, moves) an appointment.
#[derive(Clone, Debug, InputObject)]
pub struct ScheduleAppointmentInput {
    /// The initial assessment or a delivery session.
    pub kind: AppointmentKind,
    /// The session number (sessions only; a session of the approved action plan).
    pub session_number: Option<i32>,
    /// Start: not before the day the referral was sent, at most 6 months ahead.
    pub starts_at: DateTime<Utc>,
    /// Length in minutes (1 to 480).
    pub duration_minutes: i32,
    /// How it is delivered.
    pub delivery_method: DeliveryMethod,
    /// One-to-one or group.
    pub session_type: SessionType,
    /// The probation office (required in person at a probation office).
    pub probation_office_code: Option<String>,
    /// The address (required in person elsewhere).
    pub address: Option<AddressInput>,
    /// Set to move the latest appointment instead of booking a new one.
    pub reschedule: Option<RescheduleInput>,
}

impl ScheduleAppointmentInput {
    fn to_domain(&self) -> dom::AppointmentInput {
        dom::AppointmentInput {
            kind: self.kind.into(),
            session_number: self.session_number,
            starts_at: self.starts_at.trunc_subsecs(6),
            duration_minutes: self.duration_minutes,
            method: self.delivery_method.into(),
            session_type: self.session_type.into(),
            probation_office_code: self.probation_office_code.clone(),
            address: self.address.as_ref().map(|a| dom::AddressInput {
                first_line: a.first_line.clone(),
                second_line: a.second_line.clone(),
                town_or_city: a.town_or_city.clone(),
                county: a.county.clone(),
                postcode: a.postcode.clone(),
            }),
            reschedule: self.reschedule.as_ref().map(|r| dom::RescheduleInput {
                // A malformed id names no appointment, like an unknown one.
                appointment_id: id_or_nil(&r.appointment_id),
                reason: Some(r.reason.clone()),
                requested_by: Some(r.requested_by.into()),
            }),
        }
    }
}

/// What happened at an appointment.
#[derive(Clone, Debug, InputObject)]
pub struct AppointmentFeedbackInput {
    /// Whether the person came.
    pub attended: Attendance,
    /// Whether the session took place (required when the person came).
    pub did_session_happen: Option<bool>,
    /// Why the person was late (required when late).
    pub late_reason: Option<String>,
    /// Why the session did not take place although the person came (required then).
    pub no_session_reason: Option<String>,
    /// What is known about the non-attendance (required when the person did not come).
    pub no_attendance_information: Option<String>,
    /// What the session covered (required when it took place).
    pub session_summary: Option<String>,
    /// How the person responded (required when it took place).
    pub session_response: Option<String>,
    /// Concerns for the practitioner (required when they are to be told).
    pub concerns: Option<String>,
    /// Whether the practitioner must be told of concerns.
    pub notify_probation_practitioner: bool,
}

impl AppointmentFeedbackInput {
    fn to_domain(&self) -> dom::FeedbackInput {
        dom::FeedbackInput {
            attendance: Some(self.attended.into()),
            did_session_happen: self.did_session_happen,
            late_reason: self.late_reason.clone(),
            no_session_reason: self.no_session_reason.clone(),
            no_attendance_information: self.no_attendance_information.clone(),
            session_summary: self.session_summary.clone(),
            session_response: self.session_response.clone(),
            concerns: self.concerns.clone(),
            notify_probation_practitioner: Some(self.notify_probation_practitioner),
        }
    }
}

/// An action plan (or a revision).
#[derive(Clone, Debug, InputObject)]
pub struct ActionPlanInput {
    /// Sessions planned: above zero, never below an approved plan's.
    pub number_of_sessions: i32,
    /// The activities, at least one.
    pub activities: Vec<String>,
}

/// The achievement of one desired outcome.
#[derive(Clone, Debug, InputObject)]
pub struct EndOfServiceReportOutcomeInput {
    /// A desired outcome of the referral.
    pub desired_outcome_id: ID,
    /// How well it was achieved.
    pub achievement_level: AchievementLevel,
    /// Progress made (optional).
    pub progression_comments: Option<String>,
    /// Further tasks for the person (optional).
    pub additional_task_comments: Option<String>,
}

/// The end-of-service report.
#[derive(Clone, Debug, InputObject)]
pub struct EndOfServiceReportInput {
    /// One entry per desired outcome of the referral.
    pub outcomes: Vec<EndOfServiceReportOutcomeInput>,
    /// Anything else to report.
    pub further_information: Option<String>,
}

#[derive(Debug, Default)]
pub struct DeliveryMutation;

/// Entry points of service delivery.
#[Object]
impl DeliveryMutation {
    /// Books the initial assessment or a delivery session, or moves the latest appointment of
    /// one (`input.reschedule`), keeping the old one as history (provider users).
    async fn schedule_appointment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The referral the appointment is for.")] referral_id: ID,
        #[graphql(desc = "The booking; with `reschedule`, the move.")]
        input: ScheduleAppointmentInput,
    ) -> Result<Appointment> {
        forget_referral_children(ctx)?;
        let appointment = delivery_service::schedule_appointment(
            services(ctx)?,
            caller(ctx)?,
            ReferralId(id_or_nil(&referral_id)),
            &input.to_domain(),
        )
        .await?;
        Ok(Appointment::from(appointment))
    }

    /// Records what happened at an appointment whose start time has passed, and locks it: a
    /// second recording is `CONFLICT` (provider users).
    async fn record_appointment_feedback(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The latest appointment of its assessment or session.")]
        appointment_id: ID,
        #[graphql(desc = "What happened.")] input: AppointmentFeedbackInput,
    ) -> Result<Appointment> {
        forget_referral_children(ctx)?;
        let appointment = delivery_service::record_feedback(
            services(ctx)?,
            caller(ctx)?,
            AppointmentId(id_or_nil(&appointment_id)),
            &input.to_domain(),
        )
        .await?;
        Ok(Appointment::from(appointment))
    }

    /// Cancels a booked appointment that has not taken place, with a reason (provider users):
    /// nothing replaces it, its slot is free to book again, and the practitioner is notified.
    async fn cancel_appointment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A live appointment without feedback.")] appointment_id: ID,
        #[graphql(desc = "Why (required).")] reason: String,
    ) -> Result<Appointment> {
        forget_referral_children(ctx)?;
        let appointment = delivery_service::cancel_appointment(
            services(ctx)?,
            caller(ctx)?,
            AppointmentId(id_or_nil(&appointment_id)),
            &reason,
        )
        .await?;
        Ok(Appointment::from(appointment))
    }

    /// Submits the action plan or a revision once the assessment is completed; approved at
    /// once when automatic approval is configured (provider users).
    async fn submit_action_plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The referral the plan is for.")] referral_id: ID,
        #[graphql(desc = "The plan.")] input: ActionPlanInput,
    ) -> Result<ActionPlan> {
        forget_referral_children(ctx)?;
        let plan = delivery_service::submit_action_plan(
            services(ctx)?,
            caller(ctx)?,
            ReferralId(id_or_nil(&referral_id)),
            input.number_of_sessions,
            &input.activities,
        )
        .await?;
        Ok(ActionPlan(plan))
    }

    /// Approves the latest submitted action plan, creating its delivery sessions (probation
    /// practitioners); approving an approved plan returns it.
    async fn approve_action_plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The latest submitted revision.")] action_plan_id: ID,
    ) -> Result<ActionPlan> {
        forget_referral_children(ctx)?;
        let plan = delivery_service::approve_action_plan(
            services(ctx)?,
            caller(ctx)?,
            ActionPlanId(id_or_nil(&action_plan_id)),
        )
        .await?;
        Ok(ActionPlan(plan))
    }

    /// Submits the end-of-service report, one achievement level per desired outcome, and
    /// concludes the referral (provider users).
    async fn submit_end_of_service_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The referral being concluded.")] referral_id: ID,
        #[graphql(desc = "The report.")] input: EndOfServiceReportInput,
    ) -> Result<EndOfServiceReport> {
        forget_referral_children(ctx)?;
        let outcomes: Vec<dom::OutcomeInput> = input
            .outcomes
            .iter()
            .map(|o| dom::OutcomeInput {
                desired_outcome_id: parse_uuid(&o.desired_outcome_id),
                level: o.achievement_level.into(),
                progression_comments: o.progression_comments.clone(),
                additional_task_comments: o.additional_task_comments.clone(),
            })
            .collect();
        let report = delivery_service::submit_end_of_service_report(
            services(ctx)?,
            caller(ctx)?,
            ReferralId(id_or_nil(&referral_id)),
            &outcomes,
            input.further_information.as_deref(),
        )
        .await?;
        Ok(EndOfServiceReport(report))
    }
}
