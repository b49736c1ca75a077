//! Liveness and readiness. Neither needs a token or says anything about the data.

use std::sync::atomic::Ordering;
use std::time::Duration;

use actix_web::{HttpResponse, web};

use super::AppState;
use crate::db;

/// How long readiness waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// 200 while the process runs.
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "UP" }))
}

/// 200 when the database answers and the server is not shutting down; 503 otherwise.
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    if state.shutting_down.load(Ordering::Relaxed) {
        return HttpResponse::ServiceUnavailable().json(serde_json::json!({ "status": "DOWN" }));
    }
    let up = tokio::time::timeout(READY_TIMEOUT, db::ping(&state.services.db))
        .await
        .unwrap_or(false);
    if up {
        HttpResponse::Ok().json(serde_json::json!({ "status": "UP" }))
    } else {
        tracing::warn!("readiness check: database unreachable");
        HttpResponse::ServiceUnavailable().json(serde_json::json!({ "status": "DOWN" }))
    }
}
