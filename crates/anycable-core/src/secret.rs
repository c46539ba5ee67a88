use std::fmt;

/// A secret was empty. Every HMAC in AnyCable needs a real key: an empty one lets anyone forge
/// tokens, signed stream names and broadcast keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmptySecret;

impl fmt::Display for EmptySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("secret must be a non-empty string")
    }
}

impl std::error::Error for EmptySecret {}
