//! What a report download says about itself, for the people who open it in a spreadsheet: the
//! filters it was made with and how small counts are withheld (trailing `Filters` and `Note`
//! rows, as wide as the header so imports keep one table), and readable category codes.

use chrono::{DateTime, Utc};

use crate::domain::outcome_report::ReportFilter;

/// The filters of an outcome report, named as the download's parameters.
pub fn outcome_filters(filter: &ReportFilter) -> String {
    let lists = [
        ("regionCodes", &filter.region_codes),
        ("pccAreaCodes", &filter.pcc_area_codes),
        (
            "probationDeliveryUnitCodes",
            &filter.probation_delivery_unit_codes,
        ),
        ("providerCodes", &filter.provider_codes),
        ("contractReferences", &filter.contract_references),
        ("contractTypeCodes", &filter.contract_type_codes),
        ("complexity", &filter.complexity),
    ];
    let mut parts: Vec<String> = lists
        .into_iter()
        .filter_map(|(name, values)| values.as_ref().map(|v| format!("{name}={}", v.join(","))))
        .collect();
    if let Some(ids) = &filter.service_category_ids {
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        parts.push(format!("serviceCategoryIds={}", ids.join(",")));
    }
    parts.extend(filter.sent_from.map(|d| format!("sentFrom={d}")));
    parts.extend(filter.sent_to.map(|d| format!("sentTo={d}")));
    described(parts)
}

/// The filters of a download with only a sending window.
pub fn sent_filters(from: Option<chrono::NaiveDate>, to: Option<chrono::NaiveDate>) -> String {
    described(
        from.map(|d| format!("sentFrom={d}"))
            .into_iter()
            .chain(to.map(|d| format!("sentTo={d}")))
            .collect(),
    )
}

fn described(parts: Vec<String>) -> String {
    if parts.is_empty() {
        "none: every referral your token may see".to_owned()
    } else {
        format!("{} (and only what your token may see)", parts.join("; "))
    }
}

/// The two trailing rows, each `width` cells wide.
pub fn trailing_rows(filters: String, note: String, width: usize) -> [Vec<String>; 2] {
    let row = |title: &str, text: String| {
        let mut row = vec![title.to_owned(), text];
        row.resize(width.max(2), String::new());
        row
    };
    [row("Filters", filters), row("Note", note)]
}

/// When and how a file was made.
pub fn made_at(now: DateTime<Utc>) -> String {
    format!("made {} UTC", now.format("%Y-%m-%d %H:%M"))
}

/// A readable code for a catalogue name: lower-case words joined by `-`
/// ("Dependency and Recovery (London)" → `dependency-and-recovery-london`).
pub fn readable_code(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_ascii_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_lower_case_words() {
        assert_eq!(
            readable_code("Dependency and Recovery (London)"),
            "dependency-and-recovery-london"
        );
        assert_eq!(
            readable_code("Finance, Benefit & Debt"),
            "finance-benefit-debt"
        );
    }

    #[test]
    fn filters_are_named_as_the_parameters() {
        let filter = ReportFilter {
            region_codes: Some(vec!["J".into(), "G".into()]),
            sent_from: chrono::NaiveDate::from_ymd_opt(2025, 1, 1),
            ..Default::default()
        };
        assert_eq!(
            outcome_filters(&filter),
            "regionCodes=J,G; sentFrom=2025-01-01 (and only what your token may see)"
        );
        assert!(outcome_filters(&ReportFilter::default()).starts_with("none"));
    }

    #[test]
    fn trailing_rows_are_as_wide_as_the_header() {
        let [filters, note] = trailing_rows("a".into(), "b".into(), 5);
        assert_eq!(filters, ["Filters", "a", "", "", ""]);
        assert_eq!(note.len(), 5);
    }
}
