//! One sea-orm entity per table. Entities never leave `db/`: the functions there map them to
//! domain types.

pub mod app_user;
pub mod case_note;
pub mod complexity_level;
pub mod contract;
pub mod contract_subcontractor;
pub mod contract_type;
pub mod contract_type_service_category;
pub mod desired_outcome;
pub mod intervention;
pub mod pcc_area;
pub mod probation_delivery_unit;
pub mod referral;
pub mod referral_desired_outcome;
pub mod referral_event;
pub mod referral_service_category;
pub mod region;
pub mod service_category;
pub mod service_provider;
pub mod withdrawal_reason;
