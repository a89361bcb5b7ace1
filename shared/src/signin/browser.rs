//! What sign-in reads from and leaves in the browser: the query's parameters and the random
//! `state` cookie that binds a callback to the browser that started the sign-in.

use super::STATE_COOKIE;
use crate::ingest::edge::{self, Request};

/// A random `state` value: 32 bytes, hex.
pub fn random_state() -> String {
    let bytes: [u8; 32] = rand::random();
    crate::flow::hex(&bytes)
}

pub fn state_cookie(value: &str, max_age_secs: u64) -> String {
    format!(
        "{STATE_COOKIE}={value}; Path=/auth; Max-Age={max_age_secs}; HttpOnly; Secure; SameSite=Lax"
    )
}

/// The value of the cookie `name`, from any of the request's `Cookie` headers (API Gateway's
/// HTTP API may hand them over as several).
pub fn cookie_value<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers()
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|header| header.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k.trim() == name).then_some(v.trim())
        })
}

/// The query's pairs (percent-decoded); an unparsable query has none.
pub fn query(req: &Request) -> Vec<(String, String)> {
    serde_urlencoded::from_str(edge::raw_query(req)).unwrap_or_default()
}

pub fn param<'a>(q: &'a [(String, String)], name: &str) -> Option<&'a str> {
    q.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// The longest `oauth_token` / `denied` value looked up (Twitter's are about 27 characters);
/// anything longer is junk and never reaches the store.
pub const MAX_REQUEST_TOKEN_LEN: usize = 200;

#[cfg(test)]
mod tests {
    use super::*;

    fn with_cookies(cookies: &[&str]) -> Request {
        let mut b = http::Request::get("/auth/callback");
        for c in cookies {
            b = b.header("cookie", *c);
        }
        b.body(bytes::Bytes::new()).unwrap()
    }

    #[test]
    fn the_state_cookie_is_found_among_other_cookies() {
        let req = with_cookies(&["a=1; dmbot_signin_state=abc123 ; b=2"]);
        assert_eq!(cookie_value(&req, STATE_COOKIE), Some("abc123"));
        let req = with_cookies(&["xdmbot_signin_state=evil"]);
        assert_eq!(cookie_value(&req, STATE_COOKIE), None);
        let req = with_cookies(&["a=1", "dmbot_signin_state=second-header"]);
        assert_eq!(cookie_value(&req, STATE_COOKIE), Some("second-header"));
    }

    #[test]
    fn state_values_are_random_and_long() {
        let a = random_state();
        let b = random_state();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }
}
