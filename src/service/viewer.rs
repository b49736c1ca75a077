//! From a verified principal to a scope: catalogue look-ups for provider users, and recording
//! the user on first sight.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;

use super::Services;
use crate::db;
use crate::domain::actor::{ContractDelivery, Principal, Role, Scope, ScopeError, resolve_scope};
use crate::domain::catalogue::{Contract, Region, ServiceProvider};
use crate::error::AppError;

/// How long a user's record is trusted before it is written again (any change of name, email,
/// roles or groups is written at once).
const RECORD_INTERVAL: Duration = Duration::from_secs(300);
/// Entries kept before the registry forgets everything and starts again.
const REGISTRY_CAPACITY: usize = 10_000;

/// What was last written for a user (name, email, roles, groups), and when.
#[derive(Debug)]
struct Sighting {
    principal: Principal,
    at: Instant,
}

/// Remembers which users were recorded recently, so a busy user costs one write every few
/// minutes rather than one per request.
#[derive(Clone, Debug, Default)]
pub struct UserRegistry {
    recent: Arc<Mutex<HashMap<String, Sighting>>>,
}

impl UserRegistry {
    fn needs_recording(&self, principal: &Principal) -> bool {
        let Ok(recent) = self.recent.lock() else {
            return true;
        };
        match recent.get(&principal.user_id.0) {
            Some(seen) => seen.principal != *principal || seen.at.elapsed() > RECORD_INTERVAL,
            None => true,
        }
    }

    fn remember(&self, principal: &Principal) {
        if let Ok(mut recent) = self.recent.lock() {
            if recent.len() >= REGISTRY_CAPACITY {
                recent.clear();
            }
            let seen = Sighting {
                principal: principal.clone(),
                at: Instant::now(),
            };
            recent.insert(principal.user_id.0.clone(), seen);
        }
    }
}

/// How long a resolved scope is used before the catalogue is read again, unless configured
/// (`CRS_SCOPE_CACHE_SECONDS`): the longest a changed catalogue goes unseen by a caller.
pub const DEFAULT_SCOPE_TTL: Duration = Duration::from_secs(30);
/// Distinct tokens' scopes kept at once.
const SCOPE_CAPACITY: u64 = 10_000;

/// Scopes already resolved, by the principal a token describes (its user, roles and groups),
/// each kept for a bounded time: a request of a token seen recently reads nothing to know
/// what its caller may see. Refusals are kept too, so a refused token cannot make the server
/// read the catalogue on every request either.
#[derive(Clone)]
pub struct ScopeCache {
    resolved: Option<moka::sync::Cache<Principal, Result<Scope, ScopeError>>>,
    ttl: Duration,
}

impl std::fmt::Debug for ScopeCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScopeCache")
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl Default for ScopeCache {
    fn default() -> Self {
        ScopeCache::new(DEFAULT_SCOPE_TTL)
    }
}

impl ScopeCache {
    /// A cache keeping each scope for `ttl`; zero keeps none (every request reads the catalogue).
    pub fn new(ttl: Duration) -> Self {
        let resolved = (!ttl.is_zero()).then(|| {
            moka::sync::Cache::builder()
                .max_capacity(SCOPE_CAPACITY)
                .time_to_live(ttl)
                .build()
        });
        ScopeCache { resolved, ttl }
    }

    /// How long a scope is kept.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Forgets every scope (after this process changed the catalogue).
    pub fn clear(&self) {
        if let Some(resolved) = &self.resolved {
            resolved.invalidate_all();
        }
    }

    fn get(&self, principal: &Principal) -> Option<Result<Scope, ScopeError>> {
        self.resolved.as_ref()?.get(principal)
    }

    fn keep(&self, principal: &Principal, scope: &Result<Scope, ScopeError>) {
        if let Some(resolved) = &self.resolved {
            resolved.insert(principal.clone(), scope.clone());
        }
    }
}

/// The providers and contracts a provider user's groups name, as the catalogue has them.
async fn organisations(
    services: &Services,
    principal: &Principal,
) -> Result<(Vec<String>, Vec<ContractDelivery>), AppError> {
    if !principal.roles.contains(&Role::ProviderUser) {
        return Ok((Vec::new(), Vec::new()));
    }
    let codes: Vec<String> = principal.groups.providers.iter().cloned().collect();
    let references: Vec<String> = principal.groups.contracts.iter().cloned().collect();
    db::scope::lookup(&services.db, &codes, &references).await
}

/// Resolves what `principal` may see and records them as a user. A scope refusal is
/// `FORBIDDEN` naming the group at fault.
///
/// A scope resolved less than the cache's time to live ago is used again without reading the
/// catalogue.
pub async fn resolve(services: &Services, principal: &Principal) -> Result<Scope, AppError> {
    let resolved = match services.scopes.get(principal) {
        Some(resolved) => resolved,
        None => {
            let (providers, contracts) = organisations(services, principal).await?;
            let resolved = resolve_scope(principal, &providers, &contracts);
            services.scopes.keep(principal, &resolved);
            resolved
        }
    };
    let scope = resolved.map_err(|e| {
        tracing::warn!(user_id = %principal.user_id, reason = %e, "caller refused");
        AppError::Forbidden(e.to_string())
    })?;
    if services.users.needs_recording(principal) {
        db::users::record_seen(&services.db, principal, Utc::now()).await?;
        services.users.remember(principal);
        // Pages name this user as recorded now.
        services.kept.users.forget(&principal.user_id);
    }
    Ok(scope)
}

/// Whether the server would accept `principal`, without recording anything: `Err` with the
/// refusal's words (an unknown provider or contract, a role without the groups it needs).
pub async fn check(services: &Services, principal: &Principal) -> Result<(), AppError> {
    let (providers, contracts) = organisations(services, principal).await?;
    resolve_scope(principal, &providers, &contracts)
        .map(|_| ())
        .map_err(|e| AppError::Forbidden(e.to_string()))
}

/// The providers a provider user acts for, by name; none for other roles.
pub async fn providers(
    services: &Services,
    scope: &Scope,
) -> Result<Vec<ServiceProvider>, AppError> {
    let Scope::Provider(scope) = scope else {
        return Ok(Vec::new());
    };
    db::catalogue::providers_by_codes(&services.db, &scope.provider_codes).await
}

/// The contracts whose referrals a provider user sees, by reference; none for other roles.
pub async fn contracts(services: &Services, scope: &Scope) -> Result<Vec<Contract>, AppError> {
    let Scope::Provider(scope) = scope else {
        return Ok(Vec::new());
    };
    let mut contracts =
        db::catalogue::contracts_by_ids(&services.db, &scope.contract_ids()).await?;
    contracts.sort_by(|a, b| a.reference.cmp(&b.reference));
    Ok(contracts)
}

/// The regions a commissioner may query, by code; none for other roles.
pub async fn regions(services: &Services, scope: &Scope) -> Result<Vec<Region>, AppError> {
    let Scope::Commissioner { region_codes } = scope else {
        return Ok(Vec::new());
    };
    db::catalogue::regions_by_codes(&services.db, region_codes).await
}
