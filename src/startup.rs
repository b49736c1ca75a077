//! Wires everything together: database, migrations, demo data, schema, HTTP server.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{App, HttpServer, middleware, web};
use anyhow::Context;
use sea_orm::DatabaseConnection;

use crate::config::Settings;
use crate::http::auth::TokenVerifier;
use crate::http::metrics::Metrics;
use crate::http::{AppState, request_context, routes};
use crate::outbox::relay::{Relay, RelayHandle};
use crate::rate_limit::RateLimits;
use crate::service::delivery::DeliveryPolicy;
use crate::service::outcome_report::{self, ReportPolicy};
use crate::service::read_audit::{ReadAudit, ReadAuditWriter};
use crate::service::retention::{self, DraftRetention};
use crate::service::{Services, catalogue_import};
use crate::{db, graphql};

/// Time given to in-flight requests once the server stops accepting connections.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A built, not yet running, server.
pub struct Application {
    port: u16,
    server: Server,
    db: DatabaseConnection,
    relay: RelayHandle,
    audit_writer: Option<ReadAuditWriter>,
    housekeeping: tokio::task::JoinHandle<()>,
    forget_idle_callers: tokio::task::JoinHandle<()>,
    key_refresh: Option<tokio::task::JoinHandle<()>>,
    bridge: Option<crate::live::bridge::BridgeHandle>,
    shutting_down: Arc<AtomicBool>,
    drain: Duration,
    demo_loaded: bool,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// Opens the database with statements counted on `metrics`.
pub async fn open_database(
    settings: &Settings,
    metrics: &Metrics,
) -> anyhow::Result<DatabaseConnection> {
    let counter = metrics.db_statements.clone();
    db::connect(&settings.database, Arc::new(move |_| counter.inc())).await
}

impl Application {
    /// Connects, migrates (if configured), loads the demo data when asked and the database has
    /// no providers, and binds the listener (port 0 picks a free port).
    pub async fn build(settings: &Settings) -> anyhow::Result<Self> {
        let verifier = Arc::new(TokenVerifier::connect(&settings.jwt).await?);
        let key_refresh = verifier.spawn_key_refresh();
        let metrics = Arc::new(Metrics::new().context("creating metrics")?);
        let db = open_database(settings, &metrics).await?;
        let counter = metrics.db_statements.clone();
        let replica =
            db::connect_replica(&settings.database, Arc::new(move |_| counter.inc())).await?;
        // Migrations, facts and demo data under one lock: instances started together on an
        // empty database prepare it once.
        let lock = db::StartupLock::acquire(&settings.database).await?;
        if settings.database.migrate_on_start {
            db::migrate(&db).await?;
        }
        let services = Services::new(db.clone())
            .with_public_url(&settings.events.public_url)
            .with_scope_ttl(settings.scope_cache_ttl)
            .with_delivery_policy(DeliveryPolicy {
                auto_approve_action_plans: settings.auto_approve_action_plans,
            })
            .with_report_policy(ReportPolicy {
                suppression_threshold: settings.suppression_threshold,
                download_page_size: settings.download_page_size,
                statement_timeout: settings.database.report_statement_timeout,
                scan_parts: settings.report_scan_parts,
                part_pages: settings.report_part_pages,
            });
        let services = match replica {
            Some(replica) => {
                tracing::info!("lag-tolerant reads go to the read replica");
                services.with_replica(replica)
            }
            None => services,
        };
        let backfilled = outcome_report::backfill(&db)
            .await
            .context("writing the outcome report's facts")?;
        if backfilled > 0 {
            tracing::info!(
                referrals = backfilled,
                "outcome report facts written for earlier referrals"
            );
        }
        let demo_loaded =
            settings.demo_data && catalogue_import::load_demo_if_empty(&services).await?;
        if demo_loaded {
            crate::demo::load_generated(&services, settings.demo_referrals)
                .await
                .context("generating the demo referrals")?;
        }
        if settings.demo_data {
            crate::demo::load_referrals(&services)
                .await
                .context("loading the demo referrals")?;
        }
        lock.release().await?;
        // The relay, the read audit's writer and the daily purge have connections of their
        // own, uncounted: their statements are not a request's SQL.
        let background_db = db::connect(
            &crate::config::DatabaseSettings {
                max_connections: 4,
                ..settings.database.clone()
            },
            Arc::new(|_| {}),
        )
        .await?;
        let audit_writer = settings
            .read_audit
            .then(|| ReadAudit::spawn(background_db.clone(), metrics.read_audit_written.clone()));
        let services = match &audit_writer {
            Some(writer) => services.with_read_audit(writer.audit()),
            None => {
                tracing::warn!(
                    "CRS_READ_AUDIT is false: reads of person-level data are not recorded"
                );
                services
            }
        };
        let housekeeping = spawn_housekeeping(
            background_db.clone(),
            settings.retention.purge_daily.then_some(DraftRetention {
                keep_for: settings.retention.drafts,
            }),
            metrics.clone(),
        );
        let relay = Relay::new(
            background_db,
            settings.events.nats_url.clone(),
            settings.events.retention,
            metrics.events.clone(),
        )
        .spawn();
        // Live updates reach the subscribers of every instance through the broker, when there is one.
        let bridge = settings
            .events
            .nats_url
            .clone()
            .map(|url| crate::live::bridge::spawn(services.live.clone(), url));
        let rate_limits = Arc::new(RateLimits::new(settings.rate_limits));
        let forget_idle_callers = spawn_forget_idle(rate_limits.clone());
        let schema = graphql::build(
            services.clone(),
            settings.limits,
            settings.is_production(),
            Some(rate_limits.clone()),
        );
        let shutting_down = Arc::new(AtomicBool::new(false));
        let state = AppState {
            schema,
            services,
            verifier,
            metrics,
            max_body_bytes: settings.max_body_bytes,
            production: settings.is_production(),
            shutting_down: shutting_down.clone(),
            websockets: Arc::default(),
            subscription_limits: settings.subscriptions,
            rate_limits,
            demo_signing: (!settings.is_production()
                && settings.demo_data
                && matches!(settings.jwt.key, crate::config::JwtKey::Hs256(_)))
            .then(|| settings.jwt.clone()),
        };
        let listener = TcpListener::bind(&settings.bind).with_context(|| {
            format!(
                "configuration: CRS_BIND: cannot listen on {}",
                settings.bind
            )
        })?;
        let port = listener
            .local_addr()
            .context("reading the bound address")?
            .port();
        let origins = settings.cors_allowed_origins.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(state.clone()))
                .wrap(middleware::Condition::new(
                    !origins.is_empty(),
                    cors(&origins),
                ))
                .wrap(middleware::from_fn(request_context::request_context))
                .configure(routes)
        })
        .disable_signals()
        .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
        .listen(listener)
        .context("starting the HTTP server")?
        .run();
        Ok(Application {
            port,
            server,
            db,
            relay,
            audit_writer,
            housekeeping,
            forget_idle_callers,
            key_refresh,
            bridge,
            shutting_down,
            drain: settings.shutdown_drain,
            demo_loaded,
        })
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the demo data set was loaded during this start.
    pub fn demo_loaded(&self) -> bool {
        self.demo_loaded
    }

    /// The database connection the server uses.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// A handle that stops the server.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Runs until stopped. SIGTERM or Ctrl-C fail readiness at once while the server goes on
    /// serving for the drain period (`CRS_SHUTDOWN_DRAIN_SECONDS`; every answer then asks the
    /// client to close its connection); then it stops accepting connections and gives requests
    /// in flight up to 5 s more.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let shutting_down = self.shutting_down.clone();
        let drain = self.drain;
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!(
                drain_seconds = drain.as_secs(),
                "shutdown requested: readiness fails, serving until the drain period ends"
            );
            shutting_down.store(true, Ordering::Relaxed);
            tokio::time::sleep(drain).await;
            tracing::info!("drain period over: finishing requests in flight");
            handle.stop(true).await;
        });
        let result = self.server.await;
        self.housekeeping.abort();
        self.forget_idle_callers.abort();
        if let Some(key_refresh) = self.key_refresh {
            key_refresh.abort();
        }
        if let Some(writer) = self.audit_writer {
            writer.stop().await;
        }
        self.relay.stop().await;
        if let Some(bridge) = self.bridge {
            bridge.stop();
        }
        let _ = self.db.close().await;
        result
    }
}

/// CORS for a browser client on one of `origins`: the API's methods and the headers a client
/// sends (the bearer token, JSON, an idempotency key, a request id), the request id and
/// `Retry-After` readable by the page. Browsers send no cookies here: tokens are bearer headers.
fn cors(origins: &[String]) -> actix_cors::Cors {
    let cors = origins
        .iter()
        .fold(actix_cors::Cors::default(), |cors, origin| {
            cors.allowed_origin(origin)
        });
    cors.allowed_methods(["GET", "POST"])
        .allowed_headers([
            actix_web::http::header::AUTHORIZATION,
            actix_web::http::header::CONTENT_TYPE,
            actix_web::http::header::ACCEPT,
            actix_web::http::header::HeaderName::from_static("idempotency-key"),
            actix_web::http::header::HeaderName::from_static("x-request-id"),
            actix_web::http::header::HeaderName::from_static("traceparent"),
        ])
        .expose_headers([
            actix_web::http::header::HeaderName::from_static("x-request-id"),
            actix_web::http::header::RETRY_AFTER,
        ])
        .max_age(600)
}

/// Forgets the rate-limit buckets of idle callers once a minute.
fn spawn_forget_idle(limits: Arc<RateLimits>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(Duration::from_secs(60));
        loop {
            ticks.tick().await;
            limits.forget_idle();
        }
    })
}

/// How often the server deletes expired idempotency keys and asks whether the daily purge is
/// due.
const PURGE_CHECK_EVERY: Duration = Duration::from_secs(600);
/// How often the purge runs.
const PURGE_EVERY: Duration = Duration::from_secs(24 * 3600);

/// Every few minutes: deletes expired idempotency keys, and asks whether the daily draft purge
/// is due and runs it when this instance claims it (with `retention`; none when the purge is
/// off).
fn spawn_housekeeping(
    db: DatabaseConnection,
    retention: Option<DraftRetention>,
    metrics: Arc<Metrics>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // Not at start: starting instances are busy preparing the database.
        let first = tokio::time::Instant::now() + PURGE_CHECK_EVERY;
        let mut ticks = tokio::time::interval_at(first, PURGE_CHECK_EVERY);
        loop {
            ticks.tick().await;
            let now = chrono::Utc::now();
            match crate::service::idempotency::prune(&db, now).await {
                Ok(0) => {}
                Ok(keys) => tracing::info!(keys, "expired idempotency keys deleted"),
                Err(error) => {
                    tracing::error!(error = %error, "deleting expired idempotency keys failed");
                }
            }
            let Some(retention) = retention else {
                continue;
            };
            match retention::scheduled_purge(&db, retention, now, PURGE_EVERY).await {
                Ok(Some(outcome)) => {
                    metrics.draft_purge_runs.inc();
                    metrics.drafts_purged.inc_by(outcome.drafts);
                }
                Ok(None) => {}
                Err(error) => tracing::error!(error = %error, "the daily draft purge failed"),
            }
        }
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
