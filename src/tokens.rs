//! The claims of this API's access tokens, and minting HS256 tokens for development and tests
//! (production tokens come from the identity provider). Verification is `http::auth`'s.

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::config::{JwtKey, JwtSettings};

/// The claims this API reads. `iss`, `aud`, `exp` and `nbf` are checked by the validation.
#[derive(Debug, Deserialize, Serialize)]
pub struct Claims {
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Required: a token without the claim is refused.
    pub authorities: Vec<String>,
    #[serde(default)]
    pub groups: Vec<String>,
}

/// Claims as minted, with the registered ones.
#[derive(Debug, Serialize)]
struct MintedClaims<'a> {
    iss: &'a str,
    aud: &'a str,
    exp: u64,
    iat: u64,
    #[serde(flatten)]
    claims: &'a Claims,
}

/// Mints an HS256 token valid for `ttl_seconds` with the configured issuer and audience.
/// Development and tests only: production keys are never held by this service.
pub fn mint(settings: &JwtSettings, claims: &Claims, ttl_seconds: u64) -> anyhow::Result<String> {
    mint_expiring_at(
        settings,
        claims,
        jsonwebtoken::get_current_timestamp() + ttl_seconds,
    )
}

/// [`mint`] with the expiry given as seconds since the epoch (it may have passed).
pub fn mint_expiring_at(
    settings: &JwtSettings,
    claims: &Claims,
    exp: u64,
) -> anyhow::Result<String> {
    let JwtKey::Hs256(secret) = &settings.key else {
        anyhow::bail!(
            "minting needs an HS256 secret (CRS_JWT_SECRET); RS256 tokens come from the identity provider"
        );
    };
    let now = jsonwebtoken::get_current_timestamp();
    let minted = MintedClaims {
        iss: &settings.issuer,
        aud: &settings.audience,
        exp,
        iat: now.min(exp),
        claims,
    };
    Ok(encode(
        &Header::new(Algorithm::HS256),
        &minted,
        &EncodingKey::from_secret(secret.expose_secret().as_bytes()),
    )?)
}
