//! What every resolver may read: the caller and the request's loaders.

use async_graphql::dataloader::{DataLoader, HashMapCache};
use async_graphql::{Context, Result};

use super::loaders::RequestLoader;
use crate::domain::actor::Caller;
use crate::error::internal;
use crate::service::Services;

/// The referrals whose person-level fields this request resolved, for the read audit. Only
/// attached to requests of audited readers (provider users, read-all clients).
#[derive(Debug, Default)]
pub struct PersonReads(std::sync::Mutex<std::collections::BTreeSet<uuid::Uuid>>);

impl PersonReads {
    /// The referrals read, each once.
    pub fn take(&self) -> Vec<uuid::Uuid> {
        match self.0.lock() {
            Ok(mut ids) => std::mem::take(&mut *ids).into_iter().collect(),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner())
                .into_iter()
                .collect(),
        }
    }
}

/// Notes that this request read the person-level fields of `referral_id`.
pub fn note_person_read(ctx: &Context<'_>, referral_id: uuid::Uuid) {
    if let Ok(reads) = ctx.data::<std::sync::Arc<PersonReads>>() {
        match reads.0.lock() {
            Ok(mut ids) => ids.insert(referral_id),
            Err(poisoned) => poisoned.into_inner().insert(referral_id),
        };
    }
}

/// The caller attached to this request.
pub fn caller<'a>(ctx: &Context<'a>) -> Result<&'a Caller> {
    ctx.data::<Caller>()
        .map_err(|_| internal("request context", "no caller attached").into())
}

/// The services (database) of the schema.
pub fn services<'a>(ctx: &Context<'a>) -> Result<&'a Services> {
    ctx.data::<Services>()
        .map_err(|_| internal("request context", "no services attached").into())
}

/// The catalogue loader of this request.
pub fn loader<'a>(ctx: &Context<'a>) -> Result<&'a DataLoader<RequestLoader, HashMapCache>> {
    ctx.data::<DataLoader<RequestLoader, HashMapCache>>()
        .map_err(|_| internal("request context", "no loader attached").into())
}

/// Fetches the values of `keys` at once, without the loader's gathering wait, and keeps them in
/// the request's cache, so the field resolvers that ask for them next find them there. For
/// callers that already hold every key of a batch (a page's assignees, a history's actors).
pub async fn prime<K>(ctx: &Context<'_>, keys: impl IntoIterator<Item = K>) -> Result<()>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    RequestLoader:
        async_graphql::dataloader::Loader<K, Error = std::sync::Arc<crate::error::AppError>>,
{
    use async_graphql::dataloader::Loader;
    let keys: Vec<K> = keys
        .into_iter()
        .collect::<std::collections::HashSet<K>>()
        .into_iter()
        .collect();
    if keys.is_empty() {
        return Ok(());
    }
    let loader = loader(ctx)?;
    let values = loader
        .loader()
        .load(&keys)
        .await
        .map_err(super::error::from_loader)?;
    loader.feed_many(values).await;
    Ok(())
}

/// Forgets the cached children of referrals (history, selections, case notes, delivery), so fields read
/// after a mutation in the same request see its effect.
pub fn forget_referral_children(ctx: &Context<'_>) -> Result<()> {
    use super::loaders::{
        AppointmentsOfReferral, CaseNotesOfReferral, ChangeLogOfReferral, EventsOfReferral,
        PlansOfReferral, ReportOfReferral, SelectionsOfReferral, SessionsOfReferral,
    };
    let loader = loader(ctx)?;
    loader.clear::<EventsOfReferral>();
    loader.clear::<SelectionsOfReferral>();
    loader.clear::<CaseNotesOfReferral>();
    loader.clear::<AppointmentsOfReferral>();
    loader.clear::<PlansOfReferral>();
    loader.clear::<SessionsOfReferral>();
    loader.clear::<ReportOfReferral>();
    loader.clear::<ChangeLogOfReferral>();
    Ok(())
}

/// A fresh loader for one request. A batch waits the loader's default 1 ms for the keys of
/// sibling fields: its fetch runs as a task of its own, which on the server's multi-threaded
/// runtime may start on another thread before every sibling has asked.
pub fn new_loader(services: &Services) -> DataLoader<RequestLoader, HashMapCache> {
    DataLoader::with_cache(
        RequestLoader::new(services.clone()),
        tokio::spawn,
        HashMapCache::default(),
    )
}
