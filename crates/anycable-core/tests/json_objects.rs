//! JSON arrays are not objects. serde's derive reads a struct from an array of its fields in
//! order, which let an array pass for a client command, a broadcast publication or a token
//! header (found by the fuzz targets in /fuzz).

mod support;

use anycable_core::broadcast_key;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use support::*;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn a_command_given_as_an_array_closes_with_1007_and_subscribes_nothing() {
    let server = start(config()).await;
    let mut client = welcomed(&server).await;
    // command, identifier, data: the fields of the command struct in order.
    let command = json!(["subscribe", signed_identifier("calm"), null]).to_string();
    client.send_raw(Message::text(command)).await;
    let first = client.next_message().await;
    assert!(
        matches!(&first, Some(Message::Close(Some(frame))) if frame.code == CloseCode::Invalid),
        "{first:?}"
    );
    assert_eq!(server.stats().subscriptions, 0);
}

#[tokio::test]
async fn a_broadcast_given_as_arrays_is_refused_with_422() {
    let server = start(config()).await;
    let auth = format!("Bearer {}", broadcast_key(SECRET.as_bytes()));
    let headers = [("Authorization", auth.as_str())];
    for body in [
        r#"[["calm","{}"]]"#,
        r#"[{"stream":"calm","data":"1"},["calm","2"]]"#,
    ] {
        let (status, _) = http(&server, "POST", "/_broadcast", &headers, body).await;
        assert_eq!(status, 422, "{body}");
    }
}

#[tokio::test]
async fn a_token_whose_header_is_an_array_is_unauthorized() {
    let server = start(config()).await;
    let claims = json!({"ext": r#"{"user_id":1}"#, "exp": 4_102_444_800u64}).to_string();
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(r#"["HS256"]"#),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    let mut client = connect(&server, &format!("{signing_input}.{signature}")).await;
    let frame = client.next_json().await;
    assert_eq!(
        (frame["type"].as_str(), frame["reason"].as_str()),
        (Some("disconnect"), Some("unauthorized")),
        "{frame}"
    );
}
