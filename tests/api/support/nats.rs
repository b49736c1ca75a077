//! A NATS server with JetStream of the test's own (`nats-server -js` on a free port, its store
//! in a temporary folder, stopped when dropped), and a reader of the events stream.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// A NATS server for one test: running, or with its port reserved and not yet started.
pub struct NatsServer {
    port: u16,
    store: tempfile::TempDir,
    process: Option<Child>,
}

impl NatsServer {
    /// A running server.
    pub fn start() -> NatsServer {
        Self::reserve().run()
    }

    /// A free port and a store, with no server yet: a broker that is down.
    pub fn reserve() -> NatsServer {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        NatsServer {
            port,
            store: tempfile::tempdir().expect("a store folder"),
            process: None,
        }
    }

    /// Starts the server (waits until it accepts connections).
    pub fn run(mut self) -> NatsServer {
        let child = Command::new("nats-server")
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(self.store.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server is installed (.ci/run installs it)");
        self.process = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return self;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("nats-server did not start on port {}", self.port);
    }

    /// The server's URL.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.process.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Every message of the `CRS_EVENTS` stream, oldest first: (subject, body). Empty while the
/// stream does not exist.
pub async fn stream_messages(nats: &NatsServer) -> Vec<(String, Value)> {
    let Ok(client) = async_nats::connect(nats.url()).await else {
        return Vec::new();
    };
    let jetstream = async_nats::jetstream::new(client);
    let Ok(mut stream) = jetstream.get_stream("CRS_EVENTS").await else {
        return Vec::new();
    };
    let Ok(info) = stream.info().await else {
        return Vec::new();
    };
    let (first, last) = (info.state.first_sequence, info.state.last_sequence);
    let mut messages = Vec::new();
    for sequence in first..=last {
        if sequence == 0 {
            continue;
        }
        if let Ok(message) = stream.get_raw_message(sequence).await {
            let body = serde_json::from_slice(&message.payload).unwrap_or(Value::Null);
            messages.push((message.subject.to_string(), body));
        }
    }
    messages
}
