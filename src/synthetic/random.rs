//! Seeded randomness: every referral draws from its own stream of one seed, so the data set is
//! the same for the same seed whatever order it is made in.

use chrono::{DateTime, Duration, Utc};
use rand::{Rng as _, SeedableRng};
use uuid::Uuid;

/// The generator (ChaCha8: fast, and the same on every platform and version of `rand`).
pub type Rng = rand_chacha::ChaCha8Rng;

/// Stream `stream` of `seed`.
pub fn stream(seed: u64, stream: u64) -> Rng {
    let mut rng = Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// One of `items` (which must not be empty), uniformly.
pub fn pick<'a, T>(rng: &mut Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// One of `items` with probability proportional to its weight (weights must not all be 0).
pub fn weighted<'a, T>(rng: &mut Rng, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut left = rng.random_range(0..total.max(1));
    for (item, weight) in items {
        if left < *weight {
            return item;
        }
        left -= weight;
    }
    &items[items.len() - 1].0
}

/// `true` with probability `p`.
pub fn chance(rng: &mut Rng, p: f64) -> bool {
    rng.random_bool(p.clamp(0.0, 1.0))
}

/// A whole number in `low..=high`.
pub fn between(rng: &mut Rng, low: i64, high: i64) -> i64 {
    rng.random_range(low..=high.max(low))
}

/// A random version-4 id.
pub fn uuid_v4(rng: &mut Rng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.random()).into_uuid()
}

/// A version-7 id for something made at `at`; `sequence` orders ids made in one millisecond.
pub fn uuid_v7(rng: &mut Rng, at: DateTime<Utc>, sequence: u16) -> Uuid {
    let mut bytes: [u8; 10] = rng.random();
    bytes[..2].copy_from_slice(&sequence.to_be_bytes());
    let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(millis, &bytes).into_uuid()
}

/// A span of between `low` and `high` minutes.
pub fn minutes(rng: &mut Rng, low: i64, high: i64) -> Duration {
    Duration::minutes(between(rng, low, high))
}

/// A span of between `low` and `high` days, at a random minute.
pub fn days(rng: &mut Rng, low: i64, high: i64) -> Duration {
    Duration::days(between(rng, low, high)) + minutes(rng, 0, 8 * 60)
}
