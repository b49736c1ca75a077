//! The declarative catalogue file that onboards providers, probation delivery units and
//! contracts (each with its intervention), and the checks it must pass before anything is
//! written.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::Deserialize;
use uuid::Uuid;

use super::catalogue::{
    Contract, ContractArea, Eligibility, MAX_AGE, ProbationDeliveryUnit, ReferralWindow,
    ServiceProvider,
};

/// Namespace of contract and intervention ids, which derive from the contract reference so that
/// re-importing a file never changes them.
const ONBOARDING_NAMESPACE: Uuid = Uuid::from_u128(0x2d8e_51c7_0a94_4f3b_b6e2_98c1_5a7f_03d6);

/// The stable id of the contract with this reference.
pub fn contract_id(reference: &str) -> Uuid {
    Uuid::new_v5(
        &ONBOARDING_NAMESPACE,
        format!("contract:{reference}").as_bytes(),
    )
}

/// The stable id of the intervention of the contract with this reference.
pub fn intervention_id(reference: &str) -> Uuid {
    Uuid::new_v5(
        &ONBOARDING_NAMESPACE,
        format!("intervention:{reference}").as_bytes(),
    )
}

/// The file as written (JSON).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CatalogueFile {
    #[serde(default)]
    pub providers: Vec<ProviderEntry>,
    #[serde(default)]
    pub probation_delivery_units: Vec<PduEntry>,
    #[serde(default)]
    pub contracts: Vec<ContractEntry>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProviderEntry {
    pub code: String,
    pub name: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PduEntry {
    pub code: String,
    pub name: String,
    pub pcc_area: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ContractEntry {
    pub reference: String,
    pub contract_type: String,
    pub prime_provider: String,
    #[serde(default)]
    pub subcontractors: Vec<String>,
    /// A probation region code, for a region-wide contract.
    pub region: Option<String>,
    /// A PCC area code, for a contract in one area.
    pub pcc_area: Option<String>,
    pub eligibility: EligibilityEntry,
    pub referral_window: WindowEntry,
    pub intervention: InterventionEntry,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EligibilityEntry {
    pub minimum_age: i32,
    pub maximum_age: Option<i32>,
    pub allows_female: bool,
    pub allows_male: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WindowEntry {
    pub opens_on: NaiveDate,
    pub closes_after: Option<NaiveDate>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct InterventionEntry {
    pub title: String,
    pub description: String,
}

/// Codes the file may refer to that are already in the database.
#[derive(Debug, Default)]
pub struct KnownCodes {
    pub contract_types: BTreeSet<String>,
    pub regions: BTreeSet<String>,
    pub pcc_areas: BTreeSet<String>,
    pub providers: BTreeSet<String>,
}

/// A contract ready to be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractPlan {
    pub contract: Contract,
    pub subcontractor_codes: Vec<String>,
    pub intervention_id: Uuid,
    pub intervention_title: String,
    pub intervention_description: String,
}

/// Everything a valid file asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OnboardingPlan {
    pub providers: Vec<ServiceProvider>,
    pub probation_delivery_units: Vec<ProbationDeliveryUnit>,
    pub contracts: Vec<ContractPlan>,
}

fn is_code(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 64
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Checks a parsed file against itself and `known`; every problem is listed, each naming its
/// entry (`contracts[2] (CRS-ACC-01): …`).
pub fn plan(file: CatalogueFile, known: &KnownCodes) -> Result<OnboardingPlan, Vec<String>> {
    let mut problems = Vec::new();
    let mut plan = OnboardingPlan::default();

    let mut provider_codes = known.providers.clone();
    let mut seen = BTreeSet::new();
    for (i, entry) in file.providers.into_iter().enumerate() {
        let at = format!("providers[{i}] ({})", entry.code);
        if !is_code(&entry.code) || entry.code.chars().any(|c| c.is_ascii_lowercase()) {
            problems.push(format!(
                "{at}: code must be 1 to 64 upper-case letters, digits, '_' or '-'"
            ));
        }
        if entry.name.trim().is_empty() {
            problems.push(format!("{at}: name must not be empty"));
        }
        if !seen.insert(entry.code.clone()) {
            problems.push(format!("{at}: provider listed twice"));
        }
        provider_codes.insert(entry.code.clone());
        plan.providers.push(ServiceProvider {
            code: entry.code,
            name: entry.name.trim().to_owned(),
        });
    }

    let mut seen = BTreeSet::new();
    for (i, entry) in file.probation_delivery_units.into_iter().enumerate() {
        let at = format!("probationDeliveryUnits[{i}] ({})", entry.code);
        if !is_code(&entry.code) {
            problems.push(format!(
                "{at}: code must be 1 to 64 letters, digits, '_' or '-'"
            ));
        }
        if entry.name.trim().is_empty() {
            problems.push(format!("{at}: name must not be empty"));
        }
        if !known.pcc_areas.contains(&entry.pcc_area) {
            problems.push(format!("{at}: unknown PCC area '{}'", entry.pcc_area));
        }
        if !seen.insert(entry.code.clone()) {
            problems.push(format!("{at}: delivery unit listed twice"));
        }
        plan.probation_delivery_units.push(ProbationDeliveryUnit {
            code: entry.code,
            name: entry.name.trim().to_owned(),
            pcc_area_code: entry.pcc_area,
        });
    }

    let mut seen = BTreeSet::new();
    for (i, entry) in file.contracts.into_iter().enumerate() {
        let before = problems.len();
        let at = format!("contracts[{i}] ({})", entry.reference);
        if !is_code(&entry.reference) {
            problems.push(format!(
                "{at}: reference must be 1 to 64 letters, digits, '_' or '-'"
            ));
        }
        if !seen.insert(entry.reference.clone()) {
            problems.push(format!("{at}: contract listed twice"));
        }
        if !known.contract_types.contains(&entry.contract_type) {
            problems.push(format!(
                "{at}: unknown contract type '{}'",
                entry.contract_type
            ));
        }
        if !provider_codes.contains(&entry.prime_provider) {
            problems.push(format!(
                "{at}: unknown prime provider '{}'",
                entry.prime_provider
            ));
        }
        let mut subcontractors = BTreeSet::new();
        for code in &entry.subcontractors {
            if !provider_codes.contains(code) {
                problems.push(format!("{at}: unknown subcontractor '{code}'"));
            }
            if code == &entry.prime_provider {
                problems.push(format!(
                    "{at}: '{code}' cannot be both prime provider and subcontractor"
                ));
            }
            if !subcontractors.insert(code.clone()) {
                problems.push(format!("{at}: subcontractor '{code}' listed twice"));
            }
        }
        let area = match (&entry.region, &entry.pcc_area) {
            (Some(region), None) if known.regions.contains(region) => {
                Some(ContractArea::Region(region.clone()))
            }
            (Some(region), None) => {
                problems.push(format!("{at}: unknown region '{region}'"));
                None
            }
            (None, Some(area)) if known.pcc_areas.contains(area) => {
                Some(ContractArea::PccArea(area.clone()))
            }
            (None, Some(area)) => {
                problems.push(format!("{at}: unknown PCC area '{area}'"));
                None
            }
            _ => {
                problems.push(format!("{at}: give exactly one of region or pccArea"));
                None
            }
        };
        let e = &entry.eligibility;
        if !(0..=MAX_AGE).contains(&e.minimum_age) {
            problems.push(format!("{at}: minimumAge must be between 0 and {MAX_AGE}"));
        }
        if let Some(max) = e.maximum_age
            && (max < e.minimum_age || max > MAX_AGE)
        {
            problems.push(format!(
                "{at}: maximumAge must be between minimumAge and {MAX_AGE}"
            ));
        }
        if !e.allows_female && !e.allows_male {
            problems.push(format!(
                "{at}: the contract must allow at least one of female or male"
            ));
        }
        let w = &entry.referral_window;
        if w.closes_after.is_some_and(|last| last < w.opens_on) {
            problems.push(format!(
                "{at}: referralWindow.closesAfter is before opensOn"
            ));
        }
        if entry.intervention.title.trim().is_empty()
            || entry.intervention.description.trim().is_empty()
        {
            problems.push(format!(
                "{at}: intervention title and description must not be empty"
            ));
        }
        if problems.len() > before {
            continue;
        }
        let Some(area) = area else { continue };
        plan.contracts.push(ContractPlan {
            contract: Contract {
                id: contract_id(&entry.reference),
                reference: entry.reference.clone(),
                contract_type_code: entry.contract_type,
                prime_provider_code: entry.prime_provider,
                area,
                eligibility: Eligibility {
                    minimum_age: e.minimum_age,
                    maximum_age: e.maximum_age,
                    allows_female: e.allows_female,
                    allows_male: e.allows_male,
                },
                window: ReferralWindow {
                    opens_on: w.opens_on,
                    closes_after: w.closes_after,
                },
            },
            subcontractor_codes: subcontractors.into_iter().collect(),
            intervention_id: intervention_id(&entry.reference),
            intervention_title: entry.intervention.title.trim().to_owned(),
            intervention_description: entry.intervention.description.trim().to_owned(),
        });
    }

    if problems.is_empty() {
        Ok(plan)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> KnownCodes {
        KnownCodes {
            contract_types: ["ACC".to_owned()].into(),
            regions: ["J".to_owned()].into(),
            pcc_areas: ["kent".to_owned()].into(),
            providers: ["EXISTING".to_owned()].into(),
        }
    }

    fn parse(json: &str) -> CatalogueFile {
        serde_json::from_str(json).expect("test file parses")
    }

    const CONTRACT: &str = r#"{"reference":"C-1","contractType":"ACC","primeProvider":"NEW","subcontractors":["EXISTING"],
        "region":"J","eligibility":{"minimumAge":18,"maximumAge":null,"allowsFemale":true,"allowsMale":true},
        "referralWindow":{"opensOn":"2021-06-01","closesAfter":null},"intervention":{"title":"T","description":"D"}}"#;

    #[test]
    fn a_good_file_plans_every_entry_with_stable_ids() {
        let file = parse(&format!(
            r#"{{"providers":[{{"code":"NEW","name":"New"}}],"contracts":[{CONTRACT}]}}"#
        ));
        let plan = plan(file, &known()).expect("valid");
        assert_eq!(plan.providers.len(), 1);
        assert_eq!(plan.contracts[0].contract.id, contract_id("C-1"));
        assert_eq!(plan.contracts[0].intervention_id, intervention_id("C-1"));
        assert_eq!(plan.contracts[0].subcontractor_codes, vec!["EXISTING"]);
    }

    #[test]
    fn every_problem_is_listed_with_its_entry() {
        let bad = CONTRACT
            .replace("\"ACC\"", "\"XXX\"")
            .replace("\"region\":\"J\"", "\"region\":\"Z\"")
            .replace("\"minimumAge\":18", "\"minimumAge\":40,\"maximumAge\":20")
            .replace(",\"maximumAge\":null", "");
        let file = parse(&format!(r#"{{"contracts":[{bad}]}}"#));
        let problems = plan(file, &known()).expect_err("invalid");
        let text = problems.join("\n");
        for expected in [
            "unknown contract type 'XXX'",
            "unknown prime provider 'NEW'",
            "unknown region 'Z'",
            "maximumAge",
        ] {
            assert!(text.contains(expected), "{text}");
        }
        assert!(
            problems.iter().all(|p| p.starts_with("contracts[0] (C-1)")),
            "{text}"
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_str::<CatalogueFile>(r#"{"provider":[]}"#).is_err());
    }

    #[test]
    fn a_contract_needs_exactly_one_area_and_one_sex() {
        let both = CONTRACT.replace("\"region\":\"J\"", "\"region\":\"J\",\"pccArea\":\"kent\"");
        let none = CONTRACT
            .replace(
                "\"allowsFemale\":true,\"allowsMale\":true",
                "\"allowsFemale\":false,\"allowsMale\":false",
            )
            .replace(
                "\"primeProvider\":\"NEW\"",
                "\"primeProvider\":\"EXISTING\"",
            )
            .replace("\"subcontractors\":[\"EXISTING\"]", "\"subcontractors\":[]");
        let text = plan(parse(&format!(r#"{{"contracts":[{both}]}}"#)), &known())
            .expect_err("x")
            .join("\n");
        assert!(text.contains("exactly one of region or pccArea"), "{text}");
        let text = plan(parse(&format!(r#"{{"contracts":[{none}]}}"#)), &known())
            .expect_err("x")
            .join("\n");
        assert!(text.contains("at least one of female or male"), "{text}");
    }
}
