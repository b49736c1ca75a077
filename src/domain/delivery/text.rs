//! Text checks shared by the delivery records: trimming, lengths, required fields.

use crate::error::FieldError;
use crate::error::field_code as code;

/// Trimmed text, or `None` when blank.
pub(super) fn filled(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// Checks a text's length; returns the trimmed text.
pub(super) fn bounded(
    text: Option<&str>,
    field: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let value = filled(text);
    if value.as_ref().is_some_and(|v| v.chars().count() > max) {
        errors.push(FieldError::new(field, code::INVALID_LENGTH));
    }
    value
}

/// Required text: `CANNOT_BE_EMPTY` when blank.
pub(super) fn required(
    text: Option<&str>,
    field: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let value = bounded(text, field, max, errors);
    if value.is_none() {
        errors.push(FieldError::new(field, code::CANNOT_BE_EMPTY));
    }
    value
}
