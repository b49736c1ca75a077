//! Domain events leave the API here: the relay reads the outbox (written by the write path in
//! the transaction of each change) and publishes it to NATS JetStream.
//!
//! - `broker`: the JetStream connection, the `CRS_EVENTS` stream, publishing with `Nats-Msg-Id`
//!   and waiting for the acknowledgement.
//! - `relay`: the loop that holds the lease, publishes in order, marks, retries with backoff,
//!   prunes, and keeps the backlog metrics.

pub mod broker;
pub mod relay;
