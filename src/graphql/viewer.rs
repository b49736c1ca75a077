//! `me`: the caller as the API sees them.

use async_graphql::{Context, ID, Object, Result};

use super::context::services;
use super::cost;
use super::types::{Contract, Region, ServiceProvider};
use crate::domain::actor::Caller;
use crate::service;

#[derive(Clone, Debug)]
pub struct Viewer(pub Caller);

/// The caller.
#[Object]
impl Viewer {
    /// The user id: the token's `sub`.
    async fn id(&self) -> ID {
        ID(self.0.principal.user_id.0.clone())
    }
    /// Display name from the token, when given.
    async fn name(&self) -> Option<&str> {
        self.0.principal.name.as_deref()
    }
    /// The CRS roles the token carries (e.g. `ROLE_CRS_PROVIDER`); others are left out.
    async fn roles(&self) -> Vec<&'static str> {
        self.0
            .principal
            .roles
            .iter()
            .map(|r| r.authority())
            .collect()
    }
    /// For provider users: the providers they belong to, by name.
    #[graphql(complexity = "cost::PROVIDERS * child_complexity")]
    async fn providers(&self, ctx: &Context<'_>) -> Result<Vec<ServiceProvider>> {
        let providers = service::viewer::providers(services(ctx)?, &self.0.scope).await?;
        Ok(providers.into_iter().map(ServiceProvider).collect())
    }
    /// For provider users: the contracts whose referrals they see, by reference.
    #[graphql(complexity = "cost::CONTRACTS_PER_USER * child_complexity")]
    async fn contracts(&self, ctx: &Context<'_>) -> Result<Vec<Contract>> {
        let contracts = service::viewer::contracts(services(ctx)?, &self.0.scope).await?;
        Ok(contracts.into_iter().map(Contract).collect())
    }
    /// For commissioners: the regions whose outcomes they may query, by code.
    #[graphql(complexity = "cost::REGIONS * child_complexity")]
    async fn regions(&self, ctx: &Context<'_>) -> Result<Vec<Region>> {
        let regions = service::viewer::regions(services(ctx)?, &self.0.scope).await?;
        Ok(regions.into_iter().map(Region).collect())
    }
}
