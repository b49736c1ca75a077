//! The mutation root: the referral journey. Resolvers parse input and call the service.

use async_graphql::{Context, ID, InputObject, MaybeUndefined, MergedObject, Object, Result};
use uuid::Uuid;

use super::context::{caller, forget_referral_children, services};
use super::delivery::DeliveryMutation;
use super::enums::{Gender, LocationType};
use super::ids::{id_or_nil, parse_uuid};
use super::notification::NotificationMutation;
use super::referral::{CaseNote, Referral};
use super::scalars::Date;
use crate::domain::actor::UserId;
use crate::domain::amendment::Amendment;
use crate::domain::draft::{DraftUpdate, LocationInput as DomainLocation, Patch, ServiceUserPatch};
use crate::domain::ids::{InterventionId, ReferralId};
use crate::error::{AppError, FieldError, field_code};
use crate::service::amendments;
use crate::service::referrals as journey;

fn patch<T: Clone>(value: &MaybeUndefined<T>) -> Patch<T> {
    match value {
        MaybeUndefined::Undefined => Patch::Keep,
        MaybeUndefined::Null => Patch::Clear,
        MaybeUndefined::Value(v) => Patch::Set(v.clone()),
    }
}

fn ids(values: &[ID], field: &str, errors: &mut Vec<FieldError>) -> Vec<Uuid> {
    let parsed: Vec<Option<Uuid>> = values.iter().map(parse_uuid).collect();
    if parsed.iter().any(Option::is_none) {
        errors.push(FieldError::new(field, field_code::INVALID_FORMAT));
    }
    parsed.into_iter().flatten().collect()
}

/// The person referred. In an update, a field left out is unchanged and `null` clears it.
#[derive(Clone, Debug, Default, InputObject)]
pub struct ServiceUserInput {
    /// First name.
    pub first_name: MaybeUndefined<String>,
    /// Last name.
    pub last_name: MaybeUndefined<String>,
    /// Date of birth.
    pub date_of_birth: MaybeUndefined<Date>,
    /// Gender.
    pub gender: MaybeUndefined<Gender>,
    /// Ethnicity (the ONS categories are recommended).
    pub ethnicity: MaybeUndefined<String>,
    /// Preferred language.
    pub preferred_language: MaybeUndefined<String>,
    /// Disabilities (replaces the list).
    pub disabilities: Option<Vec<String>>,
}

impl ServiceUserInput {
    fn to_patch(&self) -> ServiceUserPatch {
        ServiceUserPatch {
            first_name: patch(&self.first_name),
            last_name: patch(&self.last_name),
            date_of_birth: match &self.date_of_birth {
                MaybeUndefined::Undefined => Patch::Keep,
                MaybeUndefined::Null => Patch::Clear,
                MaybeUndefined::Value(d) => Patch::Set(d.0),
            },
            gender: match &self.gender {
                MaybeUndefined::Undefined => Patch::Keep,
                MaybeUndefined::Null => Patch::Clear,
                MaybeUndefined::Value(g) => Patch::Set((*g).into()),
            },
            ethnicity: patch(&self.ethnicity),
            preferred_language: patch(&self.preferred_language),
            disabilities: self.disabilities.clone(),
        }
    }
}

/// Starts a draft referral.
#[derive(Clone, Debug, InputObject)]
pub struct CreateDraftReferralInput {
    /// An intervention open for referrals today.
    pub intervention_id: ID,
    /// The person's case reference number (a letter and six digits).
    pub crn: String,
    /// What is known of the person; checked against the intervention's eligibility.
    pub service_user: Option<ServiceUserInput>,
}

/// The complexity level chosen for a selected category.
#[derive(Clone, Debug, InputObject)]
pub struct ComplexityLevelSelectionInput {
    /// A selected service category.
    pub service_category_id: ID,
    /// One of that category's complexity levels.
    pub complexity_level_id: ID,
}

/// The desired outcomes chosen for a selected category (replaces that category's outcomes).
#[derive(Clone, Debug, InputObject)]
pub struct DesiredOutcomesSelectionInput {
    /// A selected service category.
    pub service_category_id: ID,
    /// One or more of that category's desired outcomes.
    pub desired_outcome_ids: Vec<ID>,
}

/// Where the person is; replaces the whole location.
#[derive(Clone, Debug, InputObject)]
pub struct LocationInput {
    /// Custody or community; community clears the custody details.
    #[graphql(name = "type")]
    pub location_type: LocationType,
    /// The prison (required for custody).
    pub prison_code: Option<String>,
    /// Expected release date (custody: this or the reason it is unknown).
    pub expected_release_date: Option<Date>,
    /// Why the release date is not known.
    pub expected_release_date_unknown_reason: Option<String>,
}

/// A partial update of a draft: a field left out is unchanged, `null` clears it.
#[derive(Clone, Debug, Default, InputObject)]
pub struct UpdateDraftReferralInput {
    /// The person.
    pub service_user: Option<ServiceUserInput>,
    /// The service categories, all of the intervention's contract type; de-selecting one drops
    /// its level and outcomes.
    pub service_category_ids: Option<Vec<ID>>,
    /// Complexity levels of selected categories.
    pub complexity_levels: Option<Vec<ComplexityLevelSelectionInput>>,
    /// Desired outcomes of selected categories.
    pub desired_outcomes: Option<Vec<DesiredOutcomesSelectionInput>>,
    /// In the future.
    pub completion_deadline: MaybeUndefined<Date>,
    /// Above zero.
    pub maximum_enforceable_days: MaybeUndefined<i32>,
    /// Why the person is referred.
    pub reason_for_referral: MaybeUndefined<String>,
    /// Anything else the provider should know.
    pub further_information: MaybeUndefined<String>,
    /// Accessibility needs.
    pub accessibility_needs: MaybeUndefined<String>,
    /// Other needs.
    pub additional_needs_information: MaybeUndefined<String>,
    /// Whether an interpreter is needed; `false` clears the language.
    pub needs_interpreter: MaybeUndefined<bool>,
    /// Required while an interpreter is needed.
    pub interpreter_language: MaybeUndefined<String>,
    /// Whether the person has caring or work responsibilities; `false` clears `whenUnavailable`.
    pub has_additional_responsibilities: MaybeUndefined<bool>,
    /// Required while there are additional responsibilities.
    pub when_unavailable: MaybeUndefined<String>,
    /// Risk information for the provider.
    pub risk_information: MaybeUndefined<String>,
    /// Where the person is.
    pub location: Option<LocationInput>,
    /// A probation delivery unit code from the catalogue.
    pub probation_delivery_unit: MaybeUndefined<String>,
    /// The probation office.
    pub probation_office: MaybeUndefined<String>,
}

impl UpdateDraftReferralInput {
    fn to_update(&self) -> Result<DraftUpdate, AppError> {
        // Every input field named: one added to the input does not compile until it is read.
        let UpdateDraftReferralInput {
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
            location,
            probation_delivery_unit,
            probation_office,
        } = self;
        let mut errors = Vec::new();
        let service_category_ids = service_category_ids
            .as_ref()
            .map(|v| ids(v, "serviceCategoryIds", &mut errors));
        let complexity_levels = complexity_levels.as_ref().map(|levels| {
            levels
                .iter()
                .filter_map(|l| {
                    let pair = ids(
                        &[l.service_category_id.clone(), l.complexity_level_id.clone()],
                        "complexityLevels",
                        &mut errors,
                    );
                    match pair.as_slice() {
                        [category, level] => Some((*category, *level)),
                        _ => None,
                    }
                })
                .collect()
        });
        let desired_outcomes = desired_outcomes.as_ref().map(|outcomes| {
            outcomes
                .iter()
                .filter_map(|o| {
                    let category = ids(
                        std::slice::from_ref(&o.service_category_id),
                        "desiredOutcomes",
                        &mut errors,
                    );
                    let chosen = ids(&o.desired_outcome_ids, "desiredOutcomes", &mut errors);
                    category.first().map(|c| (*c, chosen))
                })
                .collect()
        });
        if !errors.is_empty() {
            errors.dedup();
            return Err(AppError::bad_input(
                "the draft referral update is invalid",
                errors,
            ));
        }
        Ok(DraftUpdate {
            service_user: service_user.as_ref().map(ServiceUserInput::to_patch),
            service_category_ids,
            complexity_levels,
            desired_outcomes,
            completion_deadline: match completion_deadline {
                MaybeUndefined::Undefined => Patch::Keep,
                MaybeUndefined::Null => Patch::Clear,
                MaybeUndefined::Value(d) => Patch::Set(d.0),
            },
            maximum_enforceable_days: patch(maximum_enforceable_days),
            reason_for_referral: patch(reason_for_referral),
            further_information: patch(further_information),
            accessibility_needs: patch(accessibility_needs),
            additional_needs_information: patch(additional_needs_information),
            needs_interpreter: patch(needs_interpreter),
            interpreter_language: patch(interpreter_language),
            has_additional_responsibilities: patch(has_additional_responsibilities),
            when_unavailable: patch(when_unavailable),
            risk_information: patch(risk_information),
            location: location.as_ref().map(|l| DomainLocation {
                location_type: l.location_type.into(),
                prison_code: l.prison_code.clone(),
                expected_release_date: l.expected_release_date.map(|d| d.0),
                expected_release_date_unknown_reason: l
                    .expected_release_date_unknown_reason
                    .clone(),
            }),
            probation_delivery_unit: patch(probation_delivery_unit),
            probation_office: patch(probation_office),
        })
    }
}

/// What an amendment of a sent referral changes: a field left out is unchanged; `null`
/// clears an optional one (a detail sending needs cannot be cleared). Each changed topic is
/// logged in `changeLog` with the amendment's reason.
#[derive(Clone, Debug, Default, InputObject)]
pub struct AmendReferralInput {
    /// In the future.
    pub completion_deadline: MaybeUndefined<Date>,
    /// Above zero.
    pub maximum_enforceable_days: MaybeUndefined<i32>,
    /// Why the person is referred.
    pub reason_for_referral: MaybeUndefined<String>,
    /// Anything else the provider should know.
    pub further_information: MaybeUndefined<String>,
    /// Complexity levels of selected categories (refused once an action plan is approved).
    pub complexity_levels: Option<Vec<ComplexityLevelSelectionInput>>,
    /// Desired outcomes of selected categories (refused once an action plan is approved).
    pub desired_outcomes: Option<Vec<DesiredOutcomesSelectionInput>>,
    /// Accessibility needs.
    pub accessibility_needs: MaybeUndefined<String>,
    /// Other needs.
    pub additional_needs_information: MaybeUndefined<String>,
    /// Whether an interpreter is needed; `false` clears the language.
    pub needs_interpreter: MaybeUndefined<bool>,
    /// Required while an interpreter is needed.
    pub interpreter_language: MaybeUndefined<String>,
    /// Whether the person has caring or work responsibilities; `false` clears `whenUnavailable`.
    pub has_additional_responsibilities: MaybeUndefined<bool>,
    /// Required while there are additional responsibilities.
    pub when_unavailable: MaybeUndefined<String>,
    /// Where the person is: custody location and expected release, or community.
    pub location: Option<LocationInput>,
    /// The probation office.
    pub probation_office: MaybeUndefined<String>,
}

impl AmendReferralInput {
    /// The amendment, its ids read as a draft update's are.
    fn to_amendment(&self) -> Result<Amendment, AppError> {
        let AmendReferralInput {
            completion_deadline,
            maximum_enforceable_days,
            reason_for_referral,
            further_information,
            complexity_levels,
            desired_outcomes,
            accessibility_needs,
            additional_needs_information,
            needs_interpreter,
            interpreter_language,
            has_additional_responsibilities,
            when_unavailable,
            location,
            probation_office,
        } = self.clone();
        let update = UpdateDraftReferralInput {
            completion_deadline,
            maximum_enforceable_days,
            reason_for_referral,
            further_information,
            complexity_levels,
            desired_outcomes,
            accessibility_needs,
            additional_needs_information,
            needs_interpreter,
            interpreter_language,
            has_additional_responsibilities,
            when_unavailable,
            location,
            probation_office,
            ..UpdateDraftReferralInput::default()
        }
        .to_update()?;
        Ok(Amendment {
            complexity_levels: update.complexity_levels,
            desired_outcomes: update.desired_outcomes,
            completion_deadline: update.completion_deadline,
            maximum_enforceable_days: update.maximum_enforceable_days,
            reason_for_referral: update.reason_for_referral,
            further_information: update.further_information,
            accessibility_needs: update.accessibility_needs,
            additional_needs_information: update.additional_needs_information,
            needs_interpreter: update.needs_interpreter,
            interpreter_language: update.interpreter_language,
            has_additional_responsibilities: update.has_additional_responsibilities,
            when_unavailable: update.when_unavailable,
            location: update.location,
            probation_office: update.probation_office,
        })
    }
}

/// Entry points for changing referrals: the journey and service delivery.
#[derive(Debug, Default, MergedObject)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(JourneyMutation, DeliveryMutation, NotificationMutation);

#[derive(Debug, Default)]
pub struct JourneyMutation;

/// The referral journey: drafts, sending, assignment, withdrawal, case notes.
#[Object]
impl JourneyMutation {
    /// Starts a draft referral (probation practitioners).
    async fn create_draft_referral(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The intervention, the person and what is known of them.")]
        input: CreateDraftReferralInput,
    ) -> Result<Referral> {
        forget_referral_children(ctx)?;
        let person = input.service_user.as_ref().map(ServiceUserInput::to_patch);
        let created = journey::create_draft(
            services(ctx)?,
            caller(ctx)?,
            parse_uuid(&input.intervention_id).map(InterventionId),
            &input.crn,
            person.as_ref(),
        )
        .await?;
        Ok(Referral(created))
    }

    /// Changes a draft: only the fields given (probation practitioners, own drafts).
    async fn update_draft_referral(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The draft.")] id: ID,
        #[graphql(desc = "The fields to change.")] input: UpdateDraftReferralInput,
        #[graphql(desc = "The `version` last read; a stale one is `CONFLICT`.")]
        expected_version: Option<i32>,
    ) -> Result<Referral> {
        forget_referral_children(ctx)?;
        let updated = journey::update_draft(
            services(ctx)?,
            caller(ctx)?,
            ReferralId(id_or_nil(&id)),
            input.to_update(),
            expected_version,
        )
        .await?;
        Ok(Referral(updated))
    }

    /// Sends a complete draft to the provider; sending a sent referral returns it unchanged.
    async fn send_referral(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The draft.")] id: ID,
    ) -> Result<Referral> {
        forget_referral_children(ctx)?;
        let sent = journey::send(services(ctx)?, caller(ctx)?, ReferralId(id_or_nil(&id))).await?;
        Ok(Referral(sent))
    }

    /// Assigns a sent referral to a caseworker whose contracts include it (provider users).
    async fn assign_referral(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The referral.")] id: ID,
        #[graphql(
            desc = "The caseworker: a provider user whose contracts include the referral's."
        )]
        assignee_id: ID,
        #[graphql(desc = "The `version` last read; a stale one is `CONFLICT`.")]
        expected_version: Option<i32>,
    ) -> Result<Referral> {
        forget_referral_children(ctx)?;
        let assignee = UserId(assignee_id.to_string());
        let assigned = journey::assign(
            services(ctx)?,
            caller(ctx)?,
            ReferralId(id_or_nil(&id)),
            &assignee,
            expected_version,
        )
        .await?;
        Ok(Referral(assigned))
    }

    /// Withdraws a referral with a reason from `withdrawalReasons` (probation practitioners).
    /// Before the person was seen in delivery it is cancelled at once; during delivery it waits
    /// for the end-of-service report, then ends prematurely. Withdrawing again returns it.
    async fn withdraw_referral(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The referral.")] id: ID,
        #[graphql(desc = "A code from `withdrawalReasons`.")] reason_code: String,
        #[graphql(desc = "Why, in the practitioner's words.")] comments: Option<String>,
        #[graphql(desc = "The `version` last read; a stale one is `CONFLICT`.")]
        expected_version: Option<i32>,
    ) -> Result<Referral> {
        forget_referral_children(ctx)?;
        let withdrawn = journey::withdraw(
            services(ctx)?,
            caller(ctx)?,
            ReferralId(id_or_nil(&id)),
            &reason_code,
            comments.as_deref(),
            expected_version,
        )
        .await?;
        Ok(Referral(withdrawn))
    }

    /// Amends a sent referral (its responsible practitioner): the fields given change, with a
    /// reason; each changed topic is logged in `changeLog`, and the provider is notified.
    async fn amend_referral(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The referral.")] id: ID,
        #[graphql(desc = "The fields to change.")] input: AmendReferralInput,
        #[graphql(desc = "Why, in the practitioner's words (required).")] reason: String,
        #[graphql(desc = "The `version` last read; a stale one is `CONFLICT`.")]
        expected_version: Option<i32>,
    ) -> Result<Referral> {
        forget_referral_children(ctx)?;
        let amended = amendments::amend(
            services(ctx)?,
            caller(ctx)?,
            ReferralId(id_or_nil(&id)),
            input.to_amendment(),
            &reason,
            expected_version,
        )
        .await?;
        Ok(Referral(amended))
    }

    /// Hands a sent referral to another practitioner (its responsible practitioner, or a
    /// read-all client syncing a case-management system). The new practitioner sees it from
    /// then on; the one who created it keeps reading it, nobody else.
    async fn transfer_referral(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The referral.")] id: ID,
        #[graphql(desc = "The practitioner taking it over (a user who has used the service).")]
        to_practitioner_id: ID,
        #[graphql(desc = "Why, if given.")] reason: Option<String>,
        #[graphql(desc = "The `version` last read; a stale one is `CONFLICT`.")]
        expected_version: Option<i32>,
    ) -> Result<Referral> {
        forget_referral_children(ctx)?;
        let transferred = amendments::transfer(
            services(ctx)?,
            caller(ctx)?,
            ReferralId(id_or_nil(&id)),
            &UserId(to_practitioner_id.to_string()),
            reason.as_deref(),
            expected_version,
        )
        .await?;
        Ok(Referral(transferred))
    }

    /// Deletes a draft and everything under it (its creator only); returns its id. A sent
    /// referral is never deleted.
    async fn delete_draft_referral(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The draft.")] id: ID,
    ) -> Result<ID> {
        forget_referral_children(ctx)?;
        let deleted =
            journey::delete_draft(services(ctx)?, caller(ctx)?, ReferralId(id_or_nil(&id))).await?;
        Ok(ID(deleted.0.to_string()))
    }

    /// Adds a case note to a sent referral (the practitioner or a provider user in scope).
    async fn add_case_note(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The referral.")] referral_id: ID,
        #[graphql(desc = "Subject line (at most 200 characters).")] subject: String,
        #[graphql(desc = "The note (at most 10,000 characters).")] body: String,
    ) -> Result<CaseNote> {
        forget_referral_children(ctx)?;
        let note = journey::add_case_note(
            services(ctx)?,
            caller(ctx)?,
            ReferralId(id_or_nil(&referral_id)),
            &subject,
            &body,
        )
        .await?;
        Ok(CaseNote(note))
    }
}
