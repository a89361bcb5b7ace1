//! Deliveries refused before any write: size, signature (exhaustively tampered too), envelope.

use super::*;

#[tokio::test]
async fn when_body_is_over_1_mib_should_return_413_before_checking_the_signature() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), None);
    let response = handle_webhook_post(
        &d,
        &post_with_header(vec![b' '; MAX_BODY_BYTES + 1], None),
        NOW,
    )
    .await;
    assert_eq!(response.status(), 413);
    assert_eq!(error_of(&response).error, "body_too_large");
}

#[tokio::test]
async fn a_body_of_exactly_1_mib_is_not_too_large() {
    let d = deps(MemoryStore::new(), None);
    let mut body = br#"{"for_user_id":"1"}"#.to_vec();
    body.resize(MAX_BODY_BYTES, b' ');
    let response = handle_webhook_post(&d, &signed_post(body), NOW).await;
    assert_eq!(response.status(), 200, "{}", response.body());
}

#[tokio::test]
async fn when_signature_is_missing_should_return_401_and_store_nothing() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), None);
    let response = handle_webhook_post(
        &d,
        &post_with_header(fixture("webhook_dm_text.json"), None),
        NOW,
    )
    .await;
    assert_eq!(response.status(), 401);
    assert_eq!(error_of(&response).error, "signature_missing");
    assert!(store.all_inbound().is_empty());
}

#[tokio::test]
async fn when_signature_is_wrong_should_return_401_and_store_nothing() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), None);
    let body = fixture("webhook_dm_text.json");
    let forged = WebhookSecret::new("not-our-secret").sign(&body);
    let response = handle_webhook_post(&d, &post_with_header(body, Some(forged)), NOW).await;
    assert_eq!(response.status(), 401);
    assert_eq!(error_of(&response).error, "signature_mismatch");
    assert!(store.all_inbound().is_empty());
}

#[tokio::test]
async fn when_signature_is_malformed_should_return_401() {
    let d = deps(MemoryStore::new(), None);
    let response = handle_webhook_post(
        &d,
        &post_with_header(fixture("webhook_dm_text.json"), Some("sha256=abc".into())),
        NOW,
    )
    .await;
    assert_eq!(response.status(), 401);
    assert_eq!(error_of(&response).error, "signature_malformed");
}

#[tokio::test]
async fn when_signature_uses_another_algorithm_should_return_401() {
    let d = deps(MemoryStore::new(), None);
    let body = fixture("webhook_dm_text.json");
    let sha256 = WebhookSecret::new(SECRET).sign(&body);
    let sha1 = sha256.replacen("sha256=", "sha1=", 1);
    let response = handle_webhook_post(&d, &post_with_header(body, Some(sha1)), NOW).await;
    assert_eq!(response.status(), 401);
    assert_eq!(error_of(&response).error, "signature_algorithm_unsupported");
}

#[tokio::test]
async fn when_signed_body_is_not_json_should_return_400() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), None);
    let response = handle_webhook_post(&d, &signed_post(b"for_user_id=1".to_vec()), NOW).await;
    assert_eq!(response.status(), 400);
    assert_eq!(error_of(&response).error, "body_not_json");
}

#[tokio::test]
async fn when_signed_body_has_the_wrong_shape_should_return_400_saying_what_was_wrong() {
    let d = deps(MemoryStore::new(), None);
    let response = handle_webhook_post(
        &d,
        &signed_post(br#"{"for_user_id":"1","direct_message_events":"oops"}"#.to_vec()),
        NOW,
    )
    .await;
    assert_eq!(response.status(), 400);
    let error = error_of(&response);
    assert_eq!(error.error, "envelope_wrong_shape");
    assert!(error.detail.contains("sequence"), "{}", error.detail);
}

#[tokio::test]
async fn when_dms_arrive_without_for_user_id_should_return_400() {
    let d = deps(MemoryStore::new(), None);
    let response = handle_webhook_post(
        &d,
        &signed_post(br#"{"direct_message_events":[]}"#.to_vec()),
        NOW,
    )
    .await;
    // An empty array is harmless; a non-empty one without for_user_id is not.
    assert_eq!(response.status(), 200);
    let body = fixture("webhook_dm_text.json");
    let text = String::from_utf8(body).unwrap();
    let without = text.replacen(r#""for_user_id": "4337869213","#, "", 1);
    assert_ne!(without, text, "fixture layout changed");
    let response = handle_webhook_post(&d, &signed_post(without.into_bytes()), NOW).await;
    assert_eq!(response.status(), 400);
    assert_eq!(error_of(&response).error, "for_user_id_missing");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_tampered_delivery_is_refused_with_401_and_stores_nothing(
        index in any::<prop::sample::Index>(),
        flip in 1u8..=255,
        cut in any::<prop::sample::Index>(),
        mode in 0u8..3,
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let body = fixture("webhook_dm_text.json");
        let signature = WebhookSecret::new(SECRET).sign(&body);
        let (body, signature) = match mode {
            0 => {
                let mut b = body;
                let i = index.index(b.len());
                b[i] ^= flip;
                (b, signature)
            }
            1 => {
                let b = body[..cut.index(body.len())].to_vec();
                (b, signature)
            }
            _ => {
                let mut s = signature.into_bytes();
                // Only the base64 part, so that the header keeps its form.
                let i = 7 + index.index(s.len() - 8);
                let replacement = if s[i] == b'A' { b'B' } else { b'A' };
                s[i] = replacement;
                (body, String::from_utf8(s).unwrap())
            }
        };
        let store = MemoryStore::new();
        let d = deps(store.clone(), None);
        let response = runtime.block_on(handle_webhook_post(&d, &post_with_header(body, Some(signature)), NOW));
        prop_assert_eq!(response.status(), 401);
        prop_assert!(store.all_inbound().is_empty());
    }
}
