//! `crs-api catalogue import`: good files, idempotent re-imports, and bad files that change
//! nothing.

use std::process::Command;

use serde_json::{Value, json};

use crate::support::personas::practitioner;
use crate::support::{Options, TestApp, fresh_database};
use crs_api::service::Services;
use crs_api::service::catalogue_import::{DEMO_CATALOGUE, ImportError, import_text};

fn contract(reference: &str, prime: &str) -> Value {
    json!({
        "reference": reference, "contractType": "ACC", "primeProvider": prime, "subcontractors": [],
        "pccArea": "kent",
        "eligibility": { "minimumAge": 18, "maximumAge": 65, "allowsFemale": true, "allowsMale": true },
        "referralWindow": { "opensOn": "2022-01-01", "closesAfter": null },
        "intervention": { "title": format!("Housing {reference}"), "description": "Help with housing" }
    })
}

async fn snapshot(app: &TestApp) -> Value {
    let query = "{ serviceProviders { code name } interventions { title minimumAge maximumAge contract { reference
        primeProvider { code } subcontractors { code } pccAreas { code } } }
        regions { pccAreas { probationDeliveryUnits { code name } } } }";
    app.data(&app.token(&practitioner()), query, json!({}))
        .await
}

async fn import(
    app: &TestApp,
    file: &Value,
) -> Result<crs_api::db::import::ImportSummary, ImportError> {
    import_text(
        &Services::new(app.db.clone()),
        "file.json",
        &file.to_string(),
    )
    .await
}

#[tokio::test]
async fn a_good_file_adds_providers_units_and_contracts() {
    let app = TestApp::spawn_with(Options::empty()).await;
    let file = json!({
        "providers": [{ "code": "NEW_ONE", "name": "New One" }],
        "probationDeliveryUnits": [{ "code": "maidstone", "name": "Maidstone", "pccArea": "kent" }],
        "contracts": [contract("K-ACC-1", "NEW_ONE")]
    });
    let summary = import(&app, &file).await.unwrap();
    assert_eq!(
        (
            summary.providers.created,
            summary.probation_delivery_units.created,
            summary.contracts.created
        ),
        (1, 1, 1)
    );
    let data = snapshot(&app).await;
    assert_eq!(
        data["serviceProviders"],
        json!([{ "code": "NEW_ONE", "name": "New One" }])
    );
    assert_eq!(data["interventions"][0]["contract"]["reference"], "K-ACC-1");
    assert_eq!(data["interventions"][0]["maximumAge"], 65);
    assert!(data.to_string().contains("Maidstone"));
}

#[tokio::test]
async fn importing_the_same_file_twice_changes_nothing() {
    let app = TestApp::spawn().await;
    let before = snapshot(&app).await;
    let demo: Value = serde_json::from_str(DEMO_CATALOGUE).unwrap();
    let summary = import(&app, &demo).await.unwrap();
    assert_eq!(summary.contracts.unchanged, 9);
    assert_eq!(summary.contracts.created + summary.contracts.updated, 0);
    assert_eq!(summary.providers.unchanged, 5);
    assert_eq!(snapshot(&app).await, before);
}

#[tokio::test]
async fn a_changed_entry_is_updated_in_place() {
    let app = TestApp::spawn_with(Options::empty()).await;
    let providers = json!([{ "code": "A1", "name": "A One" }, { "code": "B1", "name": "B One" }]);
    import(
        &app,
        &json!({ "providers": providers, "contracts": [contract("K-1", "A1")] }),
    )
    .await
    .unwrap();
    let mut changed = contract("K-1", "A1");
    changed["subcontractors"] = json!(["B1"]);
    changed["intervention"]["title"] = json!("Renamed");
    let summary = import(&app, &json!({ "contracts": [changed] }))
        .await
        .unwrap();
    assert_eq!(
        (summary.contracts.updated, summary.contracts.created),
        (1, 0)
    );
    let data = snapshot(&app).await;
    assert_eq!(data["interventions"][0]["title"], "Renamed");
    assert_eq!(
        data["interventions"][0]["contract"]["subcontractors"],
        json!([{ "code": "B1" }])
    );
}

#[tokio::test]
async fn bad_files_are_refused_whole_naming_file_and_entry() {
    let app = TestApp::spawn().await;
    let before = snapshot(&app).await;
    let good_provider = json!({ "code": "WOULD_BE_NEW", "name": "Would be new" });
    let mut unknown_type = contract("X-1", "HARBOUR_LIGHT");
    unknown_type["contractType"] = json!("NOPE");
    let mut unknown_area = contract("X-2", "HARBOUR_LIGHT");
    unknown_area["pccArea"] = json!("atlantis");
    let mut unknown_sub = contract("X-3", "HARBOUR_LIGHT");
    unknown_sub["subcontractors"] = json!(["GHOST"]);
    let cases = [
        (
            json!({ "providers": [good_provider], "contracts": [unknown_type] }),
            "contracts[0] (X-1): unknown contract type 'NOPE'",
        ),
        (
            json!({ "providers": [good_provider], "contracts": [unknown_area] }),
            "contracts[0] (X-2): unknown PCC area 'atlantis'",
        ),
        (
            json!({ "providers": [good_provider], "contracts": [unknown_sub] }),
            "contracts[0] (X-3): unknown subcontractor 'GHOST'",
        ),
        (
            json!({ "providers": [good_provider], "contracts": [contract("X-4", "NOBODY")] }),
            "unknown prime provider 'NOBODY'",
        ),
        (
            json!({ "providers": [good_provider, good_provider] }),
            "providers[1] (WOULD_BE_NEW): provider listed twice",
        ),
        (
            json!({ "probationDeliveryUnits": [{ "code": "x", "name": "X", "pccArea": "nowhere" }] }),
            "unknown PCC area 'nowhere'",
        ),
        (
            json!({ "providers": [good_provider], "contractz": [] }),
            "unknown field `contractz`",
        ),
    ];
    for (file, expected) in cases {
        let error = import(&app, &file).await.expect_err(expected).to_string();
        assert!(error.starts_with("file.json: "), "{error}");
        assert!(error.contains(expected), "expected {expected:?} in {error}");
    }
    let mut both_areas = contract("X-5", "HARBOUR_LIGHT");
    both_areas["region"] = json!("K");
    let mut unknown_region = contract("X-6", "HARBOUR_LIGHT");
    unknown_region.as_object_mut().unwrap().remove("pccArea");
    unknown_region["region"] = json!("Q");
    let mut reversed = contract("X-7", "HARBOUR_LIGHT");
    reversed["referralWindow"] = json!({ "opensOn": "2024-05-01", "closesAfter": "2024-04-30" });
    let mut ages = contract("X-8", "HARBOUR_LIGHT");
    ages["eligibility"]["minimumAge"] = json!(30);
    ages["eligibility"]["maximumAge"] = json!(20);
    for (file, expected) in [
        (
            json!({ "contracts": [both_areas] }),
            "contracts[0] (X-5): give exactly one of region or pccArea",
        ),
        (
            json!({ "contracts": [unknown_region] }),
            "contracts[0] (X-6): unknown region 'Q'",
        ),
        (
            json!({ "contracts": [reversed] }),
            "contracts[0] (X-7): referralWindow.closesAfter is before opensOn",
        ),
        (
            json!({ "contracts": [ages] }),
            "contracts[0] (X-8): maximumAge must be between minimumAge",
        ),
    ] {
        let error = import(&app, &file).await.expect_err(expected).to_string();
        assert!(error.contains(expected), "expected {expected:?} in {error}");
    }
    let error = import_text(&Services::new(app.db.clone()), "broken.json", "{ not json")
        .await
        .unwrap_err();
    assert!(matches!(error, ImportError::Malformed { .. }), "{error}");
    assert_eq!(
        snapshot(&app).await,
        before,
        "a refused file changes nothing"
    );
}

/// A failure while writing (here a contract type the database does not know, which the checks
/// would normally catch) rolls back everything the import wrote before it.
#[tokio::test]
async fn an_import_that_fails_while_writing_leaves_nothing_behind() {
    use crs_api::domain::catalogue::{
        Contract, ContractArea, Eligibility, ReferralWindow, ServiceProvider,
    };
    use crs_api::domain::onboarding::{ContractPlan, OnboardingPlan, contract_id, intervention_id};
    let app = TestApp::spawn().await;
    let before = snapshot(&app).await;
    let plan = OnboardingPlan {
        providers: vec![ServiceProvider {
            code: "HALF_WAY".into(),
            name: "Half way".into(),
        }],
        probation_delivery_units: vec![],
        contracts: vec![ContractPlan {
            contract: Contract {
                id: contract_id("BROKEN"),
                reference: "BROKEN".into(),
                contract_type_code: "NO-SUCH-TYPE".into(),
                prime_provider_code: "HALF_WAY".into(),
                area: ContractArea::Region("J".into()),
                eligibility: Eligibility {
                    minimum_age: 18,
                    maximum_age: None,
                    allows_female: true,
                    allows_male: true,
                },
                window: ReferralWindow {
                    opens_on: chrono::NaiveDate::MIN,
                    closes_after: None,
                },
            },
            subcontractor_codes: vec![],
            intervention_id: intervention_id("BROKEN"),
            intervention_title: "Broken".into(),
            intervention_description: "Broken".into(),
        }],
    };
    assert!(crs_api::db::import::apply(&app.db, &plan).await.is_err());
    assert_eq!(
        snapshot(&app).await,
        before,
        "the provider written first was rolled back"
    );
}

/// Runs the `crs-api` binary with only these environment variables (and `PATH`).
pub(crate) fn cli(database: &[(&'static str, String)], args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_crs-api"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(database.iter().map(|(k, v)| (*k, v.as_str())))
        .env("CRS_LOG", "warn")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run crs-api");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_cli_imports_idempotently_and_refuses_bad_files() {
    let (database, _keep) = fresh_database().await;
    let (ok, out, err) = cli(&database, &["catalogue", "import", "catalogue/demo.json"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("contracts: 9 created, 0 updated, 0 unchanged"),
        "{out}"
    );
    let (ok, out, _) = cli(&database, &["catalogue", "import", "catalogue/demo.json"]);
    assert!(ok);
    assert!(
        out.contains("contracts: 0 created, 0 updated, 9 unchanged"),
        "{out}"
    );
    let bad = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(bad.path(), r#"{"contracts":[{"reference":"Z"}]}"#).unwrap();
    let (ok, _, err) = cli(
        &database,
        &["catalogue", "import", &bad.path().display().to_string()],
    );
    assert!(!ok);
    assert!(err.contains(&bad.path().display().to_string()), "{err}");
    let (ok, _, err) = cli(&database, &["catalogue", "import", "no-such-file.json"]);
    assert!(!ok);
    assert!(err.contains("no-such-file.json"), "{err}");
}

#[tokio::test]
async fn the_cli_mints_tokens_and_prints_the_schema() {
    let (database, _keep) = fresh_database().await;
    let (ok, out, err) = cli(
        &database,
        &[
            "token",
            "--role",
            "provider",
            "--provider",
            "HARBOUR_LIGHT",
            "--contract",
            "CRS-ACC-J-01",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(out.trim().split('.').count(), 3, "{out}");
    let (ok, out, _) = cli(&database, &["schema"]);
    assert!(ok);
    assert_eq!(out, crs_api::graphql::sdl());
    let (ok, out, err) = cli(&database, &["migrate"]);
    assert!(ok, "{err}");
    assert!(out.contains("migrations applied"));
    let mut production = database.clone();
    production.extend([
        ("CRS_ENV", "production".to_owned()),
        (
            "CRS_JWT_SECRET",
            "a-production-secret-of-more-than-32-bytes".to_owned(),
        ),
        ("CRS_JWT_ISSUER", "https://auth.example".to_owned()),
        ("CRS_JWT_AUDIENCE", "crs".to_owned()),
    ]);
    let (ok, out, err) = cli(&production, &["token", "--role", "read-all"]);
    assert!(!ok && out.is_empty(), "{out}");
    assert!(err.contains("development only"), "{err}");
    let mut bad_env = database.clone();
    bad_env.push(("CRS_GRAPHQL_MAX_DEPTH", "deep".into()));
    let (ok, _, err) = cli(&bad_env, &["schema"]);
    assert!(!ok);
    assert!(err.contains("CRS_GRAPHQL_MAX_DEPTH"), "{err}");
}
