//! The referral journey, whole: statuses, who may take which action from where, what each
//! action does in each delivery state, and how a referral concludes.
//!
//! - [`Permit::grant`] says whether a role may ever take an action (the role gate, asked once
//!   per use case); [`decide`] says what the action does to a referral as it stands
//!   ([`Standing`]: status, withdrawn or not, how far delivery got), including "already
//!   withdrawn" and "already done". One exhaustive table test checks every combination.
//! - [`DeliveryState`] says how far delivery got, [`conclusion`] what the facts mean for the
//!   referral's end, and [`status`] derives the status from every fact, so each change computes
//!   it the same way. A withdrawal concludes from the delivery state it was made in.

use std::fmt;

use super::actor::Role;

/// Where a referral is in its journey, in journey order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReferralStatus {
    Draft,
    Sent,
    Assigned,
    AssessmentBooked,
    AssessmentCompleted,
    ActionPlanSubmitted,
    InDelivery,
    AwaitingEndOfServiceReport,
    Completed,
    Cancelled,
    PrematurelyEnded,
}

impl ReferralStatus {
    /// Every status, in journey order.
    pub const ALL: [ReferralStatus; 11] = [
        ReferralStatus::Draft,
        ReferralStatus::Sent,
        ReferralStatus::Assigned,
        ReferralStatus::AssessmentBooked,
        ReferralStatus::AssessmentCompleted,
        ReferralStatus::ActionPlanSubmitted,
        ReferralStatus::InDelivery,
        ReferralStatus::AwaitingEndOfServiceReport,
        ReferralStatus::Completed,
        ReferralStatus::Cancelled,
        ReferralStatus::PrematurelyEnded,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            ReferralStatus::Draft => "DRAFT",
            ReferralStatus::Sent => "SENT",
            ReferralStatus::Assigned => "ASSIGNED",
            ReferralStatus::AssessmentBooked => "ASSESSMENT_BOOKED",
            ReferralStatus::AssessmentCompleted => "ASSESSMENT_COMPLETED",
            ReferralStatus::ActionPlanSubmitted => "ACTION_PLAN_SUBMITTED",
            ReferralStatus::InDelivery => "IN_DELIVERY",
            ReferralStatus::AwaitingEndOfServiceReport => "AWAITING_END_OF_SERVICE_REPORT",
            ReferralStatus::Completed => "COMPLETED",
            ReferralStatus::Cancelled => "CANCELLED",
            ReferralStatus::PrematurelyEnded => "PREMATURELY_ENDED",
        }
    }

    /// Parses a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether the referral has ended (completed, cancelled or ended early).
    pub fn is_concluded(self) -> bool {
        matches!(
            self,
            ReferralStatus::Completed
                | ReferralStatus::Cancelled
                | ReferralStatus::PrematurelyEnded
        )
    }

    /// Whether delivery has not started yet, so a withdrawal cancels at once.
    pub fn is_before_delivery(self) -> bool {
        matches!(
            self,
            ReferralStatus::Sent
                | ReferralStatus::Assigned
                | ReferralStatus::AssessmentBooked
                | ReferralStatus::AssessmentCompleted
                | ReferralStatus::ActionPlanSubmitted
        )
    }

    /// Whether an approved plan is being delivered: what an action does may then depend on
    /// how far delivery got.
    pub fn is_delivering(self) -> bool {
        matches!(
            self,
            ReferralStatus::InDelivery | ReferralStatus::AwaitingEndOfServiceReport
        )
    }
}

impl fmt::Display for ReferralStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A change to a referral.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    CreateDraft,
    UpdateDraft,
    Send,
    Assign,
    Withdraw,
    AddCaseNote,
    ScheduleAssessment,
    RecordAssessmentFeedback,
    SubmitActionPlan,
    ApproveActionPlan,
    ScheduleSession,
    RecordSessionFeedback,
    SubmitEndOfServiceReport,
    /// Change a detail of a sent referral (with a reason, in the change log).
    Amend,
    /// Hand a sent referral to another practitioner.
    Transfer,
    DeleteDraft,
    CancelAppointment,
}

impl Action {
    /// What the action does, in words ("assign a referral").
    pub fn words(self) -> &'static str {
        match self {
            Action::CreateDraft => "start a draft referral",
            Action::UpdateDraft => "change a draft referral",
            Action::Send => "send a referral",
            Action::Assign => "assign a referral",
            Action::Withdraw => "withdraw a referral",
            Action::AddCaseNote => "add a case note to a referral",
            Action::ScheduleAssessment => "book an initial assessment",
            Action::RecordAssessmentFeedback => "record feedback on an initial assessment",
            Action::SubmitActionPlan => "submit an action plan",
            Action::ApproveActionPlan => "approve an action plan",
            Action::ScheduleSession => "book a session",
            Action::RecordSessionFeedback => "record feedback on a session",
            Action::SubmitEndOfServiceReport => "submit an end-of-service report",
            Action::Amend => "amend a referral",
            Action::Transfer => "hand a referral to another practitioner",
            Action::DeleteDraft => "delete a draft referral",
            Action::CancelAppointment => "cancel an appointment",
        }
    }

    pub const ALL: [Action; 17] = [
        Action::CreateDraft,
        Action::UpdateDraft,
        Action::Send,
        Action::Assign,
        Action::Withdraw,
        Action::AddCaseNote,
        Action::ScheduleAssessment,
        Action::RecordAssessmentFeedback,
        Action::SubmitActionPlan,
        Action::ApproveActionPlan,
        Action::ScheduleSession,
        Action::RecordSessionFeedback,
        Action::SubmitEndOfServiceReport,
        Action::Amend,
        Action::Transfer,
        Action::DeleteDraft,
        Action::CancelAppointment,
    ];

    /// Which role may take this action at all, whatever the referral.
    fn allowed_to(self, role: Role) -> bool {
        match self {
            Action::CreateDraft
            | Action::UpdateDraft
            | Action::Send
            | Action::Withdraw
            | Action::ApproveActionPlan
            | Action::Amend
            | Action::DeleteDraft => role == Role::ProbationPractitioner,
            // Case-management systems hand caseloads over too.
            Action::Transfer => matches!(role, Role::ProbationPractitioner | Role::ReadAll),
            Action::Assign
            | Action::CancelAppointment
            | Action::ScheduleAssessment
            | Action::RecordAssessmentFeedback
            | Action::SubmitActionPlan
            | Action::ScheduleSession
            | Action::RecordSessionFeedback
            | Action::SubmitEndOfServiceReport => role == Role::ProviderUser,
            Action::AddCaseNote => {
                matches!(role, Role::ProbationPractitioner | Role::ProviderUser)
            }
        }
    }
}

/// Leave for a role to attempt an action: made only by [`Permit::grant`], asked for once at the
/// start of a use case, and required by [`decide`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Permit {
    role: Role,
    action: Action,
}

impl Permit {
    /// The role gate: `FORBIDDEN` when `role` may never take `action`.
    pub fn grant(role: Role, action: Action) -> Result<Permit, Refusal> {
        if action.allowed_to(role) {
            Ok(Permit { role, action })
        } else {
            Err(Refusal::Forbidden { role, action })
        }
    }

    /// The action permitted.
    pub fn action(&self) -> Action {
        self.action
    }

    /// The role it was granted to.
    pub fn role(&self) -> Role {
        self.role
    }
}

/// A referral as the journey rules see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Standing {
    pub status: ReferralStatus,
    /// The practitioner has withdrawn it.
    pub withdrawn: bool,
    /// How far delivery has got (for a withdrawn referral: when it was withdrawn).
    pub delivery: DeliveryState,
}

/// What a permitted action does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Apply the action; the referral moves to (or stays in) this status.
    MoveTo(ReferralStatus),
    /// Apply the action; the new status follows from the facts then recorded ([`status`]).
    Proceed,
    /// Already done (sending a sent referral, withdrawing a withdrawn or concluded one,
    /// reporting on a concluded one): change nothing and record nothing.
    AlreadyDone,
}

/// Why an action is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// This role may never take this action.
    #[error("a {} may not {}", role.words(), action.words())]
    Forbidden { role: Role, action: Action },
    /// Not from this status.
    #[error("cannot {}: the referral's status is {status}", action.words())]
    Invalid {
        status: ReferralStatus,
        action: Action,
    },
    /// The referral was withdrawn during delivery: nothing new is booked or planned.
    #[error("the referral has been withdrawn: it is waiting for its end-of-service report")]
    Withdrawn { action: Action },
}

/// The rules of the journey: what the permitted action does to a referral as it stands.
pub fn decide(standing: Standing, permit: &Permit) -> Result<Decision, Refusal> {
    use Decision::{AlreadyDone, MoveTo, Proceed};
    use ReferralStatus::*;
    let Standing {
        status,
        withdrawn,
        delivery,
    } = standing;
    let action = permit.action;
    // Once withdrawn, nothing new is booked or planned; what was booked may still be recorded.
    let unless_withdrawn = |decision| {
        if withdrawn {
            Err(Refusal::Withdrawn { action })
        } else {
            Ok(decision)
        }
    };
    let invalid = Err(Refusal::Invalid { status, action });
    match (action, status) {
        (Action::UpdateDraft, Draft) => Ok(MoveTo(Draft)),
        (Action::Send, Draft) => Ok(MoveTo(Sent)),
        (Action::Send, _) => Ok(AlreadyDone),
        (Action::Assign, Sent) => Ok(MoveTo(Assigned)),
        (Action::Assign, s) if s != Draft && !s.is_concluded() => Ok(MoveTo(s)),
        (Action::Withdraw, Draft) => invalid,
        (Action::Withdraw, s) if withdrawn || s.is_concluded() => Ok(AlreadyDone),
        (Action::Withdraw, s) if s.is_before_delivery() => Ok(MoveTo(Cancelled)),
        // During delivery: cancelled while nobody has been seen, otherwise the report is due.
        (Action::Withdraw, _) if delivery.requires_report() => {
            Ok(MoveTo(AwaitingEndOfServiceReport))
        }
        (Action::Withdraw, _) => Ok(MoveTo(Cancelled)),
        (Action::AddCaseNote, s) if s != Draft => Ok(MoveTo(s)),
        (Action::ScheduleAssessment, Sent | Assigned | AssessmentBooked) => {
            unless_withdrawn(Proceed)
        }
        (Action::RecordAssessmentFeedback, AssessmentBooked) => Ok(Proceed),
        (
            Action::SubmitActionPlan,
            AssessmentCompleted | ActionPlanSubmitted | InDelivery | AwaitingEndOfServiceReport,
        )
        | (
            Action::ApproveActionPlan,
            ActionPlanSubmitted | InDelivery | AwaitingEndOfServiceReport,
        )
        | (Action::ScheduleSession, InDelivery | AwaitingEndOfServiceReport) => {
            unless_withdrawn(Proceed)
        }
        (Action::RecordSessionFeedback, InDelivery | AwaitingEndOfServiceReport) => Ok(Proceed),
        (Action::SubmitEndOfServiceReport, AwaitingEndOfServiceReport) => Ok(Proceed),
        (Action::SubmitEndOfServiceReport, Completed | PrematurelyEnded) => Ok(AlreadyDone),
        (Action::Amend, s) if s != Draft && !s.is_concluded() => unless_withdrawn(MoveTo(s)),
        // Concluded referrals are followed too (reports, questions): any sent one moves.
        (Action::Transfer, s) if s != Draft => Ok(MoveTo(s)),
        (Action::DeleteDraft, Draft) => Ok(MoveTo(Draft)),
        (Action::CancelAppointment, AssessmentBooked | InDelivery | AwaitingEndOfServiceReport) => {
            Ok(Proceed)
        }
        _ => invalid,
    }
}

/// What an event records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    Created,
    Updated,
    Sent,
    Assigned,
    Withdrawn,
    CaseNoteAdded,
    AppointmentScheduled,
    AppointmentRescheduled,
    AppointmentFeedbackRecorded,
    ActionPlanSubmitted,
    ActionPlanApproved,
    EndOfServiceReportSubmitted,
    Amended,
    Transferred,
    AppointmentCancelled,
}

impl EventKind {
    pub const ALL: [EventKind; 15] = [
        EventKind::Created,
        EventKind::Updated,
        EventKind::Sent,
        EventKind::Assigned,
        EventKind::Withdrawn,
        EventKind::CaseNoteAdded,
        EventKind::AppointmentScheduled,
        EventKind::AppointmentRescheduled,
        EventKind::AppointmentFeedbackRecorded,
        EventKind::ActionPlanSubmitted,
        EventKind::ActionPlanApproved,
        EventKind::EndOfServiceReportSubmitted,
        EventKind::Amended,
        EventKind::Transferred,
        EventKind::AppointmentCancelled,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            EventKind::Created => "CREATED",
            EventKind::Updated => "UPDATED",
            EventKind::Sent => "SENT",
            EventKind::Assigned => "ASSIGNED",
            EventKind::Withdrawn => "WITHDRAWN",
            EventKind::CaseNoteAdded => "CASE_NOTE_ADDED",
            EventKind::AppointmentScheduled => "APPOINTMENT_SCHEDULED",
            EventKind::AppointmentRescheduled => "APPOINTMENT_RESCHEDULED",
            EventKind::AppointmentFeedbackRecorded => "APPOINTMENT_FEEDBACK_RECORDED",
            EventKind::ActionPlanSubmitted => "ACTION_PLAN_SUBMITTED",
            EventKind::ActionPlanApproved => "ACTION_PLAN_APPROVED",
            EventKind::EndOfServiceReportSubmitted => "END_OF_SERVICE_REPORT_SUBMITTED",
            EventKind::Amended => "AMENDED",
            EventKind::Transferred => "TRANSFERRED",
            EventKind::AppointmentCancelled => "APPOINTMENT_CANCELLED",
        }
    }

    /// Parses a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

/// How far delivery got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryState {
    /// No approved action plan.
    NotDeliveringYet,
    /// A plan is approved but no delivery session has been attended.
    MissingFirstSubstantiveAppointment,
    /// At least one session attended; not every planned session recorded.
    InProgress,
    /// Every planned session has recorded feedback (attended or not).
    Completed,
}

impl DeliveryState {
    pub const ALL: [DeliveryState; 4] = [
        DeliveryState::NotDeliveringYet,
        DeliveryState::MissingFirstSubstantiveAppointment,
        DeliveryState::InProgress,
        DeliveryState::Completed,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            DeliveryState::NotDeliveringYet => "NOT_DELIVERING_YET",
            DeliveryState::MissingFirstSubstantiveAppointment => {
                "MISSING_FIRST_SUBSTANTIVE_APPOINTMENT"
            }
            DeliveryState::InProgress => "IN_PROGRESS",
            DeliveryState::Completed => "COMPLETED",
        }
    }

    /// Parses a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The delivery state of these facts. As the reference service decides it, "has the first
    /// substantive appointment been delivered?" comes before "is every session recorded?":
    /// sessions all recorded as missed (or attended but not held) are not a delivered service.
    pub fn of(plan_approved: bool, sessions: SessionCounts, initial_contact: bool) -> Self {
        if !plan_approved {
            DeliveryState::NotDeliveringYet
        } else if !initial_contact {
            DeliveryState::MissingFirstSubstantiveAppointment
        } else if sessions.planned > 0 && sessions.recorded >= sessions.planned {
            DeliveryState::Completed
        } else {
            DeliveryState::InProgress
        }
    }

    /// A delivery state as stored with a withdrawal, read by the rule above: before the rule
    /// was fixed, a referral whose sessions were all recorded but where nobody was ever seen
    /// was stored as `Completed`. Nobody seen yet means nobody was seen then.
    pub fn as_recorded(self, initial_contact: bool) -> Self {
        match self {
            DeliveryState::InProgress | DeliveryState::Completed if !initial_contact => {
                DeliveryState::MissingFirstSubstantiveAppointment
            }
            state => state,
        }
    }

    /// Whether ending from this state needs an end-of-service report: once the person has been
    /// seen in delivery (or every session is recorded), outcomes must be reported.
    pub fn requires_report(self) -> bool {
        matches!(self, DeliveryState::InProgress | DeliveryState::Completed)
    }
}

/// Planned delivery sessions and how many of them have recorded feedback on their latest
/// appointment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SessionCounts {
    pub planned: u32,
    pub recorded: u32,
}

/// What the facts mean for the referral's end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conclusion {
    /// Delivery goes on.
    Continue,
    /// The referral is ending and waits for its end-of-service report.
    AwaitReport,
    /// Conclude now, in this status.
    Conclude(ReferralStatus),
    /// Concluded before: nothing changes and nothing is recorded again.
    AlreadyConcluded,
}

/// The conclusion rule. `delivery`: how far delivery got (for a withdrawn referral, when it was
/// withdrawn); `withdrawn`: the practitioner asked to end the referral;
/// `report_submitted`: the end-of-service report is in; `concluded`: it concluded before.
///
/// - Withdrawn before anyone was seen in delivery: cancelled at once, no report.
/// - Withdrawn once delivery is under way: waits for the report, then ends prematurely.
/// - Every session recorded: waits for the report, then completes (a withdrawal this late
///   changes nothing: the service was delivered).
pub fn conclusion(
    delivery: DeliveryState,
    withdrawn: bool,
    report_submitted: bool,
    concluded: bool,
) -> Conclusion {
    use Conclusion::*;
    use DeliveryState::*;
    if concluded {
        return AlreadyConcluded;
    }
    match (delivery, withdrawn, report_submitted) {
        (NotDeliveringYet | MissingFirstSubstantiveAppointment, true, _) => {
            Conclude(ReferralStatus::Cancelled)
        }
        (NotDeliveringYet | MissingFirstSubstantiveAppointment, false, _) => Continue,
        (InProgress, _, true) => Conclude(ReferralStatus::PrematurelyEnded),
        (InProgress, true, false) => AwaitReport,
        (InProgress, false, false) => Continue,
        (Completed, _, true) => Conclude(ReferralStatus::Completed),
        (Completed, _, false) => AwaitReport,
    }
}

/// The latest initial assessment appointment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssessmentState {
    /// None booked, or the last one was missed (a new booking is needed).
    NotBooked,
    /// Booked, feedback not yet recorded.
    Booked,
    /// Attended.
    Attended,
}

/// The action plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanState {
    None,
    /// Submitted, waiting for the practitioner's approval.
    Submitted,
    /// An approved plan (a later revision may be waiting for approval).
    Approved,
}

/// Everything the status is derived from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    pub assigned: bool,
    pub assessment: AssessmentState,
    pub plan: PlanState,
    pub sessions: SessionCounts,
    /// A delivery session has been attended.
    pub initial_contact: bool,
    /// The delivery state when the practitioner withdrew the referral, if they did.
    pub withdrawn_at_state: Option<DeliveryState>,
    pub report_submitted: bool,
    /// The status it concluded in, if it has.
    pub concluded: Option<ReferralStatus>,
}

impl Progress {
    /// How far delivery has got by the facts recorded so far.
    pub fn delivery_state(&self) -> DeliveryState {
        DeliveryState::of(
            self.plan == PlanState::Approved,
            self.sessions,
            self.initial_contact,
        )
    }

    /// The conclusion. A withdrawn referral concludes from the state it was withdrawn in:
    /// feedback recorded afterwards (say, the remaining sessions marked as missed) never turns
    /// an early end into a completion.
    pub fn conclusion(&self) -> Conclusion {
        conclusion(
            self.withdrawn_at_state
                .unwrap_or_else(|| self.delivery_state()),
            self.withdrawn_at_state.is_some(),
            self.report_submitted,
            self.concluded.is_some(),
        )
    }

    /// The referral as the journey rules see it, by these facts.
    pub fn standing(&self) -> Standing {
        Standing {
            status: status(self),
            withdrawn: self.withdrawn_at_state.is_some(),
            delivery: self
                .withdrawn_at_state
                .unwrap_or_else(|| self.delivery_state()),
        }
    }
}

/// The status of a sent referral with this progress.
pub fn status(progress: &Progress) -> ReferralStatus {
    use ReferralStatus::*;
    if let Some(concluded) = progress.concluded {
        return concluded;
    }
    match progress.conclusion() {
        Conclusion::Conclude(status) => return status,
        Conclusion::AwaitReport => return AwaitingEndOfServiceReport,
        Conclusion::Continue | Conclusion::AlreadyConcluded => {}
    }
    match (progress.plan, progress.assessment) {
        (PlanState::Approved, _) => InDelivery,
        (PlanState::Submitted, _) => ActionPlanSubmitted,
        (PlanState::None, AssessmentState::Attended) => AssessmentCompleted,
        (PlanState::None, AssessmentState::Booked) => AssessmentBooked,
        (PlanState::None, AssessmentState::NotBooked) if progress.assigned => Assigned,
        (PlanState::None, AssessmentState::NotBooked) => Sent,
    }
}

#[cfg(test)]
mod tests {
    use super::Action::*;
    use super::Conclusion::*;
    use super::Decision::*;
    use super::DeliveryState::*;
    use super::ReferralStatus::*;
    use super::*;
    use Role::{Commissioner, ProbationPractitioner, ProviderUser, ReadAll};

    const IN_PROGRESS: [ReferralStatus; 7] = [
        Sent,
        Assigned,
        AssessmentBooked,
        AssessmentCompleted,
        ActionPlanSubmitted,
        InDelivery,
        AwaitingEndOfServiceReport,
    ];
    const BEFORE_DELIVERY: [ReferralStatus; 5] = [
        Sent,
        Assigned,
        AssessmentBooked,
        AssessmentCompleted,
        ActionPlanSubmitted,
    ];
    const CONCLUDED: [ReferralStatus; 3] = [ReferralStatus::Completed, Cancelled, PrematurelyEnded];
    const DELIVERING: [ReferralStatus; 2] = [InDelivery, AwaitingEndOfServiceReport];

    /// Who may take each action, written out.
    fn role_may(action: Action, role: Role) -> bool {
        matches!(
            (action, role),
            (
                CreateDraft
                    | UpdateDraft
                    | Send
                    | Withdraw
                    | ApproveActionPlan
                    | Amend
                    | DeleteDraft,
                ProbationPractitioner
            ) | (Transfer, ProbationPractitioner | ReadAll)
                | (
                    Assign
                        | CancelAppointment
                        | ScheduleAssessment
                        | RecordAssessmentFeedback
                        | SubmitActionPlan
                        | ScheduleSession
                        | RecordSessionFeedback
                        | SubmitEndOfServiceReport,
                    ProviderUser
                )
                | (AddCaseNote, ProbationPractitioner | ProviderUser)
        )
    }

    /// The expected journey, written out: what each permitted action does from each standing.
    /// `None` is `Invalid`; `Some(Err(()))` is refused because the referral was withdrawn.
    fn expected(action: Action, s: Standing) -> Option<Result<Decision, ()>> {
        let status = s.status;
        let ok = |d| Some(Ok(d));
        let unless_withdrawn = |d| Some(if s.withdrawn { Err(()) } else { Ok(d) });
        match action {
            CreateDraft => None,
            UpdateDraft => (status == Draft).then_some(Ok(MoveTo(Draft))),
            Send if status == Draft => ok(MoveTo(Sent)),
            Send => ok(AlreadyDone),
            Assign if status == Sent => ok(MoveTo(Assigned)),
            Assign => IN_PROGRESS.contains(&status).then_some(Ok(MoveTo(status))),
            Withdraw if status == Draft => None,
            Withdraw if s.withdrawn || CONCLUDED.contains(&status) => ok(AlreadyDone),
            Withdraw if BEFORE_DELIVERY.contains(&status) => ok(MoveTo(Cancelled)),
            Withdraw => match s.delivery {
                NotDeliveringYet | MissingFirstSubstantiveAppointment => ok(MoveTo(Cancelled)),
                InProgress | DeliveryState::Completed => ok(MoveTo(AwaitingEndOfServiceReport)),
            },
            AddCaseNote => (status != Draft).then_some(Ok(MoveTo(status))),
            ScheduleAssessment if [Sent, Assigned, AssessmentBooked].contains(&status) => {
                unless_withdrawn(Proceed)
            }
            RecordAssessmentFeedback if status == AssessmentBooked => ok(Proceed),
            SubmitActionPlan
                if status == AssessmentCompleted
                    || status == ActionPlanSubmitted
                    || DELIVERING.contains(&status) =>
            {
                unless_withdrawn(Proceed)
            }
            ApproveActionPlan if status == ActionPlanSubmitted || DELIVERING.contains(&status) => {
                unless_withdrawn(Proceed)
            }
            ScheduleSession if DELIVERING.contains(&status) => unless_withdrawn(Proceed),
            RecordSessionFeedback if DELIVERING.contains(&status) => ok(Proceed),
            SubmitEndOfServiceReport if status == AwaitingEndOfServiceReport => ok(Proceed),
            SubmitEndOfServiceReport
                if [ReferralStatus::Completed, PrematurelyEnded].contains(&status) =>
            {
                ok(AlreadyDone)
            }
            Amend if status != Draft && !CONCLUDED.contains(&status) => {
                unless_withdrawn(MoveTo(status))
            }
            Transfer if status != Draft => ok(MoveTo(status)),
            DeleteDraft if status == Draft => ok(MoveTo(Draft)),
            CancelAppointment if status == AssessmentBooked || DELIVERING.contains(&status) => {
                ok(Proceed)
            }
            _ => None,
        }
    }

    #[test]
    fn refusals_are_worded_for_people() {
        let forbidden = Refusal::Forbidden {
            role: Role::ProbationPractitioner,
            action: Action::Assign,
        };
        assert_eq!(
            forbidden.to_string(),
            "a probation practitioner may not assign a referral"
        );
        let invalid = Refusal::Invalid {
            status: ReferralStatus::Draft,
            action: Action::ScheduleSession,
        };
        assert_eq!(
            invalid.to_string(),
            "cannot book a session: the referral's status is DRAFT"
        );
    }

    #[test]
    fn every_standing_action_and_role_follows_the_table() {
        let mut checked = 0;
        for status in ReferralStatus::ALL {
            for withdrawn in [false, true] {
                for delivery in DeliveryState::ALL {
                    let standing = Standing {
                        status,
                        withdrawn,
                        delivery,
                    };
                    for action in Action::ALL {
                        for role in Role::ALL {
                            let got =
                                Permit::grant(role, action).and_then(|p| decide(standing, &p));
                            let want = if !role_may(action, role) {
                                Err(Refusal::Forbidden { role, action })
                            } else {
                                match expected(action, standing) {
                                    Some(Ok(decision)) => Ok(decision),
                                    Some(Err(())) => Err(Refusal::Withdrawn { action }),
                                    None => Err(Refusal::Invalid { status, action }),
                                }
                            };
                            assert_eq!(got, want, "{standing:?} {action:?} by {role:?}");
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert_eq!(checked, 11 * 2 * 4 * 17 * 4);
        // The four roles are all checked: commissioners change nothing, machine clients only
        // hand referrals over.
        for action in Action::ALL {
            assert_eq!(Permit::grant(ReadAll, action).is_ok(), action == Transfer);
            assert!(Permit::grant(Commissioner, action).is_err());
        }
    }

    #[test]
    fn codes_round_trip() {
        for status in ReferralStatus::ALL {
            assert_eq!(ReferralStatus::from_code(status.code()), Some(status));
        }
        for kind in EventKind::ALL {
            assert_eq!(EventKind::from_code(kind.code()), Some(kind));
        }
        for state in DeliveryState::ALL {
            assert_eq!(DeliveryState::from_code(state.code()), Some(state));
        }
        assert_eq!(ReferralStatus::from_code("LOST"), None);
    }

    /// Every combination of the facts, written out.
    #[test]
    fn every_combination_of_facts_concludes_as_the_table_says() {
        use ReferralStatus::{Cancelled, Completed as Done, PrematurelyEnded};
        #[rustfmt::skip]
        let table = [
            // delivery state, withdrawn, report, concluded => conclusion
            (NotDeliveringYet, false, false, false, Continue),
            (NotDeliveringYet, false, true, false, Continue),
            (NotDeliveringYet, true, false, false, Conclude(Cancelled)),
            (NotDeliveringYet, true, true, false, Conclude(Cancelled)),
            (MissingFirstSubstantiveAppointment, false, false, false, Continue),
            (MissingFirstSubstantiveAppointment, false, true, false, Continue),
            (MissingFirstSubstantiveAppointment, true, false, false, Conclude(Cancelled)),
            (MissingFirstSubstantiveAppointment, true, true, false, Conclude(Cancelled)),
            (InProgress, false, false, false, Continue),
            (InProgress, false, true, false, Conclude(PrematurelyEnded)),
            (InProgress, true, false, false, AwaitReport),
            (InProgress, true, true, false, Conclude(PrematurelyEnded)),
            (DeliveryState::Completed, false, false, false, AwaitReport),
            (DeliveryState::Completed, false, true, false, Conclude(Done)),
            (DeliveryState::Completed, true, false, false, AwaitReport),
            (DeliveryState::Completed, true, true, false, Conclude(Done)),
        ];
        let mut checked = 0;
        for (state, withdrawn, report, concluded, want) in table {
            assert_eq!(
                conclusion(state, withdrawn, report, concluded),
                want,
                "{state:?} withdrawn={withdrawn} report={report}"
            );
            checked += 1;
        }
        // Concluding happens once: whatever else is true, a concluded referral stays as it is.
        for state in DeliveryState::ALL {
            for withdrawn in [false, true] {
                for report in [false, true] {
                    assert_eq!(conclusion(state, withdrawn, report, true), AlreadyConcluded);
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 4 * 2 * 2 * 2);
    }

    /// A withdrawal decided from a standing ends where the facts then say it ends.
    #[test]
    fn a_withdrawal_lands_where_the_facts_conclude() {
        for delivery in DeliveryState::ALL {
            for status in DELIVERING {
                let standing = Standing {
                    status,
                    withdrawn: false,
                    delivery,
                };
                let permit = Permit::grant(ProbationPractitioner, Withdraw);
                let decided = permit.and_then(|p| decide(standing, &p));
                let concluded = match conclusion(delivery, true, false, false) {
                    Conclude(status) => MoveTo(status),
                    AwaitReport => MoveTo(AwaitingEndOfServiceReport),
                    other => panic!("a withdrawal never gives {other:?}"),
                };
                assert_eq!(decided, Ok(concluded), "{standing:?}");
            }
        }
    }

    #[test]
    fn a_report_is_required_once_someone_was_seen_in_delivery() {
        assert!(!NotDeliveringYet.requires_report());
        assert!(!MissingFirstSubstantiveAppointment.requires_report());
        assert!(InProgress.requires_report());
        assert!(DeliveryState::Completed.requires_report());
    }

    /// Every combination of plan, sessions recorded and contact, written out.
    #[test]
    fn delivery_state_follows_plan_then_contact_then_sessions() {
        #[rustfmt::skip]
        let table = [
            // plan approved, planned, recorded, someone seen => state
            (false, 0, 0, false, NotDeliveringYet),
            (false, 2, 0, false, NotDeliveringYet),
            (false, 2, 2, true, NotDeliveringYet),
            (true, 2, 0, false, MissingFirstSubstantiveAppointment),
            // Missed sessions are recorded too, but nobody was seen yet…
            (true, 2, 1, false, MissingFirstSubstantiveAppointment),
            // …and every session recorded as missed is still not a delivered service.
            (true, 2, 2, false, MissingFirstSubstantiveAppointment),
            (true, 2, 0, true, InProgress),
            (true, 2, 1, true, InProgress),
            (true, 2, 2, true, DeliveryState::Completed),
            (true, 2, 3, true, DeliveryState::Completed),
        ];
        for (approved, planned, recorded, contact, want) in table {
            let sessions = SessionCounts { planned, recorded };
            assert_eq!(
                DeliveryState::of(approved, sessions, contact),
                want,
                "approved={approved} {planned}/{recorded} contact={contact}"
            );
        }
        // Every (approved, recorded ≥ planned, contact) combination is in the table.
        let mut seen = std::collections::HashSet::new();
        for (approved, planned, recorded, contact, _) in table {
            seen.insert((approved, recorded >= planned, contact));
        }
        assert!(seen.len() >= 2 * 2 * 2 - 1, "{seen:?}");
    }

    #[test]
    fn states_stored_by_the_earlier_rule_are_read_by_the_fixed_one() {
        assert_eq!(
            DeliveryState::Completed.as_recorded(false),
            MissingFirstSubstantiveAppointment
        );
        assert_eq!(
            DeliveryState::Completed.as_recorded(true),
            DeliveryState::Completed
        );
        assert_eq!(InProgress.as_recorded(true), InProgress);
        assert_eq!(NotDeliveringYet.as_recorded(false), NotDeliveringYet);
    }

    fn progress() -> Progress {
        Progress {
            assigned: false,
            assessment: AssessmentState::NotBooked,
            plan: PlanState::None,
            sessions: SessionCounts::default(),
            initial_contact: false,
            withdrawn_at_state: None,
            report_submitted: false,
            concluded: None,
        }
    }

    /// The reproduction: assessment attended, a two-session plan, both sessions missed. The
    /// status became `AWAITING_END_OF_SERVICE_REPORT` and the report concluded it `COMPLETED`.
    /// Nobody seen in delivery needs no report; a withdrawal cancels it.
    #[test]
    fn sessions_all_missed_are_not_a_completed_service() {
        let mut p = progress();
        p.assigned = true;
        p.assessment = AssessmentState::Attended;
        p.plan = PlanState::Approved;
        p.sessions = SessionCounts {
            planned: 2,
            recorded: 2,
        };
        assert_eq!(status(&p), InDelivery);
        assert!(!p.delivery_state().requires_report());
        let report = Permit::grant(ProviderUser, SubmitEndOfServiceReport);
        assert_eq!(
            report.and_then(|r| decide(p.standing(), &r)),
            Err(Refusal::Invalid {
                status: InDelivery,
                action: SubmitEndOfServiceReport
            })
        );
        p.withdrawn_at_state = Some(p.delivery_state());
        assert_eq!(status(&p), Cancelled);
        // A withdrawal stored by the earlier rule (as `COMPLETED`) cancels just the same.
        p.withdrawn_at_state = Some(DeliveryState::Completed.as_recorded(p.initial_contact));
        assert_eq!(status(&p), Cancelled);
    }

    #[test]
    fn status_walks_the_journey() {
        let mut p = progress();
        assert_eq!(status(&p), Sent);
        p.assigned = true;
        assert_eq!(status(&p), Assigned);
        p.assessment = AssessmentState::Booked;
        assert_eq!(status(&p), AssessmentBooked);
        p.assessment = AssessmentState::NotBooked;
        assert_eq!(
            status(&p),
            Assigned,
            "a missed assessment needs a new booking"
        );
        p.assessment = AssessmentState::Attended;
        assert_eq!(status(&p), AssessmentCompleted);
        p.plan = PlanState::Submitted;
        assert_eq!(status(&p), ActionPlanSubmitted);
        p.plan = PlanState::Approved;
        p.sessions = SessionCounts {
            planned: 2,
            recorded: 0,
        };
        assert_eq!(status(&p), InDelivery);
        p.sessions.recorded = 1;
        p.initial_contact = true;
        assert_eq!(status(&p), InDelivery);
        p.sessions.recorded = 2;
        assert_eq!(status(&p), AwaitingEndOfServiceReport);
        p.report_submitted = true;
        assert_eq!(status(&p), ReferralStatus::Completed);
    }

    #[test]
    fn withdrawal_cancels_before_contact_and_waits_for_the_report_after() {
        let mut p = progress();
        p.assessment = AssessmentState::Attended;
        p.plan = PlanState::Approved;
        p.sessions = SessionCounts {
            planned: 3,
            recorded: 0,
        };
        p.withdrawn_at_state = Some(p.delivery_state());
        assert_eq!(status(&p), Cancelled);
        p.withdrawn_at_state = None;
        p.initial_contact = true;
        p.sessions.recorded = 1;
        p.withdrawn_at_state = Some(p.delivery_state());
        assert_eq!(status(&p), AwaitingEndOfServiceReport);
        assert!(p.standing().withdrawn);
        // The remaining sessions recorded after the withdrawal change nothing.
        p.sessions.recorded = 3;
        assert_eq!(status(&p), AwaitingEndOfServiceReport);
        assert_eq!(p.standing().delivery, InProgress);
        p.report_submitted = true;
        assert_eq!(status(&p), PrematurelyEnded);
        // Concluded is final, whatever happens to the facts afterwards.
        p.concluded = Some(PrematurelyEnded);
        p.sessions.recorded = 3;
        assert_eq!(status(&p), PrematurelyEnded);
    }
}
