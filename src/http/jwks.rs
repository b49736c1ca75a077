//! Signing keys from the identity provider's JWKS URL (`CRS_JWT_JWKS_URL`): fetched at start
//! and cached; fetched again every `CRS_JWT_JWKS_REFRESH_SECONDS` (so a removed key stops
//! working without a restart) and when a token names a `kid` the cache does not hold, at most
//! once a minute (so forged `kid`s cannot make the server hammer the identity provider). An
//! endpoint that is down, or answers with something that is not a key set, leaves the cached
//! keys in place.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet, PublicKeyUse};

/// Least time between two fetches caused by unknown `kid`s.
pub const UNKNOWN_KID_REFETCH_EVERY: Duration = Duration::from_secs(60);

/// Longest a fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// The cached keys of one JWKS URL, by `kid`.
pub struct RemoteKeys {
    url: String,
    client: reqwest::Client,
    keys: RwLock<Arc<HashMap<String, DecodingKey>>>,
    /// When an unknown `kid` last caused a fetch; held while that fetch runs, so concurrent
    /// requests with unknown `kid`s wait for one fetch instead of each making one.
    last_unknown_kid_fetch: tokio::sync::Mutex<Option<Instant>>,
}

impl std::fmt::Debug for RemoteKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteKeys")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Why a fetch gave no keys (never the document's content).
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("the JWKS endpoint could not be reached or answered with an error: {0}")]
    Unreachable(String),
    #[error("the JWKS endpoint did not answer with a key set: {0}")]
    NotAKeySet(String),
}

impl RemoteKeys {
    /// Fetches the keys once; an endpoint that is down, or a set without an RS256 signing key,
    /// is a start-up error naming the variable.
    pub async fn fetch_at_start(url: &str) -> anyhow::Result<Arc<RemoteKeys>> {
        // reqwest is built without a default TLS provider: use ring, as the database driver does.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .build()
            .map_err(|e| anyhow::anyhow!("configuration: CRS_JWT_JWKS_URL: {e}"))?;
        let remote = RemoteKeys {
            url: url.to_owned(),
            client,
            keys: RwLock::new(Arc::default()),
            last_unknown_kid_fetch: tokio::sync::Mutex::new(None),
        };
        let keys = remote
            .fetch()
            .await
            .map_err(|e| anyhow::anyhow!("configuration: CRS_JWT_JWKS_URL: {e}"))?;
        remote.replace(keys);
        Ok(Arc::new(remote))
    }

    async fn fetch(&self) -> Result<HashMap<String, DecodingKey>, FetchError> {
        let response = self
            .client
            .get(&self.url)
            .header("accept", "application/json")
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| FetchError::Unreachable(e.without_url().to_string()))?;
        let set: JwkSet = response
            .json()
            .await
            .map_err(|e| FetchError::NotAKeySet(e.without_url().to_string()))?;
        let keys = signing_keys(&set).map_err(|e| FetchError::NotAKeySet(e.to_string()))?;
        if keys.is_empty() {
            return Err(FetchError::NotAKeySet(
                "no RSA signing key with a kid".into(),
            ));
        }
        Ok(keys)
    }

    fn replace(&self, keys: HashMap<String, DecodingKey>) {
        let keys = Arc::new(keys);
        match self.keys.write() {
            Ok(mut current) => *current = keys,
            Err(poisoned) => *poisoned.into_inner() = keys,
        }
    }

    /// The cached key with this `kid`.
    pub fn key(&self, kid: &str) -> Option<DecodingKey> {
        let keys = match self.keys.read() {
            Ok(keys) => keys.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        keys.get(kid).cloned()
    }

    /// Fetches the keys again, keeping the cached ones when that fails.
    pub async fn refresh(&self) {
        match self.fetch().await {
            Ok(keys) => {
                let count = keys.len();
                self.replace(keys);
                tracing::debug!(keys = count, "signing keys fetched from the JWKS URL");
            }
            Err(error) => {
                tracing::warn!(error = %error, "fetching the signing keys failed; the cached keys stay in use");
            }
        }
    }

    /// A token named `kid`, which the cache does not hold: fetch again, unless an unknown `kid`
    /// already caused a fetch within the last minute.
    pub async fn refresh_for_unknown(&self, kid: &str) {
        let mut last = self.last_unknown_kid_fetch.lock().await;
        if self.key(kid).is_some() {
            // Fetched by a request that waited before this one.
            return;
        }
        if last.is_some_and(|at| at.elapsed() < UNKNOWN_KID_REFETCH_EVERY) {
            return;
        }
        *last = Some(Instant::now());
        self.refresh().await;
    }

    /// Fetches the keys every `every`, for the life of the task.
    pub fn spawn_refresh(self: &Arc<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        let remote = Arc::clone(self);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                remote.refresh().await;
            }
        })
    }
}

/// The RSA signing keys of a JWKS document that have a `kid`, by `kid` (a key that cannot be
/// read is skipped with a warning).
pub fn signing_keys(set: &JwkSet) -> anyhow::Result<HashMap<String, DecodingKey>> {
    let mut keys = HashMap::new();
    for jwk in &set.keys {
        let signing = jwk
            .common
            .public_key_use
            .as_ref()
            .is_none_or(|u| *u == PublicKeyUse::Signature);
        let rsa = matches!(jwk.algorithm, AlgorithmParameters::RSA(_));
        if let (true, true, Some(kid)) = (signing, rsa, jwk.common.key_id.clone()) {
            // One broken key does not take the others with it.
            match DecodingKey::from_jwk(jwk) {
                Ok(key) => {
                    keys.insert(kid, key);
                }
                Err(error) => {
                    tracing::warn!(%kid, error = %error, "a JWKS key that cannot be used is skipped");
                }
            }
        }
    }
    Ok(keys)
}
