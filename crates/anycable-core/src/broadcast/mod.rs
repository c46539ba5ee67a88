//! Broadcasts: publications from Node, HTTP and (later) Redis, parsed and validated once.

mod publication;

pub use publication::{Publication, PublicationError};
