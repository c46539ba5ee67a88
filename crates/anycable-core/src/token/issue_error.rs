use std::fmt;

use super::identificator::MAX_TOKEN_LEN;

/// Why a token could not be issued: the caller asked for one no verifier should accept.
#[derive(Debug, Clone, PartialEq)]
pub enum IssueError {
    /// `expires_at` was not seconds since the epoch from 0 to `latest` (now + the longest ttl).
    ExpiresAt { seconds: f64, latest: u64 },
    /// The token would be `len` bytes, over [`MAX_TOKEN_LEN`], which every verifier here refuses.
    TooLong { len: usize },
}

impl fmt::Display for IssueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IssueError::ExpiresAt { seconds, latest } => write!(
                f,
                "expiresAt must be seconds since the epoch from 0 to {latest} (now + the longest ttl, about 31 years), got {seconds}"
            ),
            IssueError::TooLong { len } => write!(
                f,
                "the token would be {len} bytes, over the {MAX_TOKEN_LEN}-byte limit every verifier enforces; use shorter identifiers"
            ),
        }
    }
}

impl std::error::Error for IssueError {}
