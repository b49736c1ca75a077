//! Action plans: their revisions, approval and checks, and the delivery sessions an approved
//! plan creates.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::actor::UserId;
use crate::domain::draft::MAX_TEXT_LENGTH;
use crate::error::FieldError;
use crate::error::field_code as code;
use crate::error::field_code::CANNOT_BE_REDUCED;

/// Most sessions an action plan may plan.
pub const MAX_SESSIONS: i32 = 100;
/// Most activities in an action plan.
pub const MAX_ACTIVITIES: usize = 50;

/// A submitted revision of an action plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionPlan {
    pub id: Uuid,
    pub referral_id: Uuid,
    /// 1 for the first plan, then one more per revision.
    pub revision: i32,
    pub number_of_sessions: i32,
    pub activities: Vec<String>,
    pub submitted_at: DateTime<Utc>,
    pub submitted_by: UserId,
    pub approval: Option<Approval>,
}

/// Who approved a plan and when; `by` is `None` when approval was automatic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Approval {
    pub at: DateTime<Utc>,
    pub by: Option<UserId>,
}

/// Checks an action plan: sessions above zero and never below the approved plan's; at least
/// one activity, each non-blank. Returns the trimmed activities.
pub fn check_action_plan(
    number_of_sessions: i32,
    activities: &[String],
    approved_sessions: Option<i32>,
) -> Result<Vec<String>, Vec<FieldError>> {
    let mut errors = Vec::new();
    if number_of_sessions < 1 {
        errors.push(FieldError::new(
            "numberOfSessions",
            code::CANNOT_BE_NEGATIVE_OR_ZERO,
        ));
    } else if number_of_sessions > MAX_SESSIONS {
        errors.push(FieldError::new("numberOfSessions", code::INVALID_VALUE));
    } else if approved_sessions.is_some_and(|approved| number_of_sessions < approved) {
        errors.push(FieldError::new("numberOfSessions", CANNOT_BE_REDUCED));
    }
    let trimmed: Vec<String> = activities.iter().map(|a| a.trim().to_owned()).collect();
    if trimmed.is_empty() || trimmed.iter().any(String::is_empty) {
        errors.push(FieldError::new("activities", code::CANNOT_BE_EMPTY));
    } else if trimmed.len() > MAX_ACTIVITIES
        || trimmed.iter().any(|a| a.chars().count() > MAX_TEXT_LENGTH)
    {
        errors.push(FieldError::new("activities", code::INVALID_LENGTH));
    }
    if errors.is_empty() {
        Ok(trimmed)
    } else {
        Err(errors)
    }
}

/// A numbered delivery session created by an approved action plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliverySession {
    pub referral_id: Uuid,
    pub number: i32,
    pub action_plan_id: Uuid,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::delivery::testing::fields;

    #[test]
    fn plans_need_sessions_that_never_shrink_and_activities() {
        let one = vec!["Find a tenancy".to_owned()];
        assert_eq!(
            fields(&check_action_plan(0, &one, None).unwrap_err()),
            [("numberOfSessions", code::CANNOT_BE_NEGATIVE_OR_ZERO)]
        );
        assert_eq!(
            fields(&check_action_plan(3, &one, Some(4)).unwrap_err()),
            [("numberOfSessions", CANNOT_BE_REDUCED)]
        );
        assert_eq!(
            fields(&check_action_plan(4, &[" ".to_owned()], Some(4)).unwrap_err()),
            [("activities", code::CANNOT_BE_EMPTY)]
        );
        assert_eq!(check_action_plan(5, &one, Some(4)), Ok(one));
    }
}
