//! Loads the reference catalogue (see `reference_data`).

use sea_orm_migration::prelude::*;

use crate::reference_data::{
    self, PCC_AREAS, PROBATION_DELIVERY_UNITS, REGIONS, WITHDRAWAL_REASONS, derived_id,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

const LEVELS: [&str; 3] = ["LOW", "MEDIUM", "HIGH"];
const LEVEL_TITLES: [&str; 3] = ["Low complexity", "Medium complexity", "High complexity"];

async fn insert(
    manager: &SchemaManager<'_>,
    table: &str,
    columns: &[&str],
    rows: Vec<Vec<SimpleExpr>>,
) -> Result<(), DbErr> {
    let mut statement = Query::insert();
    statement
        .into_table(table.to_owned())
        .columns(columns.iter().map(|c| (*c).to_owned()));
    for row in rows {
        statement
            .values(row)
            .map_err(|e| DbErr::Custom(format!("reference row for {table}: {e}")))?;
    }
    manager.exec_stmt(statement).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        insert(
            manager,
            "region",
            &["code", "name"],
            REGIONS
                .iter()
                .map(|(code, name)| vec![(*code).into(), (*name).into()])
                .collect(),
        )
        .await?;
        insert(
            manager,
            "pcc_area",
            &["code", "name", "region_code"],
            PCC_AREAS
                .iter()
                .map(|(code, name, region)| vec![(*code).into(), (*name).into(), (*region).into()])
                .collect(),
        )
        .await?;
        insert(
            manager,
            "probation_delivery_unit",
            &["code", "name", "pcc_area_code"],
            PROBATION_DELIVERY_UNITS
                .iter()
                .map(|(code, name, area)| vec![(*code).into(), (*name).into(), (*area).into()])
                .collect(),
        )
        .await?;

        let categories = reference_data::service_categories();
        insert(
            manager,
            "service_category",
            &["id", "name"],
            categories
                .iter()
                .map(|c| vec![c.id.into(), c.name.clone().into()])
                .collect(),
        )
        .await?;
        let mut levels = Vec::new();
        let mut outcomes = Vec::new();
        for category in &categories {
            for (i, description) in category.levels.iter().enumerate() {
                levels.push(vec![
                    derived_id(&format!("complexity-level:{}:{}", category.id, LEVELS[i])).into(),
                    category.id.into(),
                    LEVELS[i].into(),
                    LEVEL_TITLES[i].into(),
                    (*description).into(),
                ]);
            }
            for (position, description) in category.outcomes.iter().enumerate() {
                outcomes.push(vec![
                    derived_id(&format!("desired-outcome:{}:{position}", category.id)).into(),
                    category.id.into(),
                    <i32 as std::convert::TryFrom<usize>>::try_from(position)
                        .unwrap_or(i32::MAX)
                        .into(),
                    (*description).into(),
                ]);
            }
        }
        insert(
            manager,
            "complexity_level",
            &[
                "id",
                "service_category_id",
                "complexity",
                "title",
                "description",
            ],
            levels,
        )
        .await?;
        insert(
            manager,
            "desired_outcome",
            &["id", "service_category_id", "position", "description"],
            outcomes,
        )
        .await?;

        let types = reference_data::contract_types();
        insert(
            manager,
            "contract_type",
            &["code", "name", "reference_suffix"],
            types
                .iter()
                .map(|t| {
                    vec![
                        t.code.clone().into(),
                        t.name.clone().into(),
                        t.reference_suffix.clone().into(),
                    ]
                })
                .collect(),
        )
        .await?;
        let mut links = Vec::new();
        for contract_type in &types {
            for name in &contract_type.categories {
                let category = categories.iter().find(|c| &c.name == name).ok_or_else(|| {
                    DbErr::Custom(format!(
                        "contract type {} names an unknown category",
                        contract_type.code
                    ))
                })?;
                links.push(vec![contract_type.code.clone().into(), category.id.into()]);
            }
        }
        insert(
            manager,
            "contract_type_service_category",
            &["contract_type_code", "service_category_id"],
            links,
        )
        .await?;
        insert(
            manager,
            "withdrawal_reason",
            &["code", "description", "grouping", "position"],
            WITHDRAWAL_REASONS
                .iter()
                .enumerate()
                .map(|(position, (code, description, grouping))| {
                    vec![
                        (*code).into(),
                        (*description).into(),
                        (*grouping).into(),
                        <i32 as std::convert::TryFrom<usize>>::try_from(position)
                            .unwrap_or(i32::MAX)
                            .into(),
                    ]
                })
                .collect(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "withdrawal_reason",
            "contract_type_service_category",
            "contract_type",
            "desired_outcome",
            "complexity_level",
            "service_category",
            "probation_delivery_unit",
            "pcc_area",
            "region",
        ] {
            manager
                .exec_stmt(Query::delete().from_table(table.to_owned()).to_owned())
                .await?;
        }
        Ok(())
    }
}
