//! Subject access requests (UK GDPR article 15, the HMPPS SAR contract): everything we hold
//! about one person, found by CRN — every referral, drafts included, with its history,
//! amendments, appointments and their feedback, action plans, sessions, end-of-service report
//! and case notes — with staff and reference data given in words, as the person would read it.
//!
//! The referrals are read through [`ReferralAccess::Person`], so the SQL itself keeps to the one
//! CRN: another person's data (a namesake included) cannot reach the document.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::Services;
use crate::db;
use crate::domain::actor::UserId;
use crate::domain::amendment::ChangeLogEntry;
use crate::domain::catalogue::uk_day_start;
use crate::domain::delivery::{ActionPlan, Appointment, DeliverySession, EndOfServiceReport};
use crate::domain::referral::{CaseNote, Referral, ReferralAccess, ReferralEvent};
use crate::error::AppError;

/// Which of a person's records a request asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubjectAccessQuery {
    /// The person's case reference number.
    pub crn: String,
    /// Referrals created on or after this UK day.
    pub from: Option<NaiveDate>,
    /// Referrals created on or before this UK day.
    pub to: Option<NaiveDate>,
}

/// What a subject access request found.
#[derive(Clone, Debug, PartialEq)]
pub struct SubjectAccessExport {
    /// The `content` of the answer.
    pub content: Value,
    /// The referrals it holds, for the read audit.
    pub referral_ids: Vec<Uuid>,
}

/// Everything held about the person of `query`; `None` when we hold nothing.
pub async fn export(
    services: &Services,
    query: &SubjectAccessQuery,
) -> Result<Option<SubjectAccessExport>, AppError> {
    let db = &services.db;
    let access = ReferralAccess::Person(query.crn.clone());
    // One snapshot for the ids and everything under them.
    let txn = db::begin_batch_reads(db).await?;
    let ids = db::referrals::ids_created_between(
        &txn,
        &access,
        query.from.map(uk_day_start),
        query.to.and_then(|day| day.succ_opt()).map(uk_day_start),
    )
    .await?;
    if ids.is_empty() {
        return Ok(None);
    }
    let mut referrals = db::referrals::find_many(&txn, &access, &ids).await?;
    referrals.sort_by_key(|r| (r.created_at, r.id));
    let ids: Vec<Uuid> = referrals.iter().map(|r| r.id).collect();
    let records = Records {
        events: by_referral(db::referrals::events_of(&txn, &ids).await?, |e| {
            e.referral_id
        }),
        selections: db::referrals::selections(&txn, &ids).await?,
        case_notes: by_referral(db::referrals::case_notes_of(&txn, &ids).await?, |n| {
            n.referral_id
        }),
        changes: by_referral(db::change_log::of(&txn, &ids).await?, |c| c.referral_id),
        appointments: by_referral(db::delivery::appointments_of(&txn, &ids).await?, |a| {
            a.referral_id
        }),
        plans: by_referral(db::delivery::plans_of(&txn, &ids).await?, |p| p.referral_id),
        sessions: by_referral(db::delivery::sessions_of(&txn, &ids).await?, |s| {
            s.referral_id
        }),
        reports: by_referral(db::delivery::reports_of(&txn, &ids).await?, |r| {
            r.referral_id
        }),
    };
    let words = Words::load(&txn, &referrals, &records).await?;
    txn.commit().await?;
    let content = json!({
        "referrals": referrals
            .iter()
            .map(|referral| referral_document(referral, &records, &words))
            .collect::<Vec<_>>(),
    });
    Ok(Some(SubjectAccessExport {
        content,
        referral_ids: ids,
    }))
}

/// The rows of one referral.
fn of<'a, T>(rows: &'a HashMap<Uuid, Vec<T>>, id: &Uuid) -> &'a [T] {
    rows.get(id).map_or(&[], Vec::as_slice)
}

fn by_referral<T>(rows: Vec<T>, key: impl Fn(&T) -> Uuid) -> HashMap<Uuid, Vec<T>> {
    let mut grouped: HashMap<Uuid, Vec<T>> = HashMap::new();
    for row in rows {
        grouped.entry(key(&row)).or_default().push(row);
    }
    grouped
}

/// The records under the person's referrals.
struct Records {
    events: HashMap<Uuid, Vec<ReferralEvent>>,
    selections: Vec<(Uuid, crate::domain::draft::SelectedCategory)>,
    case_notes: HashMap<Uuid, Vec<CaseNote>>,
    changes: HashMap<Uuid, Vec<ChangeLogEntry>>,
    appointments: HashMap<Uuid, Vec<Appointment>>,
    plans: HashMap<Uuid, Vec<ActionPlan>>,
    sessions: HashMap<Uuid, Vec<DeliverySession>>,
    reports: HashMap<Uuid, Vec<EndOfServiceReport>>,
}

/// Names of staff and reference data, by id or code.
#[derive(Default)]
struct Words {
    users: HashMap<UserId, String>,
    categories: HashMap<Uuid, String>,
    complexity_levels: HashMap<Uuid, String>,
    outcomes: HashMap<Uuid, String>,
    withdrawal_reasons: HashMap<String, String>,
    pdus: HashMap<String, String>,
    providers: HashMap<String, String>,
}

impl Words {
    async fn load(
        db: &impl sea_orm::ConnectionTrait,
        referrals: &[Referral],
        records: &Records,
    ) -> Result<Words, AppError> {
        let mut users: BTreeSet<UserId> = BTreeSet::new();
        let mut categories = BTreeSet::new();
        let mut levels = BTreeSet::new();
        let mut outcomes = BTreeSet::new();
        let mut reasons = BTreeSet::new();
        let mut pdus = BTreeSet::new();
        let mut providers = BTreeSet::new();
        for r in referrals {
            users.insert(r.created_by.clone());
            users.extend(r.sent_by.clone());
            users.extend(r.responsible_pp_id.clone());
            users.extend(r.assigned_to_id.clone());
            if let Some(w) = &r.withdrawal {
                users.insert(w.by.clone());
                reasons.insert(w.reason_code.clone());
            }
            pdus.extend(r.details.probation_delivery_unit_code.clone());
            providers.insert(r.intervention.contract.prime_provider_code.clone());
        }
        for (_, selection) in &records.selections {
            categories.insert(selection.service_category_id);
            levels.extend(selection.complexity_level_id);
            outcomes.extend(selection.desired_outcome_ids.iter().copied());
        }
        users.extend(
            records
                .events
                .values()
                .flatten()
                .map(|e| e.actor_id.clone()),
        );
        users.extend(
            records
                .case_notes
                .values()
                .flatten()
                .map(|n| n.author_id.clone()),
        );
        users.extend(
            records
                .changes
                .values()
                .flatten()
                .map(|c| c.actor_id.clone()),
        );
        for a in records.appointments.values().flatten() {
            users.insert(a.created_by.clone());
            users.extend(a.feedback.as_ref().map(|f| f.submitted_by.clone()));
            users.extend(a.cancellation.as_ref().map(|c| c.by.clone()));
            users.extend(a.superseded.as_ref().map(|s| s.by.clone()));
        }
        for p in records.plans.values().flatten() {
            users.insert(p.submitted_by.clone());
            users.extend(p.approval.as_ref().and_then(|a| a.by.clone()));
        }
        for report in records.reports.values().flatten() {
            users.insert(report.submitted_by.clone());
            for outcome in &report.outcomes {
                categories.insert(outcome.service_category_id);
                outcomes.insert(outcome.desired_outcome_id);
            }
        }
        let list = |set: BTreeSet<Uuid>| set.into_iter().collect::<Vec<_>>();
        let codes = |set: BTreeSet<String>| set.into_iter().collect::<Vec<_>>();
        let user_ids: Vec<UserId> = users.into_iter().collect();
        Ok(Words {
            users: db::users::find_many(db, &user_ids)
                .await?
                .into_iter()
                .filter_map(|(id, user)| user.name.map(|name| (id, name)))
                .collect(),
            categories: db::catalogue::categories_by_ids(db, &list(categories))
                .await?
                .into_iter()
                .map(|c| (c.id, c.name))
                .collect(),
            complexity_levels: db::catalogue::complexity_levels_by_ids(db, &list(levels))
                .await?
                .into_iter()
                .map(|l| (l.id, l.title))
                .collect(),
            outcomes: db::catalogue::desired_outcomes_by_ids(db, &list(outcomes))
                .await?
                .into_iter()
                .map(|o| (o.id, o.description))
                .collect(),
            withdrawal_reasons: db::catalogue::withdrawal_reasons_by_codes(db, &codes(reasons))
                .await?
                .into_iter()
                .map(|w| (w.code, w.description))
                .collect(),
            pdus: db::catalogue::pdus_by_codes(db, &codes(pdus))
                .await?
                .into_iter()
                .map(|p| (p.code, p.name))
                .collect(),
            providers: db::catalogue::providers_by_codes(db, &codes(providers))
                .await?
                .into_iter()
                .map(|p| (p.code, p.name))
                .collect(),
        })
    }

    /// A member of staff by name (their user id when we never learnt the name).
    fn user(&self, id: &UserId) -> String {
        self.users.get(id).cloned().unwrap_or_else(|| id.0.clone())
    }

    fn named<K: std::hash::Hash + Eq>(map: &HashMap<K, String>, key: &K) -> Option<String> {
        map.get(key).cloned()
    }
}

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn referral_document(referral: &Referral, records: &Records, words: &Words) -> Value {
    let id = referral.id;
    let details = &referral.details;
    let person = &details.service_user;
    let categories: Vec<Value> = records
        .selections
        .iter()
        .filter(|(referral_id, _)| *referral_id == id)
        .map(|(_, selection)| {
            json!({
                "serviceCategory": Words::named(&words.categories, &selection.service_category_id),
                "complexityLevel": selection
                    .complexity_level_id
                    .and_then(|level| Words::named(&words.complexity_levels, &level)),
                "desiredOutcomes": selection
                    .desired_outcome_ids
                    .iter()
                    .filter_map(|o| Words::named(&words.outcomes, o))
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    let contract = &referral.intervention.contract;
    let mut document = json!({
        "id": referral.id,
        "referenceNumber": referral.reference,
        "status": referral.status.code(),
        "createdAt": time(referral.created_at),
        "createdBy": words.user(&referral.created_by),
        "sentAt": referral.sent_at.map(time),
        "sentBy": referral.sent_by.as_ref().map(|u| words.user(u)),
        "responsiblePractitioner": referral.responsible_pp_id.as_ref().map(|u| words.user(u)),
        "intervention": referral.intervention.title,
        "contractReference": contract.reference,
        "serviceProvider": Words::named(&words.providers, &contract.prime_provider_code),
        "assignedTo": referral.assigned_to_id.as_ref().map(|u| words.user(u)),
        "assignedAt": referral.assigned_at.map(time),
        "concludedAt": referral.concluded_at.map(time),
        "serviceUser": {
            "crn": referral.crn,
            "firstName": person.first_name,
            "lastName": person.last_name,
            "dateOfBirth": person.date_of_birth.map(|d| d.to_string()),
            "gender": person.gender.map(|g| g.code()),
            "ethnicity": person.ethnicity,
            "preferredLanguage": person.preferred_language,
            "disabilities": person.disabilities,
        },
        "serviceCategories": categories,
        "completionDeadline": details.completion_deadline.map(|d| d.to_string()),
        "maximumEnforceableDays": details.maximum_enforceable_days,
        "reasonForReferral": details.reason_for_referral,
        "furtherInformation": details.further_information,
        "accessibilityNeeds": details.accessibility_needs,
        "additionalNeedsInformation": details.additional_needs_information,
        "needsInterpreter": details.needs_interpreter,
        "interpreterLanguage": details.interpreter_language,
        "hasAdditionalResponsibilities": details.has_additional_responsibilities,
        "whenUnavailable": details.when_unavailable,
        "riskInformation": details.risk_information,
        "location": {
            "type": details.location.location_type.map(|t| t.code()),
            "prisonCode": details.location.prison_code,
            "expectedReleaseDate": details.location.expected_release_date.map(|d| d.to_string()),
            "expectedReleaseDateUnknownReason": details.location.expected_release_date_unknown_reason,
        },
        "probationDeliveryUnit": details
            .probation_delivery_unit_code
            .as_ref()
            .map(|code| Words::named(&words.pdus, code).unwrap_or_else(|| code.clone())),
        "probationOffice": details.probation_office,
    });
    if let (Value::Object(document), Value::Object(more)) =
        (&mut document, records_document(referral, records, words))
    {
        document.extend(more);
    }
    document
}

/// A referral's records: its history, amendments and delivery.
fn records_document(referral: &Referral, records: &Records, words: &Words) -> Value {
    let id = referral.id;
    json!({
        "withdrawal": referral.withdrawal.as_ref().map(|w| json!({
            "reason": Words::named(&words.withdrawal_reasons, &w.reason_code),
            "comments": w.comments,
            "withdrawnAt": time(w.at),
            "withdrawnBy": words.user(&w.by),
        })),
        "history": of(&records.events, &id).iter().map(|e| json!({
            "at": time(e.at),
            "event": e.kind.code(),
            "fromStatus": e.from_status.map(|s| s.code()),
            "toStatus": e.to_status.code(),
            "by": words.user(&e.actor_id),
        })).collect::<Vec<_>>(),
        "amendments": of(&records.changes, &id).iter().map(|c| json!({
            "at": time(c.at),
            "topic": c.topic.code(),
            "oldValue": c.old_value,
            "newValue": c.new_value,
            "reason": c.reason,
            "by": words.user(&c.actor_id),
        })).collect::<Vec<_>>(),
        "appointments": of(&records.appointments, &id).iter()
            .map(|a| appointment_document(a, words)).collect::<Vec<_>>(),
        "actionPlans": of(&records.plans, &id).iter().map(|p| json!({
            "revision": p.revision,
            "numberOfSessions": p.number_of_sessions,
            "activities": p.activities,
            "submittedAt": time(p.submitted_at),
            "submittedBy": words.user(&p.submitted_by),
            "approvedAt": p.approval.as_ref().map(|a| time(a.at)),
            "approvedBy": p.approval.as_ref().and_then(|a| a.by.as_ref()).map(|u| words.user(u)),
        })).collect::<Vec<_>>(),
        "sessions": of(&records.sessions, &id).iter().map(|s| json!({
            "number": s.number,
            "createdAt": time(s.created_at),
        })).collect::<Vec<_>>(),
        "endOfServiceReport": records.reports.get(&id).and_then(|r| r.first()).map(|r| json!({
            "submittedAt": time(r.submitted_at),
            "submittedBy": words.user(&r.submitted_by),
            "furtherInformation": r.further_information,
            "outcomes": r.outcomes.iter().map(|o| json!({
                "serviceCategory": Words::named(&words.categories, &o.service_category_id),
                "desiredOutcome": Words::named(&words.outcomes, &o.desired_outcome_id),
                "achievementLevel": o.level.code(),
                "progressionComments": o.progression_comments,
                "additionalTaskComments": o.additional_task_comments,
            })).collect::<Vec<_>>(),
        })),
        "caseNotes": of(&records.case_notes, &id).iter().map(|n| json!({
            "subject": n.subject,
            "body": n.body,
            "sentAt": time(n.sent_at),
            "sentBy": words.user(&n.author_id),
        })).collect::<Vec<_>>(),
    })
}

fn appointment_document(a: &Appointment, words: &Words) -> Value {
    let address = a.delivery.address.as_ref().map(|address| {
        json!({
            "firstLine": address.first_line,
            "secondLine": address.second_line,
            "townOrCity": address.town_or_city,
            "county": address.county,
            "postcode": address.postcode,
        })
    });
    json!({
        "kind": a.kind.code(),
        "sessionNumber": a.session_number,
        "startsAt": time(a.starts_at),
        "durationMinutes": a.duration_minutes,
        "deliveryMethod": a.delivery.method.code(),
        "sessionType": a.delivery.session_type.code(),
        "probationOffice": a.delivery.probation_office_code,
        "address": address,
        "bookedAt": time(a.created_at),
        "bookedBy": words.user(&a.created_by),
        "rescheduled": a.superseded.as_ref().map(|s| json!({
            "at": time(s.at),
            "by": words.user(&s.by),
            "reason": s.reason,
            "requestedBy": s.requested_by.code(),
        })),
        "cancelled": a.cancellation.as_ref().map(|c| json!({
            "at": time(c.at),
            "by": words.user(&c.by),
            "reason": c.reason,
        })),
        "feedback": a.feedback.as_ref().map(|f| json!({
            "attendance": f.attendance.code(),
            "sessionHappened": f.session_happened,
            "lateReason": f.late_reason,
            "noSessionReason": f.no_session_reason,
            "noAttendanceInformation": f.no_attendance_information,
            "sessionSummary": f.session_summary,
            "sessionResponse": f.session_response,
            "concerns": f.concerns,
            "notifyProbationPractitioner": f.notify_probation_practitioner,
            "submittedAt": time(f.submitted_at),
            "submittedBy": words.user(&f.submitted_by),
        })),
    })
}
