//! The GraphQL schema. Resolvers only translate between GraphQL and the service layer.

pub mod budget;
pub mod context;
pub mod cost;
pub mod delivery;
pub mod enums;
pub mod error;
pub mod guard;
pub mod ids;
pub mod loaders;
pub mod mutation;
pub mod nesting;
pub mod notification;
pub mod outcome_report;
pub mod paging;
pub mod query;
pub mod referral;
pub mod scalars;
pub mod subscription;
pub mod types;
pub mod user;
pub mod viewer;
pub mod work_queue;

use async_graphql::{SDLExportOptions, Schema, SchemaBuilder};

use subscription::SubscriptionRoot;

use crate::config::GraphqlLimits;
use crate::service::Services;

/// The schema type.
pub type CrsSchema = Schema<query::QueryRoot, mutation::MutationRoot, SubscriptionRoot>;

/// Most directives allowed on one field.
const MAX_DIRECTIVES: usize = 5;

/// The schema's types, with no data: used to export the SDL and as the base of [`build`].
pub fn schema_builder() -> SchemaBuilder<query::QueryRoot, mutation::MutationRoot, SubscriptionRoot>
{
    Schema::build(
        query::QueryRoot::default(),
        mutation::MutationRoot::default(),
        SubscriptionRoot,
    )
}

/// The SDL (`schema.graphql`): fields sorted so diffs are readable; enum values in their
/// declared order, which for `ReferralStatus` is the journey's.
pub fn sdl() -> String {
    schema_builder()
        .finish()
        .sdl_with_options(SDLExportOptions::new().sorted_fields())
}

/// Executes one operation for `caller`, with a fresh set of loaders, and gives every error its
/// code. The person-level reads of an audited reader are handed to the read audit, under the
/// request's id.
pub async fn execute(
    schema: &CrsSchema,
    services: &Services,
    caller: crate::domain::actor::Caller,
    request: async_graphql::Request,
    request_id: Option<uuid::Uuid>,
) -> async_graphql::Response {
    use crate::domain::read_audit::{Reader, graphql_operation};
    let reader = Reader::of(&caller).filter(|_| services.read_audit.is_enabled());
    let reads = std::sync::Arc::new(context::PersonReads::default());
    let operation = reader
        .as_ref()
        .map(|_| graphql_operation(request.operation_name.as_deref(), &request.query));
    let mut request = request.data(caller).data(context::new_loader(services));
    if reader.is_some() {
        request = request.data(reads.clone());
    }
    let mut response = schema.execute(request).await;
    error::assign_codes(&mut response);
    if let (Some(reader), Some(operation)) = (reader, operation) {
        let records = reader.records(reads.take(), &operation, request_id, chrono::Utc::now());
        services.read_audit.record(records).await;
    }
    response
}

/// The executable schema with its limits. In production introspection is refused, field
/// suggestions are off and validation errors say nothing of the schema. With `budget`, each
/// operation's cost is also charged to its caller's rate limit.
pub fn build(
    services: Services,
    limits: GraphqlLimits,
    production: bool,
    budget: Option<std::sync::Arc<crate::rate_limit::RateLimits>>,
) -> CrsSchema {
    let mut builder = schema_builder()
        .data(services)
        .extension(guard::DocumentGuard(guard::DocumentLimits {
            max_aliases: limits.max_aliases,
            max_fields: limits.max_fields,
            production,
        }))
        .limit_depth(limits.max_depth)
        .limit_directives(MAX_DIRECTIVES)
        // The complexity limit, with the cost in its message, and the callers' budgets.
        .extension(budget::CostBudget {
            max_complexity: limits.max_complexity,
            budget,
        });
    if production {
        builder = builder.disable_introspection().disable_suggestions();
    }
    builder.finish()
}

/// The schema as the WebSocket protocol runs it for one connection: every response, each
/// item of a subscription's included, gets its errors' codes, and the person-level reads of an
/// audited reader's operations are handed to the read audit, as over HTTP.
#[derive(Clone)]
pub struct CodedExecutor {
    schema: CrsSchema,
    services: Services,
    reader: Option<crate::domain::read_audit::Reader>,
}

impl CodedExecutor {
    /// The executor of a connection of `caller`.
    pub fn new(
        schema: CrsSchema,
        services: Services,
        caller: &crate::domain::actor::Caller,
    ) -> Self {
        let reader = crate::domain::read_audit::Reader::of(caller)
            .filter(|_| services.read_audit.is_enabled());
        CodedExecutor {
            schema,
            services,
            reader,
        }
    }
}

impl std::fmt::Debug for CodedExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodedExecutor")
    }
}

impl async_graphql::Executor for CodedExecutor {
    async fn execute(&self, request: async_graphql::Request) -> async_graphql::Response {
        let mut response = self.schema.execute(request).await;
        error::assign_codes(&mut response);
        response
    }

    fn execute_stream(
        &self,
        request: async_graphql::Request,
        session_data: Option<std::sync::Arc<async_graphql::Data>>,
    ) -> futures_util::stream::BoxStream<'static, async_graphql::Response> {
        use futures_util::StreamExt;
        let reads = std::sync::Arc::new(context::PersonReads::default());
        let operation = crate::domain::read_audit::graphql_operation(
            request.operation_name.as_deref(),
            &request.query,
        );
        let request = match &self.reader {
            Some(_) => request.data(reads.clone()),
            None => request,
        };
        let (reader, audit) = (self.reader.clone(), self.services.read_audit.clone());
        async_graphql::Executor::execute_stream(&self.schema, request, session_data)
            .then(move |mut response| {
                error::assign_codes(&mut response);
                let records = reader
                    .as_ref()
                    .map(|r| r.records(reads.take(), &operation, None, chrono::Utc::now()))
                    .unwrap_or_default();
                let audit = audit.clone();
                async move {
                    audit.record(records).await;
                    response
                }
            })
            .boxed()
    }
}

/// What every operation of one WebSocket connection reads: its caller and a loader.
pub fn connection_data(
    services: &Services,
    caller: crate::domain::actor::Caller,
) -> async_graphql::Data {
    let mut data = async_graphql::Data::default();
    data.insert(caller);
    data.insert(context::new_loader(services));
    data
}
