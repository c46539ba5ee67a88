//! Which Action Cable sub-protocol a connection speaks: `actioncable-v1-json` or
//! `actioncable-v1-ext-json` (history, session resumption, presence, pongs).

/// A sub-protocol this server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// `actioncable-v1-json`.
    Plain,
    /// `actioncable-v1-ext-json`.
    Extended,
}

impl Protocol {
    /// The `Sec-WebSocket-Protocol` name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Protocol::Plain => "actioncable-v1-json",
            Protocol::Extended => "actioncable-v1-ext-json",
        }
    }

    /// The protocol to answer a client that offered these sub-protocols with: the extended one
    /// when offered (a client offering it wants it), else the plain one; `None` when it offered
    /// neither (the response then names no protocol, and the session speaks the plain one).
    pub(crate) fn negotiate<'a>(offered: impl IntoIterator<Item = &'a str>) -> Option<Protocol> {
        let mut chosen = None;
        for name in offered {
            if name == Protocol::Extended.as_str() {
                return Some(Protocol::Extended);
            }
            if name == Protocol::Plain.as_str() {
                chosen = Some(Protocol::Plain);
            }
        }
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(Protocol::Plain.as_str(), "actioncable-v1-json");
        assert_eq!(Protocol::Extended.as_str(), "actioncable-v1-ext-json");
    }

    #[test]
    fn the_extended_protocol_when_offered() {
        for offered in [
            &["actioncable-v1-ext-json"][..],
            &["actioncable-v1-json", "actioncable-v1-ext-json"],
            &["actioncable-v1-ext-json", "actioncable-v1-json"],
            &["actioncable-v1-ext-json", "anycable-token.abc"],
        ] {
            assert_eq!(
                Protocol::negotiate(offered.iter().copied()),
                Some(Protocol::Extended),
                "{offered:?}"
            );
        }
    }

    #[test]
    fn the_plain_protocol_otherwise() {
        assert_eq!(
            Protocol::negotiate(["anycable-token.abc", "actioncable-v1-json"]),
            Some(Protocol::Plain)
        );
        for offered in [
            &[][..],
            &["anycable-token.actioncable-v1-ext-json"],
            &["actioncable-v1-ext-msgpack", "actioncable-v1-ext-protobuf"],
            &["ACTIONCABLE-V1-JSON"],
        ] {
            assert_eq!(
                Protocol::negotiate(offered.iter().copied()),
                None,
                "{offered:?}"
            );
        }
    }
}
