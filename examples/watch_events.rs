//! Prints the domain events of the `CRS_EVENTS` stream as they arrive, one JSON line each,
//! from the first one the stream holds:
//!
//!     cargo run --example watch-events -- nats://127.0.0.1:4222
#![allow(clippy::print_stdout)]

use async_nats::jetstream::{self, consumer};
use futures_util::StreamExt;

#[tokio::main]
async fn main() -> Result<(), async_nats::Error> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "nats://127.0.0.1:4222".to_owned());
    let client = async_nats::connect(&url).await?;
    let stream = jetstream::new(client).get_stream("CRS_EVENTS").await?;
    // An ordered consumer: no state on the server, every message in stream order.
    let consumer = stream
        .create_consumer(consumer::pull::OrderedConfig {
            deliver_policy: consumer::DeliverPolicy::All,
            ..Default::default()
        })
        .await?;
    let mut messages = consumer.messages().await?;
    while let Some(message) = messages.next().await {
        let message = message?;
        println!(
            "{} {}",
            message.subject,
            String::from_utf8_lossy(&message.payload)
        );
    }
    Ok(())
}
