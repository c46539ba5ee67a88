//! The broker's command connection: one multiplexed connection shared by every call, each call
//! under a deadline. While it is down calls fail at once with `Unavailable`, and a background task
//! reconnects with backoff, loads the scripts again and reads the new run id.
//!
//! The run id (from `INFO server`) travels with the connection it was read on, so a call always
//! hands its script the id of the Redis process that runs it: a stale one would make the epoch
//! flap between two values.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use redis::aio::MultiplexedConnection;
use redis::{ErrorKind, ServerErrorKind};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::scripts::Script;
use crate::broker::BrokerError;
use crate::log::log;
use crate::redis_link::{
    within, Backoff, Failure, Link, Outage, RedisHealth, CONNECT_DEADLINE, PING_EVERY,
    REPLY_DEADLINE,
};

/// A connection that works, and what was read on it.
#[derive(Clone)]
struct Live {
    connection: MultiplexedConnection,
    /// The Redis process's `run_id`.
    run_id: Arc<str>,
    /// Tells this connection from the ones before and after it.
    generation: u64,
}

#[derive(Default)]
struct State {
    live: Option<Live>,
    /// The last generation given.
    generation: u64,
    /// Why the last connection was given up, for the outage log line.
    lost_because: &'static str,
}

struct Shared {
    client: redis::Client,
    health: Arc<RedisHealth>,
    state: Mutex<State>,
    /// The SHA-1 of each script, in [`Script::ALL`] order (the same on every Redis).
    shas: Vec<String>,
    /// Wakes the reconnecting task when a call finds the connection broken.
    lost: Notify,
}

/// Commands and scripts to Redis for the broker.
pub(super) struct CommandLink {
    shared: Arc<Shared>,
    keeper: JoinHandle<()>,
}

/// How a single attempt at a command went wrong.
enum Attempt {
    /// Redis no longer has the script (restarted, or `SCRIPT FLUSH`).
    NoScript,
    Failed,
}

impl CommandLink {
    /// Connects, reads the run id and loads every script, failing fast when Redis cannot be
    /// reached; then keeps the connection up until dropped.
    pub(super) async fn connect(
        client: redis::Client,
        health: Arc<RedisHealth>,
    ) -> Result<CommandLink, Failure> {
        let (connection, run_id, shas) = open(&client).await?;
        let shared = Arc::new(Shared {
            client,
            health,
            state: Mutex::new(State {
                live: Some(Live {
                    connection,
                    run_id,
                    generation: 1,
                }),
                generation: 1,
                lost_because: "",
            }),
            shas,
            lost: Notify::new(),
        });
        let keeper = tokio::spawn(keep_up(Arc::clone(&shared)));
        Ok(CommandLink { shared, keeper })
    }

    /// EVALSHA (reloading the script once on NOSCRIPT); `args` gets the run id of the connection
    /// used.
    pub(super) async fn eval(
        &self,
        script: Script,
        keys: Vec<Vec<u8>>,
        args: impl FnOnce(&str) -> Vec<Vec<u8>> + Send,
    ) -> Result<redis::Value, BrokerError> {
        let live = self.shared.live()?;
        let mut command = redis::cmd("EVALSHA");
        command
            .arg(&self.shared.shas[script.index()])
            .arg(keys.len());
        for key in &keys {
            command.arg(key.as_slice());
        }
        for arg in args(&live.run_id) {
            command.arg(arg);
        }
        match self.shared.attempt(&live, &command).await {
            Err(Attempt::NoScript) => {
                let mut load = redis::cmd("SCRIPT");
                load.arg("LOAD").arg(script.source());
                match self.shared.attempt(&live, &load).await {
                    Ok(_) => self.shared.attempt(&live, &command).await,
                    Err(_) => Err(Attempt::Failed),
                }
            }
            done => done,
        }
        .map_err(|_| BrokerError::Unavailable)
    }

    /// One command, as is.
    pub(super) async fn query(&self, command: redis::Cmd) -> Result<redis::Value, BrokerError> {
        let live = self.shared.live()?;
        self.shared
            .attempt(&live, &command)
            .await
            .map_err(|_| BrokerError::Unavailable)
    }
}

impl Drop for CommandLink {
    fn drop(&mut self) {
        self.keeper.abort();
    }
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        // The state is replaced whole, so a panic elsewhere cannot leave it half-written.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn live(&self) -> Result<Live, BrokerError> {
        self.state().live.clone().ok_or(BrokerError::Unavailable)
    }

    /// Runs `command` once on `live`. A connection failure or a missed deadline gives the
    /// connection up; an error reply (a script error, `BUSY`, `LOADING`) fails only this call.
    async fn attempt(&self, live: &Live, command: &redis::Cmd) -> Result<redis::Value, Attempt> {
        let mut connection = live.connection.clone();
        match within(REPLY_DEADLINE, command.query_async(&mut connection)).await {
            Ok(value) => Ok(value),
            Err(Failure::Error(error))
                if error.kind() == ErrorKind::Server(ServerErrorKind::NoScript) =>
            {
                Err(Attempt::NoScript)
            }
            Err(Failure::Error(error))
                if matches!(error.kind(), ErrorKind::Server(_) | ErrorKind::Extension) =>
            {
                log!(
                    self.health.log(),
                    Warn,
                    "a Redis broker command failed",
                    error = error
                );
                Err(Attempt::Failed)
            }
            Err(failure) => {
                self.give_up(live.generation, failure.reason());
                Err(Attempt::Failed)
            }
        }
    }

    /// Marks connection `generation` down (unless a newer one replaced it already).
    fn give_up(&self, generation: u64, why: &'static str) {
        let mut state = self.state();
        if state
            .live
            .as_ref()
            .is_some_and(|live| live.generation == generation)
        {
            state.live = None;
            state.lost_because = why;
            self.health.set_up(Link::BrokerCommands, false);
            self.lost.notify_one();
        }
    }
}

/// Opens a connection, reads the run id from `INFO server` and loads every script.
async fn open(
    client: &redis::Client,
) -> Result<(MultiplexedConnection, Arc<str>, Vec<String>), Failure> {
    // Our own deadlines apply; the crate's response timeout would race them.
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(None)
        .set_response_timeout(None);
    let mut connection = within(
        CONNECT_DEADLINE,
        client.get_multiplexed_async_connection_with_config(&config),
    )
    .await?;
    let info: String = within(
        REPLY_DEADLINE,
        redis::cmd("INFO")
            .arg("server")
            .query_async(&mut connection),
    )
    .await?;
    let run_id = run_id(&info).ok_or_else(|| {
        Failure::Error(redis::RedisError::from((
            ErrorKind::Parse,
            "INFO server has no run_id",
        )))
    })?;
    let mut shas = Vec::with_capacity(Script::ALL.len());
    for script in Script::ALL {
        let mut load = redis::cmd("SCRIPT");
        load.arg("LOAD").arg(script.source());
        shas.push(within(REPLY_DEADLINE, load.query_async(&mut connection)).await?);
    }
    Ok((connection, Arc::from(run_id), shas))
}

/// The `run_id:` line of `INFO server`.
fn run_id(info: &str) -> Option<&str> {
    info.lines()
        .find_map(|line| line.strip_prefix("run_id:"))
        .map(str::trim)
        .filter(|id| !id.is_empty())
}

/// Pings the live connection every second (a stall shows within 3 s) and, once it is lost,
/// reconnects with backoff.
async fn keep_up(shared: Arc<Shared>) {
    let mut outage = Outage::new("broker command", &shared.health);
    let mut backoff = Backoff::default();
    loop {
        let current = shared.state().live.clone();
        match current {
            Some(live) => {
                tokio::select! {
                    _ = tokio::time::sleep(PING_EVERY) => {}
                    _ = shared.lost.notified() => continue,
                }
                let mut connection = live.connection.clone();
                let ping = redis::cmd("PING");
                if let Err(failure) =
                    within(REPLY_DEADLINE, ping.query_async::<()>(&mut connection)).await
                {
                    shared.give_up(live.generation, failure.reason());
                }
            }
            None => {
                outage.begin(shared.state().lost_because);
                match open(&shared.client).await {
                    Ok((connection, run_id, _)) => {
                        let mut state = shared.state();
                        state.generation += 1;
                        state.live = Some(Live {
                            connection,
                            run_id,
                            generation: state.generation,
                        });
                        drop(state);
                        shared.health.set_up(Link::BrokerCommands, true);
                        outage.end();
                        backoff.reset();
                    }
                    Err(_) => tokio::time::sleep(backoff.next_delay()).await,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_id_is_read_from_info_server() {
        let info = "# Server\r\nredis_version:7.0.15\r\nrun_id:3f9c0a\r\ntcp_port:6379\r\n";
        assert_eq!(run_id(info), Some("3f9c0a"));
        assert_eq!(run_id("# Server\r\nrun_id:\r\n"), None);
        assert_eq!(run_id(""), None);
    }
}
