//! Pure domain types and rules: no I/O, no database, no GraphQL.
//!
//! - `actor`: who is calling (roles and groups from the token) and what they may see (`Scope`).
//! - `catalogue`: the reference catalogue and the intervention search filter.
//! - `onboarding`: the declarative catalogue file (providers, PDUs, contracts) and its checks.

pub mod actor;
pub mod catalogue;
pub mod onboarding;
