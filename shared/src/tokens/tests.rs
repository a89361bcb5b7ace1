use super::*;

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const OTHER_KEY: &str = "HxwdHhsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";

fn account(id: &str) -> AccountId {
    AccountId::parse(id).expect("digits")
}

fn tokens() -> AccountTokens {
    AccountTokens {
        token: "4337869213-AbCdEfGhIjKlMnOp".into(),
        token_secret: "s3cr3t-token-secret".into(),
    }
}

#[test]
fn sealed_tokens_hide_the_values_and_open_to_the_same_tokens() {
    let sealer = TokenSealer::from_base64_key(KEY).unwrap();
    let sealed = sealer.seal(&account("10"), &tokens()).unwrap();
    assert!(sealed.token.starts_with(PREFIX), "{}", sealed.token);
    assert!(sealed.token_secret.starts_with(PREFIX));
    assert!(!sealed.token.contains("AbCdEf") && !sealed.token_secret.contains("s3cr3t"));
    assert_eq!(sealer.open(&account("10"), &sealed).unwrap(), tokens());
}

#[test]
fn when_sealed_tokens_are_required_plaintext_ones_are_refused() {
    let plain = tokens();
    // By default (migration) plaintext still opens.
    let lenient = TokenSealer::from_base64_key(KEY).unwrap();
    assert_eq!(lenient.open(&account("10"), &plain).unwrap(), plain);
    let strict = lenient.requiring_sealed(true).unwrap();
    let err = strict.open(&account("10"), &plain).unwrap_err();
    assert!(
        matches!(err, SealError::Unsealed { field: "token", .. }),
        "{err}"
    );
    assert!(!err.to_string().contains("AbCdEf"), "{err}");
    let sealed = strict.seal(&account("10"), &plain).unwrap();
    assert_eq!(strict.open(&account("10"), &sealed).unwrap(), plain);
    // Half sealed is not sealed.
    let half = AccountTokens {
        token: sealed.token.clone(),
        token_secret: plain.token_secret.clone(),
    };
    assert!(matches!(
        strict.open(&account("10"), &half),
        Err(SealError::Unsealed {
            field: "token_secret",
            ..
        })
    ));
    assert!(matches!(
        TokenSealer::plaintext().requiring_sealed(true),
        Err(SealError::RequiredWithoutKey)
    ));
}

#[test]
fn request_secrets_are_sealed_to_their_request_token() {
    let sealer = TokenSealer::from_base64_key(KEY).unwrap();
    let sealed = sealer
        .seal_request_secret("req-1", "request-secret")
        .unwrap();
    assert!(sealed.starts_with(PREFIX) && !sealed.contains("request-secret"));
    assert_eq!(
        sealer.open_request_secret("req-1", &sealed).unwrap(),
        "request-secret"
    );
    assert_eq!(
        sealer.open_request_secret("req-2", &sealed),
        Err(SealError::PendingSignin)
    );
    assert_eq!(
        TokenSealer::plaintext().open_request_secret("req-1", &sealed),
        Err(SealError::PendingSignin)
    );
    // Without a key nothing is sealed, and an unsealed secret opens as it is.
    let plain = TokenSealer::plaintext();
    assert_eq!(
        plain
            .seal_request_secret("req-1", "request-secret")
            .unwrap(),
        "request-secret"
    );
    assert_eq!(
        sealer
            .open_request_secret("req-1", "request-secret")
            .unwrap(),
        "request-secret"
    );
}

#[test]
fn sealing_twice_gives_different_values() {
    let sealer = TokenSealer::from_base64_key(KEY).unwrap();
    let a = sealer.seal(&account("10"), &tokens()).unwrap();
    let b = sealer.seal(&account("10"), &tokens()).unwrap();
    assert_ne!(a.token, b.token, "a fresh nonce each time");
}

#[test]
fn tokens_sealed_for_one_account_do_not_open_for_another() {
    let sealer = TokenSealer::from_base64_key(KEY).unwrap();
    let sealed = sealer.seal(&account("10"), &tokens()).unwrap();
    assert_eq!(
        sealer.open(&account("11"), &sealed),
        Err(SealError::CannotOpen {
            account: "11".into(),
            field: "token"
        })
    );
    // Nor does the token open as the secret.
    let swapped = AccountTokens {
        token: sealed.token_secret.clone(),
        token_secret: sealed.token.clone(),
    };
    assert!(sealer.open(&account("10"), &swapped).is_err());
}

#[test]
fn another_key_or_an_altered_value_does_not_open() {
    let sealer = TokenSealer::from_base64_key(KEY).unwrap();
    let sealed = sealer.seal(&account("10"), &tokens()).unwrap();
    let other = TokenSealer::from_base64_key(OTHER_KEY).unwrap();
    let err = other.open(&account("10"), &sealed).unwrap_err();
    assert!(matches!(err, SealError::CannotOpen { .. }), "{err}");

    let mut altered = sealed.clone();
    let last = altered.token.pop().unwrap();
    altered.token.push(if last == 'A' { 'B' } else { 'A' });
    assert!(sealer.open(&account("10"), &altered).is_err());
    let truncated = AccountTokens {
        token: format!("{PREFIX}AAAA"),
        token_secret: sealed.token_secret,
    };
    assert!(sealer.open(&account("10"), &truncated).is_err());
}

#[test]
fn without_a_key_tokens_are_stored_as_they_are_and_sealed_ones_name_the_fix() {
    let plain = TokenSealer::plaintext();
    assert!(!plain.is_sealing());
    assert_eq!(plain.seal(&account("10"), &tokens()).unwrap(), tokens());
    let sealed = TokenSealer::from_base64_key(KEY)
        .unwrap()
        .seal(&account("10"), &tokens())
        .unwrap();
    let err = plain.open(&account("10"), &sealed).unwrap_err();
    assert!(err.to_string().contains("token_encryption_key"), "{err}");
}

#[test]
fn tokens_stored_before_a_key_was_configured_still_open() {
    let sealer = TokenSealer::from_base64_key(KEY).unwrap();
    assert_eq!(sealer.open(&account("10"), &tokens()).unwrap(), tokens());
}

#[test]
fn a_bad_key_is_refused_with_how_to_make_one_and_never_echoed() {
    for bad in ["not base64!", "AAAA", "c2hvcnQ="] {
        let err = TokenSealer::from_base64_key(bad).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("openssl rand -base64 32"), "{text}");
        assert!(!text.contains(bad), "{text}");
    }
    assert!(
        !TokenSealer::from_optional_key(Some("  "))
            .unwrap()
            .is_sealing()
    );
    assert!(!TokenSealer::from_optional_key(None).unwrap().is_sealing());
    assert!(
        TokenSealer::from_optional_key(Some(KEY))
            .unwrap()
            .is_sealing()
    );
}

#[test]
fn errors_and_debug_never_show_a_token() {
    let sealer = TokenSealer::from_base64_key(KEY).unwrap();
    assert_eq!(format!("{sealer:?}"), "TokenSealer { sealing: true }");
    let err = TokenSealer::from_base64_key(OTHER_KEY)
        .unwrap()
        .open(
            &account("10"),
            &sealer.seal(&account("10"), &tokens()).unwrap(),
        )
        .unwrap_err();
    assert!(!err.to_string().contains("s3cr3t"));
}
