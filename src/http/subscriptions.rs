//! `GET /graphql` upgraded to a WebSocket: GraphQL subscriptions over the
//! `graphql-transport-ws` protocol (async-graphql runs the protocol; this module admits the
//! connection and watches it).
//!
//! - The token comes in the `connection_init` payload (`{"Authorization": "Bearer …"}`) and
//!   is checked as over HTTP: signature, issuer, audience, expiry, then the caller's scope.
//!   Refused: close code 4401 (no valid token) or 4403 (the scope is refused), with the reason.
//! - The connection is closed with 4401 when the token expires (as HTTP would then refuse it).
//! - Limits: `connection_init` within 10 s (else 4408); at most `CRS_WEBSOCKETS_PER_USER`
//!   connections per user on this instance (else 4429); at most
//!   `CRS_SUBSCRIPTIONS_PER_CONNECTION` subscriptions running on a connection (a further
//!   `subscribe` is answered with an `error` message coded `RATE_LIMITED`); documents nest no
//!   deeper than over HTTP.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderValue, SEC_WEBSOCKET_PROTOCOL};
use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{CloseCode, CloseReason, Message, MessageStream, Session};
use async_graphql::http::{WebSocket, WebSocketProtocols as Protocols, WsMessage};
use futures_util::{StreamExt, stream};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep, sleep_until};

use super::AppState;
use super::auth::bearer_token;
use super::caller::refuse;
use crate::domain::actor::{Caller, UserId};
use crate::error::AppError;
use crate::graphql::{self, CodedExecutor, nesting};
use crate::service;

/// The one protocol spoken.
const PROTOCOL: &str = "graphql-transport-ws";

/// Whether the request asks to upgrade to a WebSocket.
pub fn is_upgrade(req: &actix_web::dev::RequestHead) -> bool {
    req.headers
        .get(actix_web::http::header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// The WebSocket connections each user holds on this instance.
#[derive(Debug, Default)]
pub struct Connections {
    by_user: Mutex<HashMap<String, usize>>,
}

/// One admitted connection; its user's count goes down when it is dropped.
#[derive(Debug)]
struct Admitted {
    connections: Arc<Connections>,
    user: String,
}

impl Connections {
    /// Admits one more connection for `user`, unless they hold `limit` already.
    fn admit(self: &Arc<Self>, user: &UserId, limit: usize) -> Option<Admitted> {
        let mut by_user = self.by_user.lock().unwrap_or_else(|e| e.into_inner());
        let held = by_user.entry(user.0.clone()).or_insert(0);
        if *held >= limit {
            return None;
        }
        *held += 1;
        Some(Admitted {
            connections: self.clone(),
            user: user.0.clone(),
        })
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut by_user = self
            .connections
            .by_user
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(held) = by_user.get_mut(&self.user) {
            *held = held.saturating_sub(1);
            if *held == 0 {
                by_user.remove(&self.user);
            }
        }
    }
}

/// Upgrades to a WebSocket speaking `graphql-transport-ws`; 400 for anything else.
pub async fn upgrade(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let offered = req
        .headers()
        .get(SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|p| p.trim().eq_ignore_ascii_case(PROTOCOL))
        });
    if !offered {
        let error = AppError::bad_input(
            format!("subscriptions use the {PROTOCOL} WebSocket protocol (Sec-WebSocket-Protocol)"),
            Vec::new(),
        );
        return refuse(&state, StatusCode::BAD_REQUEST, &error);
    }
    match actix_ws::handle(&req, body) {
        Ok((mut response, session, messages)) => {
            response
                .headers_mut()
                .insert(SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static(PROTOCOL));
            actix_web::rt::spawn(serve(state.into_inner(), session, messages));
            response
        }
        Err(_) => {
            let error = AppError::bad_input("not a WebSocket handshake", Vec::new());
            refuse(&state, StatusCode::BAD_REQUEST, &error)
        }
    }
}

/// How a connection ends, as a close frame.
struct Ending {
    code: u16,
    reason: String,
}

impl Ending {
    fn new(code: u16, reason: impl Into<String>) -> Self {
        Ending {
            code,
            reason: reason.into(),
        }
    }
}

async fn close(session: Session, ending: Option<Ending>) {
    let reason = ending.map(|e| CloseReason {
        code: CloseCode::Other(e.code),
        description: Some(e.reason),
    });
    let _ = session.close(reason).await;
}

/// The type of a protocol message, and its id.
fn kind_of(message: &Value) -> (&str, Option<&str>) {
    (
        message.get("type").and_then(Value::as_str).unwrap_or(""),
        message.get("id").and_then(Value::as_str),
    )
}

/// An accepted `connection_init`: the caller, when their token stops being accepted, and
/// their place in the per-user count.
struct Accepted {
    caller: Caller,
    refused_at: Instant,
    _admitted: Admitted,
}

/// Checks the token of a `connection_init` as HTTP checks a request's.
async fn accept(state: &AppState, init: &Value) -> Result<Accepted, Ending> {
    let payload = init.get("payload").and_then(Value::as_object);
    let header = payload.and_then(|p| {
        p.iter()
            .find(|(key, _)| key.eq_ignore_ascii_case("authorization"))
            .and_then(|(_, value)| value.as_str())
    });
    let verified = match bearer_token(header) {
        Ok(token) => state.verifier.verify_fresh(token).await,
        Err(missing) => Err(missing),
    };
    let (principal, refused_after) = verified.map_err(|reason| {
            tracing::info!(reason = %reason, "unauthenticated subscription connection");
            state.metrics.refused(AppError::Unauthenticated.code());
            Ending::new(4401, "Unauthorized: a valid bearer token is required in the connection_init payload (Authorization)")
        })?;
    let scope = service::viewer::resolve(&state.services, &principal)
        .await
        .map_err(|error| match error {
            AppError::Forbidden(reason) => Ending::new(4403, format!("Forbidden: {reason}")),
            other => {
                tracing::error!(error = %other, "resolving a subscriber's scope");
                Ending::new(1011, "the service is unavailable; try again")
            }
        })?;
    let admitted = state
        .websockets
        .admit(
            &principal.user_id,
            state.subscription_limits.connections_per_user,
        )
        .ok_or_else(|| {
            Ending::new(
                4429,
                format!(
                    "Too many connections: at most {} per user",
                    state.subscription_limits.connections_per_user
                ),
            )
        })?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let refused_at = Instant::now() + Duration::from_secs(refused_after.saturating_sub(now));
    Ok(Accepted {
        caller: Caller { principal, scope },
        refused_at,
        _admitted: admitted,
    })
}

/// Waits for `connection_init` and accepts it; `Err` with how to close otherwise.
async fn handshake(
    state: &AppState,
    session: &mut Session,
    messages: &mut MessageStream,
) -> Result<(Accepted, String), Option<Ending>> {
    let deadline = sleep(state.subscription_limits.init_timeout);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            () = &mut deadline => {
                return Err(Some(Ending::new(4408, "Connection initialisation timeout")));
            }
            message = messages.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    let parsed: Value = serde_json::from_str(&text)
                        .map_err(|_| Some(Ending::new(4400, "not a graphql-transport-ws message")))?;
                    match kind_of(&parsed).0 {
                        "connection_init" => {
                            let accepted = accept(state, &parsed).await.map_err(Some)?;
                            return Ok((accepted, text.to_string()));
                        }
                        "ping" => {
                            if session.text(json!({ "type": "pong" }).to_string()).await.is_err() {
                                return Err(None);
                            }
                        }
                        _ => return Err(Some(Ending::new(4401, "Unauthorized: send connection_init first"))),
                    }
                }
                Some(Ok(Message::Ping(bytes))) => {
                    if session.pong(&bytes).await.is_err() {
                        return Err(None);
                    }
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => return Err(None),
                Some(Ok(_)) => {}
            }
        }
    }
}

/// What to do with a client message once the connection is accepted.
enum Admission {
    Forward,
    Reply(String),
    Close(Ending),
}

/// An `error` message for one subscription.
fn subscription_error(id: &str, error: &AppError) -> String {
    json!({
        "id": id,
        "type": "error",
        "payload": [{ "message": error.to_string(), "extensions": { "code": error.code() } }],
    })
    .to_string()
}

/// Applies the connection's limits to one client message.
fn admit(text: &str, running: &mut HashSet<String>, limit: usize) -> Admission {
    let Ok(parsed) = serde_json::from_str::<Value>(text) else {
        return Admission::Forward;
    };
    match kind_of(&parsed) {
        ("subscribe", Some(id)) => {
            if running.contains(id) {
                return Admission::Close(Ending::new(
                    4409,
                    format!("Subscriber for {id} already exists"),
                ));
            }
            let query = parsed
                .pointer("/payload/query")
                .and_then(Value::as_str)
                .unwrap_or("");
            if let Err(too_deep) = nesting::check_document(query) {
                return Admission::Reply(subscription_error(
                    id,
                    &AppError::ParseFailed(too_deep.message()),
                ));
            }
            if running.len() >= limit {
                return Admission::Reply(subscription_error(
                    id,
                    &AppError::RateLimited(format!(
                        "at most {limit} subscriptions may run on one connection"
                    )),
                ));
            }
            running.insert(id.to_owned());
            Admission::Forward
        }
        ("complete", Some(id)) => {
            running.remove(id);
            Admission::Forward
        }
        ("connection_init", _) => {
            Admission::Close(Ending::new(4429, "Too many initialisation requests"))
        }
        _ => Admission::Forward,
    }
}

/// Runs one connection to its end.
async fn serve(state: Arc<AppState>, mut session: Session, mut messages: MessageStream) {
    let (accepted, init) = match handshake(&state, &mut session, &mut messages).await {
        Ok(accepted) => accepted,
        Err(ending) => return close(session, ending).await,
    };
    let user_id = accepted.caller.principal.user_id.clone();
    tracing::info!(%user_id, "subscription connection opened");
    let (to_protocol, from_client) = mpsc::channel::<String>(32);
    let incoming = stream::unfold(from_client, |mut from_client| async move {
        from_client.recv().await.map(|text| (text, from_client))
    });
    let data = graphql::connection_data(&state.services, accepted.caller.clone());
    let mut protocol = WebSocket::new(
        CodedExecutor::new(
            state.schema.clone(),
            state.services.clone(),
            &accepted.caller,
        ),
        incoming.boxed(),
        Protocols::GraphQLWS,
    )
    .connection_data(data);
    let limit = state.subscription_limits.per_connection;
    let mut running = HashSet::new();
    let _ = to_protocol.send(init).await;
    let expiry = sleep_until(accepted.refused_at);
    tokio::pin!(expiry);
    let ending = loop {
        tokio::select! {
            () = &mut expiry => break Some(Ending::new(4401, "Unauthorized: the token has expired")),
            message = messages.next() => match message {
                Some(Ok(Message::Text(text))) => match admit(&text, &mut running, limit) {
                    Admission::Forward => {
                        if to_protocol.send(text.to_string()).await.is_err() {
                            break None;
                        }
                    }
                    Admission::Reply(reply) => {
                        if session.text(reply).await.is_err() {
                            break None;
                        }
                    }
                    Admission::Close(ending) => break Some(ending),
                },
                Some(Ok(Message::Ping(bytes))) => {
                    if session.pong(&bytes).await.is_err() {
                        break None;
                    }
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => break None,
                Some(Ok(_)) => {}
            },
            outgoing = protocol.next() => match outgoing {
                Some(WsMessage::Text(text)) => {
                    if let Ok(parsed) = serde_json::from_str::<Value>(&text)
                        && let ("complete" | "error", Some(id)) = kind_of(&parsed)
                    {
                        running.remove(id);
                    }
                    if session.text(text).await.is_err() {
                        break None;
                    }
                }
                Some(WsMessage::Close(code, reason)) => break Some(Ending::new(code, reason)),
                None => break None,
            },
        }
    };
    tracing::info!(%user_id, code = ending.as_ref().map(|e| e.code), "subscription connection closed");
    close(session, ending).await;
}
