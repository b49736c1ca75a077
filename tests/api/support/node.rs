//! The Node.js scripts of `tests/browser/` (the Chromium driver, the graphql-http audit) and
//! their packages, installed once with `npm ci` from the lock file.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::Mutex;

const DIRECTORY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser");

/// One install at a time: tests run in parallel.
static INSTALL: Mutex<()> = Mutex::new(());

/// The path of the script `name`, its packages installed.
pub fn script(name: &str) -> PathBuf {
    let directory = PathBuf::from(DIRECTORY);
    let _one = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let current = ["playwright-core", "graphql-http", "graphql"]
        .iter()
        .all(|package| directory.join("node_modules").join(package).is_dir());
    if !current {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&directory)
            .status()
            .expect("npm runs (Node.js with npm is needed for these tests)");
        assert!(status.success(), "npm ci in tests/browser failed");
    }
    directory.join(name)
}

/// Runs `node <script> <args>`; panics with its output unless it succeeded.
pub fn run(name: &str, args: &[&str]) -> String {
    let output: Output = Command::new("node")
        .arg(script(name))
        .args(args)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "node {name} failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}
