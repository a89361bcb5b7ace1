//! Sign-in invites: the operator's permission for one business account to connect.
//!
//! `dmbot auth invite` makes a random token (256 bits from the OS's CSPRNG, base64url without
//! padding: 43 characters) and prints the link `<public URL of /auth/start>?invite=<token>`.
//! Only the token's SHA-256 (its [`InviteId`], 64 hex digits) is stored, with an expiry and an
//! optional note, so someone who can read the table cannot rebuild a link. `GET /auth/start`
//! refuses any request whose invite is malformed, unknown, expired, revoked or used before it
//! calls Twitter or writes anything; the callback consumes the invite atomically once the account
//! is connected, so one invite connects one account (an abandoned sign-in can be started again
//! with the same link until it expires).
//!
//! A plain hash suffices (no salt, no slow KDF): the token is 256 random bits, not a password.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The query parameter of `/auth/start` that carries the token.
pub const INVITE_PARAM: &str = "invite";
/// How long an invite is valid by default: 7 days.
pub const DEFAULT_INVITE_TTL_MS: u64 = 7 * 24 * 3600 * 1000;
/// The longest validity `dmbot auth invite --ttl` accepts: 30 days.
pub const MAX_INVITE_TTL_MS: u64 = 30 * 24 * 3600 * 1000;

/// Length of a token: 32 bytes in base64url without padding.
const TOKEN_LEN: usize = 43;

/// The secret part of an invite link. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct InviteToken(String);

impl fmt::Debug for InviteToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InviteToken(<redacted>)")
    }
}

impl InviteToken {
    /// A fresh random token.
    pub fn generate() -> Self {
        let bytes: [u8; 32] = rand::random();
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A token as it arrives in a link; `None` unless it has the shape of one we issue (so
    /// junk never reaches the store).
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = raw.len() == TOKEN_LEN
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && URL_SAFE_NO_PAD.decode(raw).is_ok_and(|b| b.len() == 32);
        ok.then(|| Self(raw.to_string()))
    }

    /// What the store keeps: the token's SHA-256.
    pub fn id(&self) -> InviteId {
        InviteId(crate::flow::hex(&Sha256::digest(self.0.as_bytes())))
    }

    /// The token itself, to put in the link.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `<start_url>?invite=<token>` (keeping any query `start_url` already has).
    pub fn link(&self, start_url: &url::Url) -> url::Url {
        let mut link = start_url.clone();
        link.query_pairs_mut().append_pair(INVITE_PARAM, &self.0);
        link
    }
}

/// An invite's id: the hex SHA-256 of its token. Safe to show and to log.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct InviteId(String);

impl TryFrom<String> for InviteId {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        Self::parse(&raw).ok_or_else(|| "not an invite id (64 hex digits)".to_string())
    }
}

impl From<InviteId> for String {
    fn from(id: InviteId) -> String {
        id.0
    }
}

impl InviteId {
    /// An id as stored or typed by an operator: exactly 64 lower-case hex digits.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim().to_ascii_lowercase();
        (raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit())).then_some(Self(raw))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 12 digits, to tell invites apart in lists and logs.
    pub fn short(&self) -> &str {
        &self.0[..12]
    }
}

impl fmt::Display for InviteId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses a validity like `30m`, `12h` or `7d` (a bare number is days) into ms, between one
/// minute and [`MAX_INVITE_TTL_MS`].
pub fn parse_ttl(raw: &str) -> Result<u64, String> {
    let raw = raw.trim();
    let (digits, unit_ms) = match raw.char_indices().last() {
        Some((i, 'm')) => (&raw[..i], 60_000),
        Some((i, 'h')) => (&raw[..i], 3_600_000),
        Some((i, 'd')) => (&raw[..i], 86_400_000),
        _ => (raw, 86_400_000),
    };
    let n: u64 = digits
        .trim()
        .parse()
        .map_err(|_| format!("{raw:?} is not a duration: write e.g. 30m, 12h or 7d"))?;
    let ms = n.saturating_mul(unit_ms);
    if !(60_000..=MAX_INVITE_TTL_MS).contains(&ms) {
        return Err(format!(
            "{raw:?} is out of range: an invite is valid for 1 minute up to 30 days"
        ));
    }
    Ok(ms)
}

/// `YYYY-MM-DD HH:MM UTC` for ms since the epoch (for people reading `dmbot auth invites`).
pub fn format_utc(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days, for days since 1970-01-01 (never negative here).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_parse_back_and_hash_to_their_id() {
        let a = InviteToken::generate();
        let b = InviteToken::generate();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), TOKEN_LEN);
        assert_eq!(InviteToken::parse(a.expose()), Some(a.clone()));
        assert_eq!(a.id().as_str().len(), 64);
        assert_ne!(a.id(), b.id());
        assert_eq!(InviteId::parse(a.id().as_str()), Some(a.id()));
        assert!(!format!("{a:?}").contains(a.expose()));
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let good = InviteToken::generate();
        for bad in [
            "",
            "abc",
            &good.expose()[1..],
            &format!("{}A", good.expose()),
            &good.expose().replace(|c: char| c.is_alphanumeric(), "+"),
            "{\"json\":1}",
        ] {
            assert_eq!(InviteToken::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_link_carries_the_token_as_the_invite_parameter() {
        let token = InviteToken::generate();
        let start = url::Url::parse("https://abc.example.com/auth/start").unwrap();
        let link = token.link(&start);
        assert_eq!(
            link.as_str(),
            format!(
                "https://abc.example.com/auth/start?invite={}",
                token.expose()
            )
        );
    }

    #[test]
    fn ttls_parse_with_units_and_stay_in_range() {
        assert_eq!(parse_ttl("30m"), Ok(30 * 60_000));
        assert_eq!(parse_ttl("12h"), Ok(12 * 3_600_000));
        assert_eq!(parse_ttl("7d"), Ok(DEFAULT_INVITE_TTL_MS));
        assert_eq!(parse_ttl("2"), Ok(2 * 86_400_000));
        for bad in ["0m", "31d", "abc", "h", "-1d", "99999999999999999999d"] {
            assert!(parse_ttl(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn times_are_shown_in_utc() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(1_700_000_000_000), "2023-11-14 22:13 UTC");
        assert_eq!(format_utc(951_782_400_000), "2000-02-29 00:00 UTC");
    }
}
