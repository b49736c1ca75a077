//! Draft retention (C2): drafts nobody changed for 90 days are deleted with every row under
//! them, sent referrals never; the purge runs from the command line and once a day inside the
//! server, where only one of several instances runs it. Time is injected: the purge is asked
//! to run as if it were later.

use chrono::{Duration, Utc};
use crs_api::service::retention::{self, DraftRetention};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::support::TestApp;
use crate::support::personas::pp;
use crate::support::steps::{
    UPDATE, complete_input_for, create_draft, first_choices, ok, sent_referral,
};

/// How many rows of `table` belong to referral `id`.
async fn rows_of(app: &TestApp, table: &str, column: &str, id: &str) -> i64 {
    let backend = app.db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => {
            format!("SELECT COUNT(*) AS n FROM {table} WHERE {column} = $1")
        }
        _ => format!("SELECT COUNT(*) AS n FROM {table} WHERE {column} = ?"),
    };
    let id = uuid::Uuid::parse_str(id).unwrap();
    let row = app
        .db
        .query_one_raw(Statement::from_sql_and_values(backend, sql, [id.into()]))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

/// A draft with its service categories chosen (rows under it), not sent.
async fn filled_draft(app: &TestApp, token: &str, first: &str) -> String {
    let draft = create_draft(app, token, "CRS-ACC-J-01", first, "Doe").await;
    let id = draft["id"].as_str().unwrap().to_owned();
    let (category, level, outcome) = first_choices(app, token, "CRS-ACC-J-01").await;
    ok(
        app,
        token,
        UPDATE,
        json!({ "id": id, "input": complete_input_for("CRS-ACC-J-01", &category, &level, &outcome) }),
        "updateDraftReferral",
    )
    .await;
    id
}

#[tokio::test]
async fn drafts_untouched_for_the_retention_period_go_with_everything_under_them() {
    let app = TestApp::spawn().await;
    let pp1 = app.token(&pp("pp-1"));
    let draft = filled_draft(&app, &pp1, "Ann").await;
    let (sent, _) = sent_referral(&app, &pp1, "CRS-ACC-J-01", "Ben", "Doe").await;
    assert!(rows_of(&app, "referral_service_category", "referral_id", &draft).await > 0);
    assert!(rows_of(&app, "referral_desired_outcome", "referral_id", &draft).await > 0);
    let retention = DraftRetention::default();
    let now = Utc::now();

    // 89 days on, nothing is due.
    let early = retention::purge_drafts(&app.db, retention, now + Duration::days(89), false)
        .await
        .unwrap();
    assert_eq!(early.drafts, 0);
    // 91 days on: a dry run counts the draft and deletes nothing…
    let later = now + Duration::days(91);
    let dry = retention::purge_drafts(&app.db, retention, later, true)
        .await
        .unwrap();
    assert_eq!((dry.drafts, dry.dry_run), (1, true));
    assert_eq!(rows_of(&app, "referral", "id", &draft).await, 1);
    // …and the purge deletes it with its rows; the sent referral, as old, stays.
    let purged = retention::purge_drafts(&app.db, retention, later, false)
        .await
        .unwrap();
    assert_eq!(purged.drafts, 1);
    for (table, column) in [
        ("referral", "id"),
        ("referral_service_category", "referral_id"),
        ("referral_desired_outcome", "referral_id"),
        ("referral_event", "referral_id"),
        ("notification", "referral_id"),
    ] {
        assert_eq!(rows_of(&app, table, column, &draft).await, 0, "{table}");
    }
    assert_eq!(rows_of(&app, "referral", "id", &sent).await, 1);
    assert!(rows_of(&app, "referral_event", "referral_id", &sent).await > 0);
    let query = "query($id: ID!) { referral(id: $id) { status } }";
    let data = app.data(&pp1, query, json!({ "id": sent })).await;
    assert_eq!(data["referral"]["status"], "SENT");
    let data = app.data(&pp1, query, json!({ "id": draft })).await;
    assert!(data["referral"].is_null(), "the draft is gone: {data}");
}

#[tokio::test]
async fn a_draft_changed_recently_is_kept() {
    let app = TestApp::spawn().await;
    let pp1 = app.token(&pp("pp-1"));
    let draft = filled_draft(&app, &pp1, "Ann").await;
    // The retention counts from the last change: a short retention, a change "now".
    let retention = DraftRetention {
        keep_for: std::time::Duration::from_secs(3600),
    };
    let soon = Utc::now() + Duration::minutes(30);
    let kept = retention::purge_drafts(&app.db, retention, soon, false)
        .await
        .unwrap();
    assert_eq!(kept.drafts, 0);
    assert_eq!(rows_of(&app, "referral", "id", &draft).await, 1);
}

#[tokio::test]
async fn the_daily_purge_is_run_by_one_instance_of_several_once_a_day() {
    let app = TestApp::spawn().await;
    let second = app.another_instance().await;
    let pp1 = app.token(&pp("pp-1"));
    filled_draft(&app, &pp1, "Ann").await;
    let retention = DraftRetention::default();
    let day = std::time::Duration::from_secs(24 * 3600);
    let now = Utc::now() + Duration::days(100);
    // Two instances ask at the same moment: one runs it.
    let (a, b) = tokio::join!(
        retention::scheduled_purge(&app.db, retention, now, day),
        retention::scheduled_purge(&second.db, retention, now, day),
    );
    let runs: Vec<u64> = [a.unwrap(), b.unwrap()]
        .into_iter()
        .flatten()
        .map(|outcome| outcome.drafts)
        .collect();
    assert_eq!(runs, vec![1], "one run, which deleted the draft");
    // An hour later it is not due; a day later it is again.
    let hour = retention::scheduled_purge(&app.db, retention, now + Duration::hours(1), day).await;
    assert_eq!(hour.unwrap(), None);
    let next =
        retention::scheduled_purge(&second.db, retention, now + Duration::hours(25), day).await;
    assert_eq!(next.unwrap().map(|o| o.drafts), Some(0));
}

#[tokio::test]
async fn the_purge_command_counts_on_a_dry_run_and_deletes_otherwise() {
    let app = TestApp::spawn().await;
    let pp1 = app.token(&pp("pp-1"));
    let old = filled_draft(&app, &pp1, "Ann").await;
    let recent = filled_draft(&app, &pp1, "Ben").await;
    // One draft last changed three days ago; the command runs with a two-day retention.
    let backend = app.db.get_database_backend();
    let three_days_ago = Utc::now() - Duration::days(3);
    let sql = match backend {
        sea_orm::DbBackend::Postgres => "UPDATE referral SET updated_at = $1 WHERE id = $2",
        _ => "UPDATE referral SET updated_at = ? WHERE id = ?",
    };
    app.db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [
                three_days_ago.into(),
                uuid::Uuid::parse_str(&old).unwrap().into(),
            ],
        ))
        .await
        .unwrap();
    let mut database = crate::support::database_of(&app);
    database.push(("CRS_DRAFT_RETENTION_DAYS", "2".into()));
    let (success, out, err) = crate::import::cli(&database, &["purge-drafts", "--dry-run"]);
    assert!(success, "{err}");
    assert!(out.starts_with("1 drafts not changed for 2 days"), "{out}");
    assert!(out.contains("nothing was deleted"));
    assert_eq!(rows_of(&app, "referral", "id", &old).await, 1);
    let (success, out, err) = crate::import::cli(&database, &["purge-drafts"]);
    assert!(success, "{err}");
    assert!(
        out.starts_with("1 drafts not changed for 2 days") && out.contains("deleted"),
        "{out}"
    );
    assert_eq!(rows_of(&app, "referral", "id", &old).await, 0);
    assert_eq!(rows_of(&app, "referral", "id", &recent).await, 1);
}
