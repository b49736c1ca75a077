//! Per-request DataLoaders for child fields of catalogue objects. Each key type batches into one
//! `db::catalogue` call. Loaders only resolve children of objects the caller was already allowed
//! to read; they are built for every request, so nothing is cached across callers.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use uuid::Uuid;

use crate::db::catalogue as queries;
use crate::domain::catalogue::{
    ComplexityLevel, ContractType, DesiredOutcome, PccArea, ProbationDeliveryUnit, Region,
    ServiceCategory, ServiceProvider,
};
use crate::error::AppError;
use crate::service::Services;

/// Loads catalogue children for one request.
#[derive(Debug)]
pub struct CatalogueLoader {
    services: Services,
}

impl CatalogueLoader {
    pub fn new(services: Services) -> Self {
        CatalogueLoader { services }
    }
}

type LoadResult<K, V> = Result<HashMap<K, V>, Arc<AppError>>;

/// Groups `rows` under the key each belongs to; every requested key gets an entry.
fn group<K: Eq + Hash + Clone, V>(
    keys: &[K],
    rows: Vec<V>,
    key_of: impl Fn(&V) -> K,
) -> HashMap<K, Vec<V>> {
    let mut grouped: HashMap<K, Vec<V>> = keys.iter().map(|k| (k.clone(), Vec::new())).collect();
    for row in rows {
        grouped.entry(key_of(&row)).or_default().push(row);
    }
    grouped
}

/// A region by code.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RegionByCode(pub String);

impl Loader<RegionByCode> for CatalogueLoader {
    type Value = Region;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[RegionByCode]) -> LoadResult<RegionByCode, Region> {
        let codes: Vec<String> = keys.iter().map(|k| k.0.clone()).collect();
        let rows = queries::regions_by_codes(&self.services.db, &codes).await?;
        Ok(rows
            .into_iter()
            .map(|r| (RegionByCode(r.code.clone()), r))
            .collect())
    }
}

/// A PCC area by code.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PccAreaByCode(pub String);

impl Loader<PccAreaByCode> for CatalogueLoader {
    type Value = PccArea;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[PccAreaByCode]) -> LoadResult<PccAreaByCode, PccArea> {
        let codes: Vec<String> = keys.iter().map(|k| k.0.clone()).collect();
        let rows = queries::pcc_areas_by_codes(&self.services.db, &codes).await?;
        Ok(rows
            .into_iter()
            .map(|a| (PccAreaByCode(a.code.clone()), a))
            .collect())
    }
}

/// The PCC areas of a region.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PccAreasOfRegion(pub String);

impl Loader<PccAreasOfRegion> for CatalogueLoader {
    type Value = Vec<PccArea>;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[PccAreasOfRegion]) -> LoadResult<PccAreasOfRegion, Vec<PccArea>> {
        let codes: Vec<String> = keys.iter().map(|k| k.0.clone()).collect();
        let rows = queries::pcc_areas_by_region_codes(&self.services.db, &codes).await?;
        Ok(group(keys, rows, |a| {
            PccAreasOfRegion(a.region_code.clone())
        }))
    }
}

/// The probation delivery units of a PCC area.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PdusOfPccArea(pub String);

impl Loader<PdusOfPccArea> for CatalogueLoader {
    type Value = Vec<ProbationDeliveryUnit>;
    type Error = Arc<AppError>;

    async fn load(
        &self,
        keys: &[PdusOfPccArea],
    ) -> LoadResult<PdusOfPccArea, Vec<ProbationDeliveryUnit>> {
        let codes: Vec<String> = keys.iter().map(|k| k.0.clone()).collect();
        let rows = queries::pdus_by_pcc_area_codes(&self.services.db, &codes).await?;
        Ok(group(keys, rows, |p| {
            PdusOfPccArea(p.pcc_area_code.clone())
        }))
    }
}

/// A contract type by code.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ContractTypeByCode(pub String);

impl Loader<ContractTypeByCode> for CatalogueLoader {
    type Value = ContractType;
    type Error = Arc<AppError>;

    async fn load(
        &self,
        keys: &[ContractTypeByCode],
    ) -> LoadResult<ContractTypeByCode, ContractType> {
        let codes: Vec<String> = keys.iter().map(|k| k.0.clone()).collect();
        let rows = queries::contract_types_by_codes(&self.services.db, &codes).await?;
        Ok(rows
            .into_iter()
            .map(|t| (ContractTypeByCode(t.code.clone()), t))
            .collect())
    }
}

/// The service categories of a contract type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CategoriesOfContractType(pub String);

impl Loader<CategoriesOfContractType> for CatalogueLoader {
    type Value = Vec<ServiceCategory>;
    type Error = Arc<AppError>;

    async fn load(
        &self,
        keys: &[CategoriesOfContractType],
    ) -> LoadResult<CategoriesOfContractType, Vec<ServiceCategory>> {
        let codes: Vec<String> = keys.iter().map(|k| k.0.clone()).collect();
        let rows = queries::categories_by_contract_type_codes(&self.services.db, &codes).await?;
        let grouped = group(keys, rows, |(code, _)| {
            CategoriesOfContractType(code.clone())
        });
        Ok(grouped
            .into_iter()
            .map(|(k, pairs)| (k, pairs.into_iter().map(|(_, c)| c).collect()))
            .collect())
    }
}

/// The complexity levels of a service category.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LevelsOfCategory(pub Uuid);

impl Loader<LevelsOfCategory> for CatalogueLoader {
    type Value = Vec<ComplexityLevel>;
    type Error = Arc<AppError>;

    async fn load(
        &self,
        keys: &[LevelsOfCategory],
    ) -> LoadResult<LevelsOfCategory, Vec<ComplexityLevel>> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let rows = queries::complexity_levels_by_category_ids(&self.services.db, &ids).await?;
        Ok(group(keys, rows, |l| {
            LevelsOfCategory(l.service_category_id)
        }))
    }
}

/// The current desired outcomes of a service category.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OutcomesOfCategory(pub Uuid);

impl Loader<OutcomesOfCategory> for CatalogueLoader {
    type Value = Vec<DesiredOutcome>;
    type Error = Arc<AppError>;

    async fn load(
        &self,
        keys: &[OutcomesOfCategory],
    ) -> LoadResult<OutcomesOfCategory, Vec<DesiredOutcome>> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let rows = queries::desired_outcomes_by_category_ids(&self.services.db, &ids).await?;
        Ok(group(keys, rows, |o| {
            OutcomesOfCategory(o.service_category_id)
        }))
    }
}

/// A provider by code.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProviderByCode(pub String);

impl Loader<ProviderByCode> for CatalogueLoader {
    type Value = ServiceProvider;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[ProviderByCode]) -> LoadResult<ProviderByCode, ServiceProvider> {
        let codes: Vec<String> = keys.iter().map(|k| k.0.clone()).collect();
        let rows = queries::providers_by_codes(&self.services.db, &codes).await?;
        Ok(rows
            .into_iter()
            .map(|p| (ProviderByCode(p.code.clone()), p))
            .collect())
    }
}

/// The subcontractors of a contract.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SubcontractorsOfContract(pub Uuid);

impl Loader<SubcontractorsOfContract> for CatalogueLoader {
    type Value = Vec<ServiceProvider>;
    type Error = Arc<AppError>;

    async fn load(
        &self,
        keys: &[SubcontractorsOfContract],
    ) -> LoadResult<SubcontractorsOfContract, Vec<ServiceProvider>> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let rows = queries::subcontractors_by_contract_ids(&self.services.db, &ids).await?;
        let grouped = group(keys, rows, |(id, _)| SubcontractorsOfContract(*id));
        Ok(grouped
            .into_iter()
            .map(|(k, pairs)| (k, pairs.into_iter().map(|(_, p)| p).collect()))
            .collect())
    }
}
