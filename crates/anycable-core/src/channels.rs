//! Channels the server answers itself, with no application code: `$pubsub` (signed or public
//! stream names) and Turbo's `Turbo::StreamsChannel` (signed names).

use serde::Deserialize;

use crate::streams::StreamSigner;

pub(crate) const PUBSUB_CHANNEL: &str = "$pubsub";
pub(crate) const TURBO_CHANNEL: &str = "Turbo::StreamsChannel";

/// Which stream subscriptions the server grants, resolved from the options by `config`.
pub struct ChannelSettings {
    /// Verifies signed stream names; `None` rejects every signed subscription.
    pub stream_signer: Option<StreamSigner>,
    /// Allow `$pubsub` subscriptions to unsigned stream names.
    pub public_streams: bool,
    /// With public streams on, only plain names starting with one of these are public; empty = any.
    pub public_streams_prefix: Vec<String>,
    /// Serve `Turbo::StreamsChannel` with signed stream names.
    pub turbo_streams: bool,
    /// Allow whispers on signed streams (always allowed on public ones).
    pub streams_whisper: bool,
    /// Allow presence on signed streams (always on public ones, never on Turbo ones).
    pub streams_presence: bool,
}

/// What a successful stream subscription grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StreamGrant {
    pub stream: String,
    /// Whether the subscriber may whisper to the stream.
    pub whisper: bool,
    /// Whether the subscriber may join (and read) the stream's presence.
    pub presence: bool,
}

#[derive(Deserialize)]
struct StreamIdentifier {
    channel: String,
    signed_stream_name: Option<String>,
    stream_name: Option<String>,
}

/// The channel an identifier names, if it is a JSON object with a `channel`.
pub(crate) fn channel_of(identifier: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Named {
        channel: String,
    }
    serde_json::from_str::<Named>(identifier)
        .ok()
        .map(|named| named.channel)
}

/// Whether the server itself serves subscriptions with this identifier's channel.
pub(crate) fn is_stream_channel(settings: &ChannelSettings, channel: &str) -> bool {
    channel == PUBSUB_CHANNEL || (settings.turbo_streams && channel == TURBO_CHANNEL)
}

/// The stream a `$pubsub` / Turbo subscription may stream from, or `None` to reject it: a forged
/// or unsigned name, a public name while public streams are off (or outside `publicStreamsPrefix`),
/// or no streams secret.
pub(crate) fn resolve_stream(settings: &ChannelSettings, identifier: &str) -> Option<StreamGrant> {
    let parsed: StreamIdentifier = serde_json::from_str(identifier).ok()?;
    if !is_stream_channel(settings, &parsed.channel) {
        return None;
    }
    if let Some(signed) = parsed.signed_stream_name {
        let stream = settings.stream_signer.as_ref()?.verify(&signed)?;
        return Some(StreamGrant {
            stream,
            whisper: settings.streams_whisper,
            // Turbo streams never have presence, as in the reference.
            presence: settings.streams_presence && parsed.channel == PUBSUB_CHANNEL,
        });
    }
    match parsed.stream_name {
        Some(stream) if parsed.channel == PUBSUB_CHANNEL && is_public(settings, &stream) => {
            Some(StreamGrant {
                stream,
                whisper: true,
                presence: true,
            })
        }
        _ => None,
    }
}

/// Whether a plain stream name may be subscribed without a signature.
fn is_public(settings: &ChannelSettings, stream: &str) -> bool {
    settings.public_streams
        && (settings.public_streams_prefix.is_empty()
            || settings
                .public_streams_prefix
                .iter()
                .any(|prefix| stream.starts_with(prefix.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with_secret() -> ChannelSettings {
        ChannelSettings {
            stream_signer: Some(StreamSigner::new(b"s").unwrap()),
            public_streams: false,
            public_streams_prefix: Vec::new(),
            turbo_streams: false,
            streams_whisper: false,
            streams_presence: true,
        }
    }

    fn signed_id(channel: &str, name: &str, secret: &[u8]) -> String {
        let signed = StreamSigner::new(secret).unwrap().sign(name);
        json!({"channel": channel, "signed_stream_name": signed}).to_string()
    }

    fn public_id(name: &str) -> String {
        json!({"channel": "$pubsub", "stream_name": name}).to_string()
    }

    #[test]
    fn signed_pubsub_streams_need_a_valid_signature() {
        let s = with_secret();
        assert_eq!(
            resolve_stream(&s, &signed_id("$pubsub", "chat/1", b"s")),
            Some(StreamGrant {
                stream: "chat/1".into(),
                whisper: false,
                presence: true
            })
        );
        assert_eq!(
            resolve_stream(&s, &signed_id("$pubsub", "chat/1", b"forged")),
            None
        );
        let unsigned = json!({"channel": "$pubsub", "signed_stream_name": "chat/1"}).to_string();
        assert_eq!(resolve_stream(&s, &unsigned), None);
    }

    #[test]
    fn without_a_streams_secret_signed_names_are_rejected() {
        use base64::Engine;
        use hmac::{Hmac, Mac};
        let s = ChannelSettings {
            stream_signer: None,
            ..with_secret()
        };
        // What the reference server accepts without a secret: a name signed with the empty key.
        let encoded = base64::engine::general_purpose::STANDARD.encode("\"chat/1\"");
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"").unwrap();
        mac.update(encoded.as_bytes());
        let forged = format!("{encoded}--{}", hex::encode(mac.finalize().into_bytes()));
        let id = json!({"channel": "$pubsub", "signed_stream_name": forged}).to_string();
        assert_eq!(resolve_stream(&s, &id), None);
        assert_eq!(
            resolve_stream(&s, &signed_id("$pubsub", "chat/1", b"x")),
            None
        );
    }

    #[test]
    fn public_streams_only_when_enabled_and_always_whisperable() {
        assert_eq!(resolve_stream(&with_secret(), &public_id("lobby")), None);
        let s = ChannelSettings {
            public_streams: true,
            ..with_secret()
        };
        assert_eq!(
            resolve_stream(&s, &public_id("lobby")),
            Some(StreamGrant {
                stream: "lobby".into(),
                whisper: true,
                presence: true
            })
        );
    }

    #[test]
    fn a_public_prefix_keeps_every_other_plain_name_private() {
        let s = ChannelSettings {
            public_streams: true,
            public_streams_prefix: vec!["public/".into(), "lobby".into()],
            ..with_secret()
        };
        for name in ["public/room", "lobby", "lobby/2"] {
            assert!(resolve_stream(&s, &public_id(name)).is_some(), "{name}");
        }
        for name in ["chat/1", "publi", "Public/room", "x/public/room"] {
            assert_eq!(resolve_stream(&s, &public_id(name)), None, "{name}");
        }
        // Signed names are not affected by the prefix.
        assert!(resolve_stream(&s, &signed_id("$pubsub", "chat/1", b"s")).is_some());
        let off = ChannelSettings {
            public_streams_prefix: vec!["public/".into()],
            ..with_secret()
        };
        assert_eq!(resolve_stream(&off, &public_id("public/room")), None);
    }

    #[test]
    fn turbo_streams_only_when_enabled_and_only_signed() {
        let id = signed_id("Turbo::StreamsChannel", "gid://app/Room/1", b"s");
        assert_eq!(resolve_stream(&with_secret(), &id), None);
        let s = ChannelSettings {
            turbo_streams: true,
            public_streams: true,
            ..with_secret()
        };
        assert_eq!(
            resolve_stream(&s, &id).map(|g| g.stream).as_deref(),
            Some("gid://app/Room/1")
        );
        let plain = json!({"channel": "Turbo::StreamsChannel", "stream_name": "x"}).to_string();
        assert_eq!(resolve_stream(&s, &plain), None);
    }

    #[test]
    fn streams_whisper_allows_whispering_on_signed_streams() {
        let s = ChannelSettings {
            streams_whisper: true,
            ..with_secret()
        };
        assert!(
            resolve_stream(&s, &signed_id("$pubsub", "a", b"s"))
                .unwrap()
                .whisper
        );
    }

    #[test]
    fn presence_on_public_streams_on_signed_ones_unless_off_and_never_on_turbo() {
        let s = ChannelSettings {
            public_streams: true,
            turbo_streams: true,
            ..with_secret()
        };
        let presence = |s: &ChannelSettings, id: &str| resolve_stream(s, id).unwrap().presence;
        let turbo = signed_id("Turbo::StreamsChannel", "gid://app/Room/1", b"s");
        assert!(presence(&s, &public_id("lobby")));
        assert!(presence(&s, &signed_id("$pubsub", "a", b"s")));
        assert!(!presence(&s, &turbo));
        let off = ChannelSettings {
            streams_presence: false,
            ..s
        };
        assert!(presence(&off, &public_id("lobby")));
        assert!(!presence(&off, &signed_id("$pubsub", "a", b"s")));
        assert!(!presence(&off, &turbo));
    }

    #[test]
    fn other_channels_and_junk_are_not_streams() {
        let s = ChannelSettings {
            public_streams: true,
            ..with_secret()
        };
        for identifier in [
            r#"{"channel":"ChatChannel","stream_name":"x"}"#,
            "not json",
            "[]",
            r#"{"stream_name":"x"}"#,
        ] {
            assert_eq!(resolve_stream(&s, identifier), None, "{identifier}");
        }
    }
}
