//! The query root. Resolvers translate: they parse arguments, call `service`, and wrap results.

use async_graphql::{Context, ID, InputObject, MergedObject, Object, Result};

use super::context::{caller, services};
use super::cost;
use super::enums::{Gender, ReferralStatus};
use super::ids::{id_or_nil, parse_uuid};
use super::notification::NotificationQuery;
use super::outcome_report::OutcomeReportQuery;
use super::paging;
use super::referral::{
    Referral, ReferralConnection, prefetch_detail, prefetch_page, referral_connection,
};
use super::scalars::Date;
use super::types::{
    ContractType, Intervention, Region, ServiceCategory, ServiceProvider, WithdrawalReason,
    prefetch_interventions,
};
use super::viewer::Viewer;
use super::work_queue::WorkQueueQuery;
use crate::domain::catalogue as cat;
use crate::domain::draft::parse_crn;
use crate::domain::ids::ReferralId;
use crate::domain::journey::ReferralStatus as DomainStatus;
use crate::domain::page::PageSize;
use crate::domain::referral::{ReferralOrder, ReferralQuery, Search, narrow_statuses};
use crate::error::{AppError, FieldError, field_code};
use crate::service;

/// The catalogue search. Every criterion given must hold; only contracts open for referrals
/// today are returned.
#[derive(Clone, Debug, Default, InputObject)]
pub struct InterventionFilter {
    /// A region code (`A`..`L`): region-wide contracts there and PCC-area contracts inside it.
    pub region_code: Option<String>,
    /// A PCC area code: contracts for that area and region-wide contracts of its region.
    pub pcc_area_code: Option<String>,
    /// A service category the intervention must offer.
    pub service_category_id: Option<ID>,
    /// `FEMALE` or `MALE` keep contracts open to that gender; `OTHER` and `NOT_KNOWN` do not narrow.
    pub gender: Option<Gender>,
    /// An age within the contract's minimum and maximum age.
    pub age: Option<i32>,
}

impl InterventionFilter {
    fn into_domain(self) -> Result<cat::InterventionFilter, AppError> {
        let service_category_id = match &self.service_category_id {
            None => None,
            Some(id) => Some(parse_uuid(id).ok_or_else(|| {
                AppError::bad_input(
                    "the intervention filter is invalid",
                    vec![FieldError::new(
                        "serviceCategoryId",
                        field_code::INVALID_FORMAT,
                    )],
                )
            })?),
        };
        Ok(cat::InterventionFilter {
            region_code: self.region_code,
            pcc_area_code: self.pcc_area_code,
            service_category_id,
            gender: self.gender.map(Into::into),
            age: self.age,
        })
    }
}

/// Dashboard filters; every one given must hold.
#[derive(Clone, Debug, Default, InputObject)]
pub struct ReferralFilter {
    /// Only these statuses. Practitioners see their drafts only when `DRAFT` is listed.
    pub status: Option<Vec<ReferralStatus>>,
    /// `true`: not yet concluded; `false`: concluded.
    pub open: Option<bool>,
    /// `true`: nobody assigned yet; `false`: assigned.
    pub unassigned: Option<bool>,
    /// `true`: assigned to the caller.
    pub assigned_to_me: Option<bool>,
    /// An exact reference number, or a name: "first last" or a last name (any case).
    pub search: Option<String>,
    /// Referrals under this contract.
    pub contract_reference: Option<String>,
    /// Referrals with this service category selected.
    pub service_category_id: Option<ID>,
    /// Sent on or after this day (UK time).
    pub sent_from: Option<Date>,
    /// Sent on or before this day (UK time).
    pub sent_to: Option<Date>,
    /// Exactly this case reference number (any case, spaces around ignored).
    pub crn: Option<String>,
    /// `true`: the assessment is done and the provider's action plan is due; `false`: not.
    pub action_plan_due: Option<bool>,
    /// `true`: the end-of-service report is due; `false`: not.
    pub report_due: Option<bool>,
}

/// What the dashboard is sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, async_graphql::Enum)]
#[graphql(remote = "crate::domain::referral::OrderField")]
pub enum ReferralOrderField {
    /// When it was sent (a draft: when it was started).
    SentAt,
    /// The completion deadline.
    CompletionDeadline,
    /// The reference number.
    Reference,
    /// The person's last name.
    Surname,
}

/// Which way a list is sorted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, async_graphql::Enum)]
pub enum OrderDirection {
    /// Smallest first (earliest date, A to Z).
    #[default]
    Asc,
    /// Largest first (latest date, Z to A).
    Desc,
}

/// A dashboard order; ties are broken by id, so pages never repeat or skip a row. Drafts
/// without the field sort last ascending and first descending.
#[derive(Clone, Copy, Debug, InputObject)]
#[graphql(name = "ReferralOrder")]
pub struct ReferralOrderInput {
    /// The field sorted by.
    pub field: ReferralOrderField,
    /// The direction; ascending unless given.
    #[graphql(default)]
    pub direction: OrderDirection,
}

impl From<ReferralOrderInput> for ReferralOrder {
    fn from(order: ReferralOrderInput) -> Self {
        ReferralOrder {
            field: order.field.into(),
            descending: order.direction == OrderDirection::Desc,
        }
    }
}

impl ReferralFilter {
    fn into_query(
        self,
        me: &crate::domain::actor::UserId,
        order: ReferralOrder,
    ) -> Result<ReferralQuery, AppError> {
        let invalid = |field: &str| {
            AppError::bad_input(
                "the referral filter is invalid",
                vec![FieldError::new(field, field_code::INVALID_FORMAT)],
            )
        };
        let service_category_id = match &self.service_category_id {
            None => None,
            Some(id) => Some(parse_uuid(id).ok_or_else(|| invalid("serviceCategoryId"))?),
        };
        let crn = match &self.crn {
            None => None,
            Some(crn) => Some(parse_crn(crn).ok_or_else(|| invalid("crn"))?),
        };
        let mut statuses = self.status.map(|s| s.into_iter().map(Into::into).collect());
        for (wanted, status) in [
            (self.action_plan_due, DomainStatus::AssessmentCompleted),
            (self.report_due, DomainStatus::AwaitingEndOfServiceReport),
        ] {
            if let Some(wanted) = wanted {
                statuses = narrow_statuses(statuses, status, wanted);
            }
        }
        let day_start = |d: chrono::NaiveDate| Some(cat::uk_day_start(d));
        Ok(ReferralQuery {
            statuses,
            crn,
            order,
            open: self.open,
            unassigned: self.unassigned,
            assigned_to: self.assigned_to_me.filter(|m| *m).map(|_| me.clone()),
            search: self.search.as_deref().and_then(Search::parse),
            contract_reference: self.contract_reference.map(|r| r.trim().to_owned()),
            service_category_id,
            sent_from: self.sent_from.and_then(|d| day_start(d.0)),
            sent_before: self
                .sent_to
                .and_then(|d| d.0.succ_opt())
                .and_then(day_start),
        })
    }
}

/// Entry points for reading: the catalogue, referrals, the provider's work queue, the caller's
/// notifications and the outcome report.
#[derive(Debug, Default, MergedObject)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    CatalogueAndReferralQuery,
    WorkQueueQuery,
    NotificationQuery,
    OutcomeReportQuery,
);

#[derive(Debug, Default)]
pub struct CatalogueAndReferralQuery;

/// Reading the catalogue and referrals.
#[Object]
impl CatalogueAndReferralQuery {
    /// The caller: id, name, roles, and the providers, contracts and regions they act for.
    async fn me(&self, ctx: &Context<'_>) -> Result<Viewer> {
        Ok(Viewer(caller(ctx)?.clone()))
    }

    /// The 12 probation regions, by code, with their PCC areas.
    #[graphql(complexity = "cost::REGIONS * child_complexity")]
    async fn regions(&self, ctx: &Context<'_>) -> Result<Vec<Region>> {
        let regions = service::catalogue::regions(services(ctx)?, &caller(ctx)?.scope).await?;
        Ok(regions.into_iter().map(Region).collect())
    }

    /// Every contract type, by code.
    #[graphql(complexity = "cost::CONTRACT_TYPES * child_complexity")]
    async fn contract_types(&self, ctx: &Context<'_>) -> Result<Vec<ContractType>> {
        let types = service::catalogue::contract_types(services(ctx)?, &caller(ctx)?.scope).await?;
        Ok(types.into_iter().map(ContractType).collect())
    }

    /// Every service category, by name, with complexity levels and desired outcomes.
    #[graphql(complexity = "cost::SERVICE_CATEGORIES * child_complexity")]
    async fn service_categories(&self, ctx: &Context<'_>) -> Result<Vec<ServiceCategory>> {
        let categories =
            service::catalogue::service_categories(services(ctx)?, &caller(ctx)?.scope).await?;
        Ok(categories.into_iter().map(ServiceCategory).collect())
    }

    /// Every provider organisation, by name.
    #[graphql(complexity = "cost::PROVIDERS * child_complexity")]
    async fn service_providers(&self, ctx: &Context<'_>) -> Result<Vec<ServiceProvider>> {
        let providers =
            service::catalogue::service_providers(services(ctx)?, &caller(ctx)?.scope).await?;
        Ok(providers.into_iter().map(ServiceProvider).collect())
    }

    /// The catalogue search: interventions open for referrals today, by title.
    #[graphql(complexity = "cost::INTERVENTIONS * child_complexity")]
    async fn interventions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The search; every criterion given must hold.")] filter: Option<
            InterventionFilter,
        >,
    ) -> Result<Vec<Intervention>> {
        let filter = filter.unwrap_or_default().into_domain()?;
        let found =
            service::catalogue::search_interventions(services(ctx)?, &caller(ctx)?.scope, &filter)
                .await?;
        prefetch_interventions(ctx, &found).await?;
        Ok(found.into_iter().map(Intervention).collect())
    }

    /// One intervention by id, open or not; null when unknown.
    async fn intervention(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The intervention.")] id: ID,
    ) -> Result<Option<Intervention>> {
        // A malformed id names nothing: the nil id, after the service's role check.
        let id = id_or_nil(&id);
        let found =
            service::catalogue::intervention(services(ctx)?, &caller(ctx)?.scope, id).await?;
        Ok(found.map(Intervention))
    }

    /// A referral by id; null when unknown or outside the caller's scope (the two look the same).
    async fn referral(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The referral.")] id: ID,
    ) -> Result<Option<Referral>> {
        let found =
            service::referrals::get(services(ctx)?, caller(ctx)?, ReferralId(id_or_nil(&id)))
                .await?;
        if let Some(referral) = &found {
            prefetch_detail(ctx, referral).await?;
        }
        Ok(found.map(Referral))
    }

    /// A sent referral by reference number; null when unknown or outside the caller's scope.
    async fn referral_by_reference(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A reference number such as `HD2123AC` (any case).")] reference: String,
    ) -> Result<Option<Referral>> {
        let found =
            service::referrals::get_by_reference(services(ctx)?, caller(ctx)?, &reference).await?;
        if let Some(referral) = &found {
            prefetch_detail(ctx, referral).await?;
        }
        Ok(found.map(Referral))
    }

    /// The dashboard: referrals in the caller's scope, newest sent first unless `orderBy`
    /// says otherwise. `first` defaults to 20 and may be at most 100; `after` takes an
    /// `endCursor` of the same filter and order.
    #[graphql(complexity = "PageSize::cost(first) * child_complexity")]
    async fn referrals(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Filters; every one given must hold.")] filter: Option<ReferralFilter>,
        #[graphql(desc = "The order; newest sent first unless given.")] order_by: Option<
            ReferralOrderInput,
        >,
        #[graphql(desc = "Rows of the page: 20 unless given, at most 100.")] first: Option<i32>,
        #[graphql(desc = "An `endCursor` of the previous page.")] after: Option<String>,
    ) -> Result<ReferralConnection> {
        let caller = caller(ctx)?;
        let order = order_by.map(ReferralOrder::from).unwrap_or_default();
        // Read here, reported by the service once the caller may see referrals at all.
        let request = filter
            .unwrap_or_default()
            .into_query(caller.user_id(), order)
            .and_then(|query| {
                let cursor = after
                    .as_deref()
                    .map(paging::decode_dashboard_cursor)
                    .transpose()?;
                if cursor.as_ref().is_some_and(|c| c.order != order) {
                    return Err(paging::cursor_of_another_order());
                }
                Ok((query, cursor))
            });
        let page = service::referrals::list(services(ctx)?, caller, request, first).await?;
        prefetch_page(ctx, &page.referrals).await?;
        Ok(referral_connection(page, order))
    }

    /// Reasons a practitioner may give for withdrawing a referral, in their published order.
    #[graphql(complexity = "cost::WITHDRAWAL_REASONS * child_complexity")]
    async fn withdrawal_reasons(&self, ctx: &Context<'_>) -> Result<Vec<WithdrawalReason>> {
        let reasons =
            service::catalogue::withdrawal_reasons(services(ctx)?, &caller(ctx)?.scope).await?;
        Ok(reasons.into_iter().map(WithdrawalReason).collect())
    }
}
