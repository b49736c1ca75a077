//! The work queue's "feedback due": live appointments that have started without feedback,
//! earliest first. The live-by-start index alone walks every appointment with feedback before
//! the first without (half a million rows for the busiest provider at 100,000 referrals); this
//! partial index holds only the open bookings, a few thousand.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const FEEDBACK_DUE_BY_START: &str = "CREATE INDEX appointment_feedback_due_starts_at_id_idx \
     ON appointment (starts_at, id) \
     WHERE superseded_at IS NULL AND cancelled_at IS NULL AND feedback_submitted_at IS NULL";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(FEEDBACK_DUE_BY_START)
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX appointment_feedback_due_starts_at_id_idx")
            .await?;
        Ok(())
    }
}
