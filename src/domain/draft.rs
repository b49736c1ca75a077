//! A referral's editable details, the checks on each update, and what must be present before it
//! is sent. All pure: the service layer supplies the catalogue facts in [`DraftContext`].

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use uuid::Uuid;

use super::catalogue::{Eligibility, Gender};
use crate::error::{FieldError, field_code as code};

/// Longest name accepted.
pub const MAX_NAME_LENGTH: usize = 100;
/// Longest free text accepted.
pub const MAX_TEXT_LENGTH: usize = 4000;

/// The person referred.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceUser {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub gender: Option<Gender>,
    pub ethnicity: Option<String>,
    pub preferred_language: Option<String>,
    pub disabilities: Vec<String>,
}

/// A selected service category with its complexity level and desired outcomes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectedCategory {
    pub service_category_id: Uuid,
    pub complexity_level_id: Option<Uuid>,
    pub desired_outcome_ids: Vec<Uuid>,
}

/// Where the person is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocationType {
    Custody,
    Community,
}

impl LocationType {
    pub fn code(self) -> &'static str {
        match self {
            LocationType::Custody => "CUSTODY",
            LocationType::Community => "COMMUNITY",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "CUSTODY" => Some(LocationType::Custody),
            "COMMUNITY" => Some(LocationType::Community),
            _ => None,
        }
    }
}

/// The person's location; prison and release details apply to custody only.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Location {
    pub location_type: Option<LocationType>,
    pub prison_code: Option<String>,
    pub expected_release_date: Option<NaiveDate>,
    pub expected_release_date_unknown_reason: Option<String>,
}

/// Everything a practitioner fills in on a draft.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DraftDetails {
    pub service_user: ServiceUser,
    pub categories: Vec<SelectedCategory>,
    pub completion_deadline: Option<NaiveDate>,
    pub maximum_enforceable_days: Option<i32>,
    pub reason_for_referral: Option<String>,
    pub further_information: Option<String>,
    pub accessibility_needs: Option<String>,
    pub additional_needs_information: Option<String>,
    pub needs_interpreter: Option<bool>,
    pub interpreter_language: Option<String>,
    pub has_additional_responsibilities: Option<bool>,
    pub when_unavailable: Option<String>,
    pub risk_information: Option<String>,
    pub location: Location,
    pub probation_delivery_unit_code: Option<String>,
    pub probation_office: Option<String>,
}

/// A change to one optional field: leave it, clear it, or set it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<T: Clone> Patch<T> {
    fn apply(&self, current: &mut Option<T>) {
        match self {
            Patch::Keep => {}
            Patch::Clear => *current = None,
            Patch::Set(value) => *current = Some(value.clone()),
        }
    }

    fn is_keep(&self) -> bool {
        matches!(self, Patch::Keep)
    }
}

/// Changes to the person.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceUserPatch {
    pub first_name: Patch<String>,
    pub last_name: Patch<String>,
    pub date_of_birth: Patch<NaiveDate>,
    pub gender: Patch<Gender>,
    pub ethnicity: Patch<String>,
    pub preferred_language: Patch<String>,
    pub disabilities: Option<Vec<String>>,
}

/// The person's location as given (replaces the whole location).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocationInput {
    pub location_type: LocationType,
    pub prison_code: Option<String>,
    pub expected_release_date: Option<NaiveDate>,
    pub expected_release_date_unknown_reason: Option<String>,
}

/// A partial update: anything left as `Keep`/`None` is unchanged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DraftUpdate {
    pub service_user: Option<ServiceUserPatch>,
    pub service_category_ids: Option<Vec<Uuid>>,
    /// (service category, complexity level)
    pub complexity_levels: Option<Vec<(Uuid, Uuid)>>,
    /// (service category, desired outcomes) — replaces that category's outcomes.
    pub desired_outcomes: Option<Vec<(Uuid, Vec<Uuid>)>>,
    pub completion_deadline: Patch<NaiveDate>,
    pub maximum_enforceable_days: Patch<i32>,
    pub reason_for_referral: Patch<String>,
    pub further_information: Patch<String>,
    pub accessibility_needs: Patch<String>,
    pub additional_needs_information: Patch<String>,
    pub needs_interpreter: Patch<bool>,
    pub interpreter_language: Patch<String>,
    pub has_additional_responsibilities: Patch<bool>,
    pub when_unavailable: Patch<String>,
    pub risk_information: Patch<String>,
    pub location: Option<LocationInput>,
    pub probation_delivery_unit: Patch<String>,
    pub probation_office: Patch<String>,
}

/// What the catalogue says of a probation delivery unit named for a draft. A referral is
/// counted in its contract's region: its delivery unit must be in that region too, so that
/// every dimension of the outcome report (region, PCC area, delivery unit) places it where the
/// region's commissioner sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnitCheck {
    Unknown,
    OutsideContractRegion,
    InContractRegion,
}

/// Catalogue facts an update is checked against.
#[derive(Clone, Debug)]
pub struct DraftContext {
    /// The service categories of the intervention's contract type.
    pub contract_categories: Vec<Uuid>,
    /// Complexity level id → its category.
    pub level_categories: HashMap<Uuid, Uuid>,
    /// Desired outcome id → its category.
    pub outcome_categories: HashMap<Uuid, Uuid>,
    /// The probation delivery unit the update names, checked against the catalogue (`None`
    /// when none is named).
    pub probation_delivery_unit: Option<UnitCheck>,
    /// Who the intervention is for.
    pub eligibility: Eligibility,
    pub today: NaiveDate,
}

/// Turns empty or blank text into `Clear`, trims the rest, and checks its length.
fn text(
    patch: &Patch<String>,
    field: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Patch<String> {
    match patch {
        Patch::Set(value) if value.trim().is_empty() => Patch::Clear,
        Patch::Set(value) if value.trim().chars().count() > max => {
            errors.push(FieldError::new(field, code::INVALID_LENGTH));
            Patch::Keep
        }
        Patch::Set(value) => Patch::Set(value.trim().to_owned()),
        other => other.clone(),
    }
}

/// Age in whole years on `day`.
pub fn age_on(date_of_birth: NaiveDate, day: NaiveDate) -> i32 {
    let mut age = day.year() - date_of_birth.year();
    if (day.month(), day.day()) < (date_of_birth.month(), date_of_birth.day()) {
        age -= 1;
    }
    age
}

/// Eligibility problems of the person for the intervention, when their details are known.
pub fn eligibility_problems(
    person: &ServiceUser,
    eligibility: &Eligibility,
    today: NaiveDate,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(dob) = person.date_of_birth {
        let age = age_on(dob, today);
        if age < eligibility.minimum_age || eligibility.maximum_age.is_some_and(|max| age > max) {
            errors.push(FieldError::new(
                "serviceUser.dateOfBirth",
                code::NOT_ELIGIBLE,
            ));
        }
    }
    match person.gender {
        Some(Gender::Female) if !eligibility.allows_female => {
            errors.push(FieldError::new("serviceUser.gender", code::NOT_ELIGIBLE));
        }
        Some(Gender::Male) if !eligibility.allows_male => {
            errors.push(FieldError::new("serviceUser.gender", code::NOT_ELIGIBLE));
        }
        _ => {}
    }
    errors
}

/// Checks a new person's details (on creation).
pub fn check_service_user(
    patch: &ServiceUserPatch,
    ctx: &DraftContext,
) -> Result<ServiceUser, Vec<FieldError>> {
    let mut person = ServiceUser::default();
    let mut errors = Vec::new();
    apply_service_user(&mut person, patch, ctx.today, &mut errors);
    errors.extend(eligibility_problems(&person, &ctx.eligibility, ctx.today));
    if errors.is_empty() {
        Ok(person)
    } else {
        Err(errors)
    }
}

fn apply_service_user(
    person: &mut ServiceUser,
    patch: &ServiceUserPatch,
    today: NaiveDate,
    errors: &mut Vec<FieldError>,
) {
    text(
        &patch.first_name,
        "serviceUser.firstName",
        MAX_NAME_LENGTH,
        errors,
    )
    .apply(&mut person.first_name);
    text(
        &patch.last_name,
        "serviceUser.lastName",
        MAX_NAME_LENGTH,
        errors,
    )
    .apply(&mut person.last_name);
    text(
        &patch.ethnicity,
        "serviceUser.ethnicity",
        MAX_NAME_LENGTH,
        errors,
    )
    .apply(&mut person.ethnicity);
    text(
        &patch.preferred_language,
        "serviceUser.preferredLanguage",
        MAX_NAME_LENGTH,
        errors,
    )
    .apply(&mut person.preferred_language);
    match &patch.date_of_birth {
        Patch::Set(dob) if *dob >= today => errors.push(FieldError::new(
            "serviceUser.dateOfBirth",
            code::DATE_MUST_BE_IN_THE_PAST,
        )),
        other => other.apply(&mut person.date_of_birth),
    }
    patch.gender.apply(&mut person.gender);
    if let Some(disabilities) = &patch.disabilities {
        let cleaned: Vec<String> = disabilities
            .iter()
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty())
            .collect();
        if cleaned.iter().any(|d| d.chars().count() > MAX_NAME_LENGTH) || cleaned.len() > 20 {
            errors.push(FieldError::new(
                "serviceUser.disabilities",
                code::INVALID_LENGTH,
            ));
        } else {
            person.disabilities = cleaned;
        }
    }
}

/// Applies `update` to `current`, enforcing every field rule; all problems are returned
/// together and nothing is applied when there is any.
pub fn apply_update(
    current: &DraftDetails,
    update: &DraftUpdate,
    ctx: &DraftContext,
) -> Result<DraftDetails, Vec<FieldError>> {
    // Every field named: a field added to `DraftUpdate` does not compile until it is applied
    // here (an unused one is a warning, an error in CI), so no update is silently dropped.
    let DraftUpdate {
        service_user,
        service_category_ids,
        complexity_levels,
        desired_outcomes,
        completion_deadline,
        maximum_enforceable_days,
        reason_for_referral,
        further_information,
        accessibility_needs,
        additional_needs_information,
        needs_interpreter,
        interpreter_language,
        has_additional_responsibilities,
        when_unavailable,
        risk_information,
        location: location_input,
        probation_delivery_unit,
        probation_office,
    } = update;
    let mut next = current.clone();
    let mut errors = Vec::new();

    if let Some(patch) = service_user {
        apply_service_user(&mut next.service_user, patch, ctx.today, &mut errors);
        errors.extend(eligibility_problems(
            &next.service_user,
            &ctx.eligibility,
            ctx.today,
        ));
    }

    if let Some(ids) = service_category_ids {
        if ids.iter().any(|id| !ctx.contract_categories.contains(id)) {
            errors.push(FieldError::new(
                "serviceCategoryIds",
                code::INVALID_SERVICE_CATEGORY_FOR_CONTRACT,
            ));
        } else {
            let mut selected: Vec<SelectedCategory> = Vec::new();
            for id in ids {
                if selected.iter().any(|s| s.service_category_id == *id) {
                    continue;
                }
                // Keeping a category keeps its level and outcomes; de-selecting drops them.
                let kept = current
                    .categories
                    .iter()
                    .find(|c| c.service_category_id == *id)
                    .cloned();
                selected.push(kept.unwrap_or(SelectedCategory {
                    service_category_id: *id,
                    complexity_level_id: None,
                    desired_outcome_ids: Vec::new(),
                }));
            }
            next.categories = selected;
        }
    }

    if let Some(levels) = complexity_levels {
        for (category, level) in levels {
            match next
                .categories
                .iter_mut()
                .find(|c| c.service_category_id == *category)
            {
                None => errors.push(FieldError::new(
                    "complexityLevels",
                    code::SERVICE_CATEGORY_MUST_BE_SET,
                )),
                Some(_) if ctx.level_categories.get(level) != Some(category) => {
                    errors.push(FieldError::new("complexityLevels", code::INVALID_VALUE));
                }
                Some(selected) => selected.complexity_level_id = Some(*level),
            }
        }
    }

    if let Some(outcomes) = desired_outcomes {
        for (category, ids) in outcomes {
            match next
                .categories
                .iter_mut()
                .find(|c| c.service_category_id == *category)
            {
                None => errors.push(FieldError::new(
                    "desiredOutcomes",
                    code::SERVICE_CATEGORY_MUST_BE_SET,
                )),
                Some(_) if ids.is_empty() => {
                    errors.push(FieldError::new("desiredOutcomes", code::CANNOT_BE_EMPTY))
                }
                Some(_)
                    if ids
                        .iter()
                        .any(|id| ctx.outcome_categories.get(id) != Some(category)) =>
                {
                    errors.push(FieldError::new("desiredOutcomes", code::INVALID_VALUE));
                }
                Some(selected) => {
                    let mut unique = ids.clone();
                    unique.sort();
                    unique.dedup();
                    selected.desired_outcome_ids = unique;
                }
            }
        }
    }

    match completion_deadline {
        Patch::Set(day) if *day <= ctx.today => {
            errors.push(FieldError::new(
                "completionDeadline",
                code::DATE_MUST_BE_IN_THE_FUTURE,
            ));
        }
        other => other.apply(&mut next.completion_deadline),
    }
    match maximum_enforceable_days {
        Patch::Set(days) if *days <= 0 => {
            errors.push(FieldError::new(
                "maximumEnforceableDays",
                code::CANNOT_BE_NEGATIVE_OR_ZERO,
            ));
        }
        other => other.apply(&mut next.maximum_enforceable_days),
    }
    let texts: [(&Patch<String>, &str, &mut Option<String>); 9] = [
        (
            reason_for_referral,
            "reasonForReferral",
            &mut next.reason_for_referral,
        ),
        (
            further_information,
            "furtherInformation",
            &mut next.further_information,
        ),
        (
            accessibility_needs,
            "accessibilityNeeds",
            &mut next.accessibility_needs,
        ),
        (
            additional_needs_information,
            "additionalNeedsInformation",
            &mut next.additional_needs_information,
        ),
        (
            interpreter_language,
            "interpreterLanguage",
            &mut next.interpreter_language,
        ),
        (
            when_unavailable,
            "whenUnavailable",
            &mut next.when_unavailable,
        ),
        (
            risk_information,
            "riskInformation",
            &mut next.risk_information,
        ),
        (
            probation_office,
            "probationOffice",
            &mut next.probation_office,
        ),
        (
            probation_delivery_unit,
            "probationDeliveryUnit",
            &mut next.probation_delivery_unit_code,
        ),
    ];
    for (patch, field, target) in texts {
        text(patch, field, MAX_TEXT_LENGTH, &mut errors).apply(target);
    }
    if matches!(probation_delivery_unit, Patch::Set(_)) {
        let problem = match ctx.probation_delivery_unit {
            Some(UnitCheck::Unknown) => Some(code::INVALID_VALUE),
            Some(UnitCheck::OutsideContractRegion) => Some(code::NOT_IN_CONTRACT_REGION),
            Some(UnitCheck::InContractRegion) | None => None,
        };
        if let Some(problem) = problem {
            errors.push(FieldError::new("probationDeliveryUnit", problem));
        }
    }

    // Conditional text: required while its condition holds, cleared when it is switched off.
    needs_interpreter.apply(&mut next.needs_interpreter);
    if next.needs_interpreter != Some(true) {
        next.interpreter_language = None;
    } else if !(needs_interpreter.is_keep() && interpreter_language.is_keep())
        && next.interpreter_language.is_none()
    {
        errors.push(FieldError::new(
            "interpreterLanguage",
            code::CONDITIONAL_FIELD_MUST_BE_SET,
        ));
    }
    update
        .has_additional_responsibilities
        .apply(&mut next.has_additional_responsibilities);
    if next.has_additional_responsibilities != Some(true) {
        next.when_unavailable = None;
    } else if !(has_additional_responsibilities.is_keep() && when_unavailable.is_keep())
        && next.when_unavailable.is_none()
    {
        errors.push(FieldError::new(
            "whenUnavailable",
            code::CONDITIONAL_FIELD_MUST_BE_SET,
        ));
    }

    if let Some(input) = location_input {
        next.location = location(input, ctx.today, &mut errors);
    }

    if errors.is_empty() {
        Ok(next)
    } else {
        Err(errors)
    }
}

fn location(input: &LocationInput, today: NaiveDate, errors: &mut Vec<FieldError>) -> Location {
    let clean = |s: &Option<String>| {
        s.as_ref()
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    match input.location_type {
        // Switching to the community clears the custody details.
        LocationType::Community => Location {
            location_type: Some(LocationType::Community),
            ..Location::default()
        },
        LocationType::Custody => {
            let prison_code = clean(&input.prison_code);
            if prison_code.is_none() {
                errors.push(FieldError::new(
                    "location.prisonCode",
                    code::CONDITIONAL_FIELD_MUST_BE_SET,
                ));
            }
            let reason = clean(&input.expected_release_date_unknown_reason);
            match input.expected_release_date {
                Some(day) if day <= today => {
                    errors.push(FieldError::new(
                        "location.expectedReleaseDate",
                        code::DATE_MUST_BE_IN_THE_FUTURE,
                    ));
                }
                None if reason.is_none() => {
                    errors.push(FieldError::new(
                        "location.expectedReleaseDate",
                        code::CONDITIONAL_FIELD_MUST_BE_SET,
                    ));
                }
                _ => {}
            }
            Location {
                location_type: Some(LocationType::Custody),
                prison_code,
                expected_release_date: input.expected_release_date,
                // A known date makes the reason it is unknown moot.
                expected_release_date_unknown_reason: input
                    .expected_release_date
                    .map_or(reason, |_| None),
            }
        }
    }
}

/// Every field a draft still needs before it can be sent (contract section 4), in a fixed order.
pub fn missing_for_send(draft: &DraftDetails, today: NaiveDate) -> Vec<FieldError> {
    let mut missing = Vec::new();
    let mut need = |present: bool, field: &str, code: &'static str| {
        if !present {
            missing.push(FieldError::new(field, code));
        }
    };
    let person = &draft.service_user;
    need(
        person.first_name.is_some(),
        "serviceUser.firstName",
        code::CANNOT_BE_EMPTY,
    );
    need(
        person.last_name.is_some(),
        "serviceUser.lastName",
        code::CANNOT_BE_EMPTY,
    );
    need(
        person.date_of_birth.is_some(),
        "serviceUser.dateOfBirth",
        code::CANNOT_BE_EMPTY,
    );
    need(
        !draft.categories.is_empty(),
        "serviceCategoryIds",
        code::CANNOT_BE_EMPTY,
    );
    need(
        draft
            .categories
            .iter()
            .all(|c| c.complexity_level_id.is_some()),
        "complexityLevels",
        code::CONDITIONAL_FIELD_MUST_BE_SET,
    );
    need(
        draft
            .categories
            .iter()
            .all(|c| !c.desired_outcome_ids.is_empty()),
        "desiredOutcomes",
        code::CONDITIONAL_FIELD_MUST_BE_SET,
    );
    match draft.completion_deadline {
        None => need(false, "completionDeadline", code::CANNOT_BE_EMPTY),
        Some(day) => need(
            day > today,
            "completionDeadline",
            code::DATE_MUST_BE_IN_THE_FUTURE,
        ),
    }
    match draft.maximum_enforceable_days {
        None => need(false, "maximumEnforceableDays", code::CANNOT_BE_EMPTY),
        Some(days) => need(
            days > 0,
            "maximumEnforceableDays",
            code::CANNOT_BE_NEGATIVE_OR_ZERO,
        ),
    }
    need(
        draft.risk_information.is_some(),
        "riskInformation",
        code::CANNOT_BE_EMPTY,
    );
    need(
        draft.needs_interpreter.is_some(),
        "needsInterpreter",
        code::CANNOT_BE_EMPTY,
    );
    need(
        draft.needs_interpreter != Some(true) || draft.interpreter_language.is_some(),
        "interpreterLanguage",
        code::CONDITIONAL_FIELD_MUST_BE_SET,
    );
    need(
        draft.has_additional_responsibilities.is_some(),
        "hasAdditionalResponsibilities",
        code::CANNOT_BE_EMPTY,
    );
    need(
        draft.has_additional_responsibilities != Some(true) || draft.when_unavailable.is_some(),
        "whenUnavailable",
        code::CONDITIONAL_FIELD_MUST_BE_SET,
    );
    need(
        draft.probation_delivery_unit_code.is_some(),
        "probationDeliveryUnit",
        code::CANNOT_BE_EMPTY,
    );
    let location = &draft.location;
    need(
        location.location_type.is_some(),
        "location",
        code::CANNOT_BE_EMPTY,
    );
    if location.location_type == Some(LocationType::Custody) {
        need(
            location.prison_code.is_some(),
            "location.prisonCode",
            code::CONDITIONAL_FIELD_MUST_BE_SET,
        );
        need(
            location.expected_release_date.is_some()
                || location.expected_release_date_unknown_reason.is_some(),
            "location.expectedReleaseDate",
            code::CONDITIONAL_FIELD_MUST_BE_SET,
        );
    }
    missing
}

/// A case reference number: one letter and six digits (e.g. `X123456`), upper-cased.
pub fn parse_crn(crn: &str) -> Option<String> {
    let crn = crn.trim().to_ascii_uppercase();
    let bytes = crn.as_bytes();
    (bytes.len() == 7 && bytes[0].is_ascii_uppercase() && bytes[1..].iter().all(u8::is_ascii_digit))
        .then_some(crn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    const TODAY: &str = "2026-11-22";
    fn cat(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn ctx() -> DraftContext {
        DraftContext {
            contract_categories: vec![cat(1), cat(2)],
            level_categories: [(cat(11), cat(1)), (cat(21), cat(2))].into(),
            outcome_categories: [(cat(101), cat(1)), (cat(102), cat(1)), (cat(201), cat(2))].into(),
            probation_delivery_unit: Some(UnitCheck::InContractRegion),
            eligibility: Eligibility {
                minimum_age: 18,
                maximum_age: Some(25),
                allows_female: true,
                allows_male: false,
            },
            today: day(TODAY),
        }
    }

    fn codes(errors: &[FieldError]) -> Vec<(String, &'static str)> {
        errors.iter().map(|e| (e.field.clone(), e.code)).collect()
    }

    fn fail(update: DraftUpdate) -> Vec<(String, &'static str)> {
        codes(&apply_update(&DraftDetails::default(), &update, &ctx()).expect_err("should fail"))
    }

    #[test]
    fn interpreter_language_is_required_while_an_interpreter_is_needed() {
        let update = DraftUpdate {
            needs_interpreter: Patch::Set(true),
            ..Default::default()
        };
        assert_eq!(
            fail(update),
            vec![(
                "interpreterLanguage".into(),
                code::CONDITIONAL_FIELD_MUST_BE_SET
            )]
        );
        let update = DraftUpdate {
            needs_interpreter: Patch::Set(true),
            interpreter_language: Patch::Set("Polish".into()),
            ..Default::default()
        };
        let draft = apply_update(&DraftDetails::default(), &update, &ctx()).expect("valid");
        assert_eq!(draft.interpreter_language.as_deref(), Some("Polish"));
        // Switching the condition off clears its text.
        let off = DraftUpdate {
            needs_interpreter: Patch::Set(false),
            ..Default::default()
        };
        let draft = apply_update(&draft, &off, &ctx()).expect("valid");
        assert_eq!(draft.interpreter_language, None);
    }

    #[test]
    fn when_unavailable_is_required_with_additional_responsibilities() {
        let update = DraftUpdate {
            has_additional_responsibilities: Patch::Set(true),
            ..Default::default()
        };
        assert_eq!(
            fail(update),
            vec![(
                "whenUnavailable".into(),
                code::CONDITIONAL_FIELD_MUST_BE_SET
            )]
        );
        let update = DraftUpdate {
            has_additional_responsibilities: Patch::Set(true),
            when_unavailable: Patch::Set("Mondays".into()),
            ..Default::default()
        };
        let draft = apply_update(&DraftDetails::default(), &update, &ctx()).expect("valid");
        let off = DraftUpdate {
            has_additional_responsibilities: Patch::Set(false),
            ..Default::default()
        };
        assert_eq!(
            apply_update(&draft, &off, &ctx())
                .expect("valid")
                .when_unavailable,
            None
        );
    }

    #[test]
    fn categories_levels_and_outcomes_must_belong_together() {
        let update = DraftUpdate {
            service_category_ids: Some(vec![cat(9)]),
            ..Default::default()
        };
        assert_eq!(
            fail(update),
            vec![(
                "serviceCategoryIds".into(),
                code::INVALID_SERVICE_CATEGORY_FOR_CONTRACT
            )]
        );
        let update = DraftUpdate {
            complexity_levels: Some(vec![(cat(1), cat(11))]),
            ..Default::default()
        };
        assert_eq!(
            fail(update),
            vec![(
                "complexityLevels".into(),
                code::SERVICE_CATEGORY_MUST_BE_SET
            )]
        );
        let update = DraftUpdate {
            service_category_ids: Some(vec![cat(1)]),
            complexity_levels: Some(vec![(cat(1), cat(21))]),
            desired_outcomes: Some(vec![(cat(1), vec![cat(201)])]),
            ..Default::default()
        };
        assert_eq!(
            fail(update),
            vec![
                ("complexityLevels".into(), code::INVALID_VALUE),
                ("desiredOutcomes".into(), code::INVALID_VALUE)
            ]
        );
        let update = DraftUpdate {
            service_category_ids: Some(vec![cat(1)]),
            desired_outcomes: Some(vec![(cat(1), vec![])]),
            ..Default::default()
        };
        assert_eq!(
            fail(update),
            vec![("desiredOutcomes".into(), code::CANNOT_BE_EMPTY)]
        );
    }

    #[test]
    fn deselecting_a_category_drops_its_level_and_outcomes() {
        let update = DraftUpdate {
            service_category_ids: Some(vec![cat(1), cat(2)]),
            complexity_levels: Some(vec![(cat(1), cat(11)), (cat(2), cat(21))]),
            desired_outcomes: Some(vec![
                (cat(1), vec![cat(101), cat(102)]),
                (cat(2), vec![cat(201)]),
            ]),
            ..Default::default()
        };
        let draft = apply_update(&DraftDetails::default(), &update, &ctx()).expect("valid");
        assert_eq!(draft.categories.len(), 2);
        let keep_one = DraftUpdate {
            service_category_ids: Some(vec![cat(2)]),
            ..Default::default()
        };
        let draft = apply_update(&draft, &keep_one, &ctx()).expect("valid");
        assert_eq!(
            draft.categories,
            vec![SelectedCategory {
                service_category_id: cat(2),
                complexity_level_id: Some(cat(21)),
                desired_outcome_ids: vec![cat(201)]
            }]
        );
        let reselect = DraftUpdate {
            service_category_ids: Some(vec![cat(2), cat(1)]),
            ..Default::default()
        };
        let draft = apply_update(&draft, &reselect, &ctx()).expect("valid");
        assert_eq!(
            draft.categories[1].complexity_level_id, None,
            "a re-selected category starts empty"
        );
    }

    #[test]
    fn dates_and_numbers() {
        let update = DraftUpdate {
            completion_deadline: Patch::Set(day(TODAY)),
            maximum_enforceable_days: Patch::Set(0),
            ..Default::default()
        };
        assert_eq!(
            fail(update),
            vec![
                (
                    "completionDeadline".into(),
                    code::DATE_MUST_BE_IN_THE_FUTURE
                ),
                (
                    "maximumEnforceableDays".into(),
                    code::CANNOT_BE_NEGATIVE_OR_ZERO
                )
            ]
        );
        let update = DraftUpdate {
            service_user: Some(ServiceUserPatch {
                date_of_birth: Patch::Set(day("2030-01-01")),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            fail(update),
            vec![(
                "serviceUser.dateOfBirth".into(),
                code::DATE_MUST_BE_IN_THE_PAST
            )]
        );
    }

    #[test]
    fn custody_needs_a_prison_and_a_release_date_or_its_reason() {
        let custody =
            |prison: Option<&str>, date: Option<&str>, reason: Option<&str>| DraftUpdate {
                location: Some(LocationInput {
                    location_type: LocationType::Custody,
                    prison_code: prison.map(str::to_owned),
                    expected_release_date: date.map(day),
                    expected_release_date_unknown_reason: reason.map(str::to_owned),
                }),
                ..Default::default()
            };
        assert_eq!(
            fail(custody(None, None, None)),
            vec![
                (
                    "location.prisonCode".into(),
                    code::CONDITIONAL_FIELD_MUST_BE_SET
                ),
                (
                    "location.expectedReleaseDate".into(),
                    code::CONDITIONAL_FIELD_MUST_BE_SET
                )
            ]
        );
        let draft = apply_update(
            &DraftDetails::default(),
            &custody(Some("MDI"), None, Some("Awaiting parole")),
            &ctx(),
        )
        .expect("valid");
        assert_eq!(
            draft
                .location
                .expected_release_date_unknown_reason
                .as_deref(),
            Some("Awaiting parole")
        );
        let community = DraftUpdate {
            location: Some(LocationInput {
                location_type: LocationType::Community,
                prison_code: Some("MDI".into()),
                expected_release_date: None,
                expected_release_date_unknown_reason: None,
            }),
            ..Default::default()
        };
        let draft = apply_update(&draft, &community, &ctx()).expect("valid");
        assert_eq!(
            draft.location,
            Location {
                location_type: Some(LocationType::Community),
                ..Location::default()
            }
        );
    }

    #[test]
    fn eligibility_is_checked_when_details_are_known() {
        let person = |dob: &str, gender| ServiceUserPatch {
            date_of_birth: Patch::Set(day(dob)),
            gender: Patch::Set(gender),
            ..Default::default()
        };
        assert!(check_service_user(&person("2004-01-01", Gender::Female), &ctx()).is_ok());
        let errors = check_service_user(&person("1990-01-01", Gender::Male), &ctx())
            .expect_err("too old, male");
        assert_eq!(
            codes(&errors),
            vec![
                ("serviceUser.dateOfBirth".into(), code::NOT_ELIGIBLE),
                ("serviceUser.gender".into(), code::NOT_ELIGIBLE)
            ]
        );
        assert!(
            check_service_user(&ServiceUserPatch::default(), &ctx()).is_ok(),
            "unknown details pass"
        );
        assert_eq!(age_on(day("2008-11-23"), day(TODAY)), 17);
        assert_eq!(age_on(day("2008-11-22"), day(TODAY)), 18);
    }

    #[test]
    fn a_blank_draft_is_missing_every_required_field() {
        let missing = codes(&missing_for_send(&DraftDetails::default(), day(TODAY)));
        let fields: Vec<&str> = missing.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "serviceUser.firstName",
                "serviceUser.lastName",
                "serviceUser.dateOfBirth",
                "serviceCategoryIds",
                "completionDeadline",
                "maximumEnforceableDays",
                "riskInformation",
                "needsInterpreter",
                "hasAdditionalResponsibilities",
                "probationDeliveryUnit",
                "location"
            ]
        );
    }

    #[test]
    fn conditional_and_invalid_fields_are_listed_for_sending() {
        let draft = DraftDetails {
            service_user: ServiceUser {
                first_name: Some("A".into()),
                last_name: Some("B".into()),
                date_of_birth: Some(day("1990-01-01")),
                ..Default::default()
            },
            categories: vec![SelectedCategory {
                service_category_id: cat(1),
                complexity_level_id: None,
                desired_outcome_ids: vec![],
            }],
            completion_deadline: Some(day(TODAY)),
            maximum_enforceable_days: Some(0),
            risk_information: Some("none".into()),
            needs_interpreter: Some(true),
            has_additional_responsibilities: Some(true),
            probation_delivery_unit_code: Some("pdu".into()),
            location: Location {
                location_type: Some(LocationType::Custody),
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(
            codes(&missing_for_send(&draft, day(TODAY))),
            vec![
                (
                    "complexityLevels".into(),
                    code::CONDITIONAL_FIELD_MUST_BE_SET
                ),
                (
                    "desiredOutcomes".into(),
                    code::CONDITIONAL_FIELD_MUST_BE_SET
                ),
                (
                    "completionDeadline".into(),
                    code::DATE_MUST_BE_IN_THE_FUTURE
                ),
                (
                    "maximumEnforceableDays".into(),
                    code::CANNOT_BE_NEGATIVE_OR_ZERO
                ),
                (
                    "interpreterLanguage".into(),
                    code::CONDITIONAL_FIELD_MUST_BE_SET
                ),
                (
                    "whenUnavailable".into(),
                    code::CONDITIONAL_FIELD_MUST_BE_SET
                ),
                (
                    "location.prisonCode".into(),
                    code::CONDITIONAL_FIELD_MUST_BE_SET
                ),
                (
                    "location.expectedReleaseDate".into(),
                    code::CONDITIONAL_FIELD_MUST_BE_SET
                ),
            ]
        );
    }

    #[test]
    fn crns_are_checked_and_normalised() {
        assert_eq!(parse_crn(" x123456 ").as_deref(), Some("X123456"));
        assert_eq!(parse_crn("X12345"), None);
        assert_eq!(parse_crn("1234567"), None);
    }

    #[test]
    fn blank_text_clears_and_long_text_is_refused() {
        let update = DraftUpdate {
            reason_for_referral: Patch::Set("x".repeat(MAX_TEXT_LENGTH + 1)),
            ..Default::default()
        };
        assert_eq!(
            fail(update),
            vec![("reasonForReferral".into(), code::INVALID_LENGTH)]
        );
        let current = DraftDetails {
            reason_for_referral: Some("old".into()),
            ..Default::default()
        };
        let update = DraftUpdate {
            reason_for_referral: Patch::Set("   ".into()),
            ..Default::default()
        };
        assert_eq!(
            apply_update(&current, &update, &ctx())
                .expect("valid")
                .reason_for_referral,
            None
        );
    }
}
