//! [`ApiVersion`]: which X API dmbot speaks (`TWITTER_API`).
//!
//! - `v1.1` (the default): the Account Activity API and the v1.1 DM endpoints, with quick
//!   replies, buttons, custom profiles, welcome messages, typing and read receipts. In 2026 these
//!   are sold on X's Enterprise tier only.
//! - `v2`: what a self-serve (Pay-Per-Use) business buys: v2 webhooks, the X Activity API (or the
//!   Account Activity API v2) for delivery, v2 DMs (text and one attachment) and v2 media. One
//!   base URL, `https://api.x.com`, for everything.
//!
//! The webhook accepts both delivery formats whatever this says; it decides how replies are
//! rendered and sent and which endpoints the operator commands call.

use std::fmt;

use super::ConfigError;
use super::vars;

/// Which X API dmbot speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ApiVersion {
    #[default]
    V1_1,
    V2,
}

/// The v2 API's one base URL (media included).
pub const V2_BASE_URL: &str = "https://api.x.com";

impl ApiVersion {
    /// Reads `v1.1` or `v2` (also `1.1`, `2`; case-insensitive, spaces trimmed).
    pub fn parse(value: &str) -> Result<Self, ConfigError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "v1.1" | "1.1" => Ok(Self::V1_1),
            "v2" | "2" => Ok(Self::V2),
            other => Err(ConfigError::Invalid {
                var: vars::API,
                reason: format!(
                    "{:?} is not an X API version: use v1.1 (Enterprise: Account Activity API, \
                     quick replies and buttons) or v2 (self-serve: X Activity API, v2 DMs)",
                    other.chars().take(20).collect::<String>()
                ),
            }),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::V1_1 => "v1.1",
            Self::V2 => "v2",
        }
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_versions_parse_in_their_usual_spellings() {
        for v in ["v1.1", "1.1", " V1.1 "] {
            assert_eq!(ApiVersion::parse(v).unwrap(), ApiVersion::V1_1, "{v}");
        }
        for v in ["v2", "2", "V2"] {
            assert_eq!(ApiVersion::parse(v).unwrap(), ApiVersion::V2, "{v}");
        }
        assert_eq!(ApiVersion::default(), ApiVersion::V1_1);
    }

    #[test]
    fn anything_else_is_refused_with_the_choices() {
        let error = ApiVersion::parse("v3").unwrap_err().to_string();
        assert!(error.contains("TWITTER_API"), "{error}");
        assert!(error.contains("v1.1") && error.contains("v2"), "{error}");
    }
}
