//! Schema migrations for crs-api, applied in order on start and by `crs-api migrate`.
//!
//! Rules: one logical change per file; table names are written here, never taken from the
//! application's entities; an applied migration is never edited (add a new one instead).

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_create_reference_tables;
mod m20261122_000002_load_reference_data;
mod m20261122_000003_create_providers_and_contracts;
mod m20261122_000004_create_app_user;
mod m20261122_000005_create_referrals;
mod m20261122_000006_record_user_groups;
mod m20261122_000007_create_delivery;
mod m20261130_000008_dashboard_counts_and_indexes;
mod m20261201_000009_create_outcome_report_facts;
mod m20261202_000010_report_category_with_referral_facts;
mod m20261203_000011_rebuild_report_facts;
mod m20261203_000012_create_outbox;
mod m20261203_000013_notify_both_sides;
mod m20261204_000014_working_day;
mod m20261204_000015_feedback_due_index;
mod m20261205_000016_personal_data_controls;
mod m20261206_000017_dashboard_covering_index;
mod m20261207_000018_first_category_of_referral;
mod reference_data;

/// The ordered list of migrations.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_reference_tables::Migration),
            Box::new(m20261122_000002_load_reference_data::Migration),
            Box::new(m20261122_000003_create_providers_and_contracts::Migration),
            Box::new(m20261122_000004_create_app_user::Migration),
            Box::new(m20261122_000005_create_referrals::Migration),
            Box::new(m20261122_000006_record_user_groups::Migration),
            Box::new(m20261122_000007_create_delivery::Migration),
            Box::new(m20261130_000008_dashboard_counts_and_indexes::Migration),
            Box::new(m20261201_000009_create_outcome_report_facts::Migration),
            Box::new(m20261202_000010_report_category_with_referral_facts::Migration),
            Box::new(m20261203_000011_rebuild_report_facts::Migration),
            Box::new(m20261203_000012_create_outbox::Migration),
            Box::new(m20261203_000013_notify_both_sides::Migration),
            Box::new(m20261204_000014_working_day::Migration),
            Box::new(m20261204_000015_feedback_due_index::Migration),
            Box::new(m20261205_000016_personal_data_controls::Migration),
            Box::new(m20261206_000017_dashboard_covering_index::Migration),
            Box::new(m20261207_000018_first_category_of_referral::Migration),
        ]
    }
}

/// Shared helpers for the table definitions.
pub(crate) mod util {
    use sea_orm_migration::prelude::*;
    use sea_orm_migration::schema::timestamp_with_time_zone_default_now;

    /// A named foreign key from `table.column` to `target.target_column`.
    pub fn fk(
        table: &str,
        column: &str,
        target: &str,
        target_column: &str,
    ) -> ForeignKeyCreateStatement {
        ForeignKey::create()
            .name(format!("{table}_{column}_fkey"))
            .from(table.to_owned(), column.to_owned())
            .to(target.to_owned(), target_column.to_owned())
            .on_delete(ForeignKeyAction::Restrict)
            .on_update(ForeignKeyAction::Restrict)
            .to_owned()
    }

    /// An index named after its table and columns.
    pub fn index(table: &str, columns: &[&str]) -> IndexCreateStatement {
        let mut index = Index::create();
        index
            .name(format!("{table}_{}_idx", columns.join("_")))
            .table(table.to_owned());
        for column in columns {
            index.col((*column).to_owned());
        }
        index.to_owned()
    }

    /// The `created_at` and `updated_at` columns every table carries.
    pub fn audit_columns(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
        table
            .col(timestamp_with_time_zone_default_now("created_at"))
            .col(timestamp_with_time_zone_default_now("updated_at"))
    }
}
