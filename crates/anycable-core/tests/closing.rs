//! Close handshakes: a client's Close is answered with its code, invalid codes and protocol
//! errors get 1002, invalid UTF-8 gets 1007, and nobody else notices.

mod support;

use support::raw::{close_code, close_frame, frame, welcomed_raw};
use support::*;
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn a_client_close_1000_is_answered_with_1000() {
    let server = start(config()).await;
    let mut client = welcomed(&server).await;
    client
        .ws
        .close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "bye".into(),
        }))
        .await
        .unwrap();
    loop {
        match client.next_message().await {
            Some(Message::Close(Some(frame))) => {
                assert_eq!(frame.code, CloseCode::Normal);
                break;
            }
            Some(Message::Text(_)) => {}
            other => panic!("expected the server's Close reply, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_raw_close_is_echoed_and_invalid_codes_get_1002() {
    let server = start(config()).await;
    let token = token("{}");
    for (sent, expected) in [
        (1000, 1000),
        (1001, 1001),
        (4000, 4000),
        (999, 1002),
        (1005, 1002),
        (1006, 1002),
        (1015, 1002),
        (5000, 1002),
    ] {
        let mut stream = welcomed_raw(&server, &token).await;
        stream.write_all(&close_frame(sent)).await.unwrap();
        assert_eq!(close_code(&mut stream).await, Some(expected), "sent {sent}");
    }
}

#[tokio::test]
async fn protocol_errors_close_with_1002_and_bad_utf8_with_1007() {
    let server = start(config()).await;
    let mut other = welcomed(&server).await;
    assert_eq!(
        other.subscribe(&signed_identifier("calm")).await["type"],
        "confirm_subscription"
    );
    let token = token("{}");
    let cases: [(&str, Vec<u8>, u16); 6] = [
        (
            "unmasked text",
            frame(0x81, br#"{"command":"x"}"#, false),
            1002,
        ),
        ("reserved opcode", frame(0x83, b"x", true), 1002),
        ("reserved bits", frame(0xC1, b"x", true), 1002),
        ("continuation first", frame(0x80, b"x", true), 1002),
        ("fragmented ping", frame(0x09, b"x", true), 1002),
        ("invalid UTF-8", frame(0x81, b"\xff\xfe", true), 1007),
    ];
    for (what, bytes, expected) in cases {
        let mut stream = welcomed_raw(&server, &token).await;
        stream.write_all(&bytes).await.unwrap();
        assert_eq!(close_code(&mut stream).await, Some(expected), "{what}");
    }
    server.publish(anycable_core::Publication::new("calm", r#"{"still":"here"}"#.into()).unwrap());
    assert_eq!(other.next_json().await["message"]["still"], "here");
}
