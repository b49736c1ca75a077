//! Typed ids for the objects a client names side by side (a referral and an appointment, a
//! plan and a notification): each kind its own type, so one cannot be passed for another.
//! Users are named by [`UserId`](super::actor::UserId), their token's `sub`.

use std::fmt;

use uuid::Uuid;

macro_rules! typed_id {
    ($($(#[$meta:meta])* $name:ident),+ $(,)?) => {$(
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub Uuid);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    )+};
}

typed_id!(
    /// A referral, draft or sent.
    ReferralId,
    /// An appointment: an initial assessment or a delivery session.
    AppointmentId,
    /// A revision of an action plan.
    ActionPlanId,
    /// A practitioner's notification.
    NotificationId,
    /// An intervention of the catalogue.
    InterventionId,
    /// A contract.
    ContractId,
);
