//! Verification by jose 4's rules (`jwtVerify`), as `@anycable/serverless-js` applies them, so
//! the same token gets the same verdict and jose's error code here.

use super::claims::ReceivedClaims;
use super::clock::precise_unix_now;
use super::{Algorithm, Identificator, Invalid, TokenError, Ttl};

/// The `jwtVerify` options serverless-js passes: `algorithms` and `maxTokenAge`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JoseRules {
    /// The one algorithm allowed; `None` for no list (HS256, HS384 and HS512 verify).
    pub only: Option<Algorithm>,
    /// `iat` is then required, not in the future, and at most this old.
    pub max_age: Option<Ttl>,
}

impl JoseRules {
    /// serverless-js's `verify`: any HMAC algorithm, issued at most `ttl` ago.
    pub fn max_age(ttl: Ttl) -> JoseRules {
        JoseRules {
            only: None,
            max_age: Some(ttl),
        }
    }

    /// serverless-js's `verifyAndFetch`: HS256 only, no maximum age.
    pub const HS256_ONLY: JoseRules = JoseRules {
        only: Some(Algorithm::HS256),
        max_age: None,
    };
}

/// Which `alg` values verify, and what any other is.
#[derive(Debug, Clone, Copy)]
pub(super) enum AlgorithmList {
    /// AnyCable's: the HMAC algorithms; any other is not allowed.
    Hmac,
    /// jose's with `algorithms: [only]`.
    Only(Algorithm),
    /// jose's without `algorithms`: the HMAC algorithms verify with a secret, any other is
    /// unsupported (jose throws a TypeError without a code for an asymmetric one).
    Unlisted,
}

impl AlgorithmList {
    /// `alg` (`None`: a name other than HS256, HS384 and HS512) if this list accepts it.
    pub(super) fn check(self, alg: Option<Algorithm>) -> Result<Algorithm, Invalid> {
        match (self, alg) {
            (AlgorithmList::Hmac | AlgorithmList::Unlisted, Some(alg)) => Ok(alg),
            (AlgorithmList::Only(only), Some(alg)) if alg == only => Ok(alg),
            (AlgorithmList::Only(only), _) => {
                Err(Invalid::AlgorithmNotAllowed { only: Some(only) })
            }
            (AlgorithmList::Hmac, None) => Err(Invalid::AlgorithmNotAllowed { only: None }),
            (AlgorithmList::Unlisted, None) => Err(Invalid::UnsupportedAlgorithm),
        }
    }
}

impl Identificator {
    /// A token's `ext` by jose's rules: `Ok(None)` when it is valid but its `ext` is absent or
    /// not a string (jose does not look at `ext`).
    pub fn verify_as_jose(
        &self,
        token: &str,
        rules: JoseRules,
    ) -> Result<Option<String>, TokenError> {
        self.verify_as_jose_reusing(token, rules, String::new())
    }

    /// As `verify_as_jose`, decoding `ext` into `buffer`'s allocation (see `verify_reusing`).
    pub fn verify_as_jose_reusing(
        &self,
        token: &str,
        rules: JoseRules,
        buffer: String,
    ) -> Result<Option<String>, TokenError> {
        // The precise clock, as jose reads `Date.now()`: the coarse one lags by up to a scheduler
        // tick, and a token issued in the second that just began would look issued in the future.
        self.verify_as_jose_at(token, rules, precise_unix_now() as f64, buffer)
    }

    /// Verification by jose's rules as of `now` (whole seconds since the epoch, as jose's clock).
    pub fn verify_as_jose_at(
        &self,
        token: &str,
        rules: JoseRules,
        now: f64,
        buffer: String,
    ) -> Result<Option<String>, TokenError> {
        let algorithms = rules
            .only
            .map_or(AlgorithmList::Unlisted, AlgorithmList::Only);
        let claims = self.signed_claims(token, algorithms, buffer)?;
        check_claims(&claims, rules, now)?;
        Ok(claims.into_ext_string())
    }
}

/// jose's claim checks, in its order: `iat` present (with a maximum age) and a number, `nbf`,
/// `exp`, then the age.
fn check_claims(claims: &ReceivedClaims, rules: JoseRules, now: f64) -> Result<(), TokenError> {
    let iat = claims.issued_at()?;
    if rules.max_age.is_some() && iat.is_none() {
        return Err(Invalid::MissingIat.into());
    }
    if let Some(nbf) = claims.not_before()? {
        if nbf > now {
            return Err(Invalid::NotYetValid.into());
        }
    }
    if let Some(exp) = claims.expires_at()? {
        if exp <= now {
            return Err(TokenError::Expired);
        }
    }
    if let (Some(max_age), Some(iat)) = (rules.max_age, iat) {
        let age = now - iat;
        if age > max_age.seconds() as f64 {
            return Err(TokenError::TooOld);
        }
        if age < 0.0 {
            return Err(Invalid::IssuedInFuture.into());
        }
    }
    Ok(())
}
