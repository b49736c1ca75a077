//! The integration suite: one binary, a real server on port 0 and a fresh database per test
//! (a SQLite file, or a new PostgreSQL schema when `CRS_TEST_DATABASE_URL` is set).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_debug_implementations
)]

mod auth;
mod bounds;
mod catalogue;
mod concurrency;
mod crash;
mod dashboards;
mod delivery;
mod entities;
mod events;
mod failure;
mod fuzz;
mod graphql_http;
mod idempotency;
mod import;
mod isolation;
mod jwks;
mod layers;
mod limits;
mod matrix;
mod notifications;
mod operations;
mod outcome_report;
mod pages;
mod plans;
mod rate_limits;
mod read_audit;
mod readme;
mod referrals;
mod replica;
mod retention;
mod schema;
mod scope;
mod shutdown;
mod spreadsheet;
mod subject_access;
mod subscriptions;
mod support;
mod synthetic;
mod telemetry;
mod tokens;
mod working_day;
