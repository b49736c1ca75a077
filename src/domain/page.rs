//! The paging rule of every list: `first` rows (20 unless asked, at most 100) after a cursor.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::{AppError, FieldError, field_code};

/// How many rows one page holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageSize(u64);

impl PageSize {
    /// Rows of a page when `first` is not given.
    pub const DEFAULT: i32 = 20;
    /// Most rows of one page.
    pub const MAX: i32 = 100;

    /// The page size `first` asks for; `BAD_USER_INPUT` on `first` outside 1 to 100.
    pub fn parse(first: Option<i32>) -> Result<PageSize, AppError> {
        let first = first.unwrap_or(Self::DEFAULT);
        if !(1..=Self::MAX).contains(&first) {
            return Err(AppError::bad_input(
                format!("first must be between 1 and {}", Self::MAX),
                vec![FieldError::new("first", field_code::INVALID_VALUE)],
            ));
        }
        Ok(PageSize(u64::try_from(first).unwrap_or(1)))
    }

    /// The rows a page of `first` may hold, for the query's cost before it runs (out-of-range
    /// values are refused later; here they count as the nearest allowed size).
    pub fn cost(first: Option<i32>) -> usize {
        let rows = first.unwrap_or(Self::DEFAULT).clamp(1, Self::MAX);
        usize::try_from(rows).unwrap_or(1)
    }

    /// The number of rows.
    pub fn rows(self) -> u64 {
        self.0
    }
}

/// A position in a list ordered newest first: the time and id of the last row of the previous
/// page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageCursor {
    pub listed_at: DateTime<Utc>,
    pub id: Uuid,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_defaults_to_20_and_is_bounded_by_1_and_100() {
        assert_eq!(PageSize::parse(None).ok(), Some(PageSize(20)));
        assert_eq!(PageSize::parse(Some(1)).ok(), Some(PageSize(1)));
        assert_eq!(PageSize::parse(Some(100)).ok(), Some(PageSize(100)));
        for bad in [0, -1, 101, i32::MAX] {
            assert!(
                matches!(PageSize::parse(Some(bad)), Err(AppError::BadInput { .. })),
                "{bad}"
            );
        }
        assert_eq!(PageSize::cost(None), 20);
        assert_eq!(PageSize::cost(Some(500)), 100);
        assert_eq!(PageSize::cost(Some(-3)), 1);
    }
}
