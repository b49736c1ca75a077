//! No committed change loses its events, whatever moment the server dies: 1,000 referrals are
//! sent (and each then assigned) by 8 clients against the real binary, which is killed with
//! SIGKILL at a random point and started again; a consumer listening to the broker all along
//! hears every committed change's events, in order per referral, and nothing of a change that
//! did not commit. Redeliveries after the restart are dropped by the stream's duplicate window.

use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crs_api::db::entities::referral;
use futures_util::StreamExt;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::support::nats::{NatsServer, stream_messages};
use crate::support::personas::{harbour, pp};
use crate::support::steps::{
    ASSIGN, SEND, UPDATE, complete_input_for, create_draft, first_choices, ok, seen,
};
use crate::support::{TEST_SECRET, TestApp};

const SENDS: usize = 1_000;
const CLIENTS: usize = 8;
const CONTRACT: &str = "CRS-ACC-J-01";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The real server on `port`, on `database`, relaying to `nats`.
fn start_server(port: u16, database: &str, nats: &NatsServer) -> Child {
    Command::new(env!("CARGO_BIN_EXE_crs-api"))
        .arg("serve")
        .env("CRS_BIND", format!("127.0.0.1:{port}"))
        .env("CRS_DATABASE_URL", database)
        .env("CRS_JWT_SECRET", TEST_SECRET)
        .env("CRS_DEMO_DATA", "false")
        .env("CRS_NATS_URL", nats.url())
        .env("CRS_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts")
}

async fn wait_ready(client: &reqwest::Client, address: &str) {
    let started = Instant::now();
    while !client
        .get(format!("{address}/health/ready"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "never became ready"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What happened to one request: answered, refused by the rules, or lost with the server.
enum Outcome {
    Done,
    Refused,
    Lost,
}

async fn post(
    client: &reqwest::Client,
    address: &str,
    token: &str,
    query: &str,
    variables: Value,
) -> Outcome {
    let answer = client
        .post(format!("{address}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .timeout(Duration::from_secs(10))
        .send()
        .await;
    let Ok(answer) = answer else {
        return Outcome::Lost;
    };
    let Ok(body) = answer.json::<Value>().await else {
        return Outcome::Lost;
    };
    match body["errors"][0]["extensions"]["code"].as_str() {
        None => Outcome::Done,
        // Already sent; already assigned (the version moved on): an earlier attempt committed.
        Some("INVALID_TRANSITION" | "CONFLICT") => Outcome::Refused,
        Some(_) => Outcome::Lost,
    }
}

/// Sends `id` and assigns it, retrying while the server is away; a retry the rules refuse
/// means the earlier attempt committed. Counts the answers that confirmed a commit.
async fn send_and_assign(
    client: &reqwest::Client,
    address: &str,
    (pp, sp): (&str, &str),
    (id, version): &(String, i64),
    acknowledged: &AtomicUsize,
) {
    for (token, query, variables) in [
        (pp, SEND, json!({ "id": id })),
        (
            sp,
            ASSIGN,
            json!({ "id": id, "to": "sp-1", "v": version + 1 }),
        ),
    ] {
        loop {
            match post(client, address, token, query, variables.clone()).await {
                Outcome::Done => {
                    acknowledged.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                Outcome::Refused => break,
                Outcome::Lost => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }
}

// The run prints its figures (`cargo test crash -- --nocapture`).
#[allow(clippy::print_stdout)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_loses_no_committed_event_and_publishes_none_it_did_not_commit() {
    let nats = NatsServer::start();
    // The drafts are written by an in-process instance (no broker: drafts publish nothing).
    let app = TestApp::spawn().await;
    let pp_token = app.token(&pp("pp-1"));
    let sp_token = app.token(&harbour("sp-1"));
    seen(&app, &sp_token).await;
    let (category, level, outcome) = first_choices(&app, &pp_token, CONTRACT).await;
    let input = complete_input_for(CONTRACT, &category, &level, &outcome);
    let mut drafts = Vec::with_capacity(SENDS);
    for n in 0..SENDS {
        let id = create_draft(&app, &pp_token, CONTRACT, "Case", &format!("Number{n}")).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let updated = ok(
            &app,
            &pp_token,
            UPDATE,
            json!({ "id": id, "input": input }),
            "updateDraftReferral",
        )
        .await;
        let version = updated["version"].as_i64().unwrap();
        drafts.push((id, version));
    }

    // A consumer on the broker from the start: every publication, redeliveries included.
    let listener = async_nats::connect(nats.url()).await.unwrap();
    let mut heard = listener.subscribe("crs.events.>").await.unwrap();
    let deliveries = Arc::new(Mutex::new(Vec::<Value>::new()));
    let consumer = {
        let deliveries = deliveries.clone();
        tokio::spawn(async move {
            while let Some(message) = heard.next().await {
                let body: Value = serde_json::from_slice(&message.payload).unwrap_or(Value::Null);
                deliveries.lock().await.push(body);
            }
        })
    };

    let port = free_port();
    let address = format!("http://127.0.0.1:{port}");
    let database = app.settings.database.url.expose_secret().to_owned();
    let client = crate::support::http_client();
    let mut server = start_server(port, &database, &nats);
    wait_ready(&client, &address).await;

    let run_started = Instant::now();
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let queue = Arc::new(Mutex::new(drafts.clone()));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (client, address, queue) = (client.clone(), address.clone(), queue.clone());
            let (pp, sp, acknowledged) = (pp_token.clone(), sp_token.clone(), acknowledged.clone());
            tokio::spawn(async move {
                loop {
                    let Some(id) = queue.lock().await.pop() else {
                        break;
                    };
                    send_and_assign(&client, &address, (&pp, &sp), &id, &acknowledged).await;
                }
            })
        })
        .collect();

    // Kill at a random point of the run, then start again on the same port.
    let kill_after = rand::random_range(SENDS / 5..SENDS * 4 / 5);
    while acknowledged.load(Ordering::Relaxed) < kill_after {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill().expect("SIGKILL");
    server.wait().expect("reaped");
    let at_kill = acknowledged.load(Ordering::Relaxed);
    let mut server = start_server(port, &database, &nats);
    wait_ready(&client, &address).await;
    for handle in clients {
        handle.await.unwrap();
    }
    let run_time = run_started.elapsed();

    // Every committed change: the referrals the database holds as sent, and as assigned.
    let sent: HashSet<String> = referral::Entity::find()
        .filter(referral::Column::SentAt.is_not_null())
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id.to_string())
        .collect();
    assert_eq!(sent.len(), SENDS, "every draft was sent in the end");
    let expected = 2 * SENDS;
    let started = Instant::now();
    let stream = loop {
        let stream = stream_messages(&nats).await;
        if stream.len() >= expected || started.elapsed() > Duration::from_secs(60) {
            break stream;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let drained_after = started.elapsed();
    let duplicates_dropped = metric(&client, &address, "crs_events_duplicates_total").await;
    server.kill().expect("stopped");
    let _ = server.wait();
    tokio::time::sleep(Duration::from_millis(300)).await;
    consumer.abort();
    let deliveries = deliveries.lock().await.clone();

    // The stream: each event once, of committed changes only, sent before assigned.
    let mut order: HashMap<String, Vec<String>> = HashMap::new();
    let mut ids = HashSet::new();
    for (subject, body) in &stream {
        assert!(
            ids.insert(body["eventId"].as_str().unwrap().to_owned()),
            "an event stored twice"
        );
        let referral = body["additionalInformation"]["referralId"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            sent.contains(&referral),
            "an event of a change that never committed"
        );
        order.entry(referral).or_default().push(
            subject
                .trim_start_matches("crs.events.intervention.")
                .to_owned(),
        );
    }
    for id in &sent {
        assert_eq!(
            order.get(id).map(Vec::as_slice),
            Some(&["referral.sent".to_owned(), "referral.assigned".to_owned()][..]),
            "referral {id}: every committed change, in order"
        );
    }
    // The live consumer heard every event at least once.
    let heard: HashSet<&str> = deliveries
        .iter()
        .filter_map(|b| b["eventId"].as_str())
        .collect();
    assert_eq!(heard.len(), expected, "the consumer heard every event");
    println!(
        "crash test: {SENDS} sends and {SENDS} assignments by {CLIENTS} clients; killed after {at_kill} acknowledged; \
         acknowledged {} of {expected} changes (the rest committed before the kill, unanswered); \
         committed {expected}; published {} (stream), heard {} deliveries by the consumer ({} redelivered); \
         duplicates dropped by the stream after the restart: {duplicates_dropped}; \
         {expected} changes in {:.1} s ({:.0}/s, restart included), the stream complete {} ms after the last answer",
        acknowledged.load(Ordering::Relaxed),
        stream.len(),
        deliveries.len(),
        deliveries.len() - heard.len(),
        run_time.as_secs_f64(),
        expected as f64 / run_time.as_secs_f64(),
        drained_after.as_millis(),
    );
}

async fn metric(client: &reqwest::Client, address: &str, name: &str) -> f64 {
    let text = client
        .get(format!("{address}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|line| {
            line.strip_prefix(name)
                .and_then(|rest| rest.trim().parse().ok())
        })
        .unwrap_or(0.0)
}
