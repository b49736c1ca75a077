//! Typed configuration from `CRS_*` environment variables, validated at start.
//!
//! Every problem is reported with the variable's name; secret values are never printed.

use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

/// The HS256 secret used in development when none is configured. Refused in production.
pub const DEVELOPMENT_JWT_SECRET: &str = "crs-api-development-secret-do-not-use-in-production";
/// The development issuer and audience.
pub const DEVELOPMENT_JWT_ISSUER: &str = "crs-api-development";
pub const DEVELOPMENT_JWT_AUDIENCE: &str = "crs-api";
/// The default embedded database.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./crs-data/crs.db?mode=rwc";

/// Development or production.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

/// How tokens are verified: the algorithm is fixed by which key is configured.
#[derive(Clone, Debug)]
pub enum JwtKey {
    /// HS256 with a shared secret.
    Hs256(SecretString),
    /// RS256 with a PEM public key or a JWKS file.
    Rs256File(PathBuf),
    /// RS256 with the keys of the identity provider's JWKS URL, fetched again every
    /// `refresh_every` and when a token names an unknown `kid`.
    Jwks {
        url: String,
        refresh_every: Duration,
    },
}

/// Token verification settings.
#[derive(Clone, Debug)]
pub struct JwtSettings {
    pub key: JwtKey,
    pub issuer: String,
    pub audience: String,
}

/// Database settings.
#[derive(Clone, Debug)]
pub struct DatabaseSettings {
    /// `sqlite://…` or `postgres://…`; may hold a password, so kept secret.
    pub url: SecretString,
    /// PostgreSQL schema to use instead of `public` (created if missing).
    pub schema: Option<String>,
    pub max_connections: u32,
    /// Apply pending migrations when the server starts.
    pub migrate_on_start: bool,
    /// How long a request waits for a pooled connection before it is answered 503.
    pub acquire_timeout: Duration,
    /// Longest a request's statement may run (PostgreSQL `statement_timeout`; on SQLite, the
    /// longest wait for a lock) before it fails with `TIMEOUT`.
    pub statement_timeout: Duration,
    /// Longest an outcome report's statements may run (PostgreSQL).
    pub report_statement_timeout: Duration,
    /// PostgreSQL ends a session left idle inside a transaction for this long.
    pub idle_in_transaction_timeout: Duration,
    /// A PostgreSQL streaming replica of the same database for reads that tolerate a little
    /// lag (dashboards, outcome reports, downloads); may hold a password, so kept secret.
    pub replica_url: Option<SecretString>,
}

impl DatabaseSettings {
    /// Whether the URL names PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        let url = self.url.expose_secret();
        url.starts_with("postgres://") || url.starts_with("postgresql://")
    }
}

/// GraphQL limits (contract section 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GraphqlLimits {
    pub max_depth: usize,
    pub max_complexity: usize,
    /// Most aliases in one document.
    pub max_aliases: usize,
    /// Most field selections written in one document.
    pub max_fields: usize,
}

impl GraphqlLimits {
    /// Deepest nesting of selection sets a document may have before it is parsed at all
    /// (`graphql::nesting`); the depth limit cannot exceed it.
    pub const MAX_SELECTION_NESTING: usize = 64;
}

/// The whole configuration.
#[derive(Clone, Debug)]
pub struct Settings {
    pub environment: Environment,
    /// Address to listen on, `host:port`.
    pub bind: String,
    pub database: DatabaseSettings,
    pub jwt: JwtSettings,
    /// Log filter (`tracing` env-filter syntax).
    pub log: String,
    /// Where traces are exported over OTLP/HTTP (`CRS_OTLP_ENDPOINT`, else the standard
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`): the collector's base URL, `/v1/traces` is added.
    pub otlp_endpoint: Option<String>,
    pub limits: GraphqlLimits,
    /// Largest accepted request body in bytes.
    pub max_body_bytes: usize,
    /// Load the demo providers and contracts when the database has no providers.
    pub demo_data: bool,
    /// With the demo data, generated referrals in two regions (London and the South West) made
    /// into a database without referrals, so the outcome reports have figures.
    pub demo_referrals: u64,
    /// Approve action plans as soon as they are submitted.
    pub auto_approve_action_plans: bool,
    /// Outcome-report counts below this (and above zero) are withheld.
    pub suppression_threshold: u64,
    /// Referrals read per page of a report download.
    pub download_page_size: u64,
    /// Parts an outcome report's statement is split into at most, run at once (PostgreSQL).
    pub report_scan_parts: usize,
    /// Pages of facts each part of a report's statement reads at least.
    pub report_part_pages: u64,
    /// After SIGTERM, how long readiness fails while the server goes on serving.
    pub shutdown_drain: Duration,
    pub events: EventSettings,
    pub subscriptions: SubscriptionLimits,
    pub retention: RetentionSettings,
    pub rate_limits: RateLimitSettings,
    /// Record reads of person-level data (on unless switched off to measure its cost).
    pub read_audit: bool,
    /// Origins a browser client may call the API from (CORS); none by default.
    pub cors_allowed_origins: Vec<String>,
    /// How long a token's resolved scope is used before the catalogue is read again: the
    /// longest a catalogue change goes unseen by a caller (zero reads it on every request).
    pub scope_cache_ttl: Duration,
}

/// Rate limits per caller and per client address (`rate_limit`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimitSettings {
    pub enabled: bool,
    /// GraphQL complexity points a caller may spend per `cost_window`.
    pub cost_points: std::num::NonZeroU32,
    pub cost_window: Duration,
    /// Report downloads a caller may start per `window`.
    pub downloads: std::num::NonZeroU32,
    /// Subject access requests a caller may make per `window`.
    pub subject_access: std::num::NonZeroU32,
    /// Failed authentications one client address may make per `window`.
    pub failed_authentications: std::num::NonZeroU32,
    /// The window of the last three: one minute.
    pub window: Duration,
}

/// Draft retention.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetentionSettings {
    /// Unsent drafts not changed for this long are deleted.
    pub drafts: Duration,
    /// Whether the server runs the purge once a day (one instance of several does).
    pub purge_daily: bool,
}

/// Limits on GraphQL subscriptions over WebSocket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubscriptionLimits {
    /// Subscriptions running at once on one connection.
    pub per_connection: usize,
    /// WebSocket connections one user holds at once on one instance.
    pub connections_per_user: usize,
    /// How long a new connection may take to send `connection_init`.
    pub init_timeout: Duration,
}

/// Domain events: the outbox and its relay to NATS JetStream.
#[derive(Clone, Debug)]
pub struct EventSettings {
    /// The broker (`nats://host:port`); unset, the outbox is written and kept and the relay
    /// idles.
    pub nats_url: Option<String>,
    /// The API's public address, under which an event's `detailUrl` names its referral.
    pub public_url: String,
    /// How long published events stay in the outbox.
    pub retention: Duration,
}

/// `CRS_CORS_ALLOWED_ORIGINS`: comma-separated origins, each `scheme://host[:port]`.
fn cors_origins(value: Option<String>) -> Result<Vec<String>, ConfigError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    value
        .split(',')
        .map(str::trim)
        .filter(|origin| !origin.is_empty())
        .map(|origin| {
            let well_formed = (origin.starts_with("https://") || origin.starts_with("http://"))
                && !origin.ends_with('/')
                && origin
                    .split("://")
                    .nth(1)
                    .is_some_and(|host| !host.is_empty() && !host.contains('/'));
            if well_formed {
                Ok(origin.to_owned())
            } else {
                Err(problem(
                    "CRS_CORS_ALLOWED_ORIGINS",
                    "must be origins such as https://crs.example, comma-separated",
                ))
            }
        })
        .collect()
}

/// A whole number of seconds (at least 1) read before the other numbers.
fn number_early(
    name: &'static str,
    default: u64,
    get: &impl Fn(&str) -> Option<String>,
) -> Result<u64, ConfigError> {
    match get(name) {
        None => Ok(default),
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| problem(name, "must be a whole number of at least 1")),
    }
}

/// A configuration problem, naming the variable.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {variable}: {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

fn problem(variable: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        problem: problem.into(),
    }
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let environment = match get("CRS_ENV").as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(_) => return Err(problem("CRS_ENV", "must be `development` or `production`")),
        };
        let production = environment == Environment::Production;

        let database_url = match get("CRS_DATABASE_URL") {
            Some(url) => url,
            None if production => {
                return Err(problem("CRS_DATABASE_URL", "must be set in production"));
            }
            None => DEFAULT_DATABASE_URL.to_owned(),
        };
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(problem(
                "CRS_DATABASE_URL",
                "must start with sqlite:, postgres:// or postgresql://",
            ));
        }
        let replica_url = get("CRS_DATABASE_REPLICA_URL").filter(|url| !url.trim().is_empty());
        if let Some(url) = &replica_url {
            let postgres =
                |url: &str| url.starts_with("postgres://") || url.starts_with("postgresql://");
            if !postgres(url) {
                return Err(problem(
                    "CRS_DATABASE_REPLICA_URL",
                    "must start with postgres:// or postgresql://",
                ));
            }
            if !postgres(&database_url) {
                return Err(problem(
                    "CRS_DATABASE_REPLICA_URL",
                    "needs a PostgreSQL primary in CRS_DATABASE_URL",
                ));
            }
        }
        let schema = get("CRS_DATABASE_SCHEMA");
        if let Some(schema) = &schema
            && !(schema
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
                && schema
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || c == '_'))
        {
            return Err(problem(
                "CRS_DATABASE_SCHEMA",
                "must be a plain identifier (letters, digits, _)",
            ));
        }

        let jwks_url = get("CRS_JWT_JWKS_URL");
        if let Some(url) = &jwks_url {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(problem(
                    "CRS_JWT_JWKS_URL",
                    "must be an http:// or https:// URL",
                ));
            }
            // Keys fetched in the clear could be replaced on the way.
            if production && !url.starts_with("https://") {
                return Err(problem(
                    "CRS_JWT_JWKS_URL",
                    "must be an https:// URL in production",
                ));
            }
        }
        let configured = [
            get("CRS_JWT_SECRET").is_some(),
            get("CRS_JWT_PUBLIC_KEY_FILE").is_some(),
            jwks_url.is_some(),
        ];
        if configured.iter().filter(|set| **set).count() > 1 {
            return Err(problem(
                "CRS_JWT_SECRET",
                "set one of CRS_JWT_SECRET (HS256), CRS_JWT_PUBLIC_KEY_FILE or CRS_JWT_JWKS_URL (RS256)",
            ));
        }
        let key = match (get("CRS_JWT_SECRET"), get("CRS_JWT_PUBLIC_KEY_FILE")) {
            _ if jwks_url.is_some() => JwtKey::Jwks {
                url: jwks_url.clone().unwrap_or_default(),
                refresh_every: Duration::from_secs(number_early(
                    "CRS_JWT_JWKS_REFRESH_SECONDS",
                    600,
                    &get,
                )?),
            },
            (Some(_), Some(_)) => {
                return Err(problem(
                    "CRS_JWT_SECRET",
                    "set either CRS_JWT_SECRET (HS256) or CRS_JWT_PUBLIC_KEY_FILE (RS256), not both",
                ));
            }
            (Some(secret), None) => {
                if production && (secret.len() < 32 || secret == DEVELOPMENT_JWT_SECRET) {
                    return Err(problem(
                        "CRS_JWT_SECRET",
                        "must be at least 32 bytes and not the development default in production",
                    ));
                }
                JwtKey::Hs256(SecretString::from(secret))
            }
            (None, Some(path)) => JwtKey::Rs256File(PathBuf::from(path)),
            (None, None) if production => {
                return Err(problem(
                    "CRS_JWT_SECRET",
                    "production needs CRS_JWT_SECRET, CRS_JWT_PUBLIC_KEY_FILE or CRS_JWT_JWKS_URL",
                ));
            }
            (None, None) => JwtKey::Hs256(SecretString::from(DEVELOPMENT_JWT_SECRET)),
        };
        let issuer = match get("CRS_JWT_ISSUER") {
            Some(v) => v,
            None if production => {
                return Err(problem("CRS_JWT_ISSUER", "must be set in production"));
            }
            None => DEVELOPMENT_JWT_ISSUER.to_owned(),
        };
        let audience = match get("CRS_JWT_AUDIENCE") {
            Some(v) => v,
            None if production => {
                return Err(problem("CRS_JWT_AUDIENCE", "must be set in production"));
            }
            None => DEVELOPMENT_JWT_AUDIENCE.to_owned(),
        };

        let number =
            |name: &'static str, default: usize, min: usize| -> Result<usize, ConfigError> {
                match get(name) {
                    None => Ok(default),
                    Some(v) => match v.parse::<usize>() {
                        Ok(n) if n >= min => Ok(n),
                        _ => Err(problem(
                            name,
                            format!("must be a whole number of at least {min}"),
                        )),
                    },
                }
            };
        let millis = |name: &'static str, default: u64| -> Result<Duration, ConfigError> {
            let value = number(name, usize::try_from(default).unwrap_or(usize::MAX), 1)?;
            Ok(Duration::from_millis(value as u64))
        };
        let flag = |name: &'static str, default: bool| -> Result<bool, ConfigError> {
            match get(name).as_deref() {
                None => Ok(default),
                Some("true" | "1" | "yes") => Ok(true),
                Some("false" | "0" | "no") => Ok(false),
                Some(_) => Err(problem(name, "must be true or false")),
            }
        };
        // A page's ids are bound as one list: at most 5,000, well inside both engines' limits.
        let download_page_size = number("CRS_DOWNLOAD_PAGE_SIZE", 500, 1)?;
        if download_page_size > 5_000 {
            return Err(problem(
                "CRS_DOWNLOAD_PAGE_SIZE",
                "must be a whole number from 1 to 5000".to_owned(),
            ));
        }
        let max_depth = number("CRS_GRAPHQL_MAX_DEPTH", 15, 1)?;
        if max_depth > GraphqlLimits::MAX_SELECTION_NESTING {
            return Err(problem(
                "CRS_GRAPHQL_MAX_DEPTH",
                format!(
                    "must be at most {} (documents nested deeper are not parsed)",
                    GraphqlLimits::MAX_SELECTION_NESTING
                ),
            ));
        }
        let max_connections = u32::try_from(number("CRS_DATABASE_MAX_CONNECTIONS", 10, 1)?)
            .map_err(|_| problem("CRS_DATABASE_MAX_CONNECTIONS", "is too large"))?;

        let bind = get("CRS_BIND").unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let port_ok = bind
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if !port_ok {
            return Err(problem(
                "CRS_BIND",
                "must be host:port, e.g. 127.0.0.1:8080",
            ));
        }
        let otlp_endpoint = get("CRS_OTLP_ENDPOINT")
            .or_else(|| get("OTEL_EXPORTER_OTLP_ENDPOINT"))
            .map(|url| url.trim().trim_end_matches('/').to_owned())
            .filter(|url| !url.is_empty());
        if otlp_endpoint
            .as_deref()
            .is_some_and(|url| !url.starts_with("http://") && !url.starts_with("https://"))
        {
            return Err(problem(
                "CRS_OTLP_ENDPOINT",
                "must be the collector's http:// or https:// URL".to_owned(),
            ));
        }
        let log = get("CRS_LOG").unwrap_or_else(|| "info".to_owned());
        if tracing_subscriber::EnvFilter::try_new(&log).is_err() {
            return Err(problem(
                "CRS_LOG",
                "is not a valid log filter (e.g. info or info,crs_api=debug)",
            ));
        }

        let max_complexity_value = number("CRS_GRAPHQL_MAX_COMPLEXITY", 5000, 1)?;
        let per_minute =
            |name: &'static str, default: usize| -> Result<std::num::NonZeroU32, ConfigError> {
                u32::try_from(number(name, default, 1)?)
                    .ok()
                    .and_then(std::num::NonZeroU32::new)
                    .ok_or_else(|| problem(name, "is too large"))
            };
        // A budget smaller than the largest operation allowed would refuse it for ever.
        let cost_points = |max_complexity: usize| {
            let points = per_minute("CRS_RATE_LIMIT_COST_POINTS", 100_000)?;
            if (points.get() as usize) < max_complexity {
                return Err(problem(
                    "CRS_RATE_LIMIT_COST_POINTS",
                    format!("must be at least CRS_GRAPHQL_MAX_COMPLEXITY ({max_complexity})"),
                ));
            }
            Ok(points)
        };
        let bind_for_url = bind.clone();
        Ok(Settings {
            environment,
            bind,
            database: DatabaseSettings {
                url: SecretString::from(database_url),
                schema,
                max_connections,
                migrate_on_start: flag("CRS_MIGRATE_ON_START", true)?,
                acquire_timeout: millis("CRS_DATABASE_ACQUIRE_TIMEOUT_MS", 3_000)?,
                statement_timeout: millis("CRS_DATABASE_STATEMENT_TIMEOUT_MS", 5_000)?,
                report_statement_timeout: millis("CRS_REPORT_STATEMENT_TIMEOUT_MS", 30_000)?,
                idle_in_transaction_timeout: millis(
                    "CRS_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS",
                    10_000,
                )?,
                replica_url: replica_url.map(SecretString::from),
            },
            jwt: JwtSettings {
                key,
                issuer,
                audience,
            },
            log,
            otlp_endpoint,
            limits: GraphqlLimits {
                max_depth,
                max_complexity: max_complexity_value,
                max_aliases: number("CRS_GRAPHQL_MAX_ALIASES", 15, 0)?,
                max_fields: number("CRS_GRAPHQL_MAX_FIELDS", 200, 1)?,
            },
            max_body_bytes: number("CRS_MAX_BODY_BYTES", 256 * 1024, 1024)?,
            demo_data: flag("CRS_DEMO_DATA", !production)?,
            demo_referrals: number("CRS_DEMO_REFERRALS", 4_000, 0)? as u64,
            auto_approve_action_plans: flag("CRS_AUTO_APPROVE_ACTION_PLANS", true)?,
            suppression_threshold: number("CRS_SUPPRESSION_THRESHOLD", 5, 2)? as u64,
            download_page_size: download_page_size as u64,
            report_scan_parts: {
                // Each reading connection is held while the others are opened: more of them
                // than the pool has would wait for one that never comes.
                let most = 16.min(max_connections as usize);
                let parts = number("CRS_REPORT_SCAN_PARTS", 2.min(most), 1)?;
                if parts > most {
                    return Err(problem(
                        "CRS_REPORT_SCAN_PARTS",
                        format!(
                            "must be a whole number from 1 to {most} (at most 16 and \
                             CRS_DATABASE_MAX_CONNECTIONS)"
                        ),
                    ));
                }
                parts
            },
            report_part_pages: number("CRS_REPORT_PART_PAGES", 2_048, 1)? as u64,
            shutdown_drain: Duration::from_secs(number("CRS_SHUTDOWN_DRAIN_SECONDS", 4, 0)? as u64),
            scope_cache_ttl: {
                let seconds = number("CRS_SCOPE_CACHE_SECONDS", 30, 0)?;
                if seconds > 3600 {
                    return Err(problem("CRS_SCOPE_CACHE_SECONDS", "must be at most 3600"));
                }
                Duration::from_secs(seconds as u64)
            },
            events: EventSettings {
                nats_url: get("CRS_NATS_URL").filter(|url| !url.trim().is_empty()),
                public_url: get("CRS_PUBLIC_URL")
                    .unwrap_or_else(|| format!("http://{bind_for_url}")),
                retention: Duration::from_secs(
                    number("CRS_OUTBOX_RETENTION_HOURS", 168, 1)? as u64 * 3600,
                ),
            },
            subscriptions: SubscriptionLimits {
                per_connection: number("CRS_SUBSCRIPTIONS_PER_CONNECTION", 10, 1)?,
                connections_per_user: number("CRS_WEBSOCKETS_PER_USER", 5, 1)?,
                init_timeout: Duration::from_secs(10),
            },
            retention: RetentionSettings {
                drafts: Duration::from_secs(
                    (number("CRS_DRAFT_RETENTION_DAYS", 90, 1)? as u64)
                        .checked_mul(24 * 3600)
                        .filter(|seconds| *seconds <= 100 * 365 * 24 * 3600)
                        .ok_or_else(|| {
                            problem("CRS_DRAFT_RETENTION_DAYS", "must be at most 36500 days")
                        })?,
                ),
                purge_daily: flag("CRS_DRAFT_PURGE", true)?,
            },
            read_audit: flag("CRS_READ_AUDIT", true)?,
            cors_allowed_origins: cors_origins(get("CRS_CORS_ALLOWED_ORIGINS"))?,
            rate_limits: RateLimitSettings {
                enabled: flag("CRS_RATE_LIMITS", true)?,
                cost_points: cost_points(max_complexity_value)?,
                cost_window: Duration::from_secs(number(
                    "CRS_RATE_LIMIT_COST_WINDOW_SECONDS",
                    10,
                    1,
                )? as u64),
                downloads: per_minute("CRS_RATE_LIMIT_DOWNLOADS_PER_MINUTE", 20)?,
                subject_access: per_minute("CRS_RATE_LIMIT_SAR_PER_MINUTE", 10)?,
                failed_authentications: per_minute("CRS_RATE_LIMIT_AUTH_FAILURES_PER_MINUTE", 60)?,
                window: Duration::from_secs(60),
            },
        })
    }

    /// Whether this is a production deployment.
    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn load(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        Settings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn development_defaults() {
        let s = load(&[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.environment, Environment::Development);
        assert_eq!(s.bind, "127.0.0.1:8080");
        assert_eq!(s.database.url.expose_secret(), DEFAULT_DATABASE_URL);
        assert_eq!(
            s.limits,
            GraphqlLimits {
                max_depth: 15,
                max_complexity: 5000,
                max_aliases: 15,
                max_fields: 200,
            }
        );
        assert_eq!(s.max_body_bytes, 262_144);
        assert!(s.demo_data);
        assert!(s.auto_approve_action_plans);
        let manual =
            load(&[("CRS_AUTO_APPROVE_ACTION_PLANS", "false")]).unwrap_or_else(|e| panic!("{e}"));
        assert!(!manual.auto_approve_action_plans);
    }

    #[test]
    fn a_read_replica_needs_postgresql_on_both_sides() {
        let primary = ("CRS_DATABASE_URL", "postgres://db/crs");
        let replica = ("CRS_DATABASE_REPLICA_URL", "postgres://replica/crs");
        let s = load(&[primary, replica]).unwrap_or_else(|e| panic!("{e}"));
        assert!(s.database.replica_url.is_some());
        assert!(load(&[primary]).unwrap().database.replica_url.is_none());
        let err = |vars: &[(&str, &str)]| load(vars).err().map(|e| e.variable);
        assert_eq!(
            err(&[("CRS_DATABASE_URL", "sqlite://./crs.db"), replica]),
            Some("CRS_DATABASE_REPLICA_URL")
        );
        assert_eq!(
            err(&[primary, ("CRS_DATABASE_REPLICA_URL", "mysql://x")]),
            Some("CRS_DATABASE_REPLICA_URL")
        );
    }

    #[test]
    fn the_scope_cache_keeps_scopes_30_seconds_unless_told() {
        let ttl = |vars: &[(&str, &str)]| load(vars).map(|s| s.scope_cache_ttl);
        assert_eq!(ttl(&[]).unwrap(), Duration::from_secs(30));
        assert_eq!(
            ttl(&[("CRS_SCOPE_CACHE_SECONDS", "0")]).unwrap(),
            Duration::ZERO
        );
        let err = ttl(&[("CRS_SCOPE_CACHE_SECONDS", "3601")]).err();
        assert_eq!(err.map(|e| e.variable), Some("CRS_SCOPE_CACHE_SECONDS"));
    }

    #[test]
    fn production_refuses_development_defaults() {
        let base = [
            ("CRS_ENV", "production"),
            ("CRS_DATABASE_URL", "postgres://db/crs"),
        ];
        let err = load(&base).err().map(|e| e.variable);
        assert_eq!(err, Some("CRS_JWT_SECRET"));
        let err = load(&[base[0], base[1], ("CRS_JWT_SECRET", DEVELOPMENT_JWT_SECRET)])
            .err()
            .map(|e| e.variable);
        assert_eq!(err, Some("CRS_JWT_SECRET"));
        let err = load(&[base[0], base[1], ("CRS_JWT_SECRET", "short")])
            .err()
            .map(|e| e.variable);
        assert_eq!(err, Some("CRS_JWT_SECRET"));
        let err = load(&[
            base[0],
            ("CRS_JWT_SECRET", "0123456789abcdef0123456789abcdef"),
        ])
        .err()
        .map(|e| e.variable);
        assert_eq!(err, Some("CRS_DATABASE_URL"));
    }

    #[test]
    fn production_fetches_keys_over_https_only() {
        let base = [
            ("CRS_ENV", "production"),
            ("CRS_DATABASE_URL", "postgres://db/crs"),
            ("CRS_JWT_ISSUER", "https://auth.example"),
            ("CRS_JWT_AUDIENCE", "crs"),
        ];
        let plain = [
            base[0],
            base[1],
            base[2],
            base[3],
            ("CRS_JWT_JWKS_URL", "http://idp/jwks"),
        ];
        assert_eq!(
            load(&plain).err().map(|e| e.variable),
            Some("CRS_JWT_JWKS_URL")
        );
        let tls = [
            base[0],
            base[1],
            base[2],
            base[3],
            ("CRS_JWT_JWKS_URL", "https://idp/jwks"),
        ];
        let settings = load(&tls).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(settings.jwt.key, JwtKey::Jwks { .. }));
        let both = [
            base[0],
            base[1],
            ("CRS_JWT_SECRET", "0123456789abcdef0123456789abcdef"),
            ("CRS_JWT_JWKS_URL", "https://idp/jwks"),
        ];
        assert_eq!(
            load(&both).err().map(|e| e.variable),
            Some("CRS_JWT_SECRET")
        );
    }

    #[test]
    fn production_accepts_real_key_material() {
        let s = load(&[
            ("CRS_ENV", "production"),
            ("CRS_DATABASE_URL", "sqlite://./prod.db?mode=rwc"),
            ("CRS_JWT_SECRET", "0123456789abcdef0123456789abcdef"),
            ("CRS_JWT_ISSUER", "https://auth.example"),
            ("CRS_JWT_AUDIENCE", "crs"),
        ]);
        let s = s.unwrap_or_else(|e| panic!("{e}"));
        assert!(s.is_production());
        assert!(!s.demo_data);
    }

    #[test]
    fn bad_values_name_their_variable_and_hide_secrets() {
        for (var, value) in [
            ("CRS_ENV", "staging"),
            ("CRS_GRAPHQL_MAX_DEPTH", "deep"),
            ("CRS_MAX_BODY_BYTES", "-1"),
            ("CRS_DATABASE_URL", "mysql://x"),
            ("CRS_DEMO_DATA", "maybe"),
            ("CRS_DATABASE_SCHEMA", "x; drop"),
            ("CRS_BIND", "8080"),
            ("CRS_LOG", "info,[[["),
            ("CRS_DOWNLOAD_PAGE_SIZE", "0"),
            ("CRS_DOWNLOAD_PAGE_SIZE", "5001"),
            ("CRS_REPORT_SCAN_PARTS", "0"),
            ("CRS_REPORT_SCAN_PARTS", "17"),
            ("CRS_REPORT_SCAN_PARTS", "11"),
            ("CRS_REPORT_PART_PAGES", "0"),
            ("CRS_JWT_JWKS_URL", "ftp://idp.example/jwks"),
            ("CRS_DRAFT_RETENTION_DAYS", "99999999999999"),
            ("CRS_RATE_LIMIT_COST_POINTS", "10"),
            ("CRS_CORS_ALLOWED_ORIGINS", "crs.example"),
            ("CRS_CORS_ALLOWED_ORIGINS", "https://crs.example/app"),
            ("CRS_OTLP_ENDPOINT", "collector:4318"),
        ] {
            let err = load(&[(var, value)])
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains(var), "{err}");
        }
        let err = load(&[
            ("CRS_JWT_SECRET", "topsecretvalue"),
            ("CRS_JWT_PUBLIC_KEY_FILE", "k.pem"),
        ])
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(!err.contains("topsecretvalue"));
        let settings = load(&[("CRS_JWT_SECRET", "topsecretvalue")])
            .map(|s| format!("{s:?}"))
            .unwrap_or_default();
        assert!(!settings.contains("topsecretvalue"), "{settings}");
    }
}
