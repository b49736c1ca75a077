//! Notifications: what each side of a referral is told about, and who is told.
//!
//! The practitioner side is the referral's responsible practitioner. The provider side is the
//! caseworker once the referral is assigned, and before that every organisation delivering the
//! contract (the prime provider and each subcontractor): an organisation's notification is one
//! row its users share, so one of them marking it read marks it read for the team.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::actor::{Role, UserId};
use super::journey::EventKind;

/// What a notification is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotificationKind {
    /// The person did not attend an appointment (to the practitioner).
    AppointmentNotAttended,
    /// The provider raised concerns in feedback (to the practitioner).
    ConcernsRaised,
    /// A referral was sent to the provider (to the provider).
    ReferralSent,
    /// The practitioner withdrew the referral (to the provider).
    ReferralWithdrawn,
    /// A case note was added by the other side.
    CaseNoteAdded,
    /// An action plan waits for the practitioner's approval.
    ActionPlanSubmitted,
    /// The end-of-service report was submitted (to the practitioner).
    EndOfServiceReportSubmitted,
    /// The practitioner amended the sent referral (to the provider).
    ReferralAmended,
    /// The referral was handed to this practitioner (to the new practitioner).
    ReferralTransferred,
    /// The provider cancelled an appointment (to the practitioner).
    AppointmentCancelled,
}

impl NotificationKind {
    /// Every kind.
    pub const ALL: &'static [NotificationKind] = &[
        NotificationKind::AppointmentNotAttended,
        NotificationKind::ConcernsRaised,
        NotificationKind::ReferralSent,
        NotificationKind::ReferralWithdrawn,
        NotificationKind::CaseNoteAdded,
        NotificationKind::ActionPlanSubmitted,
        NotificationKind::EndOfServiceReportSubmitted,
        NotificationKind::ReferralAmended,
        NotificationKind::ReferralTransferred,
        NotificationKind::AppointmentCancelled,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            NotificationKind::AppointmentNotAttended => "APPOINTMENT_NOT_ATTENDED",
            NotificationKind::ConcernsRaised => "CONCERNS_RAISED",
            NotificationKind::ReferralSent => "REFERRAL_SENT",
            NotificationKind::ReferralWithdrawn => "REFERRAL_WITHDRAWN",
            NotificationKind::CaseNoteAdded => "CASE_NOTE_ADDED",
            NotificationKind::ActionPlanSubmitted => "ACTION_PLAN_SUBMITTED",
            NotificationKind::EndOfServiceReportSubmitted => "END_OF_SERVICE_REPORT_SUBMITTED",
            NotificationKind::ReferralAmended => "REFERRAL_AMENDED",
            NotificationKind::ReferralTransferred => "REFERRAL_TRANSFERRED",
            NotificationKind::AppointmentCancelled => "APPOINTMENT_CANCELLED",
        }
    }

    /// Parses a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.code() == code)
    }
}

/// The side of a referral a notification goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The responsible probation practitioner.
    Practitioner,
    /// The caseworker, or the delivering organisations while unassigned.
    Provider,
}

/// Who reads a notification.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Recipient {
    /// One user (a practitioner, or the assigned caseworker).
    User(UserId),
    /// Every user of a provider organisation (by its code).
    Provider(String),
}

/// A notification to one recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub id: Uuid,
    pub referral_id: Uuid,
    pub recipient: Recipient,
    pub kind: NotificationKind,
    /// The appointment whose feedback raised it.
    pub appointment_id: Option<Uuid>,
    pub notified_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// What a step of a change tells the other side, given the role that took it. Appointment
/// feedback raises its notifications from the feedback itself (`delivery::notifications_for`).
pub fn notice_of_step(kind: EventKind, actor: Role) -> Option<(NotificationKind, Side)> {
    match kind {
        EventKind::Sent => Some((NotificationKind::ReferralSent, Side::Provider)),
        EventKind::Withdrawn => Some((NotificationKind::ReferralWithdrawn, Side::Provider)),
        EventKind::CaseNoteAdded => Some(match actor {
            Role::ProbationPractitioner => (NotificationKind::CaseNoteAdded, Side::Provider),
            _ => (NotificationKind::CaseNoteAdded, Side::Practitioner),
        }),
        EventKind::ActionPlanSubmitted => {
            Some((NotificationKind::ActionPlanSubmitted, Side::Practitioner))
        }
        EventKind::EndOfServiceReportSubmitted => Some((
            NotificationKind::EndOfServiceReportSubmitted,
            Side::Practitioner,
        )),
        EventKind::Amended => Some((NotificationKind::ReferralAmended, Side::Provider)),
        // Told to the practitioner who now holds it.
        EventKind::Transferred => Some((NotificationKind::ReferralTransferred, Side::Practitioner)),
        _ => None,
    }
}

/// The recipients on `side` of a referral: the practitioner; the assignee once assigned; else
/// the delivering organisations, each once.
pub fn recipients(
    side: Side,
    practitioner: &UserId,
    assignee: Option<&UserId>,
    delivering_providers: &[String],
) -> Vec<Recipient> {
    match (side, assignee) {
        (Side::Practitioner, _) => vec![Recipient::User(practitioner.clone())],
        (Side::Provider, Some(assignee)) => vec![Recipient::User(assignee.clone())],
        (Side::Provider, None) => {
            let mut codes: Vec<&String> = delivering_providers.iter().collect();
            codes.sort();
            codes.dedup();
            codes
                .into_iter()
                .map(|code| Recipient::Provider(code.clone()))
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for kind in NotificationKind::ALL {
            assert_eq!(NotificationKind::from_code(kind.code()), Some(*kind));
        }
        assert_eq!(NotificationKind::from_code("UNKNOWN"), None);
    }

    #[test]
    fn a_case_note_goes_to_the_side_that_did_not_write_it() {
        assert_eq!(
            notice_of_step(EventKind::CaseNoteAdded, Role::ProbationPractitioner),
            Some((NotificationKind::CaseNoteAdded, Side::Provider))
        );
        assert_eq!(
            notice_of_step(EventKind::CaseNoteAdded, Role::ProviderUser),
            Some((NotificationKind::CaseNoteAdded, Side::Practitioner))
        );
        assert_eq!(
            notice_of_step(EventKind::Assigned, Role::ProviderUser),
            None
        );
    }

    #[test]
    fn the_provider_side_is_the_assignee_once_assigned_else_each_organisation_once() {
        let pp = UserId("pp".into());
        let sp = UserId("sp".into());
        let providers = ["B".to_owned(), "A".to_owned(), "B".to_owned()];
        assert_eq!(
            recipients(Side::Provider, &pp, None, &providers),
            [
                Recipient::Provider("A".into()),
                Recipient::Provider("B".into())
            ]
        );
        assert_eq!(
            recipients(Side::Provider, &pp, Some(&sp), &providers),
            [Recipient::User(sp.clone())]
        );
        assert_eq!(
            recipients(Side::Practitioner, &pp, Some(&sp), &providers),
            [Recipient::User(pp)]
        );
    }
}
