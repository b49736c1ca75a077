//! The README's examples, run, so the README cannot drift from the program: every `json` block
//! parses (the catalogue example imports), every `graphql` document validates against the
//! schema, and every `sh` block runs in bash against a test server of its own.
//!
//! In the shell blocks `cargo run … --` is the built binary, `127.0.0.1:8080` the test server,
//! any `postgres://…/<name>` URL the test's database (which exists, so `createdb` is dropped),
//! and `--referrals 100000` is made 300 to keep the suite quick. Two kinds of line are not run,
//! named here: `cargo run --release` itself (the server; the test's own is running) and
//! `cargo run --example …` (clients that run until stopped; built by `clippy --all-targets`).
//! The block of test commands (`cargo test`, `.ci/run`) is what CI itself runs.

use std::process::Command;

use crate::support::{Options, TEST_SECRET, TestApp, database_of};

const README: &str = include_str!("../../README.md");

/// A fenced block: its language, its text, the line it starts on.
struct Block {
    language: String,
    text: String,
    line: usize,
}

fn blocks() -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for (n, line) in README.lines().enumerate() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(language)) => {
                open = Some(Block {
                    language: language.trim().to_owned(),
                    text: String::new(),
                    line: n + 1,
                });
            }
            (Some(_), Some(_)) => blocks.extend(open.take()),
            (Some(block), None) => {
                block.text.push_str(line);
                block.text.push('\n');
            }
            (None, None) => {}
        }
    }
    blocks
}

fn of(language: &str) -> Vec<Block> {
    blocks()
        .into_iter()
        .filter(|b| b.language == language)
        .collect()
}

#[tokio::test]
async fn every_json_example_parses_and_the_catalogue_example_imports() {
    let json = of("json");
    assert!(json.len() >= 2);
    for block in &json {
        serde_json::from_str::<serde_json::Value>(&block.text)
            .unwrap_or_else(|e| panic!("README line {}: {e}", block.line));
    }
    let catalogue = json
        .iter()
        .find(|b| b.text.contains("\"contracts\""))
        .expect("the catalogue example");
    let app = TestApp::spawn_with(Options::empty()).await;
    let services = crs_api::service::Services::new(app.db.clone());
    crs_api::service::catalogue_import::import_text(&services, "README.md", &catalogue.text)
        .await
        .unwrap_or_else(|e| panic!("README line {}: {e:#}", catalogue.line));
}

/// The documents of a block: a new one starts at each line beginning an operation.
fn documents(text: &str) -> Vec<String> {
    let mut documents: Vec<String> = Vec::new();
    for line in text.lines() {
        let starts = ["{", "query", "mutation", "subscription"]
            .iter()
            .any(|s| line.starts_with(s));
        match documents.last_mut() {
            Some(document) if !starts => {
                document.push('\n');
                document.push_str(line);
            }
            _ => documents.push(line.to_owned()),
        }
    }
    documents
}

#[tokio::test]
async fn every_graphql_example_is_valid_against_the_schema() {
    let schema = crs_api::graphql::schema_builder().finish();
    let mut checked = 0;
    for block in of("graphql") {
        for document in documents(&block.text) {
            let response = schema.execute(document.as_str()).await;
            // Parse and validation errors have no path; without the server's data the fields
            // themselves fail at their path, which is not what is checked here.
            let invalid: Vec<String> = response
                .errors
                .iter()
                .filter(|e| e.path.is_empty())
                .map(|e| e.message.clone())
                .filter(|m| m != "Subscriptions are not supported on this transport.")
                .collect();
            assert!(
                invalid.is_empty(),
                "README line {}: {document}\n{invalid:?}",
                block.line
            );
            checked += 1;
        }
    }
    assert!(checked >= 6, "{checked} documents");
}

/// A block's shell text as it runs here, or `None` when nothing of it runs.
fn runnable(text: &str, address: &str, database_url: &str) -> Option<String> {
    if text.contains("cargo test") || text.contains(".ci/run") {
        return None;
    }
    let joined = text.replace("\\\n", " ");
    let mut script = Vec::new();
    for line in joined.lines() {
        let command = line.split(" # ").next().unwrap_or(line).trim();
        let words: Vec<&str> = command.split_whitespace().collect();
        let serve = words
            .iter()
            .skip_while(|w| w.contains('=') && !w.starts_with('-'))
            .copied()
            .collect::<Vec<_>>()
            == ["cargo", "run", "--release"];
        if command.is_empty()
            || command.starts_with('#')
            || serve
            || command.contains("cargo run --example")
            || command.starts_with("createdb ")
        {
            continue;
        }
        let mut command: String = command
            .replace("cargo run --release -q --", "\"$CRS_API\"")
            .replace("cargo run -q --release --", "\"$CRS_API\"")
            .replace("cargo run --release --", "\"$CRS_API\"")
            .replace("http://127.0.0.1:8080", address)
            .replace("--referrals 100000", "--referrals 300");
        // Scanned from after each replacement: the test's URL may itself be a PostgreSQL one.
        let mut from = 0;
        while let Some(found) = command[from..].find("postgres://postgres@127.0.0.1:5432/") {
            let at = from + found;
            let end = command[at..]
                .find(char::is_whitespace)
                .map_or(command.len(), |e| at + e);
            command.replace_range(at..end, database_url);
            from = at + database_url.len();
        }
        assert!(
            !command.contains("cargo "),
            "a README command this test cannot run: {command}"
        );
        script.push(command);
    }
    (!script.is_empty()).then(|| script.join("\n"))
}

#[tokio::test]
async fn every_shell_example_runs_against_a_server() {
    let mut ran = 0;
    for block in of("sh") {
        let app = TestApp::spawn().await;
        let database_url = database_of(&app)[0].1.clone();
        let Some(script) = runnable(&block.text, &app.address, &database_url) else {
            continue;
        };
        let output = tokio::task::spawn_blocking(move || {
            Command::new("bash")
                .args(["-euo", "pipefail", "-c", &script])
                .env_clear()
                .env("PATH", std::env::var("PATH").unwrap_or_default())
                .env("CRS_API", env!("CARGO_BIN_EXE_crs-api"))
                .env("CRS_JWT_SECRET", TEST_SECRET)
                .env("CRS_DATABASE_URL", &database_url)
                .env("CRS_LOG", "warn")
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .output()
                .expect("bash runs")
        })
        .await
        .expect("the block ran");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "README line {} failed:\n{stdout}\n{stderr}",
            block.line
        );
        assert!(
            !stdout.contains("\"errors\""),
            "README line {}: {stdout}",
            block.line
        );
        assert!(
            !stderr.contains("warning"),
            "README line {}: {stderr}",
            block.line
        );
        ran += 1;
        app.handle.stop(false).await;
    }
    assert!(ran >= 5, "{ran} blocks ran");
}
