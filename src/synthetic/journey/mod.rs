//! One referral's life, simulated step by step up to the cut-off: drafting, sending,
//! assignment, the initial assessment (missed and rebooked, or moved), the action plan and its
//! approval, sessions with attendance, withdrawals, the end-of-service report, case notes and
//! notifications, amendments with their change log, and handovers to a colleague. After every step the status is derived from the recorded facts with the same
//! rules the service uses (`domain::delivery::progress`, `domain::rules::status`), so the
//! history, the status and the records always agree.

mod changes;

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::json;
use uuid::Uuid;

use super::people;
use super::random::{Rng, between, chance, days, minutes, pick, uuid_v4, uuid_v7, weighted};
use super::words;
use crate::domain::actor::Role;
use crate::domain::actor::UserId;
use crate::domain::amendment::Words;
use crate::domain::catalogue::{Complexity, ComplexityLevel, DesiredOutcome, Intervention};
use crate::domain::delivery::{
    self, AchievementLevel, ActionPlan, Address, Appointment, AppointmentKind, Approval,
    Attendance, Delivery, DeliveryMethod, DeliverySession, EndOfServiceReport, Feedback,
    OutcomeAchievement, RescheduleRequester, SessionType, Supersession,
};
use crate::domain::draft::{DraftDetails, Location, LocationType, SelectedCategory};
use crate::domain::journey::{self as rules, Action, Decision, Permit};
use crate::domain::journey::{EventKind, ReferralStatus};
use crate::domain::notifications::{Notification, Recipient};
use crate::domain::record::ReferralRecord;
use crate::domain::reference_number;
use crate::domain::referral::{CaseNote, Referral, ReferralEvent, Withdrawal};

/// From this day most action plans are approved as soon as they are submitted.
const AUTO_APPROVAL_FROM: (i32, u32, u32) = (2024, 9, 1);

/// What one referral is made from.
#[derive(Debug)]
pub struct Setting<'a> {
    pub intervention: &'a Intervention,
    pub region_code: &'a str,
    /// The two letters its reference ends with.
    pub suffix: &'a str,
    pub pdu_code: &'a str,
    pub practitioner: &'a str,
    /// The practitioners of the same unit, who may take the referral over.
    pub colleagues: &'a [String],
    /// Caseworkers of the providers delivering the contract.
    pub caseworkers: &'a [&'a str],
    /// The categories of the contract type, with their levels and outcomes.
    pub categories: &'a [(Uuid, Vec<ComplexityLevel>, Vec<DesiredOutcome>)],
    pub withdrawal_reasons: &'a [String],
    /// Catalogue titles, so the change log reads in words.
    pub words: &'a Words,
}

impl Setting<'_> {
    /// One category of the contract type, with its levels and outcomes.
    fn category(&self, id: Uuid) -> Option<&(Uuid, Vec<ComplexityLevel>, Vec<DesiredOutcome>)> {
        self.categories
            .iter()
            .find(|(category, _, _)| *category == id)
    }
}

/// A referral and its records while its life is simulated.
struct Life<'a, 'r> {
    rng: &'r mut Rng,
    setting: &'a Setting<'a>,
    record: ReferralRecord,
    /// Nothing happens at or after this instant.
    cutoff: DateTime<Utc>,
    /// Orders the ids made in one millisecond.
    sequence: u16,
    /// How likely the person is to attend.
    engagement: f64,
    caseworker: UserId,
    /// The practitioner who made the referral.
    practitioner: UserId,
    /// A handover due after this instant, to this colleague.
    handover: Option<(DateTime<Utc>, UserId)>,
    /// A withdrawal the practitioner will make before delivery, and its reason.
    withdrawal_due: Option<(DateTime<Utc>, &'static str)>,
}

/// Why a life stopped early: the cut-off came, or it concluded.
struct Stop;

type Go = Result<(), Stop>;

/// Weekday office hours, UTC: `day` at a time between 08:00 and 17:00.
fn office_time(rng: &mut Rng, day: NaiveDate) -> DateTime<Utc> {
    let at = day
        .and_hms_opt(8, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or_default();
    at + minutes(rng, 0, 9 * 60)
}

/// A plausible UK postcode.
fn postcode(rng: &mut Rng) -> String {
    const AREAS: &[&str] = &[
        "LS", "M", "B", "L", "NE", "CF", "BS", "SE", "N", "E", "NG", "S",
    ];
    const LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";
    let letter = |rng: &mut Rng| char::from(*pick(rng, LETTERS));
    format!(
        "{}{} {}{}{}",
        pick(rng, AREAS),
        between(rng, 1, 20),
        between(rng, 0, 9),
        letter(rng),
        letter(rng)
    )
}

impl<'a, 'r> Life<'a, 'r> {
    fn id_at(&mut self, at: DateTime<Utc>) -> Uuid {
        self.sequence = self.sequence.wrapping_add(1);
        uuid_v7(self.rng, at, self.sequence)
    }

    /// The practitioner responsible at `at`: the maker, or the colleague after the handover.
    fn practitioner_at(&self, at: DateTime<Utc>) -> UserId {
        match &self.handover {
            Some((handed_over_at, to)) if at > *handed_over_at => to.clone(),
            _ => self.practitioner.clone(),
        }
    }

    /// The status the history gives at `at`.
    fn status_at(&self, at: DateTime<Utc>) -> ReferralStatus {
        self.record
            .events
            .iter()
            .filter(|e| e.at <= at)
            .max_by_key(|e| (e.at, e.id))
            .map_or(ReferralStatus::Sent, |e| e.to_status)
    }

    /// Until when the referral was open to changes: its withdrawal, its conclusion or the
    /// cut-off.
    fn open_until(&self) -> DateTime<Utc> {
        let referral = self.referral();
        [
            referral.withdrawal.as_ref().map(|w| w.at),
            referral.concluded_at,
        ]
        .into_iter()
        .flatten()
        .fold(self.cutoff, DateTime::min)
    }

    fn before_cutoff(&self, at: DateTime<Utc>) -> Go {
        if at < self.cutoff { Ok(()) } else { Err(Stop) }
    }

    fn referral(&self) -> &Referral {
        &self.record.referral
    }

    /// Everything the status follows from, by the facts recorded so far.
    fn progress(&self) -> rules::Progress {
        let r = &self.record;
        delivery::progress(
            &r.referral,
            &r.appointments,
            &r.plans,
            &r.sessions,
            r.report.is_some(),
        )
    }

    /// Derives the status from the facts, concluding (once) when they say so.
    fn settle(&mut self, at: DateTime<Utc>) {
        let status = rules::status(&self.progress());
        let referral = &mut self.record.referral;
        if status.is_concluded() && referral.concluded_at.is_none() {
            referral.concluded_at = Some(at);
        }
        referral.status = status;
    }

    /// Records an event from `from` to the current status.
    fn event(
        &mut self,
        kind: EventKind,
        from: Option<ReferralStatus>,
        at: DateTime<Utc>,
        actor: UserId,
        detail: Option<serde_json::Value>,
    ) {
        let id = self.id_at(at);
        let event = ReferralEvent {
            id,
            referral_id: self.referral().id,
            at,
            actor_id: actor,
            kind,
            from_status: from,
            to_status: self.referral().status,
            detail: detail.map(|d| d.to_string()),
        };
        self.record.events.push(event);
    }

    /// One committed change after sending: settle, move the version on, record the event.
    fn change(
        &mut self,
        kind: EventKind,
        at: DateTime<Utc>,
        actor: UserId,
        detail: serde_json::Value,
    ) {
        let from = self.referral().status;
        self.settle(at);
        self.record.referral.version += 1;
        self.event(kind, Some(from), at, actor, Some(detail));
    }

    /// The practitioner withdraws the referral at `at`, as the journey rules decide: cancelled
    /// at once before anyone was seen, otherwise concluded after the report.
    fn withdraw(&mut self, at: DateTime<Utc>, reason: &str) -> Go {
        self.before_cutoff(at)?;
        let standing = self.progress().standing();
        let decided = Permit::grant(Role::ProbationPractitioner, Action::Withdraw)
            .and_then(|permit| rules::decide(standing, &permit));
        let Ok(Decision::MoveTo(status)) = decided else {
            return Err(Stop);
        };
        let from = self.referral().status;
        let by = self.practitioner_at(at);
        let referral = &mut self.record.referral;
        referral.withdrawal = Some(Withdrawal {
            reason_code: reason.to_owned(),
            comments: None,
            at,
            by,
            delivery_state: standing.delivery,
        });
        referral.status = status;
        if status.is_concluded() && referral.concluded_at.is_none() {
            referral.concluded_at = Some(at);
        }
        referral.version += 1;
        let practitioner = self.practitioner_at(at);
        self.event(
            EventKind::Withdrawn,
            Some(from),
            at,
            practitioner,
            Some(json!({ "reasonCode": reason })),
        );
        if self.referral().status == ReferralStatus::AwaitingEndOfServiceReport {
            let report_at = at + days(self.rng, 1, 21);
            self.report(report_at)?;
        }
        Err(Stop)
    }

    fn assign(&mut self, at: DateTime<Utc>) -> Go {
        self.before_cutoff(at)?;
        self.record.referral.assigned_to_id = Some(self.caseworker.clone());
        self.record.referral.assigned_at = Some(at);
        let (caseworker, assignee) = (self.caseworker.clone(), self.caseworker.0.clone());
        self.change(
            EventKind::Assigned,
            at,
            caseworker,
            json!({ "assigneeId": assignee }),
        );
        Ok(())
    }

    fn delivery(&mut self) -> Delivery {
        let method = *weighted(
            self.rng,
            &[
                (DeliveryMethod::InPersonProbationOffice, 35),
                (DeliveryMethod::InPersonOther, 25),
                (DeliveryMethod::PhoneCall, 20),
                (DeliveryMethod::VideoCall, 20),
            ],
        );
        let session_type = if chance(self.rng, 0.15) {
            SessionType::Group
        } else {
            SessionType::OneToOne
        };
        Delivery {
            method,
            session_type,
            probation_office_code: (method == DeliveryMethod::InPersonProbationOffice)
                .then(|| self.setting.pdu_code.to_owned()),
            address: (method == DeliveryMethod::InPersonOther).then(|| Address {
                first_line: format!("{} High Street", between(self.rng, 1, 240)),
                second_line: None,
                town_or_city: None,
                county: None,
                postcode: postcode(self.rng),
            }),
        }
    }

    /// Books an appointment at `at` starting at `starts_at`; moves it once in a while.
    fn book(
        &mut self,
        kind: AppointmentKind,
        session_number: Option<i32>,
        at: DateTime<Utc>,
        starts_at: DateTime<Utc>,
    ) -> Result<usize, Stop> {
        self.withdraw_if_due(at)?;
        self.before_cutoff(at)?;
        let id = self.id_at(at);
        let delivery = self.delivery();
        self.record.appointments.push(Appointment {
            id,
            referral_id: self.referral().id,
            kind,
            session_number,
            starts_at,
            duration_minutes: i32::try_from(between(self.rng, 2, 6) * 15).unwrap_or(60),
            delivery,
            created_at: at,
            created_by: self.caseworker.clone(),
            superseded: None,
            feedback: None,
            cancellation: None,
        });
        let caseworker = self.caseworker.clone();
        self.change(
            EventKind::AppointmentScheduled,
            at,
            caseworker,
            json!({ "appointmentId": id, "kind": kind.code(), "sessionNumber": session_number, "replaces": null }),
        );
        let mut index = self.record.appointments.len() - 1;
        if chance(self.rng, 0.08) {
            let lead = (starts_at - at).num_minutes().max(2);
            let moved_at = at + minutes(self.rng, 1, lead - 1);
            index = self.reschedule(index, moved_at)?;
        }
        Ok(index)
    }

    /// Moves the appointment at `index` to a later start: a new appointment replaces it.
    fn reschedule(&mut self, index: usize, at: DateTime<Utc>) -> Result<usize, Stop> {
        self.before_cutoff(at)?;
        let new_id = self.id_at(at);
        let old = self.record.appointments[index].clone();
        let requested_by = *pick(
            self.rng,
            &[
                RescheduleRequester::ServiceProvider,
                RescheduleRequester::PersonOnProbation,
                RescheduleRequester::ProbationPractitioner,
            ],
        );
        let reason = (*pick(self.rng, words::RESCHEDULE_REASONS)).to_owned();
        self.record.appointments[index].superseded = Some(Supersession {
            by_appointment_id: new_id,
            at,
            by: self.caseworker.clone(),
            reason,
            requested_by,
        });
        let starts_at = old.starts_at + days(self.rng, 1, 7);
        self.record.appointments.push(Appointment {
            id: new_id,
            starts_at,
            created_at: at,
            superseded: None,
            ..old.clone()
        });
        let caseworker = self.caseworker.clone();
        self.change(
            EventKind::AppointmentRescheduled,
            at,
            caseworker,
            json!({ "appointmentId": new_id, "kind": old.kind.code(), "sessionNumber": old.session_number, "replaces": old.id }),
        );
        Ok(self.record.appointments.len() - 1)
    }

    /// Records feedback on the appointment at `index` some time after it started; returns
    /// whether the person attended and the session happened.
    fn feedback(&mut self, index: usize) -> Result<bool, Stop> {
        let starts_at = self.record.appointments[index].starts_at;
        let at = starts_at + minutes(self.rng, 30, 2 * 24 * 60);
        self.before_cutoff(at)?;
        let late = 0.07;
        let attendance = if chance(self.rng, self.engagement) {
            Attendance::Yes
        } else if chance(self.rng, late / (1.0 - self.engagement).max(late)) {
            Attendance::Late
        } else {
            Attendance::No
        };
        let happened = attendance.attended() && chance(self.rng, 0.97);
        let concerns = chance(self.rng, 0.04);
        let text = |rng: &mut Rng, list: &[&str]| Some((*pick(rng, list)).to_owned());
        let feedback = Feedback {
            attendance,
            session_happened: happened,
            late_reason: (attendance == Attendance::Late)
                .then(|| text(self.rng, words::LATE))
                .flatten(),
            no_session_reason: (attendance.attended() && !happened)
                .then(|| text(self.rng, words::NO_SESSION))
                .flatten(),
            no_attendance_information: (attendance == Attendance::No)
                .then(|| text(self.rng, words::NO_ATTENDANCE))
                .flatten(),
            session_summary: happened.then(|| text(self.rng, words::SUMMARIES)).flatten(),
            session_response: happened.then(|| text(self.rng, words::RESPONSES)).flatten(),
            concerns: concerns.then(|| text(self.rng, words::CONCERNS)).flatten(),
            notify_probation_practitioner: concerns,
            submitted_at: at,
            submitted_by: self.caseworker.clone(),
        };
        let appointment = &self.record.appointments[index];
        let (appointment_id, kind) = (appointment.id, appointment.kind);
        if kind == AppointmentKind::Session
            && feedback.is_attended_session()
            && self.referral().initial_contact_at.is_none()
        {
            self.record.referral.initial_contact_at = Some(starts_at);
        }
        for kind in delivery::notifications_for(&feedback) {
            let id = self.id_at(at);
            let read_at = chance(self.rng, 0.7).then(|| at + minutes(self.rng, 10, 3 * 24 * 60));
            self.record.notifications.push(Notification {
                id,
                referral_id: self.referral().id,
                recipient: Recipient::User(self.practitioner_at(at)),
                kind,
                appointment_id: Some(appointment_id),
                notified_at: at,
                read_at: read_at.filter(|t| *t < self.cutoff),
            });
        }
        self.record.appointments[index].feedback = Some(feedback);
        let caseworker = self.caseworker.clone();
        self.change(
            EventKind::AppointmentFeedbackRecorded,
            at,
            caseworker,
            json!({ "appointmentId": appointment_id, "attended": attendance.code() }),
        );
        Ok(happened)
    }

    /// The initial assessment: booked, perhaps moved, missed and booked again (up to three
    /// times); returns when it was attended.
    fn assessment(&mut self, mut at: DateTime<Utc>) -> Result<DateTime<Utc>, Stop> {
        for attempt in 1..=3 {
            let book_at = at + days(self.rng, 0, 4);
            let start_day = (book_at + days(self.rng, 2, 14)).date_naive();
            let starts_at = office_time(self.rng, start_day);
            let index = self.book(AppointmentKind::Assessment, None, book_at, starts_at)?;
            let attended = self.feedback(index)?;
            let recorded_at = self.record.appointments[index]
                .feedback
                .as_ref()
                .map_or(at, |f| f.submitted_at);
            if attended {
                return Ok(recorded_at);
            }
            if attempt >= 2 && chance(self.rng, 0.6) {
                let at = recorded_at + days(self.rng, 1, 10);
                self.withdraw(at, "NOT")?;
            }
            at = recorded_at;
        }
        let at = at + days(self.rng, 1, 10);
        self.withdraw(at, "NOT")?;
        Err(Stop)
    }

    /// Submits the action plan; approved at once since automatic approval, otherwise by the
    /// practitioner a few days later. Returns when it was approved.
    fn plan(&mut self, at: DateTime<Utc>, sessions: i32) -> Result<DateTime<Utc>, Stop> {
        self.before_cutoff(at)?;
        let id = self.id_at(at);
        let activities = (0..between(self.rng, 1, 3))
            .map(|_| (*pick(self.rng, words::ACTIVITIES)).to_owned())
            .collect();
        self.record.plans.push(ActionPlan {
            id,
            referral_id: self.referral().id,
            revision: 1,
            number_of_sessions: sessions,
            activities,
            submitted_at: at,
            submitted_by: self.caseworker.clone(),
            approval: None,
        });
        let automatic = at.date_naive()
            >= NaiveDate::from_ymd_opt(
                AUTO_APPROVAL_FROM.0,
                AUTO_APPROVAL_FROM.1,
                AUTO_APPROVAL_FROM.2,
            )
            .unwrap_or_default()
            && chance(self.rng, 0.8);
        let detail = |automatic: bool| json!({ "actionPlanId": id, "numberOfSessions": sessions, "automatic": automatic });
        let from = self.referral().status;
        self.settle(at);
        let caseworker = self.caseworker.clone();
        self.event(
            EventKind::ActionPlanSubmitted,
            Some(from),
            at,
            caseworker.clone(),
            Some(detail(false)),
        );
        let (approved_at, by) = if automatic {
            (at, None)
        } else {
            let approved_at = at + days(self.rng, 0, 10);
            if approved_at >= self.cutoff {
                self.record.referral.version += 1;
                return Err(Stop);
            }
            (approved_at, Some(self.practitioner_at(approved_at)))
        };
        if let Some(plan) = self.record.plans.last_mut() {
            plan.approval = Some(Approval {
                at: approved_at,
                by: by.clone(),
            });
        }
        self.record.sessions = (1..=sessions)
            .map(|number| DeliverySession {
                referral_id: self.record.referral.id,
                number,
                action_plan_id: id,
                created_at: approved_at,
            })
            .collect();
        let from = self.referral().status;
        self.settle(approved_at);
        if automatic {
            // Submitted and approved in one change.
            self.record.referral.version += 1;
            self.event(
                EventKind::ActionPlanApproved,
                Some(from),
                at,
                caseworker,
                Some(detail(true)),
            );
        } else {
            self.record.referral.version += 2;
            let practitioner = self.practitioner_at(approved_at);
            self.event(
                EventKind::ActionPlanApproved,
                Some(from),
                approved_at,
                practitioner,
                Some(detail(false)),
            );
        }
        Ok(approved_at)
    }

    /// The sessions, one after another; a missed one is sometimes caught up. A withdrawal may
    /// come before session `withdraw_before`.
    fn sessions(&mut self, mut at: DateTime<Utc>, withdraw_before: Option<i32>) -> Go {
        let planned = i32::try_from(self.record.sessions.len()).unwrap_or(0);
        for number in 1..=planned {
            if withdraw_before == Some(number) {
                let reason = self.reason();
                let at = at + days(self.rng, 1, 14);
                self.withdraw(at, &reason)?;
            }
            let book_at = at + days(self.rng, 0, 7);
            let start_day = (book_at + days(self.rng, 1, 10)).date_naive();
            let starts_at = office_time(self.rng, start_day);
            let index = self.book(AppointmentKind::Session, Some(number), book_at, starts_at)?;
            let attended = self.feedback(index)?;
            at = self.record.appointments[index]
                .feedback
                .as_ref()
                .map_or(at, |f| f.submitted_at);
            if !attended && chance(self.rng, 0.4) {
                let book_at = at + days(self.rng, 0, 5);
                let start_day = (book_at + days(self.rng, 1, 10)).date_naive();
                let starts_at = office_time(self.rng, start_day);
                let index =
                    self.book(AppointmentKind::Session, Some(number), book_at, starts_at)?;
                self.feedback(index)?;
                at = self.record.appointments[index]
                    .feedback
                    .as_ref()
                    .map_or(at, |f| f.submitted_at);
            }
        }
        let report_at = at + days(self.rng, 1, 25);
        if self.referral().status == ReferralStatus::AwaitingEndOfServiceReport {
            self.report(report_at)
        } else {
            // Every session missed: nobody was seen, so no report is due; the practitioner
            // ends the referral, which cancels it.
            let reason = self.reason();
            self.withdraw(report_at, &reason)
        }
    }

    /// A reason for a withdrawal during delivery.
    fn reason(&mut self) -> String {
        const DURING: &[(&str, u32)] = &[
            ("NOT", 40),
            ("RET", 15),
            ("MOV", 12),
            ("WOR", 10),
            ("EAR", 8),
            ("SEE", 5),
            ("ANO", 8),
            ("USE", 2),
        ];
        let code = *weighted(self.rng, DURING);
        if self.setting.withdrawal_reasons.iter().any(|r| r == code) {
            code.to_owned()
        } else {
            pick(self.rng, self.setting.withdrawal_reasons).clone()
        }
    }

    /// The end-of-service report: a level for every desired outcome, better for people who
    /// attended more.
    fn report(&mut self, at: DateTime<Utc>) -> Go {
        self.before_cutoff(at)?;
        let attended = self
            .record
            .appointments
            .iter()
            .filter(|a| a.kind == AppointmentKind::Session)
            .filter(|a| {
                a.feedback
                    .as_ref()
                    .is_some_and(Feedback::is_attended_session)
            })
            .count();
        let planned = self.record.sessions.len().max(1);
        let ratio = attended as f64 / planned as f64;
        let id = self.id_at(at);
        let outcomes = self
            .record
            .referral
            .details
            .categories
            .iter()
            .flat_map(|c| {
                c.desired_outcome_ids
                    .iter()
                    .map(move |o| (*o, c.service_category_id))
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|(desired_outcome_id, service_category_id)| {
                let roll: f64 = between(self.rng, 0, 999) as f64 / 1000.0;
                let level = if roll < 0.65 * ratio {
                    AchievementLevel::Achieved
                } else if roll < 0.65 * ratio + 0.25 {
                    AchievementLevel::PartiallyAchieved
                } else {
                    AchievementLevel::NotAchieved
                };
                OutcomeAchievement {
                    desired_outcome_id,
                    service_category_id,
                    level,
                    progression_comments: None,
                    additional_task_comments: None,
                }
            })
            .collect();
        self.record.report = Some(EndOfServiceReport {
            id,
            referral_id: self.referral().id,
            outcomes,
            further_information: Some((*pick(self.rng, words::REPORT_NOTES)).to_owned()),
            submitted_at: at,
            submitted_by: self.caseworker.clone(),
        });
        let caseworker = self.caseworker.clone();
        self.change(
            EventKind::EndOfServiceReportSubmitted,
            at,
            caseworker,
            json!({ "endOfServiceReportId": id }),
        );
        Err(Stop)
    }

    /// Withdraws the referral if a withdrawal fell due before `before` (at the due time, or
    /// just after the last change if that came later).
    fn withdraw_if_due(&mut self, before: DateTime<Utc>) -> Go {
        let Some((due, reason)) = self.withdrawal_due else {
            return Ok(());
        };
        if due >= before {
            return Ok(());
        }
        let last = self.record.events.iter().map(|e| e.at).max().unwrap_or(due);
        self.withdraw(due.max(last + Duration::minutes(5)), reason)
    }

    /// After sending: assignment, assessment, plan, sessions and the end, or a withdrawal on
    /// the way, until the cut-off.
    fn deliver(&mut self, sent_at: DateTime<Utc>) -> Go {
        const EARLY: &[(&str, u32)] = &[
            ("INE", 20),
            ("MIS", 15),
            ("MOV", 20),
            ("RET", 25),
            ("ACQ", 5),
            ("SER", 15),
        ];
        if chance(self.rng, 0.07) {
            let due = sent_at + days(self.rng, 1, 45);
            self.withdrawal_due = Some((due, *weighted(self.rng, EARLY)));
        }
        let assign_at = sent_at
            + match *weighted(self.rng, &[(0u8, 60), (1, 30), (2, 10)]) {
                0 => minutes(self.rng, 30, 24 * 60),
                1 => days(self.rng, 1, 3),
                _ => days(self.rng, 3, 10),
            };
        self.withdraw_if_due(assign_at)?;
        self.assign(assign_at)?;
        let assessed_at = self.assessment(assign_at)?;
        let plan_at = assessed_at + days(self.rng, 1, 12);
        if chance(self.rng, 0.03) {
            let due = assessed_at + days(self.rng, 1, 20);
            self.withdrawal_due = Some((due, *weighted(self.rng, EARLY)));
        }
        self.withdraw_if_due(plan_at)?;
        self.withdrawal_due = None;
        let sessions = *weighted(
            self.rng,
            &[
                (2, 10),
                (3, 15),
                (4, 20),
                (5, 18),
                (6, 15),
                (8, 12),
                (10, 10),
            ],
        );
        let approved_at = self.plan(plan_at, sessions)?;
        let withdraw_before = chance(self.rng, 0.14)
            .then(|| i32::try_from(between(self.rng, 1, i64::from(sessions))).unwrap_or(1));
        self.sessions(approved_at, withdraw_before)
    }

    /// Case notes at random times while the referral was open, each with its history entry.
    fn case_notes(&mut self) {
        let sent_at = self.referral().sent_at.unwrap_or(self.cutoff);
        let end = self
            .referral()
            .concluded_at
            .unwrap_or(self.cutoff)
            .min(self.cutoff);
        let span = (end - sent_at).num_minutes();
        if span <= 1 {
            return;
        }
        let count = *weighted(self.rng, &[(0usize, 45), (1, 30), (2, 15), (3, 10)]);
        for _ in 0..count {
            let at = sent_at + Duration::minutes(between(self.rng, 1, span - 1));
            let author = if chance(self.rng, 0.5) {
                self.practitioner_at(at)
            } else if self.referral().assigned_at.is_some_and(|a| a < at) {
                self.caseworker.clone()
            } else {
                self.practitioner_at(at)
            };
            let (subject, body) = *pick(self.rng, words::CASE_NOTES);
            let note = CaseNote {
                id: uuid_v4(self.rng),
                referral_id: self.referral().id,
                author_id: author.clone(),
                subject: subject.to_owned(),
                body: body.to_owned(),
                sent_at: at,
            };
            let status = self.status_at(at);
            let id = self.id_at(at);
            self.record.events.push(ReferralEvent {
                id,
                referral_id: note.referral_id,
                at,
                actor_id: author,
                kind: EventKind::CaseNoteAdded,
                from_status: Some(status),
                to_status: status,
                detail: Some(json!({ "caseNoteId": note.id }).to_string()),
            });
            self.record.case_notes.push(note);
        }
    }
}

/// The practitioner's choices for the draft: categories, levels, outcomes and the rest.
fn details(
    rng: &mut Rng,
    setting: &Setting<'_>,
    sent_on: NaiveDate,
    person: crate::domain::draft::ServiceUser,
) -> DraftDetails {
    let category_count = if setting.categories.len() > 1 {
        usize::try_from(*weighted(rng, &[(1i64, 60), (2, 30), (3, 10)])).unwrap_or(1)
    } else {
        1
    };
    let mut categories: Vec<SelectedCategory> = Vec::new();
    for _ in 0..category_count {
        let (id, levels, outcomes) = pick(rng, setting.categories);
        if categories.iter().any(|c| c.service_category_id == *id) {
            continue;
        }
        let complexity = *weighted(
            rng,
            &[
                (Complexity::Low, 35),
                (Complexity::Medium, 45),
                (Complexity::High, 20),
            ],
        );
        let level = levels
            .iter()
            .find(|l| l.complexity == complexity)
            .or(levels.first())
            .map(|l| l.id);
        let mut chosen: Vec<Uuid> = Vec::new();
        for _ in 0..between(rng, 1, 3) {
            if let Some(outcome) = (!outcomes.is_empty()).then(|| pick(rng, outcomes).id)
                && !chosen.contains(&outcome)
            {
                chosen.push(outcome);
            }
        }
        chosen.sort();
        categories.push(SelectedCategory {
            service_category_id: *id,
            complexity_level_id: level,
            desired_outcome_ids: chosen,
        });
    }
    let needs_interpreter = chance(rng, 0.05);
    let responsibilities = chance(rng, 0.2);
    let custody = chance(rng, 0.15);
    let release_known = chance(rng, 0.8);
    DraftDetails {
        service_user: person,
        categories,
        completion_deadline: Some(sent_on + days(rng, 90, 180)),
        maximum_enforceable_days: Some(i32::try_from(between(rng, 5, 30)).unwrap_or(10)),
        reason_for_referral: Some((*pick(rng, words::REASONS)).to_owned()),
        further_information: None,
        accessibility_needs: None,
        additional_needs_information: None,
        needs_interpreter: Some(needs_interpreter),
        interpreter_language: needs_interpreter.then(|| (*pick(rng, words::LANGUAGES)).to_owned()),
        has_additional_responsibilities: Some(responsibilities),
        when_unavailable: responsibilities.then(|| (*pick(rng, words::UNAVAILABLE)).to_owned()),
        risk_information: Some((*pick(rng, words::RISKS)).to_owned()),
        location: if custody {
            Location {
                location_type: Some(LocationType::Custody),
                prison_code: Some((*pick(rng, words::PRISONS)).to_owned()),
                expected_release_date: release_known.then(|| sent_on + days(rng, 7, 120)),
                expected_release_date_unknown_reason: (!release_known)
                    .then(|| (*pick(rng, words::RELEASE_UNKNOWN)).to_owned()),
            }
        } else {
            Location {
                location_type: Some(LocationType::Community),
                ..Default::default()
            }
        },
        probation_delivery_unit_code: Some(setting.pdu_code.to_owned()),
        probation_office: Some("Probation office".to_owned()),
    }
}

/// Draws a reference number nobody has yet.
fn reference(rng: &mut Rng, suffix: &str, taken: &mut HashSet<String>) -> String {
    loop {
        let candidate = reference_number::draw(suffix, || {
            let bytes: [u8; 6] = rand::Rng::random(rng);
            bytes
        });
        if taken.insert(candidate.clone()) {
            return candidate;
        }
    }
}

/// One referral made on `made_on`, lived until `cutoff`. A referral made in the last two months
/// is sometimes still a draft.
pub fn referral(
    rng: &mut Rng,
    setting: &Setting<'_>,
    made_on: NaiveDate,
    cutoff: DateTime<Utc>,
    taken_references: &mut HashSet<String>,
) -> ReferralRecord {
    let sent_at = office_time(rng, made_on).min(cutoff - Duration::minutes(1));
    let created_at = sent_at - days(rng, 0, 12);
    let is_draft = sent_at > cutoff - Duration::days(60) && chance(rng, 0.15);
    let (crn, person) = people::person(
        rng,
        &setting.intervention.contract.eligibility,
        made_on,
        setting.region_code,
    );
    let details = details(rng, setting, made_on, person);
    let practitioner = UserId(setting.practitioner.to_owned());
    let caseworker = UserId((*pick(rng, setting.caseworkers)).to_owned());
    let engagement = between(rng, 55, 97) as f64 / 100.0;
    let id = uuid_v4(rng);
    let referral = Referral {
        id,
        reference: None,
        status: ReferralStatus::Draft,
        version: 1,
        intervention: setting.intervention.clone(),
        crn,
        created_by: practitioner.clone(),
        created_at,
        listed_at: created_at,
        sent_at: None,
        sent_by: None,
        responsible_pp_id: None,
        assigned_to_id: None,
        assigned_at: None,
        concluded_at: None,
        initial_contact_at: None,
        withdrawal: None,
        details,
    };
    let mut life = Life {
        rng,
        setting,
        record: ReferralRecord {
            selections: referral.details.categories.clone(),
            referral,
            events: Vec::new(),
            case_notes: Vec::new(),
            appointments: Vec::new(),
            plans: Vec::new(),
            sessions: Vec::new(),
            report: None,
            notifications: Vec::new(),
            changes: Vec::new(),
        },
        cutoff,
        sequence: 0,
        engagement,
        caseworker,
        practitioner: practitioner.clone(),
        handover: None,
        withdrawal_due: None,
    };
    life.event(
        EventKind::Created,
        None,
        created_at,
        practitioner.clone(),
        None,
    );
    let last_edit = if is_draft { cutoff } else { sent_at };
    let edits = between(life.rng, 1, 3);
    let span = (last_edit - created_at).num_minutes().max(edits + 1);
    let mut edit_times: Vec<DateTime<Utc>> = (0..edits)
        .map(|_| created_at + Duration::minutes(between(life.rng, 1, span - 1)))
        .filter(|t| *t < last_edit)
        .collect();
    edit_times.sort();
    for at in edit_times {
        life.record.referral.version += 1;
        life.event(
            EventKind::Updated,
            Some(ReferralStatus::Draft),
            at,
            practitioner.clone(),
            None,
        );
    }
    if is_draft {
        return life.record;
    }
    let reference = reference(life.rng, setting.suffix, taken_references);
    let referral = &mut life.record.referral;
    referral.reference = Some(reference);
    referral.status = ReferralStatus::Sent;
    referral.version += 1;
    referral.sent_at = Some(sent_at);
    referral.listed_at = sent_at;
    referral.sent_by = Some(practitioner.clone());
    referral.responsible_pp_id = Some(practitioner.clone());
    life.event(
        EventKind::Sent,
        Some(ReferralStatus::Draft),
        sent_at,
        practitioner,
        None,
    );
    life.plan_handover(sent_at);
    let _ = life.deliver(sent_at);
    life.record_handover();
    life.amendments();
    life.case_notes();
    life.record.events.sort_by_key(|e| (e.at, e.id));
    life.record
}
