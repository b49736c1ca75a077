//! Rate limits (OWASP API4/API6), each a GCRA bucket per key from `governor`:
//! - the query cost of GraphQL operations per caller (their complexity, charged once validated);
//! - report downloads per caller, and subject access requests per caller (stricter: each reads
//!   a lot);
//! - failed authentications per client address (guessing tokens).
//!
//! A refused request is answered HTTP 429, `RATE_LIMITED`, with `Retry-After`. The buckets live
//! in this process: with several instances behind a balancer, each keeps its own, so a caller
//! gets at most the budget per instance (README, "Rate limits").

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::RateLimitSettings;
use crate::error::AppError;

/// Which limit refused a request (the label of `crs_rate_limited_total`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    QueryCost,
    Downloads,
    SubjectAccess,
    FailedAuthentication,
}

impl Limit {
    /// The metric label.
    pub fn label(self) -> &'static str {
        match self {
            Limit::QueryCost => "query_cost",
            Limit::Downloads => "downloads",
            Limit::SubjectAccess => "subject_access",
            Limit::FailedAuthentication => "failed_authentication",
        }
    }
}

/// A refusal: which limit, and how long until the request would be let through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub limit: Limit,
    pub retry_after: Duration,
}

impl Refusal {
    /// Whole seconds to wait, at least one (the `Retry-After` value).
    pub fn retry_after_seconds(&self) -> u64 {
        self.retry_after.as_secs_f64().ceil().max(1.0) as u64
    }

    /// The error a client is answered with, naming the limit.
    pub fn error(&self) -> AppError {
        let what = match self.limit {
            Limit::QueryCost => "the query cost budget of this caller is spent",
            Limit::Downloads => "too many report downloads by this caller",
            Limit::SubjectAccess => "too many subject access requests by this caller",
            Limit::FailedAuthentication => "too many failed authentications from this address",
        };
        AppError::RateLimited(format!(
            "{what}; try again in {} s",
            self.retry_after_seconds()
        ))
    }
}

/// A budget of `amount` per `per`, refilled evenly.
fn quota(amount: NonZeroU32, per: Duration) -> Quota {
    let step = per / amount.get();
    Quota::with_period(step.max(Duration::from_nanos(1)))
        .unwrap_or_else(|| Quota::per_second(amount))
        .allow_burst(amount)
}

/// Every limit of this instance.
pub struct RateLimits {
    settings: RateLimitSettings,
    cost: DefaultKeyedRateLimiter<String>,
    downloads: DefaultKeyedRateLimiter<String>,
    subject_access: DefaultKeyedRateLimiter<String>,
    failed_authentication: DefaultKeyedRateLimiter<IpAddr>,
}

impl std::fmt::Debug for RateLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimits")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl RateLimits {
    pub fn new(settings: RateLimitSettings) -> Self {
        RateLimits {
            settings,
            cost: RateLimiter::keyed(quota(settings.cost_points, settings.cost_window)),
            downloads: RateLimiter::keyed(quota(settings.downloads, settings.window)),
            subject_access: RateLimiter::keyed(quota(settings.subject_access, settings.window)),
            failed_authentication: RateLimiter::keyed(quota(
                settings.failed_authentications,
                settings.window,
            )),
        }
    }

    fn take<K>(
        &self,
        limiter: &DefaultKeyedRateLimiter<K>,
        key: &K,
        cost: u32,
        limit: Limit,
        budget: NonZeroU32,
        window: Duration,
    ) -> Result<(), Refusal>
    where
        K: Clone + std::hash::Hash + Eq,
    {
        if !self.settings.enabled {
            return Ok(());
        }
        let Some(cost) = NonZeroU32::new(cost.min(budget.get())) else {
            return Ok(());
        };
        match limiter.check_key_n(key, cost) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => Err(Refusal {
                limit,
                retry_after: not_until.wait_time_from(DefaultClock::default().now()),
            }),
            // More than the whole budget at once: never let through within one window.
            Err(_) => Err(Refusal {
                limit,
                retry_after: window,
            }),
        }
    }

    /// Charges `cost` complexity points to `caller`.
    pub fn charge_query_cost(&self, caller: &str, cost: usize) -> Result<(), Refusal> {
        let cost = u32::try_from(cost).unwrap_or(u32::MAX).max(1);
        self.take(
            &self.cost,
            &caller.to_owned(),
            cost,
            Limit::QueryCost,
            self.settings.cost_points,
            self.settings.cost_window,
        )
    }

    /// Counts one report download by `caller`.
    pub fn download(&self, caller: &str) -> Result<(), Refusal> {
        self.take(
            &self.downloads,
            &caller.to_owned(),
            1,
            Limit::Downloads,
            self.settings.downloads,
            self.settings.window,
        )
    }

    /// Counts one subject access request by `caller`.
    pub fn subject_access(&self, caller: &str) -> Result<(), Refusal> {
        self.take(
            &self.subject_access,
            &caller.to_owned(),
            1,
            Limit::SubjectAccess,
            self.settings.subject_access,
            self.settings.window,
        )
    }

    /// Counts one failed authentication from `address`: refused once the address has failed
    /// too often (valid tokens from it are still heard).
    pub fn failed_authentication(&self, address: IpAddr) -> Result<(), Refusal> {
        self.take(
            &self.failed_authentication,
            &address,
            1,
            Limit::FailedAuthentication,
            self.settings.failed_authentications,
            self.settings.window,
        )
    }

    /// Forgets callers whose buckets are full again (keeps memory bounded).
    pub fn forget_idle(&self) {
        self.cost.retain_recent();
        self.downloads.retain_recent();
        self.subject_access.retain_recent();
        self.failed_authentication.retain_recent();
        self.cost.shrink_to_fit();
        self.downloads.shrink_to_fit();
        self.subject_access.shrink_to_fit();
        self.failed_authentication.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> RateLimitSettings {
        RateLimitSettings {
            enabled: true,
            cost_points: NonZeroU32::new(100).unwrap_or(NonZeroU32::MIN),
            cost_window: Duration::from_secs(3600),
            downloads: NonZeroU32::new(3).unwrap_or(NonZeroU32::MIN),
            subject_access: NonZeroU32::new(2).unwrap_or(NonZeroU32::MIN),
            failed_authentications: NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN),
            window: Duration::from_secs(3600),
        }
    }

    #[test]
    fn a_callers_cost_budget_is_their_own() {
        let limits = RateLimits::new(settings());
        let mut admitted = 0;
        for _ in 0..20 {
            if limits.charge_query_cost("a", 30).is_ok() {
                admitted += 1;
            }
        }
        assert_eq!(admitted, 3, "100 points admit three operations of 30");
        let refusal = limits.charge_query_cost("a", 30).err();
        assert!(refusal.is_some_and(|r| r.retry_after_seconds() >= 1));
        assert!(
            limits.charge_query_cost("b", 30).is_ok(),
            "another caller has their own"
        );
    }

    #[test]
    fn subject_access_and_downloads_have_their_own_budgets() {
        let limits = RateLimits::new(settings());
        let sar = (0..10)
            .filter(|_| limits.subject_access("s").is_ok())
            .count();
        let downloads = (0..10).filter(|_| limits.download("s").is_ok()).count();
        assert_eq!((sar, downloads), (2, 3));
    }

    #[test]
    fn disabled_limits_admit_everything() {
        let limits = RateLimits::new(RateLimitSettings {
            enabled: false,
            ..settings()
        });
        assert!((0..200).all(|_| limits.subject_access("s").is_ok()));
    }
}
