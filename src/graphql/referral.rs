//! GraphQL types of the referral journey. A `Referral` is only ever built from a referral the
//! service layer returned for this caller; its children load through the request's loader.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use super::context::{loader, prime};
use super::cost;
use super::delivery::{self, ActionPlan, Appointment, DeliverySession, EndOfServiceReport};
use super::enums::{ChangeLogTopic, Gender, LocationType, ReferralEventKind, ReferralStatus};
use super::error::from_loader;
use super::loaders::{
    CaseNotesOfReferral, ChangeLogOfReferral, ComplexityLevelById, DesiredOutcomeById,
    EventsOfReferral, PduByCode, ProviderByCode, SelectionsOfReferral, ServiceCategoryById,
    SubcontractorsOfContract, UserById, WithdrawalReasonByCode,
};
use super::paging::{self, Page};
use super::scalars::Date;
use super::types::{
    ComplexityLevel, DesiredOutcome, Intervention, ProbationDeliveryUnit, ServiceCategory,
    WithdrawalReason,
};
use super::user::User;
use crate::domain::actor::UserId;
use crate::domain::amendment::{self, ChangeTopic};
use crate::domain::draft::{self, SelectedCategory};
use crate::domain::page::PageSize;
use crate::domain::referral as record;

#[derive(Clone, Debug)]
pub struct ServiceUser {
    crn: String,
    person: draft::ServiceUser,
}

/// The person referred.
#[Object]
impl ServiceUser {
    /// Case reference number.
    async fn crn(&self) -> &str {
        &self.crn
    }
    /// First name.
    async fn first_name(&self) -> Option<&str> {
        self.person.first_name.as_deref()
    }
    /// Last name.
    async fn last_name(&self) -> Option<&str> {
        self.person.last_name.as_deref()
    }
    /// Date of birth.
    async fn date_of_birth(&self) -> Option<Date> {
        self.person.date_of_birth.map(Date)
    }
    /// Gender.
    async fn gender(&self) -> Option<Gender> {
        self.person.gender.map(Into::into)
    }
    /// Ethnicity (the ONS categories are recommended).
    async fn ethnicity(&self) -> Option<&str> {
        self.person.ethnicity.as_deref()
    }
    /// Preferred language.
    async fn preferred_language(&self) -> Option<&str> {
        self.person.preferred_language.as_deref()
    }
    /// Disabilities.
    async fn disabilities(&self) -> &[String] {
        &self.person.disabilities
    }
}

#[derive(Clone, Debug)]
pub struct SelectedServiceCategory(pub SelectedCategory);

/// A service category chosen for a referral, with its complexity level and desired outcomes.
#[Object]
impl SelectedServiceCategory {
    /// The category.
    async fn service_category(&self, ctx: &Context<'_>) -> Result<Option<ServiceCategory>> {
        let found = loader(ctx)?
            .load_one(ServiceCategoryById(self.0.service_category_id))
            .await
            .map_err(from_loader)?;
        Ok(found.map(ServiceCategory))
    }
    /// The complexity level chosen; null until chosen.
    async fn complexity_level(&self, ctx: &Context<'_>) -> Result<Option<ComplexityLevel>> {
        let Some(id) = self.0.complexity_level_id else {
            return Ok(None);
        };
        let found = loader(ctx)?
            .load_one(ComplexityLevelById(id))
            .await
            .map_err(from_loader)?;
        Ok(found.map(ComplexityLevel))
    }
    /// The desired outcomes chosen.
    #[graphql(complexity = "cost::OUTCOMES_PER_CATEGORY * child_complexity")]
    async fn desired_outcomes(&self, ctx: &Context<'_>) -> Result<Vec<DesiredOutcome>> {
        let found = loader(ctx)?
            .load_many(
                self.0
                    .desired_outcome_ids
                    .iter()
                    .copied()
                    .map(DesiredOutcomeById),
            )
            .await
            .map_err(from_loader)?;
        Ok(self
            .0
            .desired_outcome_ids
            .iter()
            .filter_map(|id| {
                found
                    .get(&DesiredOutcomeById(*id))
                    .cloned()
                    .map(DesiredOutcome)
            })
            .collect())
    }
}

#[derive(Clone, Debug)]
pub struct Location(pub draft::Location);

/// Where the person is, and for custody the prison and release.
#[Object]
impl Location {
    /// Custody or community.
    #[graphql(name = "type")]
    async fn location_type(&self) -> Option<LocationType> {
        self.0.location_type.map(Into::into)
    }
    /// The prison, for custody.
    async fn prison_code(&self) -> Option<&str> {
        self.0.prison_code.as_deref()
    }
    /// Expected release date, for custody.
    async fn expected_release_date(&self) -> Option<Date> {
        self.0.expected_release_date.map(Date)
    }
    /// Why the release date is not known, for custody.
    async fn expected_release_date_unknown_reason(&self) -> Option<&str> {
        self.0.expected_release_date_unknown_reason.as_deref()
    }
}

#[derive(Clone, Debug)]
pub struct Withdrawal(pub record::Withdrawal);

/// A practitioner's withdrawal of a referral.
#[Object]
impl Withdrawal {
    /// The reason given.
    async fn reason(&self, ctx: &Context<'_>) -> Result<Option<WithdrawalReason>> {
        let found = loader(ctx)?
            .load_one(WithdrawalReasonByCode(self.0.reason_code.clone()))
            .await
            .map_err(from_loader)?;
        Ok(found.map(WithdrawalReason))
    }
    /// The practitioner's comments.
    async fn comments(&self) -> Option<&str> {
        self.0.comments.as_deref()
    }
    /// When it was withdrawn.
    async fn withdrawn_at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// Who withdrew it.
    async fn withdrawn_by(&self) -> User {
        User(self.0.by.clone())
    }
}

#[derive(Clone, Debug)]
pub struct ReferralEvent(pub record::ReferralEvent);

/// One recorded change to a referral.
#[Object]
impl ReferralEvent {
    /// When it happened.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// Who did it.
    async fn actor(&self) -> User {
        User(self.0.actor_id.clone())
    }
    /// What happened.
    async fn kind(&self) -> ReferralEventKind {
        self.0.kind.into()
    }
    /// The status before; null when the referral was created.
    async fn from_status(&self) -> Option<ReferralStatus> {
        self.0.from_status.map(Into::into)
    }
    /// The status after.
    async fn to_status(&self) -> ReferralStatus {
        self.0.to_status.into()
    }
    /// The caseworker assigned (`ASSIGNED`).
    async fn assignee(&self) -> Option<User> {
        self.detail_text("assigneeId").map(|id| User(UserId(id)))
    }
    /// The reason given (`WITHDRAWN`).
    async fn withdrawal_reason(&self, ctx: &Context<'_>) -> Result<Option<WithdrawalReason>> {
        let Some(code) = self.detail_text("reasonCode") else {
            return Ok(None);
        };
        let found = loader(ctx)?
            .load_one(WithdrawalReasonByCode(code))
            .await
            .map_err(from_loader)?;
        Ok(found.map(WithdrawalReason))
    }
    /// The topics changed (`AMENDED`); the values and reason are in `changeLog`.
    async fn amended_topics(&self) -> Vec<ChangeLogTopic> {
        self.detail()
            .and_then(|d| d.get("topics").and_then(|t| t.as_array()).cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|t| t.as_str().and_then(ChangeTopic::from_code))
            .map(Into::into)
            .collect()
    }
    /// The practitioner who handed the referral over (`TRANSFERRED`).
    async fn transferred_from(&self) -> Option<User> {
        self.detail_text("fromPractitionerId")
            .map(|id| User(UserId(id)))
    }
    /// The practitioner who took it over (`TRANSFERRED`).
    async fn transferred_to(&self) -> Option<User> {
        self.detail_text("toPractitionerId")
            .map(|id| User(UserId(id)))
    }
    /// The appointment booked, moved, recorded or cancelled (appointment entries).
    async fn appointment_id(&self) -> Option<ID> {
        self.detail_text("appointmentId").map(ID)
    }
    /// The case note added (`CASE_NOTE_ADDED`).
    async fn case_note_id(&self) -> Option<ID> {
        self.detail_text("caseNoteId").map(ID)
    }
}

impl ReferralEvent {
    /// The entry's recorded detail: a JSON object of ids and codes.
    fn detail(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        self.0
            .detail
            .as_deref()
            .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
            .and_then(|v| v.as_object().cloned())
    }

    /// One text value of the detail.
    fn detail_text(&self, key: &str) -> Option<String> {
        self.detail()
            .and_then(|d| d.get(key).and_then(|v| v.as_str()).map(str::to_owned))
    }
}

#[derive(Clone, Debug)]
pub struct ChangeLogEntry(pub amendment::ChangeLogEntry);

/// One change to a sent referral: an amended topic or a handover, with its reason.
#[Object]
impl ChangeLogEntry {
    /// Stable id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// What changed.
    async fn topic(&self) -> ChangeLogTopic {
        self.0.topic.into()
    }
    /// The value before, in words (for a handover: the practitioner's user id); null when unset.
    async fn old_value(&self) -> Option<&str> {
        self.0.old_value.as_deref()
    }
    /// The value after, in words (for a handover: the practitioner's user id); null when cleared.
    async fn new_value(&self) -> Option<&str> {
        self.0.new_value.as_deref()
    }
    /// Why, in the practitioner's words (always given for an amendment).
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
    /// Who made the change.
    async fn actor(&self) -> User {
        User(self.0.actor_id.clone())
    }
    /// When.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
}

#[derive(Clone, Debug)]
pub struct CaseNote(pub record::CaseNote);

/// A note on a referral, written by the practitioner or the provider.
#[Object]
impl CaseNote {
    /// Stable id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Subject line.
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    /// The note.
    async fn body(&self) -> &str {
        &self.0.body
    }
    /// When it was written.
    async fn sent_at(&self) -> DateTime<Utc> {
        self.0.sent_at
    }
    /// Who wrote it.
    async fn author(&self) -> User {
        User(self.0.author_id.clone())
    }
}

/// A page of case notes, newest first.
pub type CaseNoteConnection = Page<CaseNote>;

impl paging::Listed for CaseNote {}

#[derive(Clone, Debug)]
pub struct Referral(pub record::Referral);

/// A referral, draft or sent.
#[Object]
impl Referral {
    /// Stable id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Reference number (e.g. `HD2123AC`); null while a draft.
    async fn reference(&self) -> Option<&str> {
        self.0.reference.as_deref()
    }
    /// Where the referral is in its journey.
    async fn status(&self) -> ReferralStatus {
        self.0.status.into()
    }
    /// Moves on with every change; give it as `expectedVersion` to change safely.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// When the draft was started.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The practitioner who started it.
    async fn created_by(&self) -> User {
        User(self.0.created_by.clone())
    }
    /// When it was sent; null while a draft.
    async fn sent_at(&self) -> Option<DateTime<Utc>> {
        self.0.sent_at
    }
    /// Who sent it.
    async fn sent_by(&self) -> Option<User> {
        self.0.sent_by.clone().map(User)
    }
    /// The responsible probation practitioner: the draft's creator, then the sender, then
    /// whoever the referral was last handed to.
    async fn responsible_practitioner(&self) -> User {
        User(
            self.0
                .responsible_pp_id
                .clone()
                .unwrap_or_else(|| self.0.created_by.clone()),
        )
    }
    /// Amendments and handovers since sending, oldest first.
    #[graphql(complexity = "cost::EVENTS_PER_REFERRAL * child_complexity")]
    async fn change_log(&self, ctx: &Context<'_>) -> Result<Vec<ChangeLogEntry>> {
        let entries = loader(ctx)?
            .load_one(ChangeLogOfReferral(self.0.id))
            .await
            .map_err(from_loader)?;
        Ok(entries
            .unwrap_or_default()
            .into_iter()
            .map(ChangeLogEntry)
            .collect())
    }
    /// When the referral concluded (completed, cancelled or ended early); null while open.
    async fn concluded_at(&self) -> Option<DateTime<Utc>> {
        self.0.concluded_at
    }
    /// The intervention referred to, with its contract.
    async fn intervention(&self) -> Intervention {
        Intervention(self.0.intervention.clone())
    }
    /// The person referred. Reading it as a provider user or read-all client is recorded in
    /// the read audit.
    async fn service_user(&self, ctx: &Context<'_>) -> ServiceUser {
        super::context::note_person_read(ctx, self.0.id);
        ServiceUser {
            crn: self.0.crn.clone(),
            person: self.0.details.service_user.clone(),
        }
    }
    /// The caseworker it is assigned to; null until assigned.
    async fn assigned_to(&self) -> Option<User> {
        self.0.assigned_to_id.clone().map(User)
    }
    /// When it was last assigned.
    async fn assigned_at(&self) -> Option<DateTime<Utc>> {
        self.0.assigned_at
    }
    /// The service categories chosen, with complexity levels and desired outcomes.
    #[graphql(complexity = "cost::CATEGORIES_PER_TYPE * child_complexity")]
    async fn service_categories(&self, ctx: &Context<'_>) -> Result<Vec<SelectedServiceCategory>> {
        let selected = loader(ctx)?
            .load_one(SelectionsOfReferral(self.0.id))
            .await
            .map_err(from_loader)?;
        Ok(selected
            .unwrap_or_default()
            .into_iter()
            .map(SelectedServiceCategory)
            .collect())
    }
    /// The date by which the intervention should be completed.
    async fn completion_deadline(&self) -> Option<Date> {
        self.0.details.completion_deadline.map(Date)
    }
    /// Rehabilitation activity requirement days that may be used.
    async fn maximum_enforceable_days(&self) -> Option<i32> {
        self.0.details.maximum_enforceable_days
    }
    /// Why the person is referred.
    async fn reason_for_referral(&self, ctx: &Context<'_>) -> Option<&str> {
        super::context::note_person_read(ctx, self.0.id);
        self.0.details.reason_for_referral.as_deref()
    }
    /// Anything else the provider should know.
    async fn further_information(&self, ctx: &Context<'_>) -> Option<&str> {
        super::context::note_person_read(ctx, self.0.id);
        self.0.details.further_information.as_deref()
    }
    /// Accessibility needs.
    async fn accessibility_needs(&self, ctx: &Context<'_>) -> Option<&str> {
        super::context::note_person_read(ctx, self.0.id);
        self.0.details.accessibility_needs.as_deref()
    }
    /// Other needs.
    async fn additional_needs_information(&self, ctx: &Context<'_>) -> Option<&str> {
        super::context::note_person_read(ctx, self.0.id);
        self.0.details.additional_needs_information.as_deref()
    }
    /// Whether an interpreter is needed.
    async fn needs_interpreter(&self) -> Option<bool> {
        self.0.details.needs_interpreter
    }
    /// The interpreter's language, when one is needed.
    async fn interpreter_language(&self) -> Option<&str> {
        self.0.details.interpreter_language.as_deref()
    }
    /// Whether the person has caring or work responsibilities.
    async fn has_additional_responsibilities(&self) -> Option<bool> {
        self.0.details.has_additional_responsibilities
    }
    /// When the person is not available, when they have responsibilities.
    async fn when_unavailable(&self, ctx: &Context<'_>) -> Option<&str> {
        super::context::note_person_read(ctx, self.0.id);
        self.0.details.when_unavailable.as_deref()
    }
    /// Risk information for the provider.
    async fn risk_information(&self, ctx: &Context<'_>) -> Option<&str> {
        super::context::note_person_read(ctx, self.0.id);
        self.0.details.risk_information.as_deref()
    }
    /// Where the person is.
    async fn location(&self, ctx: &Context<'_>) -> Location {
        super::context::note_person_read(ctx, self.0.id);
        Location(self.0.details.location.clone())
    }
    /// The probation delivery unit.
    async fn probation_delivery_unit(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<ProbationDeliveryUnit>> {
        let Some(code) = self.0.details.probation_delivery_unit_code.clone() else {
            return Ok(None);
        };
        let found = loader(ctx)?
            .load_one(PduByCode(code))
            .await
            .map_err(from_loader)?;
        Ok(found.map(ProbationDeliveryUnit))
    }
    /// The probation office.
    async fn probation_office(&self) -> Option<&str> {
        self.0.details.probation_office.as_deref()
    }
    /// The withdrawal, when withdrawn.
    async fn withdrawal(&self) -> Option<Withdrawal> {
        self.0.withdrawal.clone().map(Withdrawal)
    }
    /// Every recorded change, oldest first.
    #[graphql(complexity = "cost::EVENTS_PER_REFERRAL * child_complexity")]
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<ReferralEvent>> {
        let events = loader(ctx)?
            .load_one(EventsOfReferral(self.0.id))
            .await
            .map_err(from_loader)?;
        Ok(events
            .unwrap_or_default()
            .into_iter()
            .map(ReferralEvent)
            .collect())
    }
    /// When the person first attended a delivery session (post initial contact).
    async fn initial_contact_at(&self) -> Option<DateTime<Utc>> {
        self.0.initial_contact_at
    }
    /// Every appointment (assessment and sessions, rescheduled and missed ones included),
    /// oldest first.
    #[graphql(complexity = "cost::APPOINTMENTS_PER_REFERRAL * child_complexity")]
    async fn appointments(&self, ctx: &Context<'_>) -> Result<Vec<Appointment>> {
        Ok(delivery::appointments_of(ctx, self.0.id)
            .await?
            .into_iter()
            .map(Appointment::from)
            .collect())
    }
    /// The latest action plan; null until one is submitted.
    async fn action_plan(&self, ctx: &Context<'_>) -> Result<Option<ActionPlan>> {
        Ok(delivery::plans_of(ctx, self.0.id).await?.pop())
    }
    /// Every action plan revision, oldest first.
    #[graphql(complexity = "cost::PLANS_PER_REFERRAL * child_complexity")]
    async fn action_plans(&self, ctx: &Context<'_>) -> Result<Vec<ActionPlan>> {
        delivery::plans_of(ctx, self.0.id).await
    }
    /// The delivery sessions of the approved action plan, by number.
    #[graphql(complexity = "cost::SESSIONS_PER_REFERRAL * child_complexity")]
    async fn sessions(&self, ctx: &Context<'_>) -> Result<Vec<DeliverySession>> {
        delivery::sessions_of(ctx, self.0.id).await
    }
    /// The end-of-service report; null until submitted.
    async fn end_of_service_report(&self, ctx: &Context<'_>) -> Result<Option<EndOfServiceReport>> {
        delivery::report_of(ctx, self.0.id).await
    }
    /// Case notes, newest first (`first` at most 100, default 20).
    #[graphql(complexity = "PageSize::cost(first) * child_complexity")]
    async fn case_notes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Rows of the page: 20 unless given, at most 100.")] first: Option<i32>,
        #[graphql(desc = "An `endCursor` of the previous page.")] after: Option<String>,
    ) -> Result<CaseNoteConnection> {
        let notes = loader(ctx)?
            .load_one(CaseNotesOfReferral(self.0.id))
            .await
            .map_err(from_loader)?
            .unwrap_or_default();
        paging::page_in_memory(
            notes,
            first,
            after.as_deref(),
            |n| n.id.to_string(),
            CaseNote,
        )
    }
}

/// A page of referrals.
pub type ReferralConnection = Page<Referral>;

impl paging::Listed for Referral {}

/// Loads, in one batch per kind, the children of a page of referrals that the query selects
/// (assignees, prime providers, subcontractors), so a page costs the same number of statements
/// whatever its size: the field resolvers then find them in the request's cache.
pub async fn prefetch_page(ctx: &Context<'_>, referrals: &[record::Referral]) -> Result<()> {
    let look = ctx.look_ahead();
    let selects = |path: &[&str]| {
        [look.field("edges").field("node"), look.field("nodes")]
            .into_iter()
            .any(|mut node| {
                for name in path {
                    node = node.field(name);
                }
                node.exists()
            })
    };
    let assignees = async {
        if !selects(&["assignedTo", "name"]) {
            return Ok(());
        }
        let keys = referrals
            .iter()
            .filter_map(|r| r.assigned_to_id.clone())
            .map(UserById);
        prime(ctx, keys).await
    };
    let primes = async {
        if !selects(&["intervention", "contract", "primeProvider"]) {
            return Ok(());
        }
        let keys = referrals
            .iter()
            .map(|r| ProviderByCode(r.intervention.contract.prime_provider_code.clone()));
        prime(ctx, keys).await
    };
    let subcontractors = async {
        if !selects(&["intervention", "contract", "subcontractors"]) {
            return Ok(());
        }
        let keys = referrals
            .iter()
            .map(|r| SubcontractorsOfContract(r.intervention.contract.id));
        prime(ctx, keys).await
    };
    let (a, b, c) = futures_util::join!(assignees, primes, subcontractors);
    a.and(b).and(c)
}

/// Loads what a referral's detail selects of its assignee and history in two statements, one
/// after the other, without the loaders' batching wait: the history, then every user it names
/// (the assignee and the history's actors) at once. The field resolvers then find them in the
/// request's cache.
pub async fn prefetch_detail(ctx: &Context<'_>, referral: &record::Referral) -> Result<()> {
    let look = ctx.look_ahead();
    let mut users: Vec<UserById> = Vec::new();
    if look.field("assignedTo").field("name").exists() {
        users.extend(referral.assigned_to_id.clone().map(UserById));
    }
    let history = look.field("history");
    if history.exists() {
        prime(ctx, [EventsOfReferral(referral.id)]).await?;
        if history.field("actor").field("name").exists() {
            let events = loader(ctx)?
                .load_one(EventsOfReferral(referral.id))
                .await
                .map_err(from_loader)?
                .unwrap_or_default();
            users.extend(events.into_iter().map(|e| UserById(e.actor_id)));
        }
    }
    prime(ctx, users).await
}

/// Builds a referral page from the service's result, each row's cursor in the page's order.
pub fn referral_connection(
    page: crate::service::referrals::Page,
    order: record::ReferralOrder,
) -> ReferralConnection {
    paging::connection_with(
        page.referrals,
        page.has_next_page,
        page.total_count,
        |r| {
            paging::encode_dashboard_cursor(&record::DashboardCursor {
                order,
                key: order.key_of(r),
                id: r.id,
            })
        },
        Referral,
    )
}
