//! Node.js bindings for `anycable-core`. Each module converts JS values, calls the core and maps
//! its errors; no token, signing or protocol logic lives here.

// `cargo test` builds this crate without napi's export registration, so everything looks unused.
#![cfg_attr(test, allow(dead_code))]
// Every `unsafe` block says why it holds.
#![deny(clippy::undocumented_unsafe_blocks)]

mod application;
mod bound_fn;
mod errors;
mod js_string;
mod keys;
mod lifecycle;
mod logger;
mod one_off;
mod server;
mod streams;
mod token;
