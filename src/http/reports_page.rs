//! `GET /reports`: the commissioners' outcomes page (development and production). The page is
//! static; its script asks for the caller's bearer token, keeps it for the browser tab and reads
//! the same GraphQL API and CSV downloads as any client, so it sees exactly what the token may.

use actix_web::HttpResponse;
use actix_web::web;
use serde_json::json;

use super::AppState;
use super::assets;
use crate::demo;

const PAGE: &str = include_str!("../../web/reports/index.html");

/// The page; in development it offers the demo commissioner's token.
pub async fn page(state: web::Data<AppState>) -> HttpResponse {
    let demo_token = state
        .demo_signing
        .as_ref()
        .and_then(|signing| demo::commissioner_token(signing).ok());
    let settings = json!({ "endpoint": "/graphql", "demoToken": demo_token });
    assets::page(PAGE.replace(
        "{{settings}}",
        &assets::settings_block("reports-settings", &settings),
    ))
}
