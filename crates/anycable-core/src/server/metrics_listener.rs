//! `metricsPort`: the metrics on a listener of their own, answering only `GET <metricsPath>`,
//! without authentication (as the reference serves them: keep that port private).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

use super::response::text;
use super::{bind_error_for, listen, metrics, ServerError, ServerSettings, Shared};

/// Binds the metrics' own listener when they have one (before anything else starts, so a taken
/// port leaves nothing running); returns it and the metrics URL (`main` is the main listener's
/// address, for metrics served there).
pub(super) async fn bind(
    settings: &ServerSettings,
    main: SocketAddr,
) -> Result<(Option<TcpListener>, Option<String>), ServerError> {
    let Some(endpoint) = &settings.metrics else {
        return Ok((None, None));
    };
    let Some((host, port)) = &endpoint.listener else {
        return Ok((None, Some(format!("http://{main}{}", endpoint.path))));
    };
    let bind_error = bind_error_for(host, *port);
    let listener = listen(host, *port).await.map_err(&bind_error)?;
    let address = listener.local_addr().map_err(bind_error)?;
    Ok((
        Some(listener),
        Some(format!("http://{address}{}", endpoint.path)),
    ))
}

/// Answers scrapes until aborted with the server.
pub(super) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        // A failed accept (out of descriptors) is retried by the next scrape.
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let service = service_fn(|request: hyper::Request<hyper::body::Incoming>| {
                let path = shared.settings.metrics.as_ref().map(|m| m.path.as_str());
                let response = if Some(request.uri().path()) != path {
                    text(StatusCode::NOT_FOUND, "Not found")
                } else if matches!(*request.method(), Method::GET | Method::HEAD) {
                    metrics::response(&shared)
                } else {
                    text(StatusCode::METHOD_NOT_ALLOWED, "Metrics are read with GET")
                };
                async { Ok::<_, Infallible>(response) }
            });
            // One request per connection, bounded in time: nothing outlives the server for long.
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .keep_alive(false)
                .header_read_timeout(shared.settings.handshake_timeout)
                .serve_connection(TokioIo::new(stream), service);
            let _ = tokio::time::timeout(shared.settings.handshake_timeout, connection).await;
        });
    }
}
