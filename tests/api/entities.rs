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
