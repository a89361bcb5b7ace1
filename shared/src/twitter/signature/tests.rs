use super::*;
use proptest::prelude::*;

const FIXTURE_SECRET: &str = "fixture-consumer-secret";

#[test]
fn signs_twitters_form_encoded_test_vector() {
    assert_eq!(
        WebhookSecret::new("test").sign(b"test=1&other_test=2"),
        "sha256=25Cu3iwbbiqBTwQRzcKJZwisjf736V2Q8UaTlkfLSoc="
    );
}

#[test]
fn signs_twitters_json_test_vector() {
    assert_eq!(
        WebhookSecret::new("test").sign(br#"{"test_number":1,"test_string":"two"}"#),
        "sha256=YWHphPn/JFq43jkF0y4/w8R/SelmLjvpunhVFY8JhlI="
    );
}

#[test]
fn crc_answer_for_the_fixture_token_matches_the_fixtures_readme() {
    assert_eq!(
        crc_response_token(
            FIXTURE_SECRET,
            &CrcToken::parse("cOXDuZN0ngs0hP4OEB9sC0jYjNHxBbyjJ5fpAh3pzWs=").unwrap()
        ),
        "sha256=csVzm5ramL8kQHmchJuir2bLUcQ/rl3P9DOMmRYuI7o="
    );
}

#[test]
fn when_signature_matches_the_test_vector_should_verify() {
    let r = verify_signature(
        "test",
        Some("sha256=YWHphPn/JFq43jkF0y4/w8R/SelmLjvpunhVFY8JhlI="),
        br#"{"test_number":1,"test_string":"two"}"#,
    );
    assert_eq!(r, Ok(()));
}

#[test]
fn when_fixture_post_body_is_signed_with_fixture_secret_should_verify() {
    let event: serde_json::Value = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/apigw_webhook_post.json"
    )))
    .unwrap();
    let body = event["body"].as_str().unwrap();
    let header = event["headers"][SIGNATURE_HEADER].as_str();
    assert_eq!(
        WebhookSecret::new(FIXTURE_SECRET).verify_body(header, body.as_bytes()),
        Ok(())
    );
    assert_eq!(
        WebhookSecret::new("another-secret").verify_body(header, body.as_bytes()),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn when_header_is_missing_or_blank_should_say_missing() {
    let s = WebhookSecret::new("test");
    assert_eq!(s.verify_body(None, b"x"), Err(SignatureError::Missing));
    assert_eq!(
        s.verify_body(Some("  "), b"x"),
        Err(SignatureError::Missing)
    );
}

#[test]
fn when_header_has_no_equals_sign_should_say_malformed() {
    let r = WebhookSecret::new("test").verify_body(Some("sha256"), b"x");
    assert!(matches!(r, Err(SignatureError::Malformed { .. })), "{r:?}");
}

#[test]
fn when_header_value_is_not_base64_should_say_malformed() {
    let r = WebhookSecret::new("test").verify_body(
        Some("sha256=!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!="),
        b"x",
    );
    assert!(matches!(r, Err(SignatureError::Malformed { .. })), "{r:?}");
}

#[test]
fn when_header_value_has_the_wrong_length_should_say_malformed() {
    let r = WebhookSecret::new("test").verify_body(Some("sha256=AAAA"), b"x");
    assert!(matches!(r, Err(SignatureError::Malformed { .. })), "{r:?}");
}

#[test]
fn when_header_names_sha1_should_say_unsupported_algorithm() {
    let r = WebhookSecret::new("test").verify_body(
        Some("sha1=YWHphPn/JFq43jkF0y4/w8R/SelmLjvpunhVFY8JhlI="),
        br#"{"test_number":1,"test_string":"two"}"#,
    );
    assert_eq!(
        r,
        Err(SignatureError::UnsupportedAlgorithm {
            algorithm: "sha1".to_string()
        })
    );
}

#[test]
fn surrounding_whitespace_is_trimmed_but_the_algorithm_name_is_exact() {
    let body = br#"{"test_number":1,"test_string":"two"}"#;
    let s = WebhookSecret::new("test");
    let r = s.verify_body(
        Some(" sha256=YWHphPn/JFq43jkF0y4/w8R/SelmLjvpunhVFY8JhlI= "),
        body,
    );
    assert_eq!(r, Ok(()));
    let r = s.verify_body(
        Some("SHA256=YWHphPn/JFq43jkF0y4/w8R/SelmLjvpunhVFY8JhlI="),
        body,
    );
    assert!(
        matches!(r, Err(SignatureError::UnsupportedAlgorithm { .. })),
        "{r:?}"
    );
}

#[test]
fn crc_query_signature_covers_the_raw_query_string() {
    let s = WebhookSecret::new(FIXTURE_SECRET);
    let query = "crc_token=cOXDuZN0ngs0hP4OEB9sC0jYjNHxBbyjJ5fpAh3pzWs%3D&nonce=MTUxOTIzNjM5NTk1NQ";
    let header = s.sign(query.as_bytes());
    assert_eq!(s.verify_crc_query(Some(&header), query), Ok(()));
    assert_eq!(
        s.verify_crc_query(Some(&header), "crc_token=other&nonce=MTUxOTIzNjM5NTk1NQ"),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        s.verify_crc_query(None, query),
        Err(SignatureError::Missing)
    );
}

#[test]
fn debug_output_does_not_show_the_secret() {
    let shown = format!("{:?}", WebhookSecret::new("hunter2-secret"));
    assert!(!shown.contains("hunter2"), "{shown}");
}

proptest! {
    #[test]
    fn any_change_to_the_body_is_rejected(
        body in proptest::collection::vec(any::<u8>(), 1..512),
        index in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let s = WebhookSecret::new(FIXTURE_SECRET);
        let header = s.sign(&body);
        let mut altered = body.clone();
        let i = index.index(altered.len());
        altered[i] ^= flip;
        prop_assert_eq!(s.verify_body(Some(&header), &body), Ok(()));
        prop_assert_eq!(s.verify_body(Some(&header), &altered), Err(SignatureError::Mismatch));
    }

    #[test]
    fn a_truncated_or_extended_body_is_rejected(
        body in proptest::collection::vec(any::<u8>(), 1..512),
        cut in any::<prop::sample::Index>(),
        extra in proptest::collection::vec(any::<u8>(), 1..16),
    ) {
        let s = WebhookSecret::new(FIXTURE_SECRET);
        let header = s.sign(&body);
        let truncated = &body[..cut.index(body.len())];
        prop_assert_eq!(s.verify_body(Some(&header), truncated), Err(SignatureError::Mismatch));
        let mut extended = body.clone();
        extended.extend_from_slice(&extra);
        prop_assert_eq!(s.verify_body(Some(&header), &extended), Err(SignatureError::Mismatch));
    }

    #[test]
    fn any_change_to_the_signature_is_rejected(
        body in proptest::collection::vec(any::<u8>(), 0..512),
        index in any::<prop::sample::Index>(),
        replacement in proptest::char::range('!', '~'),
    ) {
        let s = WebhookSecret::new(FIXTURE_SECRET);
        let header = s.sign(&body);
        let i = index.index(header.len());
        prop_assume!(header.as_bytes()[i] != replacement as u8);
        // Base64 has spare bits in its last character; the decoder refuses non-canonical
        // encodings, so no other spelling of the same tag gets through.
        let mut altered = header.clone().into_bytes();
        altered[i] = replacement as u8;
        let altered = String::from_utf8(altered).unwrap();
        prop_assert!(s.verify_body(Some(&altered), &body).is_err(), "accepted {altered}");
    }

    #[test]
    fn arbitrary_headers_never_panic(header in ".{0,80}", body in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = WebhookSecret::new(FIXTURE_SECRET).verify_body(Some(&header), &body);
    }
}
