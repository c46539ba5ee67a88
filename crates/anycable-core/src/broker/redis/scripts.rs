//! The broker's Lua scripts. Each is `prelude.lua` followed by its body, so the helpers every
//! script needs (record fields, Redis's clock, the epoch check) exist once.

/// One script of the broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Script {
    /// Registers a batch of publications and publishes them to the fan-out channel.
    Register,
    /// The history of a stream after an offset of an epoch.
    HistoryFrom,
    /// The history of a stream since a time.
    HistorySince,
    /// A session joins a stream's presence.
    Join,
    /// A session leaves a stream's presence.
    Leave,
    /// A session's presence lasts longer.
    Touch,
    /// Lapsed presence is removed and its leaves published.
    Sweep,
}

macro_rules! with_prelude {
    ($body:literal) => {
        concat!(
            include_str!("scripts/prelude.lua"),
            include_str!(concat!("scripts/", $body))
        )
    };
}

impl Script {
    /// Every script, in the order their SHAs are kept.
    pub(super) const ALL: [Script; 7] = [
        Script::Register,
        Script::HistoryFrom,
        Script::HistorySince,
        Script::Join,
        Script::Leave,
        Script::Touch,
        Script::Sweep,
    ];

    /// The Lua text sent with `SCRIPT LOAD`.
    pub(super) fn source(self) -> &'static str {
        match self {
            Script::Register => with_prelude!("register.lua"),
            Script::HistoryFrom => with_prelude!("history_from.lua"),
            Script::HistorySince => with_prelude!("history_since.lua"),
            Script::Join => with_prelude!("join.lua"),
            Script::Leave => with_prelude!("leave.lua"),
            Script::Touch => with_prelude!("touch.lua"),
            Script::Sweep => with_prelude!("sweep.lua"),
        }
    }

    /// Its place in [`Script::ALL`].
    pub(super) fn index(self) -> usize {
        self as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::redis::keys::PREFIX;
    use crate::broker::redis::FANOUT_CHANNEL;

    const PRELUDE: &str = include_str!("scripts/prelude.lua");

    #[test]
    fn every_script_starts_with_the_prelude_and_is_listed_in_its_place() {
        for (index, script) in Script::ALL.into_iter().enumerate() {
            assert!(script.source().starts_with(PRELUDE), "{script:?}");
            assert_eq!(script.index(), index);
        }
    }

    #[test]
    fn the_fanout_channel_is_under_the_prefix() {
        assert!(FANOUT_CHANNEL.starts_with(PREFIX));
    }
}
