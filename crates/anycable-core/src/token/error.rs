use std::fmt;

use super::Algorithm;

/// Why a token was refused. Each variant has one of the two reasons an AnyCable server sends on
/// the wire ([`TokenError::reason`]): `token_expired` (the client may refresh its token) or
/// `unauthorized`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Correctly signed, but `now >= exp`.
    Expired,
    /// Correctly signed, but issued longer ago than the maximum age (jose's `maxTokenAge`).
    TooOld,
    /// Anything else; the payload says what exactly.
    Unauthorized(Invalid),
}

/// What made a token unauthorized.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    TooLong,
    /// Not a compact JWS: segments, header or base64url.
    Malformed,
    /// The header has no `alg` string.
    MissingAlgorithm,
    /// The header's `crit` names an extension this verifier does not implement.
    UnknownCritical,
    /// Correctly signed, but the payload is not one JSON object.
    MalformedClaims,
    /// An algorithm outside the verifier's list: `only` the one allowed, or `None` for HS256,
    /// HS384 and HS512.
    AlgorithmNotAllowed {
        only: Option<Algorithm>,
    },
    /// An algorithm other than HS256, HS384 and HS512 where no list restricts it (jose's
    /// `jwtVerify` without `algorithms`, which cannot use an HMAC secret for it).
    UnsupportedAlgorithm,
    BadSignature,
    NotYetValid,
    MissingExt,
    ExtNotString,
    /// `iat` is required (a maximum age applies) but absent.
    MissingIat,
    /// `iat` is after now, where a maximum age applies.
    IssuedInFuture,
    /// The named time claim (`exp`, `nbf` or `iat`) is present but not a number.
    BadTimeClaim(&'static str),
}

impl TokenError {
    /// The wire reason: `"token_expired"` or `"unauthorized"`.
    pub fn reason(&self) -> &'static str {
        match self {
            TokenError::Expired | TokenError::TooOld => "token_expired",
            TokenError::Unauthorized(_) => "unauthorized",
        }
    }

    /// The `code` jose 4 (which `@anycable/serverless-js` verifies with) gives the same token, so
    /// callers that test `error.code` keep working after swapping the import.
    pub fn jose_code(&self) -> &'static str {
        match self {
            TokenError::Expired | TokenError::TooOld => "ERR_JWT_EXPIRED",
            TokenError::Unauthorized(why) => why.jose_code(),
        }
    }
}

impl Invalid {
    fn jose_code(&self) -> &'static str {
        match self {
            // jose has no length limit; an over-long token is refused as an invalid JWS.
            Invalid::TooLong | Invalid::Malformed | Invalid::MissingAlgorithm => "ERR_JWS_INVALID",
            Invalid::AlgorithmNotAllowed { .. } => "ERR_JOSE_ALG_NOT_ALLOWED",
            Invalid::UnsupportedAlgorithm | Invalid::UnknownCritical => "ERR_JOSE_NOT_SUPPORTED",
            Invalid::BadSignature => "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
            Invalid::MalformedClaims => "ERR_JWT_INVALID",
            Invalid::NotYetValid
            | Invalid::MissingExt
            | Invalid::ExtNotString
            | Invalid::MissingIat
            | Invalid::IssuedInFuture
            | Invalid::BadTimeClaim(_) => "ERR_JWT_CLAIM_VALIDATION_FAILED",
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
            TokenError::TooOld => {
                f.write_str("token is older than the ttl (iat too far in the past)")
            }
            TokenError::Unauthorized(why) => why.fmt(f),
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Invalid::AlgorithmNotAllowed { only: Some(only) } => {
                return write!(f, "token algorithm is not {only}");
            }
            Invalid::BadTimeClaim(claim) => {
                return write!(f, "token {claim} claim is not a number")
            }
            Invalid::TooLong => "token is longer than 8 KiB",
            Invalid::Malformed => "token is malformed (expected three base64url segments of JSON)",
            Invalid::MissingAlgorithm => "token header has no alg",
            Invalid::UnknownCritical => {
                "token header's crit names an extension this verifier does not support"
            }
            Invalid::MalformedClaims => "token claims are not a JSON object",
            Invalid::AlgorithmNotAllowed { only: None } | Invalid::UnsupportedAlgorithm => {
                "token algorithm is not HS256, HS384 or HS512"
            }
            Invalid::BadSignature => "token signature does not match",
            Invalid::NotYetValid => "token is not valid yet (nbf is in the future)",
            Invalid::MissingExt => "token has no ext claim",
            Invalid::ExtNotString => "token ext claim is not a string",
            Invalid::MissingIat => "token has no iat claim, which a maximum age requires",
            Invalid::IssuedInFuture => "token iat claim is in the future",
        };
        f.write_str(text)
    }
}

impl std::error::Error for TokenError {}
