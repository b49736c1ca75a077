//! Service delivery records and their checks, one concept a file:
//!
//! - `appointment`: appointments (initial assessment and sessions), where and how they take
//!   place, booking checks and what a booking does to earlier appointments;
//! - `feedback`: attendance feedback and the notifications it raises for the practitioner
//!   (kinds in `domain::notifications`);
//! - `action_plan`: action plans, their approval and the delivery sessions they create;
//! - `end_of_service_report`: the end-of-service report and the outcomes it covers;
//! - `progress`: the facts a referral's status is derived from;
//! - `text`: the text checks the others share; `testing`: what their unit tests share.
//!
//! Everything public is re-exported here, so callers name `crate::domain::delivery::X`.

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

mod action_plan;
mod appointment;
mod end_of_service_report;
mod feedback;
mod progress;
#[cfg(test)]
mod testing;
mod text;

pub use action_plan::{
    ActionPlan, Approval, DeliverySession, MAX_ACTIVITIES, MAX_SESSIONS, check_action_plan,
};
pub use appointment::{
    Address, AddressInput, Appointment, AppointmentInput, AppointmentKind, AppointmentQuery,
    Booking, BookingConflict, Cancellation, CancellationConflict, CheckedAppointment, Delivery,
    DeliveryMethod, MAX_DURATION_MINUTES, MAX_MONTHS_AHEAD, RescheduleInput, RescheduleRequester,
    SessionType, Supersession, check_appointment, latest_appointment, normalise_postcode,
    plan_booking,
};
pub use end_of_service_report::{
    AchievementLevel, EndOfServiceReport, OutcomeAchievement, OutcomeInput, check_report_outcomes,
};
pub use feedback::{Attendance, Feedback, FeedbackInput, check_feedback, notifications_for};
pub use progress::progress;
