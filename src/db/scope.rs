//! The catalogue look-up behind a provider user's scope: one statement.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query, UnionType};
use sea_orm::{ColumnTrait, ConnectionTrait};
use uuid::Uuid;

use super::entities::{contract, contract_subcontractor, service_provider};
use crate::domain::actor::ContractDelivery;
use crate::error::AppError;

/// Which of `provider_codes` are known providers, and the known contracts among `references`
/// with who delivers them, in one `UNION ALL` statement.
pub async fn lookup(
    db: &impl ConnectionTrait,
    provider_codes: &[String],
    references: &[String],
) -> Result<(Vec<String>, Vec<ContractDelivery>), AppError> {
    let mut providers = Query::select();
    providers
        .expr_as(Expr::cust("'P'"), Alias::new("kind"))
        .expr_as(
            Expr::col((service_provider::Entity, service_provider::Column::Code)),
            Alias::new("code"),
        )
        .expr_as(Expr::cust("NULL"), Alias::new("contract_id"))
        .expr_as(Expr::cust("NULL"), Alias::new("prime"))
        .expr_as(Expr::cust("NULL"), Alias::new("subcontractor"))
        .from(service_provider::Entity)
        .and_where(service_provider::Column::Code.is_in(provider_codes.iter().cloned()));
    let mut contracts = Query::select();
    contracts
        .expr(Expr::cust("'C'"))
        .column((contract::Entity, contract::Column::Reference))
        .column((contract::Entity, contract::Column::Id))
        .column((contract::Entity, contract::Column::PrimeProviderCode))
        .column((
            contract_subcontractor::Entity,
            contract_subcontractor::Column::ProviderCode,
        ))
        .from(contract::Entity)
        .join(
            JoinType::LeftJoin,
            contract_subcontractor::Entity,
            Expr::col((
                contract_subcontractor::Entity,
                contract_subcontractor::Column::ContractId,
            ))
            .equals((contract::Entity, contract::Column::Id)),
        )
        .and_where(
            Expr::col((contract::Entity, contract::Column::Reference))
                .is_in(references.iter().cloned()),
        );
    providers.union(UnionType::All, contracts);
    let rows = db.query_all(&providers).await?;

    let mut known = Vec::new();
    let mut deliveries: Vec<ContractDelivery> = Vec::new();
    for row in rows {
        let kind: String = row.try_get("", "kind")?;
        let code: String = row.try_get("", "code")?;
        if kind == "P" {
            known.push(code);
            continue;
        }
        let id: Uuid = row.try_get("", "contract_id")?;
        let prime: String = row.try_get("", "prime")?;
        let subcontractor: Option<String> = row.try_get("", "subcontractor")?;
        match deliveries.iter_mut().find(|d| d.id == id) {
            Some(delivery) => delivery.subcontractor_codes.extend(subcontractor),
            None => deliveries.push(ContractDelivery {
                id,
                reference: code,
                prime_provider_code: prime,
                subcontractor_codes: subcontractor.into_iter().collect(),
            }),
        }
    }
    Ok((known, deliveries))
}
