//! What a database error means for the caller: the database is out of reach or the pool has no
//! connection free ([`Failure::Unavailable`], try again later), or a statement ran past its time
//! limit ([`Failure::Timeout`]). Anything else is an internal error.

use sea_orm::sqlx;
use sea_orm::{DbErr, RuntimeErr};

use crate::error::AppError;

/// A database failure the caller is told about by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    Unavailable,
    Timeout,
}

/// PostgreSQL error classes and codes that mean the server cannot serve now: connection
/// exceptions (08), insufficient resources (53), operator intervention (57P01–57P03), and a
/// database that does not accept connections (55000 at connect).
fn postgres_unavailable(code: &str) -> bool {
    code.starts_with("08") || code.starts_with("53") || matches!(code, "57P01" | "57P02" | "57P03")
}

/// PostgreSQL codes of a statement stopped for time: `statement_timeout` (57014), a lock wait
/// past `lock_timeout` (55P03), a session ended by `idle_in_transaction_session_timeout`
/// (25P03).
fn postgres_timeout(code: &str) -> bool {
    matches!(code, "57014" | "55P03" | "25P03")
}

/// SQLite's busy and locked codes (5, 6, and their extended forms): the lock was not free within
/// the busy timeout.
fn sqlite_busy(code: &str) -> bool {
    code.parse::<u32>()
        .is_ok_and(|code| matches!(code & 0xff, 5 | 6))
}

fn of_sqlx(error: &sqlx::Error, connecting: bool) -> Option<Failure> {
    match error {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => Some(Failure::Unavailable),
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) => Some(Failure::Unavailable),
        sqlx::Error::Database(database) => {
            let code = database.code()?;
            if postgres_timeout(&code) {
                Some(Failure::Timeout)
            } else if postgres_unavailable(&code) || (connecting && code == "55000") {
                Some(Failure::Unavailable)
            } else if database
                .try_downcast_ref::<sqlx::sqlite::SqliteError>()
                .is_some()
                && sqlite_busy(&code)
            {
                Some(Failure::Timeout)
            } else {
                None
            }
        }
        _ if connecting => Some(Failure::Unavailable),
        _ => None,
    }
}

/// What `error` means, if it is one the caller is told about.
pub fn of(error: &DbErr) -> Option<Failure> {
    match error {
        DbErr::ConnectionAcquire(_) => Some(Failure::Unavailable),
        DbErr::Conn(RuntimeErr::SqlxError(e)) => of_sqlx(e, true),
        DbErr::Conn(_) => Some(Failure::Unavailable),
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            of_sqlx(e, false)
        }
        _ => None,
    }
}

/// What the first database error in `error`'s chain of causes means.
pub fn in_chain(error: &anyhow::Error) -> Option<Failure> {
    error.chain().find_map(|cause| {
        if let Some(db) = cause.downcast_ref::<DbErr>() {
            of(db)
        } else {
            cause
                .downcast_ref::<sqlx::Error>()
                .and_then(|e| of_sqlx(e, false))
        }
    })
}

impl From<Failure> for AppError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Unavailable => AppError::Unavailable,
            Failure::Timeout => AppError::Timeout,
        }
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(error: sea_orm::DbErr) -> Self {
        match of(&error) {
            Some(failure) => failure.into(),
            None => AppError::Internal(error.into()),
        }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(error: anyhow::Error) -> Self {
        match in_chain(&error) {
            Some(failure) => failure.into(),
            None => AppError::Internal(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::ConnAcquireErr;

    #[test]
    fn pool_exhaustion_and_lost_connections_are_unavailable() {
        assert_eq!(
            of(&DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)),
            Some(Failure::Unavailable)
        );
        let io = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert_eq!(
            of(&DbErr::Query(RuntimeErr::SqlxError(io.into()))),
            Some(Failure::Unavailable)
        );
        assert_eq!(of(&DbErr::RecordNotFound("x".into())), None);
    }

    #[test]
    fn codes_are_classified() {
        assert!(postgres_timeout("57014") && postgres_timeout("55P03"));
        assert!(postgres_unavailable("08006") && postgres_unavailable("57P01"));
        assert!(!postgres_unavailable("23505") && !postgres_timeout("23505"));
        assert!(sqlite_busy("5") && sqlite_busy("517") && sqlite_busy("6"));
        assert!(!sqlite_busy("19") && !sqlite_busy("42P01"));
    }

    #[test]
    fn causes_are_found_under_context() {
        let error = anyhow::Error::from(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))
            .context("reading the referral");
        assert_eq!(in_chain(&error), Some(Failure::Unavailable));
        assert_eq!(in_chain(&anyhow::anyhow!("something else")), None);
    }
}
