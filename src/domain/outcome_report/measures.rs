//! The measures of a group of referrals: counts added up from their facts, rates between
//! counts, and timeliness percentiles.
//!
//! - Referrals sent; open (not concluded); completed, cancelled and prematurely ended (the
//!   concluded statuses); withdrawals by the grouping of the withdrawal reason.
//! - Assessments and sessions attended and missed (see `facts`); appointments attended and
//!   missed are assessments plus sessions; sessions planned add up the latest approved plans.
//! - Outcomes achieved, partially achieved and not achieved, one per desired outcome reported.
//!   Grouped by service category or complexity, a row counts the outcomes of that category.
//! - Concluded by the deadline: delivered by the completion deadline, that is completed or
//!   ended early after delivery started, on or before it; its base is the referrals completed
//!   or ended early, and those still open past their deadline. A cancellation (nobody seen in
//!   delivery) is neither on time nor late.
//! - Rates: attendance = appointments attended ÷ (attended + missed); attrition = (cancelled +
//!   prematurely ended) ÷ concluded; achievement = outcomes achieved ÷ outcomes reported;
//!   concluded by the deadline ÷ its base. A rate is `None` when its base is zero or any count
//!   it is built on is suppressed.
//! - Timeliness: the median and 90th percentile of days to assignment, to the attended
//!   assessment and to the first attended session, over the referrals that have got there, by
//!   nearest rank (the smallest value at or above which that share of values lies).

/// A count the report publishes (each subject to suppression).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Count {
    ReferralsSent,
    Open,
    Completed,
    Cancelled,
    PrematurelyEnded,
    WithdrawnProblem,
    WithdrawnUser,
    WithdrawnSentence,
    WithdrawnEarly,
    WithdrawnOther,
    AssessmentsAttended,
    AssessmentsMissed,
    SessionsPlanned,
    SessionsAttended,
    SessionsMissed,
    AppointmentsAttended,
    AppointmentsMissed,
    OutcomesAchieved,
    OutcomesPartiallyAchieved,
    OutcomesNotAchieved,
    ConcludedByDeadline,
    DeadlineReached,
}

/// How many counts a row has.
pub const COUNTS: usize = 22;

impl Count {
    /// Every count, in the order rows hold them.
    pub const ALL: [Count; COUNTS] = [
        Count::ReferralsSent,
        Count::Open,
        Count::Completed,
        Count::Cancelled,
        Count::PrematurelyEnded,
        Count::WithdrawnProblem,
        Count::WithdrawnUser,
        Count::WithdrawnSentence,
        Count::WithdrawnEarly,
        Count::WithdrawnOther,
        Count::AssessmentsAttended,
        Count::AssessmentsMissed,
        Count::SessionsPlanned,
        Count::SessionsAttended,
        Count::SessionsMissed,
        Count::AppointmentsAttended,
        Count::AppointmentsMissed,
        Count::OutcomesAchieved,
        Count::OutcomesPartiallyAchieved,
        Count::OutcomesNotAchieved,
        Count::ConcludedByDeadline,
        Count::DeadlineReached,
    ];

    /// Where a row holds this count.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The withdrawal count of a reason grouping (`problem`, `user`, `sentence`, `early`,
    /// `other`), as the withdrawal reasons are grouped.
    pub fn withdrawn(grouping: &str) -> Option<Count> {
        Some(match grouping {
            "problem" => Count::WithdrawnProblem,
            "user" => Count::WithdrawnUser,
            "sentence" => Count::WithdrawnSentence,
            "early" => Count::WithdrawnEarly,
            "other" => Count::WithdrawnOther,
            _ => return None,
        })
    }
}

/// The reason groupings, in the order their counts are held.
pub const WITHDRAWAL_GROUPINGS: [&str; 5] = ["problem", "user", "sentence", "early", "other"];

/// Counts that are sums of others in the same row: `(sum, parts)`. Publishing the sum and all
/// parts but one would give that one away, so suppression treats them as one equation.
pub const ROW_SUMS: [(Count, &[Count]); 3] = [
    (
        Count::ReferralsSent,
        &[
            Count::Open,
            Count::Completed,
            Count::Cancelled,
            Count::PrematurelyEnded,
        ],
    ),
    (
        Count::AppointmentsAttended,
        &[Count::AssessmentsAttended, Count::SessionsAttended],
    ),
    (
        Count::AppointmentsMissed,
        &[Count::AssessmentsMissed, Count::SessionsMissed],
    ),
];

/// The counts of one group, as added up.
pub type Counts = [u64; COUNTS];

/// Fills the counts that are sums of others.
pub fn complete(counts: &mut Counts) {
    counts[Count::AppointmentsAttended.index()] =
        counts[Count::AssessmentsAttended.index()] + counts[Count::SessionsAttended.index()];
    counts[Count::AppointmentsMissed.index()] =
        counts[Count::AssessmentsMissed.index()] + counts[Count::SessionsMissed.index()];
}

/// The timeliness measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timeliness {
    DaysToAssignment,
    DaysToAssessment,
    DaysToFirstSession,
}

impl Timeliness {
    pub const ALL: [Timeliness; 3] = [
        Timeliness::DaysToAssignment,
        Timeliness::DaysToAssessment,
        Timeliness::DaysToFirstSession,
    ];

    /// Where a row holds this measure.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// The median and 90th percentile of one timeliness measure over a group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Percentiles {
    /// How many referrals of the group have a value.
    pub values: u64,
    pub median: Option<i64>,
    pub p90: Option<i64>,
}

impl Percentiles {
    /// The percentiles of a list of values, in any order (reordered here), by nearest rank: the
    /// value at rank ⌈p·n⌉ of the sorted values (as PostgreSQL's `percentile_disc`), found by
    /// selection rather than a full sort.
    pub fn of_values(values: &mut [i32]) -> Percentiles {
        let total = values.len() as u64;
        let mut at_rank = |numerator: u64, denominator: u64| {
            if total == 0 {
                return None;
            }
            let rank = (numerator * total).div_ceil(denominator).max(1);
            let index = usize::try_from(rank - 1).ok()?;
            let (_, value, _) = values.select_nth_unstable(index);
            Some(i64::from(*value))
        };
        Percentiles {
            values: total,
            median: at_rank(1, 2),
            p90: at_rank(9, 10),
        }
    }
}

/// What the database adds up for one group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Figures {
    pub counts: Counts,
    pub timeliness: [Percentiles; 3],
}

/// A rate: `None` without a base or when a count it is built on is suppressed.
pub fn rate(
    counts: &Counts,
    hidden: &[bool; COUNTS],
    numerator: &[Count],
    base: &[Count],
) -> Option<f64> {
    if numerator.iter().chain(base).any(|c| hidden[c.index()]) {
        return None;
    }
    let sum = |cs: &[Count]| cs.iter().map(|c| counts[c.index()]).sum::<u64>();
    let base = sum(base);
    if base == 0 {
        return None;
    }
    // Four decimal places: more would only describe the counts.
    let value = sum(numerator) as f64 / base as f64;
    Some((value * 10_000.0).round() / 10_000.0)
}

/// The published rates of a row.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Rates {
    pub attendance: Option<f64>,
    pub attrition: Option<f64>,
    pub achievement: Option<f64>,
    pub concluded_by_deadline: Option<f64>,
}

impl Rates {
    /// The rates of a row whose `hidden` counts are suppressed.
    pub fn of(counts: &Counts, hidden: &[bool; COUNTS]) -> Rates {
        use Count::*;
        Rates {
            attendance: rate(
                counts,
                hidden,
                &[AppointmentsAttended],
                &[AppointmentsAttended, AppointmentsMissed],
            ),
            attrition: rate(
                counts,
                hidden,
                &[Cancelled, PrematurelyEnded],
                &[Completed, Cancelled, PrematurelyEnded],
            ),
            achievement: rate(
                counts,
                hidden,
                &[OutcomesAchieved],
                &[
                    OutcomesAchieved,
                    OutcomesPartiallyAchieved,
                    OutcomesNotAchieved,
                ],
            ),
            concluded_by_deadline: rate(counts, hidden, &[ConcludedByDeadline], &[DeadlineReached]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_held_in_their_declared_order() {
        for (i, count) in Count::ALL.iter().enumerate() {
            assert_eq!(count.index(), i);
        }
        for grouping in WITHDRAWAL_GROUPINGS {
            assert!(Count::withdrawn(grouping).is_some());
        }
    }

    #[test]
    fn nearest_rank_percentiles_match_percentile_disc() {
        // 1, 2, 2, 3, 10: median rank 3 → 2; 90th rank 5 → 10.
        let p = Percentiles::of_values(&mut [10, 2, 1, 2, 3]);
        assert_eq!((p.values, p.median, p.p90), (5, Some(2), Some(10)));
        // Ten values 1..=10: median rank 5 → 5, 90th rank 9 → 9.
        let mut tens: Vec<i32> = (1..=10).rev().collect();
        let p = Percentiles::of_values(&mut tens);
        assert_eq!((p.median, p.p90), (Some(5), Some(9)));
        // One value is every percentile; none has none.
        assert_eq!(Percentiles::of_values(&mut [7]).p90, Some(7));
        assert_eq!(Percentiles::of_values(&mut []).median, None);
    }

    #[test]
    fn percentiles_by_selection_equal_those_of_the_sorted_values() {
        let mut state = 7_u64;
        for length in [1_usize, 2, 3, 9, 10, 11, 100, 1_001] {
            let mut values: Vec<i32> = (0..length)
                .map(|_| {
                    state = state
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1);
                    i32::try_from(state >> 58).unwrap_or(0)
                })
                .collect();
            let mut sorted = values.clone();
            sorted.sort_unstable();
            let at = |numerator: usize, denominator: usize| {
                i64::from(sorted[(numerator * length).div_ceil(denominator) - 1])
            };
            let p = Percentiles::of_values(&mut values);
            assert_eq!(
                (p.values, p.median, p.p90),
                (length as u64, Some(at(1, 2)), Some(at(9, 10))),
                "{length} values"
            );
        }
    }

    #[test]
    fn rates_need_a_base_and_published_counts() {
        let mut counts = [0; COUNTS];
        counts[Count::AssessmentsAttended.index()] = 6;
        counts[Count::SessionsAttended.index()] = 12;
        counts[Count::SessionsMissed.index()] = 6;
        complete(&mut counts);
        assert_eq!(counts[Count::AppointmentsAttended.index()], 18);
        let none = [false; COUNTS];
        let rates = Rates::of(&counts, &none);
        assert_eq!(rates.attendance, Some(0.75));
        assert_eq!(rates.attrition, None);
        let mut hidden = none;
        hidden[Count::AppointmentsMissed.index()] = true;
        assert_eq!(Rates::of(&counts, &hidden).attendance, None);
    }
}
