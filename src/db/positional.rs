//! Rows decoded by position: an entity's columns read in its entity's order from a given
//! offset of the row, for selects whose column list was rendered once from the same order
//! (`columns_of`), without formatting and hashing a column name per value.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ColumnType, DbErr, EntityTrait, IdenStatic, Iterable,
    QueryResult, TryIntoModel, Value,
};
use uuid::Uuid;

/// `"table"."column", …` for every column of `E`, in its entity's order.
pub(super) fn columns_of<E: EntityTrait + Default>() -> String {
    let table = E::default().table_name().to_owned();
    E::Column::iter()
        .map(|column| format!("\"{table}\".\"{}\"", column.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `E`'s first column is its primary key `id`.
pub(super) fn key_first<E: EntityTrait>() -> bool {
    E::Column::iter()
        .next()
        .is_some_and(|column| column.as_str() == "id")
}

/// How many columns `E` has.
pub(super) fn width<E: EntityTrait>() -> usize {
    E::Column::iter().count()
}

/// The model of `E` whose columns start at `start`, in its entity's order.
pub(super) fn model_at<E>(row: &QueryResult, start: usize) -> Result<E::Model, DbErr>
where
    E: EntityTrait,
    E::ActiveModel: ActiveModelTrait<Entity = E> + TryIntoModel<E::Model>,
{
    let mut model = <E::ActiveModel as ActiveModelTrait>::default();
    for (offset, column) in E::Column::iter().enumerate() {
        let value = value_at(row, start + offset, column.def().get_column_type())?;
        model.try_set(column, value)?;
    }
    model.try_into_model()
}

/// The value at `index`, read as the Rust type of `column_type` (the types our entities use).
fn value_at(row: &QueryResult, index: usize, column_type: &ColumnType) -> Result<Value, DbErr> {
    Ok(match column_type {
        ColumnType::Uuid => row.try_get_by_index::<Option<Uuid>>(index)?.into(),
        ColumnType::String(_) | ColumnType::Text => {
            row.try_get_by_index::<Option<String>>(index)?.into()
        }
        ColumnType::Integer => row.try_get_by_index::<Option<i32>>(index)?.into(),
        ColumnType::BigInteger => row.try_get_by_index::<Option<i64>>(index)?.into(),
        ColumnType::Boolean => row.try_get_by_index::<Option<bool>>(index)?.into(),
        ColumnType::Date => row
            .try_get_by_index::<Option<chrono::NaiveDate>>(index)?
            .into(),
        ColumnType::TimestampWithTimeZone => row
            .try_get_by_index::<Option<chrono::DateTime<chrono::Utc>>>(index)?
            .into(),
        other => {
            return Err(DbErr::Type(format!(
                "column {index} of type {other:?} is not decoded by position"
            )));
        }
    })
}
