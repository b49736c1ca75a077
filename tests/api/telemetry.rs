//! OpenTelemetry export, against the real binary and a stub OTLP/HTTP collector on loopback: a
//! request carrying a W3C `traceparent` becomes a span of the caller's trace, sent as protobuf
//! to `<endpoint>/v1/traces`, and spans still batched are sent when the server stops.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::support::{TEST_SECRET, fresh_database};

/// One request the collector received: path, content type, body.
struct Received {
    path: String,
    content_type: String,
    body: Vec<u8>,
}

/// Reads one HTTP/1.1 request with a `Content-Length` body and answers 200.
async fn serve_one(stream: &mut tokio::net::TcpStream) -> Option<Received> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).to_string();
    let header = |name: &str| {
        head.lines()
            .find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.eq_ignore_ascii_case(name)
                    .then(|| value.trim().to_owned())
            })
            .unwrap_or_default()
    };
    let length: usize = header("content-length").parse().unwrap_or(0);
    while buffer.len() < header_end + length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let path = head
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    stream
        .write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n",
        )
        .await
        .ok()?;
    Some(Received {
        path,
        content_type: header("content-type"),
        body: buffer[header_end..].to_vec(),
    })
}

fn hex_bytes(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_exported_as_spans_of_the_callers_trace() {
    let collector = TcpListener::bind("127.0.0.1:0").await.expect("collector");
    let endpoint = format!("http://{}", collector.local_addr().expect("address"));
    let (sender, mut received) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = collector.accept().await {
            let sender = sender.clone();
            tokio::spawn(async move {
                while let Some(request) = serve_one(&mut stream).await {
                    let _ = sender.send(request);
                }
            });
        }
    });

    let (vars, _database) = fresh_database().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let address = format!("http://127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_crs-api"))
        .arg("serve")
        .env("CRS_BIND", format!("127.0.0.1:{port}"))
        .env("CRS_JWT_SECRET", TEST_SECRET)
        .env("CRS_DEMO_DATA", "false")
        .env("CRS_SHUTDOWN_DRAIN_SECONDS", "0")
        .env("CRS_LOG", "info")
        .env("CRS_OTLP_ENDPOINT", &endpoint)
        .envs(vars.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts");
    let client = crate::support::http_client();
    let started = Instant::now();
    while !client
        .get(format!("{address}/health/live"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(started.elapsed() < Duration::from_secs(60), "never started");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let parent_id = "00f067aa0ba902b7";
    let answer = client
        .get(format!("{address}/health/ready"))
        .header("traceparent", format!("00-{trace_id}-{parent_id}-01"))
        .send()
        .await
        .expect("request");
    assert_eq!(answer.status(), 200);
    // Stopping flushes the batch.
    let stopped = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(stopped.success());

    let (trace, parent) = (hex_bytes(trace_id), hex_bytes(parent_id));
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    let found = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, received.recv()).await {
            Ok(Some(request)) => {
                let has = |needle: &[u8]| request.body.windows(needle.len()).any(|w| w == needle);
                if has(&trace) && has(&parent) {
                    break Some(request);
                }
                seen.push(request.path);
            }
            _ => break None,
        }
    };
    let _ = child.wait();
    let request = found.unwrap_or_else(|| panic!("no span of the trace arrived (saw {seen:?})"));
    assert_eq!(request.path, "/v1/traces");
    assert_eq!(request.content_type, "application/x-protobuf");
    // The route is named in the span; no query string or body is.
    assert!(request.body.windows(13).any(|w| w == b"/health/ready"));
}
