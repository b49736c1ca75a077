//! Subscribes to the API over WebSocket (`graphql-transport-ws`) and prints every message
//! that arrives:
//!
//! ```sh
//! cargo run --example subscribe -- ws://127.0.0.1:8080/graphql "$TOKEN" \
//!   'subscription { referralUpdated { referralId eventType status version occurredAt } }'
//! ```

// Printing is what this example is for.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(token), Some(query)) = (args.next(), args.next(), args.next()) else {
        eprintln!("usage: subscribe WS_URL TOKEN SUBSCRIPTION");
        std::process::exit(2);
    };
    let mut request = url.into_client_request()?;
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket.send(Message::text(init.to_string())).await?;
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": query } });
    let mut subscribed = false;
    while let Some(message) = socket.next().await {
        match message? {
            Message::Text(text) => {
                let parsed: Value = serde_json::from_str(&text)?;
                println!("{parsed}");
                if parsed["type"] == "connection_ack" && !subscribed {
                    socket.send(Message::text(subscribe.to_string())).await?;
                    subscribed = true;
                }
            }
            Message::Close(frame) => {
                println!("closed: {frame:?}");
                break;
            }
            _ => {}
        }
    }
    Ok(())
}
