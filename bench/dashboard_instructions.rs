//! The in-process provider dashboard (`benches/support`) run a fixed number of times inside
//! one function, for `bench/gate` to count their instructions under callgrind
//! (`--collect-atstart=no --toggle-collect=*measured_dashboards*`: the instructions of the
//! thread that runs them, not SQLite's connection threads): instruction counts, unlike times,
//! barely move from run to run on a shared machine, so a rise is a change in the work a
//! dashboard does.
//!
//! `dashboard-instructions [DASHBOARDS] [REFERRALS]` (20 and 500 by default). One dashboard
//! runs before the counted ones, so they are those of a steady state: scope resolved, the
//! providers, subcontractors and assignees kept.
#![allow(clippy::print_stdout, missing_debug_implementations)]

#[path = "../benches/support/mod.rs"]
mod support;

use anyhow::{Context, bail};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let dashboards: usize = args
        .next()
        .as_deref()
        .unwrap_or("20")
        .parse()
        .context("DASHBOARDS")?;
    let referrals: u64 = args
        .next()
        .as_deref()
        .unwrap_or("500")
        .parse()
        .context("REFERRALS")?;
    // One runtime thread, so the dashboards run one after another as `measured_dashboards` calls them.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let setup = runtime.block_on(support::setup(referrals));
    runtime.block_on(run(&setup, 1))?;
    measured_dashboards(&runtime, &setup, dashboards)?;
    println!("{dashboards} dashboards over {referrals} referrals");
    Ok(())
}

/// The counted part.
#[inline(never)]
fn measured_dashboards(
    runtime: &tokio::runtime::Runtime,
    setup: &support::Setup,
    dashboards: usize,
) -> anyhow::Result<()> {
    runtime.block_on(run(setup, dashboards))
}

async fn run(setup: &support::Setup, dashboards: usize) -> anyhow::Result<()> {
    for _ in 0..dashboards {
        let response = support::dashboard(setup).await;
        if !response.errors.is_empty() {
            bail!("the dashboard failed: {:?}", response.errors);
        }
    }
    Ok(())
}
