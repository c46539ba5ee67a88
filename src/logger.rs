use std::sync::Arc;

use anycable_core::{LogSink, Logger, Record};
use napi::bindgen_prelude::{FnArgs, Function};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Result, Status};

/// `emit(level, message, fields)`, made in `lib/server.js` around the app's `logger`: `fields`
/// alternates names and values. It catches what the logger throws, so a call never throws.
pub type Emit<'env> = Function<'env, FnArgs<(&'static str, String, Vec<String>)>, ()>;

/// Events waiting for Node's event loop; beyond this they are dropped rather than held (a
/// blocked event loop must not grow the server's memory without bound).
const QUEUE: usize = 16_384;

type EmitTsfn = ThreadsafeFunction<
    FnArgs<(&'static str, String, Vec<String>)>,
    (),
    FnArgs<(&'static str, String, Vec<String>)>,
    Status,
    false,
    true,
    QUEUE,
>;

/// Logs through the app's logger from any thread: each event is queued onto Node's event loop
/// without waiting (a tokio worker never blocks on JS). Weak: it does not keep Node alive. Once
/// Node is shutting down, events are dropped.
struct JsLogSink {
    emit: EmitTsfn,
}

impl LogSink for JsLogSink {
    fn write(&self, record: &Record<'_>) {
        let fields = record
            .fields
            .iter()
            .flat_map(|(name, value)| [(*name).to_owned(), value.clone()])
            .collect();
        let args = FnArgs::from((record.level.as_str(), record.message.to_owned(), fields));
        // A full queue or a closing Node drops the event: logging never stops the server.
        let _ = self
            .emit
            .call(args, ThreadsafeFunctionCallMode::NonBlocking);
    }
}

/// The core's `logger` for `emit`.
pub fn js_logger(emit: &Emit) -> Result<Logger> {
    let emit = emit
        .build_threadsafe_function()
        .callee_handled::<false>()
        .weak::<true>()
        .max_queue_size::<QUEUE>()
        .build()?;
    Ok(Logger(Arc::new(JsLogSink { emit })))
}
