//! A synthetic national data set: realistic, deterministic (the same seed, size and cut-off day
//! give the same data), made without I/O. `World` is the catalogue and staff; `Generator` makes
//! the referrals one by one, each lived step by step up to the cut-off (`journey`).
//!
//! Every person, organisation and note is invented.

mod journey;
mod people;
mod random;
mod words;
mod world;

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::Rng as _;
use uuid::Uuid;

use crate::domain::amendment::Words;
use crate::domain::catalogue::{
    ComplexityLevel, ContractArea, ContractType, DesiredOutcome, Intervention, PccArea, Region,
    uk_day_start,
};
use crate::domain::onboarding::ContractPlan;
use crate::domain::record::ReferralRecord;
pub use world::World;

/// What to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    pub referrals: u64,
    pub seed: u64,
    /// Everything happens before this UK day begins.
    pub as_of: NaiveDate,
    /// The regions (by code) the data set covers: [`ALL_REGIONS`] or a few.
    pub regions: &'static [&'static str],
}

/// Every region of the reference catalogue.
pub const ALL_REGIONS: &[&str] = &[];

/// The reference catalogue the data set is built on (from the migrations).
#[derive(Clone, Debug, Default)]
pub struct Reference {
    pub regions: Vec<Region>,
    pub pcc_areas: Vec<PccArea>,
    pub contract_types: Vec<ContractType>,
    /// Service category ids by contract type code.
    pub categories: BTreeMap<String, Vec<Uuid>>,
    /// Service category names by id.
    pub category_names: BTreeMap<Uuid, String>,
    pub levels: Vec<ComplexityLevel>,
    pub outcomes: Vec<DesiredOutcome>,
    pub withdrawal_reasons: Vec<String>,
}

/// A category with its levels and outcomes.
type CategoryChoices = (Uuid, Vec<ComplexityLevel>, Vec<DesiredOutcome>);

/// What referrals to one contract are made from.
#[derive(Debug)]
struct ContractSetting {
    intervention: Intervention,
    region_code: String,
    suffix: String,
    pdus: Vec<String>,
    /// The days referrals can be made: from, and how many.
    first_day: NaiveDate,
    open_days: i64,
    /// Caseworkers of the prime provider, then of each subcontractor.
    prime_caseworkers: Vec<String>,
    subcontractor_caseworkers: Vec<Vec<String>>,
    categories: Vec<CategoryChoices>,
}

/// Makes the referrals of a world in order, in chunks.
#[derive(Debug)]
pub struct Generator {
    options: Options,
    cutoff: DateTime<Utc>,
    contracts: Vec<ContractSetting>,
    /// Running totals of the contracts' weights, to pick one in proportion.
    cumulative: Vec<f64>,
    practitioners: BTreeMap<String, Vec<String>>,
    withdrawal_reasons: Vec<String>,
    /// Catalogue titles by id, for the change log.
    words: Words,
    next: u64,
    taken_references: HashSet<String>,
}

impl Reference {
    /// The catalogue cut down to `regions` (every region when empty).
    pub fn only_regions(&self, regions: &[&str]) -> Reference {
        if regions.is_empty() {
            return self.clone();
        }
        let kept = |code: &str| regions.contains(&code);
        Reference {
            regions: self
                .regions
                .iter()
                .filter(|r| kept(&r.code))
                .cloned()
                .collect(),
            pcc_areas: self
                .pcc_areas
                .iter()
                .filter(|a| kept(&a.region_code))
                .cloned()
                .collect(),
            ..self.clone()
        }
    }
}

impl Generator {
    /// A generator for `world`, whose contracts were planned as `planned` (the checked
    /// catalogue import); `None` when no contract takes referrals before the cut-off.
    pub fn new(
        reference: &Reference,
        world: &World,
        planned: &[ContractPlan],
        options: Options,
    ) -> Option<Generator> {
        let cutoff = uk_day_start(options.as_of);
        let launch = NaiveDate::from_ymd_opt(world::LAUNCH.0, world::LAUNCH.1, world::LAUNCH.2)
            .unwrap_or_default();
        let mut contracts = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0.0;
        for spec in &world.contracts {
            let Some(plan) = planned
                .iter()
                .find(|p| p.contract.reference == spec.reference)
            else {
                continue;
            };
            let window = plan.contract.window;
            let first_day = window.opens_on.max(launch);
            let last_day = window
                .closes_after
                .unwrap_or(options.as_of)
                .min(options.as_of - Duration::days(1));
            let open_days = (last_day - first_day).num_days() + 1;
            if open_days <= 0 {
                continue;
            }
            let type_code = &plan.contract.contract_type_code;
            let categories = reference
                .categories
                .get(type_code)
                .map(|ids| {
                    ids.iter()
                        .map(|id| {
                            (
                                *id,
                                reference
                                    .levels
                                    .iter()
                                    .filter(|l| l.service_category_id == *id)
                                    .cloned()
                                    .collect(),
                                reference
                                    .outcomes
                                    .iter()
                                    .filter(|o| o.service_category_id == *id)
                                    .cloned()
                                    .collect(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let caseworkers =
                |code: &String| world.caseworkers.get(code).cloned().unwrap_or_default();
            total += spec.weight * open_days as f64;
            cumulative.push(total);
            contracts.push(ContractSetting {
                intervention: Intervention {
                    id: plan.intervention_id,
                    title: plan.intervention_title.clone(),
                    description: plan.intervention_description.clone(),
                    contract: plan.contract.clone(),
                },
                region_code: match &plan.contract.area {
                    ContractArea::Region(code) => code.clone(),
                    ContractArea::PccArea(_) => spec.region_code.clone(),
                },
                suffix: reference
                    .contract_types
                    .iter()
                    .find(|t| &t.code == type_code)
                    .map(|t| t.reference_suffix.clone())
                    .unwrap_or_default(),
                pdus: spec.pdus.clone(),
                first_day,
                open_days,
                prime_caseworkers: caseworkers(&spec.prime),
                subcontractor_caseworkers: spec.subcontractors.iter().map(caseworkers).collect(),
                categories,
            });
        }
        (!contracts.is_empty()).then(|| Generator {
            options,
            cutoff,
            contracts,
            cumulative,
            practitioners: world.practitioners.clone(),
            withdrawal_reasons: reference.withdrawal_reasons.clone(),
            words: reference
                .category_names
                .iter()
                .map(|(id, name)| (*id, name.clone()))
                .chain(reference.levels.iter().map(|l| (l.id, l.title.clone())))
                .chain(
                    reference
                        .outcomes
                        .iter()
                        .map(|o| (o.id, o.description.clone())),
                )
                .collect(),
            next: 0,
            taken_references: HashSet::new(),
        })
    }

    /// How many referrals are still to be made.
    pub fn remaining(&self) -> u64 {
        self.options.referrals - self.next
    }

    /// The next `size` referrals (fewer at the end).
    pub fn next_chunk(&mut self, size: u64) -> Vec<ReferralRecord> {
        let end = (self.next + size).min(self.options.referrals);
        let chunk = (self.next..end).map(|i| self.make(i)).collect();
        self.next = end;
        chunk
    }

    /// Referral number `index`, from its own stream of the seed.
    fn make(&mut self, index: u64) -> ReferralRecord {
        let mut rng = random::stream(self.options.seed, index);
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let point = rng.random::<f64>() * total;
        let at = self
            .cumulative
            .partition_point(|c| *c <= point)
            .min(self.contracts.len() - 1);
        let contract = &self.contracts[at];
        // More referrals in later years: the density grows gently over the contract's days.
        let offset = (rng.random::<f64>().powf(0.75) * contract.open_days as f64) as i64;
        let made_on = contract.first_day + Duration::days(offset.min(contract.open_days - 1));
        let pdu = random::pick(&mut rng, &contract.pdus);
        let colleagues = self
            .practitioners
            .get(pdu)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let practitioner = if colleagues.is_empty() {
            String::new()
        } else {
            random::pick(&mut rng, colleagues).clone()
        };
        let pool =
            if contract.subcontractor_caseworkers.is_empty() || random::chance(&mut rng, 0.75) {
                &contract.prime_caseworkers
            } else {
                random::pick(&mut rng, &contract.subcontractor_caseworkers)
            };
        let caseworkers: Vec<&str> = pool.iter().map(String::as_str).collect();
        let setting = journey::Setting {
            intervention: &contract.intervention,
            region_code: &contract.region_code,
            suffix: &contract.suffix,
            pdu_code: pdu,
            practitioner: &practitioner,
            colleagues,
            caseworkers: &caseworkers,
            categories: &contract.categories,
            withdrawal_reasons: &self.withdrawal_reasons,
            words: &self.words,
        };
        journey::referral(
            &mut rng,
            &setting,
            made_on,
            self.cutoff,
            &mut self.taken_references,
        )
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use chrono::NaiveDate;

    use super::*;
    use crate::domain::catalogue::{Complexity, uk_date};
    use crate::domain::delivery;
    use crate::domain::delivery::AppointmentKind;
    use crate::domain::draft;
    use crate::domain::journey;
    use crate::domain::journey::{EventKind, ReferralStatus};
    use crate::domain::onboarding::{self, KnownCodes};

    const AS_OF: (i32, u32, u32) = (2026, 11, 30);

    fn as_of() -> NaiveDate {
        NaiveDate::from_ymd_opt(AS_OF.0, AS_OF.1, AS_OF.2).unwrap_or_default()
    }

    /// A small reference catalogue: two regions, three PCC areas, six contract types.
    fn reference() -> Reference {
        let category = |n: u128| Uuid::from_u128(n);
        let mut reference = Reference {
            regions: [("A", "North East"), ("J", "London")]
                .iter()
                .map(|(code, name)| Region {
                    code: (*code).into(),
                    name: (*name).into(),
                })
                .collect(),
            pcc_areas: [
                ("durham", "Durham", "A"),
                ("northumbria", "Northumbria", "A"),
                ("metropolitan", "London", "J"),
            ]
            .iter()
            .map(|(code, name, region)| PccArea {
                code: (*code).into(),
                name: (*name).into(),
                region_code: (*region).into(),
            })
            .collect(),
            withdrawal_reasons: [
                "INE", "MIS", "MOV", "NEE", "NOT", "USE", "WOR", "ACQ", "RET",
            ]
            .iter()
            .chain(&["SEE", "SER", "EAR", "ANO"])
            .map(|c| (*c).to_owned())
            .collect(),
            ..Default::default()
        };
        for (code, suffix, categories) in [
            ("ACC", "AC", vec![1]),
            ("ETE", "ED", vec![2]),
            ("PWB", "PE", vec![3, 4]),
            ("WOS", "WO", vec![1, 3]),
            ("MTR", "ME", vec![4]),
            ("DNR", "DE", vec![5]),
        ] {
            reference.contract_types.push(ContractType {
                code: code.into(),
                name: format!("{code} services"),
                reference_suffix: suffix.into(),
            });
            for n in &categories {
                reference
                    .category_names
                    .insert(category(*n), format!("Category {n}"));
            }
            reference
                .categories
                .insert(code.into(), categories.into_iter().map(category).collect());
        }
        for n in 1..=5u128 {
            for (i, complexity) in [Complexity::Low, Complexity::Medium, Complexity::High]
                .into_iter()
                .enumerate()
            {
                reference.levels.push(ComplexityLevel {
                    id: Uuid::from_u128(n * 100 + i as u128),
                    service_category_id: category(n),
                    complexity,
                    title: complexity.code().into(),
                    description: String::new(),
                });
                reference.outcomes.push(DesiredOutcome {
                    id: Uuid::from_u128(n * 1000 + i as u128),
                    service_category_id: category(n),
                    description: format!("outcome {i}"),
                });
            }
        }
        reference
    }

    fn generate(seed: u64, referrals: u64) -> Vec<ReferralRecord> {
        let reference = reference();
        let options = Options {
            referrals,
            seed,
            as_of: as_of(),
            regions: ALL_REGIONS,
        };
        let world = World::new(&reference, &options);
        let known = KnownCodes {
            contract_types: reference
                .contract_types
                .iter()
                .map(|t| t.code.clone())
                .collect(),
            regions: reference.regions.iter().map(|r| r.code.clone()).collect(),
            pcc_areas: reference.pcc_areas.iter().map(|a| a.code.clone()).collect(),
            providers: BTreeSet::new(),
        };
        let plan = onboarding::plan(world.file.clone(), &known).unwrap_or_else(|problems| {
            panic!("the generated catalogue is invalid: {problems:?}");
        });
        let mut generator =
            Generator::new(&reference, &world, &plan.contracts, options).expect("open contracts");
        let mut records = Vec::new();
        while generator.remaining() > 0 {
            records.extend(generator.next_chunk(500));
        }
        records
    }

    #[test]
    fn the_same_seed_gives_the_same_data_and_another_seed_other_data() {
        let first = generate(11, 300);
        assert_eq!(first, generate(11, 300));
        assert_ne!(first, generate(12, 300));
    }

    /// Every generated referral is one the service itself could have recorded: complete when
    /// sent, eligible, its status the one its facts give, its history in order and ending in
    /// its status, nothing at or after the cut-off, and every status somewhere (the rarest, a
    /// plan waiting for approval at the cut-off, comes about three times in 6,000).
    #[test]
    fn every_referral_follows_the_rules_of_the_service() {
        let records = generate(1, 6000);
        let cutoff = uk_day_start(as_of());
        let mut statuses = BTreeSet::new();
        for record in &records {
            let r = &record.referral;
            statuses.insert(r.status);
            assert!(!record.events.is_empty());
            assert!(
                record
                    .events
                    .windows(2)
                    .all(|w| (w[0].at, w[0].id) < (w[1].at, w[1].id)),
                "history out of order on {}",
                r.id
            );
            assert!(record.events.iter().all(|e| e.at < cutoff));
            assert_eq!(record.events.last().map(|e| e.to_status), Some(r.status));
            assert_eq!(record.events[0].kind, EventKind::Created);
            let Some(sent_at) = r.sent_at else {
                assert_eq!(r.status, ReferralStatus::Draft);
                continue;
            };
            let sent_on = uk_date(sent_at);
            assert!(r.intervention.contract.window.is_open_on(sent_on));
            assert_eq!(
                draft::missing_for_send(&r.details, sent_on),
                vec![],
                "{}",
                r.id
            );
            assert_eq!(
                draft::eligibility_problems(
                    &r.details.service_user,
                    &r.intervention.contract.eligibility,
                    sent_on
                ),
                vec![]
            );
            let progress = delivery::progress(
                r,
                &record.appointments,
                &record.plans,
                &record.sessions,
                record.report.is_some(),
            );
            assert_eq!(journey::status(&progress), r.status, "{}", r.id);
            assert_eq!(r.concluded_at.is_some(), r.status.is_concluded());
            assert_eq!(
                record.report.is_some(),
                matches!(
                    r.status,
                    ReferralStatus::Completed | ReferralStatus::PrematurelyEnded
                )
            );
            for a in &record.appointments {
                if let Some(f) = &a.feedback {
                    assert!(f.submitted_at > a.starts_at && f.submitted_at < cutoff);
                }
            }
            if let Some(report) = &record.report {
                let desired: usize = r
                    .details
                    .categories
                    .iter()
                    .map(|c| c.desired_outcome_ids.len())
                    .sum();
                assert_eq!(report.outcomes.len(), desired);
            }
        }
        assert_eq!(
            statuses.len(),
            ReferralStatus::ALL.len(),
            "statuses seen: {statuses:?}"
        );
    }

    /// Amendments and handovers come in plausible shares, each change-log entry belongs to an
    /// event of its kind, at its time, by its actor, and the last handover names the
    /// practitioner now responsible, who took every practitioner step after it.
    #[test]
    fn amendments_and_handovers_are_logged_as_the_service_logs_them() {
        use crate::domain::amendment::ChangeTopic;
        let records = generate(9, 6000);
        let sent: Vec<_> = records
            .iter()
            .filter(|r| r.referral.sent_at.is_some())
            .collect();
        let share = |f: &dyn Fn(&ReferralRecord) -> bool| {
            sent.iter().filter(|r| f(r)).count() as f64 / sent.len() as f64
        };
        let amended = share(&|r| r.events.iter().any(|e| e.kind == EventKind::Amended));
        let handed = share(&|r| r.events.iter().any(|e| e.kind == EventKind::Transferred));
        assert!((0.08..0.30).contains(&amended), "amended: {amended}");
        assert!((0.02..0.08).contains(&handed), "handed over: {handed}");
        let mut deadlines_moved = 0;
        for record in &sent {
            let r = &record.referral;
            for entry in &record.changes {
                let kind = if entry.topic == ChangeTopic::ResponsiblePractitioner {
                    EventKind::Transferred
                } else {
                    EventKind::Amended
                };
                assert!(
                    record.events.iter().any(|e| e.kind == kind
                        && e.at == entry.at
                        && e.actor_id == entry.actor_id),
                    "{} {:?} has no event",
                    r.id,
                    entry.topic
                );
                assert_ne!(entry.old_value, entry.new_value);
                if kind == EventKind::Amended {
                    assert!(entry.reason.is_some(), "an amendment gives its reason");
                }
                deadlines_moved += usize::from(entry.topic == ChangeTopic::CompletionDeadline);
            }
            let handover = record
                .changes
                .iter()
                .rfind(|e| e.topic == ChangeTopic::ResponsiblePractitioner);
            match handover {
                None => assert_eq!(r.responsible_pp_id.as_ref(), Some(&r.created_by)),
                Some(entry) => {
                    let to = entry.new_value.clone().map(crate::domain::actor::UserId);
                    assert_eq!(r.responsible_pp_id, to, "{}", r.id);
                    assert!(
                        record
                            .events
                            .iter()
                            .filter(|e| e.at > entry.at)
                            .all(|e| e.actor_id != r.created_by),
                        "{}: the maker acted after handing it over",
                        r.id
                    );
                }
            }
        }
        assert!(deadlines_moved > 100, "deadlines moved: {deadlines_moved}");
    }

    /// The generator simulates the journey without the service, so each step of every
    /// generated history is checked against the journey rules: the action that made it is one
    /// its actor's role may take from the status it started in, and where the rules name the
    /// status it leads to, the history records that status.
    #[test]
    fn every_generated_step_is_one_the_journey_rules_allow() {
        use crate::domain::actor::Role;
        use crate::domain::journey::{Action, Decision, DeliveryState, Permit, Standing, decide};
        let records = generate(7, 3000);
        let mut checked = 0;
        for record in &records {
            let r = &record.referral;
            let kind_of = |detail: Option<&String>, key: &str| -> Option<AppointmentKind> {
                let detail: serde_json::Value = serde_json::from_str(detail?).ok()?;
                let id: Uuid = detail.get(key)?.as_str()?.parse().ok()?;
                record
                    .appointments
                    .iter()
                    .find(|a| a.id == id)
                    .map(|a| a.kind)
            };
            let mut withdrawn = false;
            for event in &record.events {
                let Some(from) = event.from_status else {
                    assert_eq!(event.kind, EventKind::Created, "{}", r.id);
                    continue;
                };
                let automatic = event
                    .detail
                    .as_deref()
                    .is_some_and(|d| d.contains("\"automatic\":true"));
                let action = match event.kind {
                    EventKind::Created => panic!("a second CREATED on {}", r.id),
                    EventKind::Updated => Action::UpdateDraft,
                    EventKind::Sent => Action::Send,
                    EventKind::Assigned => Action::Assign,
                    EventKind::Withdrawn => Action::Withdraw,
                    EventKind::CaseNoteAdded => Action::AddCaseNote,
                    EventKind::AppointmentScheduled | EventKind::AppointmentRescheduled => {
                        match kind_of(event.detail.as_ref(), "appointmentId") {
                            Some(AppointmentKind::Assessment) => Action::ScheduleAssessment,
                            Some(AppointmentKind::Session) => Action::ScheduleSession,
                            None => panic!("booking of no appointment on {}", r.id),
                        }
                    }
                    EventKind::AppointmentFeedbackRecorded => {
                        match kind_of(event.detail.as_ref(), "appointmentId") {
                            Some(AppointmentKind::Assessment) => Action::RecordAssessmentFeedback,
                            Some(AppointmentKind::Session) => Action::RecordSessionFeedback,
                            None => panic!("feedback on no appointment on {}", r.id),
                        }
                    }
                    EventKind::ActionPlanSubmitted => Action::SubmitActionPlan,
                    EventKind::ActionPlanApproved => Action::ApproveActionPlan,
                    EventKind::EndOfServiceReportSubmitted => Action::SubmitEndOfServiceReport,
                    EventKind::Amended => Action::Amend,
                    EventKind::Transferred => Action::Transfer,
                    EventKind::AppointmentCancelled => Action::CancelAppointment,
                };
                // An automatic approval is the policy's, made as the plan is submitted. The
                // practitioner is the maker or the colleague who took the referral over.
                let practitioner = event.actor_id == r.created_by
                    || Some(&event.actor_id) == r.responsible_pp_id.as_ref();
                let role = if practitioner || automatic {
                    Role::ProbationPractitioner
                } else {
                    Role::ProviderUser
                };
                let delivery = match (&r.withdrawal, event.kind) {
                    (Some(w), EventKind::Withdrawn) => w.delivery_state,
                    _ => DeliveryState::NotDeliveringYet,
                };
                let standing = Standing {
                    status: from,
                    withdrawn,
                    delivery,
                };
                let decided = Permit::grant(role, action).and_then(|p| decide(standing, &p));
                match decided {
                    Ok(Decision::MoveTo(status)) => {
                        assert_eq!(event.to_status, status, "{} {:?}", r.id, event.kind)
                    }
                    Ok(Decision::Proceed) => {}
                    other => panic!(
                        "{} {:?} by {role:?} from {standing:?}: {other:?}",
                        r.id, event.kind
                    ),
                }
                withdrawn |= event.kind == EventKind::Withdrawn;
                checked += 1;
            }
        }
        assert!(checked > 30_000, "only {checked} steps checked");
    }
}
