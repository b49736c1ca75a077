//! Report downloads, with the same bearer token as `/graphql`:
//! - `GET /reports/outcomes.csv?groupBy=PCC_AREA,SERVICE_CATEGORY&…`: the outcome report, the
//!   filters named as in `OutcomeReportFilter` (lists comma-separated or repeated);
//! - `GET /reports/provider-performance.csv?sentFrom=…&sentTo=…`: a provider user's referrals,
//!   one line each with the reference service's columns, streamed a page at a time.
//!
//! Both are UTF-8 with a byte-order mark, so spreadsheets read the names right, state UTC in
//! their time headers, and end with a `Filters` and a `Note` row (`csv_notes`).

use std::collections::HashMap;

use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::web::{self, Bytes};
use actix_web::{HttpMessage, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::AppState;
use super::caller::{self, refuse};
use super::csv_notes;
use super::request_context::RequestId;
use crate::domain::actor::Caller;
use crate::domain::outcome_report::measures::Measure;
use crate::domain::outcome_report::{Dimension, ReportFilter};
use crate::domain::performance_report::PerformanceLine;
use crate::domain::read_audit::Reader;
use crate::error::field_code as code;
use crate::error::{AppError, FieldError};
use crate::service::outcome_report::{PublishedRow, Report};
use crate::service::performance_report::PerformanceCursor;
use crate::service::{self, Services};

/// How a spreadsheet knows the file is UTF-8.
const BYTE_ORDER_MARK: &str = "\u{feff}";

/// What a withheld count is written as (the ONS convention: confidential).
const WITHHELD: &str = "[c]";

/// The query string as named values; lists may be comma-separated or repeated.
#[derive(Debug, Default)]
pub(super) struct Parameters(HashMap<String, Vec<String>>);

impl Parameters {
    /// The query string's parameters; any not in `allowed` is `BAD_USER_INPUT`.
    pub(super) fn read(req: &HttpRequest, allowed: &[&str]) -> Result<Parameters, AppError> {
        let pairs = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
            .map_err(|_| {
                AppError::bad_input(
                    "the query string could not be read",
                    vec![FieldError::new("query", code::INVALID_FORMAT)],
                )
            })?
            .into_inner();
        let mut values: HashMap<String, Vec<String>> = HashMap::new();
        let mut unknown = Vec::new();
        for (name, value) in pairs {
            if !allowed.contains(&name.as_str()) {
                unknown.push(FieldError::new(name, code::INVALID_VALUE));
                continue;
            }
            values.entry(name).or_default().extend(
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_owned),
            );
        }
        if !unknown.is_empty() {
            return Err(AppError::bad_input("unknown query parameters", unknown));
        }
        Ok(Parameters(values))
    }

    pub(super) fn list(&mut self, name: &str) -> Option<Vec<String>> {
        self.0.remove(name)
    }

    /// A `YYYY-MM-DD` parameter; a malformed or repeated one is added to `errors`.
    pub(super) fn date(
        &mut self,
        name: &'static str,
        errors: &mut Vec<FieldError>,
    ) -> Option<NaiveDate> {
        let values = self.0.remove(name)?;
        match values.as_slice() {
            [one] => NaiveDate::parse_from_str(one, "%Y-%m-%d")
                .map_err(|_| errors.push(FieldError::new(name, code::INVALID_FORMAT)))
                .ok(),
            _ => {
                errors.push(FieldError::new(name, code::INVALID_FORMAT));
                None
            }
        }
    }
}

const OUTCOME_PARAMETERS: [&str; 11] = [
    "groupBy",
    "regionCodes",
    "pccAreaCodes",
    "probationDeliveryUnitCodes",
    "providerCodes",
    "contractReferences",
    "contractTypeCodes",
    "serviceCategoryIds",
    "complexity",
    "sentFrom",
    "sentTo",
];

/// The grouping and filter of an outcome report download.
fn outcome_request(req: &HttpRequest) -> Result<(Vec<Dimension>, ReportFilter), AppError> {
    let mut parameters = Parameters::read(req, &OUTCOME_PARAMETERS)?;
    let mut errors = Vec::new();
    let dimensions: Vec<Dimension> = parameters
        .list("groupBy")
        .unwrap_or_default()
        .iter()
        .filter_map(|name| {
            let found = Dimension::from_code(name);
            if found.is_none() {
                errors.push(FieldError::new("groupBy", code::INVALID_VALUE));
            }
            found
        })
        .collect();
    let service_category_ids = parameters.list("serviceCategoryIds").map(|ids| {
        ids.iter()
            .filter_map(|id| {
                let parsed = Uuid::try_parse(id).ok().filter(|_| id.len() == 36);
                if parsed.is_none() {
                    errors.push(FieldError::new("serviceCategoryIds", code::INVALID_FORMAT));
                }
                parsed
            })
            .collect()
    });
    let complexity = parameters.list("complexity");
    if complexity
        .iter()
        .flatten()
        .any(|c| !["LOW", "MEDIUM", "HIGH"].contains(&c.as_str()))
    {
        errors.push(FieldError::new("complexity", code::INVALID_VALUE));
    }
    let filter = ReportFilter {
        region_codes: parameters.list("regionCodes"),
        pcc_area_codes: parameters.list("pccAreaCodes"),
        probation_delivery_unit_codes: parameters.list("probationDeliveryUnitCodes"),
        provider_codes: parameters.list("providerCodes"),
        contract_references: parameters.list("contractReferences"),
        contract_type_codes: parameters.list("contractTypeCodes"),
        service_category_ids,
        complexity,
        sent_from: parameters.date("sentFrom", &mut errors),
        sent_to: parameters.date("sentTo", &mut errors),
    };
    if !errors.is_empty() {
        return Err(AppError::bad_input("the report request is invalid", errors));
    }
    Ok((dimensions, filter))
}

/// How a refused download is answered.
fn refusal(state: &AppState, error: &AppError) -> HttpResponse {
    let status = caller::status_of(error);
    if status.is_server_error() {
        tracing::error!(error = %error, "report download failed");
    }
    refuse(state, status, error)
}

/// A CSV download named `<report>-<UK date>.csv`, so downloads on different days do not
/// overwrite each other.
fn csv_response(report: &str) -> actix_web::HttpResponseBuilder {
    let day = crate::domain::catalogue::uk_date(Utc::now());
    let mut response = HttpResponse::Ok();
    response
        .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{report}-{day}.csv\""),
        ));
    response
}

/// `GET /reports/outcomes.csv`.
pub async fn outcomes_csv(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let principal = match caller::authenticate(&req, &state).await {
        Ok(principal) => principal,
        Err(refused) => return *refused,
    };
    let scope = match caller::scope(&state, &principal).await {
        Ok(scope) => scope,
        Err(refused) => return *refused,
    };
    if let Err(refused) = super::rate_limit::check_download(&state, &principal.user_id.0) {
        return *refused;
    }
    // The service refuses callers who may never run a report before it reads the parameters.
    let request = outcome_request(&req);
    let filters = request
        .as_ref()
        .map(|(_, filter)| csv_notes::outcome_filters(filter))
        .unwrap_or_default();
    let services = state.services.lag_tolerant(&principal.user_id);
    let report = service::outcome_report::run(&services, &scope, request).await;
    match report.and_then(|report| outcome_csv(&report, filters)) {
        Ok(body) => csv_response("outcomes").body(body),
        Err(error) => refusal(&state, &error),
    }
}

/// A measure as written: withheld counts as `[c]`, absent rates and percentiles empty.
fn measure_cell(row: &PublishedRow, measure: Measure) -> String {
    let optional = |v: Option<String>| v.unwrap_or_default();
    match measure {
        Measure::Count(count) => row
            .count(count)
            .map_or_else(|| WITHHELD.to_owned(), |n| n.to_string()),
        Measure::Rate(rate) => optional(row.rates.get(rate).map(|r| r.to_string())),
        Measure::Median(t) => optional(row.percentiles(t).0.map(|d| d.to_string())),
        Measure::P90(t) => optional(row.percentiles(t).1.map(|d| d.to_string())),
    }
}

fn csv_error(error: impl std::fmt::Display) -> AppError {
    crate::error::internal("writing a CSV file", error)
}

/// A cell as a spreadsheet may safely open it (OWASP CSV injection): text that a spreadsheet
/// would evaluate as a formula, because it starts (after any spaces) with `=`, `+`, `-`, `@`, a
/// tab or a carriage return, is prefixed with `'` so it is shown as text. No number in these
/// files is negative, so no number is changed.
fn spreadsheet_safe(cell: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let first = cell.iter().copied().find(|b| *b != b' ');
    if matches!(first, Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')) {
        let mut safe = Vec::with_capacity(cell.len() + 1);
        safe.push(b'\'');
        safe.extend_from_slice(cell);
        std::borrow::Cow::Owned(safe)
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// Writes one CSV record, every cell made [`spreadsheet_safe`].
fn write_safe<W: std::io::Write, R: AsRef<[u8]>>(
    writer: &mut csv::Writer<W>,
    record: impl IntoIterator<Item = R>,
) -> Result<(), AppError> {
    let cells: Vec<R> = record.into_iter().collect();
    writer
        .write_record(cells.iter().map(|cell| spreadsheet_safe(cell.as_ref())))
        .map_err(csv_error)
}

/// The outcome report as CSV: a header, a line per row, the totals, then the filters and a
/// note on what is withheld.
fn outcome_csv(report: &Report, filters: String) -> Result<Vec<u8>, AppError> {
    let mut writer = csv::Writer::from_writer(BYTE_ORDER_MARK.as_bytes().to_vec());
    let mut header: Vec<String> = Vec::new();
    for dimension in &report.group_by {
        header.push(dimension.title().to_owned());
        header.push(format!("{} code", dimension.title()));
    }
    header.extend(Measure::ALL.iter().map(|m| m.title()));
    header.push("Suppressed".to_owned());
    write_safe(&mut writer, &header)?;
    let mut write = |dimensions: Vec<String>, row: &PublishedRow| {
        let mut line = dimensions;
        line.extend(Measure::ALL.iter().map(|m| measure_cell(row, *m)));
        line.push(if row.suppressed { "yes" } else { "no" }.to_owned());
        write_safe(&mut writer, &line)
    };
    for row in &report.rows {
        let dimensions = row
            .dimensions
            .iter()
            .flat_map(|d| {
                // A category's id means nothing to a reader; its name as a code does.
                let code = if d.dimension == Dimension::ServiceCategory {
                    csv_notes::readable_code(&d.label)
                } else {
                    d.value.clone()
                };
                [d.label.clone(), code]
            })
            .collect();
        write(dimensions, row)?;
    }
    let mut total = vec![String::new(); report.group_by.len() * 2];
    if let Some(first) = total.first_mut() {
        *first = "Total".to_owned();
    }
    write(total, &report.totals)?;
    let note = format!(
        "Counts from 1 to {} are withheld and written {WITHHELD}; a rate or median built on a \
         withheld count is left empty. Months and days are UK time; {}.",
        report.suppression_threshold.saturating_sub(1),
        csv_notes::made_at(Utc::now())
    );
    for row in csv_notes::trailing_rows(filters, note, header.len()) {
        write_safe(&mut writer, &row)?;
    }
    writer.into_inner().map_err(csv_error)
}

/// The columns of the performance report, as the reference service names them.
const PERFORMANCE_COLUMNS: [&str; 26] = [
    "referral_ref",
    "referral_id",
    "contract_ref",
    "organisation_id",
    "caseworker_id",
    "service_user_crn",
    "date_referral_received",
    "date_saa_first_arranged",
    "date_saa_first_scheduled_for",
    "date_saa_first_not_attended",
    "date_saa_first_attended",
    "date_saa_first_completed",
    "saa_attended_on_time",
    "date_first_action_plan_submitted",
    "date_of_first_action_plan_approval",
    "date_of_first_attended_session",
    "outcomes_to_be_achieved_count",
    "outcomes_achieved",
    "count_of_sessions_expected",
    "count_of_sessions_attended",
    "end_requested_by_pp_at",
    "end_requested_by_pp_reason",
    "date_eosr_submitted",
    "concluded_at",
    "referral_end_state",
    "date_intervention_to_be_completed_by",
];

/// The header of the performance report: the reference service's names, times marked UTC.
fn performance_header() -> [String; 26] {
    PERFORMANCE_COLUMNS.map(|name| {
        if PERFORMANCE_TIMES.contains(&name) {
            format!("{name} (UTC)")
        } else {
            name.to_owned()
        }
    })
}

/// The columns written by [`time`].
const PERFORMANCE_TIMES: [&str; 12] = [
    "date_referral_received",
    "date_saa_first_arranged",
    "date_saa_first_scheduled_for",
    "date_saa_first_not_attended",
    "date_saa_first_attended",
    "date_saa_first_completed",
    "date_first_action_plan_submitted",
    "date_of_first_action_plan_approval",
    "date_of_first_attended_session",
    "end_requested_by_pp_at",
    "date_eosr_submitted",
    "concluded_at",
];

/// A time as spreadsheets read it, in UTC.
fn time(at: Option<DateTime<Utc>>) -> String {
    at.map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

fn performance_record(line: &PerformanceLine, reasons: &HashMap<String, String>) -> [String; 26] {
    let text = |v: Option<String>| v.unwrap_or_default();
    [
        text(line.reference.clone()),
        line.referral_id.to_string(),
        line.contract_reference.clone(),
        line.organisation_code.clone(),
        text(line.caseworker_id.clone()),
        line.crn.clone(),
        time(line.received_at),
        time(line.assessment_first_arranged_at),
        time(line.assessment_first_scheduled_for),
        time(line.assessment_first_not_attended),
        time(line.assessment_first_attended),
        time(line.assessment_first_completed),
        text(line.assessment_attended_on_time.map(|b| b.to_string())),
        time(line.first_action_plan_submitted_at),
        time(line.first_action_plan_approved_at),
        time(line.first_attended_session),
        line.outcomes_to_be_achieved.to_string(),
        text(line.outcomes_score.map(|s| s.to_string())),
        text(line.sessions_expected.map(|n| n.to_string())),
        line.sessions_attended.to_string(),
        time(line.end_requested_at),
        text(
            line.end_requested_reason_code
                .as_ref()
                .map(|code| reasons.get(code).cloned().unwrap_or_else(|| code.clone())),
        ),
        time(line.end_of_service_report_submitted_at),
        time(line.concluded_at),
        text(line.end_state.map(str::to_owned)),
        text(line.completion_deadline.map(|d| d.to_string())),
    ]
}

/// CSV text of some records.
fn csv_text<R: AsRef<[u8]>>(
    records: impl IntoIterator<Item = impl IntoIterator<Item = R>>,
    prefix: &str,
) -> Result<Bytes, AppError> {
    let mut writer = csv::Writer::from_writer(prefix.as_bytes().to_vec());
    for record in records {
        write_safe(&mut writer, record)?;
    }
    Ok(Bytes::from(writer.into_inner().map_err(csv_error)?))
}

/// The performance download as the read audit names it.
const PERFORMANCE_OPERATION: &str = "provider-performance.csv";

/// Pages of the performance download read at once: while one page's records are read and
/// written out, the next page's are read (the server and the database each keep a core busy).
/// A download so holds up to three pooled connections at a time (two pages and the next page's
/// ids), each for a page's reads only.
const PAGES_IN_FLIGHT: usize = 2;

/// `GET /reports/provider-performance.csv`.
pub async fn provider_performance_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> HttpResponse {
    let principal = match caller::authenticate(&req, &state).await {
        Ok(principal) => principal,
        Err(refused) => return *refused,
    };
    let scope = match caller::scope(&state, &principal).await {
        Ok(scope) => scope,
        Err(refused) => return *refused,
    };
    if let Err(refused) = super::rate_limit::check_download(&state, &principal.user_id.0) {
        return *refused;
    }
    let query = service::performance_report::query(&scope, None, None).and_then(|_| {
        let mut parameters = Parameters::read(&req, &["sentFrom", "sentTo"])?;
        let mut errors = Vec::new();
        let from = parameters.date("sentFrom", &mut errors);
        let to = parameters.date("sentTo", &mut errors);
        if !errors.is_empty() {
            return Err(AppError::bad_input("the report request is invalid", errors));
        }
        service::performance_report::query(&scope, from, to).map(|query| (query, from, to))
    });
    let (query, sent_from, sent_to) = match query {
        Ok((query, from, to)) => (
            query.paged(state.services.reports.download_page_size),
            from,
            to,
        ),
        Err(error) => return refusal(&state, &error),
    };
    let reasons = match service::performance_report::reason_descriptions(&state.services).await {
        Ok(reasons) => reasons,
        Err(error) => return refusal(&state, &error),
    };
    let services: Services = state.services.lag_tolerant(&principal.user_id).into_owned();
    let user_id = principal.user_id.clone();
    let reader = Reader::of(&Caller {
        principal,
        scope: scope.clone(),
    });
    let request_id = req.extensions().get::<RequestId>().map(|id| id.0);
    // The pages' referrals, one after another (each starts where the last ended)…
    let pages = futures_util::stream::unfold(Some(None), {
        let (services, query) = (services.clone(), query.clone());
        move |after: Option<Option<PerformanceCursor>>| {
            let (services, query) = (services.clone(), query.clone());
            async move {
                let after = after?;
                match service::performance_report::next_page(&services, &query, after).await {
                    Ok(Some((ids, next))) => Some((Ok(ids), Some(Some(next)))),
                    Ok(None) => None,
                    Err(error) => Some((Err(error), None)),
                }
            }
        }
    });
    // …then their lines, a few pages at once, written out in order.
    let chunks = futures_util::StreamExt::buffered(
        futures_util::StreamExt::map(pages, move |ids| {
            let (services, reasons) = (services.clone(), reasons.clone());
            let (user_id, reader) = (user_id.clone(), reader.clone());
            async move {
                let lines = match ids {
                    // A task of its own: the page's reads (one transaction) run to the end
                    // however slowly the client takes the download, so no pooled connection is
                    // left waiting inside a transaction.
                    Ok(ids) => tokio::spawn({
                        let services = services.clone();
                        async move { service::performance_report::lines(&services, &ids).await }
                    })
                    .await
                    .unwrap_or_else(|e| Err(AppError::Internal(e.into()))),
                    Err(error) => Err(error),
                };
                if let (Ok(lines), Some(reader)) = (&lines, &reader) {
                    let ids = lines.iter().map(|line| line.referral_id);
                    let records =
                        reader.records(ids, PERFORMANCE_OPERATION, request_id, Utc::now());
                    services.read_audit.record(records).await;
                }
                lines
                    .and_then(|lines| {
                        csv_text(lines.iter().map(|l| performance_record(l, &reasons)), "")
                    })
                    .inspect_err(|error| {
                        // The download stops short; the log says why (ids only).
                        tracing::error!(error = %error, user_id = %user_id, "performance report failed part way");
                    })
            }
        }),
        PAGES_IN_FLIGHT,
    );
    let header = csv_text([performance_header()], BYTE_ORDER_MARK);
    let note = format!(
        "Times are UTC (year-month-day hours:minutes:seconds); days are UK days; {}.",
        csv_notes::made_at(Utc::now())
    );
    let trailer = csv_text(
        csv_notes::trailing_rows(
            csv_notes::sent_filters(sent_from, sent_to),
            note,
            PERFORMANCE_COLUMNS.len(),
        ),
        "",
    );
    let body = futures_util::StreamExt::chain(
        futures_util::StreamExt::chain(futures_util::stream::once(async { header }), chunks),
        futures_util::stream::once(async { trailer }),
    );
    // Nothing is sent after a failed page.
    let body = futures_util::StreamExt::scan(body, false, |failed, chunk| {
        let item = if *failed {
            None
        } else {
            *failed = chunk.is_err();
            Some(chunk)
        };
        async move { item }
    });
    csv_response("provider-performance").streaming(futures_util::StreamExt::map(body, |chunk| {
        chunk.map_err(|e| actix_web::error::ErrorInternalServerError(e.code()))
    }))
}

#[cfg(test)]
mod tests {
    use super::{PERFORMANCE_COLUMNS, PERFORMANCE_TIMES, performance_header, spreadsheet_safe};

    #[test]
    fn every_time_column_of_the_performance_report_says_utc() {
        for name in PERFORMANCE_TIMES {
            assert!(
                PERFORMANCE_COLUMNS.contains(&name),
                "{name} is not a column"
            );
        }
        let marked = performance_header()
            .iter()
            .filter(|h| h.ends_with(" (UTC)"))
            .count();
        assert_eq!(marked, PERFORMANCE_TIMES.len());
    }

    #[test]
    fn cells_a_spreadsheet_would_evaluate_are_written_as_text() {
        for cell in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "  =cmd"] {
            let safe = spreadsheet_safe(cell.as_bytes());
            assert_eq!(safe.as_ref(), format!("'{cell}").as_bytes(), "{cell}");
        }
        for cell in ["", "12", "0.75", "HD2123AC", "Harbour Light Trust", "x=1"] {
            assert_eq!(spreadsheet_safe(cell.as_bytes()).as_ref(), cell.as_bytes());
        }
    }
}
