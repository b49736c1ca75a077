//! A user of the service as other objects name them: by id, with the name last seen.

use async_graphql::{Context, ID, Object, Result};

use super::context::{caller, loader};
use super::error::from_loader;
use super::loaders::UserById;
use crate::domain::actor::{Scope, UserId};

#[derive(Clone, Debug)]
pub struct User(pub UserId);

/// A user of the service, by their token's `sub`.
#[Object]
impl User {
    /// The user id (the token's `sub`).
    async fn id(&self) -> ID {
        ID(self.0.0.clone())
    }
    /// Display name as last seen in their token; null if never given.
    async fn name(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let user = loader(ctx)?
            .load_one(UserById(self.0.clone()))
            .await
            .map_err(from_loader)?;
        Ok(user.and_then(|u| u.name))
    }
    /// Email address as last seen in their token, for the people working a referral: shown to
    /// its practitioner and provider staff (a user is only ever reached through a referral in
    /// the caller's scope); null for machine clients, and if never given.
    async fn email(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        if !matches!(caller(ctx)?.scope, Scope::Practitioner | Scope::Provider(_)) {
            return Ok(None);
        }
        let user = loader(ctx)?
            .load_one(UserById(self.0.clone()))
            .await
            .map_err(from_loader)?;
        Ok(user.and_then(|u| u.email))
    }
}
