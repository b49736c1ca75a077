//! Entities match the migrated schema: every entity can be read on a fresh database.

use sea_orm::{EntityTrait, QuerySelect};

use crate::support::TestApp;
use crs_api::db::entities::*;

macro_rules! read_one {
    ($db:expr, $($entity:ident),+) => {
        $( $entity::Entity::find().limit(1).all($db).await
            .unwrap_or_else(|e| panic!("entity {} does not match its table: {e}", stringify!($entity))); )+
    };
}

#[tokio::test]
async fn every_entity_matches_its_table() {
    let app = TestApp::spawn().await;
    read_one!(
        &app.db,
        app_user,
        complexity_level,
        contract,
        contract_subcontractor,
        contract_type,
        contract_type_service_category,
        desired_outcome,
        intervention,
        pcc_area,
        probation_delivery_unit,
        region,
        service_category,
        service_provider,
        withdrawal_reason,
        read_audit,
        idempotency_key,
        scheduled_job
    );
}

/// The referral rows the detail, the batch look-up and the dashboard read are decoded by
/// position: each model equals the one sea-orm decodes by column name from the same rows.
#[tokio::test]
async fn referral_rows_decoded_by_position_match_those_decoded_by_name() {
    use crs_api::db::referral_rows;
    use sea_orm::sea_query::Order;
    use sea_orm::{ConnectionTrait, QueryOrder};

    let app = TestApp::spawn_with(crate::support::Options::empty()).await;
    crate::synthetic::seed(&app, 120).await;
    let by_name = referral::Entity::find()
        .find_also_related(intervention::Entity)
        .find_also_related(contract::Entity)
        .order_by_asc(referral::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    let select = referral_rows::select()
        .order_by((referral::Entity, referral::Column::Id), Order::Asc)
        .take();
    let rows = app.db.query_all(&select).await.unwrap();
    assert_eq!(rows.len(), by_name.len());
    assert!(by_name.len() >= 120);
    for (row, (r, i, c)) in rows.iter().zip(by_name) {
        let (referral, joined) = referral_rows::models_of(row).unwrap();
        assert_eq!(referral, r);
        assert_eq!(joined, Some((i.unwrap(), c.unwrap())));
    }
}
