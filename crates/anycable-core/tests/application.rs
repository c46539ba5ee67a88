//! Application channels through a scripted in-process transport: what the server sends the
//! application, and how it applies the answers (streams, state, transmissions, disconnect).

mod support;

use std::sync::{Arc, Mutex};

use anycable_core::{CableServer, Config, Publication};
use anycable_core::{CallFuture, Method, Transport};
use serde_json::{json, Value};
use support::*;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// The response the application gives to a request.
type Script = Box<dyn Fn(Method, &Value) -> Value + Send + Sync>;

/// Answers with `script(method, request)` and records every request.
struct Scripted {
    requests: Mutex<Vec<(Method, String, Value)>>,
    script: Script,
}

impl Transport for Scripted {
    fn call(&self, method: Method, sid: &str, request: String) -> CallFuture {
        let request: Value = serde_json::from_str(&request).unwrap();
        let response = (self.script)(method, &request);
        self.requests
            .lock()
            .unwrap()
            .push((method, sid.to_owned(), request));
        Box::pin(async move { Ok(response.to_string()) })
    }
}

async fn start_scripted(
    script: impl Fn(Method, &Value) -> Value + Send + Sync + 'static,
) -> (CableServer, Arc<Scripted>) {
    start_scripted_with(config(), script).await
}

async fn start_scripted_with(
    config: Config,
    script: impl Fn(Method, &Value) -> Value + Send + Sync + 'static,
) -> (CableServer, Arc<Scripted>) {
    let transport = Arc::new(Scripted {
        requests: Mutex::new(Vec::new()),
        script: Box::new(script),
    });
    let server = CableServer::start_with(config, Some(transport.clone() as Arc<dyn Transport>))
        .await
        .unwrap();
    (server, transport)
}

const ROOM: &str = r#"{"channel":"RoomChannel","id":"1"}"#;

fn command_response(extra: Value) -> Value {
    let mut response = json!({"status": 1, "disconnect": false, "stop_streams": false, "streams": [], "stopped_streams": [], "transmissions": [], "error_msg": ""});
    response
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    response
}

#[tokio::test]
async fn streams_follow_the_application_and_transmissions_go_out_as_is() {
    let (server, transport) = start_scripted(|_, request| match (request["command"].as_str(), request["data"].as_str()) {
        (Some("subscribe"), _) => command_response(json!({
            "streams": ["a"],
            "transmissions": [json!({"identifier": ROOM, "type": "confirm_subscription"}).to_string()],
        })),
        (Some("message"), Some(data)) if data.contains("move") => command_response(json!({
            "streams": ["b"], "stopped_streams": ["a"],
            "transmissions": [json!({"identifier": ROOM, "message": {"moved": true}}).to_string()],
        })),
        _ => command_response(json!({})),
    })
    .await;
    let mut client = welcomed(&server).await;
    assert_eq!(client.subscribe(ROOM).await["type"], "confirm_subscription");
    server.publish(Publication::new("a", "1".into()).unwrap());
    assert_eq!(
        without_position(client.next_json().await),
        json!({"identifier": ROOM, "message": 1})
    );

    client
        .send_json(
            json!({"command": "message", "identifier": ROOM, "data": "{\"action\":\"move\"}"}),
        )
        .await;
    assert_eq!(client.next_json().await["message"], json!({"moved": true}));
    server.publish(Publication::new("a", "2".into()).unwrap());
    server.publish(Publication::new("b", "3".into()).unwrap());
    assert_eq!(
        client.next_json().await["message"],
        3,
        "stopped a, streaming b"
    );

    let requests = transport.requests.lock().unwrap();
    let (_, _, subscribe) = &requests[0];
    assert_eq!(subscribe["connection_identifiers"], r#"{"user_id":1}"#);
    assert_eq!(subscribe["identifier"], ROOM);
    assert!(
        requests
            .iter()
            .all(|(method, _, _)| *method == Method::Command),
        "a JWT session never calls connect"
    );
}

#[tokio::test]
async fn stop_streams_and_a_rejection_without_transmissions() {
    let (server, _) = start_scripted(|_, request| match request["identifier"].as_str() {
        Some(id) if id.contains("Closed") => command_response(json!({"status": 2})),
        _ if request["command"] == "message" => command_response(json!({"stop_streams": true})),
        _ => command_response(json!({"streams": ["x", "y"], "transmissions": [json!({"identifier": ROOM, "type": "confirm_subscription"}).to_string()]})),
    })
    .await;
    let mut client = welcomed(&server).await;
    let closed = r#"{"channel":"ClosedChannel"}"#;
    assert_eq!(
        client.subscribe(closed).await,
        json!({"type": "reject_subscription", "identifier": closed})
    );
    client.subscribe(ROOM).await;
    assert_eq!(server.stats().subscriptions, 2);
    client
        .send_json(
            json!({"command": "message", "identifier": ROOM, "data": "{\"action\":\"stop\"}"}),
        )
        .await;
    until_subscriptions(&server, 0).await;
}

#[tokio::test]
async fn connect_state_travels_with_later_calls_and_disconnect_gets_the_subscriptions() {
    let (server, transport) = start_scripted(|method, _| match method {
        Method::Connect => json!({
            "status": 1, "identifiers": "{\"user\":\"carol\"}",
            "transmissions": ["{\"type\":\"welcome\",\"sid\":\"from-app\"}"],
            "env": {"cstate": {"locale": "fr"}},
        }),
        Method::Command => command_response(json!({
            "transmissions": [json!({"identifier": ROOM, "type": "confirm_subscription"}).to_string()],
            "env": {"istate": {ROOM: "{\"joined\":true}"}},
        })),
        Method::Disconnect => json!({"status": 1}),
    })
    .await;
    let mut client = connect_with(&server, "/cable?x=1", &[("cookie", "session=abc")]).await;
    assert_eq!(
        client.next_json().await,
        json!({"type": "welcome", "sid": "from-app"})
    );
    client.subscribe(ROOM).await;
    client
        .send_json(json!({"command": "message", "identifier": ROOM, "data": "{\"action\":\"x\"}"}))
        .await;
    tokio::time::timeout(WAIT, async {
        while transport.requests.lock().unwrap().len() < 3 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap();
    drop(client);
    tokio::time::timeout(WAIT, async {
        while transport.requests.lock().unwrap().len() < 4 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap();

    let requests = transport.requests.lock().unwrap();
    let (method, sid, connect) = &requests[0];
    assert_eq!(*method, Method::Connect);
    assert_eq!(connect["env"]["headers"]["cookie"], "session=abc");
    assert!(connect["env"]["url"]
        .as_str()
        .unwrap()
        .ends_with("/cable?x=1"));
    let (_, _, message) = &requests[2];
    assert_eq!(message["connection_identifiers"], "{\"user\":\"carol\"}");
    assert_eq!(message["env"]["cstate"], json!({"locale": "fr"}));
    assert_eq!(message["env"]["istate"][ROOM], "{\"joined\":true}");
    let (method, disconnect_sid, disconnect) = &requests[3];
    assert_eq!(*method, Method::Disconnect);
    assert_eq!(disconnect_sid, sid);
    assert_eq!(disconnect["subscriptions"], json!([ROOM]));
    assert_eq!(disconnect["identifiers"], "{\"user\":\"carol\"}");
}

#[tokio::test]
async fn the_application_can_close_the_connection() {
    let (server, _) = start_scripted(|_, request| match request["command"].as_str() {
        Some("message") => command_response(json!({"disconnect": true})),
        _ => command_response(json!({"transmissions": [json!({"identifier": ROOM, "type": "confirm_subscription"}).to_string()]})),
    })
    .await;
    let mut client = welcomed(&server).await;
    client.subscribe(ROOM).await;
    client
        .send_json(
            json!({"command": "message", "identifier": ROOM, "data": "{\"action\":\"bye\"}"}),
        )
        .await;
    assert_eq!(
        client.next_json().await,
        json!({"type": "disconnect", "reason": "remote", "reconnect": false})
    );
    assert_eq!(client.expect_close().await.0, CloseCode::Normal);
}

#[tokio::test]
async fn a_refused_connect_is_unauthorized_with_reconnect_false() {
    let (server, _) = start_scripted(|_, _| json!({"status": 2, "transmissions": ["{\"type\":\"disconnect\",\"reason\":\"unauthorized\"}"]})).await;
    let mut client = connect_with(&server, "/cable", &[]).await;
    assert_eq!(
        client.next_json().await,
        json!({"type": "disconnect", "reason": "unauthorized", "reconnect": false})
    );
    let (enforced, transport) = start_scripted_with(
        Config {
            enforce_jwt: true,
            ..config()
        },
        |_, _| json!({"status": 1}),
    )
    .await;
    let mut refused = connect_with(&enforced, "/cable", &[]).await;
    assert_eq!(refused.next_json().await["reason"], "unauthorized");
    assert!(
        transport.requests.lock().unwrap().is_empty(),
        "enforceJwt never asks the application"
    );
}
