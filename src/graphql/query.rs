//! The query root. Resolvers translate: they parse arguments, call `service`, and wrap results.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use uuid::Uuid;

use super::context::{caller, services};
use super::cost;
use super::types::{
    ContractType, Intervention, Region, ServiceCategory, ServiceProvider, WithdrawalReason,
};
use super::viewer::Viewer;
use crate::domain::catalogue as cat;
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

/// Entry points for reading.
#[derive(Debug, Default)]
pub struct QueryRoot;

#[Object(name = "Query")]
impl QueryRoot {
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
        Ok(found.into_iter().map(Intervention).collect())
    }

    /// One intervention by id, open or not; null when unknown.
    async fn intervention(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Intervention>> {
        let scope = &caller(ctx)?.scope;
        service::require_role(scope)?;
        let Some(id) = parse_uuid(&id) else {
            return Ok(None);
        };
        let found = service::catalogue::intervention(services(ctx)?, scope, id).await?;
        Ok(found.map(Intervention))
    }

    /// Reasons a practitioner may give for withdrawing a referral, in their published order.
    #[graphql(complexity = "cost::WITHDRAWAL_REASONS * child_complexity")]
    async fn withdrawal_reasons(&self, ctx: &Context<'_>) -> Result<Vec<WithdrawalReason>> {
        let reasons =
            service::catalogue::withdrawal_reasons(services(ctx)?, &caller(ctx)?.scope).await?;
        Ok(reasons.into_iter().map(WithdrawalReason).collect())
    }
}
