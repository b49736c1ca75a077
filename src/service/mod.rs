//! Use cases. Each takes the [`Caller`](crate::domain::actor::Caller) (or its scope where only
//! that matters), decides what is allowed, and calls `db`. Every change to a referral goes
//! through the one write path, [`change`].

pub mod amendments;
pub mod catalogue;
pub mod catalogue_import;
mod change;
pub mod delivery;
pub mod idempotency;
pub mod kept;
pub mod live;
pub mod notifications;
pub mod outcome_report;
pub mod performance_report;
pub mod read_audit;
pub mod reads;
pub mod referrals;
pub mod retention;
pub mod seed;
pub mod subject_access;
pub mod viewer;

use sea_orm::DatabaseConnection;

use crate::domain::actor::Scope;
use crate::error::AppError;

/// What the use cases need: the database, the user registry, the delivery and report policies,
/// and the public address events name referrals under.
#[derive(Clone, Debug)]
pub struct Services {
    pub db: DatabaseConnection,
    pub users: viewer::UserRegistry,
    /// Scopes of tokens seen recently.
    pub scopes: viewer::ScopeCache,
    /// Providers, subcontracts and users named on pages, kept as long as scopes.
    pub kept: kept::KeptRows,
    pub delivery: delivery::DeliveryPolicy,
    pub reports: outcome_report::ReportPolicy,
    pub public_url: std::sync::Arc<str>,
    /// Where committed changes are announced to subscribers.
    pub live: crate::live::LiveHub,
    /// Where reads of person-level data are recorded.
    pub read_audit: read_audit::ReadAudit,
    /// The read replica lag-tolerant reads go to, if any.
    pub replica: Option<reads::ReadReplica>,
}

impl Services {
    /// Services with the default policy (action plans approved automatically).
    pub fn new(db: DatabaseConnection) -> Self {
        Services {
            db,
            users: viewer::UserRegistry::default(),
            scopes: viewer::ScopeCache::default(),
            kept: kept::KeptRows::default(),
            delivery: delivery::DeliveryPolicy::default(),
            reports: outcome_report::ReportPolicy::default(),
            public_url: "http://127.0.0.1:8080".into(),
            live: crate::live::LiveHub::new(),
            read_audit: read_audit::ReadAudit::disabled(),
            replica: None,
        }
    }

    /// The same services recording reads of person-level data in `audit`.
    pub fn with_read_audit(mut self, audit: read_audit::ReadAudit) -> Self {
        self.read_audit = audit;
        self
    }

    /// The same services naming referrals under another public address in their events.
    pub fn with_public_url(mut self, url: &str) -> Self {
        self.public_url = url.into();
        self
    }

    /// The same services with another report policy.
    pub fn with_report_policy(mut self, policy: outcome_report::ReportPolicy) -> Self {
        self.reports = policy;
        self
    }

    /// The same services keeping each token's scope, and the providers, subcontracts and users
    /// pages name, for `ttl` (zero: not at all).
    pub fn with_scope_ttl(mut self, ttl: std::time::Duration) -> Self {
        self.scopes = viewer::ScopeCache::new(ttl);
        self.kept = kept::KeptRows::new(ttl);
        self
    }

    /// The same services with another delivery policy.
    pub fn with_delivery_policy(mut self, policy: delivery::DeliveryPolicy) -> Self {
        self.delivery = policy;
        self
    }
}

/// Refuses a caller whose token carries none of our roles.
pub fn require_role(scope: &Scope) -> Result<(), AppError> {
    match scope {
        Scope::NoRole => Err(AppError::Forbidden("the token carries no CRS role".into())),
        _ => Ok(()),
    }
}
