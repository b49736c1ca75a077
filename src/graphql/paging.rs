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
use crate::domain::referral::{DashboardCursor, OrderField, OrderKey, ReferralOrder};
use crate::error::{AppError, FieldError, field_code};

/// A node of a paged list: the connection is named after it (`ReferralConnection`…) unless
/// it says otherwise.
pub trait Listed: OutputType {
    /// The connection type's name.
    fn connection_name() -> String {
        format!("{}Connection", Self::type_name())
    }
}

/// One page of a list, as a GraphQL connection named after its node (`ReferralConnection`…).
pub struct Page<N: Listed> {
    edges: Vec<Edge<String, N, EmptyFields>>,
    has_previous_page: bool,
    has_next_page: bool,
    total_count: u64,
}

impl<N: Listed> std::fmt::Debug for Page<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Page")
            .field("rows", &self.edges.len())
            .field("has_next_page", &self.has_next_page)
            .field("total_count", &self.total_count)
            .finish()
    }
}

impl<N: Listed> TypeName for Page<N> {
    fn type_name() -> Cow<'static, str> {
        N::connection_name().into()
    }
}

/// One page of a list, in the list's order: its edges (or just their nodes), where it stands, and
/// how many items match over every page.
#[Object(name_type)]
impl<N: Listed> Page<N> {
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
pub fn connection<T, N: Listed>(
    items: Vec<T>,
    has_next_page: bool,
    total_count: u64,
    cursor: impl Fn(&T) -> PageCursor,
    wrap: impl Fn(T) -> N,
) -> Page<N> {
    connection_with(
        items,
        has_next_page,
        total_count,
        |item| encode_cursor(cursor(item)),
        wrap,
    )
}

/// [`connection`] with each row's cursor already written.
pub fn connection_with<T, N: Listed>(
    items: Vec<T>,
    has_next_page: bool,
    total_count: u64,
    cursor: impl Fn(&T) -> String,
    wrap: impl Fn(T) -> N,
) -> Page<N> {
    Page {
        edges: items
            .into_iter()
            .map(|item| Edge::new(cursor(&item), wrap(item)))
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

/// A dashboard cursor: the order, the last row's key and id, opaque to clients.
pub fn encode_dashboard_cursor(cursor: &DashboardCursor) -> String {
    let key = match &cursor.key {
        OrderKey::Time(at) => format!("t{}", at.to_rfc3339()),
        OrderKey::Day(day) => format!("d{day}"),
        OrderKey::Text(text) => format!("s{text}"),
        OrderKey::Missing => "n".to_owned(),
    };
    let direction = if cursor.order.descending {
        "DESC"
    } else {
        "ASC"
    };
    URL_SAFE_NO_PAD.encode(format!(
        "{}|{direction}|{}|{key}",
        cursor.order.field.code(),
        cursor.id
    ))
}

/// Reads a dashboard cursor; anything else is `BAD_USER_INPUT`. A cursor of the newest-first
/// list made before orders existed (time and id) reads as one of that order.
pub fn decode_dashboard_cursor(text: &str) -> Result<DashboardCursor, AppError> {
    if let Ok(legacy) = decode_cursor(text) {
        return Ok(DashboardCursor {
            order: ReferralOrder::default(),
            key: OrderKey::Time(legacy.listed_at),
            id: legacy.id,
        });
    }
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad_cursor())?;
    let text = String::from_utf8(bytes).map_err(|_| bad_cursor())?;
    let mut parts = text.splitn(4, '|');
    let (Some(field), Some(direction), Some(id), Some(key)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad_cursor());
    };
    let field = OrderField::from_code(field).ok_or_else(bad_cursor)?;
    let descending = match direction {
        "DESC" => true,
        "ASC" => false,
        _ => return Err(bad_cursor()),
    };
    let id = uuid::Uuid::try_parse(id).map_err(|_| bad_cursor())?;
    let key = match key.split_at_checked(1) {
        Some(("t", at)) => OrderKey::Time(
            DateTime::parse_from_rfc3339(at)
                .map_err(|_| bad_cursor())?
                .to_utc(),
        ),
        Some(("d", day)) => OrderKey::Day(day.parse().map_err(|_| bad_cursor())?),
        Some(("s", text)) => OrderKey::Text(text.to_owned()),
        Some(("n", "")) => OrderKey::Missing,
        _ => return Err(bad_cursor()),
    };
    Ok(DashboardCursor {
        order: ReferralOrder { field, descending },
        key,
        id,
    })
}

/// The cursor of a list read in another order than the one asked for now.
pub fn cursor_of_another_order() -> AppError {
    AppError::bad_input(
        "after is a cursor of a list in another order: start again from the first page",
        vec![FieldError::new("after", field_code::INVALID_VALUE)],
    )
}

/// Pages a short list already in memory (newest first), with item keys as cursors.
pub fn page_in_memory<T, N: Listed>(
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

    #[test]
    fn dashboard_cursors_round_trip_in_every_order_and_garbage_is_refused() {
        let id = uuid::Uuid::new_v4();
        for field in OrderField::ALL {
            for descending in [false, true] {
                for key in [
                    OrderKey::Time(chrono::Utc::now()),
                    OrderKey::Day(chrono::NaiveDate::from_ymd_opt(2027, 2, 3).unwrap()),
                    OrderKey::Text("o'brien | smith".into()),
                    OrderKey::Missing,
                ] {
                    let cursor = DashboardCursor {
                        order: ReferralOrder { field, descending },
                        key,
                        id,
                    };
                    let text = encode_dashboard_cursor(&cursor);
                    assert_eq!(decode_dashboard_cursor(&text).ok(), Some(cursor));
                }
            }
        }
        let legacy = PageCursor {
            listed_at: chrono::Utc::now(),
            id,
        };
        let read = decode_dashboard_cursor(&encode_cursor(legacy)).unwrap();
        assert_eq!(read.order, ReferralOrder::default());
        for garbage in [
            URL_SAFE_NO_PAD.encode(format!("SIDEWAYS|ASC|{id}|n")),
            URL_SAFE_NO_PAD.encode(format!("REFERENCE|UP|{id}|n")),
            URL_SAFE_NO_PAD.encode(format!("REFERENCE|ASC|{id}|x1")),
            URL_SAFE_NO_PAD.encode(format!("REFERENCE|ASC|{id}|dnot-a-day")),
            URL_SAFE_NO_PAD.encode("REFERENCE|ASC|nope|n"),
        ] {
            assert!(
                matches!(
                    decode_dashboard_cursor(&garbage),
                    Err(AppError::BadInput { .. })
                ),
                "{garbage}"
            );
        }
    }
}
