//! Prometheus metrics: HTTP requests by route, method and status; GraphQL requests and latency
//! by operation name and outcome; SQL statements run; the request connection pool; the process
//! (CPU, memory, open files, threads). Labels carry route patterns and operation names only,
//! never paths, variables or data.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use actix_web::{HttpResponse, web};
use prometheus::{
    Encoder, Gauge, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec,
    Opts, Registry, TextEncoder,
};

use super::AppState;

/// Histogram buckets of request times, in seconds.
const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Distinct operation names kept as labels; later ones count as `other`.
const MAX_OPERATION_LABELS: usize = 200;

/// The service's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    duration: HistogramVec,
    /// SQL statements run on the database connection.
    pub db_statements: IntCounter,
    /// The outbox and its relay.
    pub events: EventMetrics,
    /// Records of person-level reads written to the read audit.
    pub read_audit_written: IntCounter,
    /// Drafts deleted by the draft purge, and the purge's runs.
    pub drafts_purged: IntCounter,
    pub draft_purge_runs: IntCounter,
    /// Requests refused by a rate limit, by limit.
    pub rate_limited: IntCounterVec,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    /// The request pool: connections open, idle, and the most it may open.
    pool_connections: IntGaugeVec,
    operations: Mutex<HashSet<String>>,
}

/// The outbox relay's metrics.
#[derive(Clone, Debug)]
pub struct EventMetrics {
    /// Events the broker acknowledged.
    pub published: IntCounter,
    /// Of those, events the broker already held (dropped by their `Nats-Msg-Id`).
    pub duplicates: IntCounter,
    /// Publications that failed (and will be tried again).
    pub failed: IntCounter,
    /// Events waiting in the outbox.
    pub backlog: IntGauge,
    /// Age in seconds of the oldest event waiting (0 when none waits).
    pub backlog_age_seconds: Gauge,
    /// Published events deleted after the retention.
    pub pruned: IntCounter,
}

impl EventMetrics {
    fn new(registry: &Registry) -> Result<Self, prometheus::Error> {
        let metrics = EventMetrics {
            published: IntCounter::new(
                "crs_events_published_total",
                "Domain events the broker acknowledged",
            )?,
            duplicates: IntCounter::new(
                "crs_events_duplicates_total",
                "Acknowledged events the broker already held (dropped by Nats-Msg-Id)",
            )?,
            failed: IntCounter::new(
                "crs_events_publish_failures_total",
                "Failed publications of domain events (retried)",
            )?,
            backlog: IntGauge::new("crs_outbox_backlog", "Domain events waiting in the outbox")?,
            backlog_age_seconds: Gauge::new(
                "crs_outbox_backlog_age_seconds",
                "Age of the oldest domain event waiting in the outbox",
            )?,
            pruned: IntCounter::new(
                "crs_outbox_pruned_total",
                "Published domain events deleted after the retention",
            )?,
        };
        registry.register(Box::new(metrics.published.clone()))?;
        registry.register(Box::new(metrics.duplicates.clone()))?;
        registry.register(Box::new(metrics.failed.clone()))?;
        registry.register(Box::new(metrics.backlog.clone()))?;
        registry.register(Box::new(metrics.backlog_age_seconds.clone()))?;
        registry.register(Box::new(metrics.pruned.clone()))?;
        Ok(metrics)
    }
}

impl Metrics {
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "crs_graphql_requests_total",
                "GraphQL requests by operation name and outcome",
            ),
            &["operation", "outcome"],
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "crs_graphql_request_duration_seconds",
                "GraphQL execution time by operation name",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["operation"],
        )?;
        let db_statements = IntCounter::new("crs_db_statements_total", "SQL statements run")?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(db_statements.clone()))?;
        let events = EventMetrics::new(&registry)?;
        let read_audit_written = IntCounter::new(
            "crs_read_audit_records_total",
            "Reads of person-level data recorded in the read audit",
        )?;
        let drafts_purged = IntCounter::new(
            "crs_drafts_purged_total",
            "Unsent drafts deleted by the retention purge",
        )?;
        let draft_purge_runs =
            IntCounter::new("crs_draft_purge_runs_total", "Runs of the draft purge")?;
        let rate_limited = IntCounterVec::new(
            Opts::new(
                "crs_rate_limited_total",
                "Requests refused by a rate limit, by limit",
            ),
            &["limit"],
        )?;
        registry.register(Box::new(read_audit_written.clone()))?;
        registry.register(Box::new(drafts_purged.clone()))?;
        registry.register(Box::new(draft_purge_runs.clone()))?;
        registry.register(Box::new(rate_limited.clone()))?;
        let http_requests = IntCounterVec::new(
            Opts::new(
                "crs_http_requests_total",
                "HTTP requests by route pattern, method and status",
            ),
            &["route", "method", "status"],
        )?;
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "crs_http_request_duration_seconds",
                "HTTP request time by route pattern and method",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["route", "method"],
        )?;
        let pool_connections = IntGaugeVec::new(
            Opts::new(
                "crs_db_pool_connections",
                "Connections of the request pool: open, idle and the most it may open",
            ),
            &["state"],
        )?;
        registry.register(Box::new(http_requests.clone()))?;
        registry.register(Box::new(http_duration.clone()))?;
        registry.register(Box::new(pool_connections.clone()))?;
        // CPU, memory, open files and threads of this process (Linux).
        #[cfg(target_os = "linux")]
        registry.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))?;
        Ok(Metrics {
            registry,
            requests,
            duration,
            db_statements,
            events,
            read_audit_written,
            drafts_purged,
            draft_purge_runs,
            rate_limited,
            http_requests,
            http_duration,
            pool_connections,
            operations: Mutex::new(HashSet::new()),
        })
    }

    /// A safe label for a client-chosen operation name.
    pub fn operation_label(&self, name: Option<&str>) -> String {
        let Some(name) = name else {
            return "anonymous".to_owned();
        };
        let valid = !name.is_empty()
            && name.len() <= 64
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if !valid {
            return "invalid".to_owned();
        }
        let Ok(mut seen) = self.operations.lock() else {
            return "other".to_owned();
        };
        if seen.contains(name) || seen.len() < MAX_OPERATION_LABELS {
            seen.insert(name.to_owned());
            name.to_owned()
        } else {
            "other".to_owned()
        }
    }

    /// Counts a request refused before GraphQL ran, by error code.
    pub fn refused(&self, code: &str) {
        self.requests.with_label_values(&["refused", code]).inc();
    }

    /// Records one executed operation.
    pub fn observe(&self, operation: &str, outcome: &str, elapsed: Duration) {
        self.requests.with_label_values(&[operation, outcome]).inc();
        self.duration
            .with_label_values(&[operation])
            .observe(elapsed.as_secs_f64());
    }

    /// Records one HTTP request by its route pattern (`unmatched` for none).
    pub fn observe_http(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        self.http_requests
            .with_label_values(&[route, method, &status.to_string()])
            .inc();
        self.http_duration
            .with_label_values(&[route, method])
            .observe(elapsed.as_secs_f64());
    }

    /// Sets the pool gauges.
    pub fn pool(&self, pool: crate::db::PoolStatus) {
        for (state, value) in [("open", pool.open), ("idle", pool.idle), ("max", pool.max)] {
            self.pool_connections
                .with_label_values(&[state])
                .set(i64::from(value));
        }
    }

    fn encode(&self) -> Result<String, prometheus::Error> {
        let mut buffer = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buffer)?;
        Ok(String::from_utf8_lossy(&buffer).into_owned())
    }
}

/// `GET /metrics` in the Prometheus text format.
pub async fn render(state: web::Data<AppState>) -> HttpResponse {
    state
        .metrics
        .pool(crate::db::pool_status(&state.services.db));
    match state.metrics.encode() {
        Ok(text) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4")
            .body(text),
        Err(e) => {
            tracing::error!(error = %e, "encoding metrics");
            HttpResponse::InternalServerError().finish()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_labels_are_bounded_and_safe() {
        let metrics = Metrics::new().expect("metrics");
        assert_eq!(metrics.operation_label(None), "anonymous");
        assert_eq!(metrics.operation_label(Some("Dashboard")), "Dashboard");
        assert_eq!(
            metrics.operation_label(Some("John Smith 01/02/1980")),
            "invalid"
        );
        for i in 0..MAX_OPERATION_LABELS {
            metrics.operation_label(Some(&format!("op{i}")));
        }
        assert_eq!(metrics.operation_label(Some("oneMore")), "other");
        assert_eq!(metrics.operation_label(Some("Dashboard")), "Dashboard");
    }
}
