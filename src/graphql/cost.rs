//! Complexity weights of list fields: the number of items a list usually holds. A field costs
//! 1, a list `weight × child complexity`, so nesting lists multiplies cost and an exponential
//! query (`regions { pccAreas { region { pccAreas … } } } }`) passes the complexity limit long
//! before it passes the depth limit.

/// Probation regions.
pub const REGIONS: usize = 12;
/// PCC areas of one region (at most 7).
pub const AREAS_PER_REGION: usize = 5;
/// Probation delivery units of one PCC area.
pub const UNITS_PER_AREA: usize = 5;
/// Contract types.
pub const CONTRACT_TYPES: usize = 35;
/// Service categories in the catalogue.
pub const SERVICE_CATEGORIES: usize = 37;
/// Service categories of one contract type (at most 8).
pub const CATEGORIES_PER_TYPE: usize = 4;
/// Complexity levels of one category.
pub const LEVELS_PER_CATEGORY: usize = 3;
/// Desired outcomes of one category.
pub const OUTCOMES_PER_CATEGORY: usize = 4;
/// Subcontractors of one contract.
pub const SUBCONTRACTORS_PER_CONTRACT: usize = 3;
/// Providers in the catalogue or of one user.
pub const PROVIDERS: usize = 20;
/// Contracts of one provider user.
pub const CONTRACTS_PER_USER: usize = 5;
/// Interventions a catalogue search returns.
pub const INTERVENTIONS: usize = 20;
/// Withdrawal reasons.
pub const WITHDRAWAL_REASONS: usize = 13;
/// History entries of one referral.
pub const EVENTS_PER_REFERRAL: usize = 10;
/// Appointments of one referral (assessment and sessions with their history).
pub const APPOINTMENTS_PER_REFERRAL: usize = 10;
/// Action plan revisions of one referral.
pub const PLANS_PER_REFERRAL: usize = 2;
/// Delivery sessions of one referral.
pub const SESSIONS_PER_REFERRAL: usize = 8;
