//! Paged lists: the one connection type every list is paged in, opaque cursors, and pages of
//! short lists held in memory. The paging rule itself (20 rows unless asked, at most 100) is
//! [`PageSize`](crate::domain::page::PageSize).

use std::borrow::Cow;

use async_graphql::connection::{Edge, EmptyFields, PageInfo};
use async_graphql::{Object, OutputType, Result, TypeName};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::DateTime;

use crate::domain::page::{PageCursor, PageSize};
use crate::error::{AppError, FieldError, field_code};

/// One page of a list, as a GraphQL connection named after its node (`ReferralConnection`…).
pub struct Page<N: OutputType> {
    edges: Vec<Edge<String, N, EmptyFields>>,
    has_previous_page: bool,
    has_next_page: bool,
    total_count: u64,
}

impl<N: OutputType> std::fmt::Debug for Page<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Page")
            .field("rows", &self.edges.len())
            .field("has_next_page", &self.has_next_page)
            .field("total_count", &self.total_count)
            .finish()
    }
}

impl<N: OutputType> TypeName for Page<N> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Connection", N::type_name()).into()
    }
}

/// One page of a list, newest first: its edges (or just their nodes), where it stands, and
/// how many items match over every page.
#[Object(name_type)]
impl<N: OutputType> Page<N> {
    /// A list of edges.
    async fn edges(&self) -> &[Edge<String, N, EmptyFields>] {
        &self.edges
    }
    /// A list of nodes.
    async fn nodes(&self) -> Vec<&N> {
        self.edges.iter().map(|edge| &edge.node).collect()
    }
    /// Information to aid in pagination.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_previous_page: self.has_previous_page,
            has_next_page: self.has_next_page,
            start_cursor: self.edges.first().map(|edge| edge.cursor.clone()),
            end_cursor: self.edges.last().map(|edge| edge.cursor.clone()),
        }
    }
    /// How many items match, over every page.
    async fn total_count(&self) -> u64 {
        self.total_count
    }
}

/// A page of `items`, already fetched one row past the page (`has_next_page`), with the
/// cursor of each row.
pub fn connection<T, N: OutputType>(
    items: Vec<T>,
    has_next_page: bool,
    total_count: u64,
    cursor: impl Fn(&T) -> PageCursor,
    wrap: impl Fn(T) -> N,
) -> Page<N> {
    Page {
        edges: items
            .into_iter()
            .map(|item| Edge::new(encode_cursor(cursor(&item)), wrap(item)))
            .collect(),
        has_previous_page: false,
        has_next_page,
        total_count,
    }
}

fn bad_cursor() -> AppError {
    AppError::bad_input(
        "after is not a cursor from this list",
        vec![FieldError::new("after", field_code::INVALID_FORMAT)],
    )
}

/// A cursor: the listing time and id of a row, opaque to clients.
pub fn encode_cursor(cursor: PageCursor) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}|{}", cursor.listed_at.to_rfc3339(), cursor.id))
}

/// Reads a cursor; anything else is `BAD_USER_INPUT`.
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
) -> Result<Page<N>> {
    let take = usize::try_from(PageSize::parse(first)?.rows()).unwrap_or(1);
    let total_count = u64::try_from(items.len()).unwrap_or(u64::MAX);
    let start = match after {
        None => 0,
        Some(cursor) => items
            .iter()
            .position(|item| key(item) == cursor)
            .map(|i| i + 1)
            .ok_or_else(bad_cursor)?,
    };
    let has_next_page = items.len() > start + take;
    Ok(Page {
        edges: items
            .into_iter()
            .skip(start)
            .take(take)
            .map(|item| Edge::new(key(&item), wrap(item)))
            .collect(),
        has_previous_page: start > 0,
        has_next_page,
        total_count,
    })
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
