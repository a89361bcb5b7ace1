//! The OAuth 1.0a verifier, written here from RFC 5849 and Twitter's docs, independently of the
//! code under test: the request's protocol fields, timestamp window, token, signature and nonce,
//! checked with its own percent-encoding, `Authorization` header parsing, base string and parameter
//! sorting (only HMAC-SHA1 and base64 come from the `hmac`/`sha1`/`base64` crates). Never use
//! the signer from `dmbot-shared` here: a verifier that shares the signer's code shares its bugs.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};

use super::auth::{AuthSeen, Caller, Need};
use super::reply::{Reply, bad_auth, error};
use super::request::Call;
use super::state::{Shared, now_secs};

/// How long an OAuth timestamp may be away from the server's clock (Twitter allows a few
/// minutes; beyond that it answers code 32/135).
pub const TIMESTAMP_TOLERANCE_SECS: u64 = 300;

/// RFC 3986 unreserved characters pass; every other byte becomes `%XX` in upper-case hex.
pub(crate) fn pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes (`Authorization` header fields, Basic credentials); `None` for a bad
/// escape or bytes that are not UTF-8.
pub(crate) fn unpct(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The fields of `Authorization: OAuth k="v", ...`, decoded.
pub(crate) fn parse_oauth_header(h: &str) -> Option<BTreeMap<String, String>> {
    let rest = h.strip_prefix("OAuth ")?;
    let mut out = BTreeMap::new();
    for part in rest.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (k, v) = part.split_once('=')?;
        let v = v.strip_prefix('"')?.strip_suffix('"')?;
        if out.insert(unpct(k.trim())?, unpct(v)?).is_some() {
            return None;
        }
    }
    Some(out)
}

fn hmac_sha1_b64(key: &str, msg: &str) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(msg.as_bytes());
    B64.encode(mac.finalize().into_bytes())
}

/// The signature RFC 5849 §3.4 gives for this request.
pub(crate) fn expected_signature(
    method: &str,
    base_url: &str,
    params: &[(String, String)],
    consumer_secret: &str,
    token_secret: &str,
) -> String {
    let mut encoded: Vec<(String, String)> = params.iter().map(|(k, v)| (pct(k), pct(v))).collect();
    encoded.sort();
    let normalized = encoded
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let base = format!("{method}&{}&{}", pct(base_url), pct(&normalized));
    hmac_sha1_b64(
        &format!("{}&{}", pct(consumer_secret), pct(token_secret)),
        &base,
    )
}

/// OAuth 1.0a: protocol fields, the timestamp window, the token and its secret, the signature
/// over query + form-body + `oauth_*` parameters, the nonce, and the owner check.
pub(crate) fn verify(
    shared: &Shared,
    call: &Call,
    oauth: BTreeMap<String, String>,
    need: Need,
) -> (AuthSeen, Result<Caller, Reply>) {
    let token = oauth.get("oauth_token").cloned();
    let fail = |token: Option<String>| {
        (
            AuthSeen::OAuth {
                token,
                valid: false,
            },
            Err(bad_auth()),
        )
    };
    let unknown_token = |token: Option<String>| {
        (
            AuthSeen::OAuth {
                token,
                valid: false,
            },
            Err(error(401, 89, "Invalid or expired token.")),
        )
    };

    let mut s = shared.lock();
    // Protocol fields.
    if oauth.get("oauth_signature_method").map(String::as_str) != Some("HMAC-SHA1")
        || oauth.get("oauth_version").is_some_and(|v| v != "1.0")
        || oauth.get("oauth_consumer_key") != Some(&s.app.consumer_key)
    {
        return fail(token);
    }
    let (Some(nonce), Some(timestamp)) = (oauth.get("oauth_nonce"), oauth.get("oauth_timestamp"))
    else {
        return fail(token);
    };
    let Ok(ts) = timestamp.parse::<u64>() else {
        return fail(token);
    };
    if ts.abs_diff(now_secs()) > TIMESTAMP_TOLERANCE_SECS {
        return fail(token);
    }

    // Which token, and its secret.
    let mut caller = Caller::default();
    let token_secret = match (need, &token) {
        (Need::ConsumerOnly, None) => String::new(),
        (Need::RequestToken, Some(t)) => match s.request_tokens.get(t) {
            Some(rt) => {
                caller.request_token = Some(t.clone());
                rt.secret.clone()
            }
            None => return unknown_token(token),
        },
        (Need::User | Need::Owner | Need::OwnerOrBearer | Need::UserOrBearer, Some(t)) => {
            match s.accounts.iter().find(|a| &a.token == t) {
                Some(a) => {
                    caller.account = Some(a.clone());
                    a.token_secret.clone()
                }
                None => return unknown_token(token),
            }
        }
        _ => return fail(token),
    };

    // The signature, over query + form-body + oauth_* parameters (never the JSON or multipart
    // body), with the URL the request was sent to.
    let Some(host) = call.headers.get("host").and_then(|h| h.to_str().ok()) else {
        return fail(token);
    };
    let base_url = format!("http://{}{}", host.to_ascii_lowercase(), call.path);
    let mut params: Vec<(String, String)> = oauth
        .iter()
        .filter(|(k, _)| k.as_str() != "oauth_signature" && k.as_str() != "realm")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    params.extend(call.query.iter().cloned());
    params.extend(call.form.iter().cloned());
    let expected = expected_signature(
        call.method.as_str(),
        &base_url,
        &params,
        &s.app.consumer_secret,
        &token_secret,
    );
    if oauth.get("oauth_signature") != Some(&expected) {
        return fail(token);
    }
    if !s.nonces.insert((nonce.clone(), timestamp.clone())) {
        return fail(token);
    }
    let owner_id = s.accounts[0].user_id.clone();
    drop(s);
    if need == Need::Owner && caller.account.as_ref().map(|a| &a.user_id) != Some(&owner_id) {
        return (
            AuthSeen::OAuth { token, valid: true },
            Err(error(403, 200, "Forbidden.")),
        );
    }
    caller.oauth = oauth;
    (AuthSeen::OAuth { token, valid: true }, Ok(caller))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_signature_reproduces_twitters_worked_example() {
        let params: Vec<(String, String)> = [
            ("include_entities", "true"),
            (
                "status",
                "Hello Ladies + Gentlemen, a signed OAuth request!",
            ),
            ("oauth_consumer_key", "xvz1evFS4wEEPTGEFPHBog"),
            ("oauth_nonce", "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "1318622958"),
            (
                "oauth_token",
                "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
            ),
            ("oauth_version", "1.0"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(
            expected_signature(
                "POST",
                "https://api.twitter.com/1.1/statuses/update.json",
                &params,
                "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
                "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"
            ),
            "hCtSmYh+iHYCEqBWrE7C7hYmtUk="
        );
    }
}
