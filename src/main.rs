//! The `crs-api` binary: see `cli`.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    crs_api::cli::run().await
}
