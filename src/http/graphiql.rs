//! The GraphiQL page (development only): GraphiQL from the embedded assets, opened on an example
//! operation with the demo probation practitioner's `Authorization` header filled in, so the
//! schema loads on first open and the example runs as it is.

use actix_web::HttpResponse;
use serde_json::json;

use super::AppState;
use super::assets;
use crate::demo;

const PAGE: &str = include_str!("../../web/graphiql/index.html");

/// The example operations: the practitioner's drafts, and sending one.
const EXAMPLE: &str = r#"# Welcome to crs-api. You are the demo probation
# practitioner, Pat Practitioner: the token is in
# Headers below. Press ▶ and pick an operation.
#
# MyDrafts lists your drafts. SendReferral sends the
# draft whose id is in Variables (your newest draft
# when the page opened); a draft that is not complete
# is refused with what it still needs.
# Docs (the book icon) shows the whole schema.

query MyDrafts {
  referrals(filter: { status: [DRAFT] }, first: 10) {
    totalCount
    nodes {
      id
      createdAt
      serviceUser { firstName lastName crn }
      intervention { title }
    }
  }
}

mutation SendReferral($id: ID!) {
  sendReferral(id: $id) {
    id
    reference
    status
    sentAt
  }
}
"#;

/// The page, with its settings.
pub async fn page(state: &AppState) -> HttpResponse {
    let headers = match &state.demo_signing {
        Some(signing) => match demo::practitioner_token(signing) {
            Ok(token) => Some(json!({ "Authorization": format!("Bearer {token}") }).to_string()),
            Err(e) => {
                tracing::warn!(error = %e, "could not mint the demo token for GraphiQL");
                None
            }
        },
        None => None,
    };
    let draft = match demo::newest_draft(&state.services).await {
        Ok(draft) => draft,
        Err(e) => {
            tracing::warn!(error = %e, "could not find a demo draft for GraphiQL");
            None
        }
    };
    let variables = json!({ "id": draft.map_or_else(|| "paste a draft id from MyDrafts".to_owned(), |id| id.to_string()) });
    let settings = json!({
        "endpoint": "/graphql",
        "query": EXAMPLE,
        "variables": serde_json::to_string_pretty(&variables).unwrap_or_default(),
        "headers": headers,
    });
    assets::page(PAGE.replace(
        "{{settings}}",
        &assets::settings_block("graphiql-settings", &settings),
    ))
}
