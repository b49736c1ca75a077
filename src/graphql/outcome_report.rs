//! `outcomeReport`: the commissioners' live report of outcomes, attendance and timeliness,
//! grouped by one or two dimensions, with small counts withheld.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};

use super::context::{caller, services};
use super::enums::Complexity;
use super::ids::parse_uuid;
use super::scalars::Date;
use crate::domain::outcome_report::measures::{Count, Rate, Timeliness, WITHDRAWAL_GROUPINGS};
use crate::domain::outcome_report::{Dimension, ReportFilter};
use crate::error::field_code as code;
use crate::error::{AppError, FieldError};
use crate::service;
use crate::service::outcome_report::{DimensionValue, PublishedRow, Report};

/// What a report row can be grouped by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::outcome_report::Dimension")]
pub enum ReportDimension {
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
    /// A selected service category: a referral counts under each of its categories.
    ServiceCategory,
    /// The complexity chosen for a selected category (counted like `SERVICE_CATEGORY`).
    Complexity,
    /// The month the referral was sent in (UK time), e.g. `2025-03`.
    Month,
    /// The quarter the referral was sent in (UK time), e.g. `2025-Q1`.
    Quarter,
    /// The person's gender.
    Gender,
    /// The person's ethnic group: the five ONS 2021 high-level groups, or not stated.
    Ethnicity,
    /// The person's ethnic category: the nineteen ONS 2021 categories, or not stated.
    EthnicCategory,
    /// The person's age on the day the referral was sent, in bands.
    AgeBand,
    /// In custody or in the community when referred.
    LocationType,
}

/// Which referrals a report counts; every list given must match. Referrals outside the
/// caller's regions (commissioners) or contracts (provider users) are never counted.
#[derive(Clone, Debug, Default, InputObject)]
pub struct OutcomeReportFilter {
    /// Region codes (`A`..`L`).
    pub region_codes: Option<Vec<String>>,
    /// PCC area codes (of the referrals' probation delivery units).
    pub pcc_area_codes: Option<Vec<String>>,
    /// Probation delivery unit codes.
    pub probation_delivery_unit_codes: Option<Vec<String>>,
    /// Prime provider codes.
    pub provider_codes: Option<Vec<String>>,
    /// Contract references.
    pub contract_references: Option<Vec<String>>,
    /// Contract type codes.
    pub contract_type_codes: Option<Vec<String>>,
    /// Service category ids: referrals with one of them selected.
    pub service_category_ids: Option<Vec<ID>>,
    /// Complexities: referrals with a category at one of them.
    pub complexity: Option<Vec<Complexity>>,
    /// Sent on or after this day (UK time).
    pub sent_from: Option<Date>,
    /// Sent on or before this day (UK time).
    pub sent_to: Option<Date>,
}

impl OutcomeReportFilter {
    /// The domain filter; `BAD_USER_INPUT` for a malformed category id.
    pub fn into_domain(self) -> Result<ReportFilter, AppError> {
        let service_category_ids = match self.service_category_ids {
            None => None,
            Some(ids) => Some(
                ids.iter()
                    .map(|id| {
                        parse_uuid(id).ok_or_else(|| {
                            AppError::bad_input(
                                "the report filter is invalid",
                                vec![FieldError::new("serviceCategoryIds", code::INVALID_FORMAT)],
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };
        let trimmed = |list: Option<Vec<String>>| {
            list.map(|l| l.into_iter().map(|v| v.trim().to_owned()).collect())
        };
        Ok(ReportFilter {
            region_codes: trimmed(self.region_codes),
            pcc_area_codes: trimmed(self.pcc_area_codes),
            probation_delivery_unit_codes: trimmed(self.probation_delivery_unit_codes),
            provider_codes: trimmed(self.provider_codes),
            contract_references: trimmed(self.contract_references),
            contract_type_codes: trimmed(self.contract_type_codes),
            service_category_ids,
            complexity: self.complexity.map(|c| {
                c.into_iter()
                    .map(|c| complexity_code(c).to_owned())
                    .collect()
            }),
            sent_from: self.sent_from.map(|d| d.0),
            sent_to: self.sent_to.map(|d| d.0),
        })
    }
}

/// The stored code of a complexity.
fn complexity_code(complexity: Complexity) -> &'static str {
    match complexity {
        Complexity::Low => "LOW",
        Complexity::Medium => "MEDIUM",
        Complexity::High => "HIGH",
    }
}

/// A dimension's value in a report row.
#[derive(Clone, Debug, SimpleObject)]
pub struct ReportDimensionValue {
    /// The dimension.
    pub dimension: ReportDimension,
    /// The code or key (`NOT_KNOWN` where the referral has none).
    pub value: String,
    /// The readable name.
    pub label: String,
}

impl From<&DimensionValue> for ReportDimensionValue {
    fn from(v: &DimensionValue) -> Self {
        ReportDimensionValue {
            dimension: v.dimension.into(),
            value: v.value.clone(),
            label: v.label.clone(),
        }
    }
}

/// Withdrawals with reasons of one grouping.
#[derive(Clone, Debug, SimpleObject)]
pub struct WithdrawalGroupingCount {
    /// The reason grouping: `problem`, `user`, `sentence`, `early` or `other`.
    pub grouping: String,
    /// Referrals withdrawn for a reason of the grouping (`null` when withheld).
    pub referrals: Option<i32>,
}

#[derive(Debug)]
pub struct OutcomeReportRow(PublishedRow);

fn int(value: Option<u64>) -> Option<i32> {
    value.map(|v| i32::try_from(v).unwrap_or(i32::MAX))
}

fn days(value: Option<i64>) -> Option<i32> {
    value.map(|v| i32::try_from(v).unwrap_or(i32::MAX))
}

/// The measures of one group of referrals, or of all of them (`totals`). A count from 1 to one
/// below the suppression threshold is `null`, as is any count that would give one away by
/// subtraction; a rate or percentile built on a withheld count is `null` too.
#[Object]
impl OutcomeReportRow {
    /// The group's dimension values, in the order of `groupBy` (empty for the totals).
    async fn dimensions(&self) -> Vec<ReportDimensionValue> {
        self.0.dimensions.iter().map(Into::into).collect()
    }
    /// Whether any count of the row is withheld.
    async fn suppressed(&self) -> bool {
        self.0.suppressed
    }
    /// Referrals sent.
    async fn referrals_sent(&self) -> Option<i32> {
        int(self.0.count(Count::ReferralsSent))
    }
    /// Sent and not yet concluded.
    async fn open(&self) -> Option<i32> {
        int(self.0.count(Count::Open))
    }
    /// Concluded as completed.
    async fn completed(&self) -> Option<i32> {
        int(self.0.count(Count::Completed))
    }
    /// Concluded as cancelled (withdrawn before delivery).
    async fn cancelled(&self) -> Option<i32> {
        int(self.0.count(Count::Cancelled))
    }
    /// Concluded as ended early (withdrawn during delivery).
    async fn prematurely_ended(&self) -> Option<i32> {
        int(self.0.count(Count::PrematurelyEnded))
    }
    /// Withdrawals by the grouping of their reason.
    async fn withdrawals(&self) -> Vec<WithdrawalGroupingCount> {
        WITHDRAWAL_GROUPINGS
            .iter()
            .filter_map(|grouping| {
                Count::withdrawn(grouping).map(|count| WithdrawalGroupingCount {
                    grouping: (*grouping).to_owned(),
                    referrals: int(self.0.count(count)),
                })
            })
            .collect()
    }
    /// Initial assessments attended (on time or late).
    async fn assessments_attended(&self) -> Option<i32> {
        int(self.0.count(Count::AssessmentsAttended))
    }
    /// Initial assessments missed.
    async fn assessments_missed(&self) -> Option<i32> {
        int(self.0.count(Count::AssessmentsMissed))
    }
    /// Sessions in the latest approved action plans.
    async fn sessions_planned(&self) -> Option<i32> {
        int(self.0.count(Count::SessionsPlanned))
    }
    /// Delivery sessions attended (on time or late).
    async fn sessions_attended(&self) -> Option<i32> {
        int(self.0.count(Count::SessionsAttended))
    }
    /// Delivery sessions missed.
    async fn sessions_missed(&self) -> Option<i32> {
        int(self.0.count(Count::SessionsMissed))
    }
    /// Appointments attended: assessments and sessions.
    async fn appointments_attended(&self) -> Option<i32> {
        int(self.0.count(Count::AppointmentsAttended))
    }
    /// Appointments missed: assessments and sessions.
    async fn appointments_missed(&self) -> Option<i32> {
        int(self.0.count(Count::AppointmentsMissed))
    }
    /// Appointments attended ÷ (attended + missed).
    async fn attendance_rate(&self) -> Option<f64> {
        self.0.rates.get(Rate::Attendance)
    }
    /// Concluded referrals that did not complete (cancelled or ended early) ÷ concluded.
    async fn attrition_rate(&self) -> Option<f64> {
        self.0.rates.get(Rate::Attrition)
    }
    /// Desired outcomes reported achieved.
    async fn outcomes_achieved(&self) -> Option<i32> {
        int(self.0.count(Count::OutcomesAchieved))
    }
    /// Desired outcomes reported partially achieved.
    async fn outcomes_partially_achieved(&self) -> Option<i32> {
        int(self.0.count(Count::OutcomesPartiallyAchieved))
    }
    /// Desired outcomes reported not achieved.
    async fn outcomes_not_achieved(&self) -> Option<i32> {
        int(self.0.count(Count::OutcomesNotAchieved))
    }
    /// Outcomes achieved ÷ outcomes reported.
    async fn achievement_rate(&self) -> Option<f64> {
        self.0.rates.get(Rate::Achievement)
    }
    /// Median days from sending to the first assignment.
    async fn median_days_to_assignment(&self) -> Option<i32> {
        days(self.0.percentiles(Timeliness::DaysToAssignment).0)
    }
    /// 90th percentile of days from sending to the first assignment.
    async fn p90_days_to_assignment(&self) -> Option<i32> {
        days(self.0.percentiles(Timeliness::DaysToAssignment).1)
    }
    /// Median days from sending to the attended initial assessment.
    async fn median_days_to_assessment(&self) -> Option<i32> {
        days(self.0.percentiles(Timeliness::DaysToAssessment).0)
    }
    /// 90th percentile of days from sending to the attended initial assessment.
    async fn p90_days_to_assessment(&self) -> Option<i32> {
        days(self.0.percentiles(Timeliness::DaysToAssessment).1)
    }
    /// Median days from sending to the first attended delivery session.
    async fn median_days_to_first_session(&self) -> Option<i32> {
        days(self.0.percentiles(Timeliness::DaysToFirstSession).0)
    }
    /// 90th percentile of days from sending to the first attended delivery session.
    async fn p90_days_to_first_session(&self) -> Option<i32> {
        days(self.0.percentiles(Timeliness::DaysToFirstSession).1)
    }
    /// Referrals delivered by their completion deadline: completed, or ended early after
    /// delivery started, on or before the deadline (a cancellation counts neither way).
    async fn concluded_by_deadline(&self) -> Option<i32> {
        int(self.0.count(Count::ConcludedByDeadline))
    }
    /// Referrals completed or ended early after delivery started, or still open past their
    /// completion deadline: the base of `concludedByDeadlineRate`.
    async fn deadline_reached(&self) -> Option<i32> {
        int(self.0.count(Count::DeadlineReached))
    }
    /// `concludedByDeadline` ÷ `deadlineReached`.
    async fn concluded_by_deadline_rate(&self) -> Option<f64> {
        self.0.rates.get(Rate::ConcludedByDeadline)
    }
}

#[derive(Debug)]
pub struct OutcomeReport(Report);

/// An outcome report.
#[Object]
impl OutcomeReport {
    /// The dimensions the rows are grouped by.
    async fn group_by(&self) -> Vec<ReportDimension> {
        self.0.group_by.iter().map(|d| (*d).into()).collect()
    }
    /// One row per group with at least one referral, ordered by the dimension values.
    async fn rows(&self) -> Vec<OutcomeReportRow> {
        self.0.rows.iter().cloned().map(OutcomeReportRow).collect()
    }
    /// Every referral the report counts (under service category or complexity, a referral
    /// counts once here, and once per category in the rows).
    async fn totals(&self) -> OutcomeReportRow {
        OutcomeReportRow(self.0.totals.clone())
    }
    /// Counts from 1 to one below this are withheld.
    async fn suppression_threshold(&self) -> i32 {
        i32::try_from(self.0.suppression_threshold).unwrap_or(i32::MAX)
    }
}

#[derive(Debug, Default)]
pub struct OutcomeReportQuery;

/// The outcome report entry point.
#[Object]
impl OutcomeReportQuery {
    /// Outcomes, attendance and timeliness of sent referrals, grouped by one or two
    /// dimensions: commissioners over their regions, provider users over their contracts.
    /// Never lists a person; small counts are withheld.
    async fn outcome_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which referrals are counted.")] filter: Option<OutcomeReportFilter>,
        #[graphql(desc = "One or two dimensions the rows are grouped by.")] group_by: Vec<
            ReportDimension,
        >,
    ) -> Result<OutcomeReport> {
        let caller = caller(ctx)?;
        // Read here, reported by the service once the caller may run reports at all.
        let dimensions: Vec<Dimension> = group_by.into_iter().map(Into::into).collect();
        let request = filter
            .unwrap_or_default()
            .into_domain()
            .map(|filter| (dimensions, filter));
        let services = services(ctx)?.lag_tolerant(caller.user_id());
        let report = service::outcome_report::run(&services, &caller.scope, request).await?;
        Ok(OutcomeReport(report))
    }
}
