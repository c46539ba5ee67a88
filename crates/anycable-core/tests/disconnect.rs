//! The application's `disconnect` call: every session the application ever saw gets one.

mod support;

use std::sync::{Arc, Mutex};

use anycable_core::CableServer;
use anycable_core::{CallFuture, Method, Transport};
use serde_json::{json, Value};
use support::*;

/// Confirms every command and records the methods called, with their requests.
#[derive(Default)]
struct Recording {
    calls: Mutex<Vec<(Method, Value)>>,
}

impl Transport for Recording {
    fn call(&self, method: Method, _sid: &str, request: String) -> CallFuture {
        let request: Value = serde_json::from_str(&request).unwrap();
        let response = match request["command"].as_str() {
            Some("subscribe") => json!({"status": 1, "transmissions": [
                json!({"identifier": request["identifier"], "type": "confirm_subscription"}).to_string()
            ]}),
            _ => json!({"status": 1}),
        };
        self.calls.lock().unwrap().push((method, request));
        Box::pin(async move { Ok(response.to_string()) })
    }
}

impl Recording {
    fn methods(&self) -> Vec<Method> {
        self.calls.lock().unwrap().iter().map(|(m, _)| *m).collect()
    }
}

const ROOM: &str = r#"{"channel":"RoomChannel","id":"1"}"#;

#[tokio::test]
async fn a_jwt_session_that_left_its_application_channel_still_gets_disconnect() {
    let application = Arc::new(Recording::default());
    let server = CableServer::start_with(config(), Some(application.clone() as Arc<dyn Transport>))
        .await
        .unwrap();
    let mut client = welcomed(&server).await;
    assert_eq!(client.subscribe(ROOM).await["type"], "confirm_subscription");
    client
        .send_json(json!({"command": "unsubscribe", "identifier": ROOM}))
        .await;
    tokio::time::timeout(WAIT, async {
        while application.methods().len() < 2 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the unsubscribe reaches the application");
    client.ws.close(None).await.unwrap();

    tokio::time::timeout(WAIT, async {
        while !application.methods().contains(&Method::Disconnect) {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("disconnect is called");
    let calls = application.calls.lock().unwrap();
    let (_, goodbye) = calls.last().unwrap();
    assert_eq!(goodbye["identifiers"], r#"{"user_id":1}"#);
    assert_eq!(goodbye["subscriptions"], json!([]));
}

#[tokio::test]
async fn a_jwt_session_that_never_used_an_application_channel_gets_no_disconnect() {
    let application = Arc::new(Recording::default());
    let server = CableServer::start_with(config(), Some(application.clone() as Arc<dyn Transport>))
        .await
        .unwrap();
    let mut client = welcomed(&server).await;
    assert_eq!(
        client.subscribe(&signed_identifier("chat/1")).await["type"],
        "confirm_subscription"
    );
    client.ws.close(None).await.unwrap();
    // The session counts until it has finished, `disconnect` included.
    tokio::time::timeout(WAIT, async {
        while server.stats().connections != 0 {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the session ends");
    assert!(application.methods().is_empty());
}
