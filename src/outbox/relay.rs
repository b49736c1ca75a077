//! The relay: one task per server instance. The instance holding the lease publishes the
//! outbox in the order it was written, one event at a time, each acknowledged by the stream
//! before it is marked published; the first failure stops the batch (nothing after it goes
//! ahead of it, so each referral's events keep their order) and the relay backs off. A crash
//! between the acknowledgement and the mark republishes the event, which the stream drops by
//! its id. Without a broker configured the outbox is kept and only the backlog is measured.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use sea_orm::DatabaseConnection;
use tokio::sync::watch;
use uuid::Uuid;

use super::broker::Broker;
use crate::db;
use crate::error::AppError;
use crate::http::metrics::EventMetrics;

/// Events read per batch.
const BATCH: u64 = 200;
/// How often an idle relay looks for new events.
const POLL: Duration = Duration::from_millis(100);
/// How long the lease lasts without renewal: another instance takes over after this.
const LEASE: Duration = Duration::from_secs(15);
/// The longest wait between attempts while the broker fails.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How often published events past the retention are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(60);
/// How often the backlog is measured.
const MEASURE_EVERY: Duration = Duration::from_secs(1);

/// What the relay needs.
#[derive(Clone, Debug)]
pub struct Relay {
    pub db: DatabaseConnection,
    pub nats_url: Option<String>,
    pub retention: Duration,
    pub metrics: EventMetrics,
    /// This instance, as the lease names it.
    pub holder: String,
}

/// A running relay: dropping the handle does not stop it; `stop` does.
#[derive(Debug)]
pub struct RelayHandle {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl RelayHandle {
    /// Stops the relay after its current event and gives the lease up.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

impl Relay {
    /// A relay for this instance (a fresh holder id).
    pub fn new(
        db: DatabaseConnection,
        nats_url: Option<String>,
        retention: Duration,
        metrics: EventMetrics,
    ) -> Relay {
        Relay {
            db,
            nats_url,
            retention,
            metrics,
            holder: Uuid::new_v4().to_string(),
        }
    }

    /// Starts the relay on the current runtime.
    pub fn spawn(self) -> RelayHandle {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(Arc::new(self).run(stopped));
        RelayHandle { stop, task }
    }

    async fn run(self: Arc<Self>, mut stopped: watch::Receiver<bool>) {
        let mut broker: Option<Broker> = None;
        let mut backoff = POLL;
        let mut last_prune: Option<tokio::time::Instant> = None;
        let mut last_measure: Option<tokio::time::Instant> = None;
        loop {
            if *stopped.borrow() {
                break;
            }
            if last_measure.is_none_or(|at| at.elapsed() >= MEASURE_EVERY) {
                if let Err(e) = self.measure().await {
                    tracing::warn!(error = %e, "outbox relay: could not measure the backlog");
                }
                last_measure = Some(tokio::time::Instant::now());
            }
            let wait = match self.round(&mut broker, &mut last_prune).await {
                Ok(Round::Busy) => {
                    backoff = POLL;
                    Duration::ZERO
                }
                Ok(Round::Idle) => {
                    backoff = POLL;
                    POLL
                }
                Err(problem) => {
                    // The broker (or the database) failed: try again later, longer each time.
                    tracing::warn!(error = %problem, retry_in_ms = backoff.as_millis() as u64, "outbox relay: publication failed");
                    let wait = backoff;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    wait
                }
            };
            if !wait.is_zero() {
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stopped.changed() => {}
                }
            }
        }
        if let Err(e) = db::outbox::release_lease(&self.db, &self.holder).await {
            tracing::warn!(error = %e, "outbox relay: could not give the lease up");
        }
    }

    /// One pass: prune when due, and publish a batch when this instance holds the
    /// lease and a broker is configured.
    async fn round(
        &self,
        broker: &mut Option<Broker>,
        last_prune: &mut Option<tokio::time::Instant>,
    ) -> Result<Round, String> {
        let Some(url) = &self.nats_url else {
            return Ok(Round::Idle);
        };
        let pending = db::outbox::pending(&self.db, BATCH)
            .await
            .map_err(|e| e.to_string())?;
        if pending.is_empty() {
            return Ok(Round::Idle);
        }
        // The lease is written only when there is something to publish: an idle relay only
        // reads, and never competes with the requests' writes.
        let now = Utc::now();
        let until = now + chrono::Duration::from_std(LEASE).map_err(|e| e.to_string())?;
        if !db::outbox::take_lease(&self.db, &self.holder, now, until)
            .await
            .map_err(|e| e.to_string())?
        {
            return Ok(Round::Idle);
        }
        if last_prune.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
            self.prune().await.map_err(|e| e.to_string())?;
            *last_prune = Some(tokio::time::Instant::now());
        }
        // Read again under the lease: another holder may have published these meanwhile.
        let pending = db::outbox::pending(&self.db, BATCH)
            .await
            .map_err(|e| e.to_string())?;
        if pending.is_empty() {
            return Ok(Round::Idle);
        }
        if broker.is_none() {
            match Broker::connect(url).await {
                Ok(connected) => *broker = Some(connected),
                Err(e) => {
                    self.metrics.failed.inc();
                    return Err(e.to_string());
                }
            }
        }
        let Some(connected) = broker.as_ref() else {
            return Ok(Round::Idle);
        };
        let full = pending.len() as u64 == BATCH;
        let mut published = Vec::with_capacity(pending.len());
        let mut failure = None;
        for event in &pending {
            match connected
                .publish(
                    &event.event_id.to_string(),
                    &event.event_type,
                    event.body.clone(),
                )
                .await
            {
                Ok(duplicate) => {
                    self.metrics.published.inc();
                    if duplicate {
                        self.metrics.duplicates.inc();
                    }
                    published.push(event.position);
                }
                Err(e) => {
                    self.metrics.failed.inc();
                    failure = Some((event.position, e.to_string()));
                    break;
                }
            }
        }
        db::outbox::mark_published(&self.db, &published, Utc::now())
            .await
            .map_err(|e| e.to_string())?;
        if let Some((position, problem)) = failure {
            db::outbox::count_failure(&self.db, position)
                .await
                .map_err(|e| e.to_string())?;
            // A new connection next time: the broker may have restarted.
            *broker = None;
            return Err(problem);
        }
        tracing::debug!(events = published.len(), "outbox relay: published");
        Ok(if full { Round::Busy } else { Round::Idle })
    }

    /// Updates the backlog metrics.
    async fn measure(&self) -> Result<(), AppError> {
        let (waiting, oldest) = db::outbox::backlog(&self.db).await?;
        self.metrics
            .backlog
            .set(i64::try_from(waiting).unwrap_or(i64::MAX));
        let age = oldest.map_or(0.0, |at| {
            (Utc::now() - at).num_milliseconds().max(0) as f64 / 1000.0
        });
        self.metrics.backlog_age_seconds.set(age);
        Ok(())
    }

    /// Deletes published events older than the retention.
    async fn prune(&self) -> Result<(), AppError> {
        let Ok(retention) = chrono::Duration::from_std(self.retention) else {
            return Ok(());
        };
        let pruned = db::outbox::prune(&self.db, Utc::now() - retention).await?;
        if pruned > 0 {
            self.metrics.pruned.inc_by(pruned);
            tracing::info!(
                events = pruned,
                "outbox: published events past the retention deleted"
            );
        }
        Ok(())
    }
}

/// What a pass found.
enum Round {
    /// A full batch went out: more may be waiting.
    Busy,
    /// Nothing more to do for now.
    Idle,
}
