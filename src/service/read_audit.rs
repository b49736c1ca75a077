//! The read audit's writer: requests hand over their records and go on; a background task
//! writes them in batches (one `INSERT` for many requests), so the dashboard does not wait for
//! an audit write. Nothing is dropped: when the writer falls behind, requests wait to hand over
//! (the channel is bounded), and a failed batch (one transaction) is retried until it succeeds
//! or the server stops. A record is written at most `FLUSH_EVERY` after it was handed over; on
//! a clean stop everything handed over is written; a crash loses at most that last interval.

use std::time::Duration;

use sea_orm::{DatabaseConnection, TransactionTrait};
use tokio::sync::{mpsc, oneshot};

use crate::db;
use crate::domain::read_audit::{AuditQuery, ReadRecord};
use crate::error::AppError;

/// Longest a record waits before its batch is written.
const FLUSH_EVERY: Duration = Duration::from_millis(200);
/// Records that make a batch worth writing at once.
const BATCH_ROWS: usize = 2_000;
/// Longest a stopping server waits for the last batch.
const STOP_WAIT: Duration = Duration::from_secs(5);
/// Hand-overs queued before requests wait for the writer.
const QUEUE: usize = 4_096;

enum Message {
    Records(Vec<ReadRecord>),
    /// Answered once everything handed over before it is written.
    Flush(oneshot::Sender<()>),
}

/// Where requests hand over their audit records. `disabled()` records nothing (used by
/// commands and in-process tools that read no person on anyone's behalf).
#[derive(Clone, Debug, Default)]
pub struct ReadAudit {
    sender: Option<mpsc::Sender<Message>>,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Message::Records(records) => write!(f, "Records({})", records.len()),
            Message::Flush(_) => f.write_str("Flush"),
        }
    }
}

/// The writer task, stopped by [`ReadAuditWriter::stop`] after a last flush.
#[derive(Debug)]
pub struct ReadAuditWriter {
    audit: ReadAudit,
    task: tokio::task::JoinHandle<()>,
}

impl ReadAudit {
    /// An audit that records nothing.
    pub fn disabled() -> Self {
        ReadAudit { sender: None }
    }

    /// Starts the writer on `db` (connections of its own: its writes are not a request's).
    pub fn spawn(db: DatabaseConnection, written: prometheus::IntCounter) -> ReadAuditWriter {
        let (sender, receiver) = mpsc::channel(QUEUE);
        let task = tokio::spawn(write_batches(db, receiver, written));
        ReadAuditWriter {
            audit: ReadAudit {
                sender: Some(sender),
            },
            task,
        }
    }

    /// Whether records handed over are kept.
    pub fn is_enabled(&self) -> bool {
        self.sender.is_some()
    }

    /// Hands `records` over to the writer; waits only when the writer is far behind.
    pub async fn record(&self, records: Vec<ReadRecord>) {
        if records.is_empty() {
            return;
        }
        if let Some(sender) = &self.sender
            && sender.send(Message::Records(records)).await.is_err()
        {
            tracing::error!("read audit writer stopped: records not kept");
        }
    }

    /// Waits until everything handed over so far is written.
    pub async fn flush(&self) {
        if let Some(sender) = &self.sender {
            let (done, written) = oneshot::channel();
            if sender.send(Message::Flush(done)).await.is_ok() {
                let _ = written.await;
            }
        }
    }
}

impl ReadAuditWriter {
    /// Where requests hand over their records.
    pub fn audit(&self) -> ReadAudit {
        self.audit.clone()
    }

    /// Writes what is pending (waiting at most [`STOP_WAIT`] for the database) and stops the
    /// task.
    pub async fn stop(self) {
        if tokio::time::timeout(STOP_WAIT, self.audit.flush())
            .await
            .is_err()
        {
            tracing::error!("the read audit could not be written before the server stopped");
        }
        self.task.abort();
    }
}

async fn write_batches(
    db: DatabaseConnection,
    mut receiver: mpsc::Receiver<Message>,
    written: prometheus::IntCounter,
) {
    let mut pending: Vec<ReadRecord> = Vec::new();
    let mut waiting: Vec<oneshot::Sender<()>> = Vec::new();
    // When the oldest pending record must be written by.
    let mut deadline: Option<tokio::time::Instant> = None;
    loop {
        let (message, timed_out) = match deadline {
            None => match receiver.recv().await {
                Some(message) => (Some(message), false),
                None => break,
            },
            Some(at) => tokio::select! {
                message = receiver.recv() => match message {
                    Some(message) => (Some(message), false),
                    None => break,
                },
                () = tokio::time::sleep_until(at) => (None, true),
            },
        };
        match message {
            Some(Message::Records(records)) => pending.extend(records),
            Some(Message::Flush(done)) => waiting.push(done),
            None => {}
        }
        // Take whatever else is queued without waiting.
        while pending.len() < BATCH_ROWS {
            match receiver.try_recv() {
                Ok(Message::Records(records)) => pending.extend(records),
                Ok(Message::Flush(done)) => waiting.push(done),
                Err(_) => break,
            }
        }
        if !pending.is_empty() && deadline.is_none() {
            deadline = Some(tokio::time::Instant::now() + FLUSH_EVERY);
        }
        let due = timed_out || !waiting.is_empty() || pending.len() >= BATCH_ROWS;
        if due && !pending.is_empty() {
            write_until_done(&db, &pending).await;
            written.inc_by(pending.len() as u64);
            pending.clear();
        }
        if pending.is_empty() {
            deadline = None;
            for done in waiting.drain(..) {
                let _ = done.send(());
            }
        }
    }
    if !pending.is_empty() {
        write_until_done(&db, &pending).await;
        written.inc_by(pending.len() as u64);
    }
}

/// Writes one batch, retrying with a growing pause while the database refuses it.
async fn write_until_done(db: &DatabaseConnection, records: &[ReadRecord]) {
    let mut pause = Duration::from_millis(100);
    loop {
        match append_all(db, records).await {
            Ok(()) => return,
            Err(error) => {
                tracing::error!(error = %error, rows = records.len(), "writing the read audit; retrying");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// Appends a batch in one transaction: all of it or, to be tried again, none.
async fn append_all(db: &DatabaseConnection, records: &[ReadRecord]) -> Result<(), AppError> {
    let txn = db.begin().await?;
    db::read_audit::append(&txn, records).await?;
    txn.commit().await?;
    Ok(())
}

/// The records matching `query`, oldest first.
pub async fn find(
    db: &DatabaseConnection,
    query: &AuditQuery,
) -> Result<Vec<ReadRecord>, AppError> {
    db::read_audit::find(db, query).await
}
