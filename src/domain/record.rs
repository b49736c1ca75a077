//! A referral together with everything recorded about it: what a bulk load writes in one go.

use super::amendment::ChangeLogEntry;
use super::delivery::{ActionPlan, Appointment, DeliverySession, EndOfServiceReport};
use super::draft::SelectedCategory;
use super::notifications::Notification;
use super::referral::{CaseNote, Referral, ReferralEvent};

/// A referral and its selected categories, history, case notes and delivery records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferralRecord {
    pub referral: Referral,
    pub selections: Vec<SelectedCategory>,
    pub events: Vec<ReferralEvent>,
    pub case_notes: Vec<CaseNote>,
    pub appointments: Vec<Appointment>,
    pub plans: Vec<ActionPlan>,
    pub sessions: Vec<DeliverySession>,
    pub report: Option<EndOfServiceReport>,
    pub notifications: Vec<Notification>,
    /// Amendments and handovers, oldest first.
    pub changes: Vec<ChangeLogEntry>,
}
