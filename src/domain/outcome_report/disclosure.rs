//! Statistical disclosure control for the outcome report.
//!
//! Primary suppression: any count from 1 to `threshold - 1` is withheld, and a row about fewer
//! referrals than the threshold withholds every count (zeros included). Secondary suppression:
//! a withheld count must not be recoverable by subtraction, so wherever counts add up to a
//! published figure (a row's statuses to its referrals sent, assessments and sessions to
//! appointments, the rows of a measure to the report's totals, and in a two-dimension report the
//! rows sharing a value to what the one-dimension report for that value would publish), an
//! equation left with a single withheld count gets a second one: the smallest non-zero count
//! still published in it (a zero only when nothing else is left). This repeats until every
//! equation has none or at least two withheld counts (an equation whose sum is a published zero
//! needs nothing: every part of it is zero).

use std::collections::HashMap;

use super::measures::{COUNTS, Count, Counts, ROW_SUMS};

/// Which counts are withheld: per row, and in the totals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Withheld {
    pub rows: Vec<[bool; COUNTS]>,
    pub totals: [bool; COUNTS],
}

impl Withheld {
    /// Whether anything in the row (`None`: the totals) is withheld.
    pub fn any(&self, row: Option<usize>) -> bool {
        let cells = match row {
            Some(r) => &self.rows[r],
            None => &self.totals,
        };
        cells.iter().any(|h| *h)
    }
}

/// Whether a count must be withheld on its own.
pub fn too_small(count: u64, threshold: u64) -> bool {
    count > 0 && count < threshold
}

/// One cell of the suppression problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cell {
    Row(usize, usize),
    Total(usize),
    /// A figure of another report (a one-dimension margin); it can never be withheld here.
    Margin(usize),
}

struct Problem<'a> {
    rows: &'a [Counts],
    totals: &'a Counts,
    margins: Vec<u64>,
    hidden_rows: Vec<[bool; COUNTS]>,
    hidden_totals: [bool; COUNTS],
    hidden_margins: Vec<bool>,
}

impl Problem<'_> {
    fn value(&self, cell: Cell) -> u64 {
        match cell {
            Cell::Row(r, m) => self.rows[r][m],
            Cell::Total(m) => self.totals[m],
            Cell::Margin(i) => self.margins[i],
        }
    }

    fn hidden(&self, cell: Cell) -> bool {
        match cell {
            Cell::Row(r, m) => self.hidden_rows[r][m],
            Cell::Total(m) => self.hidden_totals[m],
            Cell::Margin(i) => self.hidden_margins[i],
        }
    }

    fn hide(&mut self, cell: Cell) {
        match cell {
            Cell::Row(r, m) => self.hidden_rows[r][m] = true,
            Cell::Total(m) => self.hidden_totals[m] = true,
            Cell::Margin(i) => self.hidden_margins[i] = true,
        }
    }

    /// The published cell of `equation` to withhold next: row cells before totals, non-zero
    /// before zero, smallest first.
    fn second(&self, equation: &[Cell]) -> Option<Cell> {
        equation
            .iter()
            .copied()
            .filter(|c| !matches!(c, Cell::Margin(_)) && !self.hidden(*c))
            .min_by_key(|c| {
                let value = self.value(*c);
                (matches!(c, Cell::Total(_)), value == 0, value)
            })
    }
}

/// Withholds the counts of a report: `rows` with their dimension values `keys` (one or two per
/// row) and the report's `totals`.
pub fn suppress(
    rows: &[Counts],
    keys: &[Vec<String>],
    totals: &Counts,
    threshold: u64,
) -> Withheld {
    let mut equations: Vec<Vec<Cell>> = Vec::new();
    // Within each row and the totals: sums of counts.
    let places = (0..rows.len()).map(Some).chain([None]);
    for place in places {
        let cell = |count: Count| match place {
            Some(r) => Cell::Row(r, count.index()),
            None => Cell::Total(count.index()),
        };
        for (sum, parts) in ROW_SUMS {
            equations.push(
                [cell(sum)]
                    .into_iter()
                    .chain(parts.iter().map(|p| cell(*p)))
                    .collect(),
            );
        }
    }
    // Across rows: each measure's rows add up to its total.
    for m in 0..COUNTS {
        equations.push(
            [Cell::Total(m)]
                .into_iter()
                .chain((0..rows.len()).map(|r| Cell::Row(r, m)))
                .collect(),
        );
    }
    // Two dimensions: the rows sharing one dimension's value add up to that value's margin.
    let mut margins = Vec::new();
    let dimensions = keys.first().map_or(0, Vec::len);
    if dimensions > 1 {
        for d in 0..dimensions {
            let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
            for (r, key) in keys.iter().enumerate() {
                groups.entry(key[d].as_str()).or_default().push(r);
            }
            let mut groups: Vec<_> = groups.into_values().collect();
            groups.sort();
            for members in groups {
                let mut sums: Counts = [0; COUNTS];
                for r in &members {
                    for (sum, count) in sums.iter_mut().zip(&rows[*r]) {
                        *sum += count;
                    }
                }
                for (m, sum) in sums.into_iter().enumerate() {
                    let margin = margins.len();
                    margins.push(sum);
                    equations.push(
                        [Cell::Margin(margin)]
                            .into_iter()
                            .chain(members.iter().map(|r| Cell::Row(*r, m)))
                            .collect(),
                    );
                }
            }
        }
    }

    let primary = |counts: &Counts| {
        // A row about fewer referrals than the threshold publishes nothing about them, zeros
        // and counts of appointments or outcomes included: every count there describes those
        // few people.
        if too_small(counts[Count::ReferralsSent.index()], threshold) {
            return [true; COUNTS];
        }
        let mut hidden = [false; COUNTS];
        for (h, c) in hidden.iter_mut().zip(counts) {
            *h = too_small(*c, threshold);
        }
        hidden
    };
    let mut problem = Problem {
        rows,
        totals,
        hidden_rows: rows.iter().map(primary).collect(),
        hidden_totals: primary(totals),
        hidden_margins: margins.iter().map(|m| too_small(*m, threshold)).collect(),
        margins,
    };
    loop {
        let mut changed = false;
        for equation in &equations {
            // Each equation's first cell is the sum: a published zero says every part is zero.
            if !problem.hidden(equation[0]) && problem.value(equation[0]) == 0 {
                continue;
            }
            let withheld = equation.iter().filter(|c| problem.hidden(**c)).count();
            if withheld == 1
                && let Some(cell) = problem.second(equation)
            {
                problem.hide(cell);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    Withheld {
        rows: problem.hidden_rows,
        totals: problem.hidden_totals,
    }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::domain::outcome_report::measures::complete;

    fn counts(sent: u64, open: u64, completed: u64, cancelled: u64) -> Counts {
        let mut c = [0; COUNTS];
        c[Count::ReferralsSent.index()] = sent;
        c[Count::Open.index()] = open;
        c[Count::Completed.index()] = completed;
        c[Count::Cancelled.index()] = cancelled;
        c
    }

    fn sum(rows: &[Counts]) -> Counts {
        let mut total = [0; COUNTS];
        for row in rows {
            for (t, c) in total.iter_mut().zip(row) {
                *t += c;
            }
        }
        total
    }

    fn key(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    const SENT: usize = 0;

    #[test]
    fn small_counts_are_withheld_and_a_sibling_with_them() {
        let rows = [
            counts(10, 10, 0, 0),
            counts(3, 3, 0, 0),
            counts(20, 20, 0, 0),
        ];
        let keys = [key(&["A"]), key(&["B"]), key(&["C"])];
        let withheld = suppress(&rows, &keys, &sum(&rows), 5);
        // B's 3 is too small; A's 10, the smallest other row, goes with it, or B = 33 - 10 - 20.
        assert!(withheld.rows[1][SENT]);
        assert!(withheld.rows[0][SENT]);
        assert!(!withheld.rows[2][SENT]);
        assert!(!withheld.totals[SENT]);
        // Zero and large counts stay.
        assert!(!withheld.rows[2][Count::Completed.index()]);
    }

    #[test]
    fn a_row_about_too_few_referrals_publishes_nothing() {
        let mut few = counts(2, 2, 0, 0);
        few[Count::SessionsAttended.index()] = 12;
        complete(&mut few);
        let rows = [few, counts(40, 40, 0, 0), counts(30, 30, 0, 0)];
        let keys = [key(&["A"]), key(&["B"]), key(&["C"])];
        let withheld = suppress(&rows, &keys, &sum(&rows), 5);
        assert!(
            withheld.rows[0].iter().all(|h| *h),
            "{:?}",
            withheld.rows[0]
        );
    }

    #[test]
    fn a_status_cannot_be_recovered_from_its_row() {
        // 20 sent: 17 open, 3 completed. Without a second cell, completed = 20 - 17.
        let rows = [counts(20, 17, 3, 0), counts(40, 40, 0, 0)];
        let keys = [key(&["A"]), key(&["B"])];
        let withheld = suppress(&rows, &keys, &sum(&rows), 5);
        assert!(withheld.rows[0][Count::Completed.index()]);
        assert!(withheld.rows[0][Count::Open.index()]);
        assert!(!withheld.rows[0][SENT]);
    }

    #[test]
    fn two_dimension_margins_are_protected() {
        // Region A: (A, F) = 2 is withheld; A's margin (12) would give it away from (A, M) = 10.
        let rows = [
            counts(2, 2, 0, 0),
            counts(10, 10, 0, 0),
            counts(30, 30, 0, 0),
            counts(40, 40, 0, 0),
        ];
        let keys = [
            key(&["A", "F"]),
            key(&["A", "M"]),
            key(&["B", "F"]),
            key(&["B", "M"]),
        ];
        let withheld = suppress(&rows, &keys, &sum(&rows), 5);
        assert!(withheld.rows[0][SENT] && withheld.rows[1][SENT]);
        // Then F's margin (32) would give away (A, F) from (B, F), and so on round the table.
        assert!(withheld.rows[2][SENT] && withheld.rows[3][SENT]);
    }

    /// Every equation the report is subject to has none or at least two withheld cells, over
    /// random tables with many small cells.
    #[test]
    fn no_withheld_count_is_alone_in_an_equation() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..200 {
            let two = rng.random_bool(0.5);
            let n = rng.random_range(1..12);
            let mut rows = Vec::new();
            let mut keys = Vec::new();
            for i in 0..n {
                let open = rng.random_range(0..12);
                let completed = rng.random_range(0..6);
                let cancelled = rng.random_range(0..4);
                let mut row = counts(open + completed + cancelled, open, completed, cancelled);
                row[Count::AssessmentsAttended.index()] = rng.random_range(0..8);
                row[Count::SessionsAttended.index()] = rng.random_range(0..30);
                complete(&mut row);
                rows.push(row);
                keys.push(if two {
                    vec![format!("d{}", i % 3), format!("e{}", i / 3)]
                } else {
                    vec![format!("d{i}")]
                });
            }
            let totals = sum(&rows);
            let withheld = suppress(&rows, &keys, &totals, 5);
            for (r, row) in rows.iter().enumerate() {
                for (m, value) in row.iter().enumerate() {
                    if too_small(*value, 5) {
                        assert!(withheld.rows[r][m]);
                    }
                }
                for (total, parts) in ROW_SUMS {
                    // A published zero sum gives nothing away: every part is zero.
                    if row[total.index()] == 0 && !withheld.rows[r][total.index()] {
                        continue;
                    }
                    let hidden = [total]
                        .iter()
                        .chain(parts)
                        .filter(|c| withheld.rows[r][c.index()])
                        .count();
                    assert_ne!(hidden, 1, "row {r}: {rows:?}");
                }
            }
            for (m, total) in totals.iter().enumerate() {
                if *total == 0 && !withheld.totals[m] {
                    continue;
                }
                let hidden = (0..n).filter(|r| withheld.rows[*r][m]).count()
                    + usize::from(withheld.totals[m]);
                assert_ne!(hidden, 1, "measure {m}");
            }
        }
    }
}
