//! The CRC answer, and that nothing it signs is a delivery the webhook accepts.

use super::*;

#[test]
fn when_crc_token_is_given_should_answer_200_with_the_hmac_of_the_decoded_token() {
    let response = handle_crc(
        &WebhookSecret::new(SECRET),
        "crc_token=cOXDuZN0ngs0hP4OEB9sC0jYjNHxBbyjJ5fpAh3pzWs%3D&nonce=MTUxOTIzNjM5NTk1NQ",
    );
    assert_eq!(response.status(), 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(
        response.body(),
        r#"{"response_token":"sha256=csVzm5ramL8kQHmchJuir2bLUcQ/rl3P9DOMmRYuI7o="}"#
    );
}

#[test]
fn crc_token_is_percent_decoded_before_hashing() {
    let secret = WebhookSecret::new(SECRET);
    let response = handle_crc(&secret, "nonce=1&crc_token=a%2Bb%2Fc%3D");
    let body: CrcResponse = serde_json::from_str(response.body()).unwrap();
    assert_eq!(body.response_token, secret.sign(b"a+b/c="));
}

#[test]
fn crc_answers_real_token_shapes_from_both_base64_alphabets() {
    let secret = WebhookSecret::new(SECRET);
    for token in [
        "cOXDuZN0ngs0hP4OEB9sC0jYjNHxBbyjJ5fpAh3pzWs=",
        "MTUxOTIzNjM5NTk1NQ-_abcDEF012345678901234567890123",
        "a+b/c==",
        "challenge_string",
    ] {
        let query = format!(
            "crc_token={}",
            url::form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>()
        );
        let response = handle_crc(&secret, &query);
        assert_eq!(response.status(), 200, "{token}: {}", response.body());
        let body: CrcResponse = serde_json::from_str(response.body()).unwrap();
        assert_eq!(body.response_token, secret.sign(token.as_bytes()));
    }
}

/// C1 of the security review: the CRC was a signing oracle. Asking it to answer a JSON body gave
/// the x-twitter-webhooks-signature of that body, and the webhook accepted the forged revoke.
#[tokio::test]
async fn crc_refuses_to_sign_a_delivery_so_it_cannot_forge_one() {
    let secret = WebhookSecret::new(SECRET);
    let store = MemoryStore::new();
    store
        .put_account(&AccountRecord {
            id: AccountId::parse(ACCOUNT).unwrap(),
            screen_name: Some("acme".into()),
            tokens: None,
            flow_id: None,
            created_ms: 1,
        })
        .await
        .unwrap();
    let body = format!(
        r#"{{"for_user_id":"{ACCOUNT}","user_event":{{"revoke":{{"date_time":"2026-11-01T00:00:00+0000","target":{{"app_id":"{OUR_APP}"}},"source":{{"user_id":"{ACCOUNT}"}}}}}}}}"#
    );
    let query = format!(
        "crc_token={}",
        url::form_urlencoded::byte_serialize(body.as_bytes()).collect::<String>()
    );
    let crc = handle_crc(&secret, &query);
    assert_eq!(crc.status(), 400, "{}", crc.body());
    let code = error_of(&crc).error;
    assert!(
        code == "crc_token_too_long" || code == "crc_token_not_base64",
        "{code}"
    );
    assert!(!crc.body().contains("sha256="), "{}", crc.body());

    // The attack as it worked before: whatever the CRC would have answered is not a signature
    // the webhook takes.
    let forged = secret.sign(body.as_bytes());
    let crc_answer = serde_json::from_str::<CrcResponse>(crc.body()).map(|b| b.response_token);
    assert_ne!(crc_answer.ok(), Some(forged));
    assert!(
        store
            .get_account(&AccountId::parse(ACCOUNT).unwrap())
            .await
            .unwrap()
            .is_some()
    );
}

#[test]
fn crc_refuses_tokens_too_long_or_outside_the_alphabet_with_a_json_error() {
    let secret = WebhookSecret::new(SECRET);
    let long = "A".repeat(crate::twitter::signature::CRC_TOKEN_MAX_LEN + 1);
    for (query, code) in [
        (format!("crc_token={long}"), "crc_token_too_long"),
        ("crc_token=abc+def".to_string(), "crc_token_not_base64"),
        ("crc_token=%7B%7D".to_string(), "crc_token_not_base64"),
        ("crc_token=%00abc".to_string(), "crc_token_not_base64"),
        (
            "crc_token=%C3%A9t%C3%A9".to_string(),
            "crc_token_not_base64",
        ),
        ("crc_token=%FF%FE".to_string(), "crc_token_not_base64"),
    ] {
        let response = handle_crc(&secret, &query);
        assert_eq!(response.status(), 400, "{query}");
        assert_eq!(response.header("content-type"), Some("application/json"));
        assert_eq!(error_of(&response).error, code, "{query}");
    }
    let at_limit = "A".repeat(crate::twitter::signature::CRC_TOKEN_MAX_LEN);
    assert_eq!(
        handle_crc(&secret, &format!("crc_token={at_limit}")).status(),
        200
    );
}

proptest! {
    /// No string the CRC answers is a body the webhook would accept: whatever the CRC signs, a
    /// POST of it with that signature is refused before anything is stored.
    #[test]
    fn no_token_the_crc_answers_is_a_body_the_webhook_accepts(
        token in prop_oneof![
            any::<String>(),
            "[A-Za-z0-9+/=_-]{1,128}",
            r#"[A-Za-z0-9+/=_{}":,\[\] -]{1,128}"#,
            "(true|false|null|[0-9]{1,20}|-[0-9]{1,20}|[0-9]e[0-9])",
        ]
    ) {
        let secret = WebhookSecret::new(SECRET);
        let query = format!(
            "crc_token={}",
            url::form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>()
        );
        let crc = handle_crc(&secret, &query);
        if crc.status() == 200 {
            let answer: CrcResponse = serde_json::from_str(crc.body()).unwrap();
            let mut headers = http::HeaderMap::new();
            headers.insert(SIGNATURE_HEADER, answer.response_token.parse().unwrap());
            prop_assert!(
                verify_and_plan(&secret, Some(OUR_APP), &headers, token.as_bytes()).is_err(),
                "the CRC signed a body the webhook accepts: {token:?}"
            );
        } else {
            prop_assert_eq!(crc.status(), 400);
        }
    }
}

#[test]
fn when_crc_token_is_missing_should_return_400() {
    let response = handle_crc(&WebhookSecret::new(SECRET), "nonce=abc");
    assert_eq!(response.status(), 400);
    assert_eq!(error_of(&response).error, "crc_token_missing");
    let response = handle_crc(&WebhookSecret::new(SECRET), "");
    assert_eq!(response.status(), 400);
}

#[test]
fn when_crc_token_is_empty_should_return_400() {
    let response = handle_crc(&WebhookSecret::new(SECRET), "crc_token=&nonce=abc");
    assert_eq!(response.status(), 400);
    assert_eq!(error_of(&response).error, "crc_token_empty");
}
