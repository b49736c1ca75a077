//! Referral rows with their intervention and contract, read by the detail, the batch look-up
//! and the dashboard page, and their conversion into domain referrals.
//!
//! The column list is rendered once (every column of the three tables, in their entities'
//! order) and rows are decoded by position (`positional`), so a page of rows costs neither a
//! prefixed alias per column to build and render nor a name to format and hash per column of
//! every row, as sea-orm's related selects do.

use std::sync::LazyLock;

use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};
use uuid::Uuid;

use super::catalogue::to_intervention;
use super::entities::{contract, intervention, referral};
use super::positional;
use crate::domain::actor::UserId;
use crate::domain::catalogue::Gender;
use crate::domain::draft::{DraftDetails, Location, LocationType, ServiceUser};
use crate::domain::journey::{DeliveryState, ReferralStatus};
use crate::domain::referral::{Referral, Withdrawal};
use crate::error::{AppError, internal};

/// The select list: the referral's columns, then its intervention's, then its contract's.
static COLUMNS: LazyLock<String> = LazyLock::new(|| {
    [
        positional::columns_of::<referral::Entity>(),
        positional::columns_of::<intervention::Entity>(),
        positional::columns_of::<contract::Entity>(),
    ]
    .join(", ")
});

/// Every column of a referral, its intervention and its contract; the caller adds the
/// conditions, order and limit.
pub fn select() -> SelectStatement {
    Query::select()
        .expr(Expr::cust(COLUMNS.as_str()))
        .from(referral::Entity)
        .left_join(
            intervention::Entity,
            Expr::col((referral::Entity, referral::Column::InterventionId))
                .equals((intervention::Entity, intervention::Column::Id)),
        )
        .left_join(
            contract::Entity,
            Expr::col((referral::Entity, referral::Column::ContractId))
                .equals((contract::Entity, contract::Column::Id)),
        )
        .take()
}

/// The referrals `select` (built on [`select`]) reads, in its order.
pub(super) async fn all(
    db: &impl ConnectionTrait,
    select: &SelectStatement,
) -> Result<Vec<Referral>, AppError> {
    db.query_all(select)
        .await?
        .iter()
        .map(referral_of)
        .collect()
}

/// One row of [`select`].
fn referral_of(row: &QueryResult) -> Result<Referral, AppError> {
    match models_of(row)? {
        (referral, Some((intervention, contract))) => to_referral(referral, intervention, contract),
        (referral, None) => Err(internal(
            "referral row",
            format!("referral {} has no intervention", referral.id),
        )),
    }
}

/// The three models of one row of [`select`], decoded by position; `None` where the referral
/// has no intervention (or contract) row.
pub fn models_of(
    row: &QueryResult,
) -> Result<
    (
        referral::Model,
        Option<(intervention::Model, contract::Model)>,
    ),
    DbErr,
> {
    let referral = positional::model_at::<referral::Entity>(row, 0)?;
    let start = positional::width::<referral::Entity>();
    let contract_start = start + positional::width::<intervention::Entity>();
    // Each joined table's first column is its primary key `id` (checked by `positional::key_first`): NULL
    // there means the join found no row.
    debug_assert!(
        positional::key_first::<intervention::Entity>()
            && positional::key_first::<contract::Entity>()
    );
    let joined = row.try_get_by_index::<Option<Uuid>>(start)?.is_some()
        && row
            .try_get_by_index::<Option<Uuid>>(contract_start)?
            .is_some();
    if !joined {
        return Ok((referral, None));
    }
    let intervention = positional::model_at::<intervention::Entity>(row, start)?;
    let contract = positional::model_at::<contract::Entity>(row, contract_start)?;
    Ok((referral, Some((intervention, contract))))
}

fn gender_from(code: &str) -> Option<Gender> {
    match code {
        "FEMALE" => Some(Gender::Female),
        "MALE" => Some(Gender::Male),
        "OTHER" => Some(Gender::Other),
        "NOT_KNOWN" => Some(Gender::NotKnown),
        _ => None,
    }
}

/// The domain referral of a referral row with its intervention and contract.
fn to_referral(
    r: referral::Model,
    i: intervention::Model,
    c: contract::Model,
) -> Result<Referral, AppError> {
    let status = ReferralStatus::from_code(&r.status).ok_or_else(|| {
        internal(
            "referral row",
            format!("unknown status on referral {}", r.id),
        )
    })?;
    let disabilities: Vec<String> = match &r.disabilities {
        Some(json) => serde_json::from_str(json).map_err(|_| {
            internal(
                "referral row",
                format!("unreadable disabilities on referral {}", r.id),
            )
        })?,
        None => Vec::new(),
    };
    let withdrawal = match (r.withdrawal_reason_code, r.withdrawn_at, r.withdrawn_by) {
        (Some(reason_code), Some(at), Some(by)) => Some(Withdrawal {
            reason_code,
            comments: r.withdrawal_comments,
            at,
            by: UserId(by),
            delivery_state: r
                .withdrawal_delivery_state
                .as_deref()
                .and_then(DeliveryState::from_code)
                .ok_or_else(|| {
                    internal(
                        "referral row",
                        format!("unknown withdrawal state on referral {}", r.id),
                    )
                })?,
        }),
        _ => None,
    };
    Ok(Referral {
        id: r.id,
        reference: r.reference,
        status,
        version: r.version,
        intervention: to_intervention(i, c)?,
        crn: r.crn,
        created_by: UserId(r.created_by),
        created_at: r.created_at,
        listed_at: r.listed_at,
        sent_at: r.sent_at,
        sent_by: r.sent_by.map(UserId),
        responsible_pp_id: r.responsible_pp_id.map(UserId),
        assigned_to_id: r.assigned_to_id.map(UserId),
        assigned_at: r.assigned_at,
        concluded_at: r.concluded_at,
        initial_contact_at: r.initial_contact_at,
        withdrawal,
        details: DraftDetails {
            service_user: ServiceUser {
                first_name: r.first_name,
                last_name: r.last_name,
                date_of_birth: r.date_of_birth,
                gender: r.gender.as_deref().and_then(gender_from),
                ethnicity: r.ethnicity,
                preferred_language: r.preferred_language,
                disabilities,
            },
            categories: Vec::new(),
            completion_deadline: r.completion_deadline,
            maximum_enforceable_days: r.maximum_enforceable_days,
            reason_for_referral: r.reason_for_referral,
            further_information: r.further_information,
            accessibility_needs: r.accessibility_needs,
            additional_needs_information: r.additional_needs_information,
            needs_interpreter: r.needs_interpreter,
            interpreter_language: r.interpreter_language,
            has_additional_responsibilities: r.has_additional_responsibilities,
            when_unavailable: r.when_unavailable,
            risk_information: r.risk_information,
            location: Location {
                location_type: r.location_type.as_deref().and_then(LocationType::from_code),
                prison_code: r.prison_code,
                expected_release_date: r.expected_release_date,
                expected_release_date_unknown_reason: r.expected_release_date_unknown_reason,
            },
            probation_delivery_unit_code: r.probation_delivery_unit_code,
            probation_office: r.probation_office,
        },
    })
}
