//! The read audit: a record of every read of person-level data by someone outside probation
//! (a provider user, a read-all client, a subject access request), one per referral read.
//! Practitioners read their own referrals and are not recorded.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::actor::{Caller, Scope};

/// The role codes a record's reader can have.
pub const PROVIDER_USER: &str = "PROVIDER_USER";
pub const READ_ALL: &str = "READ_ALL";
pub const SUBJECT_ACCESS: &str = "SUBJECT_ACCESS";

/// The stored role code as one of the constants (`UNKNOWN` for any other).
pub fn role_code(stored: &str) -> &'static str {
    match stored {
        PROVIDER_USER => PROVIDER_USER,
        READ_ALL => READ_ALL,
        SUBJECT_ACCESS => SUBJECT_ACCESS,
        _ => "UNKNOWN",
    }
}

/// The subject access export as the read audit names it.
pub const SUBJECT_ACCESS_OPERATION: &str = "subject-access-request";

/// One read of one referral's person-level data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadRecord {
    pub at: DateTime<Utc>,
    /// The reader's user id (the token's `sub`).
    pub actor_id: String,
    pub actor_role: &'static str,
    /// A provider user's provider codes, comma-separated.
    pub organisation: Option<String>,
    pub referral_id: Uuid,
    /// What was read: `graphql:<operation name>`, `subject-access-request`, a download's name.
    pub operation: String,
    pub request_id: Option<Uuid>,
}

/// Who is reading, as the audit records them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reader {
    pub actor_id: String,
    pub role: &'static str,
    pub organisation: Option<String>,
}

impl Reader {
    /// The caller as an audited reader; `None` for callers whose reads are not audited
    /// (practitioners, commissioners, who never see a person).
    pub fn of(caller: &Caller) -> Option<Reader> {
        let (role, organisation) = match &caller.scope {
            Scope::Provider(provider) => (PROVIDER_USER, Some(provider.provider_codes.join(","))),
            Scope::ReadAll => (READ_ALL, None),
            _ => return None,
        };
        Some(Reader {
            actor_id: caller.user_id().0.clone(),
            role,
            organisation,
        })
    }

    /// A subject access request client.
    pub fn subject_access(actor_id: &str) -> Reader {
        Reader {
            actor_id: actor_id.to_owned(),
            role: SUBJECT_ACCESS,
            organisation: None,
        }
    }

    /// The records of this reader reading `referral_ids` in `operation`.
    pub fn records(
        &self,
        referral_ids: impl IntoIterator<Item = Uuid>,
        operation: &str,
        request_id: Option<Uuid>,
        at: DateTime<Utc>,
    ) -> Vec<ReadRecord> {
        referral_ids
            .into_iter()
            .map(|referral_id| ReadRecord {
                at,
                actor_id: self.actor_id.clone(),
                actor_role: self.role,
                organisation: self.organisation.clone(),
                referral_id,
                operation: operation.to_owned(),
                request_id,
            })
            .collect()
    }
}

/// Which records to read back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub referral_id: Option<Uuid>,
    pub actor_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to: Option<DateTime<Utc>>,
    pub limit: u64,
}

/// Longest operation name kept; client-chosen names are cut there.
pub const MAX_OPERATION_LENGTH: usize = 100;

/// A GraphQL operation as the audit names it: `graphql:` and the operation's name, given with
/// the request or written in the document (`query Dashboard { … }`), else `anonymous`.
pub fn graphql_operation(name: Option<&str>, document: &str) -> String {
    let name: String = name
        .or_else(|| named_in(document))
        .unwrap_or("anonymous")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(MAX_OPERATION_LENGTH)
        .collect();
    format!(
        "graphql:{}",
        if name.is_empty() { "anonymous" } else { &name }
    )
}

/// The name of a document's first operation, when it is written first (`query Name …`).
fn named_in(document: &str) -> Option<&str> {
    let mut rest = document;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',' || c == '\u{feff}');
        match rest.strip_prefix('#') {
            Some(comment) => rest = comment.split_once('\n').map_or("", |(_, after)| after),
            None => break,
        }
    }
    let keyword_end = rest.find(|c: char| !c.is_ascii_alphabetic())?;
    let (keyword, after) = rest.split_at(keyword_end);
    if !matches!(keyword, "query" | "mutation" | "subscription") {
        return None;
    }
    let after = after.trim_start();
    let end = after
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(after.len());
    Some(&after[..end]).filter(|n| !n.is_empty())
}

#[cfg(test)]
mod tests {
    use super::graphql_operation;

    #[test]
    fn the_operation_is_named_as_the_client_named_it() {
        assert_eq!(
            graphql_operation(Some("Mine"), "query Other { a }"),
            "graphql:Mine"
        );
        assert_eq!(
            graphql_operation(None, "query Dashboard($f: X) { a }"),
            "graphql:Dashboard"
        );
        assert_eq!(
            graphql_operation(None, "# a note\n mutation Send { a }"),
            "graphql:Send"
        );
        assert_eq!(graphql_operation(None, "{ a }"), "graphql:anonymous");
        assert_eq!(graphql_operation(None, "query { a }"), "graphql:anonymous");
        assert_eq!(
            graphql_operation(Some("x-'; DROP"), "{ a }"),
            "graphql:xDROP"
        );
    }
}
