//! AnyCable RPC request and response bodies (the JSON of RPC-over-HTTP and serverless-js).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// What the application knows of the connection.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Env {
    pub url: String,
    pub headers: HashMap<String, String>,
    /// Connection state the application set (`cstate`), sent back with every call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cstate: Option<HashMap<String, String>>,
    /// Per-channel state (`istate`), keyed by identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub istate: Option<HashMap<String, String>>,
}

/// State changes an application returns.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EnvResponse {
    #[serde(default)]
    pub cstate: Option<HashMap<String, String>>,
    #[serde(default)]
    pub istate: Option<HashMap<String, String>>,
}

impl Env {
    /// Applies the state an application returned.
    pub fn merge(&mut self, changes: Option<EnvResponse>) {
        let Some(changes) = changes else { return };
        if let Some(cstate) = changes.cstate {
            self.cstate.get_or_insert_with(HashMap::new).extend(cstate);
        }
        if let Some(istate) = changes.istate {
            self.istate.get_or_insert_with(HashMap::new).extend(istate);
        }
    }
}

/// 0 ERROR (the application failed), 1 SUCCESS, 2 FAILURE (the application refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(from = "i64")]
pub enum Status {
    Error,
    Success,
    Failure,
}

impl From<i64> for Status {
    fn from(code: i64) -> Self {
        match code {
            1 => Status::Success,
            2 => Status::Failure,
            _ => Status::Error,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ConnectRequest {
    pub env: Env,
}

#[derive(Debug, Deserialize)]
pub struct ConnectResponse {
    pub status: Status,
    #[serde(default)]
    pub identifiers: Option<String>,
    #[serde(default)]
    pub transmissions: Option<Vec<String>>,
    #[serde(default)]
    pub error_msg: Option<String>,
    #[serde(default)]
    pub env: Option<EnvResponse>,
}

#[derive(Debug, Serialize)]
pub struct CommandRequest {
    pub command: String,
    pub identifier: String,
    pub connection_identifiers: String,
    pub data: Option<String>,
    pub env: Env,
}

#[derive(Debug, Deserialize)]
pub struct CommandResponse {
    pub status: Status,
    #[serde(default)]
    pub disconnect: bool,
    #[serde(default)]
    pub stop_streams: bool,
    #[serde(default)]
    pub streams: Option<Vec<String>>,
    #[serde(default)]
    pub stopped_streams: Option<Vec<String>>,
    #[serde(default)]
    pub transmissions: Option<Vec<String>>,
    #[serde(default)]
    pub error_msg: Option<String>,
    #[serde(default)]
    pub env: Option<EnvResponse>,
}

#[derive(Debug, Serialize)]
pub struct DisconnectRequest {
    pub identifiers: String,
    pub subscriptions: Vec<String>,
    pub env: Env,
}

#[derive(Debug, Deserialize)]
pub struct DisconnectResponse {
    pub status: Status,
    #[serde(default)]
    pub error_msg: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_parse_with_nulls_and_missing_fields() {
        let response: CommandResponse = serde_json::from_str(
            r#"{"status":1,"disconnect":false,"stop_streams":false,"streams":["room:1"],"stopped_streams":null,
                "transmissions":["{\"type\":\"confirm_subscription\"}"],"error_msg":"","env":{"cstate":null,"istate":{"id":"{}"}}}"#,
        )
        .unwrap();
        assert_eq!(response.status, Status::Success);
        assert_eq!(response.streams.unwrap(), ["room:1"]);
        let minimal: ConnectResponse = serde_json::from_str(r#"{"status":2}"#).unwrap();
        assert_eq!(minimal.status, Status::Failure);
        let odd: DisconnectResponse = serde_json::from_str(r#"{"status":7}"#).unwrap();
        assert_eq!(odd.status, Status::Error);
    }

    #[test]
    fn env_state_merges_and_serialises_only_when_present() {
        let mut env = Env {
            url: "ws://x/cable".into(),
            ..Env::default()
        };
        assert_eq!(
            serde_json::to_value(&env).unwrap(),
            serde_json::json!({"url": "ws://x/cable", "headers": {}})
        );
        env.merge(Some(EnvResponse {
            cstate: Some([("a".into(), "1".into())].into()),
            istate: None,
        }));
        env.merge(Some(EnvResponse {
            cstate: Some([("b".into(), "2".into())].into()),
            istate: None,
        }));
        assert_eq!(env.cstate.unwrap().len(), 2);
    }
}
