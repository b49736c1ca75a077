//! A column matched against a list of values: on PostgreSQL one array bound as one parameter
//! (`column = ANY($1)`), elsewhere an `IN` list.
//!
//! The application's PostgreSQL connections run generic plans (`plan_cache_mode`), and in a
//! generic plan `column IN ($1, …, $n)` is an array built from its n parameters again for every
//! row it is tested on, then searched from the start. A bound array is read once per
//! execution, and the statement's text no longer depends on the list's length, so one prepared
//! statement serves every caller.

use sea_orm::sea_query::{ArrayType, Expr, ExprTrait, PgFunc, SimpleExpr};
use sea_orm::{ColumnTrait, DbBackend, Value};
use uuid::Uuid;

/// `column` is one of `ids`.
pub fn uuid_any<C: ColumnTrait>(backend: DbBackend, column: C, ids: &[Uuid]) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => any_of_array(column, uuid_array(ids)),
        _ => column.is_in(ids.iter().copied()),
    }
}

/// `ids` as one bound `uuid[]` (PostgreSQL only), e.g. for `unnest`.
pub fn uuid_array(ids: &[Uuid]) -> SimpleExpr {
    array_of(ArrayType::Uuid, "uuid[]", ids.iter().map(|&id| id.into()))
}

/// `column` is one of `values`.
pub fn text_any<'a, C: ColumnTrait>(
    backend: DbBackend,
    column: C,
    values: impl IntoIterator<Item = &'a str>,
) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => {
            let values = values.into_iter().map(|v| v.into());
            any_of_array(column, array_of(ArrayType::String, "text[]", values))
        }
        _ => column.is_in(values),
    }
}

/// `column = ANY(CAST($1 AS sql_type))`: the cast changes nothing for the bound array, and
/// keeps the statement valid SQL when its values are written in (`capture-sql`).
fn any_of_array<C: ColumnTrait>(column: C, array: SimpleExpr) -> SimpleExpr {
    Expr::col(column.as_column_ref()).eq(PgFunc::any(array))
}

/// `CAST($1 AS sql_type)` of one bound array.
fn array_of(
    element: ArrayType,
    sql_type: &'static str,
    values: impl Iterator<Item = Value>,
) -> SimpleExpr {
    let array = Value::Array(element, Some(Box::new(values.collect())));
    Expr::val(array).cast_as(sql_type)
}
