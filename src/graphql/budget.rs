//! The query cost budget: once an operation is validated, its complexity is charged to the
//! caller's budget (`rate_limit`); an operation the budget cannot pay for is refused with
//! `RATE_LIMITED` and `extensions.retryAfter` (seconds) before anything runs. The HTTP layer
//! answers such a refusal with 429 and `Retry-After`.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::{ServerError, ValidationResult};

use crate::domain::actor::Caller;
use crate::rate_limit::RateLimits;

/// The extension that charges each operation's cost to its caller.
#[derive(Clone, Debug)]
pub struct CostBudget(pub Arc<RateLimits>);

impl ExtensionFactory for CostBudget {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(self.clone())
    }
}

/// The `extensions.retryAfter` of a rate-limited error, in seconds.
pub fn retry_after(error: &ServerError) -> Option<u64> {
    match error.extensions.as_ref()?.get("retryAfter")? {
        async_graphql::Value::Number(seconds) => seconds.as_u64(),
        _ => None,
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for CostBudget {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        let Some(caller) = ctx.data_opt::<Caller>() else {
            return Ok(result);
        };
        match self
            .0
            .charge_query_cost(&caller.user_id().0, result.complexity)
        {
            Ok(()) => Ok(result),
            Err(refusal) => {
                tracing::warn!(
                    user_id = %caller.user_id(),
                    cost = result.complexity,
                    limit = refusal.limit.label(),
                    "operation refused by a rate limit"
                );
                let error = refusal.error();
                let mut server_error = ServerError::new(error.to_string(), None);
                let extensions = server_error.extensions.get_or_insert_with(Default::default);
                extensions.set("code", error.code());
                extensions.set("retryAfter", refusal.retry_after_seconds());
                Err(vec![server_error])
            }
        }
    }
}
