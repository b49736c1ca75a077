//! An operation's cost, once it is validated: more than `CRS_GRAPHQL_MAX_COMPLEXITY` is refused
//! with `QUERY_TOO_COMPLEX`, naming the cost and the limit; otherwise the cost is charged to the
//! caller's budget (`rate_limit`), and an operation the budget cannot pay for is refused with
//! `RATE_LIMITED` and `extensions.retryAfter` (seconds) before anything runs. The HTTP layer
//! answers such a refusal with 429 and `Retry-After`.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::{ServerError, ValidationResult};

use super::guard::coded;
use crate::domain::actor::Caller;
use crate::rate_limit::RateLimits;

/// The extension that limits each operation's cost and charges it to its caller.
#[derive(Clone, Debug)]
pub struct CostBudget {
    /// The most an operation may cost.
    pub max_complexity: usize,
    /// The callers' budgets, when rate limits apply.
    pub budget: Option<Arc<RateLimits>>,
}

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
        if result.complexity > self.max_complexity {
            return Err(vec![coded(
                format!(
                    "the query costs {} points, more than the limit of {}: ask for fewer items \
                     per list, or fewer nested lists",
                    result.complexity, self.max_complexity
                ),
                "QUERY_TOO_COMPLEX",
            )]);
        }
        let (Some(caller), Some(budget)) = (ctx.data_opt::<Caller>(), &self.budget) else {
            return Ok(result);
        };
        match budget.charge_query_cost(&caller.user_id().0, result.complexity) {
            Ok(()) => Ok(result),
            Err(refusal) => {
                tracing::warn!(
                    user_id = %caller.user_id(),
                    cost = result.complexity,
                    limit = refusal.limit.label(),
                    "operation refused by a rate limit"
                );
                let error = refusal.error();
                let mut server_error = coded(error.to_string(), error.code());
                if let Some(extensions) = server_error.extensions.as_mut() {
                    extensions.set("retryAfter", refusal.retry_after_seconds());
                }
                Err(vec![server_error])
            }
        }
    }
}
