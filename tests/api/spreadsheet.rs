//! The report downloads opened in LibreOffice Calc (headless `soffice --convert-to`), as a
//! commissioner would open them, not only read back with a CSV parser.
//!
//! The import is told only the field separator (`CSV:44`), as the Text Import dialog is; the
//! character set is left to LibreOffice, which reads the byte-order mark and decodes UTF-8.
//! (`--convert-to` given no import options at all falls back to Windows-1252 by design, BOM or
//! not, which no person opening the file gets.)

use std::path::Path;
use std::process::Command;

use crate::support::{Options, TestApp};

/// Imports `csv` into Calc and writes it back as CSV with every text cell quoted, so numbers
/// and text can be told apart; returns the lines.
fn through_calc(csv: &Path, out: &Path) -> Vec<String> {
    // Comma, double quote, UTF-8, …, quote every text cell.
    calc(
        csv,
        out,
        "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,true",
    );
    let name = csv.file_name().expect("file name");
    let text = std::fs::read_to_string(out.join(name)).expect("converted file");
    text.lines().map(str::to_owned).collect()
}

/// Imports `csv` into Calc as a person would (only the separator given) and writes it to `out`
/// in the format `convert_to`.
fn calc(csv: &Path, out: &Path, convert_to: &str) {
    let profile = out.join("profile");
    let output = Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args([
            "--headless",
            "--infilter=CSV:44",
            "--convert-to",
            convert_to,
            "--outdir",
        ])
        .arg(out)
        .arg(csv)
        .output()
        .expect("soffice runs (apt-get install -y libreoffice-calc-nogui)");
    assert!(
        output.status.success(),
        "soffice failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn cells(line: &str) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line.as_bytes());
    reader
        .records()
        .next()
        .expect("a record")
        .expect("csv")
        .iter()
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn libreoffice_opens_the_outcome_report_with_pcc_area_in_a1_and_numbers_as_numbers() {
    let app = TestApp::spawn_with(
        Options {
            full_demo: true,
            ..Options::default()
        }
        .with("CRS_DEMO_REFERRALS", "1500"),
    )
    .await;
    let claims = crs_api::demo::demo_users()
        .into_iter()
        .find(|u| u.claims.sub == "demo-commissioner")
        .expect("demo commissioner")
        .claims;
    let token = app.token(&claims);
    let response = app
        .client
        .get(format!(
            "{}/reports/outcomes.csv?groupBy=PCC_AREA,SERVICE_CATEGORY&regionCodes=G",
            app.address
        ))
        .bearer_auth(&token)
        .send()
        .await
        .expect("download");
    assert_eq!(response.status(), 200);
    let disposition = response
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let name = disposition
        .split("filename=\"")
        .nth(1)
        .and_then(|rest| rest.strip_suffix('"'))
        .expect("a file name")
        .to_owned();
    assert!(
        name.starts_with("outcomes-20") && name.ends_with(".csv"),
        "{name}"
    );
    let bytes = response.bytes().await.expect("body");
    assert!(
        bytes.starts_with("\u{feff}".as_bytes()),
        "the byte-order mark is kept"
    );

    let directory = tempfile::tempdir().expect("temporary directory");
    let file = directory.path().join(&name);
    std::fs::write(&file, &bytes).expect("saved");
    let out = directory.path().join("calc");
    let lines = through_calc(&file, &out);

    let header = cells(&lines[0]);
    assert_eq!(header[0], "PCC area", "A1 as Calc reads it: {:?}", lines[0]);
    assert!(lines[0].starts_with("\"PCC area\",\"PCC area code\",\"Service category\""));
    let sent = header
        .iter()
        .position(|h| h == "Referrals sent")
        .expect("column");
    // The first data line: the area's name and a readable category code as text, the count as
    // a number (Calc writes numbers unquoted, text quoted).
    let first = &lines[1];
    let row = cells(first);
    assert!(
        uuid::Uuid::try_parse(&row[3]).is_err()
            && row[3]
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
        "a readable category code, not an id: {}",
        row[3]
    );
    let raw_cells: Vec<&str> = first.split(',').collect();
    let count = row[sent].clone();
    assert!(
        count.parse::<u64>().is_ok() || count == "[c]",
        "{count} in {first}"
    );
    let numbers = lines[1..]
        .iter()
        .filter(|line| {
            let row = cells(line);
            row.get(sent).is_some_and(|c| c.parse::<u64>().is_ok())
        })
        .count();
    assert!(numbers > 5, "figures, not all withheld: {lines:?}");
    assert!(
        raw_cells.iter().any(|c| c.parse::<u64>().is_ok()),
        "numbers are numbers in Calc: {first}"
    );
    // The note rows survive the import.
    let last = cells(lines.last().expect("lines"));
    assert_eq!(last[0], "Note");
    assert!(last[1].contains("withheld"), "{last:?}");
    let filters = cells(&lines[lines.len() - 2]);
    assert_eq!(filters[0], "Filters");
    assert!(filters[1].starts_with("regionCodes=G"), "{filters:?}");

    // What a person sees: the sheet Calc made, printed and rendered as a picture.
    let shots = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "spreadsheet-{}",
        if crate::support::on_postgres() {
            "postgres"
        } else {
            "sqlite"
        }
    ));
    std::fs::create_dir_all(&shots).expect("screenshot directory");
    let picture = sheet_picture(&file, &out, &shots);
    eprintln!("screenshot: {}", picture.display());
}

/// The first page of the sheet as Calc prints it, as a PNG in `shots`.
fn sheet_picture(csv: &Path, out: &Path, shots: &Path) -> std::path::PathBuf {
    calc(csv, out, "pdf");
    let pdf = out.join(csv.with_extension("pdf").file_name().expect("name"));
    let picture = shots.join("outcomes-in-calc");
    let rendered = Command::new("pdftoppm")
        .args(["-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile"])
        .arg(&pdf)
        .arg(&picture)
        .output()
        .expect("pdftoppm runs (apt-get install -y poppler-utils)");
    assert!(rendered.status.success(), "{rendered:?}");
    let picture = picture.with_extension("png");
    let bytes = std::fs::read(&picture).expect("the picture");
    assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 5_000);
    picture
}
