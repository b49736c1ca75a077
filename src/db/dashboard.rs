//! Dashboard SQL: one page of referrals and how many match, each one statement whatever the
//! page size or the number of referrals stored.
//!
//! - A page is in the query's order (sent date, completion deadline, reference or surname,
//!   either way, ties broken by id) after a keyset cursor of the last row's key and id.
//! - A provider's page is read contract by contract: for each contract in scope the first
//!   matching rows come off the `(contract_id, <key>, id)` index (at most a page each; the
//!   newest-first index also holds `status`, so it alone picks them), and the merged page
//!   keeps the first. The work is a page per contract, not the contract's history, so it does
//!   not grow with the number of referrals. On PostgreSQL the contracts are one bound array
//!   joined laterally to one branch; elsewhere a `UNION ALL` of branches. A search by name,
//!   reference or CRN and "assigned to me" are selective on their own indexes and are read in
//!   one piece.
//! - `totalCount` sums the counters of `referral_count` (kept by triggers) when the filters are
//!   ones it keys by (status, open, assigned or not, contract); other filters count rows.

use sea_orm::sea_query::{
    Alias, Asterisk, Expr, ExprTrait, Func, JoinType, NullOrdering, Order, Query, SelectStatement,
    SimpleExpr, UnionType,
};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbBackend, Statement, Value};
use uuid::Uuid;

use super::any_of;
use super::entities::{contract, referral, referral_count, referral_service_category};
use super::referral_rows;
use super::referrals::visible;
use crate::domain::journey::ReferralStatus;
use crate::domain::referral::{
    DashboardCursor, OrderField, OrderKey, Referral, ReferralAccess, ReferralOrder, ReferralQuery,
    Search,
};
use crate::error::{AppError, internal};

/// The concluded statuses (`open: false`).
const CONCLUDED: [ReferralStatus; 3] = [
    ReferralStatus::Completed,
    ReferralStatus::Cancelled,
    ReferralStatus::PrematurelyEnded,
];

/// Rows matching `query` within `access`.
fn query_condition(access: &ReferralAccess, query: &ReferralQuery) -> Condition {
    let mut condition = Condition::all().add(visible(access));
    match &query.statuses {
        Some(statuses) => {
            condition =
                condition.add(referral::Column::Status.is_in(statuses.iter().map(|s| s.code())));
        }
        None => {
            condition = condition.add(referral::Column::Status.ne(ReferralStatus::Draft.code()))
        }
    }
    if let Some(open) = query.open {
        let concluded = CONCLUDED.map(|s| s.code());
        condition = condition.add(if open {
            referral::Column::Status.is_not_in(concluded)
        } else {
            referral::Column::Status.is_in(concluded)
        });
    }
    match query.unassigned {
        Some(true) => condition = condition.add(referral::Column::AssignedToId.is_null()),
        Some(false) => condition = condition.add(referral::Column::AssignedToId.is_not_null()),
        None => {}
    }
    if let Some(user) = &query.assigned_to {
        condition = condition.add(referral::Column::AssignedToId.eq(user.0.clone()));
    }
    match &query.search {
        Some(Search::Reference(reference)) => {
            condition = condition.add(referral::Column::Reference.eq(reference.clone()))
        }
        Some(Search::Crn(crn)) => condition = condition.add(referral::Column::Crn.eq(crn.clone())),
        Some(Search::Name(words)) => {
            // One word: a last name. Several: any split into first and last names.
            let mut any = Condition::any();
            if let [last] = words.as_slice() {
                any = any.add(referral::Column::LastNameKey.eq(last.clone()));
            }
            for split in 1..words.len() {
                any = any.add(
                    Condition::all()
                        .add(referral::Column::FirstNameKey.eq(words[..split].join(" ")))
                        .add(referral::Column::LastNameKey.eq(words[split..].join(" "))),
                );
            }
            condition = condition.add(any);
        }
        None => {}
    }
    if let Some(crn) = &query.crn {
        condition = condition.add(referral::Column::Crn.eq(crn.clone()));
    }
    if let Some(reference) = &query.contract_reference {
        condition = condition
            .add(referral::Column::ContractId.in_subquery(contract_by_reference(reference)));
    }
    if let Some(category) = query.service_category_id {
        condition = condition.add(
            referral::Column::Id.in_subquery(
                Query::select()
                    .column(referral_service_category::Column::ReferralId)
                    .from(referral_service_category::Entity)
                    .and_where(referral_service_category::Column::ServiceCategoryId.eq(category))
                    .take(),
            ),
        );
    }
    // A sent referral is listed at its sending time: the same bounds on `listed_at` let the
    // dashboard indexes read just the range.
    if let Some(from) = query.sent_from {
        condition = condition
            .add(referral::Column::SentAt.gte(from))
            .add(referral::Column::ListedAt.gte(from));
    }
    if let Some(before) = query.sent_before {
        condition = condition
            .add(referral::Column::SentAt.lt(before))
            .add(referral::Column::ListedAt.lt(before));
    }
    condition
}

fn contract_by_reference(reference: &str) -> SelectStatement {
    Query::select()
        .column(contract::Column::Id)
        .from(contract::Entity)
        .and_where(contract::Column::Reference.eq(reference.to_owned()))
        .take()
}

/// The column an order sorts by.
fn order_column(field: OrderField) -> referral::Column {
    match field {
        OrderField::SentAt => referral::Column::ListedAt,
        OrderField::CompletionDeadline => referral::Column::CompletionDeadline,
        OrderField::Reference => referral::Column::Reference,
        OrderField::Surname => referral::Column::LastNameKey,
    }
}

/// A key as an SQL value; `None` for a missing one.
fn key_value(key: &OrderKey) -> Option<Value> {
    match key {
        OrderKey::Time(at) => Some((*at).into()),
        OrderKey::Day(day) => Some((*day).into()),
        OrderKey::Text(text) => Some(text.clone().into()),
        OrderKey::Missing => None,
    }
}

/// Whether rows without a value for the order's column may match: only drafts lack one (a
/// sent referral always has its deadline, reference and name), and only the listing time
/// is never missing.
fn may_miss_key(query: &ReferralQuery) -> bool {
    query.order.field != OrderField::SentAt
        && query
            .statuses
            .as_ref()
            .is_some_and(|only| only.contains(&ReferralStatus::Draft))
}

/// Rows after `cursor` in its order (ties broken by id the same way). Missing keys sort as
/// the largest: last ascending, first descending. The plain bound on the key lets an index
/// start at the cursor.
fn after(cursor: &DashboardCursor, may_miss: bool) -> Condition {
    let column = order_column(cursor.order.field);
    let descending = cursor.order.descending;
    let id_beyond = if descending {
        referral::Column::Id.lt(cursor.id)
    } else {
        referral::Column::Id.gt(cursor.id)
    };
    match key_value(&cursor.key) {
        Some(key) => {
            let (bound, strictly): (SimpleExpr, SimpleExpr) = if descending {
                (column.lte(key.clone()), column.lt(key.clone()))
            } else {
                (column.gte(key.clone()), column.gt(key.clone()))
            };
            let within = Condition::all().add(bound).add(
                Condition::any()
                    .add(strictly)
                    .add(Condition::all().add(column.eq(key)).add(id_beyond)),
            );
            if may_miss && !descending {
                Condition::any().add(within).add(column.is_null())
            } else {
                within
            }
        }
        None => {
            let among_missing = Condition::all().add(column.is_null()).add(id_beyond);
            if descending {
                Condition::any()
                    .add(among_missing)
                    .add(column.is_not_null())
            } else {
                among_missing
            }
        }
    }
}

/// The SQL direction of an order.
fn direction_of(order: ReferralOrder) -> Order {
    if order.descending {
        Order::Desc
    } else {
        Order::Asc
    }
}

/// Sorts `select` by the order (then id), naming where missing keys go only when they may
/// occur, so that an index on the key serves the order on both engines otherwise.
fn order_by(select: &mut SelectStatement, order: ReferralOrder, may_miss: bool) {
    let column = (referral::Entity, order_column(order.field));
    let direction = direction_of(order);
    if may_miss {
        let nulls = if order.descending {
            NullOrdering::First
        } else {
            NullOrdering::Last
        };
        select.order_by_with_nulls(column, direction.clone(), nulls);
    } else {
        select.order_by(column, direction.clone());
    }
    select.order_by((referral::Entity, referral::Column::Id), direction);
}

/// Whether `query` picks few rows through an index of its own (a name, a reference, a CRN, an
/// assignee), so the page is best read in one piece rather than contract by contract.
fn is_selective(query: &ReferralQuery) -> bool {
    query.search.is_some() || query.assigned_to.is_some() || query.crn.is_some()
}

/// The ids of the first `limit` matching rows in the query's order, read contract by contract:
/// each contract gives at most `limit` rows off its index, and the first `limit` of those are
/// kept.
fn first_by_contract(
    backend: DbBackend,
    contract_ids: &[Uuid],
    query: &ReferralQuery,
    cursor: Option<&DashboardCursor>,
    limit: u64,
) -> SelectStatement {
    let order = query.order;
    let direction = direction_of(order);
    let first_rows = match backend {
        DbBackend::Postgres => first_rows_lateral(contract_ids, query, cursor, limit),
        _ => first_rows_union(contract_ids, query, cursor, limit),
    };
    Query::select()
        .column(Alias::new("id"))
        .from_subquery(first_rows, Alias::new("first_rows"))
        .order_by(Alias::new("sort_key"), direction.clone())
        .order_by(Alias::new("id"), direction)
        .limit(limit)
        .take()
}

/// At most `limit` rows of one contract, by the contract's index: id and sort key, in order.
fn contract_branch(
    contract: SimpleExpr,
    query: &ReferralQuery,
    cursor: Option<&DashboardCursor>,
    limit: u64,
) -> SelectStatement {
    let column = order_column(query.order.field);
    let direction = direction_of(query.order);
    // Sent referrals matching the query; the contract is the branch's own.
    let mut condition = query_condition(&ReferralAccess::AllSent, query)
        .add(Expr::col((referral::Entity, referral::Column::ContractId)).eq(contract));
    if let Some(cursor) = cursor {
        condition = condition.add(after(cursor, false));
    }
    Query::select()
        .column((referral::Entity, referral::Column::Id))
        .expr_as(
            Expr::col((referral::Entity, column)),
            Alias::new("sort_key"),
        )
        .from(referral::Entity)
        .cond_where(condition)
        .order_by((referral::Entity, column), direction.clone())
        .order_by((referral::Entity, referral::Column::Id), direction)
        .limit(limit)
        .take()
}

/// PostgreSQL: one branch joined laterally to each contract of one bound array, so the
/// statement's text and plan are the same whatever the number of contracts, and the branch's
/// index scan is restarted per contract rather than planned and started once per branch.
fn first_rows_lateral(
    contract_ids: &[Uuid],
    query: &ReferralQuery,
    cursor: Option<&DashboardCursor>,
    limit: u64,
) -> SelectStatement {
    // `unnest(…) AS in_scope` names its one column `in_scope` too.
    let in_scope = Alias::new("in_scope");
    let contract = Expr::col((in_scope.clone(), in_scope.clone()));
    Query::select()
        .column(Asterisk)
        .from_function(
            Func::cust(Alias::new("unnest")).arg(any_of::uuid_array(contract_ids)),
            in_scope,
        )
        .join_lateral(
            JoinType::InnerJoin,
            contract_branch(contract, query, cursor, limit),
            Alias::new("per_contract"),
            Expr::cust("TRUE"),
        )
        .take()
}

/// Elsewhere: the branches of each contract in one `UNION ALL`.
fn first_rows_union(
    contract_ids: &[Uuid],
    query: &ReferralQuery,
    cursor: Option<&DashboardCursor>,
    limit: u64,
) -> SelectStatement {
    let mut branches: Option<SelectStatement> = None;
    for (i, &id) in contract_ids.iter().enumerate() {
        let branch = contract_branch(Expr::val(id), query, cursor, limit);
        // Each branch keeps its own ORDER BY and LIMIT inside a sub-select.
        let wrapped = Query::select()
            .column(Asterisk)
            .from_subquery(branch, Alias::new(format!("c{i}")))
            .take();
        match &mut branches {
            None => branches = Some(wrapped),
            Some(union) => {
                union.union(UnionType::All, wrapped);
            }
        }
    }
    branches.unwrap_or_else(|| {
        // No contract: nothing matches.
        Query::select()
            .column(referral::Column::Id)
            .expr_as(
                Expr::col(order_column(query.order.field)),
                Alias::new("sort_key"),
            )
            .from(referral::Entity)
            .and_where(Expr::val(1).eq(0))
            .take()
    })
}

/// The page query: `limit` rows with their intervention and contract, in the query's order.
fn page_select(
    backend: DbBackend,
    access: &ReferralAccess,
    query: &ReferralQuery,
    cursor: Option<&DashboardCursor>,
    limit: u64,
) -> SelectStatement {
    let may_miss = may_miss_key(query);
    let condition = match access {
        ReferralAccess::Contracts(ids) if ids.len() > 1 && !is_selective(query) => Condition::all()
            .add(
                referral::Column::Id
                    .in_subquery(first_by_contract(backend, ids, query, cursor, limit)),
            ),
        _ => {
            let mut condition = query_condition(access, query);
            if let Some(cursor) = cursor {
                condition = condition.add(after(cursor, may_miss));
            }
            condition
        }
    };
    let mut select = referral_rows::select().cond_where(condition).take();
    order_by(&mut select, query.order, may_miss);
    select.limit(limit);
    select
}

/// The SQL of a dashboard page (to inspect its plan).
pub fn page_statement(
    backend: DbBackend,
    access: &ReferralAccess,
    query: &ReferralQuery,
    cursor: Option<&DashboardCursor>,
    limit: u64,
) -> Statement {
    backend.build(&page_select(backend, access, query, cursor, limit))
}

/// One dashboard page in the query's order, after `cursor`; one statement. The bool says
/// whether more rows follow.
pub async fn list_page(
    db: &impl ConnectionTrait,
    access: &ReferralAccess,
    query: &ReferralQuery,
    cursor: Option<&DashboardCursor>,
    limit: u64,
) -> Result<(Vec<Referral>, bool), AppError> {
    let select = page_select(db.get_database_backend(), access, query, cursor, limit + 1);
    let mut page = referral_rows::all(db, &select).await?;
    let more = page.len() as u64 > limit;
    page.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok((page, more))
}

/// The statuses a maintained count adds up for `query`, when its filters are all ones
/// `referral_count` keys by; `None` when rows must be counted.
fn counted_statuses(access: &ReferralAccess, query: &ReferralQuery) -> Option<Vec<ReferralStatus>> {
    let countable = matches!(
        access,
        ReferralAccess::Contracts(_) | ReferralAccess::AllSent
    ) && query.assigned_to.is_none()
        && query.search.is_none()
        && query.crn.is_none()
        && query.service_category_id.is_none()
        && query.sent_from.is_none()
        && query.sent_before.is_none();
    if !countable {
        return None;
    }
    // Providers and machine clients never see drafts.
    Some(
        ReferralStatus::ALL
            .into_iter()
            .filter(|s| *s != ReferralStatus::Draft)
            .filter(|s| query.statuses.as_ref().is_none_or(|only| only.contains(s)))
            .filter(|s| query.open.is_none_or(|open| open != CONCLUDED.contains(s)))
            .collect(),
    )
}

/// The count query for `query`: a sum of counters, or a count of rows.
fn count_select(
    backend: DbBackend,
    access: &ReferralAccess,
    query: &ReferralQuery,
) -> SelectStatement {
    let Some(statuses) = counted_statuses(access, query) else {
        return Query::select()
            .expr(Expr::cust("COUNT(*)"))
            .from(referral::Entity)
            .cond_where(query_condition(access, query))
            .take();
    };
    let mut condition = Condition::all().add(any_of::text_any(
        backend,
        referral_count::Column::Status,
        statuses.iter().map(|s| s.code()),
    ));
    if let ReferralAccess::Contracts(ids) = access {
        condition = condition.add(any_of::uuid_any(
            backend,
            referral_count::Column::ContractId,
            ids,
        ));
    }
    if let Some(reference) = &query.contract_reference {
        condition = condition
            .add(referral_count::Column::ContractId.in_subquery(contract_by_reference(reference)));
    }
    if let Some(unassigned) = query.unassigned {
        condition = condition.add(referral_count::Column::Assigned.eq(!unassigned));
    }
    Query::select()
        .expr(Expr::cust("CAST(COALESCE(SUM(referrals), 0) AS BIGINT)"))
        .from(referral_count::Entity)
        .cond_where(condition)
        .take()
}

/// The SQL counting a dashboard's matches (to inspect its plan).
pub fn count_statement(
    backend: DbBackend,
    access: &ReferralAccess,
    query: &ReferralQuery,
) -> Statement {
    backend.build(&count_select(backend, access, query))
}

/// How many referrals match, whatever the page; one statement.
pub async fn count(
    db: &impl ConnectionTrait,
    access: &ReferralAccess,
    query: &ReferralQuery,
) -> Result<u64, AppError> {
    let row = db
        .query_one(&count_select(db.get_database_backend(), access, query))
        .await?;
    let counted: i64 = match row {
        Some(row) => row.try_get_by_index(0)?,
        None => 0,
    };
    u64::try_from(counted).map_err(|_| internal("counting referrals", "negative count"))
}
