//! A synthetic national data set: realistic, deterministic (the same seed, size and cut-off day
//! give the same data), made without I/O. `World` is the catalogue and staff; `Generator` makes
//! the referrals one by one, each lived step by step up to the cut-off (`journey`).
//!
//! Every person, organisation and note is invented.

mod journey;
mod people;
mod random;
mod words;
mod world;

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::Rng as _;
use uuid::Uuid;

use crate::domain::catalogue::{
    ComplexityLevel, ContractArea, ContractType, DesiredOutcome, Intervention, PccArea, Region,
    uk_day_start,
};
use crate::domain::onboarding::ContractPlan;
use crate::domain::record::ReferralRecord;
pub use world::World;

/// What to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    pub referrals: u64,
    pub seed: u64,
    /// Everything happens before this UK day begins.
    pub as_of: NaiveDate,
}

/// The reference catalogue the data set is built on (from the migrations).
#[derive(Clone, Debug, Default)]
pub struct Reference {
    pub regions: Vec<Region>,
    pub pcc_areas: Vec<PccArea>,
    pub contract_types: Vec<ContractType>,
    /// Service category ids by contract type code.
    pub categories: BTreeMap<String, Vec<Uuid>>,
    pub levels: Vec<ComplexityLevel>,
    pub outcomes: Vec<DesiredOutcome>,
    pub withdrawal_reasons: Vec<String>,
}

/// A category with its levels and outcomes.
type CategoryChoices = (Uuid, Vec<ComplexityLevel>, Vec<DesiredOutcome>);

/// What referrals to one contract are made from.
#[derive(Debug)]
struct ContractSetting {
    intervention: Intervention,
    region_code: String,
    suffix: String,
    pdus: Vec<String>,
    /// The days referrals can be made: from, and how many.
    first_day: NaiveDate,
    open_days: i64,
    /// Caseworkers of the prime provider, then of each subcontractor.
    prime_caseworkers: Vec<String>,
    subcontractor_caseworkers: Vec<Vec<String>>,
    categories: Vec<CategoryChoices>,
}

/// Makes the referrals of a world in order, in chunks.
#[derive(Debug)]
pub struct Generator {
    options: Options,
    cutoff: DateTime<Utc>,
    contracts: Vec<ContractSetting>,
    /// Running totals of the contracts' weights, to pick one in proportion.
    cumulative: Vec<f64>,
    practitioners: BTreeMap<String, Vec<String>>,
    withdrawal_reasons: Vec<String>,
    next: u64,
    taken_references: HashSet<String>,
}

impl Generator {
    /// A generator for `world`, whose contracts were planned as `planned` (the checked
    /// catalogue import); `None` when no contract takes referrals before the cut-off.
    pub fn new(
        reference: &Reference,
        world: &World,
        planned: &[ContractPlan],
        options: Options,
    ) -> Option<Generator> {
        let cutoff = uk_day_start(options.as_of);
        let launch = NaiveDate::from_ymd_opt(world::LAUNCH.0, world::LAUNCH.1, world::LAUNCH.2)
            .unwrap_or_default();
        let mut contracts = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0.0;
        for spec in &world.contracts {
            let Some(plan) = planned
                .iter()
                .find(|p| p.contract.reference == spec.reference)
            else {
                continue;
            };
            let window = plan.contract.window;
            let first_day = window.opens_on.max(launch);
            let last_day = window
                .closes_after
                .unwrap_or(options.as_of)
                .min(options.as_of - Duration::days(1));
            let open_days = (last_day - first_day).num_days() + 1;
            if open_days <= 0 {
                continue;
            }
            let type_code = &plan.contract.contract_type_code;
            let categories = reference
                .categories
                .get(type_code)
                .map(|ids| {
                    ids.iter()
                        .map(|id| {
                            (
                                *id,
                                reference
                                    .levels
                                    .iter()
                                    .filter(|l| l.service_category_id == *id)
                                    .cloned()
                                    .collect(),
                                reference
                                    .outcomes
                                    .iter()
                                    .filter(|o| o.service_category_id == *id)
                                    .cloned()
                                    .collect(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let caseworkers =
                |code: &String| world.caseworkers.get(code).cloned().unwrap_or_default();
            total += spec.weight * open_days as f64;
            cumulative.push(total);
            contracts.push(ContractSetting {
                intervention: Intervention {
                    id: plan.intervention_id,
                    title: plan.intervention_title.clone(),
                    description: plan.intervention_description.clone(),
                    contract: plan.contract.clone(),
                },
                region_code: match &plan.contract.area {
                    ContractArea::Region(code) => code.clone(),
                    ContractArea::PccArea(_) => spec.region_code.clone(),
                },
                suffix: reference
                    .contract_types
                    .iter()
                    .find(|t| &t.code == type_code)
                    .map(|t| t.reference_suffix.clone())
                    .unwrap_or_default(),
                pdus: spec.pdus.clone(),
                first_day,
                open_days,
                prime_caseworkers: caseworkers(&spec.prime),
                subcontractor_caseworkers: spec.subcontractors.iter().map(caseworkers).collect(),
                categories,
            });
        }
        (!contracts.is_empty()).then(|| Generator {
            options,
            cutoff,
            contracts,
            cumulative,
            practitioners: world.practitioners.clone(),
            withdrawal_reasons: reference.withdrawal_reasons.clone(),
            next: 0,
            taken_references: HashSet::new(),
        })
    }

    /// How many referrals are still to be made.
    pub fn remaining(&self) -> u64 {
        self.options.referrals - self.next
    }

    /// The next `size` referrals (fewer at the end).
    pub fn next_chunk(&mut self, size: u64) -> Vec<ReferralRecord> {
        let end = (self.next + size).min(self.options.referrals);
        let chunk = (self.next..end).map(|i| self.make(i)).collect();
        self.next = end;
        chunk
    }

    /// Referral number `index`, from its own stream of the seed.
    fn make(&mut self, index: u64) -> ReferralRecord {
        let mut rng = random::stream(self.options.seed, index);
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let point = rng.random::<f64>() * total;
        let at = self
            .cumulative
            .partition_point(|c| *c <= point)
            .min(self.contracts.len() - 1);
        let contract = &self.contracts[at];
        // More referrals in later years: the density grows gently over the contract's days.
        let offset = (rng.random::<f64>().powf(0.75) * contract.open_days as f64) as i64;
        let made_on = contract.first_day + Duration::days(offset.min(contract.open_days - 1));
        let pdu = random::pick(&mut rng, &contract.pdus);
        let practitioner = self
            .practitioners
            .get(pdu)
            .map(|list| random::pick(&mut rng, list).clone())
            .unwrap_or_default();
        let pool =
            if contract.subcontractor_caseworkers.is_empty() || random::chance(&mut rng, 0.75) {
                &contract.prime_caseworkers
            } else {
                random::pick(&mut rng, &contract.subcontractor_caseworkers)
            };
        let caseworkers: Vec<&str> = pool.iter().map(String::as_str).collect();
        let setting = journey::Setting {
            intervention: &contract.intervention,
            region_code: &contract.region_code,
            suffix: &contract.suffix,
            pdu_code: pdu,
            practitioner: &practitioner,
            caseworkers: &caseworkers,
            categories: &contract.categories,
            withdrawal_reasons: &self.withdrawal_reasons,
        };
        journey::referral(
            &mut rng,
            &setting,
            made_on,
            self.cutoff,
            &mut self.taken_references,
        )
    }
}
