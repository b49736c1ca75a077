//! Appointments (the initial assessment and delivery sessions): kinds, where and how they take
//! place, the booking checks and what a booking does to the earlier appointments.

use chrono::{DateTime, Months, Utc};
use uuid::Uuid;

use super::feedback::Feedback;
use super::text::{bounded, filled, required};
use crate::domain::actor::UserId;
use crate::domain::catalogue::{uk_date, uk_day_start};
use crate::domain::draft::MAX_TEXT_LENGTH;
use crate::error::FieldError;
use crate::error::field_code as code;
use crate::error::field_code::{
    APPOINTMENT_TIME_BEFORE_REFERRAL_START_DATE, APPOINTMENT_TIME_TOO_FAR_IN_FUTURE,
};

/// Longest appointment, in minutes.
pub const MAX_DURATION_MINUTES: i32 = 8 * 60;
/// How far ahead an appointment may be booked.
pub const MAX_MONTHS_AHEAD: u32 = 6;

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

/// Why an appointment was cancelled, and by whom: nothing replaces it, and its slot is free
/// to book again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cancellation {
    pub at: DateTime<Utc>,
    pub by: UserId,
    pub reason: String,
}

/// Why an appointment cannot be cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CancellationConflict {
    #[error("the appointment is already cancelled")]
    AlreadyCancelled,
    #[error("the appointment was moved: cancel the appointment that replaced it")]
    Moved,
    #[error("the appointment's feedback is recorded: it can no longer be changed")]
    FeedbackRecorded,
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
    pub cancellation: Option<Cancellation>,
}

impl Appointment {
    /// Neither moved nor cancelled: it holds its assessment's or session's slot.
    pub fn is_live(&self) -> bool {
        self.superseded.is_none() && self.cancellation.is_none()
    }

    /// Whether it may be cancelled: live, and without feedback.
    pub fn check_cancellable(&self) -> Result<(), CancellationConflict> {
        if self.cancellation.is_some() {
            Err(CancellationConflict::AlreadyCancelled)
        } else if self.superseded.is_some() {
            Err(CancellationConflict::Moved)
        } else if self.feedback.is_some() {
            Err(CancellationConflict::FeedbackRecorded)
        } else {
            Ok(())
        }
    }
}

/// The provider's work queue: which live appointments to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppointmentQuery {
    /// Starting at or after.
    pub from: Option<DateTime<Utc>>,
    /// Starting before.
    pub to: Option<DateTime<Utc>>,
    /// `true`: started and without feedback; `false`: the others.
    pub feedback_due: Option<bool>,
    pub kind: Option<AppointmentKind>,
    /// Only appointments of referrals assigned to this user.
    pub assigned_to: Option<UserId>,
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

/// The latest appointment of an assessment (`session_number` `None`) or a session: the last
/// made that is live (never superseded, not cancelled).
pub fn latest_appointment(
    appointments: &[Appointment],
    kind: AppointmentKind,
    session_number: Option<i32>,
) -> Option<&Appointment> {
    appointments
        .iter()
        .filter(|a| a.kind == kind && a.session_number == session_number && a.is_live())
        .max_by_key(|a| (a.created_at, a.id))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::delivery::feedback::Attendance;
    use crate::domain::delivery::testing::{fields, sent};

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
            cancellation: None,
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
}
