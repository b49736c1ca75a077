//! Referral records as stored (the referral, its history, case notes, withdrawal), what a
//! caller may reach ([`ReferralAccess`]) and the dashboard's filters. The journey's rules are
//! in [`super::journey`].

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::actor::{Role, Scope, UserId};
use super::catalogue::Intervention;
use super::draft::DraftDetails;
use super::journey::{DeliveryState, EventKind, ReferralStatus};

/// Why and when a practitioner withdrew a referral.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Withdrawal {
    pub reason_code: String,
    pub comments: Option<String>,
    pub at: DateTime<Utc>,
    pub by: UserId,
    /// How far delivery had got when it was withdrawn: what it concludes from, whatever is
    /// recorded afterwards.
    pub delivery_state: DeliveryState,
}

/// A referral, draft or sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Referral {
    pub id: Uuid,
    pub reference: Option<String>,
    pub status: ReferralStatus,
    pub version: i32,
    pub intervention: Intervention,
    pub crn: String,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    /// Newest first on dashboards: the sending time, or the creation time of a draft.
    pub listed_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub sent_by: Option<UserId>,
    /// The responsible practitioner: the sender.
    pub responsible_pp_id: Option<UserId>,
    pub assigned_to_id: Option<UserId>,
    pub assigned_at: Option<DateTime<Utc>>,
    pub concluded_at: Option<DateTime<Utc>>,
    /// When the person first attended a delivery session (post initial contact).
    pub initial_contact_at: Option<DateTime<Utc>>,
    pub withdrawal: Option<Withdrawal>,
    /// The details; `categories` is filled only where a use case loaded them.
    pub details: DraftDetails,
}

/// One recorded change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferralEvent {
    pub id: Uuid,
    pub referral_id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_id: UserId,
    pub kind: EventKind,
    pub from_status: Option<ReferralStatus>,
    pub to_status: ReferralStatus,
    /// Ids only (e.g. the assignee's or the case note's), never personal data.
    pub detail: Option<String>,
}

/// A note on a referral.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseNote {
    pub id: Uuid,
    pub referral_id: Uuid,
    pub author_id: UserId,
    pub subject: String,
    pub body: String,
    pub sent_at: DateTime<Utc>,
}

/// Which referrals a caller may reach; every referral query filters by it in SQL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReferralAccess {
    /// A practitioner: referrals they created (drafts included) or are responsible for.
    Own(UserId),
    /// A provider user: sent referrals of these contracts.
    Contracts(Vec<Uuid>),
    /// A machine client: every sent referral.
    AllSent,
}

/// The role a caller acts in on referrals and the referrals it reaches, or `None` for callers
/// who may not reach referrals at all (commissioners, tokens without one of our roles).
pub fn referral_access(user_id: &UserId, scope: &Scope) -> Option<(Role, ReferralAccess)> {
    match scope {
        Scope::Practitioner => Some((
            Role::ProbationPractitioner,
            ReferralAccess::Own(user_id.clone()),
        )),
        Scope::Provider(provider) => Some((
            Role::ProviderUser,
            ReferralAccess::Contracts(provider.contract_ids()),
        )),
        Scope::ReadAll => Some((Role::ReadAll, ReferralAccess::AllSent)),
        Scope::Commissioner { .. } | Scope::NoRole => None,
    }
}

/// A dashboard search term: a reference number, or a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Search {
    Reference(String),
    /// Lower-cased words; one word is a last name, several match any split into first
    /// name(s) and last name(s).
    Name(Vec<String>),
}

impl Search {
    /// Reads a search box: text shaped like a reference is a reference, anything else a
    /// name ("first last" or "last"). Blank text searches nothing.
    pub fn parse(text: &str) -> Option<Search> {
        let text = text.trim();
        let upper = text.to_ascii_uppercase();
        if crate::domain::reference_number::looks_like_reference(&upper) {
            return Some(Search::Reference(upper));
        }
        let words: Vec<String> = text.split_whitespace().map(str::to_lowercase).collect();
        (!words.is_empty()).then_some(Search::Name(words))
    }
}

/// The dashboard filters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReferralQuery {
    /// Only these statuses; drafts appear only when asked for here.
    pub statuses: Option<Vec<ReferralStatus>>,
    /// `true`: not concluded; `false`: concluded.
    pub open: Option<bool>,
    /// `true`: nobody assigned; `false`: someone assigned.
    pub unassigned: Option<bool>,
    /// Only referrals assigned to this user.
    pub assigned_to: Option<UserId>,
    pub search: Option<Search>,
    pub contract_reference: Option<String>,
    pub service_category_id: Option<Uuid>,
    /// Sent at or after.
    pub sent_from: Option<DateTime<Utc>>,
    /// Sent before.
    pub sent_before: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::Search;

    #[test]
    fn search_text_is_a_reference_or_a_name() {
        assert_eq!(
            Search::parse(" hd2123ac "),
            Some(Search::Reference("HD2123AC".into()))
        );
        assert_eq!(
            Search::parse("Smith"),
            Some(Search::Name(vec!["smith".into()]))
        );
        assert_eq!(
            Search::parse("Alex  Van Dyke"),
            Some(Search::Name(vec![
                "alex".into(),
                "van".into(),
                "dyke".into()
            ]))
        );
        assert_eq!(Search::parse("   "), None);
    }
}
