//! `seed synthetic` on both engines: the national picture it makes, counters that agree with
//! the referrals, a service that reads and changes the loaded data as its own, and refusal of a
//! database that already has referrals.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use crs_api::http::auth::Claims;
use crs_api::service::{Services, seed};
use crs_api::synthetic::{ALL_REGIONS, Options};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::personas::machine;
use crate::support::steps::{ASSIGN, ok, seen};
use crate::support::{Options as AppOptions, TestApp};

/// The day the test data runs up to.
pub fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
}

/// Loads `referrals` synthetic referrals into the app's database.
pub async fn seed(app: &TestApp, referrals: u64) -> seed::SeedSummary {
    let options = Options {
        referrals,
        seed: 3,
        as_of: as_of(),
        regions: ALL_REGIONS,
    };
    seed::synthetic(&Services::new(app.db.clone()), options, |_| {})
        .await
        .expect("seeding")
}

async fn scalar(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("query")
        .expect("a row");
    row.try_get_by_index(0).expect("a number")
}

/// The referrals by (contract, status, assigned), counted from the rows and from the counters
/// (`referral_count`).
pub async fn counts(db: &DatabaseConnection) -> (BTreeMap<String, i64>, BTreeMap<String, i64>) {
    let backend = db.get_database_backend();
    let read = async |sql: &str| {
        let rows = db
            .query_all_raw(Statement::from_string(backend, sql))
            .await
            .expect("query");
        rows.iter()
            .map(|row| {
                let contract: Uuid = row.try_get_by_index(0).unwrap();
                let status: String = row.try_get_by_index(1).unwrap();
                let assigned: bool = row.try_get_by_index(2).unwrap();
                let n: i64 = row.try_get_by_index(3).unwrap();
                (format!("{contract}/{status}/{assigned}"), n)
            })
            .filter(|(_, n)| *n != 0)
            .collect::<BTreeMap<_, _>>()
    };
    let rows = read(
        "SELECT contract_id, status, assigned_to_id IS NOT NULL, COUNT(*) FROM referral \
         GROUP BY contract_id, status, assigned_to_id IS NOT NULL",
    )
    .await;
    let counters =
        read("SELECT contract_id, status, assigned, referrals FROM referral_count").await;
    (rows, counters)
}

/// The generated caseworker with the most contracts, as their token would name them.
async fn busiest_caseworker(app: &TestApp) -> Claims {
    let db = &app.db;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id, name, groups FROM app_user WHERE id LIKE 'sp-%' ORDER BY id",
        ))
        .await
        .unwrap();
    let mut best: Option<Claims> = None;
    for row in rows {
        let groups: Vec<String> =
            serde_json::from_str(&row.try_get_by_index::<String>(2).unwrap()).unwrap();
        if best.as_ref().is_none_or(|b| groups.len() > b.groups.len()) {
            best = Some(Claims {
                sub: row.try_get_by_index(0).unwrap(),
                name: row.try_get_by_index(1).unwrap(),
                email: None,
                authorities: vec!["ROLE_CRS_PROVIDER".into()],
                groups,
            });
        }
    }
    best.expect("generated caseworkers")
}

const PAGE: &str = "query($first: Int, $f: ReferralFilter) { referrals(first: $first, filter: $f) {
    totalCount edges { node { id reference status version sentAt
      serviceUser { crn firstName lastName } assignedTo { id name }
      intervention { title contract { reference primeProvider { name } subcontractors { name } } }
      history { kind } } } } }";

// On the server's own multi-threaded runtime, where a loader's batch can start on another
// thread: batching must still hold there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seeded_database_is_a_national_picture_the_service_reads_and_changes() {
    let app = TestApp::spawn_with(AppOptions::empty()).await;
    let summary = seed(&app, 600).await;
    assert_eq!(summary.referrals, 600);
    assert!(summary.providers >= 40, "{summary:?}");
    assert!(summary.contracts >= 150, "{summary:?}");
    let db = &app.db;
    assert_eq!(
        scalar(
            db,
            "SELECT COUNT(DISTINCT COALESCE(c.region_code, a.region_code)) FROM contract c \
             LEFT JOIN pcc_area a ON a.code = c.pcc_area_code WHERE c.reference LIKE 'NAT-%'"
        )
        .await,
        12,
        "contracts in every region"
    );
    assert!(scalar(db, "SELECT COUNT(*) FROM contract_subcontractor").await > 50);
    assert!(
        scalar(db, "SELECT COUNT(DISTINCT status) FROM referral").await >= 9,
        "most statuses even in a small set"
    );
    assert_eq!(scalar(db, "SELECT COUNT(*) FROM referral").await, 600);
    for table in [
        "referral_event",
        "appointment",
        "action_plan",
        "delivery_session",
        "end_of_service_report",
        "case_note",
        "notification",
        "referral_change_log",
    ] {
        assert!(
            scalar(db, &format!("SELECT COUNT(*) FROM {table}")).await > 0,
            "{table} is filled"
        );
    }
    let (rows, counters) = counts(db).await;
    assert_eq!(rows, counters, "the counters agree with the referrals");

    // The busiest caseworker's dashboard: every referral of their contracts, counted exactly,
    // at a constant number of statements.
    let caseworker = busiest_caseworker(&app).await;
    let token = app.token(&caseworker);
    let references: Vec<String> = caseworker
        .groups
        .iter()
        .filter_map(|g| g.strip_prefix("INT_CR_"))
        .map(|r| format!("'{r}'"))
        .collect();
    let in_scope = scalar(
        db,
        &format!(
            "SELECT COUNT(*) FROM referral r JOIN contract c ON c.id = r.contract_id \
             WHERE r.status <> 'DRAFT' AND c.reference IN ({})",
            references.join(", ")
        ),
    )
    .await;
    assert!(in_scope > 20, "{in_scope} referrals in scope");
    seen(&app, &token).await;
    let before = app.statements().await;
    let page = app.data(&token, PAGE, json!({ "first": 20 })).await;
    let cost = app.statements().await - before;
    assert_eq!(page["referrals"]["totalCount"], in_scope);
    let edges = page["referrals"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 20);
    assert!(cost <= 7, "{cost} statements for a page with histories");

    // The catalogue search over every generated contract, and a referral's history with its
    // actors, cost a few statements, not one per row.
    let search = "{ interventions { title contract { reference primeProvider { name } subcontractors { name } } } }";
    let before = app.statements().await;
    let found = app.data(&token, search, json!({})).await;
    let cost = app.statements().await - before;
    assert!(found["interventions"].as_array().unwrap().len() > 100);
    assert!(cost <= 5, "{cost} statements for the catalogue search");
    let detail = "query($id: ID!) { referral(id: $id) { history { kind actor { id name } } } }";
    let before = app.statements().await;
    let history = app
        .data(&token, detail, json!({ "id": edges[0]["node"]["id"] }))
        .await;
    let cost = app.statements().await - before;
    assert!(history["referral"]["history"].as_array().unwrap().len() > 1);
    assert!(cost <= 4, "{cost} statements for a referral's history");

    // An open referral is reassigned through the service like any other; the counters follow.
    let open = app
        .data(
            &token,
            PAGE,
            json!({ "first": 1, "f": { "open": true, "unassigned": false } }),
        )
        .await;
    let node = &open["referrals"]["edges"][0]["node"];
    let version = node["version"].as_i64().unwrap();
    let assigned = ok(
        &app,
        &token,
        ASSIGN,
        json!({ "id": node["id"], "to": caseworker.sub, "v": version }),
        "assignReferral",
    )
    .await;
    assert_eq!(assigned["version"], version + 1);
    assert_eq!(assigned["assignedTo"]["id"], caseworker.sub.as_str());
    let (rows, counters) = counts(db).await;
    assert_eq!(rows, counters);
}

#[tokio::test]
async fn seeding_refuses_a_database_that_has_referrals() {
    let app = TestApp::spawn_with(AppOptions::empty()).await;
    seed(&app, 50).await;
    let again = seed::synthetic(
        &Services::new(app.db.clone()),
        Options {
            referrals: 50,
            seed: 4,
            as_of: as_of(),
            regions: ALL_REGIONS,
        },
        |_| {},
    )
    .await;
    let error = format!("{:#}", again.expect_err("a second load is refused"));
    assert!(error.contains("already holds referrals"), "{error}");
    assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM referral").await, 50);
}

/// A load gathers the planner's statistics (its last step) with no statement timeout, as its
/// other statements run: at a million referrals that takes seconds, and it once ran on the pool
/// under the request statement timeout, so a seed on a busy machine failed at its very end. Here
/// another session's lock on a table it analyses (`referral_count`, which the load only writes
/// rows into) keeps it waiting past that timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_load_waits_for_its_statistics_past_the_request_statement_timeout() {
    use secrecy::ExposeSecret;
    let app =
        TestApp::spawn_with(AppOptions::empty().with("CRS_DATABASE_STATEMENT_TIMEOUT_MS", "300"))
            .await;
    let url = app.settings.database.url.expose_secret().to_owned();
    let other = sea_orm::Database::connect(url).await.unwrap();
    let lock = other.begin().await.unwrap();
    if crate::support::on_postgres() {
        lock.execute_unprepared("LOCK TABLE referral_count IN SHARE UPDATE EXCLUSIVE MODE")
            .await
            .unwrap();
    }
    let analysing = tokio::sync::Notify::new();
    let release = async {
        analysing.notified().await;
        tokio::time::sleep(std::time::Duration::from_millis(1_000)).await;
        lock.rollback().await.unwrap();
    };
    let options = Options {
        referrals: 50,
        seed: 5,
        as_of: as_of(),
        regions: ALL_REGIONS,
    };
    let services = Services::new(app.db.clone());
    let load = seed::synthetic(&services, options, |progress| {
        if matches!(progress, seed::SeedProgress::Step("analysing")) {
            analysing.notify_one();
        }
    });
    let (loaded, ()) = tokio::join!(load, release);
    assert_eq!(loaded.expect("the load waits and finishes").referrals, 50);
    assert_eq!(scalar(&app.db, "SELECT COUNT(*) FROM referral").await, 50);
}

const REPORT: &str = "query($by: [ReportDimension!]!) { outcomeReport(groupBy: $by) {
    rows { dimensions { value } referralsSent open completed cancelled prematurelyEnded
      withdrawals { referrals } assessmentsAttended assessmentsMissed sessionsPlanned
      sessionsAttended sessionsMissed outcomesAchieved outcomesPartiallyAchieved
      outcomesNotAchieved medianDaysToAssignment p90DaysToAssessment medianDaysToFirstSession
      concludedByDeadline deadlineReached }
    totals { referralsSent } } }";

#[tokio::test]
async fn loaded_report_facts_are_the_ones_the_use_cases_write() {
    let options = AppOptions::empty().with("CRS_SUPPRESSION_THRESHOLD", "2");
    let app = TestApp::spawn_with(options).await;
    seed(&app, 400).await;
    let machine = app.token(&machine());
    let groupings = [
        json!(["REGION", "AGE_BAND"]),
        json!(["SERVICE_CATEGORY", "COMPLEXITY"]),
        json!(["QUARTER", "ETHNICITY"]),
    ];
    let mut loaded = Vec::new();
    for by in &groupings {
        loaded.push(app.data(&machine, REPORT, json!({ "by": by })).await);
    }
    let sent = scalar(
        &app.db,
        "SELECT COUNT(*) FROM referral WHERE sent_at IS NOT NULL",
    )
    .await;
    assert_eq!(loaded[0]["outcomeReport"]["totals"]["referralsSent"], sent);
    // The same facts again, from the use cases' definitions over the stored records.
    for table in ["report_referral_category", "report_referral"] {
        app.db
            .execute_unprepared(&format!("DELETE FROM {table}"))
            .await
            .unwrap();
    }
    let written = crs_api::service::outcome_report::backfill(&app.db)
        .await
        .unwrap();
    assert_eq!(i64::try_from(written).unwrap(), sent);
    for (by, before) in groupings.iter().zip(loaded) {
        let after = app.data(&machine, REPORT, json!({ "by": by })).await;
        assert_eq!(after, before, "{by}");
    }
}

/// On PostgreSQL a report's statement is split over ranges of the facts table's pages, run at
/// once and merged: every report, by one or two dimensions, with or without a category
/// dimension, comes out as one statement reads it.
#[tokio::test]
async fn a_report_read_in_parts_of_the_facts_pages_is_the_report_read_at_once() {
    let options = AppOptions::empty()
        .with("CRS_SUPPRESSION_THRESHOLD", "2")
        .with("CRS_REPORT_SCAN_PARTS", "1");
    let app = TestApp::spawn_with(options).await;
    seed(&app, 400).await;
    let mut settings = app.settings.clone();
    settings.report_scan_parts = 4;
    settings.report_part_pages = 1;
    let split = app.another_instance_with(settings).await;
    if app.postgres_database().is_some() {
        // Enough pages that every statement is read in four parts.
        for table in ["report_referral", "report_referral_category"] {
            let sql = format!("SELECT CAST(pg_relation_size('{table}') / 8192 AS BIGINT) AS pages");
            let pages = scalar(&app.db, &sql).await;
            assert!(pages >= 4, "{table}: {pages} pages");
        }
    }
    let machine = app.token(&machine());
    for by in [
        json!(["PROVIDER"]),
        json!(["MONTH"]),
        json!(["SERVICE_CATEGORY"]),
        json!(["CONTRACT", "QUARTER"]),
        json!(["REGION", "COMPLEXITY"]),
    ] {
        let whole = app.data(&machine, REPORT, json!({ "by": by })).await;
        let parts = split.data(&machine, REPORT, json!({ "by": by })).await;
        assert!(
            whole["outcomeReport"]["totals"]["referralsSent"].as_i64() > Some(100),
            "{by}: {whole}"
        );
        assert_eq!(parts, whole, "{by}");
    }
}

#[tokio::test]
async fn the_performance_report_pages_through_a_providers_referrals() {
    use crs_api::http::auth::TokenVerifier;
    use crs_api::service::{performance_report, viewer};

    // Downloads read seven referrals a page, so the download streams many pages, two at once.
    let app = TestApp::spawn_with(AppOptions::empty().with("CRS_DOWNLOAD_PAGE_SIZE", "7")).await;
    seed(&app, 300).await;
    let caseworker = busiest_caseworker(&app).await;
    let token = app.token(&caseworker);
    let response = app
        .client
        .get(format!("{}/reports/provider-performance.csv", app.address))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body = response.text().await.unwrap();
    let text = body.strip_prefix('\u{feff}').unwrap();
    let mut downloaded: Vec<String> = csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap()[1].to_owned())
        .collect();
    // The file ends with its Filters and Note rows.
    let trailer = downloaded.split_off(downloaded.len() - 2);
    assert!(trailer[0].starts_with("none:") && trailer[1].starts_with("Times are UTC"));
    let in_scope = app.data(&token, PAGE, json!({ "first": 1 })).await["referrals"]["totalCount"]
        .as_u64()
        .unwrap();
    assert_eq!(downloaded.len() as u64, in_scope);
    assert!(in_scope > 20, "{in_scope}");

    // Read one page after another, seven at a time: the same lines in the same order.
    let services = Services::new(app.db.clone());
    let principal = TokenVerifier::new(&app.settings.jwt)
        .unwrap()
        .verify(&token)
        .unwrap();
    let scope = viewer::resolve(&services, &principal).await.unwrap();
    let query = performance_report::query(&scope, None, None)
        .unwrap()
        .paged(7);
    let (mut paged, mut after) = (Vec::new(), None);
    loop {
        let (lines, last) = performance_report::page(&services, &query, after)
            .await
            .unwrap();
        let Some(last) = last else { break };
        assert!(lines.len() <= 7);
        paged.extend(lines.iter().map(|l| l.referral_id.to_string()));
        after = Some(last);
    }
    assert_eq!(paged, downloaded);
}

/// Every figure of a report's totals.
const TOTALS: &str = "query($by: [ReportDimension!]!) { outcomeReport(groupBy: $by) {
    totals { suppressed referralsSent open completed cancelled prematurelyEnded
      withdrawals { referrals } assessmentsAttended assessmentsMissed sessionsPlanned
      sessionsAttended sessionsMissed appointmentsAttended appointmentsMissed outcomesAchieved
      outcomesPartiallyAchieved outcomesNotAchieved medianDaysToAssignment p90DaysToAssignment
      medianDaysToAssessment p90DaysToAssessment medianDaysToFirstSession
      p90DaysToFirstSession concludedByDeadline deadlineReached } } }";

/// The figures two reports' totals both publish (a figure either withholds is `null` there, as
/// the disclosure audit of each report's rows decides): each pair, by name.
fn published_in_both(a: &Value, b: &Value, at: &str, pairs: &mut Vec<(String, Value, Value)>) {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            for (name, value) in a.iter().filter(|(name, _)| *name != "suppressed") {
                published_in_both(value, &b[name], &format!("{at}.{name}"), pairs);
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{at}");
            for (i, (a, b)) in a.iter().zip(b).enumerate() {
                published_in_both(a, b, &format!("{at}[{i}]"), pairs);
            }
        }
        (Value::Null, _) | (_, Value::Null) => {}
        (a, b) => pairs.push((at.to_owned(), a.clone(), b.clone())),
    }
}

/// Beside a category dimension the totals are the other dimension's one-dimension report added
/// up: every count and percentile is that of every referral, whichever dimension it is, as the
/// report by region adds them up and the report by category alone counts them ungrouped.
#[tokio::test]
async fn the_totals_beside_a_category_dimension_are_those_of_every_referral() {
    let options = AppOptions::empty().with("CRS_SUPPRESSION_THRESHOLD", "2");
    let app = TestApp::spawn_with(options).await;
    seed(&app, 400).await;
    let machine = app.token(&machine());
    let totals = |by: Value| {
        let (app, machine) = (&app, &machine);
        async move {
            let data = app.data(machine, TOTALS, json!({ "by": by })).await;
            data["outcomeReport"]["totals"].clone()
        }
    };
    let everything = totals(json!(["REGION"])).await;
    assert_eq!(everything["suppressed"], false, "{everything}");
    assert!(
        everything["referralsSent"].as_i64() > Some(100),
        "{everything}"
    );
    assert!(
        everything["medianDaysToFirstSession"].is_number(),
        "{everything}"
    );
    let same_as_everything = |by: &Value, other: &Value| {
        let mut pairs = Vec::new();
        published_in_both(other, &everything, "totals", &mut pairs);
        // Counts, percentiles and most withdrawal reasons: all but a few withheld figures.
        assert!(pairs.len() >= 22, "{by}: {other}");
        for (at, theirs, ours) in pairs {
            assert_eq!(theirs, ours, "{by}: {at}");
        }
    };
    let by_category = json!(["SERVICE_CATEGORY"]);
    same_as_everything(&by_category, &totals(by_category.clone()).await);
    let dimensions = crs_api::domain::outcome_report::Dimension::ALL;
    for category in dimensions.iter().filter(|d| d.per_category()) {
        for other in dimensions.iter().filter(|d| !d.per_category()) {
            for by in [
                json!([category.code(), other.code()]),
                json!([other.code(), category.code()]),
            ] {
                same_as_everything(&by, &totals(by.clone()).await);
            }
        }
    }
}

/// Each referral has exactly one category row marked `first_of_referral`, and beside a
/// category dimension the other dimension's margin and the totals (from the marked rows, or
/// under a category filter from a read of the referrals) are that dimension's own
/// one-dimension report, group by group: the counts the disclosure audit checks the rows
/// against.
#[tokio::test]
async fn the_margin_beside_a_category_dimension_is_the_other_dimensions_own_report() {
    use crs_api::db::outcome_report::{Reach, Reading, groups};
    use crs_api::domain::outcome_report::{Dimension, ReportFilter};

    let app = TestApp::spawn_with(AppOptions::empty()).await;
    seed(&app, 300).await;
    let backend = app.db.get_database_backend();
    let marks = app
        .db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT CAST((SELECT COUNT(*) FROM report_referral) AS BIGINT) AS referrals, \
             CAST(COUNT(*) AS BIGINT) AS marked, \
             CAST(COUNT(DISTINCT referral_id) AS BIGINT) AS marked_referrals \
             FROM report_referral_category WHERE first_of_referral = 1",
        ))
        .await
        .unwrap()
        .unwrap();
    let count = |column: &str| marks.try_get::<i64>("", column).unwrap();
    assert!(count("referrals") > 200);
    assert_eq!(count("marked"), count("referrals"));
    assert_eq!(count("marked_referrals"), count("referrals"));
    let category: Uuid = app
        .db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT service_category_id FROM report_referral_category \
             GROUP BY service_category_id ORDER BY COUNT(*) DESC LIMIT 1",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "service_category_id")
        .unwrap();
    // Statements cut into pieces of one page, so on PostgreSQL the pieces are merged too.
    let reading = Reading {
        limit: std::time::Duration::from_secs(60),
        parts: 2,
        part_pages: 1,
    };
    let today = as_of();
    let filters = [
        ReportFilter::default(),
        ReportFilter {
            service_category_ids: Some(vec![category]),
            ..ReportFilter::default()
        },
        ReportFilter {
            complexity: Some(vec!["HIGH".to_owned(), "LOW".to_owned()]),
            ..ReportFilter::default()
        },
    ];
    let sorted = |mut groups: Vec<crs_api::db::outcome_report::Group>| {
        groups.sort_by(|a, b| a.values.cmp(&b.values));
        groups
    };
    // The rows themselves: one per category, each counting that category's rows, marked or
    // not.
    let per_category: BTreeMap<String, u64> = app
        .db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT service_category_id, CAST(COUNT(*) AS BIGINT) AS referrals \
             FROM report_referral_category GROUP BY service_category_id",
        ))
        .await
        .unwrap()
        .iter()
        .map(|row| {
            let category: Uuid = row.try_get("", "service_category_id").unwrap();
            let referrals: i64 = row.try_get("", "referrals").unwrap();
            (category.to_string(), u64::try_from(referrals).unwrap())
        })
        .collect();
    let by_category = groups(
        &app.db,
        reading,
        &Reach(None),
        &ReportFilter::default(),
        &[Dimension::ServiceCategory],
        today,
    )
    .await
    .unwrap();
    let rows: Vec<(String, u64)> = by_category
        .groups
        .iter()
        .map(|g| (g.values[0].clone(), g.figures.counts[0]))
        .collect();
    assert_eq!(rows.len(), per_category.len(), "one row per category");
    assert_eq!(rows.into_iter().collect::<BTreeMap<_, _>>(), per_category);
    for filter in &filters {
        let report = |by: Vec<Dimension>| {
            let (db, filter) = (&app.db, filter);
            async move {
                groups(db, reading, &Reach(None), filter, &by, today)
                    .await
                    .unwrap()
            }
        };
        let everything = report(vec![Dimension::Region]).await;
        assert!(everything.totals.counts[0] > 0, "{filter:?}");
        for by in [
            vec![Dimension::ServiceCategory],
            vec![Dimension::ServiceCategory, Dimension::Complexity],
        ] {
            let only_categories = report(by.clone()).await;
            assert_eq!(
                only_categories.totals, everything.totals,
                "{by:?} {filter:?}"
            );
        }
        for category in Dimension::ALL.into_iter().filter(|d| d.per_category()) {
            for other in Dimension::ALL.into_iter().filter(|d| !d.per_category()) {
                let alone = report(vec![other]).await;
                let expected = sorted(alone.groups);
                for (by, d) in [(vec![category, other], 1), (vec![other, category], 0)] {
                    let pair = report(by.clone()).await;
                    let margin = pair.margins[d].clone().expect("a margin");
                    assert_eq!(sorted(margin), expected, "{by:?} {filter:?}");
                    assert_eq!(pair.totals, alone.totals, "{by:?} {filter:?}");
                    assert_eq!(pair.totals, everything.totals, "{by:?} {filter:?}");
                }
            }
        }
    }
}

/// The migration that adds the mark finds the rows the server would mark: the lowest category
/// of each referral 1, every other 0, and the reports by category are unchanged by it.
#[tokio::test]
async fn the_migration_marks_each_referrals_first_category_row_as_the_server_does() {
    use migration::{Migrator, MigratorTrait};
    let app = TestApp::spawn_with(AppOptions::empty().with("CRS_SUPPRESSION_THRESHOLD", "2")).await;
    seed(&app, 200).await;
    let machine = app.token(&machine());
    let marks = || async {
        app.db
            .query_all_raw(Statement::from_string(
                app.db.get_database_backend(),
                "SELECT referral_id, service_category_id, first_of_referral \
                 FROM report_referral_category ORDER BY referral_id, service_category_id",
            ))
            .await
            .unwrap()
            .iter()
            .map(|row| {
                let referral: Uuid = row.try_get("", "referral_id").unwrap();
                let category: Uuid = row.try_get("", "service_category_id").unwrap();
                let mark: i32 = row.try_get("", "first_of_referral").unwrap();
                (referral, category, mark)
            })
            .collect::<Vec<_>>()
    };
    let written = marks().await;
    let unmarked = written.iter().filter(|(_, _, mark)| *mark == 0).count();
    assert!(unmarked > 0, "some referrals have more than one category");
    let by = json!(["SERVICE_CATEGORY", "PROBATION_DELIVERY_UNIT"]);
    let before = app.data(&machine, REPORT, json!({ "by": by })).await;
    crate::support::migrate_down_through(&app.db, "m20261207_000018_first_category_of_referral")
        .await;
    Migrator::up(&app.db, None).await.unwrap();
    assert_eq!(marks().await, written);
    // A second marked row of a referral is refused (as a writer unaware of the mark would
    // leave one), and nothing of the statement is kept.
    let second_mark = app
        .db
        .execute_unprepared(
            "UPDATE report_referral_category SET first_of_referral = 1 \
             WHERE first_of_referral = 0",
        )
        .await;
    assert!(second_mark.is_err(), "{second_mark:?}");
    assert_eq!(marks().await, written);
    assert_eq!(
        app.data(&machine, REPORT, json!({ "by": by })).await,
        before
    );
}

#[tokio::test]
async fn every_grouping_by_two_dimensions_is_answered_on_generated_data() {
    let options = AppOptions::empty().with("CRS_SUPPRESSION_THRESHOLD", "5");
    let app = TestApp::spawn_with(options).await;
    seed(&app, 400).await;
    let machine = app.token(&machine());
    let dimensions = crs_api::domain::outcome_report::Dimension::ALL;
    for (i, first) in dimensions.iter().enumerate() {
        for second in &dimensions[i + 1..] {
            let by = json!([first.code(), second.code()]);
            let data = app.data(&machine, REPORT, json!({ "by": by })).await;
            assert!(data["outcomeReport"]["rows"].is_array(), "{by}");
        }
    }
}
