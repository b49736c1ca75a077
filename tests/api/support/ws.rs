//! A `graphql-transport-ws` client over a real WebSocket, for the subscription tests.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::TestApp;

/// How long a test waits for something it expects.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// One connection.
pub struct Subscriber {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

/// How the server closed a connection: (code, reason).
pub type Closed = (u16, String);

impl Subscriber {
    /// Opens a connection to `app` without initialising it.
    pub async fn open(app: &TestApp) -> Subscriber {
        let url = app.address.replace("http://", "ws://") + "/graphql";
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        let (socket, response) = tokio_tungstenite::connect_async(request)
            .await
            .expect("the WebSocket handshake succeeds");
        assert_eq!(
            response
                .headers()
                .get("sec-websocket-protocol")
                .and_then(|v| v.to_str().ok()),
            Some("graphql-transport-ws")
        );
        Subscriber { socket }
    }

    /// Opens and initialises a connection with `token`: the acknowledgement, or how the
    /// server closed it.
    pub async fn connect(app: &TestApp, token: &str) -> Result<Subscriber, Closed> {
        let mut subscriber = Subscriber::open(app).await;
        subscriber
            .send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }))
            .await;
        match subscriber.next().await {
            Ok(message) if message["type"] == "connection_ack" => Ok(subscriber),
            Ok(message) => panic!("expected connection_ack, got {message}"),
            Err(closed) => Err(closed),
        }
    }

    /// Sends one protocol message.
    pub async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .expect("sent");
    }

    /// Starts subscription `id`.
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } }))
            .await;
    }

    /// The next message, or how the connection closed; panics after [`PATIENCE`].
    pub async fn next(&mut self) -> Result<Value, Closed> {
        self.next_within(PATIENCE)
            .await
            .expect("a message within the test's patience")
    }

    /// The next message within `wait`: `None` if nothing came.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Result<Value, Closed>> {
        loop {
            let message = match tokio::time::timeout(wait, self.socket.next()).await {
                Err(_) => return None,
                Ok(message) => message,
            };
            match message {
                Some(Ok(Message::Text(text))) => {
                    return Some(Ok(serde_json::from_str(&text).expect("JSON")));
                }
                Some(Ok(Message::Close(frame))) => {
                    return Some(Err(frame
                        .map(|f| (u16::from(f.code), f.reason.to_string()))
                        .unwrap_or((1005, String::new()))));
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return Some(Err((1006, String::new()))),
            }
        }
    }

    /// The payload data of the next `next` message of subscription `id`.
    pub async fn data(&mut self, id: &str) -> Value {
        let message = self.next().await.expect("open");
        assert_eq!(message["id"], id, "{message}");
        assert_eq!(message["type"], "next", "{message}");
        message["payload"]["data"].clone()
    }

    /// Asserts that nothing arrives for `wait`.
    pub async fn hears_nothing_for(&mut self, wait: Duration) {
        if let Some(message) = self.next_within(wait).await {
            panic!("expected silence, got {message:?}");
        }
    }
}
