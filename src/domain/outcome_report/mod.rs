//! The commissioners' outcome report: what is counted, how referrals are grouped, and what may
//! be published. Every definition is written here once; the database only adds up the facts
//! `facts` derives from each referral.
//!
//! - `facts`: one referral's facts (where, when, who for, how it went).
//! - `ethnicity`: recorded ethnicity classified into the ONS 2021 groups and categories.
//! - `measures`: the counts, rates and percentiles of a group of referrals.
//! - `disclosure`: small-cell suppression, primary and secondary.

mod cells;
pub mod disclosure;
pub mod ethnicity;
pub mod facts;
pub mod measures;
mod perturbation;

use chrono::{Datelike, NaiveDate};
use uuid::Uuid;

/// What a report row may be grouped by (one or two of them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dimension {
    /// The contract's region (a PCC-area contract's region is its area's region).
    Region,
    /// The PCC area of the referral's probation delivery unit.
    PccArea,
    /// The referral's probation delivery unit.
    ProbationDeliveryUnit,
    /// The contract's prime provider.
    Provider,
    /// The contract.
    Contract,
    /// The contract's type.
    ContractType,
    /// A selected service category (a referral counts under each of its categories).
    ServiceCategory,
    /// The complexity chosen for a selected category (counted like `ServiceCategory`).
    Complexity,
    /// The calendar month the referral was sent in (UK time).
    Month,
    /// The calendar quarter the referral was sent in (UK time).
    Quarter,
    /// The person's gender.
    Gender,
    /// The person's ethnic group: the five ONS 2021 high-level groups.
    Ethnicity,
    /// The person's ethnic category: the nineteen ONS 2021 categories.
    EthnicCategory,
    /// The person's age when the referral was sent, in bands.
    AgeBand,
    /// In custody or in the community when referred.
    LocationType,
}

impl Dimension {
    /// Every dimension, in the contract's order.
    pub const ALL: [Dimension; 15] = [
        Dimension::Region,
        Dimension::PccArea,
        Dimension::ProbationDeliveryUnit,
        Dimension::Provider,
        Dimension::Contract,
        Dimension::ContractType,
        Dimension::ServiceCategory,
        Dimension::Complexity,
        Dimension::Month,
        Dimension::Quarter,
        Dimension::Gender,
        Dimension::Ethnicity,
        Dimension::EthnicCategory,
        Dimension::AgeBand,
        Dimension::LocationType,
    ];

    /// The name clients use (`ReportDimension`, CSV `groupBy`).
    pub fn code(self) -> &'static str {
        match self {
            Dimension::Region => "REGION",
            Dimension::PccArea => "PCC_AREA",
            Dimension::ProbationDeliveryUnit => "PROBATION_DELIVERY_UNIT",
            Dimension::Provider => "PROVIDER",
            Dimension::Contract => "CONTRACT",
            Dimension::ContractType => "CONTRACT_TYPE",
            Dimension::ServiceCategory => "SERVICE_CATEGORY",
            Dimension::Complexity => "COMPLEXITY",
            Dimension::Month => "MONTH",
            Dimension::Quarter => "QUARTER",
            Dimension::Gender => "GENDER",
            Dimension::Ethnicity => "ETHNICITY",
            Dimension::EthnicCategory => "ETHNIC_CATEGORY",
            Dimension::AgeBand => "AGE_BAND",
            Dimension::LocationType => "LOCATION_TYPE",
        }
    }

    /// Parses a client's name for a dimension.
    pub fn from_code(code: &str) -> Option<Dimension> {
        Self::ALL.into_iter().find(|d| d.code() == code)
    }

    /// The readable name (CSV headers).
    pub fn title(self) -> &'static str {
        match self {
            Dimension::Region => "Region",
            Dimension::PccArea => "PCC area",
            Dimension::ProbationDeliveryUnit => "Probation delivery unit",
            Dimension::Provider => "Provider",
            Dimension::Contract => "Contract",
            Dimension::ContractType => "Contract type",
            Dimension::ServiceCategory => "Service category",
            Dimension::Complexity => "Complexity",
            Dimension::Month => "Month sent",
            Dimension::Quarter => "Quarter sent",
            Dimension::Gender => "Gender",
            Dimension::Ethnicity => "Ethnic group",
            Dimension::EthnicCategory => "Ethnic category",
            Dimension::AgeBand => "Age band",
            Dimension::LocationType => "Location",
        }
    }

    /// Whether grouping by this dimension counts a referral once per selected category.
    pub fn per_category(self) -> bool {
        matches!(self, Dimension::ServiceCategory | Dimension::Complexity)
    }
}

/// Most dimensions a report may be grouped by.
pub const MAX_DIMENSIONS: usize = 2;

/// Which referrals a report may count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportAccess {
    /// A commissioner: referrals whose region is one of these.
    Regions(Vec<String>),
    /// A provider user: referrals of these contracts.
    Contracts(Vec<Uuid>),
    /// A machine client: every sent referral.
    All,
}

/// Which referrals to count; every list given must match (an empty list matches nothing).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportFilter {
    pub region_codes: Option<Vec<String>>,
    pub pcc_area_codes: Option<Vec<String>>,
    pub probation_delivery_unit_codes: Option<Vec<String>>,
    pub provider_codes: Option<Vec<String>>,
    pub contract_references: Option<Vec<String>>,
    pub contract_type_codes: Option<Vec<String>>,
    pub service_category_ids: Option<Vec<Uuid>>,
    /// `LOW`, `MEDIUM` or `HIGH`.
    pub complexity: Option<Vec<String>>,
    /// Sent on or after this day (UK time).
    pub sent_from: Option<NaiveDate>,
    /// Sent on or before this day (UK time).
    pub sent_to: Option<NaiveDate>,
}

/// Why a report request cannot be answered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReportRequestError {
    #[error("group by one or two dimensions")]
    DimensionCount,
    #[error("a dimension is given twice")]
    RepeatedDimension,
    #[error("sentFrom is after sentTo")]
    DateRange,
}

/// Checks the grouping and the filter's date range.
pub fn check_request(
    dimensions: &[Dimension],
    filter: &ReportFilter,
) -> Result<(), ReportRequestError> {
    if dimensions.is_empty() || dimensions.len() > MAX_DIMENSIONS {
        return Err(ReportRequestError::DimensionCount);
    }
    if dimensions.len() == 2 && dimensions[0] == dimensions[1] {
        return Err(ReportRequestError::RepeatedDimension);
    }
    if let (Some(from), Some(to)) = (filter.sent_from, filter.sent_to)
        && from > to
    {
        return Err(ReportRequestError::DateRange);
    }
    Ok(())
}

/// The value written for a dimension a referral has no value for.
pub const NOT_KNOWN: &str = "NOT_KNOWN";

/// The month key of a day: `2025-03`.
pub fn month_key(day: NaiveDate) -> String {
    format!("{:04}-{:02}", day.year(), day.month())
}

/// The quarter key of a day: `2025-Q1`.
pub fn quarter_key(day: NaiveDate) -> String {
    format!("{:04}-Q{}", day.year(), (day.month() - 1) / 3 + 1)
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The readable name of a value of a dimension whose values are not catalogue entries
/// (`None` for catalogue dimensions, whose names come from the catalogue).
pub fn fixed_label(dimension: Dimension, value: &str) -> Option<String> {
    if value == NOT_KNOWN {
        let label = match dimension {
            // The ONS wording for an ethnicity not recorded or not classifiable.
            Dimension::Ethnicity | Dimension::EthnicCategory => "Not stated",
            _ => "Not known",
        };
        return Some(label.into());
    }
    let label = match dimension {
        Dimension::Month => {
            let (year, month) = value.split_once('-')?;
            let month: usize = month.parse().ok()?;
            format!("{} {year}", MONTHS.get(month.checked_sub(1)?)?)
        }
        Dimension::Quarter => {
            let (year, quarter) = value.split_once("-Q")?;
            let first: usize = quarter.parse::<usize>().ok()?.checked_sub(1)? * 3;
            format!(
                "{} to {} {year}",
                MONTHS.get(first)?,
                MONTHS.get(first + 2)?
            )
        }
        Dimension::Complexity => match value {
            "LOW" => "Low".into(),
            "MEDIUM" => "Medium".into(),
            "HIGH" => "High".into(),
            _ => return None,
        },
        Dimension::Gender => match value {
            "FEMALE" => "Female".into(),
            "MALE" => "Male".into(),
            "OTHER" => "Other".into(),
            _ => return None,
        },
        Dimension::Ethnicity => ethnicity::EthnicGroup::from_code(value)?.label().into(),
        Dimension::EthnicCategory => ethnicity::EthnicCategory::from_code(value)?.label().into(),
        Dimension::AgeBand => facts::AgeBand::from_code(value)?.label().into(),
        Dimension::LocationType => match value {
            "CUSTODY" => "Custody".into(),
            "COMMUNITY" => "Community".into(),
            _ => return None,
        },
        Dimension::Contract => value.into(),
        Dimension::Region
        | Dimension::PccArea
        | Dimension::ProbationDeliveryUnit
        | Dimension::Provider
        | Dimension::ContractType
        | Dimension::ServiceCategory => return None,
    };
    Some(label)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn dimension_codes_round_trip() {
        for dimension in Dimension::ALL {
            assert_eq!(Dimension::from_code(dimension.code()), Some(dimension));
        }
        assert_eq!(Dimension::from_code("CRN"), None);
    }

    #[test]
    fn months_and_quarters_have_sortable_keys_and_readable_labels() {
        assert_eq!(month_key(day(2025, 3, 31)), "2025-03");
        assert_eq!(quarter_key(day(2025, 3, 31)), "2025-Q1");
        assert_eq!(quarter_key(day(2025, 10, 1)), "2025-Q4");
        assert_eq!(
            fixed_label(Dimension::Month, "2025-03").as_deref(),
            Some("March 2025")
        );
        assert_eq!(
            fixed_label(Dimension::Quarter, "2025-Q4").as_deref(),
            Some("October to December 2025")
        );
        assert_eq!(fixed_label(Dimension::Month, "2025-13"), None);
        assert_eq!(
            fixed_label(Dimension::Gender, NOT_KNOWN).as_deref(),
            Some("Not known")
        );
    }

    #[test]
    fn one_or_two_distinct_dimensions_and_an_ordered_date_range() {
        let none = ReportFilter::default();
        assert_eq!(
            check_request(&[], &none),
            Err(ReportRequestError::DimensionCount)
        );
        assert_eq!(
            check_request(
                &[Dimension::Region, Dimension::Month, Dimension::Gender],
                &none
            ),
            Err(ReportRequestError::DimensionCount)
        );
        assert_eq!(
            check_request(&[Dimension::Month, Dimension::Month], &none),
            Err(ReportRequestError::RepeatedDimension)
        );
        let backwards = ReportFilter {
            sent_from: Some(day(2025, 2, 1)),
            sent_to: Some(day(2025, 1, 1)),
            ..ReportFilter::default()
        };
        assert_eq!(
            check_request(&[Dimension::Month], &backwards),
            Err(ReportRequestError::DateRange)
        );
        assert_eq!(
            check_request(&[Dimension::PccArea, Dimension::ServiceCategory], &none),
            Ok(())
        );
    }
}
