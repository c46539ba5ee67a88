//! Why an option was refused. Its own module, depending on nothing, so every component that
//! checks an option can return it without depending on `config`.

use std::fmt;

/// An option that cannot work, with the option's name in the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}
