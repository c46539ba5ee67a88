//! The floor row of `npm run bench:server`: the least CPU a server can spend delivering the
//! generator's broadcasts to N loopback sockets. One thread, blocking std sockets, no runtime and
//! no queues: each client is upgraded, welcomed and subscribed in turn, and each POST to
//! `/_broadcast` is written, pre-framed, to every subscribed socket with one `write` each.
//!
//! Listens on 127.0.0.1:`PORT` (0: any), checks the broadcast key derived from `SECRET` and signed
//! stream names as the contenders do, and prints `listening <port>` when ready.

// Every `unsafe` block says why it holds.
#![deny(clippy::undocumented_unsafe_blocks)]

mod frame;
mod handshake;
mod http;
mod subscribers;

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::time::Duration;

use anycable_core::{broadcast_key, secrets_match, StreamSigner};
use serde::Deserialize;

use subscribers::Subscribers;

/// How long one client's handshake or one write may block the single thread.
const SOCKET_TIMEOUT: Duration = Duration::from_secs(5);
/// Pending connections the kernel queues, as anycable-rs's listener (the avalanche has 500 in
/// flight; std's default of 128 would make SYNs retransmit).
const BACKLOG: libc::c_int = 4096;

/// One broadcast as the HTTP endpoint takes it.
#[derive(Deserialize)]
struct Publication {
    stream: String,
    data: String,
}

/// A POST body: one publication or an array of them.
#[derive(Deserialize)]
#[serde(untagged)]
enum Publications {
    One(Publication),
    Many(Vec<Publication>),
}

struct Floor {
    signer: StreamSigner,
    broadcast_key: String,
    subscribers: Subscribers,
    sessions: u64,
}

fn main() {
    let secret = std::env::var("SECRET").unwrap_or_default();
    let port: u16 = match std::env::var("PORT").map(|p| p.parse()) {
        Err(_) => 0,
        Ok(Ok(port)) => port,
        Ok(Err(_)) => exit("PORT must be a port number"),
    };
    let Ok(signer) = StreamSigner::new(secret.as_bytes()) else {
        exit("SECRET must be set (the contenders' secret)");
    };
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap_or_else(|e| exit(&e.to_string()));
    // SAFETY: listen() on a socket that is already listening only changes its backlog.
    if unsafe { libc::listen(listener.as_raw_fd(), BACKLOG) } != 0 {
        exit(&io::Error::last_os_error().to_string());
    }
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(port);
    println!("listening {port}");

    let mut floor = Floor {
        signer,
        broadcast_key: broadcast_key(secret.as_bytes()),
        subscribers: Subscribers::new(),
        sessions: 0,
    };
    for socket in listener.incoming() {
        let served = socket.and_then(|socket| floor.serve(socket));
        if let Err(error) = served {
            eprintln!("floor: {error}");
        }
    }
}

fn exit(message: &str) -> ! {
    eprintln!("floor: {message}");
    std::process::exit(2)
}

impl Floor {
    /// One accepted connection: a client's upgrade and subscription, or a broadcast.
    fn serve(&mut self, mut socket: TcpStream) -> io::Result<()> {
        socket.set_read_timeout(Some(SOCKET_TIMEOUT))?;
        socket.set_write_timeout(Some(SOCKET_TIMEOUT))?;
        socket.set_nodelay(true)?;
        let request = http::read_request(&mut socket)?;
        match (request.method.as_str(), request.path.as_str()) {
            ("POST", "/_broadcast") => {
                let status = self.broadcast(&request);
                write!(
                    socket,
                    "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                )
            }
            ("GET", _) => {
                self.sessions += 1;
                let subscription =
                    handshake::subscribe(&mut socket, &request, &self.signer, self.sessions)?;
                self.subscribers
                    .add(subscription.stream, subscription.identifier, socket);
                Ok(())
            }
            _ => socket.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
        }
    }

    /// Fans out an authorised POST's publications; returns the HTTP status line's code and text.
    fn broadcast(&mut self, request: &http::Request) -> &'static str {
        let presented = request
            .header("authorization")
            .and_then(|value| value.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !secrets_match(presented.as_bytes(), self.broadcast_key.as_bytes()) {
            return "401 Unauthorized";
        }
        let publications = match serde_json::from_slice(&request.body) {
            Ok(Publications::One(one)) => vec![one],
            Ok(Publications::Many(many)) => many,
            Err(_) => return "422 Unprocessable Entity",
        };
        for publication in publications {
            self.subscribers
                .broadcast(&publication.stream, &publication.data);
        }
        "201 Created"
    }
}
