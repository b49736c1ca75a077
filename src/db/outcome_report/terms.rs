//! What each fact adds to each measure, as SQL over the fact `f` (and the withdrawal reason's
//! grouping `w`): one exhaustive `match`, so a new count or timeliness measure does not build
//! until its SQL is written here.

use crate::domain::journey::ReferralStatus;
use crate::domain::outcome_report::measures::{Count, Timeliness};

/// `'A', 'B'` for a list of statuses.
fn statuses(statuses: &[ReferralStatus]) -> String {
    statuses
        .iter()
        .map(|s| format!("'{}'", s.code()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The concluded statuses.
fn concluded() -> String {
    statuses(&[
        ReferralStatus::Completed,
        ReferralStatus::Cancelled,
        ReferralStatus::PrematurelyEnded,
    ])
}

/// Delivered: completed, or ended after delivery started.
fn delivered() -> String {
    format!(
        "f.status IN ({})",
        statuses(&[ReferralStatus::Completed, ReferralStatus::PrematurelyEnded])
    )
}

fn status_is(status: ReferralStatus) -> String {
    format!("CASE WHEN f.status = '{}' THEN 1 ELSE 0 END", status.code())
}

fn withdrawn(grouping: &str) -> String {
    format!("CASE WHEN w.\"grouping\" = '{grouping}' THEN 1 ELSE 0 END")
}

/// What one fact adds to `count`; `None` for a count that is the sum of others in the row
/// (`Count::sum_of`), filled after the statement. `today` is the placeholder of the report's
/// day (UK time).
pub fn count_term(count: Count, today: &str) -> Option<String> {
    Some(match count {
        Count::ReferralsSent => "1".to_owned(),
        Count::Open => format!("CASE WHEN f.status IN ({}) THEN 0 ELSE 1 END", concluded()),
        Count::Completed => status_is(ReferralStatus::Completed),
        Count::Cancelled => status_is(ReferralStatus::Cancelled),
        Count::PrematurelyEnded => status_is(ReferralStatus::PrematurelyEnded),
        Count::WithdrawnProblem => withdrawn("problem"),
        Count::WithdrawnUser => withdrawn("user"),
        Count::WithdrawnSentence => withdrawn("sentence"),
        Count::WithdrawnEarly => withdrawn("early"),
        Count::WithdrawnOther => withdrawn("other"),
        Count::AssessmentsAttended => "f.assessments_attended".to_owned(),
        Count::AssessmentsMissed => "f.assessments_missed".to_owned(),
        Count::SessionsPlanned => "f.sessions_planned".to_owned(),
        Count::SessionsAttended => "f.sessions_attended".to_owned(),
        Count::SessionsMissed => "f.sessions_missed".to_owned(),
        Count::AppointmentsAttended | Count::AppointmentsMissed => return None,
        // Per category rows hold that category's outcomes; referral rows the referral's.
        Count::OutcomesAchieved => "f.outcomes_achieved".to_owned(),
        Count::OutcomesPartiallyAchieved => "f.outcomes_partially_achieved".to_owned(),
        Count::OutcomesNotAchieved => "f.outcomes_not_achieved".to_owned(),
        // Timeliness as commissioners read it: delivered by the deadline, over the referrals
        // delivered or still open past it. A cancellation (nobody seen in delivery) is neither
        // on time nor late.
        Count::ConcludedByDeadline => format!(
            "CASE WHEN {} AND f.concluded_on <= f.completion_deadline THEN 1 ELSE 0 END",
            delivered()
        ),
        Count::DeadlineReached => format!(
            "CASE WHEN f.completion_deadline IS NOT NULL AND ({} \
             OR (f.status NOT IN ({}) AND f.completion_deadline < {today})) THEN 1 ELSE 0 END",
            delivered(),
            concluded()
        ),
    })
}

/// Whether a per-category row holds `count` for its category alone (its outcomes) rather than
/// repeating its referral's: a referral's such count is the sum over all its category rows.
pub fn held_per_category(count: Count) -> bool {
    match count {
        Count::OutcomesAchieved | Count::OutcomesPartiallyAchieved | Count::OutcomesNotAchieved => {
            true
        }
        Count::ReferralsSent
        | Count::Open
        | Count::Completed
        | Count::Cancelled
        | Count::PrematurelyEnded
        | Count::WithdrawnProblem
        | Count::WithdrawnUser
        | Count::WithdrawnSentence
        | Count::WithdrawnEarly
        | Count::WithdrawnOther
        | Count::AssessmentsAttended
        | Count::AssessmentsMissed
        | Count::SessionsPlanned
        | Count::SessionsAttended
        | Count::SessionsMissed
        | Count::AppointmentsAttended
        | Count::AppointmentsMissed
        | Count::ConcludedByDeadline
        | Count::DeadlineReached => false,
    }
}

/// The fact column holding a timeliness measure's value.
pub fn timeliness_column(measure: Timeliness) -> &'static str {
    match measure {
        Timeliness::DaysToAssignment => "f.days_to_assignment",
        Timeliness::DaysToAssessment => "f.days_to_assessment",
        Timeliness::DaysToFirstSession => "f.days_to_first_session",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_count_is_read_from_the_facts_or_added_up_from_others() {
        for count in Count::ALL {
            assert_eq!(
                count_term(count, "?").is_none(),
                count.sum_of().is_some(),
                "{count:?}"
            );
        }
    }
}
