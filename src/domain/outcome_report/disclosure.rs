//! Statistical disclosure control for the outcome report.
//!
//! Primary suppression: any count from 1 to `threshold - 1` is withheld, and a row about fewer
//! referrals than the threshold withholds every count (zeros included).
//!
//! Secondary suppression holds against every relation a reader can use between the published
//! figures ([`relations`]): sums (a row's statuses to its referrals sent, assessments and
//! sessions to appointments, a measure's rows to the totals, and in a two-dimension report the
//! rows sharing a value to what the one-dimension report publishes for it) and inequalities (a
//! measure that is a subset of another: delivered by the deadline within delivered, delivered
//! within the deadline's base, cancellations and early ends within withdrawals, withdrawals
//! within referrals sent, attended sessions within planned ones, …; and rows that overlap under
//! a category dimension within the totals). The report is audited as a reader would attack it:
//! every withheld count gets the tightest interval the published figures allow by propagating
//! bounds through every relation ([`bounds`]). A withheld count is safe when at least two
//! values stay possible and the interval is not inside 1..threshold-1. While one is not, each
//! relation that gives it its bounds gets a published count of its own withheld (when all of a
//! relation's counts are withheld already and pinned by others, a partner of the relations that
//! pin one of them; failing that, the nearest published count), preferring counts that stay
//! unknown once withheld (in no sum whose other counts are all published), then non-zero counts,
//! row cells before totals, smallest first; and the audit runs again. A count still exposed
//! after a few rounds gets a perturbation instead ([`perturbation`]): counts around it that can
//! move together with every relation still true, all withheld at once, where partners chosen
//! one relation at a time would each be pinned by their own row or column and the rounds walk
//! a whole column (2,570 rounds and 28 s for providers by month at 1M, now 42 and 0.5 s).
//! Every round withholds at least one more count, so the audit ends; `benches/disclosure.rs`
//! measures it (a 120 × 66 report in about 0.2 s). A withheld count the published figures pin to its
//! value whatever else is withheld (possible only for zeros and counts at or above the
//! threshold) is published: withholding it hides nothing.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

pub use super::cells::{Cells, Relation, cell_of_row, cell_of_total};
use super::measures::{COUNTS, Count, Counts};
use super::perturbation;

/// Which counts are withheld: per row, and in the totals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Withheld {
    pub rows: Vec<[bool; COUNTS]>,
    pub totals: [bool; COUNTS],
    /// How many rounds of the audit it took.
    pub rounds: usize,
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

/// The relations within one row (or the totals), as each count declares them.
fn within(cell: impl Fn(Count) -> usize) -> Vec<Relation> {
    let cells = |counts: &[Count]| counts.iter().map(|c| cell(*c)).collect::<Vec<_>>();
    Count::ALL
        .iter()
        .flat_map(|count| count.relations())
        .map(|relation| Relation {
            plus: cells(relation.left),
            minus: cells(relation.right),
            equal: relation.equal,
        })
        .collect()
}

/// What the one-dimension report by a dimension publishes for each of its values, where that is
/// not the sum of a two-dimension report's rows sharing the value: a dimension beside a
/// category dimension, whose rows count a referral once per category while the one-dimension
/// report counts it once.
pub type Margin = BTreeMap<String, Counts>;

/// The margin of dimension `d` that is counted apart (see [`Margin`]), if any.
fn counted(margins: &[Option<Margin>], d: usize) -> Option<&Margin> {
    margins.get(d).and_then(Option::as_ref)
}

/// How rows relate to the cell of their whole (the totals, or a margin): disjoint rows add up
/// to it; overlapping rows are each within it, and for counts of referrals it is within their
/// sum.
fn parts_of(parts: Vec<usize>, whole: usize, count: Count, overlapping: bool) -> Vec<Relation> {
    if !overlapping {
        return vec![Relation {
            plus: parts,
            minus: vec![whole],
            equal: true,
        }];
    }
    let mut relations: Vec<Relation> = parts
        .iter()
        .map(|part| Relation {
            plus: vec![*part],
            minus: vec![whole],
            equal: false,
        })
        .collect();
    if count.per_referral() {
        relations.push(Relation {
            plus: vec![whole],
            minus: parts,
            equal: false,
        });
    }
    relations
}

/// Every relation a reader of the report can use. `keys` holds each row's dimension values;
/// `per_category[d]` says whether dimension `d` counts a referral once per selected category
/// (its rows overlap). Margins (what the one-dimension reports publish for each value of a
/// two-dimension report) are `margins[d]` where given, else the sums of the rows sharing that
/// value.
pub fn relations(
    rows: &[Counts],
    keys: &[Vec<String>],
    totals: &Counts,
    per_category: &[bool],
    margins: &[Option<Margin>],
) -> Cells {
    let n = rows.len();
    let mut values: Vec<u64> = rows.iter().flatten().copied().collect();
    values.extend(totals.iter().copied());
    let own = values.len();
    let mut relations = Vec::new();
    for r in 0..n {
        relations.extend(within(|c| cell_of_row(r, c)));
    }
    relations.extend(within(|c| cell_of_total(n, c)));
    let overlapping = per_category.iter().any(|p| *p);
    for count in Count::ALL {
        let row_cells: Vec<usize> = (0..n).map(|r| cell_of_row(r, count)).collect();
        relations.extend(parts_of(
            row_cells,
            cell_of_total(n, count),
            count,
            overlapping,
        ));
    }
    let dimensions = keys.first().map_or(0, Vec::len);
    if dimensions > 1 {
        for d in 0..dimensions {
            let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
            for (r, key) in keys.iter().enumerate() {
                groups.entry(key[d].as_str()).or_default().push(r);
            }
            let apart = counted(margins, d);
            for (value, members) in &groups {
                for count in Count::ALL {
                    let margin = values.len();
                    let member_cells: Vec<usize> =
                        members.iter().map(|r| cell_of_row(*r, count)).collect();
                    // Counted apart, the rows sharing the value overlap as a category
                    // report's rows do; otherwise they add up to it.
                    values.push(match apart {
                        Some(apart) => apart.get(*value).map_or(0, |c| c[count.index()]),
                        None => members.iter().map(|r| rows[*r][count.index()]).sum(),
                    });
                    relations.extend(parts_of(member_cells, margin, count, apart.is_some()));
                }
            }
        }
    }
    // Grown as found; held for the whole audit.
    relations.shrink_to_fit();
    Cells {
        values,
        relations,
        own,
    }
}

/// Bounds no reader can pass.
const UNBOUNDED: i64 = i64::MAX / 4;

/// The bounds of one side of a relation: the sum of the lows, and of the highs that are
/// bounded with how many are not.
#[derive(Clone, Copy)]
struct Side {
    low: i64,
    high: i64,
    unbounded: usize,
}

impl Side {
    const EMPTY: Side = Side {
        low: 0,
        high: 0,
        unbounded: 0,
    };

    fn of(cells: &[usize], interval: &[(i64, i64)]) -> Side {
        let mut side = Side::EMPTY;
        for cell in cells {
            side.add(interval[*cell]);
        }
        side
    }

    /// Adds one cell's bounds. Saturating: bounds stay within `[0, UNBOUNDED]`, but facts that
    /// break a relation (written by an older release, say) can make lows meet highs anywhere.
    /// Lows are never negative, so the sums are the same in any order.
    fn add(&mut self, (low, high): (i64, i64)) {
        self.low = self.low.saturating_add(low).min(UNBOUNDED);
        if high >= UNBOUNDED {
            self.unbounded += 1;
        } else {
            self.high = self.high.saturating_add(high).min(UNBOUNDED);
        }
    }

    /// The sum of the highs.
    fn high(&self) -> i64 {
        if self.unbounded > 0 {
            UNBOUNDED
        } else {
            self.high
        }
    }

    /// The sum of the highs without one cell whose high is `high`.
    fn high_without(&self, high: i64) -> i64 {
        if high >= UNBOUNDED {
            if self.unbounded > 1 {
                UNBOUNDED
            } else {
                self.high
            }
        } else if self.unbounded > 0 {
            UNBOUNDED
        } else {
            self.high.saturating_sub(high)
        }
    }
}

/// The tightest interval `(low, high)` a reader can give each cell from the published cells
/// (`hidden[i]` false: its value) and the relations, by propagating bounds through every
/// relation until nothing tightens. Hidden cells start at `[0, unbounded)`.
///
/// A relation is looked at again only when a cell of it has tightened since (a queue of
/// relations, not sweeps of all of them): the result is the same, as every tightening only
/// narrows what the others imply, but a report's audit no longer sweeps tens of thousands of
/// relations that cannot change.
pub fn bounds(values: &[u64], hidden: &[bool], relations: &[Relation]) -> Vec<(i64, i64)> {
    let touching = touching(values.len(), relations);
    Open::of(values, relations, hidden).bounds(hidden, &touching)
}

/// For each cell, the relations it is in (each list as long as it needs to be: a large
/// report's cells are in about a million relations).
fn touching(cells: usize, relations: &[Relation]) -> Vec<Vec<usize>> {
    let mut lengths = vec![0_usize; cells];
    for relation in relations {
        for cell in relation.plus.iter().chain(&relation.minus) {
            lengths[*cell] += 1;
        }
    }
    let mut touching: Vec<Vec<usize>> = lengths.into_iter().map(Vec::with_capacity).collect();
    for (i, relation) in relations.iter().enumerate() {
        for cell in relation.plus.iter().chain(&relation.minus) {
            touching[*cell].push(i);
        }
    }
    touching
}

/// A withheld cell of a relation: its number, and whether it is on the plus side. Eight bytes
/// (a report's cells are its rows times the counts, far fewer than 2³²): when the audit asks
/// what other reports give away, every cell of every relation is one.
#[derive(Clone, Copy, Debug)]
struct HiddenCell {
    cell: u32,
    plus: bool,
}

impl HiddenCell {
    fn cell(self) -> usize {
        self.cell as usize
    }
}

/// The relations of a report as the audit bounds them, kept from round to round: for each,
/// its hidden cells (and whether on the plus side) and what its published cells add up to on
/// each side, which stays as it is while the hidden cells' bounds move. Withholding cells
/// updates only the relations they are in.
struct Open<'a> {
    values: &'a [u64],
    relations: &'a [Relation],
    hidden_cells: Vec<Vec<HiddenCell>>,
    /// Per relation: its published cells' plus side and minus side.
    published: Vec<(Side, Side)>,
}

impl<'a> Open<'a> {
    fn of(values: &'a [u64], relations: &'a [Relation], hidden: &[bool]) -> Open<'a> {
        debug_assert!(
            u32::try_from(values.len()).is_ok(),
            "cells numbered in 32 bits"
        );
        let mut open = Open {
            values,
            relations,
            hidden_cells: vec![Vec::new(); relations.len()],
            published: vec![(Side::EMPTY, Side::EMPTY); relations.len()],
        };
        for r in 0..relations.len() {
            open.refresh(r, hidden);
        }
        open
    }

    /// Reads relation `r`'s hidden cells and published sums again.
    fn refresh(&mut self, r: usize, hidden: &[bool]) {
        let relation = &self.relations[r];
        let cells = &mut self.hidden_cells[r];
        cells.clear();
        // As long as it needs to be (most of a relation's cells are usually published).
        let hidden_here = relation
            .plus
            .iter()
            .chain(&relation.minus)
            .filter(|c| hidden[**c])
            .count();
        if cells.capacity() > hidden_here {
            cells.shrink_to(hidden_here);
        } else {
            cells.reserve_exact(hidden_here);
        }
        let (mut plus, mut minus) = (Side::EMPTY, Side::EMPTY);
        for (side, is_plus) in [(&relation.plus, true), (&relation.minus, false)] {
            for &cell in side {
                if hidden[cell] {
                    cells.push(HiddenCell {
                        cell: cell as u32,
                        plus: is_plus,
                    });
                    continue;
                }
                let value = i64::try_from(self.values[cell]).unwrap_or(UNBOUNDED);
                if is_plus {
                    plus.add((value, value));
                } else {
                    minus.add((value, value));
                }
            }
        }
        self.published[r] = (plus, minus);
    }

    /// Takes in `withheld`, cells just marked in `hidden`: each relation they are in is read
    /// again, once.
    fn withhold(&mut self, withheld: &[usize], touching: &[Vec<usize>], hidden: &[bool]) {
        let mut changed: Vec<usize> = withheld
            .iter()
            .flat_map(|cell| touching[*cell].iter().copied())
            .collect();
        changed.sort_unstable();
        changed.dedup();
        for r in changed {
            self.refresh(r, hidden);
        }
    }

    /// The bounds of every cell with `hidden` withheld (as taken in), propagated through a
    /// queue of relations: a relation is looked at again only when a cell of it has tightened
    /// since.
    fn bounds(&self, hidden: &[bool], touching: &[Vec<usize>]) -> Vec<(i64, i64)> {
        let mut interval = unbounded_if_hidden(self.values, hidden);
        // Only relations with a hidden cell can tell anything.
        let mut queue: VecDeque<usize> = (0..self.relations.len())
            .filter(|r| !self.hidden_cells[*r].is_empty())
            .collect();
        let mut queued = vec![false; self.relations.len()];
        for &r in &queue {
            queued[r] = true;
        }
        // Each tightening moves an integer bound towards the true value, so this ends; the
        // cap (as many looks as `MAX_SWEEPS` sweeps of every relation) guards the time of a
        // pathological report.
        let mut looks_left = MAX_SWEEPS * queue.len();
        let mut tightened = Vec::new();
        while let Some(r) = queue.pop_front() {
            if looks_left == 0 {
                break;
            }
            looks_left -= 1;
            queued[r] = false;
            self.tighten(r, &mut interval, &mut tightened);
            // A hidden cell's relations all have it among their hidden cells.
            for cell in tightened.drain(..) {
                for &other in &touching[cell] {
                    if !queued[other] {
                        queued[other] = true;
                        queue.push_back(other);
                    }
                }
            }
        }
        interval
    }

    /// Tightens the bounds of the hidden cells of relation `r` (as [`Sides::implied`] gives
    /// them from the others' bounds), adding those that moved to `tightened`.
    fn tighten(&self, r: usize, interval: &mut [(i64, i64)], tightened: &mut Vec<usize>) {
        let (mut plus, mut minus) = self.published[r];
        for hidden in &self.hidden_cells[r] {
            if hidden.plus {
                plus.add(interval[hidden.cell()]);
            } else {
                minus.add(interval[hidden.cell()]);
            }
        }
        let sides = Sides { plus, minus };
        let equal = self.relations[r].equal;
        for hidden in &self.hidden_cells[r] {
            let cell = hidden.cell();
            let current = interval[cell];
            let (low, high) = sides.implied(equal, hidden.plus, current);
            let narrower = (current.0.max(low), current.1.min(high));
            if narrower != current {
                interval[cell] = narrower;
                tightened.push(cell);
            }
        }
    }
}

/// Each cell's interval before any relation is used: its value if published, `[0, unbounded)`
/// if hidden.
fn unbounded_if_hidden(values: &[u64], hidden: &[bool]) -> Vec<(i64, i64)> {
    values
        .iter()
        .zip(hidden)
        .map(|(v, h)| {
            let v = i64::try_from(*v).unwrap_or(UNBOUNDED);
            if *h { (0, UNBOUNDED) } else { (v, v) }
        })
        .collect()
}

/// Rounds a cell may stay exposed before a perturbation around it is searched for
/// ([`perturbation::freeing`]).
const STUBBORN: u32 = 4;

/// Most work when bounding a report's cells, in sweeps: at most this many looks per relation
/// with a hidden cell, on average.
const MAX_SWEEPS: usize = 64;

/// Both sides of a relation under the current bounds.
struct Sides {
    plus: Side,
    minus: Side,
}

impl Sides {
    fn of(relation: &Relation, interval: &[(i64, i64)]) -> Sides {
        Sides {
            plus: Side::of(&relation.plus, interval),
            minus: Side::of(&relation.minus, interval),
        }
    }

    /// The interval the relation alone gives one of its cells (on the plus side or not, now
    /// within `current`) from the bounds of the others: Σ plus ≤ Σ minus (and ≥ when equal),
    /// so a plus cell is at most Σ minus − Σ other plus, a minus cell at least Σ plus − Σ
    /// other minus, and when equal the other direction too.
    fn implied(&self, equal: bool, is_plus: bool, (low, high): (i64, i64)) -> (i64, i64) {
        let (same, other) = if is_plus {
            (&self.plus, &self.minus)
        } else {
            (&self.minus, &self.plus)
        };
        let rest_low = same.low.saturating_sub(low).max(0);
        let rest_high = same.high_without(high);
        let (mut implied_low, mut implied_high) = (0, UNBOUNDED);
        if (is_plus || equal) && other.high() < UNBOUNDED {
            implied_high = other.high().saturating_sub(rest_low).clamp(0, UNBOUNDED);
        }
        if (!is_plus || equal) && rest_high < UNBOUNDED {
            implied_low = implied_low.max(other.low.saturating_sub(rest_high).min(UNBOUNDED));
        }
        (implied_low, implied_high)
    }
}

/// Whether a withheld cell with this interval stays protected: two values possible or more,
/// and not known to be a small count.
pub fn protected((low, high): (i64, i64), threshold: u64) -> bool {
    let threshold = i64::try_from(threshold).unwrap_or(UNBOUNDED);
    low < high && !(low >= 1 && high < threshold)
}

/// Withholds the counts of a report: `rows` with their dimension values `keys` (one or two per
/// row), the report's `totals`, for each dimension whether it counts referrals once per
/// category, and the margins counted apart (see [`relations`]).
pub fn suppress(
    rows: &[Counts],
    keys: &[Vec<String>],
    totals: &Counts,
    per_category: &[bool],
    margins: &[Option<Margin>],
    threshold: u64,
) -> Withheld {
    let cells = relations(rows, keys, totals, per_category, margins);
    let mut hidden = primary(rows, keys, totals, per_category, margins, threshold);
    let touching = touching(cells.values.len(), &cells.relations);
    // Before the audit's own bounds are set up, so the two are not held at once.
    let (beyond_reach, fixed) = revealed_elsewhere(&cells, &touching, &hidden, threshold);
    let mut open = Open::of(&cells.values, &cells.relations, &hidden);
    let is_total = |cell: usize| cell >= rows.len() * COUNTS;
    let small = |cell: usize| too_small(cells.values[cell], threshold);
    let mut exposed_for: Vec<u32> = vec![0; cells.values.len()];
    let room = perturbation::Room::of(&cells);
    let mut rounds = 0;
    loop {
        rounds += 1;
        let interval = open.bounds(&hidden, &touching);
        // Margins count too: what the one-dimension report withholds must stay withheld.
        let exposed =
            (0..cells.values.len()).filter(|c| hidden[*c] && small(*c) && !beyond_reach[*c]);
        let exposed = exposed.filter(|c| !protected(interval[*c], threshold));
        // A partner is best where withholding it leaves it unknown: in no sum whose other
        // cells are all published. Then non-zero before zero, row cells before totals, smallest.
        let withheld_in: Vec<usize> = cells
            .relations
            .iter()
            .map(|r| {
                r.plus
                    .iter()
                    .chain(&r.minus)
                    .filter(|c| hidden[**c])
                    .count()
            })
            .collect();
        let pinned_alone = |c: usize| {
            touching[c]
                .iter()
                .any(|r| cells.relations[*r].equal && withheld_in[*r] == 0)
        };
        let key = |c: usize| {
            (
                pinned_alone(c),
                cells.values[c] == 0,
                is_total(c),
                cells.values[c],
                c,
            )
        };
        let mut search = NearestPublished::new(&cells, &touching, &hidden, &fixed, key);
        let mut sides: Vec<Option<Sides>> = Vec::new();
        sides.resize_with(cells.relations.len(), || None);
        // A way out for a cell the rounds leave exposed: down to zero or up to the
        // threshold, whichever withholds fewer published counts.
        let free = |cell: usize| {
            let value = i64::try_from(cells.values[cell]).unwrap_or(0);
            let limit = i64::try_from(threshold).unwrap_or(i64::MAX / 4);
            [-value, limit - value]
                .into_iter()
                .filter_map(|by| {
                    perturbation::freeing(&cells, &touching, &room, &hidden, cell, by, key)
                })
                .min_by_key(Vec::len)
        };
        let mut to_hide = BTreeSet::new();
        for cell in exposed {
            exposed_for[cell] += 1;
            // Searched for after a few rounds, then again less and less often: a search
            // that fails costs about a round.
            let search_now = exposed_for[cell]
                .checked_sub(STUBBORN)
                .is_some_and(u32::is_power_of_two);
            if search_now && let Some(moved) = free(cell) {
                to_hide.extend(moved);
                continue;
            }
            // The relations that give the cell its bounds (on their own, or as the tightest of
            // several) each get a published cell of their own withheld; when none of them has
            // a partner to give, even through the cells that pin it, the nearest published
            // cell is withheld.
            let mut partners = false;
            for r in binding(&cells, &touching[cell], cell, &interval, &mut sides) {
                if let Some(partner) = search.best_in(r) {
                    to_hide.insert(partner);
                    partners = true;
                    continue;
                }
                // Every cell of the relation is withheld, and those that pin it are pinned in
                // turn: withhold the best partner of the relations that pin one of them.
                let relation = &cells.relations[r];
                let inner = relation
                    .plus
                    .iter()
                    .chain(&relation.minus)
                    .copied()
                    .filter(|c| *c != cell && !fixed[*c] && interval[*c].0 == interval[*c].1)
                    .flat_map(|c| binding(&cells, &touching[c], c, &interval, &mut sides))
                    .collect::<Vec<_>>();
                let found: Vec<usize> = inner
                    .into_iter()
                    .filter_map(|r| search.best_in(r))
                    .collect();
                let best = found.into_iter().min_by_key(|c| search.key_of(*c));
                if let Some(partner) = best {
                    to_hide.insert(partner);
                    partners = true;
                }
            }
            if !partners {
                to_hide.extend(search.from(cell));
            }
        }
        if to_hide.is_empty() {
            break;
        }
        let to_hide: Vec<usize> = to_hide.into_iter().collect();
        for &cell in &to_hide {
            hidden[cell] = true;
        }
        open.withhold(&to_hide, &touching, &hidden);
    }
    // What the published figures pin to its value (a zero, or a count at or above the
    // threshold) is published: withholding it hides nothing.
    let interval = open.bounds(&hidden, &touching);
    for cell in 0..cells.own {
        let value = i64::try_from(cells.values[cell]).unwrap_or(UNBOUNDED);
        if hidden[cell] && !small(cell) && interval[cell] == (value, value) {
            hidden[cell] = false;
        }
    }
    let row_cells = |r: usize| {
        let mut cells = [false; COUNTS];
        cells.copy_from_slice(&hidden[r * COUNTS..(r + 1) * COUNTS]);
        cells
    };
    Withheld {
        rows: (0..rows.len()).map(row_cells).collect(),
        totals: row_cells(rows.len()),
        rounds,
    }
}

/// The relations that give a withheld cell its bounds: on their own, as tight as all of them.
fn binding(
    cells: &Cells,
    touching: &[usize],
    cell: usize,
    interval: &[(i64, i64)],
    sides: &mut [Option<Sides>],
) -> Vec<usize> {
    let (low, high) = interval[cell];
    touching
        .iter()
        .copied()
        .filter(|r| {
            let relation = &cells.relations[*r];
            let both = sides[*r].get_or_insert_with(|| Sides::of(relation, interval));
            let alone = both.implied(relation.equal, relation.has_plus(cell), (low, high));
            (low > 0 && alone.0 >= low) || (high < UNBOUNDED && alone.1 <= high)
        })
        .collect()
}

/// Finds, for a withheld cell, the published cell of this report nearest to it: in a relation
/// with it, or (when all of those are withheld already) in a relation with the withheld cells
/// that pin it, and so on outwards; the best by `key` among the nearest. Each relation's best
/// published cell is found once per search, and visits are marked in flat arrays, so a search
/// from every exposed cell costs about one pass over the relations, not one per cell.
struct NearestPublished<'a, K: Ord, F: Fn(usize) -> K> {
    cells: &'a Cells,
    touching: &'a [Vec<usize>],
    hidden: &'a [bool],
    /// Cells the published figures of other reports pin whatever this one withholds.
    fixed: &'a [bool],
    key: F,
    /// Per relation: its best published cell, once found (`Some(None)`: it has none).
    best: Vec<Option<Option<usize>>>,
    /// The search (numbered from 1) that last visited each cell and each relation.
    cell_seen: Vec<u32>,
    relation_seen: Vec<u32>,
    search: u32,
}

impl<'a, K: Ord, F: Fn(usize) -> K> NearestPublished<'a, K, F> {
    fn new(
        cells: &'a Cells,
        touching: &'a [Vec<usize>],
        hidden: &'a [bool],
        fixed: &'a [bool],
        key: F,
    ) -> Self {
        NearestPublished {
            cells,
            touching,
            hidden,
            fixed,
            key,
            best: vec![None; cells.relations.len()],
            cell_seen: vec![0; cells.values.len()],
            relation_seen: vec![0; cells.relations.len()],
            search: 0,
        }
    }

    /// How this search ranks a cell.
    fn key_of(&self, cell: usize) -> K {
        (self.key)(cell)
    }

    /// The best published cell of one relation.
    fn best_in(&mut self, relation: usize) -> Option<usize> {
        if let Some(best) = self.best[relation] {
            return best;
        }
        let r = &self.cells.relations[relation];
        let best = r
            .plus
            .iter()
            .chain(&r.minus)
            .copied()
            .filter(|c| *c < self.cells.own && !self.hidden[*c] && !self.fixed[*c])
            .min_by_key(|c| (self.key)(*c));
        self.best[relation] = Some(best);
        best
    }

    /// The published cell to withhold next to `cell`, if any is connected to it.
    fn from(&mut self, cell: usize) -> Option<usize> {
        self.search += 1;
        let search = self.search;
        self.cell_seen[cell] = search;
        let mut layer = vec![cell];
        while !layer.is_empty() {
            let mut relations = Vec::new();
            for c in &layer {
                for r in &self.touching[*c] {
                    if self.relation_seen[*r] != search {
                        self.relation_seen[*r] = search;
                        relations.push(*r);
                    }
                }
            }
            let mut best: Option<usize> = None;
            for r in &relations {
                if let Some(candidate) = self.best_in(*r)
                    && best.is_none_or(|b| (self.key)(candidate) < (self.key)(b))
                {
                    best = Some(candidate);
                }
            }
            if best.is_some() {
                return best;
            }
            let mut next = Vec::new();
            for r in relations {
                let relation = &self.cells.relations[r];
                for c in relation.plus.iter().chain(&relation.minus) {
                    if self.hidden[*c] && self.cell_seen[*c] != search {
                        self.cell_seen[*c] = search;
                        next.push(*c);
                    }
                }
            }
            layer = next;
        }
        None
    }
}

/// The cells that the one-dimension reports' published figures give away on their own: exposed
/// even with every count of this report withheld. This report cannot protect them (see the
/// README: the two one-dimension reports together can reveal a cell of their cross-table), so
/// it does not withhold more trying. Second, the cells those figures pin to one value on their
/// own (a count under a margin of zero, say): withholding one hides nothing, so none is
/// chosen as a partner or freed. `touching`: each cell's relations.
fn revealed_elsewhere(
    cells: &Cells,
    touching: &[Vec<usize>],
    hidden: &[bool],
    threshold: u64,
) -> (Vec<bool>, Vec<bool>) {
    if cells.values.len() == cells.own {
        return (
            vec![false; cells.values.len()],
            vec![false; cells.values.len()],
        );
    }
    let mut everything: Vec<bool> = vec![true; cells.own];
    everything.extend_from_slice(&hidden[cells.own..]);
    let interval =
        Open::of(&cells.values, &cells.relations, &everything).bounds(&everything, touching);
    let revealed = (0..cells.values.len())
        .map(|c| too_small(cells.values[c], threshold) && !protected(interval[c], threshold))
        .collect();
    let fixed = (0..cells.values.len())
        .map(|c| everything[c] && interval[c].0 == interval[c].1)
        .collect();
    (revealed, fixed)
}

/// Which margins of a two-dimension report the one-dimension reports withhold (in the order
/// of [`relations`]): each one-dimension report is its margin counted apart where given, else
/// the rows sharing a value added up, with the same totals, suppressed on its own.
pub fn margins_withheld(
    rows: &[Counts],
    keys: &[Vec<String>],
    totals: &Counts,
    per_category: &[bool],
    margins: &[Option<Margin>],
    threshold: u64,
) -> Vec<bool> {
    let dimensions = keys.first().map_or(0, Vec::len);
    if dimensions < 2 {
        return Vec::new();
    }
    let mut withheld = Vec::new();
    for d in 0..dimensions {
        let mut groups: BTreeMap<&str, Counts> = BTreeMap::new();
        for (row, key) in rows.iter().zip(keys) {
            let group = groups.entry(key[d].as_str()).or_insert([0; COUNTS]);
            for (sum, count) in group.iter_mut().zip(row) {
                *sum += count;
            }
        }
        // The whole one-dimension report: the margin counted apart (values this report has no
        // row for included), or the rows sharing a value added up.
        let (margin_keys, margin_rows): (Vec<String>, Vec<Counts>) = match counted(margins, d) {
            Some(apart) => apart.iter().map(|(k, c)| (k.clone(), *c)).unzip(),
            None => groups.iter().map(|(k, c)| ((*k).to_owned(), *c)).unzip(),
        };
        let one_key: Vec<Vec<String>> = margin_keys.iter().map(|k| vec![k.clone()]).collect();
        let report = suppress(
            &margin_rows,
            &one_key,
            totals,
            &per_category[d..=d],
            &[],
            threshold,
        );
        for value in groups.keys() {
            match margin_keys.iter().position(|k| k == value) {
                Some(i) => withheld.extend(report.rows[i]),
                // Not in the other report: nothing it publishes.
                None => withheld.extend([false; COUNTS]),
            }
        }
    }
    withheld
}

/// Primary suppression of every cell: small counts, every count of a row about fewer referrals
/// than the threshold; and the margins the one-dimension reports withhold.
fn primary(
    rows: &[Counts],
    keys: &[Vec<String>],
    totals: &Counts,
    per_category: &[bool],
    margins: &[Option<Margin>],
    threshold: u64,
) -> Vec<bool> {
    let place = |counts: &Counts| {
        // A row about fewer referrals than the threshold publishes nothing about them, zeros
        // and counts of appointments or outcomes included: every count there describes those
        // few people.
        if too_small(counts[Count::ReferralsSent.index()], threshold) {
            return [true; COUNTS];
        }
        counts.map(|c| too_small(c, threshold))
    };
    let mut hidden: Vec<bool> = rows.iter().chain([totals]).flat_map(place).collect();
    hidden.extend(margins_withheld(
        rows,
        keys,
        totals,
        per_category,
        margins,
        threshold,
    ));
    hidden
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::domain::outcome_report::measures::complete;

    /// One referral as the report counts it, consistent with the service's rules.
    #[derive(Clone, Copy, Debug, Default)]
    struct Referral {
        status: u8, // 0 open, 1 completed, 2 cancelled, 3 ended early
        withdrawn: Option<usize>,
        assessment_attended: bool,
        assessments_missed: u64,
        planned: u64,
        attended: u64,
        missed: u64,
        outcomes: [u64; 3],
        on_time: bool,
        past_deadline: bool,
    }

    fn random_referral(rng: &mut ChaCha8Rng) -> Referral {
        let status = rng.random_range(0..4u8);
        let delivered = status == 1 || status == 3;
        let mut r = Referral {
            status,
            assessments_missed: rng.random_range(0..2),
            ..Default::default()
        };
        r.withdrawn = match status {
            2 | 3 => Some(rng.random_range(0..5)),
            _ if rng.random_bool(0.1) => Some(rng.random_range(0..5)),
            _ => None,
        };
        r.assessment_attended = delivered || rng.random_bool(0.5);
        if r.assessment_attended && (delivered || rng.random_bool(0.6)) {
            r.planned = rng.random_range(1..5);
            r.attended = if delivered {
                rng.random_range(1..=r.planned)
            } else {
                rng.random_range(0..=r.planned)
            };
            r.missed = rng.random_range(0..3);
        }
        if delivered {
            let n = rng.random_range(1..4);
            for _ in 0..n {
                r.outcomes[rng.random_range(0..3)] += 1;
            }
            r.on_time = rng.random_bool(0.7);
        } else if status == 0 {
            r.past_deadline = rng.random_bool(0.3);
        }
        r
    }

    fn add(counts: &mut Counts, r: &Referral) {
        use Count::*;
        let mut one = |c: Count, n: u64| counts[c.index()] += n;
        let delivered = r.status == 1 || r.status == 3;
        one(ReferralsSent, 1);
        one(
            [Open, Completed, Cancelled, PrematurelyEnded][usize::from(r.status)],
            1,
        );
        if let Some(g) = r.withdrawn {
            one(
                [
                    WithdrawnProblem,
                    WithdrawnUser,
                    WithdrawnSentence,
                    WithdrawnEarly,
                    WithdrawnOther,
                ][g],
                1,
            );
        }
        one(AssessmentsAttended, u64::from(r.assessment_attended));
        one(AssessmentsMissed, r.assessments_missed);
        one(SessionsPlanned, r.planned);
        one(SessionsAttended, r.attended);
        one(SessionsMissed, r.missed);
        one(OutcomesAchieved, r.outcomes[0]);
        one(OutcomesPartiallyAchieved, r.outcomes[1]);
        one(OutcomesNotAchieved, r.outcomes[2]);
        one(ConcludedByDeadline, u64::from(delivered && r.on_time));
        one(DeadlineReached, u64::from(delivered || r.past_deadline));
    }

    fn counts_of(referrals: &[Referral]) -> Counts {
        let mut counts = [0; COUNTS];
        for r in referrals {
            add(&mut counts, r);
        }
        complete(&mut counts);
        counts
    }

    /// A reader's bounds, found independently of [`bounds`]: every relation, every cell, full
    /// passes until nothing changes (`None`: no upper bound).
    fn attack(
        values: &[u64],
        hidden: &[bool],
        relations: &[Relation],
    ) -> Vec<(i128, Option<i128>)> {
        let mut b: Vec<(i128, Option<i128>)> = values
            .iter()
            .zip(hidden)
            .map(|(v, h)| {
                if *h {
                    (0, None)
                } else {
                    (i128::from(*v), Some(i128::from(*v)))
                }
            })
            .collect();
        loop {
            let mut changed = false;
            for relation in relations {
                let sides = [
                    (&relation.plus, &relation.minus),
                    (&relation.minus, &relation.plus),
                ];
                for (k, (same, other)) in sides.into_iter().enumerate() {
                    let is_plus = k == 0;
                    for (i, cell) in same.iter().enumerate() {
                        let rest = same.iter().enumerate().filter(|(j, _)| *j != i);
                        let rest_low: i128 = rest.clone().map(|(_, c)| b[*c].0).sum();
                        let rest_high: Option<i128> = rest.map(|(_, c)| b[*c].1).sum();
                        let other_low: i128 = other.iter().map(|c| b[*c].0).sum();
                        let other_high: Option<i128> = other.iter().map(|c| b[*c].1).sum();
                        let (mut low, mut high) = b[*cell];
                        if (is_plus || relation.equal)
                            && let Some(other_high) = other_high
                        {
                            let bound = other_high - rest_low;
                            high = Some(high.map_or(bound, |h| h.min(bound)));
                        }
                        if (!is_plus || relation.equal)
                            && let Some(rest_high) = rest_high
                        {
                            low = low.max(other_low - rest_high);
                        }
                        if (low, high) != b[*cell] {
                            b[*cell] = (low, high);
                            changed = true;
                        }
                    }
                }
            }
            if !changed {
                return b;
            }
        }
    }

    /// Every withheld count keeps two values or more, none known to be small; and every
    /// relation holds of the true figures, so the reader's bounds contain them.
    fn assert_protected(
        rows: &[Counts],
        keys: &[Vec<String>],
        totals: &Counts,
        per_category: &[bool],
        threshold: u64,
    ) -> Withheld {
        assert_protected_with(rows, keys, totals, per_category, &[], threshold)
    }

    /// As [`assert_protected`], with margins counted apart.
    fn assert_protected_with(
        rows: &[Counts],
        keys: &[Vec<String>],
        totals: &Counts,
        per_category: &[bool],
        margins: &[Option<Margin>],
        threshold: u64,
    ) -> Withheld {
        let withheld = suppress(rows, keys, totals, per_category, margins, threshold);
        let cells = relations(rows, keys, totals, per_category, margins);
        let mut hidden: Vec<bool> = withheld
            .rows
            .iter()
            .chain([&withheld.totals])
            .flatten()
            .copied()
            .collect();
        hidden.extend(margins_withheld(
            rows,
            keys,
            totals,
            per_category,
            margins,
            threshold,
        ));
        let bounds = attack(&cells.values, &hidden, &cells.relations);
        // What the one-dimension reports give away with this report withheld whole.
        let mut everything = vec![true; cells.own];
        everything.extend_from_slice(&hidden[cells.own..]);
        let beyond_reach: Vec<bool> = attack(&cells.values, &everything, &cells.relations)
            .iter()
            .zip(&cells.values)
            .map(|((low, high), value)| {
                too_small(*value, threshold)
                    && (high.is_some_and(|h| h == *low)
                        || (*low >= 1 && high.is_some_and(|h| h < i128::from(threshold))))
            })
            .collect();
        for (cell, ((low, high), value)) in bounds.iter().zip(&cells.values).enumerate() {
            let value = i128::from(*value);
            assert!(
                *low <= value && high.is_none_or(|h| value <= h),
                "cell {cell}: {value} outside [{low}, {high:?}]"
            );
            if hidden[cell]
                && (cell < cells.own || too_small(cells.values[cell], threshold))
                && !beyond_reach[cell]
            {
                let threshold = i128::from(threshold);
                let two_values = high.is_none_or(|h| *low < h);
                let pinned_small = *low >= 1 && high.is_some_and(|h| h < threshold);
                let ours = super::bounds(&cells.values, &hidden, &cells.relations)[cell];
                assert!(
                    two_values && !pinned_small,
                    "cell {cell} ({value}) pinned to [{low}, {high:?}] (ours {ours:?}), threshold \
                     {threshold}, {per_category:?} {keys:?}: {rows:?}"
                );
            }
        }
        // Small counts are always withheld.
        for (place, counts) in withheld
            .rows
            .iter()
            .chain([&withheld.totals])
            .zip(rows.iter().chain([totals]))
        {
            for (h, c) in place.iter().zip(counts) {
                assert!(!too_small(*c, threshold) || *h);
            }
        }
        withheld
    }

    fn key(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
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

    fn many(r: Referral, n: usize) -> Vec<Referral> {
        vec![r; n]
    }

    fn open() -> Referral {
        Referral::default()
    }

    fn completed(on_time: bool) -> Referral {
        Referral {
            status: 1,
            assessment_attended: true,
            planned: 2,
            attended: 2,
            outcomes: [1, 0, 0],
            on_time,
            ..Default::default()
        }
    }

    fn cancelled() -> Referral {
        Referral {
            status: 2,
            withdrawn: Some(0),
            ..Default::default()
        }
    }

    const SENT: usize = 0;

    #[test]
    fn small_counts_are_withheld_and_a_sibling_with_them() {
        let rows = [
            counts_of(&many(open(), 10)),
            counts_of(&many(open(), 3)),
            counts_of(&many(open(), 20)),
        ];
        let keys = [key(&["A"]), key(&["B"]), key(&["C"])];
        let withheld = assert_protected(&rows, &keys, &sum(&rows), &[false], 5);
        // B's 3 is too small; A's 10, the smallest other row, goes with it, or B = 33 - 10 - 20.
        assert!(withheld.rows[1][SENT] && withheld.rows[0][SENT]);
        assert!(!withheld.rows[2][SENT] && !withheld.totals[SENT]);
    }

    #[test]
    fn a_row_about_too_few_referrals_publishes_nothing() {
        let rows = [
            counts_of(&many(completed(true), 2)),
            counts_of(&many(open(), 40)),
            counts_of(&many(open(), 30)),
        ];
        let keys = [key(&["A"]), key(&["B"]), key(&["C"])];
        let withheld = assert_protected(&rows, &keys, &sum(&rows), &[false], 5);
        // Every count about the two is withheld; only zeros the other figures give away
        // anyway (no other row has a completion, so the totals say it) may show.
        for (hidden, value) in withheld.rows[0].iter().zip(&rows[0]) {
            assert!(*hidden || *value == 0, "{:?}", withheld.rows[0]);
        }
    }

    /// The reproduction, in today's definitions: one PDU, 3 of 10 referrals completed on time,
    /// 7 open and not yet due. Completed (3) and open (7) share the row's sum, but delivered by
    /// the deadline (3) ≤ completed ≤ deadline reached (3) pins completed to 3: one of those
    /// two must go too.
    #[test]
    fn inequalities_between_measures_cannot_pin_a_withheld_count() {
        let mut referrals = many(completed(true), 3);
        referrals.extend(many(open(), 7));
        let rows = [counts_of(&referrals), counts_of(&many(open(), 30))];
        let keys = [key(&["A"]), key(&["B"])];
        let withheld = assert_protected(&rows, &keys, &sum(&rows), &[false], 5);
        let hidden = |c: Count| withheld.rows[0][c.index()];
        assert!(hidden(Count::Completed));
        assert!(hidden(Count::ConcludedByDeadline) || hidden(Count::DeadlineReached));
    }

    #[test]
    fn withdrawal_groupings_cannot_give_away_a_status() {
        // Five sent: one cancelled (withdrawn, problem), four open. Without care, withdrawals
        // (1, published as a small count? no: withheld) bound cancelled from above.
        let mut referrals = vec![cancelled()];
        referrals.extend(many(open(), 9));
        let rows = [counts_of(&referrals), counts_of(&many(open(), 20))];
        let keys = [key(&["A"]), key(&["B"])];
        assert_protected(&rows, &keys, &sum(&rows), &[false], 5);
    }

    #[test]
    fn two_dimension_margins_are_protected() {
        let rows = [
            counts_of(&many(open(), 2)),
            counts_of(&many(open(), 10)),
            counts_of(&many(open(), 30)),
            counts_of(&many(open(), 40)),
        ];
        let keys = [
            key(&["A", "F"]),
            key(&["A", "M"]),
            key(&["B", "F"]),
            key(&["B", "M"]),
        ];
        let withheld = assert_protected(&rows, &keys, &sum(&rows), &[false, false], 5);
        assert!(withheld.rows[0][SENT] && withheld.rows[1][SENT]);
        assert!(withheld.rows[2][SENT] && withheld.rows[3][SENT]);
    }

    /// A row's counts about `n` referrals, in proportions a busy row has (every relation holds).
    fn busy(n: u64) -> Counts {
        use Count::*;
        let mut c = [0; COUNTS];
        let mut set = |count: Count, v: u64| c[count.index()] = v;
        let (completed, cancelled, ended) = (n * 4 / 10, n * 2 / 10, n / 10);
        set(ReferralsSent, n);
        set(Completed, completed);
        set(Cancelled, cancelled);
        set(PrematurelyEnded, ended);
        set(Open, n - completed - cancelled - ended);
        set(WithdrawnProblem, cancelled);
        set(WithdrawnUser, ended);
        set(AssessmentsAttended, completed + ended);
        set(AssessmentsMissed, n / 5);
        set(SessionsPlanned, (completed + ended) * 3);
        set(SessionsAttended, (completed + ended) * 2);
        set(SessionsMissed, n * 3 / 10);
        set(OutcomesAchieved, completed);
        set(OutcomesPartiallyAchieved, ended);
        set(ConcludedByDeadline, (completed + ended) * 8 / 10);
        set(DeadlineReached, completed + ended);
        complete(&mut c);
        c
    }

    /// What a perturbation search returns, once withheld, leaves a reader both readings of the
    /// count: its value and its value moved out of the small range, both within the bounds.
    #[test]
    fn a_perturbation_withheld_lets_the_count_move() {
        let (rows, keys) = pinned_report(8, 12);
        let cells = relations(&rows, &keys, &sum(&rows), &[false, false], &[]);
        let x = cell_of_row(10, Count::SessionsAttended);
        let touching = touching(cells.values.len(), &cells.relations);
        let room = perturbation::Room::of(&cells);
        let mut found = 0;
        for by in [-3, 2] {
            let mut hidden = vec![false; cells.values.len()];
            hidden[x] = true;
            let Some(moved) =
                perturbation::freeing(&cells, &touching, &room, &hidden, x, by, |c| c)
            else {
                continue;
            };
            found += 1;
            assert!(!moved.is_empty() && !moved.contains(&x));
            for c in moved {
                hidden[c] = true;
            }
            let (low, high) = attack(&cells.values, &hidden, &cells.relations)[x];
            let moved_to = 3 + i128::from(by);
            assert!(
                low <= moved_to && high.is_none_or(|h| moved_to <= h),
                "{by}: [{low}, {high:?}]"
            );
        }
        assert!(found > 0, "no perturbation either way");
    }

    /// Providers by month: large rows, the current month's rows all open (zeros below their
    /// referrals), and in the month before it a count of 3 sessions attended by the first
    /// provider.
    fn pinned_report(providers: u64, months: u64) -> (Vec<Counts>, Vec<Vec<String>>) {
        let mut rows = Vec::new();
        let mut keys = Vec::new();
        for p in 0..providers {
            for m in 0..months {
                let n = 20 + (p * 37 + m * 11) % 180;
                let mut row = if m == months - 1 {
                    let mut open = [0; COUNTS];
                    open[Count::ReferralsSent.index()] = n;
                    open[Count::Open.index()] = n;
                    open
                } else {
                    busy(n)
                };
                if p == 0 && m == months - 2 {
                    row[Count::SessionsAttended.index()] = 3;
                    complete(&mut row);
                }
                rows.push(row);
                keys.push(vec![format!("p{p:02}"), format!("m{m:02}")]);
            }
        }
        (rows, keys)
    }

    /// Providers by month as at 1M: large rows, the current month's rows all open (zeros
    /// below their referrals), and one small count in a large row, pinned by its row's sums
    /// and both its margins. Partners withheld one relation at a time are pinned in turn, so
    /// the rounds used to walk the whole column, one count a round (2,570 rounds, 28 s at
    /// 1M); a perturbation of the counts around it frees it in a few.
    #[test]
    fn a_count_pinned_by_its_row_and_margins_is_freed_in_a_few_rounds() {
        let months = 30;
        let (rows, keys) = pinned_report(12, months);
        let withheld = assert_protected(&rows, &keys, &sum(&rows), &[false, false], 5);
        let small = cell_of_row(months as usize - 2, Count::SessionsAttended);
        assert!(withheld.rows[small / COUNTS][small % COUNTS]);
        assert!(
            withheld.rounds <= 12,
            "{} rounds to protect one count",
            withheld.rounds
        );
    }

    /// The attacker, over random reports from random referrals: one and two dimensions, and
    /// rows that overlap (a referral under each of its categories).
    #[test]
    fn no_withheld_count_can_be_worked_out() {
        let mut rng = ChaCha8Rng::seed_from_u64(13);
        for round in 0..300 {
            let threshold = rng.random_range(2..8);
            let shape = round % 3;
            let groups = rng.random_range(1..10);
            let referrals: Vec<Referral> = (0..rng.random_range(1..80))
                .map(|_| random_referral(&mut rng))
                .collect();
            let mut members: BTreeMap<Vec<String>, Vec<Referral>> = BTreeMap::new();
            for r in &referrals {
                let g = rng.random_range(0..groups);
                let mut keys = vec![vec![format!("d{}", g % 3)]];
                if shape == 1 {
                    keys[0].push(format!("e{}", g / 3));
                }
                if shape == 2 && rng.random_bool(0.4) {
                    // A second category: the referral counts in both rows.
                    keys.push(vec![format!("d{}", (g + 1) % 3)]);
                }
                for key in keys {
                    members.entry(key).or_default().push(*r);
                }
            }
            let keys: Vec<Vec<String>> = members.keys().cloned().collect();
            let rows: Vec<Counts> = members.values().map(|m| counts_of(m)).collect();
            let totals = counts_of(&referrals);
            let per_category = match shape {
                1 => vec![false, false],
                2 => vec![true],
                _ => vec![false],
            };
            assert_protected(&rows, &keys, &totals, &per_category, threshold);
        }
    }

    /// A dimension beside a category dimension (region × service category, say): a referral
    /// with two categories is in two rows of its region, so the region's margin is what the
    /// one-dimension report counts, not the rows added up. Before margins could be counted
    /// apart, such reports fed the audit relations that were false and overflowed its bounds.
    #[test]
    fn margins_beside_a_category_dimension_are_counted_apart() {
        let mut rng = ChaCha8Rng::seed_from_u64(17);
        for round in 0..120 {
            let threshold = rng.random_range(2..8);
            let category_first = round % 2 == 0;
            let referrals: Vec<Referral> = (0..rng.random_range(1..80))
                .map(|_| random_referral(&mut rng))
                .collect();
            let mut members: BTreeMap<Vec<String>, Vec<Referral>> = BTreeMap::new();
            let mut by_region: BTreeMap<String, Vec<Referral>> = BTreeMap::new();
            for r in &referrals {
                let region = format!("r{}", rng.random_range(0..3));
                let first = rng.random_range(0..3);
                let mut categories = vec![format!("c{first}")];
                if rng.random_bool(0.5) {
                    categories.push(format!("c{}", (first + 1) % 3));
                }
                for category in categories {
                    let key = if category_first {
                        vec![category, region.clone()]
                    } else {
                        vec![region.clone(), category]
                    };
                    members.entry(key).or_default().push(*r);
                }
                by_region.entry(region).or_default().push(*r);
            }
            let keys: Vec<Vec<String>> = members.keys().cloned().collect();
            let rows: Vec<Counts> = members.values().map(|m| counts_of(m)).collect();
            let totals = counts_of(&referrals);
            let margin: Margin = by_region
                .iter()
                .map(|(region, rs)| (region.clone(), counts_of(rs)))
                .collect();
            let (per_category, margins) = if category_first {
                (vec![true, false], vec![None, Some(margin)])
            } else {
                (vec![false, true], vec![Some(margin), None])
            };
            assert_protected_with(&rows, &keys, &totals, &per_category, &margins, threshold);
        }
    }

    /// Facts that break a relation (an older release's, say) still give an answer: bounds
    /// saturate rather than overflow.
    #[test]
    fn facts_that_break_a_relation_do_not_overflow_the_audit() {
        let mut rows = vec![[0; COUNTS]; 3];
        for (i, row) in rows.iter_mut().enumerate() {
            row[Count::ReferralsSent.index()] = 10;
            row[Count::Open.index()] = 10;
            // More attended than planned, which no journey gives.
            row[Count::SessionsAttended.index()] = 50 + i as u64;
            row[Count::SessionsPlanned.index()] = 1;
            row[Count::SessionsMissed.index()] = 3;
            complete(row);
        }
        let keys: Vec<Vec<String>> = (0..3).map(|i| key(&[&format!("d{i}")])).collect();
        let withheld = suppress(&rows, &keys, &sum(&rows), &[false], &[], 5);
        for row in &withheld.rows {
            assert!(
                row[Count::SessionsMissed.index()],
                "the small count stays withheld"
            );
        }
    }

    /// The cells of a two-dimension report of `referrals` random referrals, each in one of
    /// `values.0` × `values.1` groups at random.
    fn random_cells(rng: &mut ChaCha8Rng, referrals: usize, values: (u32, u32)) -> Cells {
        let referrals: Vec<Referral> = (0..referrals).map(|_| random_referral(rng)).collect();
        let mut members: BTreeMap<Vec<String>, Vec<Referral>> = BTreeMap::new();
        for r in &referrals {
            let key = vec![
                format!("d{}", rng.random_range(0..values.0)),
                format!("e{}", rng.random_range(0..values.1)),
            ];
            members.entry(key).or_default().push(*r);
        }
        let keys: Vec<Vec<String>> = members.keys().cloned().collect();
        let rows: Vec<Counts> = members.values().map(|m| counts_of(m)).collect();
        relations(&rows, &keys, &counts_of(&referrals), &[false, false], &[])
    }

    /// Bounds by sweeping every relation until a sweep tightens nothing: what the queue of
    /// relations in [`bounds`] must find.
    fn swept(values: &[u64], hidden: &[bool], relations: &[Relation]) -> Vec<(i64, i64)> {
        let mut interval = unbounded_if_hidden(values, hidden);
        let mut moved = Vec::new();
        loop {
            for relation in relations {
                tighten(relation, hidden, &mut interval, &mut moved);
            }
            if moved.is_empty() {
                return interval;
            }
            moved.clear();
        }
    }

    /// Tightens the bounds of the hidden cells of one relation, adding those that moved to
    /// `tightened`.
    fn tighten(
        relation: &Relation,
        hidden: &[bool],
        interval: &mut [(i64, i64)],
        tightened: &mut Vec<usize>,
    ) {
        let sides = Sides::of(relation, interval);
        for (cells, is_plus) in [(&relation.plus, true), (&relation.minus, false)] {
            for cell in cells.iter().copied().filter(|c| hidden[*c]) {
                let current = interval[cell];
                let (low, high) = sides.implied(relation.equal, is_plus, current);
                let narrower = (current.0.max(low), current.1.min(high));
                if narrower != current {
                    interval[cell] = narrower;
                    tightened.push(cell);
                }
            }
        }
    }

    #[test]
    fn the_queue_of_relations_bounds_every_cell_as_sweeping_them_all_does() {
        let mut rng = ChaCha8Rng::seed_from_u64(29);
        let mut pinned = 0;
        for _ in 0..200 {
            let size = rng.random_range(1..120);
            let cells = random_cells(&mut rng, size, (4, 3));
            let share = rng.random_range(0.1..0.9);
            let hidden: Vec<bool> = (0..cells.values.len())
                .map(|_| rng.random_bool(share))
                .collect();
            let queued = bounds(&cells.values, &hidden, &cells.relations);
            assert_eq!(queued, swept(&cells.values, &hidden, &cells.relations));
            pinned += (0..hidden.len())
                .filter(|c| hidden[*c] && queued[*c].0 == queued[*c].1)
                .count();
        }
        // The reports are such that propagation pins withheld cells, not only leaves them open.
        assert!(pinned > 100, "{pinned}");
    }

    #[test]
    fn bounds_kept_from_round_to_round_are_those_worked_out_afresh() {
        let mut rng = ChaCha8Rng::seed_from_u64(31);
        let cells = random_cells(&mut rng, 300, (6, 5));
        let touching = touching(cells.values.len(), &cells.relations);
        let mut hidden = vec![false; cells.values.len()];
        let mut open = Open::of(&cells.values, &cells.relations, &hidden);
        for _ in 0..12 {
            let withheld: Vec<usize> = (0..40)
                .map(|_| rng.random_range(0..cells.values.len()))
                .collect();
            for &cell in &withheld {
                hidden[cell] = true;
            }
            open.withhold(&withheld, &touching, &hidden);
            assert_eq!(
                open.bounds(&hidden, &touching),
                swept(&cells.values, &hidden, &cells.relations)
            );
        }
    }

    #[test]
    fn propagation_finds_what_subtraction_and_inequalities_give() {
        // a + b = 10 with a hidden and b = 7: a = 3. c ≤ a and c published 3: nothing more.
        let relations = vec![
            Relation {
                plus: vec![0, 1],
                minus: vec![2],
                equal: true,
            },
            Relation {
                plus: vec![3],
                minus: vec![0],
                equal: false,
            },
        ];
        let values = [3, 7, 10, 3];
        let b = bounds(&values, &[true, false, false, false], &relations);
        assert_eq!(b[0], (3, 3));
        let b = bounds(&values, &[true, true, false, false], &relations);
        assert_eq!(b[0], (3, 10));
        assert_eq!(b[1], (0, 7));
        assert!(protected(b[0], 5) && !protected((3, 3), 5) && !protected((1, 4), 5));
        assert!(protected((0, 1), 5) && protected((4, 5), 5));
    }
}
