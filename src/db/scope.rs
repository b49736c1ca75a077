//! The catalogue look-ups behind scope resolution.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::entities::{contract, contract_subcontractor, service_provider};
use crate::domain::actor::ContractDelivery;
use crate::error::AppError;

/// The codes among `codes` that name known providers.
pub async fn known_provider_codes(
    db: &DatabaseConnection,
    codes: &[String],
) -> Result<Vec<String>, AppError> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    let rows = service_provider::Entity::find()
        .filter(service_provider::Column::Code.is_in(codes.iter().cloned()))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|p| p.code).collect())
}

/// The known contracts among `references`, with who delivers them. Two statements.
pub async fn contract_deliveries(
    db: &DatabaseConnection,
    references: &[String],
) -> Result<Vec<ContractDelivery>, AppError> {
    if references.is_empty() {
        return Ok(Vec::new());
    }
    let contracts = contract::Entity::find()
        .filter(contract::Column::Reference.is_in(references.iter().cloned()))
        .all(db)
        .await?;
    let subcontractors = contract_subcontractor::Entity::find()
        .filter(contract_subcontractor::Column::ContractId.is_in(contracts.iter().map(|c| c.id)))
        .all(db)
        .await?;
    Ok(contracts
        .into_iter()
        .map(|c| ContractDelivery {
            id: c.id,
            subcontractor_codes: subcontractors
                .iter()
                .filter(|s| s.contract_id == c.id)
                .map(|s| s.provider_code.clone())
                .collect(),
            reference: c.reference,
            prime_provider_code: c.prime_provider_code,
        })
        .collect())
}
