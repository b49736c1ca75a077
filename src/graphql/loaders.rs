//! Per-request DataLoaders for child fields of catalogue objects. Each key type batches into one
//! `db::catalogue` call. Loaders only resolve children of objects the caller was already allowed
//! to read; they are built for every request. Providers, subcontracts and users, which nearly
//! every page names and which change rarely, are read through [`crate::service::kept`]: kept
//! across requests for `CRS_SCOPE_CACHE_SECONDS`, so a warm dashboard reads only its page and
//! its count.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use uuid::Uuid;

use crate::db::catalogue as queries;
use crate::db::users::RecordedUser;
use crate::domain::actor::UserId;
use crate::domain::amendment::ChangeLogEntry;
use crate::domain::catalogue::{
    ComplexityLevel, ContractType, DesiredOutcome, PccArea, ProbationDeliveryUnit, Region,
    ServiceCategory, ServiceProvider, WithdrawalReason,
};
use crate::domain::delivery::{ActionPlan, Appointment, DeliverySession, EndOfServiceReport};
use crate::domain::draft::SelectedCategory;
use crate::domain::referral::{CaseNote, ReferralEvent};
use crate::error::AppError;
use crate::service::Services;

/// Loads catalogue children for one request.
#[derive(Debug)]
pub struct RequestLoader {
    services: Services,
}

impl RequestLoader {
    pub fn new(services: Services) -> Self {
        RequestLoader { services }
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

impl Loader<RegionByCode> for RequestLoader {
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

impl Loader<PccAreaByCode> for RequestLoader {
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

impl Loader<PccAreasOfRegion> for RequestLoader {
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

impl Loader<PdusOfPccArea> for RequestLoader {
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

impl Loader<ContractTypeByCode> for RequestLoader {
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

impl Loader<CategoriesOfContractType> for RequestLoader {
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

impl Loader<LevelsOfCategory> for RequestLoader {
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

impl Loader<OutcomesOfCategory> for RequestLoader {
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

impl Loader<ProviderByCode> for RequestLoader {
    type Value = ServiceProvider;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[ProviderByCode]) -> LoadResult<ProviderByCode, ServiceProvider> {
        let kept = &self.services.kept.providers;
        let (mut found, missing) = kept.split(keys.iter().map(|k| k.0.clone()));
        if !missing.is_empty() {
            for provider in queries::providers_by_codes(&self.services.db, &missing).await? {
                kept.keep(provider.code.clone(), provider.clone());
                found.insert(provider.code.clone(), provider);
            }
        }
        Ok(found
            .into_iter()
            .map(|(code, p)| (ProviderByCode(code), p))
            .collect())
    }
}

/// The subcontractors of a contract.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SubcontractorsOfContract(pub Uuid);

impl Loader<SubcontractorsOfContract> for RequestLoader {
    type Value = Vec<ServiceProvider>;
    type Error = Arc<AppError>;

    async fn load(
        &self,
        keys: &[SubcontractorsOfContract],
    ) -> LoadResult<SubcontractorsOfContract, Vec<ServiceProvider>> {
        let kept = &self.services.kept.subcontractors;
        let (found, missing) = kept.split(keys.iter().map(|k| k.0));
        let mut answer: HashMap<SubcontractorsOfContract, Vec<ServiceProvider>> = found
            .into_iter()
            .map(|(id, providers)| (SubcontractorsOfContract(id), providers))
            .collect();
        if !missing.is_empty() {
            let rows = queries::subcontractors_by_contract_ids(&self.services.db, &missing).await?;
            let missing: Vec<SubcontractorsOfContract> =
                missing.into_iter().map(SubcontractorsOfContract).collect();
            for (key, pairs) in group(&missing, rows, |(id, _)| SubcontractorsOfContract(*id)) {
                let providers: Vec<ServiceProvider> = pairs.into_iter().map(|(_, p)| p).collect();
                kept.keep(key.0, providers.clone());
                answer.insert(key, providers);
            }
        }
        Ok(answer)
    }
}

/// Implements a loader of one value per key from a batch look-up returning values that carry
/// their key.
macro_rules! by_key {
    ($key:ident($inner:ty) => $value:ty, |$db:ident, $keys:ident| $fetch:expr, |$item:ident| $key_of:expr) => {
        #[doc = concat!("A `", stringify!($value), "` by its key.")]
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub $inner);

        impl Loader<$key> for RequestLoader {
            type Value = $value;
            type Error = Arc<AppError>;

            async fn load(&self, keys: &[$key]) -> LoadResult<$key, $value> {
                let $db = &self.services.db;
                let $keys: Vec<$inner> = keys.iter().map(|k| k.0.clone()).collect();
                let rows = $fetch.await?;
                Ok(rows
                    .into_iter()
                    .map(|$item| ($key($key_of), $item))
                    .collect())
            }
        }
    };
}

by_key!(ServiceCategoryById(Uuid) => ServiceCategory,
    |db, ids| queries::categories_by_ids(db, &ids), |c| c.id);
by_key!(ComplexityLevelById(Uuid) => ComplexityLevel,
    |db, ids| queries::complexity_levels_by_ids(db, &ids), |l| l.id);
by_key!(DesiredOutcomeById(Uuid) => DesiredOutcome,
    |db, ids| queries::desired_outcomes_by_ids(db, &ids), |o| o.id);
by_key!(PduByCode(String) => ProbationDeliveryUnit,
    |db, codes| queries::pdus_by_codes(db, &codes), |p| p.code.clone());
by_key!(WithdrawalReasonByCode(String) => WithdrawalReason,
    |db, codes| queries::withdrawal_reasons_by_codes(db, &codes), |r| r.code.clone());

/// A recorded user by id (their name as last seen).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UserById(pub UserId);

impl Loader<UserById> for RequestLoader {
    type Value = RecordedUser;
    type Error = Arc<AppError>;

    async fn load(&self, keys: &[UserById]) -> LoadResult<UserById, RecordedUser> {
        let kept = &self.services.kept.users;
        let (mut found, missing) = kept.split(keys.iter().map(|k| k.0.clone()));
        if !missing.is_empty() {
            for (id, user) in crate::db::users::find_many(&self.services.db, &missing).await? {
                kept.keep(id.clone(), user.clone());
                found.insert(id, user);
            }
        }
        Ok(found
            .into_iter()
            .map(|(id, user)| (UserById(id), user))
            .collect())
    }
}

/// The history of a referral the caller may already see, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EventsOfReferral(pub Uuid);

impl Loader<EventsOfReferral> for RequestLoader {
    type Value = Vec<ReferralEvent>;
    type Error = Arc<AppError>;

    async fn load(
        &self,
        keys: &[EventsOfReferral],
    ) -> LoadResult<EventsOfReferral, Vec<ReferralEvent>> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let rows = crate::db::referrals::events_of(&self.services.db, &ids).await?;
        Ok(group(keys, rows, |e| EventsOfReferral(e.referral_id)))
    }
}

/// The selected service categories of a referral the caller may already see.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SelectionsOfReferral(pub Uuid);

impl Loader<SelectionsOfReferral> for RequestLoader {
    type Value = Vec<SelectedCategory>;
    type Error = Arc<AppError>;

    async fn load(
        &self,
        keys: &[SelectionsOfReferral],
    ) -> LoadResult<SelectionsOfReferral, Vec<SelectedCategory>> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let rows = crate::db::referrals::selections(&self.services.db, &ids).await?;
        let grouped = group(keys, rows, |(id, _)| SelectionsOfReferral(*id));
        Ok(grouped
            .into_iter()
            .map(|(k, pairs)| (k, pairs.into_iter().map(|(_, s)| s).collect()))
            .collect())
    }
}

/// The case notes of a referral the caller may already see, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CaseNotesOfReferral(pub Uuid);

impl Loader<CaseNotesOfReferral> for RequestLoader {
    type Value = Vec<CaseNote>;
    type Error = Arc<AppError>;

    async fn load(
        &self,
        keys: &[CaseNotesOfReferral],
    ) -> LoadResult<CaseNotesOfReferral, Vec<CaseNote>> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let rows = crate::db::referrals::case_notes_of(&self.services.db, &ids).await?;
        Ok(group(keys, rows, |n| CaseNotesOfReferral(n.referral_id)))
    }
}

/// Implements a loader of the child rows of referrals the caller may already see, grouped by
/// referral.
macro_rules! children_of_referral {
    ($key:ident => $value:ty, $fetch:path) => {
        #[doc = concat!("The `", stringify!($value), "` rows of a referral the caller may already see.")]
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub Uuid);

        impl Loader<$key> for RequestLoader {
            type Value = Vec<$value>;
            type Error = Arc<AppError>;

            async fn load(&self, keys: &[$key]) -> LoadResult<$key, Vec<$value>> {
                let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
                let rows = $fetch(&self.services.db, &ids).await?;
                Ok(group(keys, rows, |row| $key(row.referral_id)))
            }
        }
    };
}

children_of_referral!(AppointmentsOfReferral => Appointment, crate::db::delivery::appointments_of);
children_of_referral!(PlansOfReferral => ActionPlan, crate::db::delivery::plans_of);
children_of_referral!(SessionsOfReferral => DeliverySession, crate::db::delivery::sessions_of);
children_of_referral!(ChangeLogOfReferral => ChangeLogEntry, crate::db::change_log::of);

/// The end-of-service report of a referral the caller may already see.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ReportOfReferral(pub Uuid);

impl Loader<ReportOfReferral> for RequestLoader {
    type Value = EndOfServiceReport;
    type Error = Arc<AppError>;

    async fn load(
        &self,
        keys: &[ReportOfReferral],
    ) -> LoadResult<ReportOfReferral, EndOfServiceReport> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let rows = crate::db::delivery::reports_of(&self.services.db, &ids).await?;
        Ok(rows
            .into_iter()
            .map(|r| (ReportOfReferral(r.referral_id), r))
            .collect())
    }
}
