//! Who is calling and what they may see.
//!
//! A verified token becomes a [`Principal`] (roles and groups as claimed). The service layer
//! resolves it against the catalogue into a [`Scope`] with [`resolve_scope`]; every query that
//! can reach a referral takes that scope and filters in SQL.

use std::collections::BTreeSet;
use std::fmt;

use uuid::Uuid;

use super::catalogue::is_region_code;

/// A user id: the token's `sub`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub String);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The roles this API knows, as carried in the token's `authorities`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    ProbationPractitioner,
    ProviderUser,
    Commissioner,
    ReadAll,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [
        Role::ProbationPractitioner,
        Role::ProviderUser,
        Role::Commissioner,
        Role::ReadAll,
    ];

    /// The authority string in the token.
    pub fn authority(self) -> &'static str {
        match self {
            Role::ProbationPractitioner => "ROLE_PROBATION",
            Role::ProviderUser => "ROLE_CRS_PROVIDER",
            Role::Commissioner => "ROLE_CRS_COMMISSIONER",
            Role::ReadAll => "ROLE_CRS_READ_ALL",
        }
    }

    /// The role in words ("probation practitioner").
    pub fn words(self) -> &'static str {
        match self {
            Role::ProbationPractitioner => "probation practitioner",
            Role::ProviderUser => "provider user",
            Role::Commissioner => "commissioner",
            Role::ReadAll => "read-all client",
        }
    }

    /// The role an authority string names, if it is one of ours.
    pub fn from_authority(authority: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|role| role.authority() == authority)
    }
}

/// The authority of subject access request clients (the HMPPS SAR contract). Not a CRS role:
/// it opens `GET /subject-access-request` and nothing else.
pub const SUBJECT_ACCESS_AUTHORITY: &str = "ROLE_SAR_DATA_ACCESS";

pub const PROVIDER_GROUP_PREFIX: &str = "INT_SP_";
pub const CONTRACT_GROUP_PREFIX: &str = "INT_CR_";
pub const REGION_GROUP_PREFIX: &str = "INT_RG_";

/// The token's groups, split by kind; groups of any other shape are ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Groups {
    /// Provider codes from `INT_SP_<code>`.
    pub providers: BTreeSet<String>,
    /// Contract references from `INT_CR_<reference>`.
    pub contracts: BTreeSet<String>,
    /// Region codes from `INT_RG_<code>`.
    pub regions: BTreeSet<String>,
}

impl Groups {
    /// Splits raw group names by prefix.
    pub fn parse<'a>(groups: impl IntoIterator<Item = &'a str>) -> Self {
        let mut parsed = Groups::default();
        for group in groups {
            let group = group.trim();
            if let Some(code) = group
                .strip_prefix(PROVIDER_GROUP_PREFIX)
                .filter(|c| !c.is_empty())
            {
                parsed.providers.insert(code.to_owned());
            } else if let Some(reference) = group
                .strip_prefix(CONTRACT_GROUP_PREFIX)
                .filter(|c| !c.is_empty())
            {
                parsed.contracts.insert(reference.to_owned());
            } else if let Some(code) = group
                .strip_prefix(REGION_GROUP_PREFIX)
                .filter(|c| !c.is_empty())
            {
                parsed.regions.insert(code.to_owned());
            }
        }
        parsed
    }
}

/// The caller, as the verified token describes them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Principal {
    pub user_id: UserId,
    pub name: Option<String>,
    pub email: Option<String>,
    /// The roles of ours the token carries, in a fixed order.
    pub roles: BTreeSet<Role>,
    pub groups: Groups,
    /// Whether the token carries `ROLE_SAR_DATA_ACCESS`.
    pub subject_access: bool,
}

impl Principal {
    /// Builds a principal from token claims; authorities that are not ours are dropped.
    pub fn new<'a>(
        user_id: String,
        name: Option<String>,
        email: Option<String>,
        authorities: impl IntoIterator<Item = &'a str>,
        groups: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let mut subject_access = false;
        let roles = authorities
            .into_iter()
            .inspect(|authority| subject_access |= *authority == SUBJECT_ACCESS_AUTHORITY)
            .filter_map(Role::from_authority)
            .collect();
        Principal {
            user_id: UserId(user_id),
            name,
            email,
            roles,
            groups: Groups::parse(groups),
            subject_access,
        }
    }
}

/// The caller of one request: who the token says they are, and what they may see. The one
/// value the HTTP layer hands down to every use case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub principal: Principal,
    pub scope: Scope,
}

impl Caller {
    /// The caller's user id (the token's `sub`).
    pub fn user_id(&self) -> &UserId {
        &self.principal.user_id
    }
}

/// A contract as scope resolution needs it: who delivers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContractDelivery {
    pub id: Uuid,
    pub reference: String,
    pub prime_provider_code: String,
    pub subcontractor_codes: Vec<String>,
}

impl ContractDelivery {
    fn delivered_by_any(&self, providers: &BTreeSet<String>) -> bool {
        providers.contains(&self.prime_provider_code)
            || self
                .subcontractor_codes
                .iter()
                .any(|code| providers.contains(code))
    }
}

/// What a provider user may see: the contracts of their `INT_CR_` groups, each delivered (as
/// prime or subcontractor) by one of their `INT_SP_` providers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderScope {
    /// Known provider codes of the user, sorted.
    pub provider_codes: Vec<String>,
    /// The contracts in scope, sorted by reference.
    pub contracts: Vec<ContractDelivery>,
}

impl ProviderScope {
    /// Ids of the contracts in scope.
    pub fn contract_ids(&self) -> Vec<Uuid> {
        self.contracts.iter().map(|c| c.id).collect()
    }
}

/// What the caller may see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// A token with none of our roles: only `me` is open.
    NoRole,
    /// A probation practitioner: their own referrals.
    Practitioner,
    /// A provider user: referrals of the contracts in scope.
    Provider(ProviderScope),
    /// A commissioner: aggregates for these region codes, sorted.
    Commissioner { region_codes: Vec<String> },
    /// A machine client: every sent referral, read only.
    ReadAll,
}

/// Why a caller is refused outright, naming the group at fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("the token carries more than one CRS role ({0}); use one role per user")]
    ConflictingRoles(String),
    #[error("provider users need an INT_SP_ group naming a known provider")]
    NoProviderGroup,
    #[error("provider users need an INT_CR_ group naming a known contract")]
    NoContractGroup,
    #[error(
        "contract group INT_CR_{reference} is not delivered by any of the user's providers ({providers})"
    )]
    ContractNotDelivered {
        reference: String,
        providers: String,
    },
    #[error("commissioners need an INT_RG_ group naming a region (A to L)")]
    NoRegionGroup,
}

/// Resolves the caller's scope.
///
/// `known_providers` are the codes of the user's `INT_SP_` groups that exist in the catalogue;
/// `known_contracts` are the contracts of the user's `INT_CR_` groups that exist. Unknown
/// groups are ignored; a contract none of the user's providers delivers refuses the user.
pub fn resolve_scope(
    principal: &Principal,
    known_providers: &[String],
    known_contracts: &[ContractDelivery],
) -> Result<Scope, ScopeError> {
    let mut roles = principal.roles.iter();
    let Some(role) = roles.next() else {
        return Ok(Scope::NoRole);
    };
    if roles.next().is_some() {
        let names: Vec<&str> = principal.roles.iter().map(|r| r.authority()).collect();
        return Err(ScopeError::ConflictingRoles(names.join(", ")));
    }
    match role {
        Role::ProbationPractitioner => Ok(Scope::Practitioner),
        Role::ReadAll => Ok(Scope::ReadAll),
        Role::Commissioner => {
            let region_codes: Vec<String> = principal
                .groups
                .regions
                .iter()
                .filter(|code| is_region_code(code))
                .cloned()
                .collect();
            if region_codes.is_empty() {
                return Err(ScopeError::NoRegionGroup);
            }
            Ok(Scope::Commissioner { region_codes })
        }
        Role::ProviderUser => {
            let providers: BTreeSet<String> = known_providers
                .iter()
                .filter(|code| principal.groups.providers.contains(*code))
                .cloned()
                .collect();
            if providers.is_empty() {
                return Err(ScopeError::NoProviderGroup);
            }
            let mut contracts: Vec<ContractDelivery> = known_contracts
                .iter()
                .filter(|c| principal.groups.contracts.contains(&c.reference))
                .cloned()
                .collect();
            if contracts.is_empty() {
                return Err(ScopeError::NoContractGroup);
            }
            contracts.sort_by(|a, b| a.reference.cmp(&b.reference));
            contracts.dedup_by(|a, b| a.reference == b.reference);
            if let Some(undelivered) = contracts.iter().find(|c| !c.delivered_by_any(&providers)) {
                return Err(ScopeError::ContractNotDelivered {
                    reference: undelivered.reference.clone(),
                    providers: providers.iter().cloned().collect::<Vec<_>>().join(", "),
                });
            }
            Ok(Scope::Provider(ProviderScope {
                provider_codes: providers.into_iter().collect(),
                contracts,
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(authorities: &[&str], groups: &[&str]) -> Principal {
        Principal::new(
            "user-1".into(),
            None,
            None,
            authorities.iter().copied(),
            groups.iter().copied(),
        )
    }

    fn contract(reference: &str, prime: &str, subs: &[&str]) -> ContractDelivery {
        ContractDelivery {
            id: Uuid::new_v5(&Uuid::NAMESPACE_OID, reference.as_bytes()),
            reference: reference.into(),
            prime_provider_code: prime.into(),
            subcontractor_codes: subs.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    fn catalogue() -> (Vec<String>, Vec<ContractDelivery>) {
        (
            vec!["PRIME".into(), "SUB".into(), "OTHER".into()],
            vec![
                contract("C1", "PRIME", &["SUB"]),
                contract("C2", "OTHER", &[]),
                contract("C3", "SUB", &[]),
            ],
        )
    }

    fn resolve(authorities: &[&str], groups: &[&str]) -> Result<Scope, ScopeError> {
        let (providers, contracts) = catalogue();
        let p = principal(authorities, groups);
        let mine: Vec<String> = providers
            .into_iter()
            .filter(|c| p.groups.providers.contains(c))
            .collect();
        let theirs: Vec<ContractDelivery> = contracts
            .into_iter()
            .filter(|c| p.groups.contracts.contains(&c.reference))
            .collect();
        resolve_scope(&p, &mine, &theirs)
    }

    fn provider_contracts(scope: Result<Scope, ScopeError>) -> Vec<String> {
        match scope {
            Ok(Scope::Provider(s)) => s.contracts.into_iter().map(|c| c.reference).collect(),
            other => vec![format!("{other:?}")],
        }
    }

    #[test]
    fn groups_are_split_by_prefix_and_others_ignored() {
        let g = Groups::parse([
            "INT_SP_A",
            "INT_CR_X_1",
            "INT_RG_J",
            "SOMETHING_ELSE",
            "INT_SP_",
        ]);
        assert_eq!(g.providers.into_iter().collect::<Vec<_>>(), vec!["A"]);
        assert_eq!(g.contracts.into_iter().collect::<Vec<_>>(), vec!["X_1"]);
        assert_eq!(g.regions.into_iter().collect::<Vec<_>>(), vec!["J"]);
    }

    #[test]
    fn prime_provider_user_sees_their_contract() {
        assert_eq!(
            provider_contracts(resolve(
                &["ROLE_CRS_PROVIDER"],
                &["INT_SP_PRIME", "INT_CR_C1"]
            )),
            vec!["C1"]
        );
    }

    #[test]
    fn subcontractor_user_sees_the_contract_they_subcontract_on() {
        assert_eq!(
            provider_contracts(resolve(
                &["ROLE_CRS_PROVIDER"],
                &["INT_SP_SUB", "INT_CR_C1", "INT_CR_C3"]
            )),
            vec!["C1", "C3"]
        );
    }

    #[test]
    fn user_of_two_providers_sees_the_union() {
        let scope = resolve(
            &["ROLE_CRS_PROVIDER"],
            &["INT_SP_PRIME", "INT_SP_OTHER", "INT_CR_C1", "INT_CR_C2"],
        );
        assert_eq!(provider_contracts(scope), vec!["C1", "C2"]);
    }

    #[test]
    fn unknown_groups_are_ignored() {
        let scope = resolve(
            &["ROLE_CRS_PROVIDER"],
            &[
                "INT_SP_PRIME",
                "INT_SP_GHOST",
                "INT_CR_C1",
                "INT_CR_NOPE",
                "XYZ",
            ],
        );
        assert_eq!(provider_contracts(scope), vec!["C1"]);
    }

    #[test]
    fn contract_none_of_the_users_providers_delivers_is_refused_by_name() {
        let err = resolve(
            &["ROLE_CRS_PROVIDER"],
            &["INT_SP_PRIME", "INT_CR_C1", "INT_CR_C2"],
        );
        assert_eq!(
            err,
            Err(ScopeError::ContractNotDelivered {
                reference: "C2".into(),
                providers: "PRIME".into()
            })
        );
        assert!(
            err.err()
                .map(|e| e.to_string())
                .unwrap_or_default()
                .contains("INT_CR_C2")
        );
    }

    #[test]
    fn provider_without_provider_or_contract_group_is_refused() {
        assert_eq!(
            resolve(&["ROLE_CRS_PROVIDER"], &["INT_CR_C1"]),
            Err(ScopeError::NoProviderGroup)
        );
        assert_eq!(
            resolve(&["ROLE_CRS_PROVIDER"], &["INT_SP_GHOST", "INT_CR_C1"]),
            Err(ScopeError::NoProviderGroup)
        );
        assert_eq!(
            resolve(&["ROLE_CRS_PROVIDER"], &["INT_SP_PRIME"]),
            Err(ScopeError::NoContractGroup)
        );
        assert_eq!(
            resolve(&["ROLE_CRS_PROVIDER"], &["INT_SP_PRIME", "INT_CR_NOPE"]),
            Err(ScopeError::NoContractGroup)
        );
    }

    #[test]
    fn commissioner_gets_known_regions_only() {
        assert_eq!(
            resolve(
                &["ROLE_CRS_COMMISSIONER"],
                &["INT_RG_J", "INT_RG_Z", "INT_RG_A"]
            ),
            Ok(Scope::Commissioner {
                region_codes: vec!["A".into(), "J".into()]
            })
        );
        assert_eq!(
            resolve(&["ROLE_CRS_COMMISSIONER"], &["INT_RG_Z"]),
            Err(ScopeError::NoRegionGroup)
        );
    }

    #[test]
    fn other_roles_and_no_role() {
        assert_eq!(resolve(&["ROLE_PROBATION"], &[]), Ok(Scope::Practitioner));
        assert_eq!(resolve(&["ROLE_CRS_READ_ALL"], &[]), Ok(Scope::ReadAll));
        assert_eq!(resolve(&["ROLE_SOMETHING_ELSE"], &[]), Ok(Scope::NoRole));
        assert_eq!(resolve(&[], &[]), Ok(Scope::NoRole));
    }

    #[test]
    fn two_of_our_roles_are_refused() {
        assert!(matches!(
            resolve(&["ROLE_PROBATION", "ROLE_CRS_PROVIDER"], &[]),
            Err(ScopeError::ConflictingRoles(_))
        ));
    }
}
