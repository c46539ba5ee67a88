use std::convert::Infallible;
use std::sync::Arc;

use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, AUTHORIZATION, CONNECTION};
use hyper::{Method, Request, StatusCode};

use super::response::{owned_text, text, HttpResponse};
use super::{metrics, websocket, BroadcastAuth, ServerSettings, Shared};
use crate::broadcast::Publication;
use crate::keys::secrets_match;
use crate::log::log;

/// Largest broadcast request body accepted.
const MAX_BROADCAST_BODY: usize = 16 * 1024 * 1024;

pub(super) async fn route(
    request: Request<Incoming>,
    shared: Arc<Shared>,
) -> Result<HttpResponse, Infallible> {
    let settings = &shared.settings;
    let path = request.uri().path();
    Ok(if path == settings.path {
        websocket::upgrade(request, &shared)
    } else if path == settings.health_path
        && matches!(*request.method(), Method::GET | Method::HEAD)
    {
        text(StatusCode::OK, "OK")
    } else if path == settings.broadcast_path {
        broadcast(request, &shared).await
    } else if settings
        .metrics
        .as_ref()
        .is_some_and(|metrics| metrics.listener.is_none() && metrics.path == path)
    {
        metrics_on_main_port(&request, &shared)
    } else {
        text(StatusCode::NOT_FOUND, "Not found")
    })
}

/// `POST /_broadcast`: AnyCable's HTTP broadcast endpoint, as serverless-js `broadcaster` calls it.
async fn broadcast(request: Request<Incoming>, shared: &Shared) -> HttpResponse {
    let settings = &shared.settings;
    if request.method() != Method::POST {
        return text(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Broadcasts must be POST requests",
        );
    }
    if let Some((status, why)) = refusal_without_key(
        &request,
        settings,
        "HTTP broadcasts need a secret or broadcast key",
    ) {
        return refused(settings, status, why);
    }
    // hyper's header timeout ends with the headers; a declared body that stalls needs its own.
    let body = Limited::new(request.into_body(), MAX_BROADCAST_BODY).collect();
    let body = match tokio::time::timeout(settings.handshake_timeout, body).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(_)) => {
            return refused(
                settings,
                StatusCode::PAYLOAD_TOO_LARGE,
                "Broadcast body is too large",
            )
        }
        Err(_) => {
            let mut response = refused(
                settings,
                StatusCode::REQUEST_TIMEOUT,
                "Broadcast body timed out",
            );
            // The rest of the body may still come; the connection cannot be reused.
            response
                .headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
    };
    match Publication::parse_batch(&body) {
        Ok(batch) => {
            let count = batch.len();
            match shared.dispatcher.publish_confirmed(batch).await {
                Ok(()) => text(StatusCode::CREATED, ""),
                Err(_) => {
                    if let Some(health) = &shared.redis_health {
                        health.count_refused(count);
                    }
                    log!(
                        settings.log,
                        Error,
                        "an HTTP broadcast was refused: Redis could not register it",
                        publications = count,
                    );
                    text(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "Redis is unavailable: the broadcast was not registered",
                    )
                }
            }
        }
        Err(error) => {
            shared.failed_broadcasts.inc();
            let why = error.to_string();
            log!(
                settings.log,
                Warn,
                "an HTTP broadcast was refused",
                status = StatusCode::UNPROCESSABLE_ENTITY.as_u16(),
                why = why,
            );
            owned_text(StatusCode::UNPROCESSABLE_ENTITY, why)
        }
    }
}

/// `GET <metricsPath>` on the public port: behind the broadcast key, like `/_broadcast`.
fn metrics_on_main_port(request: &Request<Incoming>, shared: &Shared) -> HttpResponse {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return text(StatusCode::METHOD_NOT_ALLOWED, "Metrics are read with GET");
    }
    match refusal_without_key(
        request,
        &shared.settings,
        "Metrics on the public port need a secret or broadcast key",
    ) {
        Some((status, why)) => text(status, why),
        None => metrics::response(shared),
    }
}

/// Why a request that does not present the broadcast key (`Authorization: Bearer <key>`) is
/// refused, or `None` when it may go on. Without a key only public mode lets it in; otherwise
/// it is refused as `unkeyed` says.
fn refusal_without_key(
    request: &Request<Incoming>,
    settings: &ServerSettings,
    unkeyed: &'static str,
) -> Option<(StatusCode, &'static str)> {
    match &settings.broadcast_auth {
        BroadcastAuth::Key(key) => {
            let presented = request
                .headers()
                .get(AUTHORIZATION)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.strip_prefix("Bearer "))
                .unwrap_or("");
            (!secrets_match(presented.as_bytes(), key.as_bytes()))
                .then_some((StatusCode::UNAUTHORIZED, "Unauthorized"))
        }
        BroadcastAuth::Open => None,
        // Refuse to run an unauthenticated endpoint unless public mode says so.
        BroadcastAuth::Disabled => Some((StatusCode::UNAUTHORIZED, unkeyed)),
    }
}

/// A broadcast request refused before its body was read: the answer, and a line at `warn`
/// (without what the request presented as its key).
fn refused(settings: &ServerSettings, status: StatusCode, why: &'static str) -> HttpResponse {
    log!(
        settings.log,
        Warn,
        "an HTTP broadcast was refused",
        status = status.as_u16(),
        why = why,
    );
    text(status, why)
}
