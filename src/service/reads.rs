//! Where reads that tolerate a little lag go (dashboards, outcome reports, downloads): to the
//! read replica when one is configured (`CRS_DATABASE_REPLICA_URL`), except for a caller who
//! wrote in the last [`READ_YOUR_WRITES`], whose reads stay on the primary so they see their
//! own changes. Writes, and every other read, always use the primary.

use std::borrow::Cow;
use std::time::Duration;

use sea_orm::DatabaseConnection;

use super::Services;
use crate::domain::actor::UserId;

/// How long after a caller's write their lag-tolerant reads stay on the primary: far above a
/// streaming replica's usual lag (milliseconds), so a caller does not see their change vanish.
/// Per instance: a balancer that spreads one caller's requests over instances should keep a
/// caller on one instance for this long, or accept the replica's lag after a write.
pub const READ_YOUR_WRITES: Duration = Duration::from_secs(10);
/// Recent writers remembered at once; past this the oldest are forgotten early.
const WRITERS_CAPACITY: u64 = 100_000;

/// The replica's pool and the callers who wrote recently.
#[derive(Clone)]
pub struct ReadReplica {
    db: DatabaseConnection,
    writers: moka::sync::Cache<UserId, ()>,
}

impl std::fmt::Debug for ReadReplica {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadReplica").finish_non_exhaustive()
    }
}

impl ReadReplica {
    pub fn new(db: DatabaseConnection) -> Self {
        let writers = moka::sync::Cache::builder()
            .max_capacity(WRITERS_CAPACITY)
            .time_to_live(READ_YOUR_WRITES)
            .build();
        ReadReplica { db, writers }
    }

    /// The replica's pool.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }
}

impl Services {
    /// The same services with lag-tolerant reads sent to `replica`.
    pub fn with_replica(mut self, replica: DatabaseConnection) -> Self {
        self.replica = Some(ReadReplica::new(replica));
        self
    }

    /// Notes that `user` has just written: their lag-tolerant reads stay on the primary for
    /// [`READ_YOUR_WRITES`].
    pub fn wrote(&self, user: &UserId) {
        if let Some(replica) = &self.replica {
            replica.writers.insert(user.clone(), ());
        }
    }

    /// The services to read with for `user` when a little lag is acceptable: these, on the
    /// replica, unless there is none or `user` wrote recently.
    pub fn lag_tolerant(&self, user: &UserId) -> Cow<'_, Services> {
        match &self.replica {
            Some(replica) if !replica.writers.contains_key(user) => Cow::Owned(Services {
                db: replica.db.clone(),
                ..self.clone()
            }),
            _ => Cow::Borrowed(self),
        }
    }
}
