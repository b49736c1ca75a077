//! The cells of a report as a linear system: every published count (row by row, then the
//! totals, then the margins another report publishes) and the relations a reader can use
//! between them. The disclosure audit ([`super::disclosure`]) and its perturbation search
//! ([`super::perturbation`]) both work on it.

use super::measures::{COUNTS, Count};

/// A relation between cells: `Σ plus − Σ minus = 0` (`equal`) or `≤ 0`. Cells are numbered
/// row by row (`row * COUNTS + count`), then the totals, then the margins.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relation {
    pub plus: Vec<usize>,
    pub minus: Vec<usize>,
    pub equal: bool,
}

impl Relation {
    /// Whether a cell of the relation is on its plus side (looked up on the shorter side).
    pub fn has_plus(&self, cell: usize) -> bool {
        if self.plus.len() <= self.minus.len() {
            self.plus.contains(&cell)
        } else {
            !self.minus.contains(&cell)
        }
    }
}

/// The cells of a report, what relates them, and which of them are figures of another report
/// (one-dimension margins), which this report cannot withhold.
#[derive(Clone, Debug)]
pub struct Cells {
    pub values: Vec<u64>,
    pub relations: Vec<Relation>,
    /// Cells this report publishes (rows and totals); the rest are margins.
    pub own: usize,
}

/// Where the cells of a report start: its rows, its totals, its margins.
pub fn cell_of_row(row: usize, count: Count) -> usize {
    row * COUNTS + count.index()
}

/// The totals' cell of a count in a report of `rows` rows.
pub fn cell_of_total(rows: usize, count: Count) -> usize {
    rows * COUNTS + count.index()
}
