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

use std::collections::BTreeMap;

/// Declares an enum whose values are listed once: `ALL` (in declaration order, which is where
/// a row holds each value) and `index` follow from the declaration, so a value cannot be added
/// without being listed.
macro_rules! listed {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident,)+ }) => {
        $(#[$meta])*
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: [$name; [$(stringify!($variant)),+].len()] = [$($name::$variant),+];

            /// Where a row holds this value.
            pub fn index(self) -> usize {
                self as usize
            }
        }
    };
}

listed! {
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
}

/// How many counts a row has.
pub const COUNTS: usize = Count::ALL.len();

/// `Σ left = Σ right` or `Σ left ≤ Σ right`, true of the counts of any group of referrals.
/// Readers of a report can use it to work out a withheld count, so suppression takes it in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Relation {
    pub left: &'static [Count],
    pub equal: bool,
    pub right: &'static [Count],
}

const fn equals(left: &'static [Count], right: &'static [Count]) -> Relation {
    Relation {
        left,
        equal: true,
        right,
    }
}

const fn at_most(left: &'static [Count], right: &'static [Count]) -> Relation {
    Relation {
        left,
        equal: false,
        right,
    }
}

impl Count {
    /// The column header of the CSV download.
    pub fn title(self) -> &'static str {
        match self {
            Count::ReferralsSent => "Referrals sent",
            Count::Open => "Open",
            Count::Completed => "Completed",
            Count::Cancelled => "Cancelled",
            Count::PrematurelyEnded => "Ended early",
            Count::WithdrawnProblem => "Withdrawn: problem with the referral",
            Count::WithdrawnUser => "Withdrawn: the person's circumstances",
            Count::WithdrawnSentence => "Withdrawn: sentence changed",
            Count::WithdrawnEarly => "Withdrawn: completed early",
            Count::WithdrawnOther => "Withdrawn: other",
            Count::AssessmentsAttended => "Assessments attended",
            Count::AssessmentsMissed => "Assessments missed",
            Count::SessionsPlanned => "Sessions planned",
            Count::SessionsAttended => "Sessions attended",
            Count::SessionsMissed => "Sessions missed",
            Count::AppointmentsAttended => "Appointments attended",
            Count::AppointmentsMissed => "Appointments missed",
            Count::OutcomesAchieved => "Outcomes achieved",
            Count::OutcomesPartiallyAchieved => "Outcomes partially achieved",
            Count::OutcomesNotAchieved => "Outcomes not achieved",
            Count::ConcludedByDeadline => "Concluded by deadline",
            Count::DeadlineReached => "Deadline reached",
        }
    }

    /// The counts this one adds up, for a count that is the sum of others in its row (filled
    /// by `complete`, never read from the facts).
    pub fn sum_of(self) -> Option<&'static [Count]> {
        use Count::*;
        match self {
            AppointmentsAttended => Some(&[AssessmentsAttended, SessionsAttended]),
            AppointmentsMissed => Some(&[AssessmentsMissed, SessionsMissed]),
            ReferralsSent
            | Open
            | Completed
            | Cancelled
            | PrematurelyEnded
            | WithdrawnProblem
            | WithdrawnUser
            | WithdrawnSentence
            | WithdrawnEarly
            | WithdrawnOther
            | AssessmentsAttended
            | AssessmentsMissed
            | SessionsPlanned
            | SessionsAttended
            | SessionsMissed
            | OutcomesAchieved
            | OutcomesPartiallyAchieved
            | OutcomesNotAchieved
            | ConcludedByDeadline
            | DeadlineReached => None,
        }
    }

    /// Whether the count describes referrals (each referral adds its own value to every row it
    /// is in), as against outcomes, which a category row holds for its own category only.
    pub fn per_referral(self) -> bool {
        use Count::*;
        match self {
            OutcomesAchieved | OutcomesPartiallyAchieved | OutcomesNotAchieved => false,
            ReferralsSent | Open | Completed | Cancelled | PrematurelyEnded | WithdrawnProblem
            | WithdrawnUser | WithdrawnSentence | WithdrawnEarly | WithdrawnOther
            | AssessmentsAttended | AssessmentsMissed | SessionsPlanned | SessionsAttended
            | SessionsMissed | AppointmentsAttended | AppointmentsMissed | ConcludedByDeadline
            | DeadlineReached => true,
        }
    }

    /// The relations within a row that have this count on their left side (each relation is
    /// listed under one count of its left side). A new count states here what a reader could
    /// derive it from; suppression protects it through them.
    pub fn relations(self) -> &'static [Relation] {
        use Count::*;
        const DELIVERED: &[Count] = &[Completed, PrematurelyEnded];
        const WITHDRAWALS: &[Count] = &[
            WithdrawnProblem,
            WithdrawnUser,
            WithdrawnSentence,
            WithdrawnEarly,
            WithdrawnOther,
        ];
        const OUTCOMES: &[Count] = &[
            OutcomesAchieved,
            OutcomesPartiallyAchieved,
            OutcomesNotAchieved,
        ];
        match self {
            // Every sent referral is open or concluded one way.
            ReferralsSent => {
                const {
                    &[equals(
                        &[ReferralsSent],
                        &[Open, Completed, Cancelled, PrematurelyEnded],
                    )]
                }
            }
            AppointmentsAttended => {
                const {
                    &[equals(
                        &[AppointmentsAttended],
                        &[AssessmentsAttended, SessionsAttended],
                    )]
                }
            }
            AppointmentsMissed => {
                const {
                    &[equals(
                        &[AppointmentsMissed],
                        &[AssessmentsMissed, SessionsMissed],
                    )]
                }
            }
            // Delivered by the deadline, within delivered, within the deadline's base, within
            // delivered and open.
            ConcludedByDeadline => const { &[at_most(&[ConcludedByDeadline], DELIVERED)] },
            Completed => {
                const {
                    &[
                        at_most(DELIVERED, &[DeadlineReached]),
                        // One attended assessment before any delivery.
                        at_most(DELIVERED, &[AssessmentsAttended]),
                        // A delivered referral's report gives a level for each of its desired outcomes.
                        at_most(DELIVERED, OUTCOMES),
                    ]
                }
            }
            DeadlineReached => {
                const {
                    &[at_most(
                        &[DeadlineReached],
                        &[Completed, PrematurelyEnded, Open],
                    )]
                }
            }
            // A referral is cancelled or ends early only when withdrawn.
            Cancelled => const { &[at_most(&[Cancelled, PrematurelyEnded], WITHDRAWALS)] },
            // Withdrawn referrals are among those sent.
            WithdrawnProblem => const { &[at_most(WITHDRAWALS, &[ReferralsSent])] },
            // One attended assessment at most per referral.
            AssessmentsAttended => const { &[at_most(&[AssessmentsAttended], &[ReferralsSent])] },
            // A session is attended once at most; plans only grow.
            SessionsAttended => const { &[at_most(&[SessionsAttended], &[SessionsPlanned])] },
            Open
            | PrematurelyEnded
            | WithdrawnUser
            | WithdrawnSentence
            | WithdrawnEarly
            | WithdrawnOther
            | AssessmentsMissed
            | SessionsPlanned
            | SessionsMissed
            | OutcomesAchieved
            | OutcomesPartiallyAchieved
            | OutcomesNotAchieved => &[],
        }
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

/// The counts of one group, as added up.
pub type Counts = [u64; COUNTS];

/// Fills the counts that are sums of others.
pub fn complete(counts: &mut Counts) {
    for count in Count::ALL {
        if let Some(parts) = count.sum_of() {
            counts[count.index()] = parts.iter().map(|part| counts[part.index()]).sum();
        }
    }
}

listed! {
    /// A rate between counts.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Rate {
        Attendance,
        Attrition,
        Achievement,
        ConcludedByDeadline,
    }
}

impl Rate {
    /// `(numerator, base)`: the rate is Σ numerator ÷ Σ base.
    pub fn parts(self) -> (&'static [Count], &'static [Count]) {
        use Count::*;
        match self {
            Rate::Attendance => (
                &[AppointmentsAttended],
                &[AppointmentsAttended, AppointmentsMissed],
            ),
            Rate::Attrition => (
                &[Cancelled, PrematurelyEnded],
                &[Completed, Cancelled, PrematurelyEnded],
            ),
            Rate::Achievement => (
                &[OutcomesAchieved],
                &[
                    OutcomesAchieved,
                    OutcomesPartiallyAchieved,
                    OutcomesNotAchieved,
                ],
            ),
            Rate::ConcludedByDeadline => (&[Count::ConcludedByDeadline], &[DeadlineReached]),
        }
    }

    /// The column header of the CSV download.
    pub fn title(self) -> &'static str {
        match self {
            Rate::Attendance => "Attendance rate",
            Rate::Attrition => "Attrition rate",
            Rate::Achievement => "Achievement rate",
            Rate::ConcludedByDeadline => "Concluded by deadline rate",
        }
    }
}

listed! {
    /// The timeliness measures.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Timeliness {
        DaysToAssignment,
        DaysToAssessment,
        DaysToFirstSession,
    }
}

impl Timeliness {
    /// What is measured, as the CSV headers name it after "Median" or "90th percentile".
    pub fn title(self) -> &'static str {
        match self {
            Timeliness::DaysToAssignment => "days to assignment",
            Timeliness::DaysToAssessment => "days to assessment",
            Timeliness::DaysToFirstSession => "days to first session",
        }
    }
}

/// A published measure: a column of the CSV download.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    Count(Count),
    Rate(Rate),
    Median(Timeliness),
    P90(Timeliness),
}

impl Measure {
    /// Every measure in the order the CSV download lists them; a test checks each count, rate
    /// and percentile is here once.
    pub const ALL: [Measure; COUNTS + Rate::ALL.len() + 2 * Timeliness::ALL.len()] = {
        use Count::*;
        [
            Measure::Count(ReferralsSent),
            Measure::Count(Open),
            Measure::Count(Completed),
            Measure::Count(Cancelled),
            Measure::Count(PrematurelyEnded),
            Measure::Count(WithdrawnProblem),
            Measure::Count(WithdrawnUser),
            Measure::Count(WithdrawnSentence),
            Measure::Count(WithdrawnEarly),
            Measure::Count(WithdrawnOther),
            Measure::Count(AssessmentsAttended),
            Measure::Count(AssessmentsMissed),
            Measure::Count(SessionsPlanned),
            Measure::Count(SessionsAttended),
            Measure::Count(SessionsMissed),
            Measure::Count(AppointmentsAttended),
            Measure::Count(AppointmentsMissed),
            Measure::Rate(Rate::Attendance),
            Measure::Rate(Rate::Attrition),
            Measure::Count(OutcomesAchieved),
            Measure::Count(OutcomesPartiallyAchieved),
            Measure::Count(OutcomesNotAchieved),
            Measure::Rate(Rate::Achievement),
            Measure::Median(Timeliness::DaysToAssignment),
            Measure::P90(Timeliness::DaysToAssignment),
            Measure::Median(Timeliness::DaysToAssessment),
            Measure::P90(Timeliness::DaysToAssessment),
            Measure::Median(Timeliness::DaysToFirstSession),
            Measure::P90(Timeliness::DaysToFirstSession),
            Measure::Count(ConcludedByDeadline),
            Measure::Count(DeadlineReached),
            Measure::Rate(Rate::ConcludedByDeadline),
        ]
    };

    /// The column header of the CSV download.
    pub fn title(self) -> String {
        match self {
            Measure::Count(count) => count.title().to_owned(),
            Measure::Rate(rate) => rate.title().to_owned(),
            Measure::Median(measure) => format!("Median {}", measure.title()),
            Measure::P90(measure) => format!("90th percentile {}", measure.title()),
        }
    }
}

/// The median and 90th percentile of one timeliness measure over a group ([`Distribution::percentiles`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Percentiles {
    /// How many referrals of the group have a value.
    pub values: u64,
    pub median: Option<i64>,
    pub p90: Option<i64>,
}

/// How many of a group's referrals have each value of one timeliness measure (days): what its
/// percentiles are taken from. Kept as counts by value, so a group of a million referrals holds
/// one entry per distinct number of days, and groups (or parts of one) add up by adding counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Distribution(BTreeMap<i32, u64>);

impl Distribution {
    /// Counts `times` more referrals with `value`.
    pub fn add(&mut self, value: i32, times: u64) {
        if times > 0 {
            *self.0.entry(value).or_insert(0) += times;
        }
    }

    /// Counts every referral of `other` here too.
    pub fn absorb(&mut self, other: &Distribution) {
        for (&value, &times) in &other.0 {
            self.add(value, times);
        }
    }

    /// How many referrals have a value.
    pub fn referrals(&self) -> u64 {
        self.0.values().sum()
    }

    /// The median and 90th percentile by nearest rank: the value at rank ⌈p·n⌉ of the values in
    /// order (as PostgreSQL's `percentile_disc`).
    pub fn percentiles(&self) -> Percentiles {
        let total = self.referrals();
        let at_rank = |numerator: u64, denominator: u64| {
            let rank = (numerator * total).div_ceil(denominator).max(1);
            let mut below = 0;
            self.0.iter().find_map(|(&value, &times)| {
                below += times;
                (below >= rank).then_some(i64::from(value))
            })
        };
        Percentiles {
            values: total,
            median: at_rank(1, 2),
            p90: at_rank(9, 10),
        }
    }
}

impl FromIterator<i32> for Distribution {
    fn from_iter<I: IntoIterator<Item = i32>>(values: I) -> Distribution {
        let mut distribution = Distribution::default();
        for value in values {
            distribution.add(value, 1);
        }
        distribution
    }
}

/// What the database adds up for one group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Figures {
    pub counts: Counts,
    pub timeliness: [Percentiles; 3],
}

/// A rate: `None` without a base or when a count it is built on is suppressed.
pub fn rate(counts: &Counts, hidden: &[bool; COUNTS], rate: Rate) -> Option<f64> {
    let (numerator, base) = rate.parts();
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

/// The published rates of a row, in `Rate` order.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Rates([Option<f64>; Rate::ALL.len()]);

impl Rates {
    /// The rates of a row whose `hidden` counts are suppressed.
    pub fn of(counts: &Counts, hidden: &[bool; COUNTS]) -> Rates {
        Rates(Rate::ALL.map(|r| rate(counts, hidden, r)))
    }

    /// One rate, `None` without a base or when built on a withheld count.
    pub fn get(&self, rate: Rate) -> Option<f64> {
        self.0[rate.index()]
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
    fn every_measure_is_published_once() {
        let mut expected: Vec<Measure> = Count::ALL.map(Measure::Count).to_vec();
        expected.extend(Rate::ALL.map(Measure::Rate));
        expected.extend(Timeliness::ALL.map(Measure::Median));
        expected.extend(Timeliness::ALL.map(Measure::P90));
        for measure in &expected {
            let listed = Measure::ALL.iter().filter(|m| *m == measure).count();
            assert_eq!(listed, 1, "{measure:?} is listed {listed} times");
        }
        let titles: std::collections::HashSet<String> =
            Measure::ALL.iter().map(|m| m.title()).collect();
        assert_eq!(titles.len(), Measure::ALL.len(), "titles are distinct");
    }

    #[test]
    fn every_relation_is_listed_under_a_count_of_its_left_side() {
        for count in Count::ALL {
            for relation in count.relations() {
                assert!(relation.left.contains(&count), "{count:?}: {relation:?}");
            }
            if let Some(parts) = count.sum_of() {
                let stated = count
                    .relations()
                    .iter()
                    .any(|r| r.equal && r.left == [count] && r.right == parts);
                assert!(stated, "{count:?} is a sum and says so to suppression");
            }
        }
    }

    #[test]
    fn nearest_rank_percentiles_match_percentile_disc() {
        let of = |values: &[i32]| {
            values
                .iter()
                .copied()
                .collect::<Distribution>()
                .percentiles()
        };
        // 1, 2, 2, 3, 10: median rank 3 → 2; 90th rank 5 → 10.
        let p = of(&[10, 2, 1, 2, 3]);
        assert_eq!((p.values, p.median, p.p90), (5, Some(2), Some(10)));
        // Ten values 1..=10: median rank 5 → 5, 90th rank 9 → 9.
        let tens: Vec<i32> = (1..=10).rev().collect();
        let p = of(&tens);
        assert_eq!((p.median, p.p90), (Some(5), Some(9)));
        // One value is every percentile; none has none; days before sending sort first.
        assert_eq!(of(&[7]).p90, Some(7));
        assert_eq!(of(&[]).median, None);
        assert_eq!(of(&[]).values, 0);
        assert_eq!(of(&[3, -2, 5]).median, Some(3));
        assert_eq!(of(&[3, -2, -2]).median, Some(-2));
    }

    #[test]
    fn percentiles_of_counts_by_value_equal_those_of_the_sorted_values() {
        let mut state = 7_u64;
        for length in [1_usize, 2, 3, 9, 10, 11, 100, 1_001] {
            let values: Vec<i32> = (0..length)
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
            let p = values
                .iter()
                .copied()
                .collect::<Distribution>()
                .percentiles();
            assert_eq!(
                (p.values, p.median, p.p90),
                (length as u64, Some(at(1, 2)), Some(at(9, 10))),
                "{length} values"
            );
            // Split anywhere and added back up, the parts give the same percentiles.
            let (left, right) = values.split_at(length / 3);
            let mut joined: Distribution = left.iter().copied().collect();
            joined.absorb(&right.iter().copied().collect());
            assert_eq!(joined.percentiles(), p, "{length} values in two parts");
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
        assert_eq!(rates.get(Rate::Attendance), Some(0.75));
        assert_eq!(rates.get(Rate::Attrition), None);
        let mut hidden = none;
        hidden[Count::AppointmentsMissed.index()] = true;
        assert_eq!(Rates::of(&counts, &hidden).get(Rate::Attendance), None);
    }
}
