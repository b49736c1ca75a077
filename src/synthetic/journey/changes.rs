//! Changes to a sent referral while it is open: amendments by the responsible practitioner
//! (mostly a moved completion deadline, sometimes outcomes, levels, the office, needs or the
//! release date) and a handover to a colleague of the same unit. Each is one change with its
//! history event, change-log entries and notification, as the service records them.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::Life;
use crate::domain::actor::UserId;
use crate::domain::amendment::{self, ChangeLogEntry, ChangeTopic, TopicChange};
use crate::domain::journey::{EventKind, ReferralStatus};
use crate::domain::notifications::{Notification, NotificationKind, Recipient};
use crate::domain::referral::ReferralEvent;
use crate::synthetic::random::{between, chance, days, minutes, pick, uuid_v4, weighted};
use crate::synthetic::words;

/// How often a topic is amended, relative to the others.
const TOPICS: &[(ChangeTopic, u32)] = &[
    (ChangeTopic::CompletionDeadline, 40),
    (ChangeTopic::DesiredOutcomes, 15),
    (ChangeTopic::ComplexityLevel, 10),
    (ChangeTopic::ProbationOffice, 10),
    (ChangeTopic::AccessibilityNeeds, 8),
    (ChangeTopic::Location, 7),
    (ChangeTopic::MaximumEnforceableDays, 5),
    (ChangeTopic::Interpreter, 5),
];

/// The share of sent referrals handed to a colleague.
const HANDOVER_SHARE: f64 = 0.06;

impl Life<'_, '_> {
    /// Decides, at sending, whether and when the referral will be handed to a colleague.
    pub(super) fn plan_handover(&mut self, sent_at: DateTime<Utc>) {
        let colleagues: Vec<&String> = self
            .setting
            .colleagues
            .iter()
            .filter(|c| c.as_str() != self.practitioner.0)
            .collect();
        if colleagues.is_empty() || !chance(self.rng, HANDOVER_SHARE) {
            return;
        }
        let at = sent_at + days(self.rng, 3, 200) + minutes(self.rng, 0, 9 * 60);
        let to = UserId((*pick(self.rng, &colleagues)).clone());
        self.handover = Some((at, to));
    }

    /// Records the planned handover if it came while the referral was open (the practitioner's
    /// later steps were already taken by the colleague); otherwise it never happened.
    pub(super) fn record_handover(&mut self) {
        let Some((at, to)) = self.handover.clone() else {
            return;
        };
        if at >= self.open_until() {
            self.handover = None;
            return;
        }
        let from = self.practitioner.clone();
        let reason = chance(self.rng, 0.7).then(|| (*pick(self.rng, words::HANDOVERS)).to_owned());
        self.record.referral.responsible_pp_id = Some(to.clone());
        self.logged_change(
            at,
            // A machine client syncing the case-management system, or the practitioner.
            from.clone(),
            EventKind::Transferred,
            json!({ "fromPractitionerId": from.0, "toPractitionerId": to.0 }),
            vec![TopicChange {
                topic: ChangeTopic::ResponsiblePractitioner,
                old_value: Some(from.0.clone()),
                new_value: Some(to.0.clone()),
            }],
            reason,
        );
        self.notify(to, NotificationKind::ReferralTransferred, at);
    }

    /// Amendments at random times while the referral was open, oldest first.
    pub(super) fn amendments(&mut self) {
        let Some(sent_at) = self.referral().sent_at else {
            return;
        };
        let span = (self.open_until() - sent_at).num_minutes();
        if span <= 2 {
            return;
        }
        let count = *weighted(self.rng, &[(0usize, 78), (1, 15), (2, 5), (3, 2)]);
        let mut times: Vec<DateTime<Utc>> = (0..count)
            .map(|_| sent_at + Duration::minutes(between(self.rng, 1, span - 1)))
            .collect();
        times.sort();
        for at in times {
            self.amend(at);
        }
    }

    /// One amendment of one topic at `at`, if that topic can change then.
    fn amend(&mut self, at: DateTime<Utc>) {
        let topic = *weighted(self.rng, TOPICS);
        let before = self.referral().details.clone();
        let mut after = before.clone();
        let day = crate::domain::catalogue::uk_date(at);
        // Levels and outcomes stay as they were once a plan exists: its activities and the
        // report's outcomes were made from them.
        let plan_made =
            self.record.plans.iter().any(|p| p.submitted_at <= at) || self.record.report.is_some();
        let reasons: &[&str] = match topic {
            ChangeTopic::CompletionDeadline => {
                let from = before.completion_deadline.unwrap_or(day).max(day);
                after.completion_deadline = Some(from + days(self.rng, 14, 60));
                words::DEADLINE_REASONS
            }
            ChangeTopic::MaximumEnforceableDays => {
                let now = before.maximum_enforceable_days.unwrap_or(10);
                after.maximum_enforceable_days =
                    Some(now + i32::try_from(between(self.rng, 2, 10)).unwrap_or(5));
                words::CORRECTION_REASONS
            }
            ChangeTopic::ProbationOffice => {
                after.probation_office = Some((*pick(self.rng, words::OFFICES)).to_owned());
                words::OFFICE_REASONS
            }
            ChangeTopic::AccessibilityNeeds => {
                after.accessibility_needs =
                    Some((*pick(self.rng, words::ACCESSIBILITY)).to_owned());
                words::NEEDS_REASONS
            }
            ChangeTopic::Interpreter => {
                let needed = !before.needs_interpreter.unwrap_or(false);
                after.needs_interpreter = Some(needed);
                after.interpreter_language =
                    needed.then(|| (*pick(self.rng, words::LANGUAGES)).to_owned());
                words::NEEDS_REASONS
            }
            ChangeTopic::Location => {
                let Some(release) = before.location.expected_release_date else {
                    return;
                };
                after.location.expected_release_date =
                    Some(release.max(day) + days(self.rng, 7, 60));
                words::RELEASE_REASONS
            }
            ChangeTopic::ComplexityLevel | ChangeTopic::DesiredOutcomes if plan_made => return,
            ChangeTopic::ComplexityLevel => {
                let Some(selected) = after.categories.first_mut() else {
                    return;
                };
                let Some((_, levels, _)) = self.setting.category(selected.service_category_id)
                else {
                    return;
                };
                let others: Vec<_> = levels
                    .iter()
                    .filter(|l| Some(l.id) != selected.complexity_level_id)
                    .collect();
                if others.is_empty() {
                    return;
                }
                selected.complexity_level_id = Some(pick(self.rng, &others).id);
                words::NEEDS_REASONS
            }
            ChangeTopic::DesiredOutcomes => {
                let Some(selected) = after.categories.first_mut() else {
                    return;
                };
                let Some((_, _, outcomes)) = self.setting.category(selected.service_category_id)
                else {
                    return;
                };
                let unchosen: Vec<_> = outcomes
                    .iter()
                    .filter(|o| !selected.desired_outcome_ids.contains(&o.id))
                    .collect();
                if selected.desired_outcome_ids.len() > 1 && chance(self.rng, 0.4) {
                    selected.desired_outcome_ids.pop();
                } else if let Some(outcome) =
                    (!unchosen.is_empty()).then(|| pick(self.rng, &unchosen))
                {
                    selected.desired_outcome_ids.push(outcome.id);
                    selected.desired_outcome_ids.sort();
                } else {
                    return;
                }
                words::NEEDS_REASONS
            }
            _ => return,
        };
        let changes = amendment::changes(&before, &after, self.setting.words);
        if changes.is_empty() {
            return;
        }
        let topics: Vec<&str> = changes.iter().map(|c| c.topic.code()).collect();
        let detail = json!({ "topics": topics });
        if after.categories != before.categories {
            self.record.selections = after.categories.clone();
        }
        self.record.referral.details = after;
        let reason = (*pick(self.rng, reasons)).to_owned();
        let practitioner = self.practitioner_at(at);
        self.logged_change(
            at,
            practitioner,
            EventKind::Amended,
            detail,
            changes,
            Some(reason),
        );
        if let Some(assigned_at) = self.referral().assigned_at
            && assigned_at < at
        {
            let caseworker = self.caseworker.clone();
            self.notify(caseworker, NotificationKind::ReferralAmended, at);
        }
    }

    /// One change that leaves the status as it was: the version moves on, the history and the
    /// change log record it.
    fn logged_change(
        &mut self,
        at: DateTime<Utc>,
        actor: UserId,
        kind: EventKind,
        detail: serde_json::Value,
        changes: Vec<TopicChange>,
        reason: Option<String>,
    ) {
        let status: ReferralStatus = self.status_at(at);
        self.record.referral.version += 1;
        let id = self.id_at(at);
        let referral_id = self.referral().id;
        self.record.events.push(ReferralEvent {
            id,
            referral_id,
            at,
            actor_id: actor.clone(),
            kind,
            from_status: Some(status),
            to_status: status,
            detail: Some(detail.to_string()),
        });
        for change in changes {
            let id = self.id_at(at);
            self.record.changes.push(ChangeLogEntry {
                id,
                referral_id,
                topic: change.topic,
                old_value: change.old_value,
                new_value: change.new_value,
                reason: reason.clone(),
                actor_id: actor.clone(),
                at,
            });
        }
    }

    /// A notification to one user at `at`, read later or not at all.
    fn notify(&mut self, recipient: UserId, kind: NotificationKind, at: DateTime<Utc>) {
        let read_at = chance(self.rng, 0.7).then(|| at + minutes(self.rng, 10, 3 * 24 * 60));
        let id = uuid_v4(self.rng);
        let referral_id = self.referral().id;
        self.record.notifications.push(Notification {
            id,
            referral_id,
            recipient: Recipient::User(recipient),
            kind,
            appointment_id: None,
            notified_at: at,
            read_at: read_at.filter(|t| *t < self.cutoff),
        });
    }
}
