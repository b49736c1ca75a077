//! The one write path. Every change to a referral, journey or delivery, goes through it:
//!
//! 1. [`authorise`]: the role gate, asked once at the start of a use case (`FORBIDDEN` for a
//!    role that may never take the action), before its input is read;
//! 2. [`Change::open`]: a write transaction, the referral loaded inside the caller's access and
//!    locked (`NOT_FOUND` outside it), the expected version checked (`CONFLICT`);
//! 3. [`Change::decide`]: the journey rules ([`journey::decide`]) on the referral as it stands,
//!    from its recorded facts once delivery is under way (`INVALID_TRANSITION`);
//! 4. the use case's own writes through [`Change::txn`], each recorded as a step
//!    ([`Change::record`], or [`Change::settle`] to move to the status the facts then give);
//! 5. [`Change::commit`]: the referral saved with its version moved on, one history event per
//!    step, the step's domain events in the outbox (relayed to the broker after the commit), the
//!    outcome facts refreshed, all in the same transaction.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{ConnectionTrait, DatabaseTransaction, TransactionTrait};
use uuid::Uuid;

use super::{Services, outcome_report};
use crate::db;
use crate::db::referrals::SaveError;
use crate::domain::actor::{Caller, Role, UserId};
use crate::domain::amendment::{ChangeLogEntry, TopicChange};
use crate::domain::delivery::{self, ActionPlan, Appointment, DeliverySession, EndOfServiceReport};
use crate::domain::events;
use crate::domain::ids::ReferralId;
use crate::domain::journey::{
    self, Action, Decision, DeliveryState, EventKind, Permit, Progress, ReferralStatus, Refusal,
    Standing,
};
use crate::domain::notifications::{self, Notification, NotificationKind, Side};
use crate::domain::reference_number;
use crate::domain::referral::{Referral, ReferralAccess, ReferralEvent, referral_access};
use crate::error::{AppError, internal};
use crate::live::{self, LiveHub};

/// Reference numbers tried before giving up, each one taken by another referral.
const REFERENCE_ATTEMPTS: usize = 10;

/// The current time at the precision both databases store (microseconds).
pub(super) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// A refusal of the journey rules as the API reports it.
pub(super) fn refused(refusal: Refusal) -> AppError {
    match refusal {
        Refusal::Forbidden { .. } => AppError::Forbidden(refusal.to_string()),
        Refusal::Invalid { .. } | Refusal::Withdrawn { .. } => {
            AppError::InvalidTransition(refusal.to_string())
        }
    }
}

/// The role the caller acts in on referrals and what they reach; `FORBIDDEN` for callers who
/// never see referrals (commissioners, tokens without one of our roles).
pub(super) fn reader(caller: &Caller) -> Result<(Role, ReferralAccess), AppError> {
    referral_access(caller.user_id(), &caller.scope)
        .ok_or_else(|| AppError::Forbidden("referrals are not open to this role".into()))
}

/// Leave to attempt one action: the caller, the permit and the referrals they reach.
#[derive(Debug)]
pub(super) struct Authorised<'a> {
    pub caller: &'a Caller,
    pub permit: Permit,
    pub access: ReferralAccess,
}

/// The role gate of a use case: `FORBIDDEN` unless the caller's role may ever take `action`.
pub(super) fn authorise(caller: &Caller, action: Action) -> Result<Authorised<'_>, AppError> {
    let (role, access) = reader(caller)?;
    let permit = Permit::grant(role, action).map_err(refused)?;
    Ok(Authorised {
        caller,
        permit,
        access,
    })
}

/// What is recorded about a referral's delivery.
#[derive(Debug)]
pub(super) struct Facts {
    pub appointments: Vec<Appointment>,
    pub plans: Vec<ActionPlan>,
    pub sessions: Vec<DeliverySession>,
    pub report: Option<EndOfServiceReport>,
}

impl Facts {
    /// Reads the facts of one referral (inside its transaction).
    pub async fn load(db: &impl ConnectionTrait, referral_id: Uuid) -> Result<Self, AppError> {
        let ids = [referral_id];
        Ok(Facts {
            appointments: db::delivery::appointments_of(db, &ids).await?,
            plans: db::delivery::plans_of(db, &ids).await?,
            sessions: db::delivery::sessions_of(db, &ids).await?,
            report: db::delivery::reports_of(db, &ids).await?.into_iter().next(),
        })
    }

    /// Everything the status of `referral` follows from.
    pub fn progress(&self, referral: &Referral) -> Progress {
        delivery::progress(
            referral,
            &self.appointments,
            &self.plans,
            &self.sessions,
            self.report.is_some(),
        )
    }
}

/// One recorded step of a change: an event from one status to another.
#[derive(Debug)]
struct Step {
    kind: EventKind,
    from: ReferralStatus,
    to: ReferralStatus,
    detail: Option<String>,
}

/// A change to one referral, inside its write transaction.
#[derive(Debug)]
pub(super) struct Change<'a> {
    txn: DatabaseTransaction,
    before: Referral,
    /// The referral as it will be saved.
    pub referral: Referral,
    permit: Permit,
    caller: &'a Caller,
    /// The time of the change, for every record it makes.
    pub at: DateTime<Utc>,
    steps: Vec<Step>,
    /// Notifications the use case raised beyond its steps' own (feedback's).
    notices: Vec<Notice>,
    /// Change-log entries (amendments, handovers).
    change_log: Vec<ChangeLogEntry>,
    /// The public address events name the referral under.
    public_url: std::sync::Arc<str>,
    live: LiveHub,
}

/// A notification to raise on commit, before its recipients are known.
#[derive(Debug)]
struct Notice {
    kind: NotificationKind,
    side: Side,
    appointment_id: Option<Uuid>,
}

impl<'a> Change<'a> {
    /// Opens a write transaction and loads the referral, locked: `NOT_FOUND` outside the
    /// caller's access, `CONFLICT` when `expected_version` is stale.
    pub async fn open(
        services: &Services,
        authorised: Authorised<'a>,
        id: ReferralId,
        expected_version: Option<i32>,
    ) -> Result<Change<'a>, AppError> {
        let Authorised {
            caller,
            permit,
            access,
        } = authorised;
        // A plain read first: ids the caller cannot see never take the write lock.
        let id = id.0;
        if db::referrals::find(&services.db, &access, id, false)
            .await?
            .is_none()
        {
            return Err(AppError::NotFound);
        }
        let txn = db::begin_write(&services.db).await?;
        let referral = db::referrals::find(&txn, &access, id, true)
            .await?
            .ok_or(AppError::NotFound)?;
        if permit.role() == Role::ProbationPractitioner
            && referral
                .responsible_pp_id
                .as_ref()
                .is_some_and(|responsible| responsible != caller.user_id())
        {
            // The creator still reads a referral handed to a colleague, but no longer acts on it.
            return Err(AppError::Forbidden(
                "the referral has been handed to another practitioner: only its responsible practitioner may change it".into(),
            ));
        }
        if expected_version.is_some_and(|v| v != referral.version) {
            return Err(AppError::Conflict(format!(
                "the referral has changed: version {} is not the current version",
                expected_version.unwrap_or_default()
            )));
        }
        Ok(Change {
            txn,
            before: referral.clone(),
            referral,
            permit,
            caller,
            at: now(),
            steps: Vec::new(),
            notices: Vec::new(),
            change_log: Vec::new(),
            public_url: services.public_url.clone(),
            live: services.live.clone(),
        })
    }

    /// The write transaction, for the use case's own records.
    pub fn txn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    /// The referral as the journey rules see it: by its recorded facts once it is sent and
    /// `facts` are given or delivery is under way (how far delivery got matters then), by its
    /// stored status otherwise.
    async fn standing(&self, facts: Option<&Facts>) -> Result<Standing, AppError> {
        let referral = &self.referral;
        if referral.status == ReferralStatus::Draft {
            return Ok(stored_standing(referral));
        }
        Ok(match facts {
            Some(facts) => facts.progress(referral).standing(),
            None if referral.status.is_delivering() => Facts::load(&self.txn, referral.id)
                .await?
                .progress(referral)
                .standing(),
            None => stored_standing(referral),
        })
    }

    /// What the permitted action does to the referral as it stands (see [`Change::standing`]),
    /// with the standing it was decided on.
    pub async fn decide(&self, facts: Option<&Facts>) -> Result<(Standing, Decision), AppError> {
        let standing = self.standing(facts).await?;
        let decision = journey::decide(standing, &self.permit).map_err(refused)?;
        Ok((standing, decision))
    }

    /// Raises a notification to `side` of the referral on commit.
    pub fn notify(&mut self, kind: NotificationKind, side: Side, appointment_id: Option<Uuid>) {
        self.notices.push(Notice {
            kind,
            side,
            appointment_id,
        });
    }

    /// Adds a change-log entry for `change`, with the reason given, on commit.
    pub fn log(&mut self, change: TopicChange, reason: Option<&str>) {
        self.change_log.push(ChangeLogEntry {
            id: Uuid::now_v7(),
            referral_id: self.referral.id,
            topic: change.topic,
            old_value: change.old_value,
            new_value: change.new_value,
            reason: reason.map(str::to_owned),
            actor_id: self.caller.user_id().clone(),
            at: self.at,
        });
    }

    /// Deletes the draft with every row under it and commits: a person who was never
    /// referred leaves nothing behind, history included.
    pub async fn discard(self) -> Result<(), AppError> {
        if self.referral.status != ReferralStatus::Draft {
            return Err(internal(
                "discarding a referral",
                "only drafts are discarded",
            ));
        }
        db::referrals::delete_draft(&self.txn, self.referral.id).await?;
        self.txn.commit().await?;
        tracing::info!(referral_id = %self.referral.id, user_id = %self.caller.user_id(), "draft referral deleted");
        Ok(())
    }

    /// Records a step to the referral's current status.
    pub fn record(&mut self, kind: EventKind, detail: Option<String>) {
        let from = self.steps.last().map_or(self.before.status, |s| s.to);
        self.steps.push(Step {
            kind,
            from,
            to: self.referral.status,
            detail,
        });
    }

    /// Re-reads the facts after the use case's writes, moves the referral to the status they
    /// give (concluding it once when they say so), and records the step.
    pub async fn settle(
        &mut self,
        kind: EventKind,
        detail: Option<String>,
    ) -> Result<(), AppError> {
        let facts = Facts::load(&self.txn, self.referral.id).await?;
        let status = journey::status(&facts.progress(&self.referral));
        if status.is_concluded() && self.referral.concluded_at.is_none() {
            self.referral.concluded_at = Some(self.at);
        }
        self.referral.status = status;
        self.record(kind, detail);
        Ok(())
    }

    /// Saves the referral (version moved on), appends one event per step, refreshes the
    /// outcome facts of a sent referral, and commits.
    pub async fn commit(mut self) -> Result<Referral, AppError> {
        self.referral.version = self.before.version + 1;
        match db::referrals::save(&self.txn, &self.referral, self.before.version, self.at).await {
            Ok(()) => {}
            Err(SaveError::Stale) => return Err(stale()),
            Err(SaveError::ReferenceTaken) => {
                return Err(internal("saving a referral", "reference number taken"));
            }
            Err(SaveError::Other(e)) => return Err(e),
        }
        self.finish(true).await
    }

    /// [`Change::commit`] for a referral being sent: it is saved with a fresh reference number
    /// ending in `suffix`, drawn from `random` again while the number is taken.
    pub async fn commit_with_reference(
        mut self,
        suffix: &str,
        random: &mut impl FnMut() -> [u8; 6],
    ) -> Result<Referral, AppError> {
        self.referral.version = self.before.version + 1;
        for _ in 0..REFERENCE_ATTEMPTS {
            self.referral.reference = Some(reference_number::draw(suffix, &mut *random));
            // A savepoint, so a taken number can be retried within the transaction.
            let attempt = self.txn.begin().await?;
            match db::referrals::save(&attempt, &self.referral, self.before.version, self.at).await
            {
                Ok(()) => {
                    attempt.commit().await?;
                    return self.finish(true).await;
                }
                Err(SaveError::ReferenceTaken) => attempt.rollback().await?,
                Err(SaveError::Stale) => return Err(stale()),
                Err(SaveError::Other(e)) => return Err(e),
            }
        }
        Err(internal("sending a referral", "no free reference number"))
    }

    /// Appends the steps' events and commits, leaving the referral row and its version as they
    /// are (a case note changes nothing of the referral itself).
    pub async fn commit_events_only(self) -> Result<(), AppError> {
        self.finish(false).await.map(drop)
    }

    async fn finish(mut self, saved: bool) -> Result<Referral, AppError> {
        let actor = self.caller.user_id();
        let mut published = Vec::new();
        for step in &self.steps {
            if let Some((kind, side)) = notifications::notice_of_step(step.kind, self.permit.role())
            {
                self.notices.push(Notice {
                    kind,
                    side,
                    appointment_id: None,
                });
            }
        }
        let notified = self.notifications().await?;
        db::notifications::insert(&self.txn, &notified).await?;
        db::change_log::insert(&self.txn, &self.change_log).await?;
        for step in &self.steps {
            let mut recorded = event(
                &self.referral,
                Some(step.from),
                step.kind,
                actor,
                self.at,
                step.detail.clone(),
            );
            recorded.to_status = step.to;
            db::referrals::insert_event(&self.txn, &recorded).await?;
            published.extend(self.domain_events(step));
        }
        db::outbox::append(&self.txn, &published).await?;
        if saved && self.referral.sent_at.is_some() {
            outcome_report::refresh(&self.txn, &[self.referral.id]).await?;
        }
        self.txn.commit().await?;
        for step in &self.steps {
            tracing::info!(referral_id = %self.referral.id, user_id = %actor, event = step.kind.code(), status = step.to.code(), "referral changed");
        }
        self.live.announce(live::Announcement::of_change(
            &self.referral,
            &published,
            &notified,
        ));
        Ok(self.referral)
    }
}

impl Change<'_> {
    /// The notices raised, addressed: the delivering organisations are looked up only when an
    /// unassigned referral notifies its provider side.
    async fn notifications(&self) -> Result<Vec<Notification>, AppError> {
        let referral = &self.referral;
        let practitioner = referral
            .responsible_pp_id
            .as_ref()
            .unwrap_or(&referral.created_by);
        let assignee = referral.assigned_to_id.as_ref();
        let mut delivering = Vec::new();
        if assignee.is_none() && self.notices.iter().any(|n| n.side == Side::Provider) {
            let contract = &referral.intervention.contract;
            delivering.push(contract.prime_provider_code.clone());
            delivering.extend(
                db::catalogue::subcontractors_by_contract_ids(&self.txn, &[contract.id])
                    .await?
                    .into_iter()
                    .map(|(_, provider)| provider.code),
            );
        }
        Ok(self
            .notices
            .iter()
            .flat_map(|notice| {
                notifications::recipients(notice.side, practitioner, assignee, &delivering)
                    .into_iter()
                    .map(|recipient| Notification {
                        id: Uuid::now_v7(),
                        referral_id: referral.id,
                        recipient,
                        kind: notice.kind,
                        appointment_id: notice.appointment_id,
                        notified_at: self.at,
                        read_at: None,
                    })
            })
            .collect())
    }

    /// The domain events of one step (none for a draft's).
    fn domain_events(&self, step: &Step) -> Vec<events::DomainEvent> {
        let detail: Option<serde_json::Map<String, serde_json::Value>> = step
            .detail
            .as_deref()
            .and_then(|d| serde_json::from_str::<serde_json::Value>(d).ok())
            .and_then(|v| v.as_object().cloned());
        let referral = &self.referral;
        events::events_of(
            events::StepFacts {
                kind: step.kind,
                from: step.from,
                to: step.to,
                detail: detail.as_ref(),
            },
            events::Subject {
                referral_id: referral.id,
                reference: referral.reference.as_deref(),
                crn: &referral.crn,
                status: step.to,
                version: referral.version,
            },
            self.at,
            &self.public_url,
        )
    }
}

/// The referral as stored, for the rules that do not depend on how far delivery got.
fn stored_standing(referral: &Referral) -> Standing {
    Standing {
        status: referral.status,
        withdrawn: referral.withdrawal.is_some(),
        delivery: referral
            .withdrawal
            .as_ref()
            .map_or(DeliveryState::NotDeliveringYet, |w| w.delivery_state),
    }
}

fn stale() -> AppError {
    AppError::Conflict("the referral was changed by someone else".into())
}

/// Writes a new draft with its selections and its `CREATED` event.
pub(super) async fn create(
    services: &Services,
    authorised: Authorised<'_>,
    referral: &Referral,
) -> Result<(), AppError> {
    let actor = authorised.caller.user_id();
    let txn = db::begin_write(&services.db).await?;
    db::referrals::insert(&txn, referral).await?;
    db::referrals::replace_selections(
        &txn,
        referral.id,
        &referral.details.categories,
        referral.created_at,
    )
    .await?;
    let created = event(
        referral,
        None,
        EventKind::Created,
        actor,
        referral.created_at,
        None,
    );
    db::referrals::insert_event(&txn, &created).await?;
    txn.commit().await?;
    tracing::info!(referral_id = %referral.id, user_id = %actor, "draft referral created");
    Ok(())
}

fn event(
    referral: &Referral,
    from: Option<ReferralStatus>,
    kind: EventKind,
    actor: &UserId,
    at: DateTime<Utc>,
    detail: Option<String>,
) -> ReferralEvent {
    ReferralEvent {
        // Time-ordered, so events of the same instant keep the order they were made in.
        id: Uuid::now_v7(),
        referral_id: referral.id,
        at,
        actor_id: actor.clone(),
        kind,
        from_status: from,
        to_status: referral.status,
        detail,
    }
}
