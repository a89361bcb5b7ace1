//! OAuth 1.0a, written here from RFC 5849 and Twitter's docs, independently of the code under
//! test: its own percent-encoding, `Authorization` header parsing, base string and parameter
//! sorting (only HMAC-SHA1 and base64 come from the `hmac`/`sha1`/`base64` crates). Never use
//! the signer from `dmbot-shared` here: a verifier that shares the signer's code shares its bugs.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};

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
