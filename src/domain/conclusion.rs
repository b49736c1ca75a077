//! Where delivery stands and how a referral concludes, as pure functions of the recorded facts.
//!
//! - [`DeliveryState`] says how far delivery got (no approved plan; plan approved but nobody
//!   seen; under way; every planned session recorded) and whether a report is then required.
//! - [`conclusion`] says, from the delivery state, the withdrawal and the report, whether the
//!   referral goes on, waits for its end-of-service report, or concludes (and how). It is
//!   idempotent: a concluded referral never concludes again.
//! - [`status`] derives the referral's status from all the facts, so every change computes the
//!   status the same way.

use super::referral::ReferralStatus;

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
    use super::Conclusion::*;
    use super::DeliveryState::*;
    use super::*;

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
            (Completed, false, false, false, AwaitReport),
            (Completed, false, true, false, Conclude(Done)),
            (Completed, true, false, false, AwaitReport),
            (Completed, true, true, false, Conclude(Done)),
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

    #[test]
    fn delivery_state_codes_round_trip() {
        for state in DeliveryState::ALL {
            assert_eq!(DeliveryState::from_code(state.code()), Some(state));
        }
    }

    #[test]
    fn a_report_is_required_once_someone_was_seen_in_delivery() {
        assert!(!NotDeliveringYet.requires_report());
        assert!(!MissingFirstSubstantiveAppointment.requires_report());
        assert!(InProgress.requires_report());
        assert!(Completed.requires_report());
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
            (true, 2, 2, true, Completed),
            (true, 2, 3, true, Completed),
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
            Completed.as_recorded(false),
            MissingFirstSubstantiveAppointment
        );
        assert_eq!(Completed.as_recorded(true), Completed);
        assert_eq!(InProgress.as_recorded(true), InProgress);
        assert_eq!(NotDeliveringYet.as_recorded(false), NotDeliveringYet);
    }

    /// The reproduction: assessment attended, a two-session plan, both sessions missed. The
    /// status became `AWAITING_END_OF_SERVICE_REPORT` and the report concluded it `COMPLETED`.
    /// Nobody seen in delivery needs no report; a withdrawal cancels it.
    #[test]
    fn sessions_all_missed_are_not_a_completed_service() {
        use ReferralStatus::*;
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
        p.withdrawn_at_state = Some(p.delivery_state());
        assert_eq!(status(&p), Cancelled);
        // A withdrawal stored by the earlier rule (as `COMPLETED`) cancels just the same.
        p.withdrawn_at_state = Some(DeliveryState::Completed.as_recorded(p.initial_contact));
        assert_eq!(status(&p), Cancelled);
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

    #[test]
    fn status_walks_the_journey() {
        use ReferralStatus::*;
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
        assert_eq!(status(&p), Completed);
    }

    #[test]
    fn withdrawal_cancels_before_contact_and_waits_for_the_report_after() {
        use ReferralStatus::*;
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
        // The remaining sessions recorded after the withdrawal change nothing.
        p.sessions.recorded = 3;
        assert_eq!(status(&p), AwaitingEndOfServiceReport);
        p.report_submitted = true;
        assert_eq!(status(&p), PrematurelyEnded);
        // Concluded is final, whatever happens to the facts afterwards.
        p.concluded = Some(PrematurelyEnded);
        p.sessions.recorded = 3;
        assert_eq!(status(&p), PrematurelyEnded);
    }
}
