//! Reading the catalogue. Every role may read it; a token without one of our roles may not.

use chrono::{NaiveDate, Utc};
use uuid::Uuid;

use super::{Services, require_role};
use crate::db;
use crate::domain::actor::Scope;
use crate::domain::catalogue::{
    ContractType, Intervention, InterventionFilter, MAX_AGE, Region, ServiceCategory,
    ServiceProvider, WithdrawalReason, is_region_code, uk_date,
};
use crate::error::{AppError, FieldError, field_code};

/// Today's date in the UK, for referral windows.
pub fn today() -> NaiveDate {
    uk_date(Utc::now())
}

pub async fn regions(services: &Services, scope: &Scope) -> Result<Vec<Region>, AppError> {
    require_role(scope)?;
    db::catalogue::list_regions(&services.db).await
}

pub async fn contract_types(
    services: &Services,
    scope: &Scope,
) -> Result<Vec<ContractType>, AppError> {
    require_role(scope)?;
    db::catalogue::list_contract_types(&services.db).await
}

pub async fn service_categories(
    services: &Services,
    scope: &Scope,
) -> Result<Vec<ServiceCategory>, AppError> {
    require_role(scope)?;
    db::catalogue::list_service_categories(&services.db).await
}

pub async fn service_providers(
    services: &Services,
    scope: &Scope,
) -> Result<Vec<ServiceProvider>, AppError> {
    require_role(scope)?;
    db::catalogue::list_providers(&services.db).await
}

pub async fn withdrawal_reasons(
    services: &Services,
    scope: &Scope,
) -> Result<Vec<WithdrawalReason>, AppError> {
    require_role(scope)?;
    db::catalogue::list_withdrawal_reasons(&services.db).await
}

/// The catalogue search: interventions open for referrals today that match `filter`.
pub async fn search_interventions(
    services: &Services,
    scope: &Scope,
    filter: &InterventionFilter,
) -> Result<Vec<Intervention>, AppError> {
    require_role(scope)?;
    let mut problems = Vec::new();
    if let Some(region) = &filter.region_code
        && !is_region_code(region)
    {
        problems.push(FieldError::new("regionCode", field_code::INVALID_VALUE));
    }
    if let Some(area) = &filter.pcc_area_code
        && !db::catalogue::pcc_area_exists(&services.db, area).await?
    {
        problems.push(FieldError::new("pccAreaCode", field_code::INVALID_VALUE));
    }
    if filter.age.is_some_and(|age| !(0..=MAX_AGE).contains(&age)) {
        problems.push(FieldError::new("age", field_code::INVALID_VALUE));
    }
    if !problems.is_empty() {
        return Err(AppError::bad_input(
            "the intervention filter is invalid",
            problems,
        ));
    }
    db::catalogue::search_interventions(&services.db, filter, today()).await
}

/// One intervention, whatever its referral window; `None` when unknown.
pub async fn intervention(
    services: &Services,
    scope: &Scope,
    id: Uuid,
) -> Result<Option<Intervention>, AppError> {
    require_role(scope)?;
    db::catalogue::find_intervention(&services.db, id).await
}
