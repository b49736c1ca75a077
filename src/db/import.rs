//! Writes a checked onboarding plan in one transaction: new rows are inserted, changed rows
//! updated, unchanged rows left alone, so importing the same file twice changes nothing.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, TransactionTrait,
};

use super::catalogue::to_contract;
use super::entities::{
    contract, contract_subcontractor, contract_type, intervention, pcc_area,
    probation_delivery_unit, region, service_provider,
};
use crate::domain::catalogue::ContractArea;
use crate::domain::onboarding::{ContractPlan, KnownCodes, OnboardingPlan};
use crate::error::AppError;

/// How many entries of one kind were created, changed or left as they were.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// What an import did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub providers: Tally,
    pub probation_delivery_units: Tally,
    pub contracts: Tally,
}

/// The codes an onboarding file may refer to.
pub async fn known_codes(db: &DatabaseConnection) -> Result<KnownCodes, AppError> {
    Ok(KnownCodes {
        contract_types: contract_type::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|m| m.code)
            .collect(),
        regions: region::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|m| m.code)
            .collect(),
        pcc_areas: pcc_area::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|m| m.code)
            .collect(),
        providers: service_provider::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|m| m.code)
            .collect(),
    })
}

/// Applies `plan` atomically.
pub async fn apply(
    db: &DatabaseConnection,
    plan: &OnboardingPlan,
) -> Result<ImportSummary, AppError> {
    let txn = db.begin().await?;
    let summary = ImportSummary {
        providers: upsert_providers(&txn, plan).await?,
        probation_delivery_units: upsert_pdus(&txn, plan).await?,
        contracts: upsert_contracts(&txn, &plan.contracts).await?,
    };
    txn.commit().await?;
    Ok(summary)
}

async fn upsert_providers(
    txn: &DatabaseTransaction,
    plan: &OnboardingPlan,
) -> Result<Tally, AppError> {
    let mut tally = Tally::default();
    let codes: Vec<String> = plan.providers.iter().map(|p| p.code.clone()).collect();
    let existing: BTreeMap<String, service_provider::Model> = service_provider::Entity::find()
        .filter(service_provider::Column::Code.is_in(codes))
        .all(txn)
        .await?
        .into_iter()
        .map(|m| (m.code.clone(), m))
        .collect();
    let now = Utc::now();
    for provider in &plan.providers {
        match existing.get(&provider.code) {
            Some(row) if row.name == provider.name => tally.unchanged += 1,
            Some(row) => {
                let mut active: service_provider::ActiveModel = row.clone().into();
                active.name = Set(provider.name.clone());
                active.updated_at = Set(now);
                active.update(txn).await?;
                tally.updated += 1;
            }
            None => {
                service_provider::ActiveModel {
                    code: Set(provider.code.clone()),
                    name: Set(provider.name.clone()),
                    updated_at: Set(now),
                }
                .insert(txn)
                .await?;
                tally.created += 1;
            }
        }
    }
    Ok(tally)
}

async fn upsert_pdus(txn: &DatabaseTransaction, plan: &OnboardingPlan) -> Result<Tally, AppError> {
    let mut tally = Tally::default();
    let codes: Vec<String> = plan
        .probation_delivery_units
        .iter()
        .map(|p| p.code.clone())
        .collect();
    let existing: BTreeMap<String, probation_delivery_unit::Model> =
        probation_delivery_unit::Entity::find()
            .filter(probation_delivery_unit::Column::Code.is_in(codes))
            .all(txn)
            .await?
            .into_iter()
            .map(|m| (m.code.clone(), m))
            .collect();
    let now = Utc::now();
    for pdu in &plan.probation_delivery_units {
        match existing.get(&pdu.code) {
            Some(row) if row.name == pdu.name && row.pcc_area_code == pdu.pcc_area_code => {
                tally.unchanged += 1
            }
            Some(row) => {
                let mut active: probation_delivery_unit::ActiveModel = row.clone().into();
                active.name = Set(pdu.name.clone());
                active.pcc_area_code = Set(pdu.pcc_area_code.clone());
                active.updated_at = Set(now);
                active.update(txn).await?;
                tally.updated += 1;
            }
            None => {
                probation_delivery_unit::ActiveModel {
                    code: Set(pdu.code.clone()),
                    name: Set(pdu.name.clone()),
                    pcc_area_code: Set(pdu.pcc_area_code.clone()),
                    updated_at: Set(now),
                }
                .insert(txn)
                .await?;
                tally.created += 1;
            }
        }
    }
    Ok(tally)
}

fn contract_row(plan: &ContractPlan, now: chrono::DateTime<Utc>) -> contract::ActiveModel {
    let c = &plan.contract;
    let (region_code, pcc_area_code) = match &c.area {
        ContractArea::Region(code) => (Some(code.clone()), None),
        ContractArea::PccArea(code) => (None, Some(code.clone())),
    };
    contract::ActiveModel {
        id: Set(c.id),
        reference: Set(c.reference.clone()),
        contract_type_code: Set(c.contract_type_code.clone()),
        prime_provider_code: Set(c.prime_provider_code.clone()),
        region_code: Set(region_code),
        pcc_area_code: Set(pcc_area_code),
        minimum_age: Set(c.eligibility.minimum_age),
        maximum_age: Set(c.eligibility.maximum_age),
        allows_female: Set(c.eligibility.allows_female),
        allows_male: Set(c.eligibility.allows_male),
        referral_start_date: Set(c.window.opens_on),
        referral_end_date: Set(c.window.closes_after),
        updated_at: Set(now),
    }
}

async fn upsert_contracts(
    txn: &DatabaseTransaction,
    plans: &[ContractPlan],
) -> Result<Tally, AppError> {
    let mut tally = Tally::default();
    let references: Vec<String> = plans.iter().map(|p| p.contract.reference.clone()).collect();
    let existing: BTreeMap<String, contract::Model> = contract::Entity::find()
        .filter(contract::Column::Reference.is_in(references))
        .all(txn)
        .await?
        .into_iter()
        .map(|m| (m.reference.clone(), m))
        .collect();
    let ids: Vec<uuid::Uuid> = existing.values().map(|m| m.id).collect();
    let mut subcontractors: BTreeMap<uuid::Uuid, BTreeSet<String>> = BTreeMap::new();
    for link in contract_subcontractor::Entity::find()
        .filter(contract_subcontractor::Column::ContractId.is_in(ids.clone()))
        .all(txn)
        .await?
    {
        subcontractors
            .entry(link.contract_id)
            .or_default()
            .insert(link.provider_code);
    }
    let interventions: BTreeMap<uuid::Uuid, intervention::Model> = intervention::Entity::find()
        .filter(intervention::Column::ContractId.is_in(ids))
        .all(txn)
        .await?
        .into_iter()
        .map(|m| (m.contract_id, m))
        .collect();

    let now = Utc::now();
    for plan in plans {
        let id = plan.contract.id;
        let wanted_subs: BTreeSet<String> = plan.subcontractor_codes.iter().cloned().collect();
        let Some(row) = existing.get(&plan.contract.reference) else {
            contract_row(plan, now).insert(txn).await?;
            insert_subcontractors(txn, id, &wanted_subs).await?;
            intervention::ActiveModel {
                id: Set(plan.intervention_id),
                contract_id: Set(id),
                title: Set(plan.intervention_title.clone()),
                description: Set(plan.intervention_description.clone()),
                updated_at: Set(now),
            }
            .insert(txn)
            .await?;
            tally.created += 1;
            continue;
        };
        let mut changed = false;
        if to_contract(row.clone())? != plan.contract {
            let mut active = contract_row(plan, now);
            active.id = Set(row.id);
            active.update(txn).await?;
            changed = true;
        }
        if subcontractors.get(&row.id).cloned().unwrap_or_default() != wanted_subs {
            contract_subcontractor::Entity::delete_many()
                .filter(contract_subcontractor::Column::ContractId.eq(row.id))
                .exec(txn)
                .await?;
            insert_subcontractors(txn, row.id, &wanted_subs).await?;
            changed = true;
        }
        match interventions.get(&row.id) {
            Some(i)
                if i.title == plan.intervention_title
                    && i.description == plan.intervention_description => {}
            Some(i) => {
                let mut active: intervention::ActiveModel = i.clone().into();
                active.title = Set(plan.intervention_title.clone());
                active.description = Set(plan.intervention_description.clone());
                active.updated_at = Set(now);
                active.update(txn).await?;
                changed = true;
            }
            None => {
                intervention::ActiveModel {
                    id: Set(plan.intervention_id),
                    contract_id: Set(row.id),
                    title: Set(plan.intervention_title.clone()),
                    description: Set(plan.intervention_description.clone()),
                    updated_at: Set(now),
                }
                .insert(txn)
                .await?;
                changed = true;
            }
        }
        if changed {
            tally.updated += 1;
        } else {
            tally.unchanged += 1;
        }
    }
    Ok(tally)
}

async fn insert_subcontractors(
    txn: &DatabaseTransaction,
    contract_id: uuid::Uuid,
    codes: &BTreeSet<String>,
) -> Result<(), AppError> {
    if codes.is_empty() {
        return Ok(());
    }
    contract_subcontractor::Entity::insert_many(codes.iter().map(|code| {
        contract_subcontractor::ActiveModel {
            contract_id: Set(contract_id),
            provider_code: Set(code.clone()),
        }
    }))
    .exec_without_returning(txn)
    .await?;
    Ok(())
}
