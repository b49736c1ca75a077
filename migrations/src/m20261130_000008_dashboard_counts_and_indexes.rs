//! Dashboards at national scale: referral counts kept by contract, status and assignment (so a
//! page's `totalCount` never counts rows), and indexes for the dashboard filters.
//!
//! `referral_count` is maintained by triggers on `referral`, in the transaction of the change
//! that moves a referral, so it always agrees with the referrals themselves. On PostgreSQL a
//! change that moves a referral between two counters updates them in a fixed order, so two
//! opposite moves on one contract cannot deadlock.

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{audit_columns, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_TRIGGER: &str = r#"
CREATE FUNCTION referral_count_add(c uuid, s varchar, a boolean, d bigint) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO referral_count (contract_id, status, assigned, referrals) VALUES (c, s, a, d)
  ON CONFLICT (contract_id, status, assigned)
  DO UPDATE SET referrals = referral_count.referrals + EXCLUDED.referrals
$$;

CREATE FUNCTION referral_count_track() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM referral_count_add(NEW.contract_id, NEW.status, NEW.assigned_to_id IS NOT NULL, 1);
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM referral_count_add(OLD.contract_id, OLD.status, OLD.assigned_to_id IS NOT NULL, -1);
  ELSIF (OLD.contract_id, OLD.status, OLD.assigned_to_id IS NOT NULL)
        IS DISTINCT FROM (NEW.contract_id, NEW.status, NEW.assigned_to_id IS NOT NULL) THEN
    IF (OLD.contract_id, OLD.status, OLD.assigned_to_id IS NOT NULL)
        < (NEW.contract_id, NEW.status, NEW.assigned_to_id IS NOT NULL) THEN
      PERFORM referral_count_add(OLD.contract_id, OLD.status, OLD.assigned_to_id IS NOT NULL, -1);
      PERFORM referral_count_add(NEW.contract_id, NEW.status, NEW.assigned_to_id IS NOT NULL, 1);
    ELSE
      PERFORM referral_count_add(NEW.contract_id, NEW.status, NEW.assigned_to_id IS NOT NULL, 1);
      PERFORM referral_count_add(OLD.contract_id, OLD.status, OLD.assigned_to_id IS NOT NULL, -1);
    END IF;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER referral_count_track AFTER INSERT OR UPDATE OR DELETE ON referral
FOR EACH ROW EXECUTE FUNCTION referral_count_track();
"#;

const SQLITE_TRIGGERS: [&str; 3] = [
    "CREATE TRIGGER referral_count_insert AFTER INSERT ON referral BEGIN
       INSERT INTO referral_count (contract_id, status, assigned, referrals)
       VALUES (NEW.contract_id, NEW.status, NEW.assigned_to_id IS NOT NULL, 1)
       ON CONFLICT (contract_id, status, assigned) DO UPDATE SET referrals = referrals + 1;
     END",
    "CREATE TRIGGER referral_count_delete AFTER DELETE ON referral BEGIN
       UPDATE referral_count SET referrals = referrals - 1
       WHERE contract_id = OLD.contract_id AND status = OLD.status
         AND assigned = (OLD.assigned_to_id IS NOT NULL);
     END",
    "CREATE TRIGGER referral_count_update AFTER UPDATE OF contract_id, status, assigned_to_id
       ON referral
       WHEN OLD.contract_id IS NOT NEW.contract_id OR OLD.status IS NOT NEW.status
         OR (OLD.assigned_to_id IS NULL) IS NOT (NEW.assigned_to_id IS NULL)
     BEGIN
       UPDATE referral_count SET referrals = referrals - 1
       WHERE contract_id = OLD.contract_id AND status = OLD.status
         AND assigned = (OLD.assigned_to_id IS NOT NULL);
       INSERT INTO referral_count (contract_id, status, assigned, referrals)
       VALUES (NEW.contract_id, NEW.status, NEW.assigned_to_id IS NOT NULL, 1)
       ON CONFLICT (contract_id, status, assigned) DO UPDATE SET referrals = referrals + 1;
     END",
];

/// Counts every referral already stored.
const BACKFILL: &str = "INSERT INTO referral_count (contract_id, status, assigned, referrals) \
     SELECT contract_id, status, assigned_to_id IS NOT NULL, COUNT(*) FROM referral \
     GROUP BY contract_id, status, assigned_to_id IS NOT NULL";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                audit_columns(
                    Table::create()
                        .table("referral_count")
                        .col(uuid("contract_id"))
                        .col(string("status"))
                        .col(boolean("assigned"))
                        .col(big_integer("referrals"))
                        .primary_key(
                            Index::create()
                                .name("referral_count_pkey")
                                .col("contract_id")
                                .col("status")
                                .col("assigned"),
                        ),
                )
                .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(POSTGRES_TRIGGER).await?;
            }
            _ => {
                for trigger in SQLITE_TRIGGERS {
                    db.execute_unprepared(trigger).await?;
                }
            }
        }
        db.execute_unprepared(BACKFILL).await?;

        // "Assigned to me", newest first.
        manager
            .drop_index(
                Index::drop()
                    .name("referral_assigned_to_id_idx")
                    .table("referral")
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("referral", &["assigned_to_id", "listed_at", "id"]))
            .await?;
        // The unassigned queue of a contract, newest first: a small index of the referrals
        // nobody has picked up yet.
        db.execute_unprepared(
            "CREATE INDEX referral_unassigned_contract_id_listed_at_id_idx \
             ON referral (contract_id, listed_at, id) WHERE assigned_to_id IS NULL",
        )
        .await?;
        // Referrals with a service category selected.
        manager
            .create_index(index(
                "referral_service_category",
                &["service_category_id", "referral_id"],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared(
                    "DROP TRIGGER referral_count_track ON referral; \
                     DROP FUNCTION referral_count_track(); \
                     DROP FUNCTION referral_count_add(uuid, varchar, boolean, bigint)",
                )
                .await?;
            }
            _ => {
                for name in [
                    "referral_count_insert",
                    "referral_count_delete",
                    "referral_count_update",
                ] {
                    db.execute_unprepared(&format!("DROP TRIGGER {name}"))
                        .await?;
                }
            }
        }
        manager
            .drop_table(Table::drop().table("referral_count").to_owned())
            .await?;
        for name in [
            "referral_service_category_service_category_id_referral_id_idx",
            "referral_unassigned_contract_id_listed_at_id_idx",
            "referral_assigned_to_id_listed_at_id_idx",
        ] {
            manager
                .drop_index(Index::drop().name(name).table("referral").to_owned())
                .await?;
        }
        manager
            .create_index(index("referral", &["assigned_to_id"]))
            .await?;
        Ok(())
    }
}
