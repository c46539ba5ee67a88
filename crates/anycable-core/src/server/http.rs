use std::convert::Infallible;
use std::sync::Arc;

use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, AUTHORIZATION, CONNECTION};
use hyper::{Method, Request, StatusCode};

use super::response::{owned_text, text, HttpResponse};
use super::{metrics, websocket, BroadcastAuth, Shared};
use crate::broadcast::Publication;
use crate::keys::secrets_match;

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
    if let Some(refused) = refuse_without_key(&request, shared, "HTTP broadcasts") {
        return refused;
    }
    // hyper's header timeout ends with the headers; a declared body that stalls needs its own.
    let body = Limited::new(request.into_body(), MAX_BROADCAST_BODY).collect();
    let body = match tokio::time::timeout(settings.handshake_timeout, body).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(_)) => return text(StatusCode::PAYLOAD_TOO_LARGE, "Broadcast body is too large"),
        Err(_) => {
            let mut response = text(StatusCode::REQUEST_TIMEOUT, "Broadcast body timed out");
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
                    text(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "Redis is unavailable: the broadcast was not registered",
                    )
                }
            }
        }
        Err(error) => {
            shared.failed_broadcasts.inc();
            owned_text(StatusCode::UNPROCESSABLE_ENTITY, error.to_string())
        }
    }
}

/// `GET <metricsPath>` on the public port: behind the broadcast key, like `/_broadcast`.
fn metrics_on_main_port(request: &Request<Incoming>, shared: &Shared) -> HttpResponse {
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return text(StatusCode::METHOD_NOT_ALLOWED, "Metrics are read with GET");
    }
    refuse_without_key(request, shared, "Metrics on the public port")
        .unwrap_or_else(|| metrics::response(shared))
}

/// The 401 for a request that does not present the broadcast key (`Authorization: Bearer
/// <key>`), or `None` when it may go on. Without a key only public mode lets requests in.
fn refuse_without_key(
    request: &Request<Incoming>,
    shared: &Shared,
    what: &str,
) -> Option<HttpResponse> {
    match &shared.settings.broadcast_auth {
        BroadcastAuth::Key(key) => {
            let presented = request
                .headers()
                .get(AUTHORIZATION)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.strip_prefix("Bearer "))
                .unwrap_or("");
            (!secrets_match(presented.as_bytes(), key.as_bytes()))
                .then(|| text(StatusCode::UNAUTHORIZED, "Unauthorized"))
        }
        BroadcastAuth::Open => None,
        // Refuse to run an unauthenticated endpoint unless public mode says so.
        BroadcastAuth::Disabled => Some(owned_text(
            StatusCode::UNAUTHORIZED,
            format!("{what} need a secret or broadcast key"),
        )),
    }
}
