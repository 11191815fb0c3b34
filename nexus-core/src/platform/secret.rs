//! Credentials that never show: `Debug` and `Display` print `[redacted]`, and the value is
//! zeroized on drop (secrecy).

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

/// A credential (API key, secret, token, password).
///
/// Its value is only read where a request is signed; everywhere else (logs, errors,
/// `Debug` output of connectors and their builders) it prints as `[redacted]`.
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(SecretString::from(value.into()))
    }

    /// The credential, for signing a request. Keep the result out of anything that is
    /// logged or returned.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// True when the credential is empty or whitespace.
    pub fn is_blank(&self) -> bool {
        self.expose().trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret::new(s)
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("cs_live_abcdef");
        assert_eq!(format!("{s:?} {s}"), "[redacted] [redacted]");
        assert_eq!(s.expose(), "cs_live_abcdef");
        assert!(Secret::new("  ").is_blank());
    }
}
