//! Prints the SQL one GraphQL operation runs, each statement on one line with its values written
//! in, for `pgbench` to replay as the database-only limit of that operation.
//!
//! `capture-sql [--answer | --warm] TOKEN BODY_FILE`, with the server's `CRS_*` settings;
//! `--answer` prints the GraphQL answer instead (for a cursor to page on). The operation runs
//! in process through the same scope resolution and executor as `POST /graphql`; the caller is
//! resolved once beforehand, so the statements are those of a request from a user already
//! seen (no user record is written). With `--warm` the operation runs once unrecorded first,
//! so the statements are those of a request under steady load, whose providers,
//! subcontractors and assignees the server already keeps (`service::kept`).
#![allow(clippy::print_stdout)]

use std::sync::{Arc, Mutex};

use anyhow::{Context, bail};
use crs_api::config::Settings;
use crs_api::domain::actor::Caller;
use crs_api::graphql;
use crs_api::http::auth::TokenVerifier;
use crs_api::service::{self, Services};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1).peekable();
    let flag = args.next_if(|a| a.starts_with("--"));
    let (answer, warm) = match flag.as_deref() {
        None => (false, false),
        Some("--answer") => (true, false),
        Some("--warm") => (false, true),
        Some(other) => {
            bail!("unknown option {other}: capture-sql [--answer | --warm] TOKEN BODY_FILE")
        }
    };
    let (Some(token), Some(body_file)) = (args.next(), args.next()) else {
        bail!("usage: capture-sql [--answer | --warm] TOKEN BODY_FILE");
    };
    let settings = Settings::from_env().map_err(|e| anyhow::anyhow!("{e}"))?;
    let body = std::fs::read_to_string(&body_file).with_context(|| body_file.clone())?;
    let parse = || -> anyhow::Result<async_graphql::Request> {
        serde_json::from_str(&body).context("the body is not a GraphQL request")
    };
    let request = parse()?;

    let captured: Arc<Mutex<Option<Vec<String>>>> = Arc::new(Mutex::new(None));
    let sink = captured.clone();
    let db = crs_api::db::connect(
        &settings.database,
        Arc::new(move |statement| {
            if let Ok(mut recording) = sink.lock()
                && let Some(lines) = recording.as_mut()
            {
                lines.push(statement.to_string().replace('\n', " "));
            }
        }),
    )
    .await?;
    // The server's own keeping time, so a warm request reads what the server's would.
    let services = Services::new(db).with_scope_ttl(settings.scope_cache_ttl);
    let schema = graphql::build(
        services.clone(),
        settings.limits,
        settings.is_production(),
        None,
    );
    let principal = TokenVerifier::new(&settings.jwt)?
        .verify(&token)
        .map_err(|e| anyhow::anyhow!("the token is refused: {e}"))?;
    let scope = service::viewer::resolve(&services, &principal)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    if warm {
        let caller = Caller {
            principal: principal.clone(),
            scope,
        };
        let response = graphql::execute(&schema, &services, caller, parse()?, None).await;
        if !response.errors.is_empty() {
            bail!("the operation failed: {:?}", response.errors);
        }
    }

    if let Ok(mut recording) = captured.lock() {
        *recording = Some(Vec::new());
    }
    let scope = service::viewer::resolve(&services, &principal)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let response = graphql::execute(
        &schema,
        &services,
        Caller { principal, scope },
        request,
        None,
    )
    .await;
    if !response.errors.is_empty() {
        bail!("the operation failed: {:?}", response.errors);
    }
    if answer {
        println!("{}", serde_json::to_string(&response.data)?);
        return Ok(());
    }
    let lines = captured
        .lock()
        .ok()
        .and_then(|mut recording| recording.take())
        .unwrap_or_default();
    for line in lines {
        println!("{line};");
    }
    Ok(())
}
