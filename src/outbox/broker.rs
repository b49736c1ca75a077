//! NATS JetStream, through the official `async-nats` client: the `CRS_EVENTS` stream (created
//! when missing, subjects `crs.events.>`), one message per event on `crs.events.<eventType>`
//! with the event id as `Nats-Msg-Id`, so the stream drops a redelivery inside its duplicate
//! window.

use std::time::Duration;

use async_nats::jetstream::{self, stream};

/// The stream every event goes to.
pub const STREAM: &str = "CRS_EVENTS";

/// The subject of an event type.
pub fn subject(event_type: &str) -> String {
    format!("crs.events.{event_type}")
}

/// How long the stream remembers message ids to drop redeliveries.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(10 * 60);

/// A publication the broker did not acknowledge.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PublishError(String);

/// A JetStream context with the stream in place.
#[derive(Clone, Debug)]
pub struct Broker {
    jetstream: jetstream::Context,
}

impl Broker {
    /// Connects and makes sure the stream exists.
    pub async fn connect(url: &str) -> Result<Broker, PublishError> {
        let client = async_nats::ConnectOptions::new()
            .connection_timeout(Duration::from_secs(5))
            .request_timeout(Some(Duration::from_secs(5)))
            .connect(url)
            .await
            .map_err(|e| PublishError(format!("connecting to NATS: {e}")))?;
        let jetstream = jetstream::new(client);
        jetstream
            .get_or_create_stream(stream::Config {
                name: STREAM.to_owned(),
                subjects: vec![subject(">")],
                duplicate_window: DUPLICATE_WINDOW,
                ..Default::default()
            })
            .await
            .map_err(|e| PublishError(format!("creating the {STREAM} stream: {e}")))?;
        Ok(Broker { jetstream })
    }

    /// Publishes one event and waits for the stream's acknowledgement; `Ok(true)` when the
    /// stream already held it (a redelivery it dropped).
    pub async fn publish(
        &self,
        event_id: &str,
        event_type: &str,
        body: String,
    ) -> Result<bool, PublishError> {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", event_id);
        let ack = self
            .jetstream
            .publish_with_headers(subject(event_type), headers, body.into())
            .await
            .map_err(|e| PublishError(format!("publishing: {e}")))?
            .await
            .map_err(|e| PublishError(format!("waiting for the acknowledgement: {e}")))?;
        Ok(ack.duplicate)
    }
}
