//! `crs-api seed synthetic`: fills a database without referrals with the synthetic national data
//! set. The providers, delivery units and contracts go through the normal catalogue import (and
//! its checks); the staff and referrals are bulk-loaded in one transaction while the next chunk
//! is being made on another thread.

use std::time::Instant;

use anyhow::{Context, anyhow, bail};
use chrono::Utc;
use uuid::Uuid;

use super::Services;
use crate::db;
use crate::db::bulk::{Batch, BulkLoad};
use crate::domain::onboarding;
use crate::synthetic::{Generator, Options, Reference, World};

/// Referrals made and written at a time.
const CHUNK: u64 = 2_000;

/// What a seeding run reports as it goes.
#[derive(Debug)]
pub enum SeedProgress<'a> {
    /// Referrals written so far, of the total.
    Referrals { written: u64, total: u64 },
    /// A step after the rows are in.
    Step(&'a str),
}

/// What a seeding run did.
#[derive(Debug)]
pub struct SeedSummary {
    pub providers: usize,
    pub contracts: usize,
    pub probation_delivery_units: usize,
    pub staff: usize,
    pub referrals: u64,
    /// Rows written over every table.
    pub rows: u64,
    pub seconds: f64,
    /// A provider user of the largest provider, and a practitioner, to try the data with.
    pub sample_provider_user: Option<String>,
    pub sample_practitioner: Option<String>,
}

/// The reference catalogue from the database.
async fn reference(services: &Services) -> anyhow::Result<Reference> {
    let db = &services.db;
    let fail = |e: crate::error::AppError| anyhow!("reading the reference catalogue: {e:?}");
    let regions = db::catalogue::list_regions(db).await.map_err(fail)?;
    let region_codes: Vec<String> = regions.iter().map(|r| r.code.clone()).collect();
    let pcc_areas = db::catalogue::pcc_areas_by_region_codes(db, &region_codes)
        .await
        .map_err(fail)?;
    let contract_types = db::catalogue::list_contract_types(db).await.map_err(fail)?;
    let type_codes: Vec<String> = contract_types.iter().map(|t| t.code.clone()).collect();
    let mut reference = Reference {
        regions,
        pcc_areas,
        contract_types,
        ..Default::default()
    };
    let mut category_ids: Vec<Uuid> = Vec::new();
    for (code, category) in db::catalogue::categories_by_contract_type_codes(db, &type_codes)
        .await
        .map_err(fail)?
    {
        reference
            .categories
            .entry(code)
            .or_default()
            .push(category.id);
        if !category_ids.contains(&category.id) {
            category_ids.push(category.id);
        }
        reference.category_names.insert(category.id, category.name);
    }
    reference.levels = db::catalogue::complexity_levels_by_category_ids(db, &category_ids)
        .await
        .map_err(fail)?;
    reference.outcomes = db::catalogue::desired_outcomes_by_category_ids(db, &category_ids)
        .await
        .map_err(fail)?;
    reference.withdrawal_reasons = db::catalogue::list_withdrawal_reasons(db)
        .await
        .map_err(fail)?
        .into_iter()
        .map(|r| r.code)
        .collect();
    Ok(reference)
}

/// Makes and loads the synthetic data set. Refused when the database already has referrals.
pub async fn synthetic(
    services: &Services,
    options: Options,
    progress: impl Fn(SeedProgress<'_>),
) -> anyhow::Result<SeedSummary> {
    let started = Instant::now();
    let db = &services.db;
    if db::referrals::any(db).await.map_err(|e| anyhow!("{e:?}"))? {
        bail!(
            "the database already holds referrals: synthetic data is loaded into a database without any"
        );
    }
    let reference = reference(services).await?;
    let world = World::new(&reference, &options);
    let known = db::import::known_codes(db)
        .await
        .map_err(|e| anyhow!("reading catalogue codes: {e:?}"))?;
    let plan = onboarding::plan(world.file.clone(), &known).map_err(|problems| {
        anyhow!(
            "the generated catalogue is invalid:\n  {}",
            problems.join("\n  ")
        )
    })?;
    db::import::apply(db, &plan)
        .await
        .map_err(|e| anyhow!("importing the generated catalogue: {e:?}"))?;
    let mut generator = Generator::new(&reference, &world, &plan.contracts, options)
        .context("no generated contract takes referrals before the cut-off day")?;

    let backend = db.get_database_backend();
    let mut load = BulkLoad::begin(db).await?;
    let staff = Batch::of_users(&world.staff, Utc::now())?;
    let mut rows = staff.row_count() as u64;
    load.write(staff.prepare(backend)?).await?;

    // Chunks are made and encoded on a thread of their own while the previous one is written.
    let (sender, mut receiver) = tokio::sync::mpsc::channel(2);
    let maker = std::thread::spawn(move || -> anyhow::Result<()> {
        while generator.remaining() > 0 {
            let records = generator.next_chunk(CHUNK);
            let made = records.len() as u64;
            let batch = Batch::of_records(&records)?;
            let count = batch.row_count() as u64;
            let prepared = batch.prepare(backend)?;
            if sender.blocking_send((made, count, prepared)).is_err() {
                break;
            }
        }
        Ok(())
    });
    let mut written = 0;
    let total = options.referrals;
    progress(SeedProgress::Referrals { written, total });
    let mut failure = None;
    while let Some((made, count, prepared)) = receiver.recv().await {
        if let Err(e) = load.write(prepared).await {
            failure = Some(e);
            break;
        }
        written += made;
        rows += count;
        progress(SeedProgress::Referrals { written, total });
    }
    drop(receiver);
    let made = maker
        .join()
        .map_err(|_| anyhow!("the generator thread stopped unexpectedly"))?;
    if let Some(e) = failure {
        return Err(e);
    }
    made?;
    load.finish(db, |step| progress(SeedProgress::Step(step)))
        .await?;

    let largest_provider = world
        .caseworkers
        .iter()
        .max_by_key(|(_, ids)| ids.len())
        .and_then(|(_, ids)| ids.first().cloned());
    Ok(SeedSummary {
        providers: plan.providers.len(),
        contracts: plan.contracts.len(),
        probation_delivery_units: plan.probation_delivery_units.len(),
        staff: world.staff.len(),
        referrals: written,
        rows,
        seconds: started.elapsed().as_secs_f64(),
        sample_provider_user: largest_provider,
        sample_practitioner: world.practitioners.values().flatten().next().cloned(),
    })
}
