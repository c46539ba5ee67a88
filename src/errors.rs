use napi::{Error, Status};

/// An argument the JS layer should have refused; `index.js` rethrows these as `TypeError`.
pub fn invalid_arg(message: impl std::fmt::Display) -> Error {
    Error::new(Status::InvalidArg, message.to_string())
}
