//! A PostgreSQL read replica (`CRS_DATABASE_REPLICA_URL`) against a real streaming replica:
//! dashboards are read from it, while writes, single-referral reads and a caller's reads
//! right after their own write use the primary. Replay on the replica is paused to tell the
//! two apart: what the primary has and the replica has not applied yet.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::json;

use crate::support::personas::{harbour, machine, pp};
use crate::support::replica::StreamingReplica;
use crate::support::steps::{dashboard, referral, seen, sent_referral};
use crate::support::{Options, TestApp};

#[tokio::test]
async fn dashboards_read_the_replica_and_a_writer_reads_their_own_writes() {
    let cluster = StreamingReplica::start();
    let app = TestApp::spawn_with(cluster.serving(Options::default())).await;
    let practitioner = app.token(&pp("pp-1"));
    let provider = app.token(&harbour("sp-1"));
    seen(&app, &provider).await;
    let (_, first) = sent_referral(&app, &practitioner, "CRS-ACC-J-01", "Ada", "One").await;
    cluster.wait_caught_up().await;
    assert_eq!(
        dashboard(&app, &provider, json!({})).await,
        vec![first.clone()]
    );

    cluster.pause_replay().await;
    let (second_id, second) = sent_referral(&app, &practitioner, "CRS-ACC-J-01", "Bo", "Two").await;
    // The provider has not written: their dashboard comes from the replica, which has not
    // applied the second referral yet.
    assert_eq!(
        dashboard(&app, &provider, json!({})).await,
        vec![first.clone()]
    );
    // The practitioner has just written: their dashboard comes from the primary.
    let own = dashboard(&app, &practitioner, json!({})).await;
    assert!(own.contains(&second), "{own:?}");
    // One referral is read from the primary, whoever asks.
    let found = referral(&app, &provider, &second_id, "reference").await;
    assert_eq!(found["reference"], json!(second));

    cluster.resume_replay().await;
    cluster.wait_caught_up().await;
    assert_eq!(
        dashboard(&app, &provider, json!({})).await,
        vec![second, first]
    );
}

/// A report read in parts over the facts' pages on the replica: the parts share one snapshot,
/// exported and imported on the standby, and add up every referral once.
#[tokio::test]
async fn a_report_read_in_parts_runs_on_the_replica() {
    let cluster = StreamingReplica::start();
    let app = TestApp::spawn_with(
        cluster
            .serving(Options::empty())
            .with("CRS_REPORT_SCAN_PARTS", "4")
            .with("CRS_REPORT_PART_PAGES", "1"),
    )
    .await;
    crate::synthetic::seed(&app, 300).await;
    cluster.wait_caught_up().await;
    let sent: i64 = app
        .db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT COUNT(*) FROM referral WHERE sent_at IS NOT NULL",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap();
    let machine = app.token(&machine());
    let data = app
        .data(
            &machine,
            "{ outcomeReport(groupBy: [PROVIDER]) { rows { referralsSent } totals { referralsSent } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["outcomeReport"]["totals"]["referralsSent"],
        json!(sent)
    );
    let rows: i64 = data["outcomeReport"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["referralsSent"].as_i64())
        .sum();
    assert!(rows <= sent && rows > 0, "{rows} of {sent}");
}
