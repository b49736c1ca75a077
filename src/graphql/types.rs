//! GraphQL output types. Each wraps a domain value; child objects come through the request's
//! [`RequestLoader`](super::loaders::RequestLoader).

use std::hash::Hash;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, ID, Object, Result};

use super::context::loader;
use super::cost;
use super::enums::Complexity;
use super::error::from_loader;
use super::loaders::{
    CategoriesOfContractType, ContractTypeByCode, LevelsOfCategory, OutcomesOfCategory,
    PccAreaByCode, PccAreasOfRegion, PdusOfPccArea, ProviderByCode, RegionByCode, RequestLoader,
    SubcontractorsOfContract,
};
use super::scalars::Date;
use crate::domain::catalogue as cat;
use crate::error::{AppError, internal};

/// Loads one catalogue entry a stored reference points at; a dangling reference is internal.
async fn load_one<K>(
    ctx: &Context<'_>,
    key: K,
    what: &'static str,
) -> Result<<RequestLoader as Loader<K>>::Value>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    RequestLoader: Loader<K, Error = Arc<AppError>>,
{
    let loaded = loader(ctx)?.load_one(key).await.map_err(from_loader)?;
    loaded.ok_or_else(|| internal("catalogue reference", what).into())
}

/// Loads the children under `key`; none is an empty list.
async fn load_list<K, V>(ctx: &Context<'_>, key: K) -> Result<Vec<V>>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    V: Send + Sync + Clone + 'static,
    RequestLoader: Loader<K, Value = Vec<V>, Error = Arc<AppError>>,
{
    let loaded = loader(ctx)?.load_one(key).await.map_err(from_loader)?;
    Ok(loaded.unwrap_or_default())
}

#[derive(Clone, Debug)]
pub struct Region(pub cat::Region);

/// A probation region.
#[Object]
impl Region {
    /// Region code, `A` to `L`.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Region name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The police and crime commissioner areas in this region, by name.
    #[graphql(complexity = "cost::AREAS_PER_REGION * child_complexity")]
    async fn pcc_areas(&self, ctx: &Context<'_>) -> Result<Vec<PccArea>> {
        let areas = load_list(ctx, PccAreasOfRegion(self.0.code.clone())).await?;
        Ok(areas.into_iter().map(PccArea).collect())
    }
}

#[derive(Clone, Debug)]
pub struct PccArea(pub cat::PccArea);

/// A police and crime commissioner area.
#[Object]
impl PccArea {
    /// Area code, e.g. `avon-and-somerset`.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Area name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The region this area belongs to.
    async fn region(&self, ctx: &Context<'_>) -> Result<Region> {
        Ok(Region(
            load_one(
                ctx,
                RegionByCode(self.0.region_code.clone()),
                "region of a PCC area",
            )
            .await?,
        ))
    }
    /// The probation delivery units in this area, by name.
    #[graphql(complexity = "cost::UNITS_PER_AREA * child_complexity")]
    async fn probation_delivery_units(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<ProbationDeliveryUnit>> {
        let units = load_list(ctx, PdusOfPccArea(self.0.code.clone())).await?;
        Ok(units.into_iter().map(ProbationDeliveryUnit).collect())
    }
}

#[derive(Clone, Debug)]
pub struct ProbationDeliveryUnit(pub cat::ProbationDeliveryUnit);

/// A probation delivery unit (team area).
#[Object]
impl ProbationDeliveryUnit {
    /// Delivery unit code.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Delivery unit name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The PCC area this unit belongs to.
    async fn pcc_area(&self, ctx: &Context<'_>) -> Result<PccArea> {
        Ok(PccArea(
            load_one(
                ctx,
                PccAreaByCode(self.0.pcc_area_code.clone()),
                "PCC area of a PDU",
            )
            .await?,
        ))
    }
}

#[derive(Clone, Debug)]
pub struct ContractType(pub cat::ContractType);

/// A contract type, such as accommodation (`ACC`) or women's services (`WOS`).
#[Object]
impl ContractType {
    /// Contract type code.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Contract type name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The two letters that end the reference numbers of this type's referrals.
    async fn reference_suffix(&self) -> &str {
        &self.0.reference_suffix
    }
    /// The service categories a contract of this type offers, by name.
    #[graphql(complexity = "cost::CATEGORIES_PER_TYPE * child_complexity")]
    async fn service_categories(&self, ctx: &Context<'_>) -> Result<Vec<ServiceCategory>> {
        let categories = load_list(ctx, CategoriesOfContractType(self.0.code.clone())).await?;
        Ok(categories.into_iter().map(ServiceCategory).collect())
    }
}

#[derive(Clone, Debug)]
pub struct ServiceCategory(pub cat::ServiceCategory);

/// A service category (need area).
#[Object]
impl ServiceCategory {
    /// Stable id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Category name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Complexity levels, `LOW` to `HIGH`.
    #[graphql(complexity = "cost::LEVELS_PER_CATEGORY * child_complexity")]
    async fn complexity_levels(&self, ctx: &Context<'_>) -> Result<Vec<ComplexityLevel>> {
        let levels = load_list(ctx, LevelsOfCategory(self.0.id)).await?;
        Ok(levels.into_iter().map(ComplexityLevel).collect())
    }
    /// The outcomes a referral in this category may aim for (current ones only).
    #[graphql(complexity = "cost::OUTCOMES_PER_CATEGORY * child_complexity")]
    async fn desired_outcomes(&self, ctx: &Context<'_>) -> Result<Vec<DesiredOutcome>> {
        let outcomes = load_list(ctx, OutcomesOfCategory(self.0.id)).await?;
        Ok(outcomes.into_iter().map(DesiredOutcome).collect())
    }
}

#[derive(Clone, Debug)]
pub struct ComplexityLevel(pub cat::ComplexityLevel);

/// A complexity level of a service category.
#[Object]
impl ComplexityLevel {
    /// Stable id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// `LOW`, `MEDIUM` or `HIGH`.
    async fn complexity(&self) -> Complexity {
        self.0.complexity.into()
    }
    /// Short title, e.g. "Low complexity".
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Who this level is for.
    async fn description(&self) -> &str {
        &self.0.description
    }
}

#[derive(Clone, Debug)]
pub struct DesiredOutcome(pub cat::DesiredOutcome);

/// An outcome a referral may aim for.
#[Object]
impl DesiredOutcome {
    /// Stable id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// What achieving it means.
    async fn description(&self) -> &str {
        &self.0.description
    }
}

#[derive(Clone, Debug)]
pub struct ServiceProvider(pub cat::ServiceProvider);

/// A provider organisation.
#[Object]
impl ServiceProvider {
    /// Provider code (the `INT_SP_` group suffix).
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Provider name.
    async fn name(&self) -> &str {
        &self.0.name
    }
}

#[derive(Clone, Debug)]
pub struct Contract(pub cat::Contract);

/// A dynamic framework contract: one prime provider, any subcontractors, one region or PCC area.
#[Object]
impl Contract {
    /// Contract reference (the `INT_CR_` group suffix).
    async fn reference(&self) -> &str {
        &self.0.reference
    }
    /// The contract type.
    async fn contract_type(&self, ctx: &Context<'_>) -> Result<ContractType> {
        let key = ContractTypeByCode(self.0.contract_type_code.clone());
        Ok(ContractType(
            load_one(ctx, key, "contract type of a contract").await?,
        ))
    }
    /// The prime provider.
    async fn prime_provider(&self, ctx: &Context<'_>) -> Result<ServiceProvider> {
        let key = ProviderByCode(self.0.prime_provider_code.clone());
        Ok(ServiceProvider(
            load_one(ctx, key, "prime provider of a contract").await?,
        ))
    }
    /// Subcontractors, by name.
    #[graphql(complexity = "cost::SUBCONTRACTORS_PER_CONTRACT * child_complexity")]
    async fn subcontractors(&self, ctx: &Context<'_>) -> Result<Vec<ServiceProvider>> {
        let providers = load_list(ctx, SubcontractorsOfContract(self.0.id)).await?;
        Ok(providers.into_iter().map(ServiceProvider).collect())
    }
    /// The probation region: the contract's own, or its PCC area's.
    async fn region(&self, ctx: &Context<'_>) -> Result<Region> {
        let code = match &self.0.area {
            cat::ContractArea::Region(code) => code.clone(),
            cat::ContractArea::PccArea(area) => {
                load_one(ctx, PccAreaByCode(area.clone()), "PCC area of a contract")
                    .await?
                    .region_code
            }
        };
        Ok(Region(
            load_one(ctx, RegionByCode(code), "region of a contract").await?,
        ))
    }
    /// The PCC areas covered: every area of a region-wide contract, or the contract's one area.
    #[graphql(complexity = "cost::AREAS_PER_REGION * child_complexity")]
    async fn pcc_areas(&self, ctx: &Context<'_>) -> Result<Vec<PccArea>> {
        let areas = match &self.0.area {
            cat::ContractArea::Region(code) => {
                load_list(ctx, PccAreasOfRegion(code.clone())).await?
            }
            cat::ContractArea::PccArea(area) => {
                vec![load_one(ctx, PccAreaByCode(area.clone()), "PCC area of a contract").await?]
            }
        };
        Ok(areas.into_iter().map(PccArea).collect())
    }
    /// First day referrals may be made.
    async fn referral_start_date(&self) -> Date {
        Date(self.0.window.opens_on)
    }
    /// Last day referrals may be made; null while open-ended.
    async fn referral_end_date(&self) -> Option<Date> {
        self.0.window.closes_after.map(Date)
    }
}

#[derive(Clone, Debug)]
pub struct Intervention(pub cat::Intervention);

/// A service offered under one contract.
#[Object]
impl Intervention {
    /// Stable id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Title shown to practitioners.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// What the service offers.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// The contract it is delivered under.
    async fn contract(&self) -> Contract {
        Contract(self.0.contract.clone())
    }
    /// The service categories it offers (those of its contract type), by name.
    #[graphql(complexity = "cost::CATEGORIES_PER_TYPE * child_complexity")]
    async fn service_categories(&self, ctx: &Context<'_>) -> Result<Vec<ServiceCategory>> {
        let key = CategoriesOfContractType(self.0.contract.contract_type_code.clone());
        Ok(load_list(ctx, key)
            .await?
            .into_iter()
            .map(ServiceCategory)
            .collect())
    }
    /// Youngest age accepted.
    async fn minimum_age(&self) -> i32 {
        self.0.contract.eligibility.minimum_age
    }
    /// Oldest age accepted; null when there is no upper limit.
    async fn maximum_age(&self) -> Option<i32> {
        self.0.contract.eligibility.maximum_age
    }
    /// Whether women may be referred.
    async fn allows_female(&self) -> bool {
        self.0.contract.eligibility.allows_female
    }
    /// Whether men may be referred.
    async fn allows_male(&self) -> bool {
        self.0.contract.eligibility.allows_male
    }
    /// Whether the contract takes referrals today.
    async fn open_for_referrals(&self) -> bool {
        self.0
            .contract
            .window
            .is_open_on(crate::service::catalogue::today())
    }
}

#[derive(Clone, Debug)]
pub struct WithdrawalReason(pub cat::WithdrawalReason);

/// A reason a referral may be withdrawn.
#[Object]
impl WithdrawalReason {
    /// Three-letter code, e.g. `MOV`.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Readable description.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Grouping: `problem`, `user`, `sentence`, `early` or `other`.
    async fn grouping(&self) -> &str {
        &self.0.grouping
    }
}

/// Fetches, at once, what the catalogue search's selection will ask of each intervention's
/// contract (prime provider, subcontractors, contract type, categories, PCC areas), so the
/// resolvers find it in the request's cache however they are scheduled.
pub async fn prefetch_interventions(ctx: &Context<'_>, found: &[cat::Intervention]) -> Result<()> {
    use super::context::prime;

    let look = ctx.look_ahead();
    let contract = look.field("contract");
    let contracts = || found.iter().map(|i| &i.contract);
    let primes = async {
        if !contract.field("primeProvider").exists() {
            return Ok(());
        }
        prime(
            ctx,
            contracts().map(|c| ProviderByCode(c.prime_provider_code.clone())),
        )
        .await
    };
    let subcontractors = async {
        if !contract.field("subcontractors").exists() {
            return Ok(());
        }
        prime(ctx, contracts().map(|c| SubcontractorsOfContract(c.id))).await
    };
    let types = async {
        if !contract.field("contractType").exists() {
            return Ok(());
        }
        prime(
            ctx,
            contracts().map(|c| ContractTypeByCode(c.contract_type_code.clone())),
        )
        .await
    };
    let categories = async {
        if !look.field("serviceCategories").exists() {
            return Ok(());
        }
        let keys = contracts().map(|c| CategoriesOfContractType(c.contract_type_code.clone()));
        prime(ctx, keys).await
    };
    let areas = async {
        if !(contract.field("region").exists() || contract.field("pccAreas").exists()) {
            return Ok(());
        }
        let keys = contracts().filter_map(|c| match &c.area {
            cat::ContractArea::PccArea(area) => Some(PccAreaByCode(area.clone())),
            cat::ContractArea::Region(_) => None,
        });
        prime(ctx, keys).await
    };
    let (a, b, c, d, e) = futures_util::join!(primes, subcontractors, types, categories, areas);
    a.and(b).and(c).and(d).and(e)
}
