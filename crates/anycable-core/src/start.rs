//! Starting a [`CableServer`] from the user's options: `config` resolves them into the server's
//! settings, then the server runs with those. Apart from `server` so that the server depends on
//! its settings only, not on the options (`config` builds the settings, so depends on `server`).

use std::sync::Arc;

use crate::config::Config;
use crate::rpc::Transport;
use crate::server::{CableServer, ServerError};

impl CableServer {
    /// Binds and starts serving on the current tokio runtime.
    pub async fn start(config: Config) -> Result<CableServer, ServerError> {
        CableServer::start_with(config, None).await
    }

    /// Like [`CableServer::start`], with application channels served through an in-process transport.
    pub async fn start_with(
        config: Config,
        application: Option<Arc<dyn Transport>>,
    ) -> Result<CableServer, ServerError> {
        CableServer::serve(config.resolve_with(application)?).await
    }
}
