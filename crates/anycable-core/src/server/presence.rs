//! `server.presence(stream)`: who is on a stream, read from the broker, for the host application.

use std::fmt;

use super::CableServer;

/// Who is present on a stream: one record per presence id, whatever the number of its sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamPresence {
    pub records: Vec<PresentId>,
}

impl StreamPresence {
    /// How many ids are present.
    pub fn total(&self) -> usize {
        self.records.len()
    }
}

/// One present id and the info it joined with (JSON text, as the client sent it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentId {
    pub id: String,
    pub info: Option<String>,
}

/// Why presence could not be read: no broker (`broker: "none"`), or the broker failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceUnavailable(pub String);

impl fmt::Display for PresenceUnavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PresenceUnavailable {}

impl CableServer {
    /// Who is present on `stream`, in no particular order.
    pub async fn presence(&self, stream: &str) -> Result<StreamPresence, PresenceUnavailable> {
        let Some(broker) = &self.shared.broker else {
            return Err(PresenceUnavailable(
                "presence needs a broker (the broker option is \"none\")".into(),
            ));
        };
        let info = broker
            .presence(stream)
            .await
            .map_err(|error| PresenceUnavailable(error.to_string()))?;
        Ok(StreamPresence {
            records: info
                .records
                .into_iter()
                .map(|record| PresentId {
                    id: record.id.to_string(),
                    info: record.info.map(|info| info.to_string()),
                })
                .collect(),
        })
    }
}
