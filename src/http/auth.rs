//! Bearer tokens: verification (algorithm pinned by configuration) and development minting.

use std::collections::HashMap;
use std::sync::Arc;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::jwks::{RemoteKeys, signing_keys};
use crate::config::{JwtKey, JwtSettings};
use crate::domain::actor::Principal;
pub use crate::tokens::{Claims, mint, mint_expiring_at};

/// Clock skew allowed on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECONDS: u64 = 60;

/// Claims as verified, with the expiry.
#[derive(Debug, Deserialize)]
struct VerifiedClaims {
    exp: u64,
    #[serde(flatten)]
    claims: Claims,
}

/// A fixed description of a verification failure (never the token's content).
fn reason(kind: &jsonwebtoken::errors::ErrorKind) -> String {
    use jsonwebtoken::errors::ErrorKind as K;
    match kind {
        K::InvalidToken | K::Base64(_) | K::Utf8(_) => "malformed".into(),
        K::InvalidSignature => "bad signature".into(),
        K::InvalidAlgorithm | K::MissingAlgorithm | K::InvalidAlgorithmName => {
            "wrong algorithm".into()
        }
        K::ExpiredSignature => "expired".into(),
        K::ImmatureSignature => "not yet valid".into(),
        K::InvalidIssuer => "wrong issuer".into(),
        K::InvalidAudience => "wrong audience".into(),
        K::MissingRequiredClaim(claim) => format!("missing claim {claim}"),
        K::Json(_) | K::InvalidClaimFormat(_) => "claims of the wrong shape".into(),
        _ => "invalid".into(),
    }
}

/// Why a token was refused. Only the kind is logged; the token never is.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("no bearer token")]
    Missing,
    #[error("token refused: {0}")]
    Invalid(String),
}

enum Keys {
    Single(DecodingKey),
    /// RS256 keys of a JWKS file by `kid`.
    Set(HashMap<String, DecodingKey>),
    /// RS256 keys of the identity provider's JWKS URL by `kid`, kept fresh.
    Remote {
        keys: Arc<RemoteKeys>,
        refresh_every: std::time::Duration,
    },
}

/// Verifies bearer tokens with the configured key.
pub struct TokenVerifier {
    keys: Keys,
    validation: Validation,
}

impl std::fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenVerifier")
            .field("algorithms", &self.validation.algorithms)
            .finish()
    }
}

impl TokenVerifier {
    /// Builds the verifier, fetching the keys of a JWKS URL; an unreadable key file or an
    /// unreachable JWKS URL is a start-up error naming the variable.
    pub async fn connect(settings: &JwtSettings) -> anyhow::Result<Self> {
        match &settings.key {
            JwtKey::Jwks { url, refresh_every } => {
                let keys = RemoteKeys::fetch_at_start(url).await?;
                Ok(Self::with_keys(
                    settings,
                    Algorithm::RS256,
                    Keys::Remote {
                        keys,
                        refresh_every: *refresh_every,
                    },
                ))
            }
            _ => Self::new(settings),
        }
    }

    /// Starts the periodic refresh of keys from a JWKS URL (none for other keys).
    pub fn spawn_key_refresh(&self) -> Option<tokio::task::JoinHandle<()>> {
        match &self.keys {
            Keys::Remote {
                keys,
                refresh_every,
            } => Some(keys.spawn_refresh(*refresh_every)),
            _ => None,
        }
    }

    /// Builds the verifier of a secret or key file; an unreadable key file is a start-up
    /// error naming the variable. Keys from a JWKS URL need [`TokenVerifier::connect`].
    pub fn new(settings: &JwtSettings) -> anyhow::Result<Self> {
        let (algorithm, keys) = match &settings.key {
            JwtKey::Hs256(secret) => (
                Algorithm::HS256,
                Keys::Single(DecodingKey::from_secret(secret.expose_secret().as_bytes())),
            ),
            JwtKey::Rs256File(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    anyhow::anyhow!(
                        "configuration: CRS_JWT_PUBLIC_KEY_FILE: cannot read {}: {e}",
                        path.display()
                    )
                })?;
                (Algorithm::RS256, rs256_keys(&text)?)
            }
            JwtKey::Jwks { .. } => {
                anyhow::bail!(
                    "configuration: CRS_JWT_JWKS_URL: keys from a URL are fetched at start"
                )
            }
        };
        Ok(Self::with_keys(settings, algorithm, keys))
    }

    fn with_keys(settings: &JwtSettings, algorithm: Algorithm, keys: Keys) -> Self {
        let mut validation = Validation::new(algorithm);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_issuer(&[settings.issuer.as_str()]);
        validation.set_audience(&[settings.audience.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        TokenVerifier { keys, validation }
    }

    /// [`TokenVerifier::verify_until`], first fetching the identity provider's keys again when
    /// the token names a `kid` not cached (at most once a minute).
    pub async fn verify_fresh(&self, token: &str) -> Result<(Principal, u64), TokenError> {
        if let Keys::Remote { keys, .. } = &self.keys
            && let Ok(Some(kid)) = decode_header(token).map(|h| h.kid)
            && keys.key(&kid).is_none()
        {
            keys.refresh_for_unknown(&kid).await;
        }
        self.verify_until(token)
    }

    /// Verifies `token` and returns the caller.
    pub fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        self.verify_until(token).map(|(principal, _)| principal)
    }

    /// Verifies `token` and returns the caller and the time (seconds since the epoch) after
    /// which the token is refused: its `exp` plus the allowed clock skew.
    pub fn verify_until(&self, token: &str) -> Result<(Principal, u64), TokenError> {
        let invalid = |e: jsonwebtoken::errors::Error| TokenError::Invalid(reason(e.kind()));
        let header = decode_header(token).map_err(invalid)?;
        if !header.typ.as_deref().is_none_or(is_access_token_type) {
            return Err(TokenError::Invalid("not an access token (typ)".into()));
        }
        let remote_key;
        let key = match &self.keys {
            Keys::Single(key) => key,
            Keys::Set(keys) => {
                let kid = header
                    .kid
                    .ok_or_else(|| TokenError::Invalid("no kid".into()))?;
                keys.get(&kid)
                    .ok_or_else(|| TokenError::Invalid("unknown kid".into()))?
            }
            Keys::Remote { keys, .. } => {
                let kid = header
                    .kid
                    .ok_or_else(|| TokenError::Invalid("no kid".into()))?;
                remote_key = keys
                    .key(&kid)
                    .ok_or_else(|| TokenError::Invalid("unknown kid".into()))?;
                &remote_key
            }
        };
        let data = decode::<VerifiedClaims>(token, key, &self.validation).map_err(invalid)?;
        let VerifiedClaims { exp, claims } = data.claims;
        if claims.sub.trim().is_empty() {
            return Err(TokenError::Invalid("empty sub".into()));
        }
        let refused_after = exp.saturating_add(LEEWAY_SECONDS);
        Ok((
            Principal::new(
                claims.sub,
                claims.name,
                claims.email,
                claims.authorities.iter().map(String::as_str),
                claims.groups.iter().map(String::as_str),
            ),
            refused_after,
        ))
    }
}

/// Whether a token's `typ` header names an access token: `JWT` or `at+jwt` (RFC 9068), in any
/// case, with or without the `application/` prefix (RFC 7515 4.1.9). Refresh tokens, encrypted
/// tokens and anything else are refused (RFC 8725 3.11).
fn is_access_token_type(typ: &str) -> bool {
    let typ = typ.to_ascii_lowercase();
    let typ = typ.strip_prefix("application/").unwrap_or(&typ);
    matches!(typ, "jwt" | "at+jwt")
}

/// A PEM public key, or a JWKS document of RS256 signing keys.
fn rs256_keys(text: &str) -> anyhow::Result<Keys> {
    if text.trim_start().starts_with('{') {
        let set: JwkSet = serde_json::from_str(text).map_err(|e| {
            anyhow::anyhow!("configuration: CRS_JWT_PUBLIC_KEY_FILE: not a JWKS document: {e}")
        })?;
        let keys = signing_keys(&set)
            .map_err(|e| anyhow::anyhow!("configuration: CRS_JWT_PUBLIC_KEY_FILE: {e}"))?;
        if keys.is_empty() {
            anyhow::bail!(
                "configuration: CRS_JWT_PUBLIC_KEY_FILE: the JWKS has no RSA signing key with a kid"
            );
        }
        Ok(Keys::Set(keys))
    } else {
        let key = DecodingKey::from_rsa_pem(text.as_bytes()).map_err(|e| {
            anyhow::anyhow!("configuration: CRS_JWT_PUBLIC_KEY_FILE: not an RSA public key: {e}")
        })?;
        Ok(Keys::Single(key))
    }
}

/// The bearer token of an `Authorization` header value.
pub fn bearer_token(header: Option<&str>) -> Result<&str, TokenError> {
    let value = header.ok_or(TokenError::Missing)?;
    let (scheme, token) = value.split_once(' ').ok_or(TokenError::Missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(TokenError::Missing);
    }
    Ok(token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{DEVELOPMENT_JWT_AUDIENCE, DEVELOPMENT_JWT_ISSUER};
    use secrecy::SecretString;

    fn settings(secret: &str) -> JwtSettings {
        JwtSettings {
            key: JwtKey::Hs256(SecretString::from(secret)),
            issuer: DEVELOPMENT_JWT_ISSUER.into(),
            audience: DEVELOPMENT_JWT_AUDIENCE.into(),
        }
    }

    fn claims() -> Claims {
        Claims {
            sub: "pp-1".into(),
            name: Some("A Practitioner".into()),
            email: None,
            authorities: vec!["ROLE_PROBATION".into(), "ROLE_OTHER".into()],
            groups: vec![],
        }
    }

    #[test]
    fn minted_tokens_verify_and_keep_only_our_roles() {
        let s = settings("a-test-secret-that-is-long-enough!!");
        let token = mint(&s, &claims(), 60).expect("mint");
        let principal = TokenVerifier::new(&s)
            .expect("verifier")
            .verify(&token)
            .expect("valid");
        assert_eq!(principal.user_id.0, "pp-1");
        assert_eq!(principal.roles.len(), 1);
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let token =
            mint(&settings("another-secret-another-secret-xx"), &claims(), 60).expect("mint");
        let verifier =
            TokenVerifier::new(&settings("a-test-secret-that-is-long-enough!!")).expect("verifier");
        assert!(matches!(
            verifier.verify(&token),
            Err(TokenError::Invalid(_))
        ));
    }

    #[test]
    fn bearer_header_parsing() {
        assert_eq!(bearer_token(Some("Bearer abc")).ok(), Some("abc"));
        assert_eq!(bearer_token(Some("bearer abc")).ok(), Some("abc"));
        assert!(bearer_token(Some("Basic abc")).is_err());
        assert!(bearer_token(Some("Bearer ")).is_err());
        assert!(bearer_token(None).is_err());
    }
}
