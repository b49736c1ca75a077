//! Catalogue reads: reference data, providers, contracts and the intervention search.
//! The batch functions (`*_by_*`) serve the per-request DataLoaders: one statement per batch.

use chrono::NaiveDate;
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::entities::{
    complexity_level, contract, contract_subcontractor, contract_type,
    contract_type_service_category, desired_outcome, intervention, pcc_area,
    probation_delivery_unit, region, service_category, service_provider, withdrawal_reason,
};
use crate::domain::catalogue::{
    Complexity, ComplexityLevel, Contract, ContractArea, ContractType, DesiredOutcome, Eligibility,
    Gender, Intervention, InterventionFilter, PccArea, ProbationDeliveryUnit, ReferralWindow,
    Region, ServiceCategory, ServiceProvider, WithdrawalReason,
};
use crate::error::{AppError, internal};

/// Sorts by a name, byte by byte: the same order on SQLite and PostgreSQL, whose collations
/// differ.
fn sorted_by<T>(mut rows: Vec<T>, name: impl Fn(&T) -> &str) -> Vec<T> {
    rows.sort_by(|a, b| name(a).cmp(name(b)));
    rows
}

fn to_region(m: region::Model) -> Region {
    Region {
        code: m.code,
        name: m.name,
    }
}

fn to_pcc_area(m: pcc_area::Model) -> PccArea {
    PccArea {
        code: m.code,
        name: m.name,
        region_code: m.region_code,
    }
}

fn to_provider(m: service_provider::Model) -> ServiceProvider {
    ServiceProvider {
        code: m.code,
        name: m.name,
    }
}

fn to_contract_type(m: contract_type::Model) -> ContractType {
    ContractType {
        code: m.code,
        name: m.name,
        reference_suffix: m.reference_suffix,
    }
}

fn to_category(m: service_category::Model) -> ServiceCategory {
    ServiceCategory {
        id: m.id,
        name: m.name,
    }
}

fn to_pdu(m: probation_delivery_unit::Model) -> ProbationDeliveryUnit {
    ProbationDeliveryUnit {
        code: m.code,
        name: m.name,
        pcc_area_code: m.pcc_area_code,
    }
}

fn to_outcome(m: desired_outcome::Model) -> DesiredOutcome {
    DesiredOutcome {
        id: m.id,
        service_category_id: m.service_category_id,
        description: m.description,
    }
}

fn to_withdrawal_reason(m: withdrawal_reason::Model) -> WithdrawalReason {
    WithdrawalReason {
        code: m.code,
        description: m.description,
        grouping: m.grouping,
    }
}

fn to_level(m: complexity_level::Model) -> Result<ComplexityLevel, AppError> {
    let complexity = Complexity::from_code(&m.complexity).ok_or_else(|| {
        internal(
            "complexity level row",
            format!("unknown complexity in level {}", m.id),
        )
    })?;
    Ok(ComplexityLevel {
        id: m.id,
        service_category_id: m.service_category_id,
        complexity,
        title: m.title,
        description: m.description,
    })
}

/// Maps a stored contract row.
pub(crate) fn to_contract(m: contract::Model) -> Result<Contract, AppError> {
    let area = match (m.region_code, m.pcc_area_code) {
        (Some(region), None) => ContractArea::Region(region),
        (None, Some(area)) => ContractArea::PccArea(area),
        _ => {
            return Err(internal(
                "contract row",
                format!("contract {} has no single area", m.id),
            ));
        }
    };
    Ok(Contract {
        id: m.id,
        reference: m.reference,
        contract_type_code: m.contract_type_code,
        prime_provider_code: m.prime_provider_code,
        area,
        eligibility: Eligibility {
            minimum_age: m.minimum_age,
            maximum_age: m.maximum_age,
            allows_female: m.allows_female,
            allows_male: m.allows_male,
        },
        window: ReferralWindow {
            opens_on: m.referral_start_date,
            closes_after: m.referral_end_date,
        },
    })
}

pub(crate) fn to_intervention(
    i: intervention::Model,
    c: contract::Model,
) -> Result<Intervention, AppError> {
    Ok(Intervention {
        id: i.id,
        title: i.title,
        description: i.description,
        contract: to_contract(c)?,
    })
}

/// All 12 regions, by code.
pub async fn list_regions(db: &impl ConnectionTrait) -> Result<Vec<Region>, AppError> {
    let rows = region::Entity::find()
        .order_by_asc(region::Column::Code)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(to_region).collect())
}

/// Regions with the given codes.
pub async fn regions_by_codes(
    db: &impl ConnectionTrait,
    codes: &[String],
) -> Result<Vec<Region>, AppError> {
    let rows = region::Entity::find()
        .filter(region::Column::Code.is_in(codes.iter().cloned()))
        .order_by_asc(region::Column::Code)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(to_region).collect())
}

/// PCC areas with the given codes.
pub async fn pcc_areas_by_codes(
    db: &impl ConnectionTrait,
    codes: &[String],
) -> Result<Vec<PccArea>, AppError> {
    let rows = pcc_area::Entity::find()
        .filter(pcc_area::Column::Code.is_in(codes.iter().cloned()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(to_pcc_area).collect())
}

/// PCC areas of the given regions, by name.
pub async fn pcc_areas_by_region_codes(
    db: &impl ConnectionTrait,
    codes: &[String],
) -> Result<Vec<PccArea>, AppError> {
    let rows = pcc_area::Entity::find()
        .filter(pcc_area::Column::RegionCode.is_in(codes.iter().cloned()))
        .all(db)
        .await?;
    let areas = rows.into_iter().map(to_pcc_area).collect();
    Ok(sorted_by(areas, |a: &PccArea| &a.name))
}

/// Delivery units of the given PCC areas, by name.
pub async fn pdus_by_pcc_area_codes(
    db: &impl ConnectionTrait,
    codes: &[String],
) -> Result<Vec<ProbationDeliveryUnit>, AppError> {
    let rows = probation_delivery_unit::Entity::find()
        .filter(probation_delivery_unit::Column::PccAreaCode.is_in(codes.iter().cloned()))
        .all(db)
        .await?;
    let units = rows.into_iter().map(to_pdu).collect();
    Ok(sorted_by(units, |u: &ProbationDeliveryUnit| &u.name))
}

/// All contract types, by code.
pub async fn list_contract_types(db: &impl ConnectionTrait) -> Result<Vec<ContractType>, AppError> {
    let rows = contract_type::Entity::find()
        .order_by_asc(contract_type::Column::Code)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(to_contract_type).collect())
}

/// Contract types with the given codes.
pub async fn contract_types_by_codes(
    db: &impl ConnectionTrait,
    codes: &[String],
) -> Result<Vec<ContractType>, AppError> {
    let rows = contract_type::Entity::find()
        .filter(contract_type::Column::Code.is_in(codes.iter().cloned()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(to_contract_type).collect())
}

/// All service categories, by name.
pub async fn list_service_categories(
    db: &impl ConnectionTrait,
) -> Result<Vec<ServiceCategory>, AppError> {
    let rows = service_category::Entity::find().all(db).await?;
    Ok(sorted_by(
        rows.into_iter().map(to_category).collect(),
        |c: &ServiceCategory| &c.name,
    ))
}

/// The service categories of the given contract types, as (contract type code, category).
pub async fn categories_by_contract_type_codes(
    db: &impl ConnectionTrait,
    codes: &[String],
) -> Result<Vec<(String, ServiceCategory)>, AppError> {
    let rows = contract_type_service_category::Entity::find()
        .filter(
            contract_type_service_category::Column::ContractTypeCode.is_in(codes.iter().cloned()),
        )
        .all(db)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.service_category_id).collect();
    let categories = service_category::Entity::find()
        .filter(service_category::Column::Id.is_in(ids))
        .all(db)
        .await?;
    let mut pairs = Vec::with_capacity(rows.len());
    for category in categories {
        for link in rows.iter().filter(|r| r.service_category_id == category.id) {
            pairs.push((
                link.contract_type_code.clone(),
                to_category(category.clone()),
            ));
        }
    }
    Ok(sorted_by(pairs, |(_, c): &(String, ServiceCategory)| {
        &c.name
    }))
}

/// Complexity levels of the given categories, LOW to HIGH.
pub async fn complexity_levels_by_category_ids(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<ComplexityLevel>, AppError> {
    let rows = complexity_level::Entity::find()
        .filter(complexity_level::Column::ServiceCategoryId.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    let mut levels = rows
        .into_iter()
        .map(to_level)
        .collect::<Result<Vec<_>, AppError>>()?;
    levels.sort_by_key(|l| (l.service_category_id, l.complexity));
    Ok(levels)
}

/// Current (not deprecated) desired outcomes of the given categories, in their set order.
pub async fn desired_outcomes_by_category_ids(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<DesiredOutcome>, AppError> {
    let rows = desired_outcome::Entity::find()
        .filter(desired_outcome::Column::ServiceCategoryId.is_in(ids.iter().copied()))
        .filter(desired_outcome::Column::DeprecatedAt.is_null())
        .order_by_asc(desired_outcome::Column::Position)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(to_outcome).collect())
}

/// All withdrawal reasons, in their published order.
pub async fn list_withdrawal_reasons(
    db: &impl ConnectionTrait,
) -> Result<Vec<WithdrawalReason>, AppError> {
    let rows = withdrawal_reason::Entity::find()
        .order_by_asc(withdrawal_reason::Column::Position)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(to_withdrawal_reason).collect())
}

/// All providers, by name.
pub async fn list_providers(db: &impl ConnectionTrait) -> Result<Vec<ServiceProvider>, AppError> {
    let rows = service_provider::Entity::find().all(db).await?;
    Ok(sorted_by(
        rows.into_iter().map(to_provider).collect(),
        |p: &ServiceProvider| &p.name,
    ))
}

/// Providers with the given codes, by name.
pub async fn providers_by_codes(
    db: &impl ConnectionTrait,
    codes: &[String],
) -> Result<Vec<ServiceProvider>, AppError> {
    let rows = service_provider::Entity::find()
        .filter(service_provider::Column::Code.is_in(codes.iter().cloned()))
        .all(db)
        .await?;
    Ok(sorted_by(
        rows.into_iter().map(to_provider).collect(),
        |p: &ServiceProvider| &p.name,
    ))
}

/// Subcontractors of the given contracts, as (contract id, provider), by provider name.
pub async fn subcontractors_by_contract_ids(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<(Uuid, ServiceProvider)>, AppError> {
    let rows = contract_subcontractor::Entity::find()
        .find_also_related(service_provider::Entity)
        .filter(contract_subcontractor::Column::ContractId.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    let pairs = rows
        .into_iter()
        .filter_map(|(link, provider)| provider.map(|p| (link.contract_id, to_provider(p))))
        .collect();
    Ok(sorted_by(pairs, |(_, p): &(Uuid, ServiceProvider)| &p.name))
}

/// Contracts with the given ids.
pub async fn contracts_by_ids(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<Contract>, AppError> {
    let rows = contract::Entity::find()
        .filter(contract::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    rows.into_iter().map(to_contract).collect()
}

/// The region of a probation delivery unit (its PCC area's), or `None` for an unknown code.
pub async fn pdu_region(db: &impl ConnectionTrait, code: &str) -> Result<Option<String>, AppError> {
    let Some(unit) = probation_delivery_unit::Entity::find_by_id(code.to_owned())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    pcc_area_region(db, &unit.pcc_area_code).await
}

/// The region of a PCC area, or `None` for an unknown code.
pub async fn pcc_area_region(
    db: &impl ConnectionTrait,
    code: &str,
) -> Result<Option<String>, AppError> {
    Ok(pcc_area::Entity::find_by_id(code.to_owned())
        .one(db)
        .await?
        .map(|area| area.region_code))
}

/// Whether a PCC area with this code exists.
pub async fn pcc_area_exists(db: &impl ConnectionTrait, code: &str) -> Result<bool, AppError> {
    Ok(pcc_area::Entity::find_by_id(code.to_owned())
        .one(db)
        .await?
        .is_some())
}

/// The interventions matching `filter` whose contracts are open for referrals on `today`, by
/// title. One statement.
pub async fn search_interventions(
    db: &impl ConnectionTrait,
    filter: &InterventionFilter,
    today: NaiveDate,
) -> Result<Vec<Intervention>, AppError> {
    let mut condition = Condition::all()
        .add(contract::Column::ReferralStartDate.lte(today))
        .add(
            Condition::any()
                .add(contract::Column::ReferralEndDate.is_null())
                .add(contract::Column::ReferralEndDate.gte(today)),
        );
    if let Some(region) = &filter.region_code {
        condition = condition.add(
            Condition::any()
                .add(contract::Column::RegionCode.eq(region.clone()))
                .add(
                    contract::Column::PccAreaCode.in_subquery(
                        Query::select()
                            .column(pcc_area::Column::Code)
                            .from(pcc_area::Entity)
                            .and_where(pcc_area::Column::RegionCode.eq(region.clone()))
                            .to_owned(),
                    ),
                ),
        );
    }
    if let Some(area) = &filter.pcc_area_code {
        condition = condition.add(
            Condition::any()
                .add(contract::Column::PccAreaCode.eq(area.clone()))
                .add(
                    contract::Column::RegionCode.in_subquery(
                        Query::select()
                            .column(pcc_area::Column::RegionCode)
                            .from(pcc_area::Entity)
                            .and_where(pcc_area::Column::Code.eq(area.clone()))
                            .to_owned(),
                    ),
                ),
        );
    }
    if let Some(category) = filter.service_category_id {
        condition = condition.add(
            contract::Column::ContractTypeCode.in_subquery(
                Query::select()
                    .column(contract_type_service_category::Column::ContractTypeCode)
                    .from(contract_type_service_category::Entity)
                    .and_where(
                        contract_type_service_category::Column::ServiceCategoryId.eq(category),
                    )
                    .to_owned(),
            ),
        );
    }
    match filter.gender {
        Some(Gender::Female) => condition = condition.add(contract::Column::AllowsFemale.eq(true)),
        Some(Gender::Male) => condition = condition.add(contract::Column::AllowsMale.eq(true)),
        Some(Gender::Other | Gender::NotKnown) | None => {}
    }
    if let Some(age) = filter.age {
        condition = condition.add(contract::Column::MinimumAge.lte(age)).add(
            Condition::any()
                .add(contract::Column::MaximumAge.is_null())
                .add(contract::Column::MaximumAge.gte(age)),
        );
    }
    let rows = intervention::Entity::find()
        .find_also_related(contract::Entity)
        .filter(condition)
        .all(db)
        .await?;
    let mut found = rows
        .into_iter()
        .filter_map(|(i, c)| c.map(|c| to_intervention(i, c)))
        .collect::<Result<Vec<_>, _>>()?;
    found.sort_by(|a, b| a.title.cmp(&b.title).then(a.id.cmp(&b.id)));
    Ok(found)
}

/// The intervention with this id, whatever its referral window.
pub async fn find_intervention(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<Intervention>, AppError> {
    let row = intervention::Entity::find_by_id(id)
        .find_also_related(contract::Entity)
        .one(db)
        .await?;
    row.and_then(|(i, c)| c.map(|c| to_intervention(i, c)))
        .transpose()
}

/// Count of providers (the demo data loads when there are none).
pub async fn provider_count(db: &impl ConnectionTrait) -> Result<u64, AppError> {
    use sea_orm::PaginatorTrait;
    Ok(service_provider::Entity::find().count(db).await?)
}

/// Service categories with these ids.
pub async fn categories_by_ids(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<ServiceCategory>, AppError> {
    let rows = service_category::Entity::find()
        .filter(service_category::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(to_category).collect())
}

/// Complexity levels with these ids.
pub async fn complexity_levels_by_ids(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<ComplexityLevel>, AppError> {
    let rows = complexity_level::Entity::find()
        .filter(complexity_level::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    rows.into_iter().map(to_level).collect()
}

/// Desired outcomes with these ids, deprecated ones included (old referrals keep theirs).
pub async fn desired_outcomes_by_ids(
    db: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<DesiredOutcome>, AppError> {
    let rows = desired_outcome::Entity::find()
        .filter(desired_outcome::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(to_outcome).collect())
}

/// Probation delivery units with these codes.
pub async fn pdus_by_codes(
    db: &impl ConnectionTrait,
    codes: &[String],
) -> Result<Vec<ProbationDeliveryUnit>, AppError> {
    let rows = probation_delivery_unit::Entity::find()
        .filter(probation_delivery_unit::Column::Code.is_in(codes.iter().cloned()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(to_pdu).collect())
}

/// Withdrawal reasons with these codes.
pub async fn withdrawal_reasons_by_codes(
    db: &impl ConnectionTrait,
    codes: &[String],
) -> Result<Vec<WithdrawalReason>, AppError> {
    let rows = withdrawal_reason::Entity::find()
        .filter(withdrawal_reason::Column::Code.is_in(codes.iter().cloned()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(to_withdrawal_reason).collect())
}
