//! SIGTERM under load, against the real binary: readiness fails at once (503, not a refused
//! connection), the server goes on serving through the drain period, and no request sent to it
//! fails; then it exits by itself.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::personas::practitioner;
use crate::support::{TEST_SECRET, fresh_database, settings_from};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

#[derive(Default)]
struct Tally {
    served: AtomicUsize,
    served_while_draining: AtomicUsize,
    failed: AtomicUsize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_fails_readiness_at_once_and_drains_without_failing_a_request() {
    let (vars, _database) = fresh_database().await;
    let port = free_port();
    let address = format!("http://127.0.0.1:{port}");
    let mut command = Command::new(env!("CARGO_BIN_EXE_crs-api"));
    command
        .arg("serve")
        .env("CRS_BIND", format!("127.0.0.1:{port}"))
        .env("CRS_JWT_SECRET", TEST_SECRET)
        .env("CRS_DEMO_DATA", "false")
        .env("CRS_SHUTDOWN_DRAIN_SECONDS", "3")
        .env("CRS_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (name, value) in &vars {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("the server starts");
    let client = crate::support::http_client();
    let started = Instant::now();
    loop {
        let ready = client.get(format!("{address}/health/ready")).send().await;
        if ready.is_ok_and(|r| r.status().as_u16() == 200) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "never became ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let settings = settings_from(&vars);
    let token = crs_api::http::auth::mint(&settings.jwt, &practitioner(), 600).unwrap();

    let tally = Arc::new(Tally::default());
    let draining = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let (client, address, token) = (client.clone(), address.clone(), token.clone());
            let (tally, draining, stop) = (tally.clone(), draining.clone(), stop.clone());
            tokio::spawn(async move {
                let deadline = Instant::now() + Duration::from_secs(30);
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    let answer = client
                        .post(format!("{address}/graphql"))
                        .bearer_auth(&token)
                        .json(&json!({ "query": "{ me { id } }" }))
                        .send()
                        .await;
                    let ok = match answer {
                        Ok(response) if response.status().as_u16() == 200 => response
                            .json::<Value>()
                            .await
                            .is_ok_and(|body| body["data"]["me"]["id"] == "pp-1"),
                        _ => false,
                    };
                    if !ok {
                        tally.failed.fetch_add(1, Ordering::Relaxed);
                    } else if draining.load(Ordering::Relaxed) {
                        tally.served_while_draining.fetch_add(1, Ordering::Relaxed);
                    } else {
                        tally.served.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    draining.store(true, Ordering::Relaxed);
    // Readiness answers 503 at once: never a refused connection.
    let signalled = Instant::now();
    loop {
        let ready = client
            .get(format!("{address}/health/ready"))
            .send()
            .await
            .expect("readiness still answers while draining");
        if ready.status().as_u16() == 503 {
            break;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(1),
            "readiness still 200"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A load balancer stops sending once readiness fails; the load here goes on for most of
    // the drain period, then stops.
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.unwrap();
    }
    let exited = tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return Some(status);
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    })
    .await
    .unwrap();
    assert!(exited.is_some_and(|s| s.success()), "{exited:?}");
    assert!(tally.served.load(Ordering::Relaxed) > 0);
    assert!(tally.served_while_draining.load(Ordering::Relaxed) > 0);
    assert_eq!(tally.failed.load(Ordering::Relaxed), 0);
}
