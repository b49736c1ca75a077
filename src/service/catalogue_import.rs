//! `crs-api catalogue import FILE`, and the demo data set loaded in development.

use std::path::Path;

use super::Services;
use crate::db;
use crate::db::import::ImportSummary;
use crate::domain::onboarding::{self, CatalogueFile};

/// The demo data set: fictional providers and contracts (`catalogue/demo.json`).
pub const DEMO_CATALOGUE: &str = include_str!("../../catalogue/demo.json");

/// Why an import was refused; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{file}: cannot read the file: {cause}")]
    Unreadable { file: String, cause: String },
    #[error("{file}: not a valid catalogue file: {cause}")]
    Malformed { file: String, cause: String },
    #[error("{file}: {} problem(s), nothing imported:\n{}", problems.len(), problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid { file: String, problems: Vec<String> },
    #[error("{file}: the database refused the import; nothing imported")]
    Database { file: String },
}

/// Checks and applies catalogue text; `file` names it in every message.
pub async fn import_text(
    services: &Services,
    file: &str,
    text: &str,
) -> Result<ImportSummary, ImportError> {
    let parsed: CatalogueFile = serde_json::from_str(text).map_err(|e| ImportError::Malformed {
        file: file.to_owned(),
        cause: e.to_string(),
    })?;
    let known = db::import::known_codes(&services.db).await.map_err(|e| {
        tracing::error!(error = ?e, "loading catalogue codes for an import");
        ImportError::Database {
            file: file.to_owned(),
        }
    })?;
    let plan = onboarding::plan(parsed, &known).map_err(|problems| ImportError::Invalid {
        file: file.to_owned(),
        problems,
    })?;
    db::import::apply(&services.db, &plan).await.map_err(|e| {
        tracing::error!(error = ?e, "applying a catalogue import");
        ImportError::Database {
            file: file.to_owned(),
        }
    })
}

/// Reads and imports a catalogue file.
pub async fn import_file(services: &Services, path: &Path) -> Result<ImportSummary, ImportError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ImportError::Unreadable {
        file: file.clone(),
        cause: e.to_string(),
    })?;
    import_text(services, &file, &text).await
}

/// Loads the demo data set when the database has no providers. Returns whether it loaded.
pub async fn load_demo_if_empty(services: &Services) -> anyhow::Result<bool> {
    if db::catalogue::provider_count(&services.db)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?
        > 0
    {
        return Ok(false);
    }
    match import_text(services, "catalogue/demo.json", DEMO_CATALOGUE).await {
        Ok(_) => Ok(true),
        // Another instance starting at the same moment may have loaded it first.
        Err(_)
            if db::catalogue::provider_count(&services.db)
                .await
                .unwrap_or(0)
                > 0 =>
        {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}
