//! Helpers shared by the delivery modules' unit tests.

use chrono::{DateTime, TimeZone, Utc};

use crate::error::FieldError;

/// The `(field, code)` pairs of check errors, in order.
pub(super) fn fields(errors: &[FieldError]) -> Vec<(&str, &str)> {
    errors.iter().map(|e| (e.field.as_str(), e.code)).collect()
}

/// When the referral of the tests was sent.
pub(super) fn sent() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).single().unwrap()
}
