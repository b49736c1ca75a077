//! `GET /subject-access-request?crn=&prn=&fromDate=&toDate=`: the HMPPS subject access request
//! contract. Open to tokens with `ROLE_SAR_DATA_ACCESS` only. 200 `{ "content": … }` with
//! everything held about the person; 204 when nothing is held; 209 when only a `prn` (a prison
//! number, which this service does not hold) is given; 400 for bad parameters; 401 and 403 as
//! elsewhere. Every request is logged (requester, referral count, size: never the CRN) and each
//! referral exported is recorded in the read audit.

use actix_web::http::StatusCode;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use chrono::Utc;

use super::AppState;
use super::caller::{self, refuse};
use super::reports::Parameters;
use super::request_context::RequestId;
use crate::domain::draft::parse_crn;
use crate::domain::read_audit::{Reader, SUBJECT_ACCESS_OPERATION};
use crate::error::field_code as code;
use crate::error::{AppError, FieldError};
use crate::service::subject_access::{self, SubjectAccessQuery};

/// 209: the subject identifier given is not one this service holds.
const IDENTIFIER_NOT_HELD: u16 = 209;

/// What the request asks for: a CRN query, or only a prison number.
enum Asked {
    Person(SubjectAccessQuery),
    PrisonNumberOnly,
}

fn asked(req: &HttpRequest) -> Result<Asked, AppError> {
    let mut parameters = Parameters::read(req, &["crn", "prn", "fromDate", "toDate"])?;
    let mut errors = Vec::new();
    let from = parameters.date("fromDate", &mut errors);
    let to = parameters.date("toDate", &mut errors);
    let crn = parameters.list("crn").unwrap_or_default();
    let prn = parameters.list("prn").unwrap_or_default();
    let crn = match crn.as_slice() {
        [] => None,
        [one] => {
            let parsed = parse_crn(one);
            if parsed.is_none() {
                errors.push(FieldError::new("crn", code::INVALID_FORMAT));
            }
            parsed
        }
        _ => {
            errors.push(FieldError::new("crn", code::INVALID_FORMAT));
            None
        }
    };
    if let (Some(from), Some(to)) = (from, to)
        && from > to
    {
        errors.push(FieldError::new("toDate", code::INVALID_VALUE));
    }
    if crn.is_none() && prn.is_empty() && errors.is_empty() {
        errors.push(FieldError::new("crn", code::CANNOT_BE_EMPTY));
    }
    if !errors.is_empty() {
        return Err(AppError::bad_input(
            "the subject access request is invalid",
            errors,
        ));
    }
    Ok(match crn {
        Some(crn) => Asked::Person(SubjectAccessQuery { crn, from, to }),
        None => Asked::PrisonNumberOnly,
    })
}

/// `GET /subject-access-request`.
pub async fn subject_access_request(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let principal = match caller::authenticate(&req, &state).await {
        Ok(principal) => principal,
        Err(refused) => return *refused,
    };
    let requester = principal.user_id.clone();
    if !principal.subject_access {
        tracing::warn!(user_id = %requester, "subject access request refused: no ROLE_SAR_DATA_ACCESS");
        let error = AppError::Forbidden("subject access requests need ROLE_SAR_DATA_ACCESS".into());
        return refuse(&state, StatusCode::FORBIDDEN, &error);
    }
    if let Err(refused) = super::rate_limit::check_subject_access(&state, &requester.0) {
        return *refused;
    }
    let query = match asked(&req) {
        Ok(Asked::Person(query)) => query,
        Ok(Asked::PrisonNumberOnly) => {
            tracing::info!(user_id = %requester, outcome = "prn only", "subject access request");
            let status =
                StatusCode::from_u16(IDENTIFIER_NOT_HELD).unwrap_or(StatusCode::NO_CONTENT);
            return HttpResponse::build(status).finish();
        }
        Err(error) => {
            tracing::info!(user_id = %requester, outcome = "bad parameters", "subject access request");
            return refuse(&state, StatusCode::BAD_REQUEST, &error);
        }
    };
    let export = match subject_access::export(&state.services, &query).await {
        Ok(export) => export,
        Err(error) => {
            let status = caller::status_of(&error);
            tracing::error!(error = %error, user_id = %requester, "subject access request failed");
            return refuse(&state, status, &error);
        }
    };
    let Some(export) = export else {
        tracing::info!(user_id = %requester, referrals = 0, "subject access request: nothing held");
        return HttpResponse::NoContent().finish();
    };
    let body = match serde_json::to_vec(&serde_json::json!({ "content": export.content })) {
        Ok(body) => body,
        Err(error) => {
            let error = crate::error::internal("writing the subject access export", error);
            tracing::error!(error = %error, "subject access request failed");
            return refuse(&state, StatusCode::INTERNAL_SERVER_ERROR, &error);
        }
    };
    let request_id = req.extensions().get::<RequestId>().map(|id| id.0);
    let records = Reader::subject_access(&requester.0).records(
        export.referral_ids.iter().copied(),
        SUBJECT_ACCESS_OPERATION,
        request_id,
        Utc::now(),
    );
    state.services.read_audit.record(records).await;
    tracing::info!(
        user_id = %requester,
        referrals = export.referral_ids.len(),
        bytes = body.len(),
        "subject access request answered"
    );
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body)
}
