use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE};
use hyper::Request;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::{CallFuture, Method, RpcError, Transport};

/// The largest RPC response read: 4 MiB, like gRPC's default message limit. A longer body fails the
/// call like an HTTP error, so a broken or hostile endpoint cannot grow memory without bound.
pub const MAX_RPC_RESPONSE_BYTES: usize = 4 << 20;

/// AnyCable RPC over HTTP: `POST {host}/connect|command|disconnect` with JSON bodies, the session id
/// in `x-anycable-meta-sid`, and `Authorization: Bearer <rpc key>` when a secret is configured.
pub(crate) struct HttpTransport {
    base: String,
    authorization: Option<String>,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl HttpTransport {
    /// `host` is the endpoint's base URL, such as `http://localhost:3000/api/anycable`.
    pub(crate) fn new(host: &str, rpc_key: Option<String>) -> Result<HttpTransport, RpcError> {
        if !host.starts_with("http://") {
            return Err(RpcError(format!(
                "rpcHost must be an http:// URL, got {host:?}"
            )));
        }
        Ok(HttpTransport {
            base: host.trim_end_matches('/').to_owned(),
            authorization: rpc_key.map(|key| format!("Bearer {key}")),
            client: Client::builder(TokioExecutor::new()).build_http(),
        })
    }
}

impl Transport for HttpTransport {
    fn call(&self, method: Method, sid: &str, request: String) -> CallFuture {
        let mut builder = Request::post(format!("{}/{}", self.base, method.as_str()))
            .header(CONTENT_TYPE, "application/json")
            .header("x-anycable-meta-sid", sid);
        if let Some(authorization) = &self.authorization {
            builder = builder.header(AUTHORIZATION, authorization);
        }
        let request = builder.body(Full::new(Bytes::from(request)));
        let client = self.client.clone();
        Box::pin(async move {
            let request =
                request.map_err(|error| RpcError(format!("invalid RPC request: {error}")))?;
            let response = client
                .request(request)
                .await
                .map_err(|error| RpcError(format!("RPC {} failed: {error}", method.as_str())))?;
            let status = response.status();
            let body = Limited::new(response.into_body(), MAX_RPC_RESPONSE_BYTES)
                .collect()
                .await
                .map_err(|error| RpcError(format!("RPC {} body: {error}", method.as_str())))?
                .to_bytes();
            if !status.is_success() {
                return Err(RpcError(format!(
                    "RPC {} answered HTTP {status}",
                    method.as_str()
                )));
            }
            String::from_utf8(body.to_vec())
                .map_err(|_| RpcError("RPC response is not UTF-8".into()))
        })
    }
}
