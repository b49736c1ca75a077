//! Pure domain types and rules: no I/O, no database, no GraphQL.
//!
//! - `actor`: who is calling (roles and groups from the token) and what they may see (`Scope`).
//! - `catalogue`: the reference catalogue and the intervention search filter.
//! - `onboarding`: the declarative catalogue file (providers, PDUs, contracts) and its checks.
//! - `ids`: typed ids of the objects clients name side by side.
//! - `journey`: the whole journey: statuses, actions, the role gate ([`journey::Permit`]),
//!   [`journey::decide`], delivery state, the conclusion rule and the status derived from the facts.
//! - `referral`: referral records as stored, what a caller reaches, the dashboard filters;
//!   `draft`: draft fields, their checks and what a draft needs before it is sent;
//!   `reference_number`: reference numbers; `amendment`: amending a sent referral, and the
//!   change log of amendments and handovers.
//! - `delivery`: appointments, feedback, action plans and reports, and their checks.
//! - `notifications`: what each side of a referral is told about, and who is told.
//! - `events`: the domain events a committed change publishes (types, bodies, no free text).
//! - `page`: the paging rule of every list (page size, cursor).
//! - `record`: a referral with everything recorded about it.
//! - `outcome_report`: the commissioners' report: facts, measures, dimensions, disclosure control;
//!   `performance_report`: the provider's per-referral performance report.

pub mod actor;
pub mod amendment;
pub mod catalogue;
pub mod delivery;
pub mod draft;
pub mod events;
pub mod ids;
pub mod journey;
pub mod notifications;
pub mod onboarding;
pub mod outcome_report;
pub mod page;
pub mod performance_report;
pub mod read_audit;
pub mod record;
pub mod reference_number;
pub mod referral;
