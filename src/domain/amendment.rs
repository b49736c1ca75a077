//! Amendments of a sent referral and the change log they leave.
//!
//! A practitioner may change, with a reason, the details the reference service lets them amend
//! after sending: complexity levels and desired outcomes (until an action plan is approved),
//! needs and requirements, the interpreter, additional responsibilities, where the person is,
//! the probation office, the completion deadline, the maximum enforceable days, the reason for
//! the referral and further information. Each is checked as a draft update is, the referral
//! must stay complete in what was changed, and every topic that changed leaves one change-log
//! entry with its old and new value in words. A handover to another practitioner is logged the
//! same way.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::actor::UserId;
use super::draft::{self, DraftContext, DraftDetails, DraftUpdate, LocationType, Patch};
use crate::error::{FieldError, field_code as code};

/// What a change-log entry is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChangeTopic {
    CompletionDeadline,
    MaximumEnforceableDays,
    ReasonForReferral,
    FurtherInformation,
    /// One selected category's complexity level.
    ComplexityLevel,
    /// One selected category's desired outcomes.
    DesiredOutcomes,
    AccessibilityNeeds,
    AdditionalNeedsInformation,
    /// Whether an interpreter is needed, and the language.
    Interpreter,
    /// Caring or work responsibilities, and when the person is unavailable.
    AdditionalResponsibilities,
    /// Custody or community, the prison and the expected release.
    Location,
    ProbationOffice,
    /// A handover to another practitioner (values are user ids).
    ResponsiblePractitioner,
}

impl ChangeTopic {
    pub const ALL: [ChangeTopic; 13] = [
        ChangeTopic::CompletionDeadline,
        ChangeTopic::MaximumEnforceableDays,
        ChangeTopic::ReasonForReferral,
        ChangeTopic::FurtherInformation,
        ChangeTopic::ComplexityLevel,
        ChangeTopic::DesiredOutcomes,
        ChangeTopic::AccessibilityNeeds,
        ChangeTopic::AdditionalNeedsInformation,
        ChangeTopic::Interpreter,
        ChangeTopic::AdditionalResponsibilities,
        ChangeTopic::Location,
        ChangeTopic::ProbationOffice,
        ChangeTopic::ResponsiblePractitioner,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            ChangeTopic::CompletionDeadline => "COMPLETION_DEADLINE",
            ChangeTopic::MaximumEnforceableDays => "MAXIMUM_ENFORCEABLE_DAYS",
            ChangeTopic::ReasonForReferral => "REASON_FOR_REFERRAL",
            ChangeTopic::FurtherInformation => "FURTHER_INFORMATION",
            ChangeTopic::ComplexityLevel => "COMPLEXITY_LEVEL",
            ChangeTopic::DesiredOutcomes => "DESIRED_OUTCOMES",
            ChangeTopic::AccessibilityNeeds => "ACCESSIBILITY_NEEDS",
            ChangeTopic::AdditionalNeedsInformation => "ADDITIONAL_NEEDS_INFORMATION",
            ChangeTopic::Interpreter => "INTERPRETER",
            ChangeTopic::AdditionalResponsibilities => "ADDITIONAL_RESPONSIBILITIES",
            ChangeTopic::Location => "LOCATION",
            ChangeTopic::ProbationOffice => "PROBATION_OFFICE",
            ChangeTopic::ResponsiblePractitioner => "RESPONSIBLE_PRACTITIONER",
        }
    }

    /// Parses a stored code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.code() == code)
    }

    /// Whether it is locked once an action plan is approved (the plan was written for it).
    fn locked_by_approved_plan(self) -> bool {
        matches!(
            self,
            ChangeTopic::ComplexityLevel | ChangeTopic::DesiredOutcomes
        )
    }

    /// The input fields whose completeness problems belong to this topic.
    fn fields(self) -> &'static [&'static str] {
        match self {
            ChangeTopic::CompletionDeadline => &["completionDeadline"],
            ChangeTopic::MaximumEnforceableDays => &["maximumEnforceableDays"],
            ChangeTopic::ReasonForReferral => &["reasonForReferral"],
            ChangeTopic::FurtherInformation => &["furtherInformation"],
            ChangeTopic::ComplexityLevel => &["complexityLevels"],
            ChangeTopic::DesiredOutcomes => &["desiredOutcomes"],
            ChangeTopic::AccessibilityNeeds => &["accessibilityNeeds"],
            ChangeTopic::AdditionalNeedsInformation => &["additionalNeedsInformation"],
            ChangeTopic::Interpreter => &["needsInterpreter", "interpreterLanguage"],
            ChangeTopic::AdditionalResponsibilities => {
                &["hasAdditionalResponsibilities", "whenUnavailable"]
            }
            ChangeTopic::Location => &["location"],
            ChangeTopic::ProbationOffice => &["probationOffice"],
            ChangeTopic::ResponsiblePractitioner => &["toPractitionerId"],
        }
    }
}

/// One entry of a referral's change log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeLogEntry {
    pub id: Uuid,
    pub referral_id: Uuid,
    pub topic: ChangeTopic,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    /// Always given for an amendment; a handover may have none.
    pub reason: Option<String>,
    pub actor_id: UserId,
    pub at: DateTime<Utc>,
}

/// What an amendment may change: the amendable fields of a draft update, nothing else.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Amendment {
    pub complexity_levels: Option<Vec<(Uuid, Uuid)>>,
    pub desired_outcomes: Option<Vec<(Uuid, Vec<Uuid>)>>,
    pub completion_deadline: Patch<chrono::NaiveDate>,
    pub maximum_enforceable_days: Patch<i32>,
    pub reason_for_referral: Patch<String>,
    pub further_information: Patch<String>,
    pub accessibility_needs: Patch<String>,
    pub additional_needs_information: Patch<String>,
    pub needs_interpreter: Patch<bool>,
    pub interpreter_language: Patch<String>,
    pub has_additional_responsibilities: Patch<bool>,
    pub when_unavailable: Patch<String>,
    pub location: Option<draft::LocationInput>,
    pub probation_office: Patch<String>,
}

impl Amendment {
    /// The same change as a draft update, checked by the draft's rules.
    fn as_update(&self) -> DraftUpdate {
        DraftUpdate {
            complexity_levels: self.complexity_levels.clone(),
            desired_outcomes: self.desired_outcomes.clone(),
            completion_deadline: self.completion_deadline.clone(),
            maximum_enforceable_days: self.maximum_enforceable_days.clone(),
            reason_for_referral: self.reason_for_referral.clone(),
            further_information: self.further_information.clone(),
            accessibility_needs: self.accessibility_needs.clone(),
            additional_needs_information: self.additional_needs_information.clone(),
            needs_interpreter: self.needs_interpreter.clone(),
            interpreter_language: self.interpreter_language.clone(),
            has_additional_responsibilities: self.has_additional_responsibilities.clone(),
            when_unavailable: self.when_unavailable.clone(),
            location: self.location.clone(),
            probation_office: self.probation_office.clone(),
            ..DraftUpdate::default()
        }
    }
}

/// Catalogue titles by id (service categories, complexity levels, desired outcomes), so the
/// change log reads in words.
pub type Words = HashMap<Uuid, String>;

/// A change of one topic, before it is stamped with its reason, actor and time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicChange {
    pub topic: ChangeTopic,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

/// Why an amendment is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AmendmentRefusal {
    /// Invalid values, or a required detail cleared (`BAD_USER_INPUT`).
    Invalid(Vec<FieldError>),
    /// Complexity levels or desired outcomes after an action plan was approved (`CONFLICT`).
    LockedByApprovedPlan,
    /// Nothing would change (`BAD_USER_INPUT`).
    NothingChanged,
}

/// The details after `amendment`, and what changed, topic by topic.
pub fn amend(
    current: &DraftDetails,
    amendment: &Amendment,
    ctx: &DraftContext,
    plan_approved: bool,
    words: &Words,
) -> Result<(DraftDetails, Vec<TopicChange>), AmendmentRefusal> {
    let next = draft::apply_update(current, &amendment.as_update(), ctx)
        .map_err(AmendmentRefusal::Invalid)?;
    let changes = changes(current, &next, words);
    if changes.is_empty() {
        return Err(AmendmentRefusal::NothingChanged);
    }
    if plan_approved && changes.iter().any(|c| c.topic.locked_by_approved_plan()) {
        return Err(AmendmentRefusal::LockedByApprovedPlan);
    }
    // The referral stays complete in what changed (an older deadline elsewhere is not the
    // amendment's problem).
    let touched: Vec<&str> = changes
        .iter()
        .flat_map(|c| c.topic.fields())
        .copied()
        .collect();
    let missing: Vec<FieldError> = draft::missing_for_send(&next, ctx.today)
        .into_iter()
        .filter(|problem| {
            touched.iter().any(|field| {
                problem.field == *field || problem.field.starts_with(&format!("{field}."))
            })
        })
        .collect();
    if !missing.is_empty() {
        return Err(AmendmentRefusal::Invalid(missing));
    }
    Ok((next, changes))
}

fn word(words: &Words, id: Uuid) -> String {
    words.get(&id).cloned().unwrap_or_else(|| id.to_string())
}

fn yes_no(value: Option<bool>, detail: Option<&str>) -> Option<String> {
    value.map(|yes| match (yes, detail) {
        (true, Some(detail)) => format!("Yes: {detail}"),
        (true, None) => "Yes".to_owned(),
        (false, _) => "No".to_owned(),
    })
}

fn location_words(location: &draft::Location) -> Option<String> {
    let kind = location.location_type?;
    Some(match kind {
        LocationType::Community => "Community".to_owned(),
        LocationType::Custody => {
            let prison = location.prison_code.as_deref().unwrap_or("unknown prison");
            match (
                location.expected_release_date,
                location.expected_release_date_unknown_reason.as_deref(),
            ) {
                (Some(day), _) => format!("Custody at {prison}, expected release {day}"),
                (None, Some(reason)) => {
                    format!("Custody at {prison}, release date unknown: {reason}")
                }
                (None, None) => format!("Custody at {prison}"),
            }
        }
    })
}

/// Every topic whose value differs between `before` and `after`, in words; the category
/// topics once per category that changed.
pub fn changes(before: &DraftDetails, after: &DraftDetails, words: &Words) -> Vec<TopicChange> {
    let mut changes = Vec::new();
    let mut push = |topic, old: Option<String>, new: Option<String>| {
        if old != new {
            changes.push(TopicChange {
                topic,
                old_value: old,
                new_value: new,
            });
        }
    };
    push(
        ChangeTopic::CompletionDeadline,
        before.completion_deadline.map(|d| d.to_string()),
        after.completion_deadline.map(|d| d.to_string()),
    );
    push(
        ChangeTopic::MaximumEnforceableDays,
        before.maximum_enforceable_days.map(|d| d.to_string()),
        after.maximum_enforceable_days.map(|d| d.to_string()),
    );
    push(
        ChangeTopic::ReasonForReferral,
        before.reason_for_referral.clone(),
        after.reason_for_referral.clone(),
    );
    push(
        ChangeTopic::FurtherInformation,
        before.further_information.clone(),
        after.further_information.clone(),
    );
    for category in &after.categories {
        let was = before
            .categories
            .iter()
            .find(|c| c.service_category_id == category.service_category_id);
        let name = word(words, category.service_category_id);
        let level = |c: &draft::SelectedCategory| {
            c.complexity_level_id
                .map(|id| format!("{name}: {}", word(words, id)))
        };
        push(
            ChangeTopic::ComplexityLevel,
            was.and_then(level),
            level(category),
        );
        let outcomes = |c: &draft::SelectedCategory| {
            (!c.desired_outcome_ids.is_empty()).then(|| {
                let mut titles: Vec<String> = c
                    .desired_outcome_ids
                    .iter()
                    .map(|id| word(words, *id))
                    .collect();
                titles.sort();
                format!("{name}: {}", titles.join("; "))
            })
        };
        push(
            ChangeTopic::DesiredOutcomes,
            was.and_then(outcomes),
            outcomes(category),
        );
    }
    push(
        ChangeTopic::AccessibilityNeeds,
        before.accessibility_needs.clone(),
        after.accessibility_needs.clone(),
    );
    push(
        ChangeTopic::AdditionalNeedsInformation,
        before.additional_needs_information.clone(),
        after.additional_needs_information.clone(),
    );
    push(
        ChangeTopic::Interpreter,
        yes_no(
            before.needs_interpreter,
            before.interpreter_language.as_deref(),
        ),
        yes_no(
            after.needs_interpreter,
            after.interpreter_language.as_deref(),
        ),
    );
    push(
        ChangeTopic::AdditionalResponsibilities,
        yes_no(
            before.has_additional_responsibilities,
            before.when_unavailable.as_deref(),
        ),
        yes_no(
            after.has_additional_responsibilities,
            after.when_unavailable.as_deref(),
        ),
    );
    push(
        ChangeTopic::Location,
        location_words(&before.location),
        location_words(&after.location),
    );
    push(
        ChangeTopic::ProbationOffice,
        before.probation_office.clone(),
        after.probation_office.clone(),
    );
    changes
}

/// The reason an amendment or handover gives: required, at most the draft text limit.
pub fn check_reason(reason: &str) -> Result<String, FieldError> {
    let reason = reason.trim();
    if reason.is_empty() {
        Err(FieldError::new("reason", code::CANNOT_BE_EMPTY))
    } else if reason.chars().count() > draft::MAX_TEXT_LENGTH {
        Err(FieldError::new("reason", code::INVALID_LENGTH))
    } else {
        Ok(reason.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::domain::catalogue::Eligibility;
    use crate::domain::draft::SelectedCategory;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn ids() -> (Uuid, Uuid, Uuid, Uuid, Uuid) {
        (
            Uuid::from_u128(1),
            Uuid::from_u128(2),
            Uuid::from_u128(3),
            Uuid::from_u128(4),
            Uuid::from_u128(5),
        )
    }

    fn setting() -> (DraftDetails, DraftContext, Words) {
        let (category, low, high, housing, work) = ids();
        let details = DraftDetails {
            categories: vec![SelectedCategory {
                service_category_id: category,
                complexity_level_id: Some(low),
                desired_outcome_ids: vec![housing],
            }],
            completion_deadline: Some(day("2027-03-01")),
            maximum_enforceable_days: Some(10),
            needs_interpreter: Some(false),
            ..DraftDetails::default()
        };
        let ctx = DraftContext {
            contract_categories: vec![category],
            level_categories: [(low, category), (high, category)].into(),
            outcome_categories: [(housing, category), (work, category)].into(),
            probation_delivery_unit: None,
            eligibility: Eligibility {
                minimum_age: 18,
                maximum_age: None,
                allows_female: true,
                allows_male: true,
            },
            today: day("2027-01-10"),
        };
        let words: Words = [
            (category, "Accommodation".to_owned()),
            (low, "Low complexity".to_owned()),
            (high, "High complexity".to_owned()),
            (housing, "Housing".to_owned()),
            (work, "Work".to_owned()),
        ]
        .into();
        (details, ctx, words)
    }

    #[test]
    fn each_changed_topic_is_logged_once_in_words() {
        let (details, ctx, words) = setting();
        let (category, _, high, housing, work) = ids();
        let amendment = Amendment {
            completion_deadline: Patch::Set(day("2027-04-01")),
            complexity_levels: Some(vec![(category, high)]),
            desired_outcomes: Some(vec![(category, vec![work, housing])]),
            needs_interpreter: Patch::Set(true),
            interpreter_language: Patch::Set("Polish".into()),
            // Unchanged: not logged.
            maximum_enforceable_days: Patch::Set(10),
            ..Amendment::default()
        };
        let (next, changes) = amend(&details, &amendment, &ctx, false, &words).unwrap();
        assert_eq!(next.completion_deadline, Some(day("2027-04-01")));
        let logged: Vec<(ChangeTopic, Option<&str>, Option<&str>)> = changes
            .iter()
            .map(|c| (c.topic, c.old_value.as_deref(), c.new_value.as_deref()))
            .collect();
        assert_eq!(
            logged,
            [
                (
                    ChangeTopic::CompletionDeadline,
                    Some("2027-03-01"),
                    Some("2027-04-01")
                ),
                (
                    ChangeTopic::ComplexityLevel,
                    Some("Accommodation: Low complexity"),
                    Some("Accommodation: High complexity")
                ),
                (
                    ChangeTopic::DesiredOutcomes,
                    Some("Accommodation: Housing"),
                    Some("Accommodation: Housing; Work")
                ),
                (ChangeTopic::Interpreter, Some("No"), Some("Yes: Polish")),
            ]
        );
    }

    #[test]
    fn a_plan_locks_levels_and_outcomes_but_not_the_deadline() {
        let (details, ctx, words) = setting();
        let (category, _, high, _, _) = ids();
        let levels = Amendment {
            complexity_levels: Some(vec![(category, high)]),
            ..Amendment::default()
        };
        assert_eq!(
            amend(&details, &levels, &ctx, true, &words).unwrap_err(),
            AmendmentRefusal::LockedByApprovedPlan
        );
        let deadline = Amendment {
            completion_deadline: Patch::Set(day("2027-05-01")),
            ..Amendment::default()
        };
        assert!(amend(&details, &deadline, &ctx, true, &words).is_ok());
    }

    #[test]
    fn draft_rules_apply_and_required_details_stay() {
        let (details, ctx, words) = setting();
        let past = Amendment {
            completion_deadline: Patch::Set(day("2027-01-01")),
            ..Amendment::default()
        };
        assert!(matches!(
            amend(&details, &past, &ctx, false, &words),
            Err(AmendmentRefusal::Invalid(fields)) if fields[0].code == code::DATE_MUST_BE_IN_THE_FUTURE
        ));
        let cleared = Amendment {
            completion_deadline: Patch::Clear,
            ..Amendment::default()
        };
        assert!(matches!(
            amend(&details, &cleared, &ctx, false, &words),
            Err(AmendmentRefusal::Invalid(fields)) if fields[0].field == "completionDeadline"
        ));
        let language_missing = Amendment {
            needs_interpreter: Patch::Set(true),
            ..Amendment::default()
        };
        assert!(matches!(
            amend(&details, &language_missing, &ctx, false, &words),
            Err(AmendmentRefusal::Invalid(fields)) if fields[0].field == "interpreterLanguage"
        ));
        let same = Amendment {
            maximum_enforceable_days: Patch::Set(10),
            ..Amendment::default()
        };
        assert_eq!(
            amend(&details, &same, &ctx, false, &words).unwrap_err(),
            AmendmentRefusal::NothingChanged
        );
    }

    #[test]
    fn reasons_are_required_and_bounded() {
        assert_eq!(check_reason("  moved house ").unwrap(), "moved house");
        assert_eq!(check_reason("  ").unwrap_err().code, code::CANNOT_BE_EMPTY);
        let long = "x".repeat(draft::MAX_TEXT_LENGTH + 1);
        assert_eq!(check_reason(&long).unwrap_err().code, code::INVALID_LENGTH);
        for topic in ChangeTopic::ALL {
            assert_eq!(ChangeTopic::from_code(topic.code()), Some(topic));
        }
    }
}
