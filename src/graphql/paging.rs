//! Opaque cursors and in-memory pages of short lists.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{OutputType, Result};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::DateTime;

use super::referral::ListTotals;
use crate::domain::referral::PageCursor;
use crate::error::{AppError, FieldError, field_code};

fn bad_cursor() -> AppError {
    AppError::bad_input(
        "after is not a cursor from this list",
        vec![FieldError::new("after", field_code::INVALID_FORMAT)],
    )
}

fn bad_first() -> AppError {
    AppError::bad_input(
        "first must be between 1 and 100",
        vec![FieldError::new("first", field_code::INVALID_VALUE)],
    )
}

/// A dashboard cursor: the listing time and id of a row, opaque to clients.
pub fn encode_cursor(cursor: PageCursor) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{}", cursor.listed_at.to_rfc3339(), cursor.id))
}

/// Reads a dashboard cursor; anything else is `BAD_USER_INPUT`.
pub fn decode_cursor(text: &str) -> Result<PageCursor, AppError> {
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad_cursor())?;
    let text = String::from_utf8(bytes).map_err(|_| bad_cursor())?;
    let (at, id) = text.split_once('|').ok_or_else(bad_cursor)?;
    Ok(PageCursor {
        listed_at: DateTime::parse_from_rfc3339(at)
            .map_err(|_| bad_cursor())?
            .to_utc(),
        id: uuid::Uuid::try_parse(id).map_err(|_| bad_cursor())?,
    })
}

/// Pages a short list already in memory (newest first), with item keys as cursors.
pub fn page_in_memory<T, N: OutputType>(
    items: Vec<T>,
    first: Option<i32>,
    after: Option<&str>,
    key: impl Fn(&T) -> String,
    wrap: impl Fn(T) -> N,
) -> Result<Connection<String, N, ListTotals>> {
    let first = first.unwrap_or(20);
    if !(1..=100).contains(&first) {
        return Err(bad_first().into());
    }
    let total_count = u64::try_from(items.len()).unwrap_or(u64::MAX);
    let start = match after {
        None => 0,
        Some(cursor) => items
            .iter()
            .position(|item| key(item) == cursor)
            .map(|i| i + 1)
            .ok_or_else(bad_cursor)?,
    };
    let take = usize::try_from(first).unwrap_or(20);
    let has_next = items.len() > start + take;
    let mut connection =
        Connection::with_additional_fields(start > 0, has_next, ListTotals { total_count });
    connection.edges.extend(
        items
            .into_iter()
            .skip(start)
            .take(take)
            .map(|item| Edge::new(key(&item), wrap(item))),
    );
    Ok(connection)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = PageCursor {
            listed_at: chrono::Utc::now(),
            id: uuid::Uuid::new_v4(),
        };
        assert_eq!(decode_cursor(&encode_cursor(cursor)).ok(), Some(cursor));
        for garbage in ["", "abc", "!!!", &URL_SAFE_NO_PAD.encode("2024-01-01|x")] {
            assert!(
                matches!(decode_cursor(garbage), Err(AppError::BadInput { .. })),
                "{garbage}"
            );
        }
    }
}
