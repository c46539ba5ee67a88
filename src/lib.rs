//! Node.js bindings for `anycable-core`. Each module converts JS values, calls the core and maps
//! its errors; no token, signing or protocol logic lives here.

mod application;
mod bound_fn;
mod errors;
mod js_string;
mod keys;
mod server;
mod streams;
mod token;
