//! The end-of-service report: how well each desired outcome was achieved, and its checks.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::text::bounded;
use crate::domain::actor::UserId;
use crate::domain::draft::MAX_TEXT_LENGTH;
use crate::error::FieldError;
use crate::error::field_code as code;
use crate::error::field_code::{DUPLICATE_OUTCOME, OUTCOME_MISSING};

/// How well a desired outcome was achieved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AchievementLevel {
    Achieved,
    PartiallyAchieved,
    NotAchieved,
}

stored_codes!(AchievementLevel {
    Achieved => "ACHIEVED",
    PartiallyAchieved => "PARTIALLY_ACHIEVED",
    NotAchieved => "NOT_ACHIEVED",
});

/// The achievement of one desired outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutcomeAchievement {
    pub desired_outcome_id: Uuid,
    pub service_category_id: Uuid,
    pub level: AchievementLevel,
    pub progression_comments: Option<String>,
    pub additional_task_comments: Option<String>,
}

/// An end-of-service report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndOfServiceReport {
    pub id: Uuid,
    pub referral_id: Uuid,
    pub outcomes: Vec<OutcomeAchievement>,
    pub further_information: Option<String>,
    pub submitted_at: DateTime<Utc>,
    pub submitted_by: UserId,
}

/// One outcome as entered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutcomeInput {
    /// `None` when the id given was not a UUID.
    pub desired_outcome_id: Option<Uuid>,
    pub level: AchievementLevel,
    pub progression_comments: Option<String>,
    pub additional_task_comments: Option<String>,
}

/// Checks a report against the referral's desired outcomes (`(outcome, category)` pairs):
/// exactly one entry per desired outcome, none missing, none foreign, none twice.
pub fn check_report_outcomes(
    inputs: &[OutcomeInput],
    desired: &[(Uuid, Uuid)],
    further_information: Option<&str>,
) -> Result<(Vec<OutcomeAchievement>, Option<String>), Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut outcomes = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, input) in inputs.iter().enumerate() {
        let field = format!("outcomes.{i}.desiredOutcomeId");
        let Some(id) = input.desired_outcome_id else {
            errors.push(FieldError::new(field, code::INVALID_FORMAT));
            continue;
        };
        let Some(&(_, category)) = desired.iter().find(|(o, _)| *o == id) else {
            errors.push(FieldError::new(field, code::INVALID_VALUE));
            continue;
        };
        if !seen.insert(id) {
            errors.push(FieldError::new(field, DUPLICATE_OUTCOME));
            continue;
        }
        let progression_comments = bounded(
            input.progression_comments.as_deref(),
            &format!("outcomes.{i}.progressionComments"),
            MAX_TEXT_LENGTH,
            &mut errors,
        );
        let additional_task_comments = bounded(
            input.additional_task_comments.as_deref(),
            &format!("outcomes.{i}.additionalTaskComments"),
            MAX_TEXT_LENGTH,
            &mut errors,
        );
        outcomes.push(OutcomeAchievement {
            desired_outcome_id: id,
            service_category_id: category,
            level: input.level,
            progression_comments,
            additional_task_comments,
        });
    }
    if desired.iter().any(|(o, _)| !seen.contains(o)) {
        errors.push(FieldError::new("outcomes", OUTCOME_MISSING));
    }
    let further = bounded(
        further_information,
        "furtherInformation",
        MAX_TEXT_LENGTH,
        &mut errors,
    );
    if errors.is_empty() {
        Ok((outcomes, further))
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::delivery::testing::fields;

    #[test]
    fn reports_cover_every_desired_outcome_once() {
        let (a, b, cat) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let desired = [(a, cat), (b, cat)];
        let entry = |id: Option<Uuid>| OutcomeInput {
            desired_outcome_id: id,
            level: AchievementLevel::Achieved,
            progression_comments: None,
            additional_task_comments: None,
        };
        assert_eq!(
            fields(&check_report_outcomes(&[entry(Some(a))], &desired, None).unwrap_err()),
            [("outcomes", OUTCOME_MISSING)]
        );
        assert_eq!(
            fields(
                &check_report_outcomes(
                    &[
                        entry(Some(a)),
                        entry(Some(a)),
                        entry(Some(Uuid::new_v4())),
                        entry(None)
                    ],
                    &desired,
                    None
                )
                .unwrap_err()
            ),
            [
                ("outcomes.1.desiredOutcomeId", DUPLICATE_OUTCOME),
                ("outcomes.2.desiredOutcomeId", code::INVALID_VALUE),
                ("outcomes.3.desiredOutcomeId", code::INVALID_FORMAT),
                ("outcomes", OUTCOME_MISSING)
            ]
        );
        let (outcomes, further) =
            check_report_outcomes(&[entry(Some(b)), entry(Some(a))], &desired, Some("  ")).unwrap();
        assert_eq!(outcomes.len(), 2);
        assert_eq!(further, None);
    }
}
