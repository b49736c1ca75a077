//! crs-api: the GraphQL API of the Commissioned Rehabilitative Services marketplace.
//!
//! Reading order: `domain` (pure rules) → `db` (all SQL) → `service` (use cases, scope) →
//! `graphql` (translation) → `http` (tokens, routes) → `startup` (wiring) → `cli`. `outbox`
//! relays the domain events the write path commits to NATS JetStream; `synthetic` makes the
//! national data set for benchmarks.

pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod http;
pub mod live;
pub mod outbox;
pub mod rate_limit;
pub mod service;
pub mod startup;
pub mod synthetic;
pub mod telemetry;
pub mod tokens;
