//! One sent referral's facts for the outcome report, derived from everything recorded about it.
//!
//! Definitions (days are whole calendar days, UK time, from the day the referral was sent):
//! - an appointment counts once its attendance is recorded and it has not been replaced by a
//!   rescheduling; attended means `YES` or `LATE` and the session took place, missed means `NO`
//!   (present for a session that did not take place is neither);
//! - sessions planned: the number of sessions of the latest approved action plan;
//! - outcomes: the achievement levels of the end-of-service report, one per desired outcome;
//! - days to assignment: to the first assignment; days to assessment: to the start of the first
//!   attended initial assessment; days to first session: to the start of the first attended
//!   delivery session;
//! - ethnic group and category: the ONS 2021 category of the recorded ethnicity (an ONS
//!   wording or an nDelius code; anything else is not stated) and its group;
//! - age band: the person's age on the day the referral was sent.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

pub use super::ethnicity::{EthnicCategory, EthnicGroup};
use super::{NOT_KNOWN, month_key, quarter_key};
use crate::domain::catalogue::{Gender, uk_date};
use crate::domain::delivery::{AchievementLevel, Appointment, AppointmentKind};
use crate::domain::journey::{EventKind, ReferralStatus};
use crate::domain::record::ReferralRecord;

/// How many outcomes of a report were achieved, partially achieved and not achieved.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutcomeCounts {
    pub achieved: i32,
    pub partially_achieved: i32,
    pub not_achieved: i32,
}

impl OutcomeCounts {
    fn add(&mut self, level: AchievementLevel) {
        match level {
            AchievementLevel::Achieved => self.achieved += 1,
            AchievementLevel::PartiallyAchieved => self.partially_achieved += 1,
            AchievementLevel::NotAchieved => self.not_achieved += 1,
        }
    }
}

/// One selected service category of the referral.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CategoryFacts {
    pub service_category_id: Uuid,
    pub complexity_level_id: Option<Uuid>,
    /// Outcomes reported for this category's desired outcomes.
    pub outcomes: OutcomeCounts,
}

/// The report's facts about one sent referral.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferralFacts {
    pub referral_id: Uuid,
    pub contract_id: Uuid,
    pub probation_delivery_unit_code: Option<String>,
    pub sent_on: NaiveDate,
    pub sent_month: String,
    pub sent_quarter: String,
    pub status: ReferralStatus,
    pub concluded_on: Option<NaiveDate>,
    pub completion_deadline: Option<NaiveDate>,
    /// `FEMALE`, `MALE`, `OTHER` or `NOT_KNOWN`.
    pub gender: &'static str,
    pub ethnic_group: EthnicGroup,
    pub ethnic_category: EthnicCategory,
    pub age_band: AgeBand,
    /// `CUSTODY`, `COMMUNITY` or `NOT_KNOWN`.
    pub location_type: &'static str,
    pub withdrawal_reason_code: Option<String>,
    pub assessments_attended: i32,
    pub assessments_missed: i32,
    pub sessions_planned: i32,
    pub sessions_attended: i32,
    pub sessions_missed: i32,
    pub outcomes: OutcomeCounts,
    pub days_to_assignment: Option<i32>,
    pub days_to_assessment: Option<i32>,
    pub days_to_first_session: Option<i32>,
    pub categories: Vec<CategoryFacts>,
}

/// The facts of a sent referral; `None` for a draft.
pub fn facts(record: &ReferralRecord) -> Option<ReferralFacts> {
    let referral = &record.referral;
    let sent_at = referral.sent_at?;
    let sent_on = uk_date(sent_at);
    let days_since_sent = |at: DateTime<Utc>| {
        i32::try_from((uk_date(at) - sent_on).num_days())
            .ok()
            .map(|d| d.max(0))
    };
    let counted = || {
        record
            .appointments
            .iter()
            .filter(|a| a.is_live())
            .filter_map(|a| a.feedback.as_ref().map(|f| (a, f)))
            .filter_map(|(a, f)| {
                if f.is_attended_session() {
                    Some((a, true))
                } else if f.attendance.attended() {
                    // Present, but the session did not take place: neither attended nor missed.
                    None
                } else {
                    Some((a, false))
                }
            })
    };
    let attended_count = |kind: AppointmentKind, attended: bool| {
        count(counted().filter(|(a, yes)| a.kind == kind && *yes == attended))
    };
    let first_attended = |kind: AppointmentKind| {
        counted()
            .filter(|(a, yes)| a.kind == kind && *yes)
            .map(|(a, _): (&Appointment, bool)| a.starts_at)
            .min()
    };
    let first_assigned = record
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Assigned)
        .map(|e| e.at)
        .min()
        .or(referral.assigned_at);
    let sessions_planned = record
        .plans
        .iter()
        .filter(|p| p.approval.is_some())
        .max_by_key(|p| p.revision)
        .map_or(0, |p| p.number_of_sessions);

    let mut outcomes = OutcomeCounts::default();
    let categories = record
        .selections
        .iter()
        .map(|selected| {
            let mut category = OutcomeCounts::default();
            for outcome in record.report.iter().flat_map(|r| &r.outcomes) {
                if outcome.service_category_id == selected.service_category_id {
                    category.add(outcome.level);
                }
            }
            CategoryFacts {
                service_category_id: selected.service_category_id,
                complexity_level_id: selected.complexity_level_id,
                outcomes: category,
            }
        })
        .collect();
    for outcome in record.report.iter().flat_map(|r| &r.outcomes) {
        outcomes.add(outcome.level);
    }

    let person = &referral.details.service_user;
    let reported = reported_status(referral);
    let ethnic_category = EthnicCategory::of(person.ethnicity.as_deref());
    Some(ReferralFacts {
        referral_id: referral.id,
        contract_id: referral.intervention.contract.id,
        probation_delivery_unit_code: referral.details.probation_delivery_unit_code.clone(),
        sent_on,
        sent_month: month_key(sent_on),
        sent_quarter: quarter_key(sent_on),
        status: reported.0,
        concluded_on: reported.1,
        completion_deadline: referral.details.completion_deadline,
        gender: match person.gender {
            Some(Gender::Female) => "FEMALE",
            Some(Gender::Male) => "MALE",
            Some(Gender::Other) => "OTHER",
            Some(Gender::NotKnown) | None => NOT_KNOWN,
        },
        ethnic_group: ethnic_category.group(),
        ethnic_category,
        age_band: AgeBand::of(person.date_of_birth, sent_on),
        location_type: referral
            .details
            .location
            .location_type
            .map_or(NOT_KNOWN, |t| t.code()),
        withdrawal_reason_code: referral.withdrawal.as_ref().map(|w| w.reason_code.clone()),
        assessments_attended: attended_count(AppointmentKind::Assessment, true),
        assessments_missed: attended_count(AppointmentKind::Assessment, false),
        sessions_planned,
        sessions_attended: attended_count(AppointmentKind::Session, true),
        sessions_missed: attended_count(AppointmentKind::Session, false),
        outcomes,
        days_to_assignment: first_assigned.and_then(days_since_sent),
        days_to_assessment: first_attended(AppointmentKind::Assessment).and_then(days_since_sent),
        days_to_first_session: first_attended(AppointmentKind::Session).and_then(days_since_sent),
        categories,
    })
}

/// The status the report counts a referral in, and the day it concluded. Referrals recorded
/// before the delivery-state rule was fixed may be stored in a status that rule no longer
/// gives, when nobody was ever seen in a delivery session: completed by a report (counted as
/// ended early: a report was written, no service was delivered), or awaiting a report after a
/// withdrawal (counted as cancelled on the day of the withdrawal, as the rule concludes it).
fn reported_status(
    referral: &crate::domain::referral::Referral,
) -> (ReferralStatus, Option<NaiveDate>) {
    let concluded_on = referral.concluded_at.map(uk_date);
    if referral.initial_contact_at.is_some() {
        return (referral.status, concluded_on);
    }
    match (referral.status, &referral.withdrawal) {
        (ReferralStatus::Completed, _) => (ReferralStatus::PrematurelyEnded, concluded_on),
        (ReferralStatus::AwaitingEndOfServiceReport, Some(withdrawal)) => {
            (ReferralStatus::Cancelled, Some(uk_date(withdrawal.at)))
        }
        (status, _) => (status, concluded_on),
    }
}

fn count<T>(items: impl Iterator<Item = T>) -> i32 {
    i32::try_from(items.count()).unwrap_or(i32::MAX)
}

/// Age bands, by age on the day the referral was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgeBand {
    Under18,
    From18To24,
    From25To34,
    From35To44,
    From45To54,
    From55To64,
    From65,
    NotKnown,
}

impl AgeBand {
    pub const ALL: [AgeBand; 8] = [
        AgeBand::Under18,
        AgeBand::From18To24,
        AgeBand::From25To34,
        AgeBand::From35To44,
        AgeBand::From45To54,
        AgeBand::From55To64,
        AgeBand::From65,
        AgeBand::NotKnown,
    ];

    /// The band of someone born on `birth` on `day`.
    pub fn of(birth: Option<NaiveDate>, day: NaiveDate) -> AgeBand {
        let Some(birth) = birth else {
            return AgeBand::NotKnown;
        };
        let Some(age) = day.years_since(birth) else {
            return AgeBand::NotKnown;
        };
        match age {
            0..=17 => AgeBand::Under18,
            18..=24 => AgeBand::From18To24,
            25..=34 => AgeBand::From25To34,
            35..=44 => AgeBand::From35To44,
            45..=54 => AgeBand::From45To54,
            55..=64 => AgeBand::From55To64,
            _ => AgeBand::From65,
        }
    }

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            AgeBand::Under18 => "UNDER_18",
            AgeBand::From18To24 => "18_24",
            AgeBand::From25To34 => "25_34",
            AgeBand::From35To44 => "35_44",
            AgeBand::From45To54 => "45_54",
            AgeBand::From55To64 => "55_64",
            AgeBand::From65 => "65_AND_OVER",
            AgeBand::NotKnown => NOT_KNOWN,
        }
    }

    /// Parses a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.code() == code)
    }

    /// The readable band.
    pub fn label(self) -> &'static str {
        match self {
            AgeBand::Under18 => "Under 18",
            AgeBand::From18To24 => "18 to 24",
            AgeBand::From25To34 => "25 to 34",
            AgeBand::From35To44 => "35 to 44",
            AgeBand::From45To54 => "45 to 54",
            AgeBand::From55To64 => "55 to 64",
            AgeBand::From65 => "65 and over",
            AgeBand::NotKnown => "Not known",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn age_bands_change_on_the_birthday() {
        let birth = day(2000, 6, 15);
        assert_eq!(
            AgeBand::of(Some(birth), day(2025, 6, 14)),
            AgeBand::From18To24
        );
        assert_eq!(
            AgeBand::of(Some(birth), day(2025, 6, 15)),
            AgeBand::From25To34
        );
        assert_eq!(AgeBand::of(Some(birth), day(2010, 1, 1)), AgeBand::Under18);
        assert_eq!(
            AgeBand::of(Some(day(1950, 1, 1)), day(2025, 1, 1)),
            AgeBand::From65
        );
        assert_eq!(AgeBand::of(None, day(2025, 1, 1)), AgeBand::NotKnown);
        for band in AgeBand::ALL {
            assert_eq!(AgeBand::from_code(band.code()), Some(band));
        }
    }
}
