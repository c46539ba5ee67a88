//! Only the request headers the `headers` option names (default `cookie`) reach the application.

mod support;

use std::sync::{Arc, Mutex};

use anycable_core::{CableServer, Config};
use anycable_core::{CallFuture, Method, Transport};
use serde_json::{json, Value};
use support::*;

/// Accepts every `connect` and keeps the request's `env.headers`.
#[derive(Default)]
struct RecordsHeaders(Mutex<Vec<Value>>);

impl Transport for RecordsHeaders {
    fn call(&self, _method: Method, _sid: &str, request: String) -> CallFuture {
        let request: Value = serde_json::from_str(&request).unwrap();
        self.0
            .lock()
            .unwrap()
            .push(request["env"]["headers"].clone());
        let welcome = json!({"type": "welcome", "sid": "x"}).to_string();
        let response = json!({"status": 1, "identifiers": "{}", "transmissions": [welcome]});
        Box::pin(async move { Ok(response.to_string()) })
    }
}

/// The headers the application saw for one connection with a cookie, a custom header and others.
async fn headers_seen(config: Config) -> Value {
    let application = Arc::new(RecordsHeaders::default());
    let server = CableServer::start_with(config, Some(application.clone() as Arc<dyn Transport>))
        .await
        .unwrap();
    let mut client = connect_with(
        &server,
        "/cable",
        &[
            ("cookie", "session=abc"),
            ("x-api-key", "k"),
            ("x-large", &"x".repeat(4096)),
        ],
    )
    .await;
    assert_eq!(client.next_json().await["type"], "welcome");
    let seen = application.0.lock().unwrap().pop().expect("a connect call");
    seen
}

#[tokio::test]
async fn only_the_cookie_by_default() {
    assert_eq!(
        headers_seen(config()).await,
        json!({"cookie": "session=abc"})
    );
}

#[tokio::test]
async fn the_headers_option_names_them_case_insensitively() {
    let seen = headers_seen(Config {
        headers: vec!["X-Api-Key".into(), "authorization".into()],
        ..config()
    })
    .await;
    assert_eq!(seen, json!({"x-api-key": "k"}));
}
