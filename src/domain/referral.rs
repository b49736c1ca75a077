//! The referral journey: statuses, who may do what from which status, and the events recorded.
//!
//! [`decide`] is the one place the rules live; the table test below checks every
//! (status, action, party) combination.

use std::fmt;

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
}

impl fmt::Display for ReferralStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Who acts on a referral.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Party {
    ProbationPractitioner,
    ProviderUser,
    ReadAll,
    Commissioner,
}

impl Party {
    pub const ALL: [Party; 4] = [
        Party::ProbationPractitioner,
        Party::ProviderUser,
        Party::ReadAll,
        Party::Commissioner,
    ];
}

/// A change to a referral.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
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
}

impl Action {
    pub const ALL: [Action; 12] = [
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
    ];

    /// Which party may take this action at all, whatever the referral.
    pub fn allowed_to(self, party: Party) -> bool {
        match self {
            Action::UpdateDraft | Action::Send | Action::Withdraw | Action::ApproveActionPlan => {
                party == Party::ProbationPractitioner
            }
            Action::Assign
            | Action::ScheduleAssessment
            | Action::RecordAssessmentFeedback
            | Action::SubmitActionPlan
            | Action::ScheduleSession
            | Action::RecordSessionFeedback
            | Action::SubmitEndOfServiceReport => party == Party::ProviderUser,
            Action::AddCaseNote => {
                matches!(party, Party::ProbationPractitioner | Party::ProviderUser)
            }
        }
    }
}

/// What an allowed action does to the status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Apply the action; the referral moves to (or stays in) this status.
    MoveTo(ReferralStatus),
    /// Apply the action; the new status follows from the recorded facts
    /// (see [`crate::domain::conclusion::status`]).
    Proceed,
    /// Already done (sending a sent referral, withdrawing a concluded one): change nothing and
    /// record nothing.
    AlreadyDone,
}

/// Why an action is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// This party may never take this action.
    #[error("a {party:?} may not {action:?} a referral")]
    Forbidden { party: Party, action: Action },
    /// Not from this status.
    #[error("cannot {action:?} a referral that is {status}")]
    Invalid {
        status: ReferralStatus,
        action: Action,
    },
}

/// The rules of the journey: whether `party` may take `action` on a referral in `status`, and
/// what happens to the status.
pub fn decide(
    status: ReferralStatus,
    action: Action,
    party: Party,
) -> Result<Decision, TransitionError> {
    use Decision::{AlreadyDone, MoveTo, Proceed};
    use ReferralStatus::*;
    if !action.allowed_to(party) {
        return Err(TransitionError::Forbidden { party, action });
    }
    let decision = match (action, status) {
        (Action::UpdateDraft, Draft) => Some(MoveTo(Draft)),
        (Action::Send, Draft) => Some(MoveTo(Sent)),
        (Action::Send, _) => Some(AlreadyDone),
        (Action::Assign, Sent) => Some(MoveTo(Assigned)),
        (Action::Assign, s) if s != Draft && !s.is_concluded() => Some(MoveTo(s)),
        (Action::Withdraw, s) if s.is_before_delivery() => Some(MoveTo(Cancelled)),
        (Action::Withdraw, InDelivery | AwaitingEndOfServiceReport) => Some(Proceed),
        (Action::Withdraw, s) if s.is_concluded() => Some(AlreadyDone),
        (Action::AddCaseNote, s) if s != Draft => Some(MoveTo(s)),
        (Action::ScheduleAssessment, Sent | Assigned | AssessmentBooked) => Some(Proceed),
        (Action::RecordAssessmentFeedback, AssessmentBooked) => Some(Proceed),
        (
            Action::SubmitActionPlan,
            AssessmentCompleted | ActionPlanSubmitted | InDelivery | AwaitingEndOfServiceReport,
        ) => Some(Proceed),
        (
            Action::ApproveActionPlan,
            ActionPlanSubmitted | InDelivery | AwaitingEndOfServiceReport,
        ) => Some(Proceed),
        (
            Action::ScheduleSession | Action::RecordSessionFeedback,
            InDelivery | AwaitingEndOfServiceReport,
        ) => Some(Proceed),
        (Action::SubmitEndOfServiceReport, AwaitingEndOfServiceReport) => Some(Proceed),
        (Action::SubmitEndOfServiceReport, Completed | PrematurelyEnded) => Some(AlreadyDone),
        _ => None,
    };
    decision.ok_or(TransitionError::Invalid { status, action })
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
}

impl EventKind {
    pub const ALL: [EventKind; 12] = [
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
        }
    }

    /// Parses a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

#[cfg(test)]
mod search_tests {
    use super::Search;

    #[test]
    fn search_text_is_a_reference_or_a_name() {
        assert_eq!(
            Search::parse(" hd2123ac "),
            Some(Search::Reference("HD2123AC".into()))
        );
        assert_eq!(
            Search::parse("Smith"),
            Some(Search::Name(vec!["smith".into()]))
        );
        assert_eq!(
            Search::parse("Alex  Van Dyke"),
            Some(Search::Name(vec![
                "alex".into(),
                "van".into(),
                "dyke".into()
            ]))
        );
        assert_eq!(Search::parse("   "), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;
    use Decision::*;
    use Party::*;
    use ReferralStatus::*;

    /// The expected journey, written out: every allowed (action, party, status) with its result.
    /// Anything not listed is refused: `Forbidden` when the party may never act so, otherwise
    /// `Invalid`.
    fn expected(action: Action, party: Party, status: ReferralStatus) -> Option<Decision> {
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
        const CONCLUDED: [ReferralStatus; 3] = [Completed, Cancelled, PrematurelyEnded];
        const DELIVERING: [ReferralStatus; 2] = [InDelivery, AwaitingEndOfServiceReport];
        match (action, party) {
            (UpdateDraft, ProbationPractitioner) => (status == Draft).then_some(MoveTo(Draft)),
            (Send, ProbationPractitioner) => Some(if status == Draft {
                MoveTo(Sent)
            } else {
                AlreadyDone
            }),
            (Assign, ProviderUser) if status == Sent => Some(MoveTo(Assigned)),
            (Assign, ProviderUser) => IN_PROGRESS.contains(&status).then_some(MoveTo(status)),
            (Withdraw, ProbationPractitioner) if BEFORE_DELIVERY.contains(&status) => {
                Some(MoveTo(Cancelled))
            }
            (Withdraw, ProbationPractitioner) if DELIVERING.contains(&status) => Some(Proceed),
            (Withdraw, ProbationPractitioner) => CONCLUDED.contains(&status).then_some(AlreadyDone),
            (AddCaseNote, ProbationPractitioner | ProviderUser) => {
                (status != Draft).then_some(MoveTo(status))
            }
            (ScheduleAssessment, ProviderUser) => [Sent, Assigned, AssessmentBooked]
                .contains(&status)
                .then_some(Proceed),
            (RecordAssessmentFeedback, ProviderUser) => {
                (status == AssessmentBooked).then_some(Proceed)
            }
            (SubmitActionPlan, ProviderUser) => [AssessmentCompleted, ActionPlanSubmitted]
                .iter()
                .chain(&DELIVERING)
                .any(|s| *s == status)
                .then_some(Proceed),
            (ApproveActionPlan, ProbationPractitioner) => {
                (status == ActionPlanSubmitted || DELIVERING.contains(&status)).then_some(Proceed)
            }
            (ScheduleSession | RecordSessionFeedback, ProviderUser) => {
                DELIVERING.contains(&status).then_some(Proceed)
            }
            (SubmitEndOfServiceReport, ProviderUser) if status == AwaitingEndOfServiceReport => {
                Some(Proceed)
            }
            (SubmitEndOfServiceReport, ProviderUser) => [Completed, PrematurelyEnded]
                .contains(&status)
                .then_some(AlreadyDone),
            _ => None,
        }
    }

    fn party_may(action: Action, party: Party) -> bool {
        matches!(
            (action, party),
            (
                UpdateDraft | Send | Withdraw | ApproveActionPlan,
                ProbationPractitioner
            ) | (
                Assign
                    | ScheduleAssessment
                    | RecordAssessmentFeedback
                    | SubmitActionPlan
                    | ScheduleSession
                    | RecordSessionFeedback
                    | SubmitEndOfServiceReport,
                ProviderUser
            ) | (AddCaseNote, ProbationPractitioner | ProviderUser)
        )
    }

    #[test]
    fn every_status_action_and_party_follows_the_table() {
        let mut checked = 0;
        for status in ReferralStatus::ALL {
            for action in Action::ALL {
                for party in Party::ALL {
                    let got = decide(status, action, party);
                    let want = match expected(action, party, status) {
                        Some(decision) => Ok(decision),
                        None if !party_may(action, party) => {
                            Err(TransitionError::Forbidden { party, action })
                        }
                        None => Err(TransitionError::Invalid { status, action }),
                    };
                    assert_eq!(got, want, "{status} {action:?} by {party:?}");
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 11 * 12 * 4);
    }

    #[test]
    fn codes_round_trip() {
        for status in ReferralStatus::ALL {
            assert_eq!(ReferralStatus::from_code(status.code()), Some(status));
        }
        for kind in EventKind::ALL {
            assert_eq!(EventKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(ReferralStatus::from_code("LOST"), None);
    }
}

pub use records::*;

/// Referral records as stored, and what a caller may reach.
mod records {
    use chrono::{DateTime, Utc};
    use uuid::Uuid;

    use super::{EventKind, Party, ReferralStatus};
    use crate::domain::actor::{Scope, UserId};
    use crate::domain::catalogue::Intervention;
    use crate::domain::conclusion::DeliveryState;
    use crate::domain::draft::DraftDetails;

    /// Why and when a practitioner withdrew a referral.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct Withdrawal {
        pub reason_code: String,
        pub comments: Option<String>,
        pub at: DateTime<Utc>,
        pub by: UserId,
        /// How far delivery had got when it was withdrawn: what it concludes from, whatever is
        /// recorded afterwards.
        pub delivery_state: DeliveryState,
    }

    /// A referral, draft or sent.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct Referral {
        pub id: Uuid,
        pub reference: Option<String>,
        pub status: ReferralStatus,
        pub version: i32,
        pub intervention: Intervention,
        pub crn: String,
        pub created_by: UserId,
        pub created_at: DateTime<Utc>,
        /// Newest first on dashboards: the sending time, or the creation time of a draft.
        pub listed_at: DateTime<Utc>,
        pub sent_at: Option<DateTime<Utc>>,
        pub sent_by: Option<UserId>,
        /// The responsible practitioner: the sender.
        pub responsible_pp_id: Option<UserId>,
        pub assigned_to_id: Option<UserId>,
        pub assigned_at: Option<DateTime<Utc>>,
        pub concluded_at: Option<DateTime<Utc>>,
        /// When the person first attended a delivery session (post initial contact).
        pub initial_contact_at: Option<DateTime<Utc>>,
        pub withdrawal: Option<Withdrawal>,
        /// The details; `categories` is filled only where a use case loaded them.
        pub details: DraftDetails,
    }

    /// One recorded change.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct ReferralEvent {
        pub id: Uuid,
        pub referral_id: Uuid,
        pub at: DateTime<Utc>,
        pub actor_id: UserId,
        pub kind: EventKind,
        pub from_status: Option<ReferralStatus>,
        pub to_status: ReferralStatus,
        /// Ids only (e.g. the assignee's or the case note's), never personal data.
        pub detail: Option<String>,
    }

    /// A note on a referral.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct CaseNote {
        pub id: Uuid,
        pub referral_id: Uuid,
        pub author_id: UserId,
        pub subject: String,
        pub body: String,
        pub sent_at: DateTime<Utc>,
    }

    /// Which referrals a caller may reach; every referral query filters by it in SQL.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum ReferralAccess {
        /// A practitioner: referrals they created (drafts included) or are responsible for.
        Own(UserId),
        /// A provider user: sent referrals of these contracts.
        Contracts(Vec<Uuid>),
        /// A machine client: every sent referral.
        AllSent,
    }

    /// The acting party and its access, or `None` for callers who may not reach referrals at
    /// all (commissioners, tokens without one of our roles).
    pub fn referral_access(user_id: &UserId, scope: &Scope) -> Option<(Party, ReferralAccess)> {
        match scope {
            Scope::Practitioner => Some((
                Party::ProbationPractitioner,
                ReferralAccess::Own(user_id.clone()),
            )),
            Scope::Provider(provider) => Some((
                Party::ProviderUser,
                ReferralAccess::Contracts(provider.contract_ids()),
            )),
            Scope::ReadAll => Some((Party::ReadAll, ReferralAccess::AllSent)),
            Scope::Commissioner { .. } | Scope::NoRole => None,
        }
    }

    /// A dashboard search term: a reference number, or a name.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum Search {
        Reference(String),
        /// Lower-cased words; one word is a last name, several match any split into first
        /// name(s) and last name(s).
        Name(Vec<String>),
    }

    impl Search {
        /// Reads a search box: text shaped like a reference is a reference, anything else a
        /// name ("first last" or "last"). Blank text searches nothing.
        pub fn parse(text: &str) -> Option<Search> {
            let text = text.trim();
            let upper = text.to_ascii_uppercase();
            if crate::domain::reference_number::looks_like_reference(&upper) {
                return Some(Search::Reference(upper));
            }
            let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
            (!words.is_empty()).then_some(Search::Name(words))
        }
    }

    /// The dashboard filters.
    #[derive(Clone, Debug, Default, PartialEq, Eq)]
    pub struct ReferralQuery {
        /// Only these statuses; drafts appear only when asked for here.
        pub statuses: Option<Vec<ReferralStatus>>,
        /// `true`: not concluded; `false`: concluded.
        pub open: Option<bool>,
        /// `true`: nobody assigned; `false`: someone assigned.
        pub unassigned: Option<bool>,
        /// Only referrals assigned to this user.
        pub assigned_to: Option<UserId>,
        pub search: Option<Search>,
        pub contract_reference: Option<String>,
        pub service_category_id: Option<Uuid>,
        /// Sent at or after.
        pub sent_from: Option<DateTime<Utc>>,
        /// Sent before.
        pub sent_before: Option<DateTime<Utc>>,
    }

    /// A position in a dashboard: the last row of the previous page.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct PageCursor {
        pub listed_at: DateTime<Utc>,
        pub id: Uuid,
    }
}
