use std::sync::Arc;

use anycable_core::{CallFuture, Method, RpcError, Transport};
use napi::bindgen_prelude::{FnArgs, Function, Promise};
use napi::threadsafe_function::ThreadsafeFunction;
use napi::{Result, Status};

/// `dispatch(method, sid, requestJson) => Promise<responseJson>`, made in `lib/application.js`
/// around a serverless-js `Application`.
pub type Dispatch<'env> = Function<'env, FnArgs<(String, String, String)>, Promise<String>>;

type DispatchTsfn = ThreadsafeFunction<
    FnArgs<(String, String, String)>,
    Promise<String>,
    FnArgs<(String, String, String)>,
    Status,
    false,
    true,
>;

/// Calls into the JS application from any thread: each call is queued onto Node's event loop
/// and its Promise awaited, so the Rust side never blocks. Weak: it does not keep Node alive.
pub struct JsTransport {
    dispatch: Arc<DispatchTsfn>,
}

impl JsTransport {
    pub fn new(dispatch: &Dispatch) -> Result<JsTransport> {
        let dispatch = dispatch
            .build_threadsafe_function()
            .callee_handled::<false>()
            .weak::<true>()
            .build()?;
        Ok(JsTransport {
            dispatch: Arc::new(dispatch),
        })
    }
}

impl Transport for JsTransport {
    fn call(&self, method: Method, sid: &str, request: String) -> CallFuture {
        let dispatch = Arc::clone(&self.dispatch);
        let args = FnArgs::from((method.as_str().to_owned(), sid.to_owned(), request));
        Box::pin(async move {
            // call_async_catch: a throw in JS becomes an error here rather than ending the process.
            let promise = dispatch.call_async_catch(args).await.map_err(|error| {
                RpcError(format!("application {}: {}", method.as_str(), error.reason))
            })?;
            promise.await.map_err(|error| {
                RpcError(format!("application {}: {}", method.as_str(), error.reason))
            })
        })
    }
}
