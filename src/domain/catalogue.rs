//! The reference catalogue: regions, PCC areas, delivery units, contract types, service
//! categories, providers, contracts and interventions.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use uuid::Uuid;

/// A probation region (codes `A`..`L`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    pub code: String,
    pub name: String,
}

/// The codes of the 12 probation regions.
pub const REGION_CODES: [&str; 12] = ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L"];

/// Whether `code` names a probation region.
pub fn is_region_code(code: &str) -> bool {
    REGION_CODES.contains(&code)
}

/// A police and crime commissioner area, inside one region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PccArea {
    pub code: String,
    pub name: String,
    pub region_code: String,
}

/// A probation delivery unit, inside one PCC area.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbationDeliveryUnit {
    pub code: String,
    pub name: String,
    pub pcc_area_code: String,
}

/// A contract type with the two letters its referral references end with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractType {
    pub code: String,
    pub name: String,
    pub reference_suffix: String,
}

/// A service category (a need area).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceCategory {
    pub id: Uuid,
    pub name: String,
}

/// How complex a person's needs are in a service category.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Complexity {
    Low,
    Medium,
    High,
}

impl Complexity {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Complexity::Low => "LOW",
            Complexity::Medium => "MEDIUM",
            Complexity::High => "HIGH",
        }
    }

    /// Parses a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "LOW" => Some(Complexity::Low),
            "MEDIUM" => Some(Complexity::Medium),
            "HIGH" => Some(Complexity::High),
            _ => None,
        }
    }
}

/// A complexity level of a service category.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComplexityLevel {
    pub id: Uuid,
    pub service_category_id: Uuid,
    pub complexity: Complexity,
    pub title: String,
    pub description: String,
}

/// A desired outcome of a service category.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredOutcome {
    pub id: Uuid,
    pub service_category_id: Uuid,
    pub description: String,
}

/// A reason a practitioner may give for withdrawing a referral.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WithdrawalReason {
    pub code: String,
    pub description: String,
    pub grouping: String,
}

/// A provider organisation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceProvider {
    pub code: String,
    pub name: String,
}

/// Where a contract is delivered: a whole probation region or one PCC area.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContractArea {
    Region(String),
    PccArea(String),
}

/// Who a contract's intervention is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Eligibility {
    pub minimum_age: i32,
    pub maximum_age: Option<i32>,
    pub allows_female: bool,
    pub allows_male: bool,
}

/// The dates between which a contract takes referrals (both inclusive; no end means open).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReferralWindow {
    pub opens_on: NaiveDate,
    pub closes_after: Option<NaiveDate>,
}

impl ReferralWindow {
    /// Whether referrals may be made on `day`.
    pub fn is_open_on(&self, day: NaiveDate) -> bool {
        self.opens_on <= day && self.closes_after.is_none_or(|last| day <= last)
    }
}

/// A dynamic framework contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contract {
    pub id: Uuid,
    pub reference: String,
    pub contract_type_code: String,
    pub prime_provider_code: String,
    pub area: ContractArea,
    pub eligibility: Eligibility,
    pub window: ReferralWindow,
}

/// The intervention offered under a contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Intervention {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    pub contract: Contract,
}

/// A person's gender, as recorded for eligibility.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gender {
    Female,
    Male,
    Other,
    NotKnown,
}

impl Gender {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Gender::Female => "FEMALE",
            Gender::Male => "MALE",
            Gender::Other => "OTHER",
            Gender::NotKnown => "NOT_KNOWN",
        }
    }
}

/// The intervention search: every criterion given must hold, and only contracts open for
/// referrals on `today` are returned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InterventionFilter {
    /// A region: matches region-wide contracts there and PCC-area contracts inside it.
    pub region_code: Option<String>,
    /// A PCC area: matches contracts for that area and region-wide contracts of its region.
    pub pcc_area_code: Option<String>,
    /// A service category the intervention offers.
    pub service_category_id: Option<Uuid>,
    /// `Female` and `Male` keep contracts that accept that gender; `Other` and `NotKnown` do not
    /// narrow the search.
    pub gender: Option<Gender>,
    /// An age within the contract's minimum and maximum.
    pub age: Option<i32>,
}

/// The calendar date in the UK at `now`: GMT in winter, BST (UTC+1) from 01:00 UTC on the last
/// Sunday of March to 01:00 UTC on the last Sunday of October. Referral windows are UK dates.
pub fn uk_date(now: DateTime<Utc>) -> NaiveDate {
    let year = now.year();
    let last_sunday_at_one = |month: u32| {
        let last_day = (1..=31)
            .rev()
            .find_map(|d| NaiveDate::from_ymd_opt(year, month, d));
        last_day
            .map(|day| {
                day - chrono::Duration::days(i64::from(day.weekday().num_days_from_sunday()))
            })
            .and_then(|sunday| sunday.and_hms_opt(1, 0, 0))
            .map(|t| t.and_utc())
    };
    let summer = match (last_sunday_at_one(3), last_sunday_at_one(10)) {
        (Some(start), Some(end)) => now >= start && now < end,
        _ => false,
    };
    if summer {
        (now + chrono::Duration::hours(1)).date_naive()
    } else {
        now.date_naive()
    }
}

/// When the UK day `day` begins, in UTC (an hour before midnight UTC in summer).
pub fn uk_day_start(day: NaiveDate) -> DateTime<Utc> {
    let midnight = day
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or_default();
    let summer_start = midnight - chrono::Duration::hours(1);
    if uk_date(summer_start) == day {
        summer_start
    } else {
        midnight
    }
}

/// The oldest age the search accepts; anything above is an input mistake.
pub const MAX_AGE: i32 = 130;

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn referral_window_includes_its_first_and_last_day() {
        let window = ReferralWindow {
            opens_on: day("2024-01-10"),
            closes_after: Some(day("2024-01-20")),
        };
        assert!(!window.is_open_on(day("2024-01-09")));
        assert!(window.is_open_on(day("2024-01-10")));
        assert!(window.is_open_on(day("2024-01-20")));
        assert!(!window.is_open_on(day("2024-01-21")));
    }

    #[test]
    fn referral_window_without_end_stays_open() {
        let window = ReferralWindow {
            opens_on: day("2021-06-01"),
            closes_after: None,
        };
        assert!(window.is_open_on(day("2030-01-01")));
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap()
    }

    #[test]
    fn uk_date_follows_british_summer_time() {
        // 2026: BST from 29 March 01:00 UTC to 25 October 01:00 UTC.
        assert_eq!(uk_date(at("2026-06-30T23:30:00Z")), day("2026-07-01"));
        assert_eq!(uk_date(at("2026-03-29T00:59:00Z")), day("2026-03-29"));
        assert_eq!(uk_date(at("2026-03-28T23:30:00Z")), day("2026-03-28"));
        assert_eq!(uk_date(at("2026-10-24T23:30:00Z")), day("2026-10-25"));
        assert_eq!(uk_date(at("2026-10-25T23:30:00Z")), day("2026-10-25"));
        assert_eq!(uk_date(at("2026-12-31T23:30:00Z")), day("2026-12-31"));
    }

    #[test]
    fn uk_days_start_at_uk_midnight() {
        assert_eq!(uk_day_start(day("2026-07-01")), at("2026-06-30T23:00:00Z"));
        assert_eq!(uk_day_start(day("2026-12-01")), at("2026-12-01T00:00:00Z"));
    }

    #[test]
    fn complexity_codes_round_trip() {
        for c in [Complexity::Low, Complexity::Medium, Complexity::High] {
            assert_eq!(Complexity::from_code(c.code()), Some(c));
        }
        assert_eq!(Complexity::from_code("EXTREME"), None);
    }
}
