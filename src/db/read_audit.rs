//! The read audit's rows: written in batches, read by `crs-api read-audit`.

use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::entities::read_audit;
use crate::domain::read_audit::{AuditQuery, ReadRecord};
use crate::error::AppError;

/// Rows per `INSERT`: eight values each, well inside both engines' limits on bound values.
const ROWS_PER_INSERT: usize = 1_000;

/// Appends `records`.
pub async fn append(db: &impl ConnectionTrait, records: &[ReadRecord]) -> Result<(), AppError> {
    for chunk in records.chunks(ROWS_PER_INSERT) {
        let rows = chunk.iter().map(|r| read_audit::ActiveModel {
            id: Set(Uuid::now_v7()),
            at: Set(r.at),
            actor_id: Set(r.actor_id.clone()),
            actor_role: Set(r.actor_role.to_owned()),
            organisation: Set(r.organisation.clone()),
            referral_id: Set(r.referral_id),
            operation: Set(r.operation.clone()),
            request_id: Set(r.request_id),
        });
        read_audit::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// The records matching `query`, oldest first.
pub async fn find(
    db: &impl ConnectionTrait,
    query: &AuditQuery,
) -> Result<Vec<ReadRecord>, AppError> {
    let mut select = read_audit::Entity::find();
    if let Some(referral_id) = query.referral_id {
        select = select.filter(read_audit::Column::ReferralId.eq(referral_id));
    }
    if let Some(actor_id) = &query.actor_id {
        select = select.filter(read_audit::Column::ActorId.eq(actor_id.as_str()));
    }
    if let Some(from) = query.from {
        select = select.filter(read_audit::Column::At.gte(from));
    }
    if let Some(to) = query.to {
        select = select.filter(read_audit::Column::At.lt(to));
    }
    let rows = select
        .order_by_asc(read_audit::Column::At)
        .order_by_asc(read_audit::Column::Id)
        .limit(query.limit)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(record).collect())
}

fn record(row: read_audit::Model) -> ReadRecord {
    ReadRecord {
        at: row.at,
        actor_id: row.actor_id,
        actor_role: crate::domain::read_audit::role_code(&row.actor_role),
        organisation: row.organisation,
        referral_id: row.referral_id,
        operation: row.operation,
        request_id: row.request_id,
    }
}
