//! The `crs-api` binary: see `cli`.

/// mimalloc: small, short-lived allocations are most of a request's allocator traffic.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    crs_api::cli::run().await
}
