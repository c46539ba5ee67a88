use std::fmt;
use std::str::FromStr;

/// The HMAC algorithms AnyCable tokens may be signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Algorithm {
    #[default]
    HS256,
    HS384,
    HS512,
}

impl Algorithm {
    pub const ALL: [Algorithm; 3] = [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512];

    /// The JOSE `alg` header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::HS256 => "HS256",
            Algorithm::HS384 => "HS384",
            Algorithm::HS512 => "HS512",
        }
    }
}

impl FromStr for Algorithm {
    type Err = ();

    fn from_str(name: &str) -> Result<Self, ()> {
        Algorithm::ALL
            .into_iter()
            .find(|alg| alg.as_str() == name)
            .ok_or(())
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_hmac_names() {
        assert_eq!("HS384".parse(), Ok(Algorithm::HS384));
        for name in ["none", "RS256", "hs256", "HS256 ", ""] {
            assert_eq!(name.parse::<Algorithm>(), Err(()), "{name:?}");
        }
    }
}
