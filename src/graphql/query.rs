//! The query root. Resolvers translate: they parse arguments, call `service`, and wrap results.

use async_graphql::{Context, Enum, ID, InputObject, MergedObject, Object, Result};
use uuid::Uuid;

use super::context::{caller, services};
use super::cost;
use super::delivery::NotificationQuery;
use super::outcome_report::OutcomeReportQuery;
use super::paging;
use super::referral::{
    Referral, ReferralConnection, ReferralStatus, prefetch_page, referral_connection,
};
use super::scalars::Date;
use super::types::{
    ContractType, Intervention, Region, ServiceCategory, ServiceProvider, WithdrawalReason,
    prefetch_interventions,
};
use super::viewer::Viewer;
use crate::domain::catalogue as cat;
use crate::domain::referral::{ReferralQuery, Search};
use crate::error::{AppError, FieldError, field_code};
use crate::service;

/// Parses an object id written as a hyphenated UUID; `None` for anything else, so other
/// spellings behave exactly like unknown ids.
pub fn parse_uuid(id: &ID) -> Option<Uuid> {
    let text = id.as_str();
    let parsed = Uuid::try_parse(text).ok()?;
    (text.len() == 36 && parsed.hyphenated().to_string() == text.to_ascii_lowercase())
        .then_some(parsed)
}

/// The id named by `id`, or the nil id for a malformed one: the nil id never exists, so the
/// service answers exactly as for an unknown id, after its role checks.
pub fn id_or_nil(id: &ID) -> Uuid {
    parse_uuid(id).unwrap_or(Uuid::nil())
}

/// A person's gender.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
pub enum Gender {
    /// Female.
    Female,
    /// Male.
    Male,
    /// Another gender.
    Other,
    /// Not known.
    NotKnown,
}

impl From<Gender> for cat::Gender {
    fn from(g: Gender) -> Self {
        match g {
            Gender::Female => cat::Gender::Female,
            Gender::Male => cat::Gender::Male,
            Gender::Other => cat::Gender::Other,
            Gender::NotKnown => cat::Gender::NotKnown,
        }
    }
}

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
}

impl ReferralFilter {
    fn into_query(self, me: &crate::domain::actor::UserId) -> Result<ReferralQuery, AppError> {
        let service_category_id = match &self.service_category_id {
            None => None,
            Some(id) => Some(parse_uuid(id).ok_or_else(|| {
                AppError::bad_input(
                    "the referral filter is invalid",
                    vec![FieldError::new(
                        "serviceCategoryId",
                        field_code::INVALID_FORMAT,
                    )],
                )
            })?),
        };
        let day_start = |d: chrono::NaiveDate| Some(cat::uk_day_start(d));
        Ok(ReferralQuery {
            statuses: self.status.map(|s| s.into_iter().map(Into::into).collect()),
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

/// Entry points for reading: the catalogue, referrals, the caller's notifications and the
/// outcome report.
#[derive(Debug, Default, MergedObject)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    CatalogueAndReferralQuery,
    NotificationQuery,
    OutcomeReportQuery,
);

/// Reading the catalogue and referrals.
#[derive(Debug, Default)]
pub struct CatalogueAndReferralQuery;

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
        filter: Option<InterventionFilter>,
    ) -> Result<Vec<Intervention>> {
        let filter = filter.unwrap_or_default().into_domain()?;
        let found =
            service::catalogue::search_interventions(services(ctx)?, &caller(ctx)?.scope, &filter)
                .await?;
        prefetch_interventions(ctx, &found).await?;
        Ok(found.into_iter().map(Intervention).collect())
    }

    /// One intervention by id, open or not; null when unknown.
    async fn intervention(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Intervention>> {
        // A malformed id names nothing: the nil id, after the service's role check.
        let id = id_or_nil(&id);
        let found =
            service::catalogue::intervention(services(ctx)?, &caller(ctx)?.scope, id).await?;
        Ok(found.map(Intervention))
    }

    /// A referral by id; null when unknown or outside the caller's scope (the two look the same).
    async fn referral(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Referral>> {
        let caller = caller(ctx)?;
        let id = id_or_nil(&id);
        let found =
            service::referrals::get(services(ctx)?, &caller.principal, &caller.scope, id).await?;
        Ok(found.map(Referral))
    }

    /// A sent referral by reference number; null when unknown or outside the caller's scope.
    async fn referral_by_reference(
        &self,
        ctx: &Context<'_>,
        reference: String,
    ) -> Result<Option<Referral>> {
        let caller = caller(ctx)?;
        let found = service::referrals::get_by_reference(
            services(ctx)?,
            &caller.principal,
            &caller.scope,
            &reference,
        )
        .await?;
        Ok(found.map(Referral))
    }

    /// The dashboard: referrals in the caller's scope, newest sent first. `first` defaults to 20
    /// and may be at most 100; `after` takes an `endCursor`.
    #[graphql(complexity = "first.unwrap_or(20).clamp(1, 100) as usize * child_complexity")]
    async fn referrals(
        &self,
        ctx: &Context<'_>,
        filter: Option<ReferralFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<ReferralConnection> {
        let caller = caller(ctx)?;
        // Callers who never see referrals are refused before their filter is read.
        service::referrals::require_reader(&caller.principal, &caller.scope)?;
        let query = filter
            .unwrap_or_default()
            .into_query(&caller.principal.user_id)?;
        let cursor = after.as_deref().map(paging::decode_cursor).transpose()?;
        let page = service::referrals::list(
            services(ctx)?,
            &caller.principal,
            &caller.scope,
            &query,
            first,
            cursor,
        )
        .await?;
        prefetch_page(ctx, &page.referrals).await?;
        Ok(referral_connection(page))
    }

    /// Reasons a practitioner may give for withdrawing a referral, in their published order.
    #[graphql(complexity = "cost::WITHDRAWAL_REASONS * child_complexity")]
    async fn withdrawal_reasons(&self, ctx: &Context<'_>) -> Result<Vec<WithdrawalReason>> {
        let reasons =
            service::catalogue::withdrawal_reasons(services(ctx)?, &caller(ctx)?.scope).await?;
        Ok(reasons.into_iter().map(WithdrawalReason).collect())
    }
}
