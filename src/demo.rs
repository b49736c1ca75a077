//! Demo users for development: ready-made tokens that match the demo data set.

use crate::config::JwtSettings;
use crate::domain::actor::Role;
use crate::http::auth::{Claims, mint};

/// How long printed demo tokens stay valid.
pub const DEMO_TOKEN_TTL_SECONDS: u64 = 12 * 60 * 60;

/// A demo user.
#[derive(Debug)]
pub struct DemoUser {
    pub label: &'static str,
    pub claims: Claims,
}

fn claims(sub: &str, name: &str, role: Role, groups: &[&str]) -> Claims {
    Claims {
        sub: sub.to_owned(),
        name: Some(name.to_owned()),
        email: None,
        authorities: vec![role.authority().to_owned()],
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
    }
}

/// The demo practitioner, provider user and commissioner.
pub fn demo_users() -> Vec<DemoUser> {
    vec![
        DemoUser {
            label: "probation practitioner",
            claims: claims(
                "demo-practitioner",
                "Pat Practitioner",
                Role::ProbationPractitioner,
                &[],
            ),
        },
        DemoUser {
            label: "provider user (Harbour Light Trust)",
            claims: claims(
                "demo-provider",
                "Sam Caseworker",
                Role::ProviderUser,
                &[
                    "INT_SP_HARBOUR_LIGHT",
                    "INT_CR_CRS-ACC-J-01",
                    "INT_CR_CRS-WOS-J-01",
                    "INT_CR_CRS-DNR-G-01",
                ],
            ),
        },
        DemoUser {
            label: "commissioner (London)",
            claims: claims(
                "demo-commissioner",
                "Chris Commissioner",
                Role::Commissioner,
                &["INT_RG_J"],
            ),
        },
    ]
}

/// Tokens for every demo user.
pub fn demo_tokens(settings: &JwtSettings) -> anyhow::Result<Vec<(&'static str, String)>> {
    demo_users()
        .into_iter()
        .map(|user| {
            Ok((
                user.label,
                mint(settings, &user.claims, DEMO_TOKEN_TTL_SECONDS)?,
            ))
        })
        .collect()
}
