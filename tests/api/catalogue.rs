//! The reference catalogue and the intervention search.

use serde_json::{Value, json};

use crate::support::personas::{commissioner, harbour_light_user, machine, practitioner};
use crate::support::{TestApp, first_code};

fn references(data: &Value) -> Vec<String> {
    let mut refs: Vec<String> = data["interventions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["contract"]["reference"].as_str().unwrap().to_owned())
        .collect();
    refs.sort();
    refs
}

async fn search(app: &TestApp, filter: Value) -> Vec<String> {
    let query =
        "query($f: InterventionFilter) { interventions(filter: $f) { contract { reference } } }";
    references(
        &app.data(&app.token(&practitioner()), query, json!({ "f": filter }))
            .await,
    )
}

const ACCOMMODATION: &str = "428ee70f-3001-4399-95a6-ad25eaaede16";

#[tokio::test]
async fn there_are_12_regions_and_42_pcc_areas_each_with_a_delivery_unit() {
    let app = TestApp::spawn().await;
    let query = "{ regions { code name pccAreas { code region { code } probationDeliveryUnits { code pccArea { code } } } } }";
    let data = app
        .data(&app.token(&practitioner()), query, json!({}))
        .await;
    let regions = data["regions"].as_array().unwrap();
    assert_eq!(regions.len(), 12);
    let codes: Vec<&str> = regions
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        vec!["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L"]
    );
    let mut areas = 0;
    for region in regions {
        for area in region["pccAreas"].as_array().unwrap() {
            areas += 1;
            assert_eq!(area["region"]["code"], region["code"]);
            let units = area["probationDeliveryUnits"].as_array().unwrap();
            assert!(!units.is_empty(), "{area}");
            assert!(units.iter().all(|u| u["pccArea"]["code"] == area["code"]));
        }
    }
    assert_eq!(areas, 42);
    let london = regions.iter().find(|r| r["code"] == "J").unwrap();
    assert_eq!(london["name"], "London");
    assert_eq!(london["pccAreas"][0]["code"], "metropolitan");
}

#[tokio::test]
async fn every_service_category_has_complexity_levels_and_desired_outcomes() {
    let app = TestApp::spawn().await;
    let query = "{ serviceCategories { id name complexityLevels { id complexity title description } desiredOutcomes { id description } } }";
    let data = app
        .data(&app.token(&practitioner()), query, json!({}))
        .await;
    let categories = data["serviceCategories"].as_array().unwrap();
    assert_eq!(categories.len(), 37);
    for category in categories {
        let levels: Vec<&str> = category["complexityLevels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["complexity"].as_str().unwrap())
            .collect();
        assert_eq!(
            levels,
            vec!["LOW", "MEDIUM", "HIGH"],
            "{}",
            category["name"]
        );
        assert!(
            !category["desiredOutcomes"].as_array().unwrap().is_empty(),
            "{}",
            category["name"]
        );
    }
    let accommodation = categories
        .iter()
        .find(|c| c["id"] == ACCOMMODATION)
        .expect("published id");
    assert_eq!(accommodation["name"], "Accommodation");
    assert_eq!(
        accommodation["desiredOutcomes"].as_array().unwrap().len(),
        3
    );
    assert_eq!(
        accommodation["complexityLevels"][0]["title"],
        "Low complexity"
    );
}

#[tokio::test]
async fn contract_types_carry_their_service_categories() {
    let app = TestApp::spawn().await;
    let query = "{ contractTypes { code name referenceSuffix serviceCategories { name } } }";
    let data = app
        .data(&app.token(&practitioner()), query, json!({}))
        .await;
    let types = data["contractTypes"].as_array().unwrap();
    assert_eq!(types.len(), 35);
    let find = |code: &str| {
        types
            .iter()
            .find(|t| t["code"] == code)
            .unwrap_or_else(|| panic!("{code}"))
    };
    for code in [
        "ACC", "ETE", "PWB", "WOS", "WSM", "MTR", "DNR", "FBD-L", "FBD-WI", "DNR-SY",
    ] {
        assert!(
            !find(code)["serviceCategories"]
                .as_array()
                .unwrap()
                .is_empty(),
            "{code}"
        );
    }
    assert_eq!(
        find("WOS")["serviceCategories"].as_array().unwrap().len(),
        8
    );
    assert_eq!(
        find("PWB")["serviceCategories"].as_array().unwrap().len(),
        4
    );
    assert_eq!(find("ACC")["referenceSuffix"], "AC");
    let wsm: Vec<&str> = find("WSM")["serviceCategories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        wsm.contains(&"Family and Significant Others (GM)"),
        "{wsm:?}"
    );
}

#[tokio::test]
async fn withdrawal_reasons_come_with_their_groupings() {
    let app = TestApp::spawn().await;
    let data = app
        .data(
            &app.token(&practitioner()),
            "{ withdrawalReasons { code description grouping } }",
            json!({}),
        )
        .await;
    let reasons = data["withdrawalReasons"].as_array().unwrap();
    assert_eq!(reasons.len(), 13);
    assert_eq!(
        reasons[0],
        json!({ "code": "INE", "description": "Ineligible referral", "grouping": "problem" })
    );
    let groupings: std::collections::BTreeSet<&str> = reasons
        .iter()
        .map(|r| r["grouping"].as_str().unwrap())
        .collect();
    assert_eq!(
        groupings.into_iter().collect::<Vec<_>>(),
        vec!["early", "other", "problem", "sentence", "user"]
    );
}

#[tokio::test]
async fn service_providers_and_contract_relations() {
    let app = TestApp::spawn().await;
    let data = app
        .data(
            &app.token(&practitioner()),
            "{ serviceProviders { code name } }",
            json!({}),
        )
        .await;
    assert_eq!(data["serviceProviders"].as_array().unwrap().len(), 5);
    let query = "{ interventions(filter: { pccAreaCode: \"avon-and-somerset\" }) { title minimumAge maximumAge allowsFemale allowsMale
        contract { reference contractType { code } primeProvider { code } subcontractors { code } region { code } pccAreas { code } } } }";
    let data = app
        .data(&app.token(&practitioner()), query, json!({}))
        .await;
    let contract = &data["interventions"][0]["contract"];
    assert_eq!(contract["reference"], "CRS-DNR-G-01");
    assert_eq!(contract["primeProvider"]["code"], "BRIDGEWAY");
    assert_eq!(
        contract["subcontractors"],
        json!([{ "code": "HARBOUR_LIGHT" }])
    );
    assert_eq!(
        contract["region"]["code"], "G",
        "a PCC-area contract's region is its area's parent"
    );
    assert_eq!(
        contract["pccAreas"],
        json!([{ "code": "avon-and-somerset" }])
    );
}

#[tokio::test]
async fn the_search_returns_only_contracts_open_for_referral_today() {
    let app = TestApp::spawn().await;
    let all = search(&app, json!({})).await;
    assert_eq!(all.len(), 8);
    assert!(
        !all.contains(&"CRS-ACC-K-01".to_owned()),
        "the closed contract is hidden"
    );
    let query = "query($id: ID!) { intervention(id: $id) { openForReferrals contract { referralEndDate } } }";
    let id = crs_api::domain::onboarding::intervention_id("CRS-ACC-K-01").to_string();
    let data = app
        .data(&app.token(&practitioner()), query, json!({ "id": id }))
        .await;
    assert_eq!(
        data["intervention"],
        json!({ "openForReferrals": false, "contract": { "referralEndDate": "2023-03-31" } })
    );
}

#[tokio::test]
async fn the_region_filter_matches_region_contracts_and_pcc_contracts_inside_it() {
    let app = TestApp::spawn().await;
    assert_eq!(
        search(&app, json!({ "regionCode": "J" })).await,
        vec!["CRS-ACC-J-01", "CRS-FBD-L-01", "CRS-WOS-J-01"]
    );
    assert_eq!(
        search(&app, json!({ "regionCode": "G" })).await,
        vec!["CRS-DNR-G-01"]
    );
    assert_eq!(
        search(&app, json!({ "regionCode": "D" })).await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn the_pcc_area_filter_matches_area_contracts_and_contracts_of_its_region() {
    let app = TestApp::spawn().await;
    assert_eq!(
        search(&app, json!({ "pccAreaCode": "metropolitan" })).await,
        vec!["CRS-ACC-J-01", "CRS-FBD-L-01", "CRS-WOS-J-01"]
    );
    assert_eq!(
        search(&app, json!({ "pccAreaCode": "west-yorkshire" })).await,
        vec!["CRS-PWB-C-01"]
    );
    assert_eq!(
        search(&app, json!({ "pccAreaCode": "northumbria" })).await,
        vec!["CRS-ETE-A-01"]
    );
    assert_eq!(
        search(&app, json!({ "pccAreaCode": "cleveland" })).await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn the_service_category_filter() {
    let app = TestApp::spawn().await;
    assert_eq!(
        search(&app, json!({ "serviceCategoryId": ACCOMMODATION })).await,
        vec!["CRS-ACC-J-01", "CRS-WOS-J-01", "CRS-WSM-L-01"]
    );
}

/// Imports one open-ended ACC contract in Kent with the given window and eligibility.
async fn import_contract(
    app: &TestApp,
    reference: &str,
    opens: &str,
    closes: Option<&str>,
    female: bool,
) {
    let file = json!({ "contracts": [{
        "reference": reference, "contractType": "ACC", "primeProvider": "BRIDGEWAY", "pccArea": "kent",
        "eligibility": { "minimumAge": 18, "maximumAge": null, "allowsFemale": female, "allowsMale": true },
        "referralWindow": { "opensOn": opens, "closesAfter": closes },
        "intervention": { "title": reference, "description": "Test contract" }
    }]});
    let services = crs_api::service::Services::new(app.db.clone());
    crs_api::service::catalogue_import::import_text(&services, "test.json", &file.to_string())
        .await
        .unwrap();
}

#[tokio::test]
async fn the_referral_window_includes_its_first_and_last_day_in_the_uk() {
    let app = TestApp::spawn().await;
    let today = crs_api::service::catalogue::today();
    let day = |offset: i64| {
        (today + chrono::Duration::days(offset))
            .format("%Y-%m-%d")
            .to_string()
    };
    import_contract(&app, "OPENS-TODAY", &day(0), None, true).await;
    import_contract(&app, "OPENS-TOMORROW", &day(1), None, true).await;
    import_contract(&app, "CLOSES-TODAY", "2021-01-01", Some(&day(0)), true).await;
    import_contract(&app, "CLOSED-YESTERDAY", "2021-01-01", Some(&day(-1)), true).await;
    let found = search(&app, json!({ "pccAreaCode": "kent" })).await;
    assert_eq!(found, vec!["CLOSES-TODAY", "OPENS-TODAY"]);
}

#[tokio::test]
async fn the_gender_filter() {
    let app = TestApp::spawn().await;
    import_contract(&app, "MEN-ONLY", "2021-01-01", None, false).await;
    let female = search(&app, json!({ "gender": "FEMALE" })).await;
    assert_eq!(female.len(), 8);
    assert!(!female.contains(&"MEN-ONLY".to_owned()));
    let male = search(&app, json!({ "gender": "MALE" })).await;
    assert_eq!(male.len(), 7);
    assert!(male.contains(&"MEN-ONLY".to_owned()));
    assert!(
        !male.contains(&"CRS-WOS-J-01".to_owned()) && !male.contains(&"CRS-WSM-L-01".to_owned())
    );
    assert_eq!(
        search(&app, json!({ "gender": "NOT_KNOWN" })).await.len(),
        9
    );
}

#[tokio::test]
async fn the_age_filter_uses_the_minimum_and_maximum_age() {
    let app = TestApp::spawn().await;
    assert_eq!(
        search(&app, json!({ "age": 17 })).await,
        Vec::<String>::new()
    );
    assert_eq!(search(&app, json!({ "age": 25 })).await.len(), 8);
    let older = search(&app, json!({ "age": 26 })).await;
    assert_eq!(older.len(), 7);
    assert!(!older.contains(&"CRS-ETE-A-01".to_owned()));
}

#[tokio::test]
async fn filters_combine() {
    let app = TestApp::spawn().await;
    let found = search(&app, json!({ "regionCode": "J", "gender": "MALE", "serviceCategoryId": ACCOMMODATION, "age": 40 })).await;
    assert_eq!(found, vec!["CRS-ACC-J-01"]);
}

#[tokio::test]
async fn an_invalid_filter_is_bad_user_input_listing_each_field() {
    let app = TestApp::spawn().await;
    let query = "query($f: InterventionFilter) { interventions(filter: $f) { id } }";
    let token = app.token(&practitioner());
    let (_, body) = app
        .gql(
            &token,
            query,
            json!({ "f": { "regionCode": "Z", "pccAreaCode": "atlantis", "age": -3 } }),
        )
        .await;
    assert_eq!(first_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["fields"],
        json!([
            { "field": "regionCode", "code": "INVALID_VALUE" },
            { "field": "pccAreaCode", "code": "INVALID_VALUE" },
            { "field": "age", "code": "INVALID_VALUE" }
        ])
    );
    let (_, body) = app
        .gql(
            &token,
            query,
            json!({ "f": { "serviceCategoryId": "accommodation" } }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["fields"],
        json!([{ "field": "serviceCategoryId", "code": "INVALID_FORMAT" }])
    );
    let (_, body) = app
        .gql(&token, query, json!({ "f": { "gender": "UNKNOWN" } }))
        .await;
    assert_eq!(first_code(&body), "BAD_USER_INPUT", "{body}");
}

#[tokio::test]
async fn intervention_by_id_is_null_for_unknown_and_malformed_ids() {
    let app = TestApp::spawn().await;
    let query = "query($id: ID!) { intervention(id: $id) { title } }";
    let token = app.token(&practitioner());
    let id = crs_api::domain::onboarding::intervention_id("CRS-ACC-J-01").to_string();
    let data = app.data(&token, query, json!({ "id": id })).await;
    assert_eq!(
        data["intervention"]["title"],
        "Accommodation Services - London"
    );
    for id in [
        uuid::Uuid::new_v4().to_string(),
        "not-a-uuid".to_owned(),
        "' OR 1=1 --".to_owned(),
    ] {
        let data = app.data(&token, query, json!({ "id": id })).await;
        assert_eq!(data["intervention"], Value::Null);
    }
}

#[tokio::test]
async fn every_role_can_read_the_catalogue() {
    let app = TestApp::spawn().await;
    for claims in [
        practitioner(),
        harbour_light_user(),
        commissioner(&["J"]),
        machine(),
    ] {
        let data = app
            .data(
                &app.token(&claims),
                "{ interventions { id } withdrawalReasons { code } }",
                json!({}),
            )
            .await;
        assert_eq!(data["interventions"].as_array().unwrap().len(), 8);
    }
}
