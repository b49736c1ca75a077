//! HTTP: routes, the request-id middleware, authentication, the GraphQL endpoint and the report
//! downloads.

pub mod answer;
pub mod assets;
pub mod auth;
pub mod caller;
pub mod csv_notes;
pub mod graphiql;
pub mod graphql;
pub mod health;
pub mod idempotency;
pub mod jwks;
pub mod metrics;
pub mod rate_limit;
pub mod reports;
pub mod reports_page;
pub mod request_context;
pub mod sent_referral;
pub mod subject_access;
pub mod subscriptions;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use actix_web::web;

use crate::graphql::CrsSchema;
use crate::service::Services;

/// Shared by every worker.
#[derive(Clone)]
pub struct AppState {
    pub schema: CrsSchema,
    pub services: Services,
    pub verifier: Arc<auth::TokenVerifier>,
    pub metrics: Arc<metrics::Metrics>,
    pub max_body_bytes: usize,
    pub production: bool,
    /// Set on SIGTERM: readiness fails while in-flight requests drain.
    pub shutting_down: Arc<AtomicBool>,
    /// The subscription connections each user holds on this instance.
    pub websockets: Arc<subscriptions::Connections>,
    pub subscription_limits: crate::config::SubscriptionLimits,
    pub rate_limits: Arc<crate::rate_limit::RateLimits>,
    /// In development with a shared secret: the settings the pages mint demo tokens with.
    pub demo_signing: Option<crate::config::JwtSettings>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("production", &self.production)
            .finish_non_exhaustive()
    }
}

/// Every route.
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(
            web::resource("/graphql")
                .route(web::post().to(graphql::execute))
                .route(
                    web::get()
                        .guard(actix_web::guard::fn_guard(|ctx| {
                            subscriptions::is_upgrade(ctx.head())
                        }))
                        .to(subscriptions::upgrade),
                )
                .route(web::get().to(graphql::graphiql))
                .default_service(web::to(graphql::method_not_allowed)),
        )
        .route("/reports", web::get().to(reports_page::page))
        .route(
            "/reports/outcomes.csv",
            web::get().to(reports::outcomes_csv),
        )
        .route(
            "/reports/provider-performance.csv",
            web::get().to(reports::provider_performance_csv),
        )
        .route(
            "/sent-referral/{id}",
            web::get().to(sent_referral::sent_referral),
        )
        .route(
            "/subject-access-request",
            web::get().to(subject_access::subject_access_request),
        )
        .route("/health/live", web::get().to(health::live))
        .route("/health/ready", web::get().to(health::ready))
        .route("/metrics", web::get().to(metrics::render))
        .route("/assets/{name}", web::get().to(assets::asset));
}
