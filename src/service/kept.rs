//! Rows nearly every page names and that change rarely (providers, a contract's
//! subcontractors, the users named as assignees and actors), kept across requests for the
//! same bounded time as token scopes (`CRS_SCOPE_CACHE_SECONDS`, 30 s by default): the longest
//! a renamed provider, a changed subcontract or a renamed user goes unseen. Only what the
//! caller was already allowed to reach is looked up through them (see `graphql::loaders`), so
//! keeping them across callers shows nobody anything new.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::Duration;

use uuid::Uuid;

use crate::db::users::RecordedUser;
use crate::domain::actor::UserId;
use crate::domain::catalogue::ServiceProvider;

/// Distinct keys kept per kind of row.
const CAPACITY: u64 = 20_000;

/// Values by key for a bounded time; with no time, nothing is kept.
#[derive(Clone)]
pub struct Kept<K, V> {
    values: Option<moka::sync::Cache<K, V>>,
}

impl<K, V> std::fmt::Debug for Kept<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kept")
            .field("enabled", &self.values.is_some())
            .finish()
    }
}

impl<K, V> Kept<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// Keeps each value for `ttl`; zero keeps none.
    pub fn new(ttl: Duration) -> Self {
        let values = (!ttl.is_zero()).then(|| {
            moka::sync::Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(ttl)
                .build()
        });
        Kept { values }
    }

    /// The kept values of `keys`, and the keys that must be read.
    pub fn split(&self, keys: impl IntoIterator<Item = K>) -> (HashMap<K, V>, Vec<K>) {
        let mut found = HashMap::new();
        let mut missing = Vec::new();
        for key in keys {
            match self.values.as_ref().and_then(|values| values.get(&key)) {
                Some(value) => {
                    found.insert(key, value);
                }
                None => missing.push(key),
            }
        }
        (found, missing)
    }

    /// Keeps `value` under `key`.
    pub fn keep(&self, key: K, value: V) {
        if let Some(values) = &self.values {
            values.insert(key, value);
        }
    }

    /// Forgets the value of `key`.
    pub fn forget(&self, key: &K) {
        if let Some(values) = &self.values {
            values.invalidate(key);
        }
    }
}

/// The rows kept across requests.
#[derive(Clone, Debug)]
pub struct KeptRows {
    /// Providers by code.
    pub providers: Kept<String, ServiceProvider>,
    /// The subcontractors of a contract, by contract id (an empty list is kept too).
    pub subcontractors: Kept<Uuid, Vec<ServiceProvider>>,
    /// Recorded users by id.
    pub users: Kept<UserId, RecordedUser>,
}

impl KeptRows {
    /// Keeps each row for `ttl`; zero keeps none.
    pub fn new(ttl: Duration) -> Self {
        KeptRows {
            providers: Kept::new(ttl),
            subcontractors: Kept::new(ttl),
            users: Kept::new(ttl),
        }
    }
}

impl Default for KeptRows {
    fn default() -> Self {
        KeptRows::new(super::viewer::DEFAULT_SCOPE_TTL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_value_is_found_and_others_are_missing() {
        let kept: Kept<u32, &str> = Kept::new(Duration::from_secs(60));
        kept.keep(1, "one");
        let (found, missing) = kept.split([1, 2]);
        assert_eq!(found.get(&1), Some(&"one"));
        assert_eq!(missing, vec![2]);
        kept.forget(&1);
        assert_eq!(kept.split([1]).1, vec![1]);
    }

    #[test]
    fn with_no_time_nothing_is_kept() {
        let kept: Kept<u32, &str> = Kept::new(Duration::ZERO);
        kept.keep(1, "one");
        assert_eq!(kept.split([1]).1, vec![1]);
    }
}
