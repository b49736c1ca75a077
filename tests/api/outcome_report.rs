//! The outcome report: each measure on crafted journeys with known answers, who may run it over
//! what, small counts withheld (primary and secondary), and nothing that identifies a person.

use crs_api::db::entities::report_referral;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::support::personas::{
    Actors, actors, claims, commissioner, harbour, machine, northern, outsider, pp,
};
use crate::support::steps::*;
use crate::support::{Options, TestApp, first_code};

const REPORT: &str = "query($f: OutcomeReportFilter, $by: [ReportDimension!]!) {
  outcomeReport(filter: $f, groupBy: $by) { groupBy suppressionThreshold
    rows { ...measures }
    totals { ...measures } } }
fragment measures on OutcomeReportRow {
  dimensions { dimension value label } suppressed
  referralsSent open completed cancelled prematurelyEnded withdrawals { grouping referrals }
  assessmentsAttended assessmentsMissed sessionsPlanned sessionsAttended sessionsMissed
  appointmentsAttended appointmentsMissed attendanceRate attritionRate
  outcomesAchieved outcomesPartiallyAchieved outcomesNotAchieved achievementRate
  medianDaysToAssignment p90DaysToAssignment medianDaysToAssessment p90DaysToAssessment
  medianDaysToFirstSession p90DaysToFirstSession
  concludedByDeadline deadlineReached concludedByDeadlineRate }";

async fn report(app: &TestApp, token: &str, filter: Value, by: &[&str]) -> Value {
    app.data(token, REPORT, json!({ "f": filter, "by": by }))
        .await["outcomeReport"]
        .clone()
}

/// A person as the practitioner records them.
struct Person {
    first: &'static str,
    gender: &'static str,
    ethnicity: &'static str,
    born: &'static str,
}

const ASH: Person = Person {
    first: "Ash",
    gender: "FEMALE",
    ethnicity: "White: Irish",
    born: "2003-05-17",
};

/// Sends a complete referral for `person` on `contract`; returns its id.
async fn send(app: &TestApp, pp: &str, contract: &str, person: &Person) -> String {
    let query =
        "mutation($input: CreateDraftReferralInput!) { createDraftReferral(input: $input) { id } }";
    let input = json!({
        "interventionId": intervention_id(contract),
        "crn": "X654321",
        "serviceUser": { "firstName": person.first, "lastName": "Rowe", "dateOfBirth": person.born,
                         "gender": person.gender, "ethnicity": person.ethnicity }
    });
    let id = ok(
        app,
        pp,
        query,
        json!({ "input": input }),
        "createDraftReferral",
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    complete_and_send(app, pp, contract, &id).await;
    id
}

/// The provider reports every desired outcome at `level`.
async fn end_of_service(app: &TestApp, sp: &str, id: &str, level: &str) {
    let outcomes: Vec<Value> = desired_outcomes(app, sp, id)
        .await
        .into_iter()
        .map(|o| json!({ "desiredOutcomeId": o, "achievementLevel": level }))
        .collect();
    ok(
        app,
        sp,
        SUBMIT_REPORT,
        json!({ "id": id, "input": { "outcomes": outcomes } }),
        "submitEndOfServiceReport",
    )
    .await;
}

async fn assessed(app: &TestApp, sp: &str, id: &str, attendance: Value) {
    assign(app, sp, id).await;
    let appointment = schedule(app, sp, id, phone("ASSESSMENT", None, &past_start())).await;
    record(app, sp, &appointment, attendance).await;
}

/// Ten journeys on CRS-ACC-J-01 (region J): four completed (assessment, three sessions with one
/// missed; two outcomes achieved, two partially), two ended early (one session of two, then
/// withdrawn, outcomes not achieved), two cancelled (assessment missed, withdrawn as a problem),
/// two open (one assigned).
async fn crafted_journeys(app: &TestApp) -> Vec<String> {
    let Actors { pp, sp } = actors(app);
    let mut ids = Vec::new();
    for level in [
        "ACHIEVED",
        "ACHIEVED",
        "PARTIALLY_ACHIEVED",
        "PARTIALLY_ACHIEVED",
    ] {
        let id = send(app, &pp, "CRS-ACC-J-01", &ASH).await;
        assessed(app, &sp, &id, attended()).await;
        submit_plan(app, &sp, &id, 3).await;
        hold_session(app, &sp, &id, 1, attended()).await;
        hold_session(app, &sp, &id, 2, missed()).await;
        hold_session(app, &sp, &id, 3, attended()).await;
        end_of_service(app, &sp, &id, level).await;
        ids.push(id);
    }
    for _ in 0..2 {
        let id = send(app, &pp, "CRS-ACC-J-01", &ASH).await;
        assessed(app, &sp, &id, attended()).await;
        submit_plan(app, &sp, &id, 2).await;
        hold_session(app, &sp, &id, 1, attended()).await;
        withdraw(app, &pp, &id, "WOR").await;
        end_of_service(app, &sp, &id, "NOT_ACHIEVED").await;
        ids.push(id);
    }
    for _ in 0..2 {
        let id = send(app, &pp, "CRS-ACC-J-01", &ASH).await;
        assessed(app, &sp, &id, missed()).await;
        withdraw(app, &pp, &id, "INE").await;
        ids.push(id);
    }
    let assigned = send(app, &pp, "CRS-ACC-J-01", &ASH).await;
    assign(app, &sp, &assigned).await;
    ids.push(assigned);
    ids.push(send(app, &pp, "CRS-ACC-J-01", &ASH).await);
    ids
}

fn low_threshold() -> Options {
    Options::default().with("CRS_SUPPRESSION_THRESHOLD", "2")
}

fn withdrawals(row: &Value) -> Vec<(String, Value)> {
    row["withdrawals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["grouping"].as_str().unwrap().to_owned(),
                w["referrals"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn every_measure_adds_up_the_journeys() {
    let app = TestApp::spawn_with(low_threshold()).await;
    crafted_journeys(&app).await;
    let cm = app.token(&commissioner(&["J"]));
    let data = report(&app, &cm, json!({}), &["REGION"]).await;
    assert_eq!(data["suppressionThreshold"], 2);
    assert_eq!(data["groupBy"], json!(["REGION"]));
    let rows = data["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(
        row["dimensions"],
        json!([{ "dimension": "REGION", "value": "J", "label": "London" }])
    );
    let expected = json!({
        "suppressed": false,
        "referralsSent": 10, "open": 2, "completed": 4, "cancelled": 2, "prematurelyEnded": 2,
        "assessmentsAttended": 6, "assessmentsMissed": 2,
        "sessionsPlanned": 16, "sessionsAttended": 10, "sessionsMissed": 4,
        "appointmentsAttended": 16, "appointmentsMissed": 6,
        "attendanceRate": 0.7273, "attritionRate": 0.5,
        "outcomesAchieved": 2, "outcomesPartiallyAchieved": 2, "outcomesNotAchieved": 2,
        "achievementRate": 0.3333,
        "medianDaysToAssignment": 0, "p90DaysToAssignment": 0,
        "medianDaysToAssessment": 0, "p90DaysToAssessment": 0,
        "medianDaysToFirstSession": 0, "p90DaysToFirstSession": 0,
        // Delivered by the deadline: the four completed and two ended early; the two
        // cancelled are neither on time nor late.
        "concludedByDeadline": 6, "deadlineReached": 6, "concludedByDeadlineRate": 1.0,
    });
    for (field, value) in expected.as_object().unwrap() {
        assert_eq!(&row[field], value, "{field}");
        assert_eq!(&data["totals"][field], value, "totals {field}");
    }
    assert_eq!(
        withdrawals(row),
        [
            ("problem".to_owned(), json!(2)),
            ("user".to_owned(), json!(2)),
            ("sentence".to_owned(), json!(0)),
            ("early".to_owned(), json!(0)),
            ("other".to_owned(), json!(0)),
        ]
    );
    assert_eq!(data["totals"]["dimensions"], json!([]));
}

#[tokio::test]
async fn percentiles_are_nearest_rank_on_both_engines() {
    let app = TestApp::spawn_with(low_threshold()).await;
    crafted_journeys(&app).await;
    // The nine assigned referrals took 1 to 9 days.
    let assigned = report_referral::Entity::find()
        .filter(report_referral::Column::DaysToAssignment.is_not_null())
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(assigned.len(), 9);
    for (days, row) in (1..).zip(assigned) {
        let mut row: report_referral::ActiveModel = row.into();
        row.days_to_assignment = Set(Some(days));
        row.update(&app.db).await.unwrap();
    }
    let cm = app.token(&commissioner(&["J"]));
    let data = report(&app, &cm, json!({}), &["CONTRACT"]).await;
    for row in [&data["rows"][0], &data["totals"]] {
        // Rank ⌈0.5 × 9⌉ = 5 and ⌈0.9 × 9⌉ = 9.
        assert_eq!(row["medianDaysToAssignment"], 5);
        assert_eq!(row["p90DaysToAssignment"], 9);
    }
}

#[tokio::test]
async fn facts_rebuilt_from_the_records_give_the_same_report() {
    let app = TestApp::spawn_with(low_threshold()).await;
    crafted_journeys(&app).await;
    let cm = app.token(&commissioner(&["J"]));
    let before = report(&app, &cm, json!({}), &["SERVICE_CATEGORY", "COMPLEXITY"]).await;
    crs_api::db::entities::report_referral_category::Entity::delete_many()
        .exec(&app.db)
        .await
        .unwrap();
    report_referral::Entity::delete_many()
        .exec(&app.db)
        .await
        .unwrap();
    let emptied = report(&app, &cm, json!({}), &["SERVICE_CATEGORY"]).await;
    assert_eq!(emptied["totals"]["referralsSent"], 0);
    let written = crs_api::service::outcome_report::backfill(&app.db)
        .await
        .unwrap();
    assert_eq!(written, 10);
    let after = report(&app, &cm, json!({}), &["SERVICE_CATEGORY", "COMPLEXITY"]).await;
    assert_eq!(before, after);
}

#[tokio::test]
async fn facts_rebuild_recomputes_every_sent_referral() {
    use sea_orm::ConnectionTrait;
    use secrecy::ExposeSecret;

    let app = TestApp::spawn_with(low_threshold()).await;
    crafted_journeys(&app).await;
    let cm = app.token(&commissioner(&["J"]));
    let before = report(&app, &cm, json!({}), &["SERVICE_CATEGORY", "COMPLEXITY"]).await;
    // Facts as a release before a measure's definition changed would have left them: every
    // referral has a row, so the start-up backfill sees nothing to do.
    app.db
        .execute_unprepared(
            "UPDATE report_referral SET sessions_attended = sessions_attended + 3, \
             days_to_assignment = NULL",
        )
        .await
        .unwrap();
    app.db
        .execute_unprepared("UPDATE report_referral_category SET outcomes_achieved = 0")
        .await
        .unwrap();
    assert_eq!(
        crs_api::service::outcome_report::backfill(&app.db)
            .await
            .unwrap(),
        0
    );
    let stale = report(&app, &cm, json!({}), &["SERVICE_CATEGORY", "COMPLEXITY"]).await;
    assert_ne!(stale, before);
    let url = app.settings.database.url.expose_secret().to_owned();
    let (ok, out, err) = crate::import::cli(&[("CRS_DATABASE_URL", url)], &["facts", "rebuild"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("outcome report facts rebuilt for 10 sent referrals"),
        "{out}"
    );
    let after = report(&app, &cm, json!({}), &["SERVICE_CATEGORY", "COMPLEXITY"]).await;
    assert_eq!(before, after);
}

/// Seven referrals in London (J) on Harbour Light's contract and three in the North East (A)
/// on Northern Steps'.
async fn two_regions(app: &TestApp) {
    let pp = app.token(&pp("pp-1"));
    for _ in 0..7 {
        send(app, &pp, "CRS-ACC-J-01", &ASH).await;
    }
    for _ in 0..3 {
        send(app, &pp, "CRS-ETE-A-01", &ASH).await;
    }
}

#[tokio::test]
async fn commissioners_count_their_regions_and_providers_their_contracts() {
    let app = TestApp::spawn_with(low_threshold()).await;
    two_regions(&app).await;
    let sent = |data: &Value| data["totals"]["referralsSent"].clone();
    let london = app.token(&commissioner(&["J"]));
    let north_east = app.token(&commissioner(&["A"]));
    let both = app.token(&commissioner(&["A", "J"]));
    assert_eq!(
        sent(&report(&app, &london, json!({}), &["REGION"]).await),
        7
    );
    assert_eq!(
        sent(&report(&app, &north_east, json!({}), &["REGION"]).await),
        3
    );
    let data = report(&app, &both, json!({}), &["REGION"]).await;
    assert_eq!(sent(&data), 10);
    let regions: Vec<&str> = data["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["dimensions"][0]["value"].as_str().unwrap())
        .collect();
    assert_eq!(regions, ["A", "J"]);
    // A filter cannot widen the scope.
    let outside = report(&app, &london, json!({ "regionCodes": ["A"] }), &["REGION"]).await;
    assert_eq!(sent(&outside), 0);
    assert_eq!(outside["rows"], json!([]));

    // Providers: their own contracts only, whatever they filter by.
    let harbour = app.token(&harbour("sp-1"));
    let northern = app.token(&northern("sp-2"));
    assert_eq!(
        sent(&report(&app, &harbour, json!({}), &["CONTRACT"]).await),
        7
    );
    assert_eq!(
        sent(&report(&app, &northern, json!({}), &["CONTRACT"]).await),
        3
    );
    let foreign = json!({ "contractReferences": ["CRS-ETE-A-01"] });
    assert_eq!(
        sent(&report(&app, &harbour, foreign, &["CONTRACT"]).await),
        0
    );

    // A machine client counts everything; practitioners and role-less callers are refused.
    let machine = app.token(&machine());
    assert_eq!(
        sent(&report(&app, &machine, json!({}), &["PROVIDER"]).await),
        10
    );
    for refused in [app.token(&pp("pp-1")), app.token(&outsider())] {
        let (status, body) = app.gql(&refused, REPORT, json!({ "by": ["REGION"] })).await;
        assert_eq!(status, 200);
        assert_eq!(first_code(&body), "FORBIDDEN", "{body}");
        assert!(body["data"].is_null());
    }
}

#[tokio::test]
async fn filters_narrow_the_count() {
    let app = TestApp::spawn_with(low_threshold()).await;
    two_regions(&app).await;
    let cm = app.token(&commissioner(&["A", "J"]));
    let sent = |data: Value| data["totals"]["referralsSent"].clone();
    let today = crs_api::domain::catalogue::uk_date(chrono::Utc::now());
    let tomorrow = (today + chrono::Duration::days(1)).to_string();
    let cases = [
        (json!({ "regionCodes": ["J"] }), 7),
        // Each referral's delivery unit is in its contract's region.
        (json!({ "pccAreaCodes": ["metropolitan"] }), 7),
        (json!({ "pccAreaCodes": ["northumbria"] }), 3),
        (
            json!({ "probationDeliveryUnitCodes": ["camden-and-islington"] }),
            7,
        ),
        (json!({ "probationDeliveryUnitCodes": ["elsewhere"] }), 0),
        (json!({ "providerCodes": ["NORTHERN_STEPS"] }), 3),
        (json!({ "contractReferences": ["CRS-ACC-J-01"] }), 7),
        (json!({ "contractTypeCodes": ["ACC"] }), 7),
        (json!({ "complexity": ["LOW", "MEDIUM", "HIGH"] }), 10),
        (
            json!({ "sentFrom": today.to_string(), "sentTo": today.to_string() }),
            10,
        ),
        (json!({ "sentFrom": tomorrow }), 0),
    ];
    for (filter, expected) in cases {
        let data = report(&app, &cm, filter.clone(), &["MONTH"]).await;
        assert_eq!(sent(data), expected, "{filter}");
    }
    // A category of the London contract's type only.
    let (category, _, _) = first_choices(&app, &app.token(&pp("pp-1")), "CRS-ACC-J-01").await;
    let data = report(
        &app,
        &cm,
        json!({ "serviceCategoryIds": [category] }),
        &["SERVICE_CATEGORY"],
    )
    .await;
    assert_eq!(sent(data.clone()), 7);
    assert_eq!(data["rows"][0]["dimensions"][0]["value"], category.as_str());
    assert_eq!(data["rows"][0]["dimensions"][0]["label"], "Accommodation");
}

#[tokio::test]
async fn bad_groupings_and_filters_are_coded_errors() {
    let app = TestApp::spawn().await;
    let cm = app.token(&commissioner(&["J"]));
    let field = |body: &Value| {
        (
            body["errors"][0]["extensions"]["fields"][0]["field"].clone(),
            body["errors"][0]["extensions"]["fields"][0]["code"].clone(),
        )
    };
    let cases = [
        (json!({ "by": [] }), ("groupBy", "INVALID_LENGTH")),
        (
            json!({ "by": ["REGION", "MONTH", "GENDER"] }),
            ("groupBy", "INVALID_LENGTH"),
        ),
        (
            json!({ "by": ["MONTH", "MONTH"] }),
            ("groupBy", "INVALID_VALUE"),
        ),
        (
            json!({ "by": ["MONTH"], "f": { "sentFrom": "2025-02-01", "sentTo": "2025-01-01" } }),
            ("sentTo", "INVALID_VALUE"),
        ),
        (
            json!({ "by": ["MONTH"], "f": { "serviceCategoryIds": ["not-a-uuid"] } }),
            ("serviceCategoryIds", "INVALID_FORMAT"),
        ),
    ];
    for (variables, (name, code)) in cases {
        let (status, body) = app.gql(&cm, REPORT, variables.clone()).await;
        assert_eq!(status, 200);
        assert_eq!(first_code(&body), "BAD_USER_INPUT", "{variables}: {body}");
        assert_eq!(field(&body), (json!(name), json!(code)), "{variables}");
    }
    // An unknown dimension is refused by the schema.
    let (_, body) = app.gql(&cm, REPORT, json!({ "by": ["CRN"] })).await;
    assert!(body["errors"].is_array());
    assert!(body["data"].is_null());
}

#[tokio::test]
async fn small_counts_are_withheld_with_a_sibling_so_totals_do_not_give_them_away() {
    let app = TestApp::spawn().await;
    two_regions(&app).await;
    let cm = app.token(&commissioner(&["A", "J"]));
    let data = report(&app, &cm, json!({}), &["REGION"]).await;
    assert_eq!(data["suppressionThreshold"], 5);
    let rows = data["rows"].as_array().unwrap();
    // A has 3 (withheld); J's 7 goes with it, or 10 - 7 would give A away.
    for row in rows {
        assert_eq!(row["referralsSent"], Value::Null);
        assert_eq!(row["open"], Value::Null);
        assert_eq!(row["suppressed"], true);
    }
    // A row about fewer than five referrals withholds its counts, except zeros the published
    // totals give away anyway (nothing completed anywhere, so none in A either).
    assert_eq!(rows[0]["dimensions"][0]["value"], "A");
    assert_eq!(rows[0]["completed"], 0);
    assert_eq!(rows[0]["sessionsPlanned"], 0);
    assert_eq!(rows[1]["completed"], 0);
    assert_eq!(data["totals"]["referralsSent"], 10);
    assert_eq!(data["totals"]["open"], 10);
    assert_eq!(data["totals"]["suppressed"], false);
}

#[tokio::test]
async fn a_small_status_is_withheld_with_another_so_the_row_does_not_give_it_away() {
    let app = TestApp::spawn().await;
    let pp = app.token(&pp("pp-1"));
    let mut ids = Vec::new();
    for _ in 0..8 {
        ids.push(send(&app, &pp, "CRS-ACC-J-01", &ASH).await);
    }
    // Two cancelled, six open: cancelled (2) is withheld, and so is open, or 8 - 6 = 2.
    for id in &ids[..2] {
        withdraw(&app, &pp, id, "MIS").await;
    }
    let cm = app.token(&commissioner(&["J"]));
    let data = report(&app, &cm, json!({}), &["CONTRACT"]).await;
    let totals = &data["totals"];
    assert_eq!(totals["referralsSent"], 8);
    assert_eq!(totals["cancelled"], Value::Null);
    assert_eq!(totals["open"], Value::Null);
    assert_eq!(totals["completed"], 0);
    // The attrition rate would reveal the withheld cancellations.
    assert_eq!(totals["attritionRate"], Value::Null);
    assert_eq!(totals["suppressed"], true);
}

#[tokio::test]
async fn a_commissioner_cannot_single_out_a_person() {
    let app = TestApp::spawn().await;
    let Actors { pp, sp } = actors(&app);
    let rare = Person {
        first: "Zebedee",
        gender: "MALE",
        ethnicity: "Other ethnic group: Arab",
        born: "1950-01-01",
    };
    let id = send(&app, &pp, "CRS-ACC-J-01", &rare).await;
    assessed(&app, &sp, &id, missed()).await;
    for _ in 0..6 {
        send(&app, &pp, "CRS-ACC-J-01", &ASH).await;
    }
    let reference = referral(&app, &pp, &id, "reference").await["reference"]
        .as_str()
        .unwrap()
        .to_owned();
    let cm = app.token(&commissioner(&["J"]));
    let pairs = [
        ["ETHNICITY", "AGE_BAND"],
        ["GENDER", "PROBATION_DELIVERY_UNIT"],
        ["ETHNICITY", "MONTH"],
        ["AGE_BAND", "LOCATION_TYPE"],
    ];
    for by in pairs {
        let data = report(&app, &cm, json!({}), &by).await;
        let text = data.to_string();
        for secret in [
            rare.first,
            "Rowe",
            "X654321",
            id.as_str(),
            reference.as_str(),
            "1950",
        ] {
            assert!(!text.contains(secret), "{by:?} leaks {secret}: {text}");
        }
        // The person's own cell counts one: nothing about them is published.
        for row in data["rows"].as_array().unwrap() {
            let sent = &row["referralsSent"];
            assert!(
                sent.is_null() || sent.as_i64().unwrap() >= 5,
                "{by:?}: {row}"
            );
            assert!(row["assessmentsMissed"].is_null() || row["assessmentsMissed"] == 0);
        }
    }
    // Narrowing by filter to the person's unit and month gives nothing either.
    let today = crs_api::domain::catalogue::uk_date(chrono::Utc::now()).to_string();
    let filter = json!({ "probationDeliveryUnitCodes": ["camden-and-islington"],
                         "sentFrom": today, "sentTo": today });
    let data = report(&app, &cm, filter, &["ETHNICITY", "GENDER"]).await;
    let arab_men: Vec<&Value> = data["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["dimensions"][0]["value"] == "OTHER")
        .collect();
    assert_eq!(arab_men.len(), 1);
    assert_eq!(arab_men[0]["referralsSent"], Value::Null);
    assert_eq!(arab_men[0]["suppressed"], true);
    assert_eq!(arab_men[0]["dimensions"][0]["label"], "Other ethnic group");
}

/// How many rows `table` holds.
async fn rows_in(app: &TestApp, table: &str) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

#[tokio::test]
async fn the_migration_to_category_rows_with_referral_facts_keeps_what_was_written() {
    use migration::{Migrator, MigratorTrait};
    let app = TestApp::spawn_with(low_threshold()).await;
    crafted_journeys(&app).await;
    let cm = app.token(&commissioner(&["J"]));
    let by = ["SERVICE_CATEGORY", "COMPLEXITY"];
    let before = report(&app, &cm, json!({}), &by).await;
    let rows = rows_in(&app, "report_referral_category").await;
    assert!(rows >= 10, "every crafted referral has a category row");
    // Back to the category table without the referral's facts, then forward again: migration
    // 10 copies the rows both ways, migration 11 empties the facts, which the start-up
    // backfill writes again, and the report does not change.
    crate::support::migrate_down_through(
        &app.db,
        "m20261202_000010_report_category_with_referral_facts",
    )
    .await;
    assert_eq!(rows_in(&app, "report_referral").await, 0);
    Migrator::up(&app.db, None).await.unwrap();
    assert_eq!(rows_in(&app, "report_referral_category").await, 0);
    crs_api::service::outcome_report::backfill(&app.db)
        .await
        .unwrap();
    assert_eq!(rows_in(&app, "report_referral_category").await, rows);
    assert_eq!(report(&app, &cm, json!({}), &by).await, before);
}

#[tokio::test]
async fn the_report_costs_the_same_statements_for_any_number_of_groups() {
    let app = TestApp::spawn_with(low_threshold()).await;
    two_regions(&app).await;
    let cm = app.token(&commissioner(&["A", "J"]));
    // The first call records the user; the report's own cost is measured after.
    seen(&app, &cm).await;
    let mut costs = Vec::new();
    let by_category = json!({ "complexity": ["LOW", "MEDIUM", "HIGH"] });
    for (filter, by) in [
        (json!({}), vec!["REGION"]),
        (json!({}), vec!["CONTRACT", "MONTH"]),
        (json!({}), vec!["SERVICE_CATEGORY"]),
        (json!({}), vec!["SERVICE_CATEGORY", "COMPLEXITY"]),
        (json!({}), vec!["SERVICE_CATEGORY", "AGE_BAND"]),
        (by_category.clone(), vec!["REGION"]),
        (by_category.clone(), vec!["SERVICE_CATEGORY"]),
        (by_category, vec!["AGE_BAND", "COMPLEXITY"]),
    ] {
        let before = app.statements().await;
        report(&app, &cm, filter, &by).await;
        costs.push(app.statements().await - before);
    }
    // The commissioner's regions resolved to contracts, then one statement for the rows. Rows
    // by category overlap; their totals (and beside one, the other dimension's margin) come
    // from each referral's marked category row in the same statement, except under a filter
    // on categories, which may leave that row out: then one statement more reads the
    // referrals. On PostgreSQL one more: the snapshot the report's statements share, exported
    // as the facts tables are measured (to split a statement over their pages).
    let snapshot = u64::from(app.postgres_database().is_some());
    assert_eq!(costs, [2, 2, 2, 2, 2, 2, 3, 3].map(|cost| cost + snapshot));
}

/// `GET path` with a bearer token: status and body.
async fn download(app: &TestApp, token: &str, path: &str) -> (u16, String, String) {
    let response = app
        .client
        .get(format!("{}{path}", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, response.text().await.unwrap())
}

/// The records of a CSV body (after its byte-order mark).
/// Every line after the header, the trailing `Filters` and `Note` rows included.
fn csv_lines(body: &str) -> Vec<Vec<String>> {
    let text = body.strip_prefix('\u{feff}').expect("a byte-order mark");
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// The data lines: all but the two trailing rows, which are checked to be there.
fn csv_records(body: &str) -> Vec<Vec<String>> {
    let mut lines = csv_lines(body);
    let trailer = lines.split_off(lines.len() - 2);
    assert_eq!(
        (trailer[0][0].as_str(), trailer[1][0].as_str()),
        ("Filters", "Note")
    );
    lines
}

/// The text of the `Filters` and `Note` rows.
fn csv_trailer(body: &str) -> (String, String) {
    let lines = csv_lines(body);
    let n = lines.len();
    (lines[n - 2][1].clone(), lines[n - 1][1].clone())
}

fn csv_header(body: &str) -> Vec<String> {
    let text = body.strip_prefix('\u{feff}').unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect()
}

/// The CSV column of each GraphQL count and rate.
const CSV_COLUMNS: [(&str, &str); 12] = [
    ("Referrals sent", "referralsSent"),
    ("Open", "open"),
    ("Completed", "completed"),
    ("Cancelled", "cancelled"),
    ("Ended early", "prematurelyEnded"),
    ("Assessments attended", "assessmentsAttended"),
    ("Sessions planned", "sessionsPlanned"),
    ("Appointments missed", "appointmentsMissed"),
    ("Attendance rate", "attendanceRate"),
    ("Outcomes partially achieved", "outcomesPartiallyAchieved"),
    ("Median days to assignment", "medianDaysToAssignment"),
    ("Concluded by deadline", "concludedByDeadline"),
];

fn as_csv(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[tokio::test]
async fn the_csv_download_has_the_same_numbers_as_graphql() {
    let app = TestApp::spawn_with(low_threshold()).await;
    crafted_journeys(&app).await;
    two_regions(&app).await;
    let cm = app.token(&commissioner(&["A", "J"]));
    let data = report(
        &app,
        &cm,
        json!({ "contractTypeCodes": ["ACC", "ETE"] }),
        &["REGION", "CONTRACT_TYPE"],
    )
    .await;
    let (status, kind, body) = download(
        &app,
        &cm,
        "/reports/outcomes.csv?groupBy=REGION,CONTRACT_TYPE&contractTypeCodes=ACC&contractTypeCodes=ETE",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(kind, "text/csv; charset=utf-8");
    let header = csv_header(&body);
    assert_eq!(
        header[..4],
        [
            "Region",
            "Region code",
            "Contract type",
            "Contract type code"
        ]
    );
    let records = csv_records(&body);
    let rows = data["rows"].as_array().unwrap();
    assert_eq!(
        records.len(),
        rows.len() + 1,
        "a line per row and the totals"
    );
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    for (record, row) in records.iter().zip(rows.iter().chain([&data["totals"]])) {
        for (name, field) in CSV_COLUMNS {
            assert_eq!(record[column(name)], as_csv(&row[field]), "{name}");
        }
    }
    for (record, row) in records.iter().zip(rows) {
        assert_eq!(record[0], row["dimensions"][0]["label"].as_str().unwrap());
        assert_eq!(record[1], row["dimensions"][0]["value"].as_str().unwrap());
        assert_eq!(record[3], row["dimensions"][1]["value"].as_str().unwrap());
    }
    let totals = records.last().unwrap();
    assert_eq!(totals[0], "Total");
    assert_eq!(totals[column("Referrals sent")], "20");
    // The file says what it counts and what it withholds, in rows as wide as the header.
    let (filters, note) = csv_trailer(&body);
    assert_eq!(
        filters,
        "contractTypeCodes=ACC,ETE (and only what your token may see)"
    );
    assert!(
        note.starts_with("Counts from 1 to 1 are withheld and written [c]"),
        "{note}"
    );
    assert!(note.contains(" UTC."), "{note}");
    assert!(
        csv_lines(&body)
            .iter()
            .all(|line| line.len() == header.len())
    );
}

#[tokio::test]
async fn withheld_counts_are_marked_in_the_csv() {
    let app = TestApp::spawn().await;
    two_regions(&app).await;
    let cm = app.token(&commissioner(&["A", "J"]));
    let (status, _, body) = download(&app, &cm, "/reports/outcomes.csv?groupBy=REGION").await;
    assert_eq!(status, 200);
    let header = csv_header(&body);
    let sent = header.iter().position(|h| h == "Referrals sent").unwrap();
    let suppressed = header.iter().position(|h| h == "Suppressed").unwrap();
    let records = csv_records(&body);
    assert_eq!(records.len(), 3);
    for region in &records[..2] {
        assert_eq!(region[sent], "[c]");
        assert_eq!(region[suppressed], "yes");
    }
    assert_eq!(records[2][sent], "10");
    // A region's name with a comma or quote stays one cell: every line has every column.
    assert!(records.iter().all(|r| r.len() == header.len()));
}

/// The README said download errors name their fields; the body held only a message.
#[tokio::test]
async fn a_refused_download_names_the_fields_at_fault() {
    let app = TestApp::spawn().await;
    let cm = app.token(&commissioner(&["J"]));
    let (status, _, body) = download(
        &app,
        &cm,
        "/reports/outcomes.csv?groupBy=PERSON&sentFrom=2025-13-01",
    )
    .await;
    assert_eq!(status, 400);
    let value: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        value["errors"][0]["extensions"]["fields"],
        json!([
            { "field": "groupBy", "code": "INVALID_VALUE" },
            { "field": "sentFrom", "code": "INVALID_FORMAT" }
        ]),
        "{body}"
    );
}

#[tokio::test]
async fn report_downloads_refuse_with_coded_errors() {
    let app = TestApp::spawn().await;
    let cm = app.token(&commissioner(&["J"]));
    let code = |body: &str| -> String {
        let value: Value = serde_json::from_str(body).unwrap();
        value["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let cases = [
        (
            cm.as_str(),
            "/reports/outcomes.csv?groupBy=REGION&crn=X1",
            400,
            "BAD_USER_INPUT",
        ),
        (
            cm.as_str(),
            "/reports/outcomes.csv?groupBy=PERSON",
            400,
            "BAD_USER_INPUT",
        ),
        (cm.as_str(), "/reports/outcomes.csv", 400, "BAD_USER_INPUT"),
        (
            cm.as_str(),
            "/reports/outcomes.csv?groupBy=MONTH&sentFrom=yesterday",
            400,
            "BAD_USER_INPUT",
        ),
        (
            cm.as_str(),
            "/reports/provider-performance.csv",
            403,
            "FORBIDDEN",
        ),
        (
            "not-a-token",
            "/reports/outcomes.csv?groupBy=REGION",
            401,
            "UNAUTHENTICATED",
        ),
    ];
    for (token, path, status, expected) in cases {
        let (got, _, body) = download(&app, token, path).await;
        assert_eq!((got, code(&body)), (status, expected.to_owned()), "{path}");
    }
    let pp = app.token(&pp("pp-1"));
    let (status, _, body) = download(&app, &pp, "/reports/outcomes.csv?groupBy=REGION").await;
    assert_eq!((status, code(&body)), (403, "FORBIDDEN".to_owned()));
    let sp = app.token(&harbour("sp-1"));
    let (status, _, body) = download(
        &app,
        &sp,
        "/reports/provider-performance.csv?sentTo=2025-13-01",
    )
    .await;
    assert_eq!((status, code(&body)), (400, "BAD_USER_INPUT".to_owned()));
}

/// A download's pages are long reads: a page whose reads wait longer than a request's
/// statement limit (here behind a lock; after a cold start, on the disk) still comes whole,
/// within the report statement limit, instead of ending the download part way.
#[tokio::test]
async fn a_download_page_may_take_longer_than_a_requests_statement_limit() {
    use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
    let options = low_threshold().with("CRS_DATABASE_STATEMENT_TIMEOUT_MS", "2000");
    let app = TestApp::spawn_with(options).await;
    crafted_journeys(&app).await;
    let sp = app.token(&harbour("sp-1"));
    let path = "/reports/provider-performance.csv";
    let (status, _, whole) = download(&app, &sp, path).await;
    assert_eq!(status, 200, "{whole}");
    let lines = csv_records(&whole);
    assert_eq!(lines.len(), 10);
    if app.postgres_database().is_none() {
        // SQLite has no statement limit to pass (its busy timeout is for writers).
        return;
    }
    let lock = app.db.begin().await.unwrap();
    lock.execute_unprepared("LOCK TABLE end_of_service_report IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let held = async {
        // Until the page's read of the reports waits on the lock, then past the request's limit.
        let waiting = "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'";
        let mut waited = false;
        for _ in 0..500 {
            let row = app
                .db
                .query_one_raw(Statement::from_string(
                    app.db.get_database_backend(),
                    waiting,
                ))
                .await
                .unwrap()
                .unwrap();
            if row.try_get::<i64>("", "n").unwrap() > 0 {
                waited = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
        lock.commit().await.unwrap();
        assert!(waited, "the download's page read waited on the lock");
    };
    let ((status, _, body), ()) = tokio::join!(download(&app, &sp, path), held);
    assert_eq!(status, 200, "{body}");
    assert_eq!(csv_records(&body), lines);
}

#[tokio::test]
async fn providers_download_a_line_per_referral_of_their_contracts() {
    let app = TestApp::spawn_with(low_threshold()).await;
    let ids = crafted_journeys(&app).await;
    two_regions(&app).await;
    let sp = app.token(&harbour("sp-1"));
    let (status, kind, body) = download(&app, &sp, "/reports/provider-performance.csv").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(kind, "text/csv; charset=utf-8");
    let header = csv_header(&body);
    assert_eq!(header[0], "referral_ref");
    assert_eq!(header.len(), 26);
    let records = csv_records(&body);
    // Harbour Light's ten journeys and seven London referrals; none of Northern Steps'.
    assert_eq!(records.len(), 17);
    assert!(
        records
            .iter()
            .all(|r| r[2] == "CRS-ACC-J-01" && r[3] == "HARBOUR_LIGHT")
    );
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let line = |id: &str| records.iter().find(|r| r[1] == id).unwrap();
    let completed = line(&ids[0]);
    assert_eq!(completed[column("referral_end_state")], "completed");
    assert_eq!(completed[column("count_of_sessions_expected")], "3");
    assert_eq!(completed[column("count_of_sessions_attended")], "2");
    assert_eq!(completed[column("outcomes_achieved")], "1");
    assert_eq!(completed[column("saa_attended_on_time")], "true");
    assert_eq!(completed[column("caseworker_id")], "sp-1");
    let partial = line(&ids[2]);
    assert_eq!(partial[column("outcomes_achieved")], "0.5");
    let cancelled = line(&ids[6]);
    assert_eq!(cancelled[column("referral_end_state")], "cancelled");
    assert_eq!(
        cancelled[column("end_requested_by_pp_reason")],
        "Ineligible referral"
    );
    assert!(!cancelled[column("date_saa_first_not_attended (UTC)")].is_empty());
    assert!(cancelled[column("date_saa_first_attended (UTC)")].is_empty());
    let open = line(&ids[9]);
    assert_eq!(open[column("referral_end_state")], "");
    assert_eq!(open[column("caseworker_id")], "");
    // Northern Steps sees its three only; a day with nothing sent gives the header alone.
    let northern = app.token(&northern("sp-2"));
    let (_, _, body) = download(&app, &northern, "/reports/provider-performance.csv").await;
    assert_eq!(csv_records(&body).len(), 3);
    let (_, _, body) = download(
        &app,
        &sp,
        "/reports/provider-performance.csv?sentFrom=2021-01-01&sentTo=2021-01-31",
    )
    .await;
    assert!(csv_records(&body).is_empty());
    assert_eq!(csv_header(&body).len(), 26);
}

/// A caseworker id such as `=HYPERLINK("http://x/","y")` was written as is, and a spreadsheet
/// would run it as a formula (OWASP CSV injection). Every cell that would be evaluated is
/// written as text.
#[tokio::test]
async fn downloads_never_hand_a_spreadsheet_a_formula() {
    let app = TestApp::spawn().await;
    let pp = app.token(&pp("pp-1"));
    let formula = "=HYPERLINK(\"http://x/\",\"y\")";
    let caseworker = app.token(&claims(
        formula,
        "ROLE_CRS_PROVIDER",
        &["INT_SP_HARBOUR_LIGHT", "INT_CR_CRS-ACC-J-01"],
    ));
    seen(&app, &caseworker).await;
    let id = send(&app, &pp, "CRS-ACC-J-01", &ASH).await;
    ok(
        &app,
        &caseworker,
        ASSIGN,
        json!({ "id": id, "to": formula }),
        "assignReferral",
    )
    .await;
    let (status, _, body) = download(&app, &caseworker, "/reports/provider-performance.csv").await;
    assert_eq!(status, 200, "{body}");
    let header = csv_header(&body);
    let column = header.iter().position(|h| h == "caseworker_id").unwrap();
    let records = csv_records(&body);
    assert_eq!(records[0][column], format!("'{formula}"));
    for record in &records {
        for cell in record {
            assert!(
                !cell
                    .trim_start()
                    .starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{cell}"
            );
        }
    }
    // The outcome download is made safe by the same writer.
    let (status, _, body) =
        download(&app, &caseworker, "/reports/outcomes.csv?groupBy=CONTRACT").await;
    assert_eq!(status, 200, "{body}");
    for record in csv_records(&body) {
        for cell in record {
            assert!(
                !cell.trim_start().starts_with(['=', '+', '-', '@']),
                "{cell}"
            );
        }
    }
}

/// Runs `sql` on the test database.
async fn execute(app: &TestApp, sql: &str) {
    use sea_orm::ConnectionTrait;
    app.db.execute_unprepared(sql).await.unwrap();
}

/// Changes a stored referral row as an earlier version of the service might have left it.
async fn store(
    app: &TestApp,
    id: &str,
    change: impl FnOnce(&mut crs_api::db::entities::referral::ActiveModel),
) {
    use crs_api::db::entities::referral;
    let id: uuid::Uuid = id.parse().unwrap();
    let row = referral::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut row: referral::ActiveModel = row.into();
    change(&mut row);
    row.update(&app.db).await.unwrap();
}

async fn status_of(app: &TestApp, token: &str, id: &str) -> String {
    let data = app
        .data(
            token,
            "query($id: ID!) { referral(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    data["referral"]["status"].as_str().unwrap().to_owned()
}

/// Feedback: present, but the session did not take place.
fn present_but_not_held() -> Value {
    json!({
        "attended": "YES",
        "didSessionHappen": false,
        "noSessionReason": "The room was double booked",
        "notifyProbationPractitioner": false,
    })
}

/// Assessment attended, a two-session plan, then both sessions recorded with `feedback`.
async fn nobody_seen_in_delivery(app: &TestApp, pp: &str, sp: &str, feedback: Value) -> String {
    let id = send(app, pp, "CRS-ACC-J-01", &ASH).await;
    assessed(app, sp, &id, attended()).await;
    submit_plan(app, sp, &id, 2).await;
    hold_session(app, sp, &id, 1, feedback.clone()).await;
    hold_session(app, sp, &id, 2, feedback).await;
    id
}

/// The reproduction: both sessions missed (or attended but not held) made the referral await
/// its report, and the report concluded it `COMPLETED`. Nobody seen in delivery needs no report
/// and a withdrawal cancels it.
#[tokio::test]
async fn sessions_all_missed_never_make_a_completion() {
    let app = TestApp::spawn_with(low_threshold()).await;
    let Actors { pp, sp } = actors(&app);
    for feedback in [missed(), present_but_not_held()] {
        let id = nobody_seen_in_delivery(&app, &pp, &sp, feedback).await;
        assert_eq!(status_of(&app, &sp, &id).await, "IN_DELIVERY");
        let outcomes: Vec<Value> = desired_outcomes(&app, &sp, &id)
            .await
            .into_iter()
            .map(|o| json!({ "desiredOutcomeId": o, "achievementLevel": "NOT_ACHIEVED" }))
            .collect();
        let (_, body) = app
            .gql(
                &sp,
                SUBMIT_REPORT,
                json!({ "id": id, "input": { "outcomes": outcomes } }),
            )
            .await;
        assert_eq!(first_code(&body), "INVALID_TRANSITION", "{body}");
        withdraw(&app, &pp, &id, "INE").await;
        assert_eq!(status_of(&app, &sp, &id).await, "CANCELLED");
    }
    let cm = app.token(&commissioner(&["J"]));
    let totals = &report(&app, &cm, json!({}), &["REGION"]).await["totals"];
    assert_eq!(totals["completed"], 0);
    assert_eq!(totals["cancelled"], 2);
    assert_eq!(totals["attritionRate"], 1.0);
}

/// A referral cancelled on the day it was sent counted as concluded by the deadline, so early
/// withdrawals raised the on-time rate.
#[tokio::test]
async fn an_early_cancellation_is_neither_on_time_nor_late() {
    let app = TestApp::spawn_with(low_threshold()).await;
    let pp = app.token(&pp("pp-1"));
    for _ in 0..3 {
        let id = send(&app, &pp, "CRS-ACC-J-01", &ASH).await;
        withdraw(&app, &pp, &id, "INE").await;
    }
    let cm = app.token(&commissioner(&["J"]));
    let totals = &report(&app, &cm, json!({}), &["REGION"]).await["totals"];
    assert_eq!(totals["cancelled"], 3);
    assert_eq!(totals["concludedByDeadline"], 0);
    assert_eq!(totals["deadlineReached"], 0);
    assert_eq!(totals["concludedByDeadlineRate"], Value::Null);
}

/// Referrals stored by the earlier rule: completed although nobody was seen, and withdrawn
/// while awaiting a report nobody needed. Migration 11 empties the facts and the start-up
/// backfill writes them by the fixed rules.
#[tokio::test]
async fn facts_written_before_the_fix_are_rebuilt_by_the_fixed_rules() {
    use migration::{Migrator, MigratorTrait};
    let app = TestApp::spawn_with(low_threshold()).await;
    let Actors { pp, sp } = actors(&app);
    // Two of each, so that no count is withheld (threshold 2).
    let mut awaiting = String::new();
    for _ in 0..2 {
        let completed = nobody_seen_in_delivery(&app, &pp, &sp, missed()).await;
        awaiting = nobody_seen_in_delivery(&app, &pp, &sp, missed()).await;
        withdraw(&app, &pp, &awaiting, "INE").await;
        // What the earlier rule stored, in the referrals and in their facts.
        store(&app, &completed, |r| {
            r.status = Set("COMPLETED".into());
            r.concluded_at = Set(Some(chrono::Utc::now()));
        })
        .await;
        store(&app, &awaiting, |r| {
            r.status = Set("AWAITING_END_OF_SERVICE_REPORT".into());
            r.concluded_at = Set(None);
            r.withdrawal_delivery_state = Set(Some("COMPLETED".into()));
        })
        .await;
        assert_eq!(status_of(&app, &sp, &completed).await, "COMPLETED");
    }
    for table in ["report_referral", "report_referral_category"] {
        execute(
            &app,
            &format!("UPDATE {table} SET status = 'COMPLETED', concluded_on = sent_on"),
        )
        .await;
    }
    let cm = app.token(&commissioner(&["J"]));
    let before = report(&app, &cm, json!({}), &["REGION"]).await;
    assert_eq!(before["totals"]["completed"], 4, "the earlier figures");
    crate::support::migrate_down_through(&app.db, "m20261203_000011_rebuild_report_facts").await;
    Migrator::up(&app.db, None).await.unwrap();
    crs_api::service::outcome_report::backfill(&app.db)
        .await
        .unwrap();
    let after = report(&app, &cm, json!({}), &["REGION"]).await;
    assert_eq!(after["totals"]["completed"], 0, "{after}");
    assert_eq!(after["totals"]["prematurelyEnded"], 2, "{after}");
    assert_eq!(after["totals"]["cancelled"], 2);
    assert_eq!(after["totals"]["open"], 0);
    // The same by category, whose rows carry the facts too.
    let by_category = report(&app, &cm, json!({}), &["SERVICE_CATEGORY"]).await;
    assert_eq!(by_category["rows"][0]["completed"], 0);
    // And no report can be added to the one stored as awaiting it: it is cancelled.
    let outcomes: Vec<Value> = desired_outcomes(&app, &sp, &awaiting)
        .await
        .into_iter()
        .map(|o| json!({ "desiredOutcomeId": o, "achievementLevel": "NOT_ACHIEVED" }))
        .collect();
    let (_, body) = app
        .gql(
            &sp,
            SUBMIT_REPORT,
            json!({ "id": awaiting, "input": { "outcomes": outcomes } }),
        )
        .await;
    assert_eq!(first_code(&body), "INVALID_TRANSITION", "{body}");
}

const WHITE_OTHER: Person = Person {
    first: "Kit",
    gender: "MALE",
    ethnicity: "W9",
    born: "1990-01-01",
};
const TRAVELLER: Person = Person {
    first: "Lee",
    gender: "MALE",
    ethnicity: "Gypsy or Irish Traveller",
    born: "1990-01-01",
};
const UNCLASSIFIED: Person = Person {
    first: "Max",
    gender: "MALE",
    ethnicity: "Martian",
    born: "1990-01-01",
};

/// nDelius codes and ONS wordings such as "Gypsy or Irish Traveller" all landed in "Other";
/// now they count under their ONS group and category, and free text is not stated.
#[tokio::test]
async fn ethnicity_counts_by_ons_group_and_category() {
    let app = TestApp::spawn_with(low_threshold()).await;
    let pp = app.token(&pp("pp-1"));
    for person in [&WHITE_OTHER, &TRAVELLER, &UNCLASSIFIED] {
        for _ in 0..2 {
            send(&app, &pp, "CRS-ACC-J-01", person).await;
        }
    }
    let cm = app.token(&commissioner(&["J"]));
    let rows = |data: &Value| -> Vec<(String, String, Value)> {
        data["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let d = &r["dimensions"][0];
                (
                    d["value"].as_str().unwrap().to_owned(),
                    d["label"].as_str().unwrap().to_owned(),
                    r["referralsSent"].clone(),
                )
            })
            .collect()
    };
    let by_group = report(&app, &cm, json!({}), &["ETHNICITY"]).await;
    assert_eq!(
        rows(&by_group),
        [
            ("NOT_KNOWN".to_owned(), "Not stated".to_owned(), json!(2)),
            ("WHITE".to_owned(), "White".to_owned(), json!(4)),
        ]
    );
    let by_category = report(&app, &cm, json!({}), &["ETHNIC_CATEGORY"]).await;
    assert_eq!(
        rows(&by_category),
        [
            (
                "GYPSY_OR_IRISH_TRAVELLER".to_owned(),
                "Gypsy or Irish Traveller".to_owned(),
                json!(2)
            ),
            ("NOT_KNOWN".to_owned(), "Not stated".to_owned(), json!(2)),
            ("OTHER_WHITE".to_owned(), "Other White".to_owned(), json!(2)),
        ]
    );
}

/// A delivery unit outside the contract's region was accepted, and such a referral was counted
/// under a region whose commissioner cannot see it. Now a draft refuses it; one stored before
/// counts for its contract's commissioners under every dimension.
#[tokio::test]
async fn a_referral_counts_in_its_contracts_region_under_every_dimension() {
    let app = TestApp::spawn_with(low_threshold()).await;
    let pp_token = app.token(&pp("pp-1"));
    let draft = create_draft(&app, &pp_token, "CRS-ACC-J-01", "Alex", "Smith").await;
    let id = draft["id"].as_str().unwrap().to_owned();
    let (_, body) = app
        .gql(
            &pp_token,
            UPDATE,
            json!({ "id": id, "input": { "probationDeliveryUnit": "newcastle" } }),
        )
        .await;
    assert_eq!(first_code(&body), "BAD_USER_INPUT");
    assert_eq!(
        body["errors"][0]["extensions"]["fields"],
        json!([{ "field": "probationDeliveryUnit", "code": "NOT_IN_CONTRACT_REGION" }])
    );
    // A PCC-area contract takes units of its region (Northumbria, region A).
    let north = create_draft(&app, &pp_token, "CRS-ETE-A-01", "Bo", "Hart").await;
    ok(
        &app,
        &pp_token,
        UPDATE,
        json!({ "id": north["id"], "input": { "probationDeliveryUnit": "sunderland" } }),
        "updateDraftReferral",
    )
    .await;

    // Four London referrals, two of them stored before the rule with a North East unit.
    for _ in 0..2 {
        let legacy = send(&app, &pp_token, "CRS-ACC-J-01", &ASH).await;
        send(&app, &pp_token, "CRS-ACC-J-01", &ASH).await;
        store(&app, &legacy, |r| {
            r.probation_delivery_unit_code = Set(Some("newcastle".into()));
        })
        .await;
    }
    execute(&app, "DELETE FROM report_referral_category").await;
    execute(&app, "DELETE FROM report_referral").await;
    crs_api::service::outcome_report::backfill(&app.db)
        .await
        .unwrap();
    let london = app.token(&commissioner(&["J"]));
    let north_east = app.token(&commissioner(&["A"]));
    for dimension in [
        "REGION",
        "PCC_AREA",
        "PROBATION_DELIVERY_UNIT",
        "PROVIDER",
        "CONTRACT",
        "CONTRACT_TYPE",
        "SERVICE_CATEGORY",
        "COMPLEXITY",
        "MONTH",
        "QUARTER",
        "GENDER",
        "ETHNICITY",
        "ETHNIC_CATEGORY",
        "AGE_BAND",
        "LOCATION_TYPE",
    ] {
        let data = report(&app, &london, json!({}), &[dimension]).await;
        assert_eq!(data["totals"]["referralsSent"], 4, "{dimension}");
        let counted: i64 = data["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["referralsSent"].as_i64().unwrap_or(0))
            .sum();
        assert!(counted >= 4, "{dimension}: every referral is in a row");
        let data = report(&app, &north_east, json!({}), &[dimension]).await;
        assert_eq!(data["totals"]["referralsSent"], 0, "{dimension}");
    }
    // The stored referral is counted where its unit is, for its contract's commissioner.
    let by_area = report(&app, &london, json!({}), &["PCC_AREA"]).await;
    let areas: Vec<&str> = by_area["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["dimensions"][0]["value"].as_str().unwrap())
        .collect();
    assert_eq!(areas, ["metropolitan", "northumbria"]);
}

#[tokio::test]
async fn downloads_are_named_with_the_day_they_were_made() {
    let app = TestApp::spawn().await;
    let today = crs_api::domain::catalogue::uk_date(chrono::Utc::now());
    for (token, path, name) in [
        (
            app.token(&commissioner(&["J"])),
            "/reports/outcomes.csv?groupBy=REGION",
            "outcomes",
        ),
        (
            app.token(&harbour("sp-1")),
            "/reports/provider-performance.csv",
            "provider-performance",
        ),
    ] {
        let response = app
            .client
            .get(format!("{}{path}", app.address))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        let disposition = response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_owned();
        let tomorrow = today.succ_opt().unwrap();
        assert!(
            disposition == format!("attachment; filename=\"{name}-{today}.csv\"")
                || disposition == format!("attachment; filename=\"{name}-{tomorrow}.csv\""),
            "{disposition}"
        );
    }
}
