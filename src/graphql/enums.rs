//! Every GraphQL enum that mirrors a domain enum, declared one way: async-graphql's `remote`,
//! which derives the conversions both ways and fails to compile when the variants differ.

use async_graphql::Enum;

/// Where a referral is in its journey.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::journey::ReferralStatus")]
pub enum ReferralStatus {
    /// Being written by the practitioner; visible to them only.
    Draft,
    /// Sent to the provider, not yet assigned.
    Sent,
    /// Assigned to a caseworker.
    Assigned,
    /// Initial assessment booked.
    AssessmentBooked,
    /// Initial assessment attended.
    AssessmentCompleted,
    /// Action plan submitted.
    ActionPlanSubmitted,
    /// Sessions under way.
    InDelivery,
    /// Every session recorded, or withdrawn during delivery: the end-of-service report is due.
    AwaitingEndOfServiceReport,
    /// Concluded: delivered.
    Completed,
    /// Concluded: withdrawn before the person was seen in delivery.
    Cancelled,
    /// Concluded: withdrawn during delivery, after the end-of-service report.
    PrematurelyEnded,
}

/// What a history entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::journey::EventKind")]
pub enum ReferralEventKind {
    /// The draft was started.
    Created,
    /// The draft was changed.
    Updated,
    /// The referral was sent.
    Sent,
    /// The referral was assigned (or reassigned) to a caseworker.
    Assigned,
    /// The practitioner withdrew the referral.
    Withdrawn,
    /// A case note was added.
    CaseNoteAdded,
    /// An appointment (assessment or session) was booked.
    AppointmentScheduled,
    /// An appointment was moved; the old one is kept as superseded.
    AppointmentRescheduled,
    /// Feedback on an appointment was recorded.
    AppointmentFeedbackRecorded,
    /// An action plan (or revision) was submitted.
    ActionPlanSubmitted,
    /// An action plan was approved and its sessions created.
    ActionPlanApproved,
    /// The end-of-service report was submitted.
    EndOfServiceReportSubmitted,
    /// The practitioner amended the sent referral (see `changeLog`).
    Amended,
    /// The referral was handed to another practitioner.
    Transferred,
    /// The provider cancelled an appointment; nothing replaces it.
    AppointmentCancelled,
}

/// What a change-log entry is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::amendment::ChangeTopic")]
pub enum ChangeLogTopic {
    /// The completion deadline.
    CompletionDeadline,
    /// The maximum enforceable days.
    MaximumEnforceableDays,
    /// The reason for the referral.
    ReasonForReferral,
    /// Further information for the provider.
    FurtherInformation,
    /// One selected category's complexity level.
    ComplexityLevel,
    /// One selected category's desired outcomes.
    DesiredOutcomes,
    /// Accessibility needs.
    AccessibilityNeeds,
    /// Other needs.
    AdditionalNeedsInformation,
    /// Whether an interpreter is needed, and the language.
    Interpreter,
    /// Caring or work responsibilities, and when the person is unavailable.
    AdditionalResponsibilities,
    /// Custody or community, the prison and the expected release.
    Location,
    /// The probation office.
    ProbationOffice,
    /// A handover to another practitioner.
    ResponsiblePractitioner,
}

/// A person's gender.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::catalogue::Gender")]
pub enum Gender {
    /// Female.
    Female,
    /// Male.
    Male,
    /// Another gender.
    Other,
    /// Not known.
    NotKnown,
}

/// Where the person is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::draft::LocationType")]
pub enum LocationType {
    /// In prison.
    Custody,
    /// In the community.
    Community,
}

/// How complex a person's needs are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::catalogue::Complexity")]
pub enum Complexity {
    /// Low complexity.
    Low,
    /// Medium complexity.
    Medium,
    /// High complexity.
    High,
}

/// The initial assessment or a delivery session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::delivery::AppointmentKind")]
pub enum AppointmentKind {
    /// The initial assessment.
    Assessment,
    /// A numbered delivery session of the action plan.
    Session,
}

/// How an appointment is delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::delivery::DeliveryMethod")]
pub enum DeliveryMethod {
    /// By telephone.
    PhoneCall,
    /// By video call.
    VideoCall,
    /// In person at a probation office (`probationOfficeCode` required).
    InPersonProbationOffice,
    /// In person elsewhere (`address` with a UK postcode required).
    InPersonOther,
}

/// One-to-one or group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::delivery::SessionType")]
pub enum SessionType {
    /// One person.
    OneToOne,
    /// A group session.
    Group,
}

/// Who asked for an appointment to be moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::delivery::RescheduleRequester")]
pub enum RescheduleRequester {
    /// The provider.
    ServiceProvider,
    /// The person on probation.
    PersonOnProbation,
    /// The probation practitioner.
    ProbationPractitioner,
}

/// Whether the person came.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::delivery::Attendance")]
pub enum Attendance {
    /// On time.
    Yes,
    /// Late.
    Late,
    /// Did not come.
    No,
}

/// How well a desired outcome was achieved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::delivery::AchievementLevel")]
pub enum AchievementLevel {
    /// Achieved.
    Achieved,
    /// Partly achieved.
    PartiallyAchieved,
    /// Not achieved.
    NotAchieved,
}

/// What a notification is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::domain::notifications::NotificationKind")]
pub enum NotificationKind {
    /// The person did not attend an appointment.
    AppointmentNotAttended,
    /// The provider raised concerns in appointment feedback.
    ConcernsRaised,
    /// A referral was sent to the provider.
    ReferralSent,
    /// The practitioner withdrew the referral.
    ReferralWithdrawn,
    /// The other side added a case note.
    CaseNoteAdded,
    /// An action plan waits for the practitioner's approval.
    ActionPlanSubmitted,
    /// The provider submitted the end-of-service report.
    EndOfServiceReportSubmitted,
    /// The practitioner amended the referral.
    ReferralAmended,
    /// The referral was handed to you by another practitioner or a case-management system.
    ReferralTransferred,
    /// The provider cancelled an appointment.
    AppointmentCancelled,
}
