//! `GET /sent-referral/{id}`: what an event's `detailUrl` names. The referral as the caller may
//! see it (the same token and scope as the API; a draft, an unknown id and one out of scope are
//! all 404), in the reference service's shape: ids, codes, times and the person's CRN.

use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use chrono::{SecondsFormat, Utc};
use serde_json::json;
use uuid::Uuid;

use super::AppState;
use super::caller::{self, refuse, status_of};
use super::request_context::RequestId;
use crate::domain::actor::Caller;
use crate::domain::ids::ReferralId;
use crate::domain::read_audit::Reader;
use crate::error::AppError;
use crate::service;

/// The endpoint as the read audit names it.
const SENT_REFERRAL_OPERATION: &str = "sent-referral";

/// The sent referral `id`.
pub async fn sent_referral(
    req: HttpRequest,
    id: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let principal = match caller::authenticate(&req, &state).await {
        Ok(principal) => principal,
        Err(refusal) => return *refusal,
    };
    let scope = match caller::scope(&state, &principal).await {
        Ok(scope) => scope,
        Err(refusal) => return *refusal,
    };
    let caller = Caller { principal, scope };
    // A malformed id behaves exactly like an unknown one.
    let id = ReferralId(Uuid::parse_str(&id).unwrap_or(Uuid::nil()));
    let found = match service::referrals::get(&state.services, &caller, id).await {
        Ok(found) => found.filter(|r| r.sent_at.is_some()),
        Err(error) => return refuse(&state, status_of(&error), &error),
    };
    let Some(referral) = found else {
        return refuse(&state, StatusCode::NOT_FOUND, &AppError::NotFound);
    };
    // The CRN is person-level data: a provider's or read-all client's read is recorded.
    if let Some(reader) = Reader::of(&caller) {
        let request_id = req.extensions().get::<RequestId>().map(|id| id.0);
        let records = reader.records(
            [referral.id],
            SENT_REFERRAL_OPERATION,
            request_id,
            Utc::now(),
        );
        state.services.read_audit.record(records).await;
    }
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.to_rfc3339_opts(SecondsFormat::Micros, true))
    };
    caller::respond(StatusCode::OK).json(json!({
        "id": referral.id,
        "referenceNumber": referral.reference,
        "status": referral.status.code(),
        "version": referral.version,
        "sentAt": time(referral.sent_at),
        "sentBy": referral.sent_by.as_ref().map(|u| &u.0),
        "assignedTo": referral.assigned_to_id.as_ref().map(|u| &u.0),
        "concludedAt": time(referral.concluded_at),
        "interventionId": referral.intervention.id,
        "contractReference": referral.intervention.contract.reference,
        "serviceProviderCode": referral.intervention.contract.prime_provider_code,
        "personReference": { "identifiers": [{ "type": "CRN", "value": referral.crn }] },
    }))
}
