//! A sealed value, `sealed:v1:<base64 of nonce and ciphertext>`, and what it is bound to
//! (its account and field, or its request token).

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::SealError;
use crate::domain::AccountId;
/// What a sealed value starts with.
pub(super) const PREFIX: &str = "sealed:v1:";
const NONCE_LEN: usize = 12;

/// Opens `stored` (a sealed value, or one stored before sealing, returned as it is) with `aad`;
/// `None` when it does not open.
pub(super) fn open_with(cipher: &Aes256Gcm, aad: &str, stored: &str) -> Option<String> {
    let Some(sealed) = stored.strip_prefix(PREFIX) else {
        return Some(stored.to_string());
    };
    let bytes = STANDARD.decode(sealed).ok()?;
    if bytes.len() < NONCE_LEN {
        return None;
    }
    let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
    let plain = cipher
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: aad.as_bytes(),
            },
        )
        .ok()?;
    String::from_utf8(plain).ok()
}

/// What a sealed request token secret is bound to: its request token.
pub(super) fn request_secret_aad(request_token: &str) -> String {
    format!("dmbot-signin-request-secret:v1:{request_token}")
}

/// What a sealed value is bound to: the account and the field.
pub(super) fn associated_data(account: &AccountId, field: &str) -> String {
    format!("dmbot-account-token:v1:{account}:{field}")
}

pub(super) fn seal_field(
    cipher: &Aes256Gcm,
    account: &AccountId,
    field: &'static str,
    value: &str,
) -> Result<String, SealError> {
    seal_with(cipher, &associated_data(account, field), value).ok_or_else(|| {
        SealError::SealFailed {
            account: account.to_string(),
            field,
        }
    })
}

/// `sealed:v1:<base64 of nonce and ciphertext>` of `value`, bound to `aad`.
pub(super) fn seal_with(cipher: &Aes256Gcm, aad: &str, value: &str) -> Option<String> {
    // A fresh random nonce per value: 96 bits from a CSPRNG, never reused in practice.
    let nonce: [u8; NONCE_LEN] = rand::random();
    let ciphertext = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: value.as_bytes(),
                aad: aad.as_bytes(),
            },
        )
        .ok()?;
    let mut bytes = Vec::with_capacity(NONCE_LEN + ciphertext.len());
    bytes.extend_from_slice(&nonce);
    bytes.extend_from_slice(&ciphertext);
    Some(format!("{PREFIX}{}", STANDARD.encode(bytes)))
}
