//! Disclosure control of large outcome reports, in process: `cargo bench --bench disclosure`.
//!
//! Two-dimension reports of 20 × 20 and 120 × 66 rows (delivery units by months since launch;
//! most rows large, one in six small), their counts consistent with the report's relations, and
//! the 20 × 20 rows as one dimension. Measured on the 2-core machine: 22 ms for 20 × 20, 194 ms
//! for 120 × 66 (7,920 rows, 178,000 cells), 1.7 ms for 400 rows of one dimension.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    missing_debug_implementations
)]

use criterion::{Criterion, criterion_group, criterion_main};
use crs_api::domain::outcome_report::disclosure;
use crs_api::domain::outcome_report::measures::{COUNTS, Count, Counts, complete};

/// The counts of `n` referrals in proportions a real row has (and every relation holds).
fn row(n: u64) -> Counts {
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

/// A report of `units` delivery units by `months` months, one row per pair.
fn report(units: usize, months: usize) -> (Vec<Counts>, Vec<Vec<String>>, Counts) {
    let mut rows = Vec::new();
    let mut keys = Vec::new();
    let mut seed: u64 = 7;
    for unit in 0..units {
        for month in 0..months {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let n = if (seed >> 33).is_multiple_of(6) {
                1 + (seed >> 40) % 4
            } else {
                5 + (seed >> 40) % 200
            };
            rows.push(row(n));
            keys.push(vec![format!("u{unit}"), format!("m{month}")]);
        }
    }
    let mut totals = [0; COUNTS];
    for r in &rows {
        for (t, c) in totals.iter_mut().zip(r) {
            *t += c;
        }
    }
    (rows, keys, totals)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("disclosure");
    group.sample_size(10);
    for (units, months) in [(20, 20), (120, 66)] {
        let (rows, keys, totals) = report(units, months);
        group.bench_function(format!("suppress {units} x {months}"), |b| {
            b.iter(|| disclosure::suppress(&rows, &keys, &totals, &[false, false], &[], 5));
        });
    }
    let (rows, keys, totals) = report(20, 20);
    let one: Vec<Vec<String>> = keys.iter().map(|k| vec![k.join("/")]).collect();
    group.bench_function("suppress 400 rows, one dimension", |b| {
        b.iter(|| disclosure::suppress(&rows, &one, &totals, &[false], &[], 5));
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
