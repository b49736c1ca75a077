//! Domain events: what other systems hear about a committed change, named and shaped as the
//! reference service publishes them (`intervention.referral.sent`, …). Each step of a change
//! gives its events here, from the step's kind, its statuses and its detail (ids and codes
//! only), so an event never carries free text: no names, no case note bodies.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::journey::{EventKind, ReferralStatus};

/// The version of every event body.
pub const EVENT_VERSION: i32 = 1;

/// A domain event type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventType {
    ReferralSent,
    ReferralAssigned,
    ReferralWithdrawn,
    ReferralEnded,
    ReferralConcluded,
    CaseNoteAdded,
    AssessmentScheduled,
    AssessmentAttended,
    AssessmentMissed,
    SessionScheduled,
    SessionAttended,
    SessionMissed,
    ActionPlanSubmitted,
    ActionPlanApproved,
    EndOfServiceReportSubmitted,
    ReferralAmended,
    ReferralTransferred,
    AppointmentCancelled,
}

impl EventType {
    /// Every type.
    pub const ALL: [EventType; 18] = [
        EventType::ReferralSent,
        EventType::ReferralAssigned,
        EventType::ReferralWithdrawn,
        EventType::ReferralEnded,
        EventType::ReferralConcluded,
        EventType::CaseNoteAdded,
        EventType::AssessmentScheduled,
        EventType::AssessmentAttended,
        EventType::AssessmentMissed,
        EventType::SessionScheduled,
        EventType::SessionAttended,
        EventType::SessionMissed,
        EventType::ActionPlanSubmitted,
        EventType::ActionPlanApproved,
        EventType::EndOfServiceReportSubmitted,
        EventType::ReferralAmended,
        EventType::ReferralTransferred,
        EventType::AppointmentCancelled,
    ];

    /// The `eventType` (and the end of the subject, `crs.events.<eventType>`).
    pub fn code(self) -> &'static str {
        match self {
            EventType::ReferralSent => "intervention.referral.sent",
            EventType::ReferralAssigned => "intervention.referral.assigned",
            EventType::ReferralWithdrawn => "intervention.referral.withdrawn",
            EventType::ReferralEnded => "intervention.referral.ended",
            EventType::ReferralConcluded => "intervention.referral.concluded",
            EventType::CaseNoteAdded => "intervention.case-note.added",
            EventType::AssessmentScheduled => {
                "intervention.initial-assessment-appointment.scheduled"
            }
            EventType::AssessmentAttended => "intervention.initial-assessment-appointment.attended",
            EventType::AssessmentMissed => "intervention.initial-assessment-appointment.missed",
            EventType::SessionScheduled => "intervention.session-appointment.scheduled",
            EventType::SessionAttended => "intervention.session-appointment.attended",
            EventType::SessionMissed => "intervention.session-appointment.missed",
            EventType::ActionPlanSubmitted => "intervention.action-plan.submitted",
            EventType::ActionPlanApproved => "intervention.action-plan.approved",
            EventType::EndOfServiceReportSubmitted => {
                "intervention.end-of-service-report.submitted"
            }
            EventType::ReferralAmended => "intervention.referral.amended",
            EventType::ReferralTransferred => "intervention.referral.transferred",
            EventType::AppointmentCancelled => "intervention.appointment.cancelled",
        }
    }

    /// The `description` of the body.
    pub fn description(self) -> &'static str {
        match self {
            EventType::ReferralSent => "A referral has been sent to a service provider",
            EventType::ReferralAssigned => "A referral has been assigned to a caseworker",
            EventType::ReferralWithdrawn => "A referral has been withdrawn by probation",
            EventType::ReferralEnded => "A referral has been ended by probation",
            EventType::ReferralConcluded => "A referral has concluded",
            EventType::CaseNoteAdded => "A case note has been added to a referral",
            EventType::AssessmentScheduled => "An initial assessment appointment has been booked",
            EventType::AssessmentAttended => "An initial assessment appointment was attended",
            EventType::AssessmentMissed => "An initial assessment appointment was missed",
            EventType::SessionScheduled => "A session appointment has been booked",
            EventType::SessionAttended => "A session appointment was attended",
            EventType::SessionMissed => "A session appointment was missed",
            EventType::ActionPlanSubmitted => "An action plan has been submitted",
            EventType::ActionPlanApproved => "An action plan has been approved",
            EventType::EndOfServiceReportSubmitted => "An end of service report has been submitted",
            EventType::ReferralAmended => "A sent referral has been amended by probation",
            EventType::ReferralTransferred => {
                "A referral has been handed to another probation practitioner"
            }
            EventType::AppointmentCancelled => "An appointment has been cancelled",
        }
    }

    /// The type of a code.
    pub fn from_code(code: &str) -> Option<EventType> {
        Self::ALL.into_iter().find(|t| t.code() == code)
    }
}

/// One step of a committed change, as the events see it.
#[derive(Clone, Copy, Debug)]
pub struct StepFacts<'a> {
    pub kind: EventKind,
    pub from: ReferralStatus,
    pub to: ReferralStatus,
    /// The step's recorded detail (a JSON object of ids and codes).
    pub detail: Option<&'a Map<String, Value>>,
}

/// Whether an appointment of the detail is an initial assessment.
fn is_assessment(detail: Option<&Map<String, Value>>) -> bool {
    detail
        .and_then(|d| d.get("kind"))
        .and_then(Value::as_str)
        .is_some_and(|kind| kind == "ASSESSMENT")
}

/// Whether the feedback of the detail says the person attended (on time or late).
fn attended(detail: Option<&Map<String, Value>>) -> bool {
    detail
        .and_then(|d| d.get("attended"))
        .and_then(Value::as_str)
        .is_some_and(|code| code != "NO")
}

/// The event types of one step, in the order they are published.
pub fn types_of(step: StepFacts<'_>) -> Vec<EventType> {
    let assessment = is_assessment(step.detail);
    let mut types = match step.kind {
        // Drafts are the practitioner's own until sent.
        EventKind::Created | EventKind::Updated => vec![],
        EventKind::Sent => vec![EventType::ReferralSent],
        EventKind::Assigned => vec![EventType::ReferralAssigned],
        // Ours, and the reference service's name for the same thing.
        EventKind::Withdrawn => vec![EventType::ReferralWithdrawn, EventType::ReferralEnded],
        EventKind::CaseNoteAdded => vec![EventType::CaseNoteAdded],
        EventKind::AppointmentScheduled | EventKind::AppointmentRescheduled => {
            vec![if assessment {
                EventType::AssessmentScheduled
            } else {
                EventType::SessionScheduled
            }]
        }
        EventKind::AppointmentFeedbackRecorded => vec![match (assessment, attended(step.detail)) {
            (true, true) => EventType::AssessmentAttended,
            (true, false) => EventType::AssessmentMissed,
            (false, true) => EventType::SessionAttended,
            (false, false) => EventType::SessionMissed,
        }],
        EventKind::ActionPlanSubmitted => vec![EventType::ActionPlanSubmitted],
        EventKind::ActionPlanApproved => vec![EventType::ActionPlanApproved],
        EventKind::EndOfServiceReportSubmitted => vec![EventType::EndOfServiceReportSubmitted],
        EventKind::Amended => vec![EventType::ReferralAmended],
        EventKind::Transferred => vec![EventType::ReferralTransferred],
        EventKind::AppointmentCancelled => vec![EventType::AppointmentCancelled],
    };
    if step.to.is_concluded() && !step.from.is_concluded() {
        types.push(EventType::ReferralConcluded);
    }
    types
}

/// The referral an event is about.
#[derive(Clone, Copy, Debug)]
pub struct Subject<'a> {
    pub referral_id: Uuid,
    pub reference: Option<&'a str>,
    pub crn: &'a str,
    /// The referral's status after the step.
    pub status: ReferralStatus,
    pub version: i32,
}

/// One event as written to the outbox and published.
#[derive(Clone, Debug, PartialEq)]
pub struct DomainEvent {
    /// What consumers deduplicate on.
    pub id: Uuid,
    pub event_type: EventType,
    pub referral_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    /// The referral's status and version after the change.
    pub status: ReferralStatus,
    pub version: i32,
    /// The published body.
    pub body: Value,
}

/// The events of one step of a change to `subject` at `at`. `detail_base` is the API's public
/// address; `detailUrl` names the referral under it.
pub fn events_of(
    step: StepFacts<'_>,
    subject: Subject<'_>,
    at: DateTime<Utc>,
    detail_base: &str,
) -> Vec<DomainEvent> {
    types_of(step)
        .into_iter()
        .map(|event_type| {
            let mut information = Map::new();
            information.insert("referralId".into(), json!(subject.referral_id));
            if let Some(reference) = subject.reference {
                information.insert("referralReference".into(), json!(reference));
            }
            information.insert("status".into(), json!(subject.status.code()));
            information.insert("version".into(), json!(subject.version));
            if let Some(detail) = step.detail {
                for (key, value) in detail {
                    information.entry(key.clone()).or_insert(value.clone());
                }
            }
            if event_type == EventType::ReferralConcluded {
                information.insert("deliveryState".into(), json!(subject.status.code()));
            }
            let id = Uuid::now_v7();
            let body = json!({
                "eventId": id,
                "eventType": event_type.code(),
                "version": EVENT_VERSION,
                "description": event_type.description(),
                "detailUrl": format!(
                    "{}/sent-referral/{}",
                    detail_base.trim_end_matches('/'),
                    subject.referral_id
                ),
                "occurredAt": at.to_rfc3339_opts(SecondsFormat::Micros, true),
                "additionalInformation": information,
                "personReference": { "identifiers": [{ "type": "CRN", "value": subject.crn }] },
            });
            DomainEvent {
                id,
                event_type,
                referral_id: subject.referral_id,
                occurred_at: at,
                status: subject.status,
                version: subject.version,
                body,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(kind: EventKind, detail: Option<&Map<String, Value>>) -> StepFacts<'_> {
        StepFacts {
            kind,
            from: ReferralStatus::Sent,
            to: ReferralStatus::Sent,
            detail,
        }
    }

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn codes_are_the_contracts_and_round_trip() {
        for event_type in EventType::ALL {
            assert!(event_type.code().starts_with("intervention."));
            assert_eq!(EventType::from_code(event_type.code()), Some(event_type));
        }
        assert_eq!(EventType::from_code("intervention.unknown"), None);
    }

    #[test]
    fn drafts_publish_nothing_and_a_conclusion_is_published_once() {
        assert!(types_of(step(EventKind::Created, None)).is_empty());
        assert!(types_of(step(EventKind::Updated, None)).is_empty());
        let concluding = StepFacts {
            kind: EventKind::Withdrawn,
            from: ReferralStatus::Sent,
            to: ReferralStatus::Cancelled,
            detail: None,
        };
        assert_eq!(
            types_of(concluding),
            [
                EventType::ReferralWithdrawn,
                EventType::ReferralEnded,
                EventType::ReferralConcluded
            ]
        );
        let already = StepFacts {
            from: ReferralStatus::Cancelled,
            ..concluding
        };
        assert!(!types_of(already).contains(&EventType::ReferralConcluded));
    }

    #[test]
    fn appointments_publish_by_kind_and_attendance() {
        let assessment = map(json!({ "kind": "ASSESSMENT", "attended": "LATE" }));
        let session = map(json!({ "kind": "SESSION", "attended": "NO" }));
        assert_eq!(
            types_of(step(EventKind::AppointmentScheduled, Some(&assessment))),
            [EventType::AssessmentScheduled]
        );
        assert_eq!(
            types_of(step(EventKind::AppointmentRescheduled, Some(&session))),
            [EventType::SessionScheduled]
        );
        assert_eq!(
            types_of(step(
                EventKind::AppointmentFeedbackRecorded,
                Some(&assessment)
            )),
            [EventType::AssessmentAttended]
        );
        assert_eq!(
            types_of(step(EventKind::AppointmentFeedbackRecorded, Some(&session))),
            [EventType::SessionMissed]
        );
    }

    #[test]
    fn a_body_names_the_referral_and_the_person_by_ids_only() {
        let detail = map(json!({ "assigneeId": "sp-1" }));
        let subject = Subject {
            referral_id: Uuid::nil(),
            reference: Some("AB1234CD"),
            crn: "X123456",
            status: ReferralStatus::Assigned,
            version: 3,
        };
        let at = DateTime::parse_from_rfc3339("2026-12-03T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let events = events_of(
            step(EventKind::Assigned, Some(&detail)),
            subject,
            at,
            "https://crs.example/",
        );
        assert_eq!(events.len(), 1);
        let body = &events[0].body;
        assert_eq!(body["eventType"], "intervention.referral.assigned");
        assert_eq!(body["version"], 1);
        assert_eq!(body["eventId"], json!(events[0].id));
        assert_eq!(body["occurredAt"], "2026-12-03T10:00:00.000000Z");
        assert_eq!(
            body["detailUrl"],
            "https://crs.example/sent-referral/00000000-0000-0000-0000-000000000000"
        );
        assert_eq!(body["additionalInformation"]["assigneeId"], "sp-1");
        assert_eq!(
            body["additionalInformation"]["referralReference"],
            "AB1234CD"
        );
        assert_eq!(
            body["personReference"],
            json!({ "identifiers": [{ "type": "CRN", "value": "X123456" }] })
        );
    }
}
