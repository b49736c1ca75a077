//! A way out for a withheld count that the audit's rounds leave exposed: a set of counts that
//! can all move together, by amounts that keep every relation of the report true, while the
//! exposed count moves out of the small range. Withholding the published ones among them leaves
//! a reader two consistent readings of the report, so the count is protected.
//!
//! The round-by-round choice of partners ([`super::disclosure::suppress`]) withholds one
//! partner per relation, which in a table whose rows, columns and within-row sums are all
//! published frees nothing on its own: the partner is pinned by its own row or column in turn,
//! and the rounds walk a whole column one count at a time. A perturbation closes the cycle
//! (the four corners of a rectangle in two dimensions, and the counts that keep each row's sums
//! in step) in one step.

use std::collections::HashMap;

use super::cells::Cells;

/// Most moves a perturbation may make before the search gives up.
const MOST_MOVED: usize = 96;

/// The published counts to withhold so that `cell` can move by `by` (up or down) with every
/// relation still true and every count at least zero, preferring counts already withheld, then
/// by `cost`. `None` when no such set is found within [`MOST_MOVED`] counts.
pub fn freeing<K: Ord>(
    cells: &Cells,
    touching: &[Vec<usize>],
    room: &Room,
    hidden: &[bool],
    cell: usize,
    by: i64,
    cost: impl Fn(usize) -> K,
) -> Option<Vec<usize>> {
    let mut search = Search {
        cells,
        touching,
        room,
        moved: HashMap::new(),
        excess: HashMap::new(),
        used: HashMap::new(),
        pending: Vec::new(),
    };
    search.shift(cell, by);
    let mut moves = 0;
    while let Some(relation) = search.pending.pop() {
        let Some(needed) = search.needed(relation) else {
            continue;
        };
        let best = search.best_move(relation, needed, hidden, &cost);
        let (next, delta) = best?;
        search.shift(next, delta);
        moves += 1;
        if moves > MOST_MOVED {
            return None;
        }
        search.pending.push(relation);
    }
    let mut published: Vec<usize> = search
        .moved
        .iter()
        .filter(|(c, delta)| **delta != 0 && !hidden[**c])
        .map(|(c, _)| *c)
        .collect();
    published.sort_unstable();
    Some(published)
}

/// What each relation allows a perturbation: how far its plus side is below its minus side in
/// the true counts (zero for an equality), and how many of this report's counts on each side
/// could move up (any) or down (those above zero).
#[derive(Debug)]
pub struct Room {
    slack: Vec<i64>,
    /// Per relation and side (plus, minus): counts of this report, and those above zero.
    movable: Vec<[(u32, u32); 2]>,
}

impl Room {
    pub fn of(cells: &Cells) -> Room {
        let sum = |side: &[usize]| -> i64 {
            side.iter()
                .map(|c| i64::try_from(cells.values[*c]).unwrap_or(i64::MAX / 4))
                .fold(0i64, i64::saturating_add)
        };
        let movable = |side: &[usize]| {
            let own = side.iter().filter(|c| **c < cells.own);
            let up = u32::try_from(own.clone().count()).unwrap_or(u32::MAX);
            let down =
                u32::try_from(own.filter(|c| cells.values[**c] > 0).count()).unwrap_or(u32::MAX);
            (up, down)
        };
        Room {
            slack: cells
                .relations
                .iter()
                .map(|r| sum(&r.minus).saturating_sub(sum(&r.plus)))
                .collect(),
            movable: cells
                .relations
                .iter()
                .map(|r| [movable(&r.plus), movable(&r.minus)])
                .collect(),
        }
    }
}

/// A perturbation being built: how far each count moves and what that does to each relation.
struct Search<'a> {
    cells: &'a Cells,
    touching: &'a [Vec<usize>],
    room: &'a Room,
    /// How far each moved count moves.
    moved: HashMap<usize, i64>,
    /// Per relation touched: Σ plus moves − Σ minus moves.
    excess: HashMap<usize, i64>,
    /// Per relation touched and side: the moved counts, and those of them above zero (no
    /// longer free to move).
    used: HashMap<usize, [(u32, u32); 2]>,
    /// Relations to check.
    pending: Vec<usize>,
}

impl Search<'_> {
    /// The count not moved yet to move so that a relation's side changes by `needed`, and how
    /// far: the one breaking the fewest other relations, then a whole move before a part, a
    /// count already withheld, the cheapest.
    fn best_move<K: Ord>(
        &self,
        relation: usize,
        needed: i64,
        hidden: &[bool],
        cost: &impl Fn(usize) -> K,
    ) -> Option<(usize, i64)> {
        let r = &self.cells.relations[relation];
        r.plus
            .iter()
            .map(|c| (*c, true))
            .chain(r.minus.iter().map(|c| (*c, false)))
            .filter(|(c, _)| *c < self.cells.own && !self.moved.contains_key(c))
            .filter_map(|(c, plus)| {
                // A count too small to go down that far goes to zero, and another gives the
                // rest.
                let delta = if plus { needed } else { -needed };
                let value = i64::try_from(self.cells.values[c]).ok()?;
                (value > 0 || delta > 0).then_some((c, delta.max(-value)))
            })
            .min_by_key(|(c, delta)| {
                let (broken, mended) = self.effect(*c, *delta, relation);
                let whole = delta.abs() == needed.abs();
                (broken - mended, !whole, !hidden[*c], cost(*c))
            })
    }

    /// Moves a count not moved yet, and queues its relations.
    fn shift(&mut self, cell: usize, delta: i64) {
        self.moved.insert(cell, delta);
        let positive = u32::from(self.cells.values[cell] > 0);
        for r in &self.touching[cell] {
            let sign = self.sign(*r, cell);
            *self.excess.entry(*r).or_insert(0) += sign * delta;
            let used = &mut self.used.entry(*r).or_insert([(0, 0); 2])[usize::from(sign < 0)];
            used.0 += 1;
            used.1 += positive;
            self.pending.push(*r);
        }
    }

    /// +1 for a count on the plus side of a relation, −1 on its minus side.
    fn sign(&self, relation: usize, cell: usize) -> i64 {
        if self.cells.relations[relation].has_plus(cell) {
            1
        } else {
            -1
        }
    }

    /// What a relation still needs from one more count to hold again (`None`: it holds).
    fn needed(&self, relation: usize) -> Option<i64> {
        let excess = self.excess.get(&relation).copied().unwrap_or(0);
        let r = &self.cells.relations[relation];
        if r.equal {
            return (excess != 0).then_some(-excess);
        }
        let slack = self.room.slack[relation];
        (excess > slack).then_some(slack - excess)
    }

    /// How many relations of a count (other than `mending`) moving it by `delta` would break
    /// (a relation no other count could mend counts many times over), and how many it would
    /// mend.
    fn effect(&self, cell: usize, delta: i64, mending: usize) -> (i64, i64) {
        let (mut broken, mut mended) = (0, 0);
        for r in &self.touching[cell] {
            if *r == mending {
                continue;
            }
            let sign = self.sign(*r, cell);
            let before = self.excess.get(r).copied().unwrap_or(0);
            let after = before + sign * delta;
            let violation = |excess: i64| {
                if self.cells.relations[*r].equal {
                    excess.abs()
                } else {
                    (excess - self.room.slack[*r]).max(0)
                }
            };
            let (was, will) = (violation(before), violation(after));
            if will > was {
                broken += if self.mendable(*r, cell, sign, after) {
                    1
                } else {
                    UNMENDABLE
                };
            } else if was > 0 && will == 0 {
                mended += 1;
            }
        }
        (broken, mended)
    }

    /// Whether a count other than `cell` (on the `sign` side) could bring a relation's excess
    /// back: down needs a count on the plus side to go down or one on the minus side to go up.
    fn mendable(&self, relation: usize, cell: usize, sign: i64, excess: i64) -> bool {
        let [(plus_up, plus_down), (minus_up, minus_down)] = self.room.movable[relation];
        let [
            (plus_up_used, plus_down_used),
            (minus_up_used, minus_down_used),
        ] = self.used.get(&relation).copied().unwrap_or([(0, 0); 2]);
        // Free on each side: not moved yet, and not `cell` itself.
        let positive = u32::from(self.cells.values[cell] > 0);
        let (this_up, this_down) = if sign > 0 { (1, positive) } else { (0, 0) };
        let plus_up = plus_up.saturating_sub(plus_up_used + this_up);
        let plus_down = plus_down.saturating_sub(plus_down_used + this_down);
        let (this_up, this_down) = if sign < 0 { (1, positive) } else { (0, 0) };
        let minus_up = minus_up.saturating_sub(minus_up_used + this_up);
        let minus_down = minus_down.saturating_sub(minus_down_used + this_down);
        if excess > 0 {
            plus_down > 0 || minus_up > 0
        } else {
            plus_up > 0 || minus_down > 0
        }
    }
}

/// How many broken relations one that nothing could mend counts as.
const UNMENDABLE: i64 = 1000;
