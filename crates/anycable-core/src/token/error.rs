use std::fmt;

/// Why a token was refused. The two variants are the two reasons an AnyCable server sends
/// on the wire: `token_expired` (the client may refresh its token) and `unauthorized`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Correctly signed, but `now >= exp`.
    Expired,
    /// Anything else; the payload says what exactly.
    Unauthorized(Invalid),
}

/// What made a token unauthorized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    TooLong,
    Malformed,
    UnsupportedAlgorithm,
    BadSignature,
    NotYetValid,
    MissingExt,
    ExtNotString,
    BadTimeClaim,
}

impl TokenError {
    /// The wire reason: `"token_expired"` or `"unauthorized"`.
    pub fn code(&self) -> &'static str {
        match self {
            TokenError::Expired => "token_expired",
            TokenError::Unauthorized(_) => "unauthorized",
        }
    }
}

impl From<Invalid> for TokenError {
    fn from(why: Invalid) -> Self {
        TokenError::Unauthorized(why)
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenError::Expired => f.write_str("token has expired"),
            TokenError::Unauthorized(why) => why.fmt(f),
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Invalid::TooLong => "token is longer than 8 KiB",
            Invalid::Malformed => "token is malformed (expected three base64url segments of JSON)",
            Invalid::UnsupportedAlgorithm => "token algorithm is not HS256, HS384 or HS512",
            Invalid::BadSignature => "token signature does not match",
            Invalid::NotYetValid => "token is not valid yet (nbf is in the future)",
            Invalid::MissingExt => "token has no ext claim",
            Invalid::ExtNotString => "token ext claim is not a string",
            Invalid::BadTimeClaim => "token exp or nbf claim is not a number",
        })
    }
}

impl std::error::Error for TokenError {}
