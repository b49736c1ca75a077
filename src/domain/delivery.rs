//! Service delivery records and their checks: appointments (initial assessment and sessions),
//! attendance feedback, action plans and end-of-service reports.

use chrono::{DateTime, Months, Utc};
use uuid::Uuid;

use super::actor::UserId;
use super::catalogue::{uk_date, uk_day_start};
use super::draft::{MAX_TEXT_LENGTH, code};
use crate::error::FieldError;

/// Field codes of delivery checks (besides the shared ones in [`code`]).
pub mod delivery_code {
    pub const APPOINTMENT_TIME_BEFORE_REFERRAL_START_DATE: &str =
        "APPOINTMENT_TIME_BEFORE_REFERRAL_START_DATE";
    pub const APPOINTMENT_TIME_TOO_FAR_IN_FUTURE: &str = "APPOINTMENT_TIME_TOO_FAR_IN_FUTURE";
    pub const APPOINTMENT_NOT_STARTED: &str = "APPOINTMENT_NOT_STARTED";
    pub const CANNOT_BE_REDUCED: &str = "CANNOT_BE_REDUCED";
    pub const OUTCOME_MISSING: &str = "OUTCOME_MISSING";
    pub const DUPLICATE_OUTCOME: &str = "DUPLICATE_OUTCOME";
}
use delivery_code::*;

/// Longest appointment, in minutes.
pub const MAX_DURATION_MINUTES: i32 = 8 * 60;
/// How far ahead an appointment may be booked.
pub const MAX_MONTHS_AHEAD: u32 = 6;
/// Most sessions an action plan may plan.
pub const MAX_SESSIONS: i32 = 100;
/// Most activities in an action plan.
pub const MAX_ACTIVITIES: usize = 50;

/// The initial assessment or a delivery session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AppointmentKind {
    Assessment,
    Session,
}

/// How an appointment is delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryMethod {
    PhoneCall,
    VideoCall,
    InPersonProbationOffice,
    InPersonOther,
}

/// One-to-one or group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionType {
    OneToOne,
    Group,
}

/// Who asked for a rescheduling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RescheduleRequester {
    ServiceProvider,
    PersonOnProbation,
    ProbationPractitioner,
}

/// Whether the person came.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attendance {
    Yes,
    Late,
    No,
}

impl Attendance {
    /// Present, on time or late.
    pub fn attended(self) -> bool {
        matches!(self, Attendance::Yes | Attendance::Late)
    }
}

/// How well a desired outcome was achieved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AchievementLevel {
    Achieved,
    PartiallyAchieved,
    NotAchieved,
}

/// Generates `code()`, `from_code()` and `ALL` for a fieldless enum stored as text.
macro_rules! stored_codes {
    ($ty:ident { $($variant:ident => $code:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];

            /// The stored code.
            pub fn code(self) -> &'static str {
                match self {
                    $($ty::$variant => $code),+
                }
            }

            /// Parses a stored code.
            pub fn from_code(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.code() == code)
            }
        }
    };
}

stored_codes!(AppointmentKind { Assessment => "ASSESSMENT", Session => "SESSION" });
stored_codes!(DeliveryMethod {
    PhoneCall => "PHONE_CALL",
    VideoCall => "VIDEO_CALL",
    InPersonProbationOffice => "IN_PERSON_PROBATION_OFFICE",
    InPersonOther => "IN_PERSON_OTHER",
});
stored_codes!(SessionType { OneToOne => "ONE_TO_ONE", Group => "GROUP" });
stored_codes!(RescheduleRequester {
    ServiceProvider => "SERVICE_PROVIDER",
    PersonOnProbation => "PERSON_ON_PROBATION",
    ProbationPractitioner => "PROBATION_PRACTITIONER",
});
stored_codes!(Attendance { Yes => "YES", Late => "LATE", No => "NO" });
stored_codes!(AchievementLevel {
    Achieved => "ACHIEVED",
    PartiallyAchieved => "PARTIALLY_ACHIEVED",
    NotAchieved => "NOT_ACHIEVED",
});

/// An address for in-person appointments away from a probation office.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Address {
    pub first_line: String,
    pub second_line: Option<String>,
    pub town_or_city: Option<String>,
    pub county: Option<String>,
    /// Upper case, with a single space before the inward code.
    pub postcode: String,
}

/// Where and how an appointment takes place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub method: DeliveryMethod,
    pub session_type: SessionType,
    pub probation_office_code: Option<String>,
    pub address: Option<Address>,
}

/// Why an appointment was replaced, and by whom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Supersession {
    pub by_appointment_id: Uuid,
    pub at: DateTime<Utc>,
    pub by: UserId,
    pub reason: String,
    pub requested_by: RescheduleRequester,
}

/// What happened at an appointment; recorded once, then locked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Feedback {
    pub attendance: Attendance,
    pub session_happened: bool,
    pub late_reason: Option<String>,
    pub no_session_reason: Option<String>,
    pub no_attendance_information: Option<String>,
    pub session_summary: Option<String>,
    pub session_response: Option<String>,
    pub concerns: Option<String>,
    pub notify_probation_practitioner: bool,
    pub submitted_at: DateTime<Utc>,
    pub submitted_by: UserId,
}

impl Feedback {
    /// The person attended and the session took place.
    pub fn is_attended_session(&self) -> bool {
        self.attendance.attended() && self.session_happened
    }
}

/// An appointment of a referral.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appointment {
    pub id: Uuid,
    pub referral_id: Uuid,
    pub kind: AppointmentKind,
    pub session_number: Option<i32>,
    pub starts_at: DateTime<Utc>,
    pub duration_minutes: i32,
    pub delivery: Delivery,
    pub created_at: DateTime<Utc>,
    pub created_by: UserId,
    pub superseded: Option<Supersession>,
    pub feedback: Option<Feedback>,
}

/// A rescheduling request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RescheduleInput {
    /// The appointment being replaced.
    pub appointment_id: Uuid,
    pub reason: Option<String>,
    pub requested_by: Option<RescheduleRequester>,
}

/// A booking as entered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppointmentInput {
    pub kind: AppointmentKind,
    pub session_number: Option<i32>,
    pub starts_at: DateTime<Utc>,
    pub duration_minutes: i32,
    pub method: DeliveryMethod,
    pub session_type: SessionType,
    pub probation_office_code: Option<String>,
    pub address: Option<AddressInput>,
    pub reschedule: Option<RescheduleInput>,
}

/// An address as entered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AddressInput {
    pub first_line: Option<String>,
    pub second_line: Option<String>,
    pub town_or_city: Option<String>,
    pub county: Option<String>,
    pub postcode: Option<String>,
}

/// A booking that passed its checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedAppointment {
    pub kind: AppointmentKind,
    pub session_number: Option<i32>,
    pub starts_at: DateTime<Utc>,
    pub duration_minutes: i32,
    pub delivery: Delivery,
    /// The appointment replaced, why and at whose request.
    pub reschedule: Option<(Uuid, String, RescheduleRequester)>,
}

/// Trimmed text, or `None` when blank.
fn filled(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// Checks a text's length; returns the trimmed text.
fn bounded(
    text: Option<&str>,
    field: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let value = filled(text);
    if value.as_ref().is_some_and(|v| v.chars().count() > max) {
        errors.push(FieldError::new(field, code::INVALID_LENGTH));
    }
    value
}

/// Required text: `CANNOT_BE_EMPTY` when blank.
fn required(
    text: Option<&str>,
    field: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let value = bounded(text, field, max, errors);
    if value.is_none() {
        errors.push(FieldError::new(field, code::CANNOT_BE_EMPTY));
    }
    value
}

/// A UK postcode (`^[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}$` once spaces are removed and letters
/// upper-cased), written with one space before the inward code; `None` if it is not one.
pub fn normalise_postcode(text: &str) -> Option<String> {
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let bytes = compact.as_bytes();
    if !(5..=7).contains(&bytes.len()) || !bytes.iter().all(u8::is_ascii_alphanumeric) {
        return None;
    }
    let (outward, inward) = bytes.split_at(bytes.len() - 3);
    let inward_ok = inward[0].is_ascii_digit()
        && inward[1].is_ascii_alphabetic()
        && inward[2].is_ascii_alphabetic();
    let letters = outward
        .iter()
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    let rest = &outward[letters..];
    let outward_ok = (1..=2).contains(&letters)
        && match rest {
            [d] => d.is_ascii_digit(),
            [d, x] => d.is_ascii_digit() && x.is_ascii_alphanumeric(),
            _ => false,
        };
    (inward_ok && outward_ok).then(|| {
        format!(
            "{} {}",
            &compact[..compact.len() - 3],
            &compact[compact.len() - 3..]
        )
    })
}

/// A probation office code: letters and digits, at most 20.
fn office_code(text: &str) -> Option<String> {
    let code = text.trim().to_ascii_uppercase();
    (!code.is_empty() && code.len() <= 20 && code.chars().all(|c| c.is_ascii_alphanumeric()))
        .then_some(code)
}

/// Checks a booking: delivery details, duration, and a start neither before the day the
/// referral was sent (UK time) nor more than six months ahead. Every problem is reported.
pub fn check_appointment(
    input: &AppointmentInput,
    sent_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<CheckedAppointment, Vec<FieldError>> {
    let mut errors = Vec::new();
    match (input.kind, input.session_number) {
        (AppointmentKind::Assessment, Some(_)) => {
            errors.push(FieldError::new("sessionNumber", code::INVALID_VALUE));
        }
        (AppointmentKind::Session, None) => {
            errors.push(FieldError::new("sessionNumber", code::CANNOT_BE_EMPTY));
        }
        (AppointmentKind::Session, Some(n)) if n < 1 => {
            errors.push(FieldError::new(
                "sessionNumber",
                code::CANNOT_BE_NEGATIVE_OR_ZERO,
            ));
        }
        _ => {}
    }
    if input.duration_minutes < 1 {
        errors.push(FieldError::new(
            "durationMinutes",
            code::CANNOT_BE_NEGATIVE_OR_ZERO,
        ));
    } else if input.duration_minutes > MAX_DURATION_MINUTES {
        errors.push(FieldError::new("durationMinutes", code::INVALID_VALUE));
    }
    if input.starts_at < uk_day_start(uk_date(sent_at)) {
        errors.push(FieldError::new(
            "startsAt",
            APPOINTMENT_TIME_BEFORE_REFERRAL_START_DATE,
        ));
    }
    let latest = now
        .checked_add_months(Months::new(MAX_MONTHS_AHEAD))
        .unwrap_or(now);
    if input.starts_at > latest {
        errors.push(FieldError::new(
            "startsAt",
            APPOINTMENT_TIME_TOO_FAR_IN_FUTURE,
        ));
    }
    let probation_office_code = match input.method {
        DeliveryMethod::InPersonProbationOffice => match input.probation_office_code.as_deref() {
            None => {
                errors.push(FieldError::new(
                    "probationOfficeCode",
                    code::CANNOT_BE_EMPTY,
                ));
                None
            }
            Some(text) if text.trim().is_empty() => {
                errors.push(FieldError::new(
                    "probationOfficeCode",
                    code::CANNOT_BE_EMPTY,
                ));
                None
            }
            Some(text) => {
                let parsed = office_code(text);
                if parsed.is_none() {
                    errors.push(FieldError::new("probationOfficeCode", code::INVALID_FORMAT));
                }
                parsed
            }
        },
        _ => None,
    };
    let address = match input.method {
        DeliveryMethod::InPersonOther => check_address(input.address.as_ref(), &mut errors),
        _ => None,
    };
    let reschedule = input.reschedule.as_ref().and_then(|r| {
        let reason = required(
            r.reason.as_deref(),
            "reschedule.reason",
            MAX_TEXT_LENGTH,
            &mut errors,
        );
        if r.requested_by.is_none() {
            errors.push(FieldError::new(
                "reschedule.requestedBy",
                code::CANNOT_BE_EMPTY,
            ));
        }
        Some((r.appointment_id, reason?, r.requested_by?))
    });
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(CheckedAppointment {
        kind: input.kind,
        session_number: input.session_number,
        starts_at: input.starts_at,
        duration_minutes: input.duration_minutes,
        delivery: Delivery {
            method: input.method,
            session_type: input.session_type,
            probation_office_code,
            address,
        },
        reschedule,
    })
}

fn check_address(input: Option<&AddressInput>, errors: &mut Vec<FieldError>) -> Option<Address> {
    let Some(input) = input else {
        errors.push(FieldError::new("address", code::CANNOT_BE_EMPTY));
        return None;
    };
    let first_line = required(
        input.first_line.as_deref(),
        "address.firstLine",
        200,
        errors,
    );
    let postcode = match filled(input.postcode.as_deref()) {
        None => {
            errors.push(FieldError::new("address.postcode", code::CANNOT_BE_EMPTY));
            None
        }
        Some(text) => {
            let parsed = normalise_postcode(&text);
            if parsed.is_none() {
                errors.push(FieldError::new("address.postcode", code::INVALID_FORMAT));
            }
            parsed
        }
    };
    let second_line = bounded(
        input.second_line.as_deref(),
        "address.secondLine",
        200,
        errors,
    );
    let town_or_city = bounded(
        input.town_or_city.as_deref(),
        "address.townOrCity",
        200,
        errors,
    );
    let county = bounded(input.county.as_deref(), "address.county", 200, errors);
    Some(Address {
        first_line: first_line?,
        second_line,
        town_or_city,
        county,
        postcode: postcode?,
    })
}

/// What a booking does to the appointments of its assessment or session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Booking {
    /// A new appointment (the first, or after a missed one, which stays in history).
    New,
    /// A new appointment replacing this one, which is kept as superseded.
    Replace(Uuid),
}

/// Why a booking cannot be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BookingConflict {
    #[error("an appointment is already booked: reschedule it instead")]
    AlreadyBooked,
    #[error("only the latest appointment can be rescheduled")]
    NotLatest,
    #[error("the appointment's feedback is recorded: it can no longer be changed")]
    FeedbackRecorded,
    #[error("nothing to reschedule: no appointment is booked")]
    NothingBooked,
    #[error("this has already taken place")]
    AlreadyDelivered,
}

/// Decides a booking from the latest appointment of the same assessment or session.
pub fn plan_booking(
    latest: Option<&Appointment>,
    reschedule_of: Option<Uuid>,
) -> Result<Booking, BookingConflict> {
    match (latest, reschedule_of) {
        (None, None) => Ok(Booking::New),
        (None, Some(_)) => Err(BookingConflict::NothingBooked),
        (Some(latest), Some(id)) if latest.id != id => Err(BookingConflict::NotLatest),
        (Some(latest), Some(_)) if latest.feedback.is_some() => {
            Err(BookingConflict::FeedbackRecorded)
        }
        (Some(latest), Some(_)) => Ok(Booking::Replace(latest.id)),
        (Some(latest), None) => match &latest.feedback {
            None => Err(BookingConflict::AlreadyBooked),
            Some(feedback) if feedback.is_attended_session() => {
                Err(BookingConflict::AlreadyDelivered)
            }
            Some(_) => Ok(Booking::New),
        },
    }
}

/// Feedback as entered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeedbackInput {
    pub attendance: Option<Attendance>,
    pub did_session_happen: Option<bool>,
    pub late_reason: Option<String>,
    pub no_session_reason: Option<String>,
    pub no_attendance_information: Option<String>,
    pub session_summary: Option<String>,
    pub session_response: Option<String>,
    pub concerns: Option<String>,
    pub notify_probation_practitioner: Option<bool>,
}

/// Checks feedback: attendance; for a no-show what is known; for an attendance whether the
/// session happened (with a summary and the person's response, or why not); the lateness
/// reason; concerns whenever the practitioner is to be told.
pub fn check_feedback(
    input: &FeedbackInput,
    by: &UserId,
    at: DateTime<Utc>,
) -> Result<Feedback, Vec<FieldError>> {
    let mut errors = Vec::new();
    let max = MAX_TEXT_LENGTH;
    let mut late_reason = bounded(input.late_reason.as_deref(), "lateReason", max, &mut errors);
    let mut no_session_reason = bounded(
        input.no_session_reason.as_deref(),
        "noSessionReason",
        max,
        &mut errors,
    );
    let mut no_attendance_information = bounded(
        input.no_attendance_information.as_deref(),
        "noAttendanceInformation",
        max,
        &mut errors,
    );
    let mut session_summary = bounded(
        input.session_summary.as_deref(),
        "sessionSummary",
        max,
        &mut errors,
    );
    let mut session_response = bounded(
        input.session_response.as_deref(),
        "sessionResponse",
        max,
        &mut errors,
    );
    let concerns = bounded(input.concerns.as_deref(), "concerns", max, &mut errors);
    let conditional = |field: &str, value: &Option<String>, errors: &mut Vec<FieldError>| {
        if value.is_none() {
            errors.push(FieldError::new(field, code::CONDITIONAL_FIELD_MUST_BE_SET));
        }
    };
    let session_happened = match input.attendance {
        None => {
            errors.push(FieldError::new("attended", code::CANNOT_BE_EMPTY));
            false
        }
        Some(Attendance::No) => {
            if input.did_session_happen == Some(true) {
                errors.push(FieldError::new("didSessionHappen", code::INVALID_VALUE));
            }
            conditional(
                "noAttendanceInformation",
                &no_attendance_information,
                &mut errors,
            );
            late_reason = None;
            session_summary = None;
            session_response = None;
            no_session_reason = None;
            false
        }
        Some(attendance) => {
            no_attendance_information = None;
            if attendance == Attendance::Late {
                conditional("lateReason", &late_reason, &mut errors);
            } else {
                late_reason = None;
            }
            match input.did_session_happen {
                None => {
                    errors.push(FieldError::new(
                        "didSessionHappen",
                        code::CONDITIONAL_FIELD_MUST_BE_SET,
                    ));
                    false
                }
                Some(true) => {
                    conditional("sessionSummary", &session_summary, &mut errors);
                    conditional("sessionResponse", &session_response, &mut errors);
                    no_session_reason = None;
                    true
                }
                Some(false) => {
                    conditional("noSessionReason", &no_session_reason, &mut errors);
                    false
                }
            }
        }
    };
    let notify = match input.notify_probation_practitioner {
        None => {
            errors.push(FieldError::new(
                "notifyProbationPractitioner",
                code::CANNOT_BE_EMPTY,
            ));
            false
        }
        Some(notify) => notify,
    };
    if notify {
        conditional("concerns", &concerns, &mut errors);
    }
    match (input.attendance, errors.is_empty()) {
        (Some(attendance), true) => Ok(Feedback {
            attendance,
            session_happened,
            late_reason,
            no_session_reason,
            no_attendance_information,
            session_summary,
            session_response,
            concerns,
            notify_probation_practitioner: notify,
            submitted_at: at,
            submitted_by: by.clone(),
        }),
        _ => Err(errors),
    }
}

/// What a practitioner is told about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotificationKind {
    /// The person did not attend an appointment.
    AppointmentNotAttended,
    /// The provider raised concerns in feedback.
    ConcernsRaised,
}

stored_codes!(NotificationKind {
    AppointmentNotAttended => "APPOINTMENT_NOT_ATTENDED",
    ConcernsRaised => "CONCERNS_RAISED",
});

/// The notifications feedback creates for the responsible practitioner.
pub fn notifications_for(feedback: &Feedback) -> Vec<NotificationKind> {
    let mut kinds = Vec::new();
    if feedback.attendance == Attendance::No {
        kinds.push(NotificationKind::AppointmentNotAttended);
    }
    if feedback.notify_probation_practitioner {
        kinds.push(NotificationKind::ConcernsRaised);
    }
    kinds
}

/// A notification to a practitioner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub id: Uuid,
    pub referral_id: Uuid,
    pub recipient: UserId,
    pub kind: NotificationKind,
    pub appointment_id: Option<Uuid>,
    pub notified_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// A submitted revision of an action plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionPlan {
    pub id: Uuid,
    pub referral_id: Uuid,
    /// 1 for the first plan, then one more per revision.
    pub revision: i32,
    pub number_of_sessions: i32,
    pub activities: Vec<String>,
    pub submitted_at: DateTime<Utc>,
    pub submitted_by: UserId,
    pub approval: Option<Approval>,
}

/// Who approved a plan and when; `by` is `None` when approval was automatic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Approval {
    pub at: DateTime<Utc>,
    pub by: Option<UserId>,
}

/// Checks an action plan: sessions above zero and never below the approved plan's; at least
/// one activity, each non-blank. Returns the trimmed activities.
pub fn check_action_plan(
    number_of_sessions: i32,
    activities: &[String],
    approved_sessions: Option<i32>,
) -> Result<Vec<String>, Vec<FieldError>> {
    let mut errors = Vec::new();
    if number_of_sessions < 1 {
        errors.push(FieldError::new(
            "numberOfSessions",
            code::CANNOT_BE_NEGATIVE_OR_ZERO,
        ));
    } else if number_of_sessions > MAX_SESSIONS {
        errors.push(FieldError::new("numberOfSessions", code::INVALID_VALUE));
    } else if approved_sessions.is_some_and(|approved| number_of_sessions < approved) {
        errors.push(FieldError::new("numberOfSessions", CANNOT_BE_REDUCED));
    }
    let trimmed: Vec<String> = activities.iter().map(|a| a.trim().to_owned()).collect();
    if trimmed.is_empty() || trimmed.iter().any(String::is_empty) {
        errors.push(FieldError::new("activities", code::CANNOT_BE_EMPTY));
    } else if trimmed.len() > MAX_ACTIVITIES
        || trimmed.iter().any(|a| a.chars().count() > MAX_TEXT_LENGTH)
    {
        errors.push(FieldError::new("activities", code::INVALID_LENGTH));
    }
    if errors.is_empty() {
        Ok(trimmed)
    } else {
        Err(errors)
    }
}

/// The achievement of one desired outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutcomeAchievement {
    pub desired_outcome_id: Uuid,
    pub service_category_id: Uuid,
    pub level: AchievementLevel,
    pub progression_comments: Option<String>,
    pub additional_task_comments: Option<String>,
}

/// An end-of-service report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndOfServiceReport {
    pub id: Uuid,
    pub referral_id: Uuid,
    pub outcomes: Vec<OutcomeAchievement>,
    pub further_information: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub submitted_by: UserId,
}

/// One outcome as entered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutcomeInput {
    /// `None` when the id given was not a UUID.
    pub desired_outcome_id: Option<Uuid>,
    pub level: AchievementLevel,
    pub progression_comments: Option<String>,
    pub additional_task_comments: Option<String>,
}

/// Checks a report against the referral's desired outcomes (`(outcome, category)` pairs):
/// exactly one entry per desired outcome, none missing, none foreign, none twice.
pub fn check_report_outcomes(
    inputs: &[OutcomeInput],
    desired: &[(Uuid, Uuid)],
    further_information: Option<&str>,
) -> Result<(Vec<OutcomeAchievement>, Option<String>), Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut outcomes = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, input) in inputs.iter().enumerate() {
        let field = format!("outcomes.{i}.desiredOutcomeId");
        let Some(id) = input.desired_outcome_id else {
            errors.push(FieldError::new(field, code::INVALID_FORMAT));
            continue;
        };
        let Some(&(_, category)) = desired.iter().find(|(o, _)| *o == id) else {
            errors.push(FieldError::new(field, code::INVALID_VALUE));
            continue;
        };
        if !seen.insert(id) {
            errors.push(FieldError::new(field, DUPLICATE_OUTCOME));
            continue;
        }
        let progression_comments = bounded(
            input.progression_comments.as_deref(),
            &format!("outcomes.{i}.progressionComments"),
            MAX_TEXT_LENGTH,
            &mut errors,
        );
        let additional_task_comments = bounded(
            input.additional_task_comments.as_deref(),
            &format!("outcomes.{i}.additionalTaskComments"),
            MAX_TEXT_LENGTH,
            &mut errors,
        );
        outcomes.push(OutcomeAchievement {
            desired_outcome_id: id,
            service_category_id: category,
            level: input.level,
            progression_comments,
            additional_task_comments,
        });
    }
    if desired.iter().any(|(o, _)| !seen.contains(o)) {
        errors.push(FieldError::new("outcomes", OUTCOME_MISSING));
    }
    let further = bounded(
        further_information,
        "furtherInformation",
        MAX_TEXT_LENGTH,
        &mut errors,
    );
    if errors.is_empty() {
        Ok((outcomes, further))
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn fields(errors: &[FieldError]) -> Vec<(&str, &str)> {
        errors.iter().map(|e| (e.field.as_str(), e.code)).collect()
    }

    #[test]
    fn uk_postcodes_are_recognised_and_normalised() {
        for (text, want) in [
            ("sw1a 1aa", Some("SW1A 1AA")),
            ("M1 1AE", Some("M1 1AE")),
            ("B338TH", Some("B33 8TH")),
            ("cr2 6xh", Some("CR2 6XH")),
            ("DN55 1PT", Some("DN55 1PT")),
            ("EC1A1BB", Some("EC1A 1BB")),
            ("W1A 0AX", Some("W1A 0AX")),
            ("12345", None),
            ("SW1A", None),
            ("SW1A 1A", None),
            ("ABC1 1AA", None),
            ("SW1A 1AAA", None),
            ("SW1A-1AA", None),
            ("", None),
        ] {
            assert_eq!(normalise_postcode(text).as_deref(), want, "{text:?}");
        }
    }

    fn sent() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).single().unwrap()
    }

    fn input() -> AppointmentInput {
        AppointmentInput {
            kind: AppointmentKind::Assessment,
            session_number: None,
            starts_at: sent() + chrono::Duration::days(2),
            duration_minutes: 60,
            method: DeliveryMethod::PhoneCall,
            session_type: SessionType::OneToOne,
            probation_office_code: None,
            address: None,
            reschedule: None,
        }
    }

    #[test]
    fn appointment_times_are_bounded_by_the_sending_day_and_six_months() {
        let now = sent() + chrono::Duration::days(1);
        // Earlier the same (UK, summer time) day is fine: the day starts at 23:00 UTC before.
        let mut same_day = input();
        same_day.starts_at = Utc
            .with_ymd_and_hms(2026, 6, 30, 23, 30, 0)
            .single()
            .unwrap();
        assert!(check_appointment(&same_day, sent(), now).is_ok());
        let mut before = input();
        before.starts_at = Utc
            .with_ymd_and_hms(2026, 6, 30, 22, 59, 0)
            .single()
            .unwrap();
        assert_eq!(
            fields(&check_appointment(&before, sent(), now).unwrap_err()),
            [("startsAt", APPOINTMENT_TIME_BEFORE_REFERRAL_START_DATE)]
        );
        let mut far = input();
        far.starts_at =
            now.checked_add_months(Months::new(6)).unwrap() + chrono::Duration::hours(1);
        assert_eq!(
            fields(&check_appointment(&far, sent(), now).unwrap_err()),
            [("startsAt", APPOINTMENT_TIME_TOO_FAR_IN_FUTURE)]
        );
    }

    #[test]
    fn in_person_appointments_need_an_office_or_an_address_with_a_postcode() {
        let now = sent();
        let mut office = input();
        office.method = DeliveryMethod::InPersonProbationOffice;
        assert_eq!(
            fields(&check_appointment(&office, sent(), now).unwrap_err()),
            [("probationOfficeCode", code::CANNOT_BE_EMPTY)]
        );
        office.probation_office_code = Some("crsextl".into());
        let checked = check_appointment(&office, sent(), now).unwrap();
        assert_eq!(
            checked.delivery.probation_office_code.as_deref(),
            Some("CRSEXTL")
        );
        let mut other = input();
        other.method = DeliveryMethod::InPersonOther;
        assert_eq!(
            fields(&check_appointment(&other, sent(), now).unwrap_err()),
            [("address", code::CANNOT_BE_EMPTY)]
        );
        other.address = Some(AddressInput {
            first_line: Some(" ".into()),
            postcode: Some("NOT A CODE".into()),
            ..Default::default()
        });
        assert_eq!(
            fields(&check_appointment(&other, sent(), now).unwrap_err()),
            [
                ("address.firstLine", code::CANNOT_BE_EMPTY),
                ("address.postcode", code::INVALID_FORMAT)
            ]
        );
        other.address = Some(AddressInput {
            first_line: Some("1 High Street".into()),
            postcode: Some("ls1 4ap".into()),
            ..Default::default()
        });
        let checked = check_appointment(&other, sent(), now).unwrap();
        assert_eq!(checked.delivery.address.unwrap().postcode, "LS1 4AP");
    }

    #[test]
    fn sessions_need_a_number_and_assessments_none() {
        let mut session = input();
        session.kind = AppointmentKind::Session;
        assert_eq!(
            fields(&check_appointment(&session, sent(), sent()).unwrap_err()),
            [("sessionNumber", code::CANNOT_BE_EMPTY)]
        );
        session.session_number = Some(0);
        assert_eq!(
            fields(&check_appointment(&session, sent(), sent()).unwrap_err()),
            [("sessionNumber", code::CANNOT_BE_NEGATIVE_OR_ZERO)]
        );
        let mut assessment = input();
        assessment.session_number = Some(1);
        assessment.duration_minutes = 0;
        assert_eq!(
            fields(&check_appointment(&assessment, sent(), sent()).unwrap_err()),
            [
                ("sessionNumber", code::INVALID_VALUE),
                ("durationMinutes", code::CANNOT_BE_NEGATIVE_OR_ZERO)
            ]
        );
    }

    fn appointment(feedback: Option<Attendance>) -> Appointment {
        Appointment {
            id: Uuid::new_v4(),
            referral_id: Uuid::nil(),
            kind: AppointmentKind::Assessment,
            session_number: None,
            starts_at: sent(),
            duration_minutes: 60,
            delivery: Delivery {
                method: DeliveryMethod::PhoneCall,
                session_type: SessionType::OneToOne,
                probation_office_code: None,
                address: None,
            },
            created_at: sent(),
            created_by: UserId("sp".into()),
            superseded: None,
            feedback: feedback.map(|attendance| Feedback {
                attendance,
                session_happened: attendance.attended(),
                late_reason: None,
                no_session_reason: None,
                no_attendance_information: None,
                session_summary: None,
                session_response: None,
                concerns: None,
                notify_probation_practitioner: false,
                submitted_at: sent(),
                submitted_by: UserId("sp".into()),
            }),
        }
    }

    #[test]
    fn only_the_latest_unrecorded_appointment_can_be_replaced() {
        assert_eq!(plan_booking(None, None), Ok(Booking::New));
        assert_eq!(
            plan_booking(None, Some(Uuid::new_v4())),
            Err(BookingConflict::NothingBooked)
        );
        let booked = appointment(None);
        assert_eq!(
            plan_booking(Some(&booked), None),
            Err(BookingConflict::AlreadyBooked)
        );
        assert_eq!(
            plan_booking(Some(&booked), Some(booked.id)),
            Ok(Booking::Replace(booked.id))
        );
        assert_eq!(
            plan_booking(Some(&booked), Some(Uuid::new_v4())),
            Err(BookingConflict::NotLatest)
        );
        let missed = appointment(Some(Attendance::No));
        assert_eq!(plan_booking(Some(&missed), None), Ok(Booking::New));
        assert_eq!(
            plan_booking(Some(&missed), Some(missed.id)),
            Err(BookingConflict::FeedbackRecorded)
        );
        let attended = appointment(Some(Attendance::Late));
        assert_eq!(
            plan_booking(Some(&attended), None),
            Err(BookingConflict::AlreadyDelivered)
        );
    }

    fn by() -> UserId {
        UserId("sp".into())
    }

    #[test]
    fn feedback_requires_what_its_attendance_implies() {
        let at = sent();
        let missing = check_feedback(&FeedbackInput::default(), &by(), at).unwrap_err();
        assert_eq!(
            fields(&missing),
            [
                ("attended", code::CANNOT_BE_EMPTY),
                ("notifyProbationPractitioner", code::CANNOT_BE_EMPTY)
            ]
        );
        let no_show = FeedbackInput {
            attendance: Some(Attendance::No),
            notify_probation_practitioner: Some(true),
            ..Default::default()
        };
        assert_eq!(
            fields(&check_feedback(&no_show, &by(), at).unwrap_err()),
            [
                (
                    "noAttendanceInformation",
                    code::CONDITIONAL_FIELD_MUST_BE_SET
                ),
                ("concerns", code::CONDITIONAL_FIELD_MUST_BE_SET)
            ]
        );
        let late = FeedbackInput {
            attendance: Some(Attendance::Late),
            did_session_happen: Some(true),
            notify_probation_practitioner: Some(false),
            ..Default::default()
        };
        assert_eq!(
            fields(&check_feedback(&late, &by(), at).unwrap_err()),
            [
                ("lateReason", code::CONDITIONAL_FIELD_MUST_BE_SET),
                ("sessionSummary", code::CONDITIONAL_FIELD_MUST_BE_SET),
                ("sessionResponse", code::CONDITIONAL_FIELD_MUST_BE_SET)
            ]
        );
        let no_session = FeedbackInput {
            attendance: Some(Attendance::Yes),
            did_session_happen: Some(false),
            notify_probation_practitioner: Some(false),
            ..Default::default()
        };
        assert_eq!(
            fields(&check_feedback(&no_session, &by(), at).unwrap_err()),
            [("noSessionReason", code::CONDITIONAL_FIELD_MUST_BE_SET)]
        );
        let attended = FeedbackInput {
            attendance: Some(Attendance::Yes),
            did_session_happen: Some(true),
            session_summary: Some("Talked through housing options".into()),
            session_response: Some("Engaged".into()),
            late_reason: Some("ignored when on time".into()),
            notify_probation_practitioner: Some(false),
            ..Default::default()
        };
        let feedback = check_feedback(&attended, &by(), at).unwrap();
        assert!(feedback.is_attended_session());
        assert_eq!(feedback.late_reason, None);
        assert!(notifications_for(&feedback).is_empty());
    }

    #[test]
    fn non_attendance_and_concerns_notify_the_practitioner() {
        let no_show = FeedbackInput {
            attendance: Some(Attendance::No),
            no_attendance_information: Some("No answer at the door".into()),
            notify_probation_practitioner: Some(true),
            concerns: Some("Has not been seen for a week".into()),
            ..Default::default()
        };
        let feedback = check_feedback(&no_show, &by(), sent()).unwrap();
        assert_eq!(
            notifications_for(&feedback),
            [
                NotificationKind::AppointmentNotAttended,
                NotificationKind::ConcernsRaised
            ]
        );
    }

    #[test]
    fn plans_need_sessions_that_never_shrink_and_activities() {
        let one = vec!["Find a tenancy".to_owned()];
        assert_eq!(
            fields(&check_action_plan(0, &one, None).unwrap_err()),
            [("numberOfSessions", code::CANNOT_BE_NEGATIVE_OR_ZERO)]
        );
        assert_eq!(
            fields(&check_action_plan(3, &one, Some(4)).unwrap_err()),
            [("numberOfSessions", CANNOT_BE_REDUCED)]
        );
        assert_eq!(
            fields(&check_action_plan(4, &[" ".to_owned()], Some(4)).unwrap_err()),
            [("activities", code::CANNOT_BE_EMPTY)]
        );
        assert_eq!(check_action_plan(5, &one, Some(4)), Ok(one));
    }

    #[test]
    fn reports_cover_every_desired_outcome_once() {
        let (a, b, cat) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let desired = [(a, cat), (b, cat)];
        let entry = |id: Option<Uuid>| OutcomeInput {
            desired_outcome_id: id,
            level: AchievementLevel::Achieved,
            progression_comments: None,
            additional_task_comments: None,
        };
        assert_eq!(
            fields(&check_report_outcomes(&[entry(Some(a))], &desired, None).unwrap_err()),
            [("outcomes", OUTCOME_MISSING)]
        );
        assert_eq!(
            fields(
                &check_report_outcomes(
                    &[
                        entry(Some(a)),
                        entry(Some(a)),
                        entry(Some(Uuid::new_v4())),
                        entry(None)
                    ],
                    &desired,
                    None
                )
                .unwrap_err()
            ),
            [
                ("outcomes.1.desiredOutcomeId", DUPLICATE_OUTCOME),
                ("outcomes.2.desiredOutcomeId", code::INVALID_VALUE),
                ("outcomes.3.desiredOutcomeId", code::INVALID_FORMAT),
                ("outcomes", OUTCOME_MISSING)
            ]
        );
        let (outcomes, further) =
            check_report_outcomes(&[entry(Some(b)), entry(Some(a))], &desired, Some("  ")).unwrap();
        assert_eq!(outcomes.len(), 2);
        assert_eq!(further, None);
    }
}

/// A numbered delivery session created by an approved action plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliverySession {
    pub referral_id: Uuid,
    pub number: i32,
    pub action_plan_id: Uuid,
    pub created_at: DateTime<Utc>,
}

/// The latest appointment of an assessment (`session_number` `None`) or a session: the last
/// made, which is never superseded.
pub fn latest_appointment(
    appointments: &[Appointment],
    kind: AppointmentKind,
    session_number: Option<i32>,
) -> Option<&Appointment> {
    appointments
        .iter()
        .filter(|a| a.kind == kind && a.session_number == session_number && a.superseded.is_none())
        .max_by_key(|a| (a.created_at, a.id))
}

/// The facts the status is derived from, for a sent referral.
pub fn progress(
    referral: &super::referral::Referral,
    appointments: &[Appointment],
    plans: &[ActionPlan],
    sessions: &[DeliverySession],
    report_submitted: bool,
) -> super::journey::Progress {
    use super::journey::{AssessmentState, PlanState, Progress, SessionCounts};
    let assessment = match latest_appointment(appointments, AppointmentKind::Assessment, None) {
        None => AssessmentState::NotBooked,
        Some(a) => match &a.feedback {
            None => AssessmentState::Booked,
            Some(f) if f.is_attended_session() => AssessmentState::Attended,
            Some(_) => AssessmentState::NotBooked,
        },
    };
    let plan = if plans.iter().any(|p| p.approval.is_some()) {
        PlanState::Approved
    } else if plans.is_empty() {
        PlanState::None
    } else {
        PlanState::Submitted
    };
    let recorded = sessions
        .iter()
        .filter(|s| {
            latest_appointment(appointments, AppointmentKind::Session, Some(s.number))
                .is_some_and(|a| a.feedback.is_some())
        })
        .count();
    Progress {
        assigned: referral.assigned_to_id.is_some(),
        assessment,
        plan,
        sessions: SessionCounts {
            planned: u32::try_from(sessions.len()).unwrap_or(u32::MAX),
            recorded: u32::try_from(recorded).unwrap_or(u32::MAX),
        },
        initial_contact: referral.initial_contact_at.is_some(),
        withdrawn_at_state: referral.withdrawal.as_ref().map(|w| {
            w.delivery_state
                .as_recorded(referral.initial_contact_at.is_some())
        }),
        report_submitted,
        concluded: referral.concluded_at.map(|_| referral.status),
    }
}
