//! The pages a person opens, in a real headless Chromium (Debian's `chromium`, driven by
//! `tests/browser/pages.mjs` with playwright-core): GraphiQL renders from the server's own
//! assets, loads the schema on first open and runs the prefilled example and a send; the
//! outcomes page signs in with a token and shows the numbers GraphQL gives, withheld cells as
//! withheld, four drawn charts and the CSV link. Screenshots are written under the test's
//! temporary directory and their paths printed.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::support::{Options, TestApp, node};

/// Runs the driver against the server at `address` and returns what it saw.
fn open_pages(address: &str, commissioner_token: &str, shots: &Path) -> Value {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "the page tests need Chromium at {chromium}: apt-get install -y chromium (or set CHROMIUM)"
    );
    let shots = shots.display().to_string();
    let stdout = node::run("pages.mjs", &[address, commissioner_token, &shots]);
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("driver output {e}: {stdout}"))
}

fn demo_claims(sub: &str) -> crs_api::http::auth::Claims {
    crs_api::demo::demo_users()
        .into_iter()
        .find(|u| u.claims.sub == sub)
        .expect("demo user")
        .claims
}

/// The figure as the page writes it.
fn shown(value: &Value, rate: bool) -> String {
    if rate {
        format!("{:.1}%", value.as_f64().expect("rate") * 100.0)
    } else {
        let n = value.as_i64().expect("count");
        let digits = n.abs().to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if n < 0 {
            format!("-{grouped}")
        } else {
            grouped
        }
    }
}

const MEASURES: [(&str, bool); 10] = [
    ("referralsSent", false),
    ("open", false),
    ("completed", false),
    ("cancelled", false),
    ("prematurelyEnded", false),
    ("attendanceRate", true),
    ("attritionRate", true),
    ("achievementRate", true),
    ("concludedByDeadlineRate", true),
    ("medianDaysToAssessment", false),
];

#[tokio::test]
async fn graphiql_and_the_outcomes_page_work_in_a_browser_on_the_demo_data() {
    let app = TestApp::spawn_with(
        Options {
            full_demo: true,
            ..Options::default()
        }
        .with("CRS_DEMO_REFERRALS", "4000"),
    )
    .await;
    let commissioner = app.token(&demo_claims("demo-commissioner"));
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "pages-{}",
        if crate::support::on_postgres() {
            "postgres"
        } else {
            "sqlite"
        }
    ));
    std::fs::create_dir_all(&shots).expect("screenshot directory");

    let seen = tokio::task::spawn_blocking({
        let shots = shots.clone();
        let commissioner = commissioner.clone();
        let address = app.address.clone();
        move || open_pages(&address, &commissioner, &shots)
    })
    .await
    .expect("driver thread");
    assert!(seen["error"].is_null(), "in the browser: {}", seen["error"]);
    for file in ["graphiql.png", "graphiql-send.png", "reports.png"] {
        let path = shots.join(file);
        let bytes = std::fs::read(&path).expect("screenshot written");
        assert!(
            bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000,
            "{file}"
        );
        eprintln!("screenshot: {}", path.display());
    }
    // Nothing came from anywhere but the server, and the policy refused nothing.
    assert_eq!(seen["failedRequests"], json!([]), "{seen}");
    let console = seen["consoleErrors"].to_string();
    assert!(!console.contains("Content Security Policy"), "{console}");

    // GraphiQL: the schema loaded on first open, the example ran, the draft was sent.
    let docs = seen["graphiql"]["docs"].as_str().unwrap_or_default();
    assert!(
        docs.contains("query: Query") && docs.contains("OutcomeReport"),
        "{docs}"
    );
    let drafts = seen["graphiql"]["drafts"].as_str().unwrap_or_default();
    assert!(drafts.contains("\"totalCount\": 1"), "{drafts}");
    let sent = seen["graphiql"]["send"].as_str().unwrap_or_default();
    assert!(sent.contains("\"status\": \"SENT\""), "{sent}");

    // The outcomes page shows what GraphQL answers the same token.
    let reports = &seen["reports"];
    assert_eq!(reports["signedInAs"], "Signed in as Chris Commissioner");
    assert_eq!(reports["signedInAgain"], "Signed in as Chris Commissioner");
    assert_eq!(reports["firstTab"], "Skip to main content");
    assert_eq!(
        reports["csvLink"],
        "/reports/outcomes.csv?groupBy=PROBATION_DELIVERY_UNIT"
    );
    assert!(
        reports["legend"]
            .as_str()
            .unwrap_or_default()
            .contains("withheld")
    );
    let fields = MEASURES.map(|(f, _)| f).join(" ");
    let data = app
        .data(
            &commissioner,
            &format!(
                "{{ outcomeReport(groupBy: [PROBATION_DELIVERY_UNIT]) {{ \
                 rows {{ suppressed dimensions {{ value label }} {fields} }} \
                 totals {{ suppressed {fields} }} }} }}"
            ),
            json!({}),
        )
        .await;
    let report = &data["outcomeReport"];
    let mut expected: Vec<Value> = report["rows"].as_array().expect("rows").clone();
    expected.push(report["totals"].clone());
    let rows = reports["rows"].as_array().expect("page rows");
    assert_eq!(rows.len(), expected.len(), "{rows:?}");
    let mut unsuppressed_rates = 0;
    for (page_row, row) in rows.iter().zip(&expected) {
        let key = row["dimensions"][0]["value"].as_str().unwrap_or("");
        assert_eq!(page_row["key"], key);
        if !key.is_empty() {
            assert_eq!(page_row["label"], row["dimensions"][0]["label"]);
        }
        for (field, rate) in MEASURES {
            let cell = &page_row["cells"][field];
            match &row[field] {
                Value::Null => {
                    assert_eq!(cell["value"], "", "{key} {field}");
                    let text = if row["suppressed"] == true {
                        "withheld"
                    } else {
                        "–"
                    };
                    assert_eq!(cell["text"], text, "{key} {field}");
                }
                value => {
                    assert_eq!(cell["value"], value.to_string(), "{key} {field}");
                    assert_eq!(cell["text"], shown(value, rate), "{key} {field}");
                    if rate && !key.is_empty() {
                        unsuppressed_rates += 1;
                    }
                }
            }
        }
    }
    assert!(
        unsuppressed_rates >= 10,
        "the demo data gives real figures by delivery unit ({unsuppressed_rates} rates shown)"
    );
    let charts = reports["charts"].as_array().expect("charts");
    assert_eq!(
        charts.iter().map(|c| c["id"].clone()).collect::<Vec<_>>(),
        [
            "chart-pdu",
            "chart-category",
            "chart-month",
            "chart-ethnicity"
        ]
    );
    for chart in charts {
        assert!(chart["painted"].as_u64().unwrap_or(0) > 5_000, "{chart}");
        assert!(
            chart["label"]
                .as_str()
                .unwrap_or_default()
                .contains("chart"),
            "{chart}"
        );
    }
}

#[tokio::test]
async fn the_pages_are_served_with_their_own_assets_and_a_strict_policy() {
    let app = TestApp::spawn().await;
    let page = app.get("/reports").await;
    assert_eq!(page.status(), 200);
    let policy = page
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    let html = page.text().await.expect("html");
    assert!(html.contains(r#"<label class="label" for="token">Access token</label>"#));
    assert!(!html.contains("https://"), "no asset from elsewhere");
    let graphiql = app.get_text("/graphql").await;
    assert!(graphiql.contains("/assets/graphiql.min.js"));
    assert!(!graphiql.contains("unpkg") && !graphiql.contains("https://"));
    for (asset, media) in [
        ("graphiql.min.js", "text/javascript"),
        ("graphiql.min.css", "text/css"),
        ("chart.umd.js", "text/javascript"),
        ("reports.js", "text/javascript"),
    ] {
        let response = app.get(&format!("/assets/{asset}")).await;
        assert_eq!(response.status(), 200, "{asset}");
        let kind = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(kind.starts_with(media), "{asset}: {kind}");
    }
    assert_eq!(app.get("/assets/nothing.js").await.status(), 404);
}

#[tokio::test]
async fn in_production_the_outcomes_page_offers_no_demo_token_and_graphiql_is_not_served() {
    let app = TestApp::spawn_with(Options::production()).await;
    let html = app.get_text("/reports").await;
    assert!(html.contains(r#""demoToken":null"#), "{html}");
    assert_eq!(app.get("/graphql").await.status(), 405);
}
