//! Fetches the browser assets the server embeds (GraphiQL, React, Chart.js) from the npm registry
//! with `npm ci`, pinned by `web/package-lock.json`, into the build directory; nothing is
//! downloaded by a browser and no minified file is kept in the repository. Runs again only when
//! `web/package.json` or `web/package-lock.json` changes.

use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The files the server serves under `/assets/`, by where npm puts them.
const ASSETS: [&str; 6] = [
    "graphiql/graphiql.min.js",
    "graphiql/graphiql.min.css",
    "react/umd/react.production.min.js",
    "react-dom/umd/react-dom.production.min.js",
    "chart.js/dist/chart.umd.js",
    "chart.js/LICENSE.md",
];

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed=web/package.json");
    println!("cargo:rerun-if-changed=web/package-lock.json");
    let source = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("web");
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("web");
    fs::create_dir_all(&out)?;
    let lock = fs::read(source.join("package-lock.json"))?;
    let installed = out.join("node_modules/.package-lock.json").exists()
        && fs::read(out.join("package-lock.json")).ok().as_deref() == Some(&lock[..]);
    if !installed {
        fs::copy(source.join("package.json"), out.join("package.json"))?;
        fs::write(out.join("package-lock.json"), &lock)?;
        npm_ci(&out)?;
    }
    for asset in ASSETS {
        let path = out.join("node_modules").join(asset);
        if !path.is_file() {
            return Err(format!("npm ci did not install {}", path.display()).into());
        }
    }
    Ok(())
}

fn npm_ci(directory: &Path) -> Result<(), Box<dyn Error>> {
    let npm = std::env::var("NPM").unwrap_or_else(|_| "npm".to_owned());
    let status = Command::new(&npm)
        .args([
            "ci",
            "--omit=dev",
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            "--prefer-offline",
            "--loglevel=error",
        ])
        .current_dir(directory)
        .status()
        .map_err(|e| {
            format!(
                "could not run `{npm} ci` for the browser assets (GraphiQL, Chart.js): {e}. \
                 Install Node.js with npm (or set NPM to its path); see README, Building."
            )
        })?;
    if !status.success() {
        return Err(format!(
            "`{npm} ci` for the browser assets failed ({status}); it needs the npm registry \
             (or its cache) the first time"
        )
        .into());
    }
    Ok(())
}
