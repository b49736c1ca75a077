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
    /// A subject access request: every referral of the person with this CRN, drafts included.
    Person(String),
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

/// A dashboard search term: a reference number, a CRN, or a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Search {
    Reference(String),
    /// A case reference number, upper case.
    Crn(String),
    /// Lower-cased words; one word is a last name, several match any split into first
    /// name(s) and last name(s).
    Name(Vec<String>),
}

impl Search {
    /// Reads a search box: text shaped like a reference is a reference, text shaped like a
    /// CRN a CRN, anything else a name ("first last" or "last"). Blank text searches nothing.
    pub fn parse(text: &str) -> Option<Search> {
        let text = text.trim();
        let upper = text.to_ascii_uppercase();
        if crate::domain::reference_number::looks_like_reference(&upper) {
            return Some(Search::Reference(upper));
        }
        if let Some(crn) = crate::domain::draft::parse_crn(text) {
            return Some(Search::Crn(crn));
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
    /// Exactly this CRN (upper case).
    pub crn: Option<String>,
    /// The order of the page.
    pub order: ReferralOrder,
}

/// What a dashboard is sorted by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum OrderField {
    /// When it was sent (a draft: when it was started).
    #[default]
    SentAt,
    CompletionDeadline,
    Reference,
    /// The person's last name (as searched: lower case).
    Surname,
}

impl OrderField {
    pub const ALL: [OrderField; 4] = [
        OrderField::SentAt,
        OrderField::CompletionDeadline,
        OrderField::Reference,
        OrderField::Surname,
    ];

    /// The name cursors carry.
    pub fn code(self) -> &'static str {
        match self {
            OrderField::SentAt => "SENT_AT",
            OrderField::CompletionDeadline => "COMPLETION_DEADLINE",
            OrderField::Reference => "REFERENCE",
            OrderField::Surname => "SURNAME",
        }
    }

    /// Parses a code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.code() == code)
    }
}

/// A dashboard order: a field and a direction, ties broken by id in the same direction.
/// Missing values (only drafts lack them) come last ascending and first descending.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReferralOrder {
    pub field: OrderField,
    pub descending: bool,
}

impl Default for ReferralOrder {
    /// Newest sent first.
    fn default() -> Self {
        ReferralOrder {
            field: OrderField::SentAt,
            descending: true,
        }
    }
}

/// The sort value of a row under an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderKey {
    Time(DateTime<Utc>),
    Day(chrono::NaiveDate),
    Text(String),
    /// No value (a draft's deadline, reference or name).
    Missing,
}

/// A position in a dashboard: the order it was read in and the last row's key and id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DashboardCursor {
    pub order: ReferralOrder,
    pub key: OrderKey,
    pub id: Uuid,
}

impl ReferralOrder {
    /// The key of `referral` under this order.
    pub fn key_of(self, referral: &Referral) -> OrderKey {
        let text = |value: Option<String>| value.map_or(OrderKey::Missing, OrderKey::Text);
        match self.field {
            OrderField::SentAt => OrderKey::Time(referral.listed_at),
            OrderField::CompletionDeadline => referral
                .details
                .completion_deadline
                .map_or(OrderKey::Missing, OrderKey::Day),
            OrderField::Reference => text(referral.reference.clone()),
            OrderField::Surname => text(
                referral
                    .details
                    .service_user
                    .last_name
                    .as_deref()
                    .map(surname_key),
            ),
        }
    }
}

/// A last name as stored for search and order: lower case, single spaces.
pub fn surname_key(name: &str) -> String {
    name.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `statuses` narrowed to those with (`wanted`) or without `status`; `None` is every status.
pub fn narrow_statuses(
    statuses: Option<Vec<ReferralStatus>>,
    status: ReferralStatus,
    wanted: bool,
) -> Option<Vec<ReferralStatus>> {
    let all = statuses.unwrap_or_else(|| {
        ReferralStatus::ALL
            .into_iter()
            .filter(|s| *s != ReferralStatus::Draft)
            .collect()
    });
    Some(
        all.into_iter()
            .filter(|s| (*s == status) == wanted)
            .collect(),
    )
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
        assert_eq!(
            Search::parse(" x123456 "),
            Some(Search::Crn("X123456".into()))
        );
    }
}
