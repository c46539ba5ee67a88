//! Plain-text HTTP responses, shared by the routes (`http.rs`) and the WebSocket upgrade
//! (`websocket.rs`) so neither has to reach into the other.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::CONTENT_TYPE;
use hyper::{Response, StatusCode};

/// Every response the server writes: a fully buffered body.
pub(super) type HttpResponse = Response<Full<Bytes>>;

/// A `text/plain` response with a fixed body.
pub(super) fn text(status: StatusCode, body: &'static str) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        "text/plain; charset=utf-8".parse().expect("valid header"),
    );
    response
}

/// A `text/plain` response whose body is built at run time (e.g. a validation error).
pub(super) fn owned_text(status: StatusCode, body: String) -> HttpResponse {
    let mut response = text(status, "");
    *response.body_mut() = Full::new(Bytes::from(body));
    response
}
