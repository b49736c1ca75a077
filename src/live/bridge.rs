//! Carries announcements between instances through NATS (core publish and subscribe on
//! [`SUBJECT`], not the stream: a live update that misses a disconnected instance is not
//! worth keeping, the notifications query and the event stream are the record). Each
//! instance publishes what it announces and delivers what the others announced.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{Announcement, LiveHub};

/// The subject announcements travel on.
pub const SUBJECT: &str = "crs.live";

/// The bridge's tasks; stopped with the server.
#[derive(Debug)]
pub struct BridgeHandle {
    task: JoinHandle<()>,
}

impl BridgeHandle {
    /// Stops the bridge.
    pub fn stop(self) {
        self.task.abort();
    }
}

/// Attaches a bridge to `hub` through the NATS server at `url`. It connects in the
/// background and keeps reconnecting; what this instance announces while the broker is away
/// is buffered by the client up to its limit.
pub fn spawn(hub: LiveHub, url: String) -> BridgeHandle {
    let (outbound, mut queue) = mpsc::unbounded_channel::<Announcement>();
    hub.attach(outbound);
    let task = tokio::spawn(async move {
        let client = match async_nats::ConnectOptions::new()
            .connection_timeout(Duration::from_secs(5))
            .retry_on_initial_connect()
            .connect(url.as_str())
            .await
        {
            Ok(client) => client,
            Err(error) => {
                tracing::warn!(error = %error, "live updates: cannot connect to NATS; this instance hears only its own changes");
                return;
            }
        };
        let mut heard = match client.subscribe(SUBJECT).await {
            Ok(subscriber) => subscriber,
            Err(error) => {
                tracing::warn!(error = %error, "live updates: cannot subscribe; this instance hears only its own changes");
                return;
            }
        };
        loop {
            tokio::select! {
                next = queue.recv() => {
                    let Some(announcement) = next else { break };
                    match serde_json::to_vec(&announcement) {
                        Ok(body) => {
                            if let Err(error) = client.publish(SUBJECT, body.into()).await {
                                tracing::warn!(error = %error, "live updates: not passed on to other instances");
                            }
                        }
                        Err(error) => tracing::error!(error = %error, "live updates: encoding an announcement"),
                    }
                }
                message = heard.next() => {
                    let Some(message) = message else { break };
                    match serde_json::from_slice::<Announcement>(&message.payload) {
                        Ok(announcement) => hub.heard(announcement),
                        Err(_) => tracing::warn!("live updates: ignored a message that is not an announcement"),
                    }
                }
            }
        }
    });
    BridgeHandle { task }
}
