//! Attendance feedback: what happened at an appointment, its checks, and the notifications it
//! raises for the responsible practitioner.

use chrono::{DateTime, Utc};

use super::text::bounded;
use crate::domain::actor::UserId;
use crate::domain::draft::MAX_TEXT_LENGTH;
use crate::domain::notifications::NotificationKind;
use crate::error::FieldError;
use crate::error::field_code as code;

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

stored_codes!(Attendance { Yes => "YES", Late => "LATE", No => "NO" });

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::delivery::testing::{fields, sent};

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
}
