//! Handler tests: every fixture through the whole POST path, against the in-memory store.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;

use super::*;
use crate::domain::{EventId, InboundStatus, UserId};
use crate::store::memory::MemoryStore;
use crate::store::{
    AccountRecord, Accounts, AttemptMark, ClaimOutcome, Conversation, ForgetStep, PendingForget,
    Receipt,
};

const SECRET: &str = "fixture-consumer-secret";
const ACCOUNT: &str = "4337869213";
const CUSTOMER: &str = "3001969357";
const OUR_APP: &str = "13090192";
const NOW: u64 = 1_700_000_000_000;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

fn deps<S>(store: S, app_id: Option<&str>) -> WebhookDeps<S> {
    WebhookDeps {
        store,
        secret: WebhookSecret::new(SECRET),
        app_id: app_id.map(str::to_string),
    }
}

fn post_with_header(body: Vec<u8>, signature: Option<String>) -> HttpRequestParts {
    let mut headers = Headers::new().with("Content-Type", "application/json; charset=utf-8");
    if let Some(signature) = signature {
        headers.insert("X-Twitter-Webhooks-Signature", signature);
    }
    HttpRequestParts {
        method: http::Method::POST,
        raw_query: String::new(),
        headers,
        body: Bytes::from(body),
    }
}

fn signed_post(body: Vec<u8>) -> HttpRequestParts {
    let signature = WebhookSecret::new(SECRET).sign(&body);
    post_with_header(body, Some(signature))
}

fn summary_of(response: &HttpResponse) -> IngestSummary {
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.content_type, "application/json");
    serde_json::from_str(&response.body).unwrap()
}

fn error_of(response: &HttpResponse) -> ErrorBody {
    assert_eq!(response.content_type, "application/json");
    serde_json::from_str(&response.body).unwrap()
}

fn conv(account: &str, customer: &str) -> ConversationKey {
    ConversationKey::new(
        UserId::parse(account).unwrap(),
        UserId::parse(customer).unwrap(),
    )
}

fn event(id: &str) -> EventId {
    EventId::parse(id).unwrap()
}

async fn post_fixture(deps: &WebhookDeps<MemoryStore>, name: &str) -> HttpResponse {
    handle_webhook_post(deps, &signed_post(fixture(name)), NOW).await
}

async fn agent_activity(store: &MemoryStore, customer: &str) -> Option<u64> {
    let Conversation {
        agent_last_active_ms,
        ..
    } = store
        .load_conversation(&conv(ACCOUNT, customer))
        .await
        .unwrap();
    agent_last_active_ms
}

// ---------------------------------------------------------------- CRC

#[test]
fn when_crc_token_is_given_should_answer_200_with_the_hmac_of_the_decoded_token() {
    let response = handle_crc(
        &WebhookSecret::new(SECRET),
        "crc_token=cOXDuZN0ngs0hP4OEB9sC0jYjNHxBbyjJ5fpAh3pzWs%3D&nonce=MTUxOTIzNjM5NTk1NQ",
    );
    assert_eq!(response.status, 200);
    assert_eq!(response.content_type, "application/json");
    assert_eq!(
        response.body,
        r#"{"response_token":"sha256=csVzm5ramL8kQHmchJuir2bLUcQ/rl3P9DOMmRYuI7o="}"#
    );
}

#[test]
fn crc_token_is_percent_decoded_before_hashing() {
    let secret = WebhookSecret::new(SECRET);
    let response = handle_crc(&secret, "nonce=1&crc_token=a%2Bb%2Fc%3D");
    let body: CrcResponse = serde_json::from_str(&response.body).unwrap();
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
        assert_eq!(response.status, 200, "{token}: {}", response.body);
        let body: CrcResponse = serde_json::from_str(&response.body).unwrap();
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
    assert_eq!(crc.status, 400, "{}", crc.body);
    let code = error_of(&crc).error;
    assert!(
        code == "crc_token_too_long" || code == "crc_token_not_base64",
        "{code}"
    );
    assert!(!crc.body.contains("sha256="), "{}", crc.body);

    // The attack as it worked before: whatever the CRC would have answered is not a signature
    // the webhook takes.
    let forged = secret.sign(body.as_bytes());
    let crc_answer = serde_json::from_str::<CrcResponse>(&crc.body).map(|b| b.response_token);
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
        assert_eq!(response.status, 400, "{query}");
        assert_eq!(response.content_type, "application/json");
        assert_eq!(error_of(&response).error, code, "{query}");
    }
    let at_limit = "A".repeat(crate::twitter::signature::CRC_TOKEN_MAX_LEN);
    assert_eq!(
        handle_crc(&secret, &format!("crc_token={at_limit}")).status,
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
        if crc.status == 200 {
            let answer: CrcResponse = serde_json::from_str(&crc.body).unwrap();
            let headers = Headers::new().with(SIGNATURE_HEADER, answer.response_token);
            prop_assert!(
                verify_and_plan(&secret, Some(OUR_APP), &headers, token.as_bytes()).is_err(),
                "the CRC signed a body the webhook accepts: {token:?}"
            );
        } else {
            prop_assert_eq!(crc.status, 400);
        }
    }
}

#[test]
fn when_crc_token_is_missing_should_return_400() {
    let response = handle_crc(&WebhookSecret::new(SECRET), "nonce=abc");
    assert_eq!(response.status, 400);
    assert_eq!(error_of(&response).error, "crc_token_missing");
    let response = handle_crc(&WebhookSecret::new(SECRET), "");
    assert_eq!(response.status, 400);
}

#[test]
fn when_crc_token_is_empty_should_return_400() {
    let response = handle_crc(&WebhookSecret::new(SECRET), "crc_token=&nonce=abc");
    assert_eq!(response.status, 400);
    assert_eq!(error_of(&response).error, "crc_token_empty");
}

// ---------------------------------------------------------------- refusals

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
    assert_eq!(response.status, 413);
    assert_eq!(error_of(&response).error, "body_too_large");
}

#[tokio::test]
async fn a_body_of_exactly_1_mib_is_not_too_large() {
    let d = deps(MemoryStore::new(), None);
    let mut body = br#"{"for_user_id":"1"}"#.to_vec();
    body.resize(MAX_BODY_BYTES, b' ');
    let response = handle_webhook_post(&d, &signed_post(body), NOW).await;
    assert_eq!(response.status, 200, "{}", response.body);
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
    assert_eq!(response.status, 401);
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
    assert_eq!(response.status, 401);
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
    assert_eq!(response.status, 401);
    assert_eq!(error_of(&response).error, "signature_malformed");
}

#[tokio::test]
async fn when_signature_uses_another_algorithm_should_return_401() {
    let d = deps(MemoryStore::new(), None);
    let body = fixture("webhook_dm_text.json");
    let sha256 = WebhookSecret::new(SECRET).sign(&body);
    let sha1 = sha256.replacen("sha256=", "sha1=", 1);
    let response = handle_webhook_post(&d, &post_with_header(body, Some(sha1)), NOW).await;
    assert_eq!(response.status, 401);
    assert_eq!(error_of(&response).error, "signature_algorithm_unsupported");
}

#[tokio::test]
async fn when_signed_body_is_not_json_should_return_400() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), None);
    let response = handle_webhook_post(&d, &signed_post(b"for_user_id=1".to_vec()), NOW).await;
    assert_eq!(response.status, 400);
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
    assert_eq!(response.status, 400);
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
    assert_eq!(response.status, 200);
    let body = fixture("webhook_dm_text.json");
    let text = String::from_utf8(body).unwrap();
    let without = text.replacen(r#""for_user_id": "4337869213","#, "", 1);
    assert_ne!(without, text, "fixture layout changed");
    let response = handle_webhook_post(&d, &signed_post(without.into_bytes()), NOW).await;
    assert_eq!(response.status, 400);
    assert_eq!(error_of(&response).error, "for_user_id_missing");
}

// ---------------------------------------------------------------- customer messages

#[tokio::test]
async fn when_a_customer_writes_should_store_a_pending_inbound_message_with_their_names() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), Some(OUR_APP));
    let summary = summary_of(&post_fixture(&d, "webhook_dm_text.json").await);
    assert_eq!(
        summary,
        IngestSummary {
            stored: 1,
            ..IngestSummary::default()
        }
    );
    let record = store
        .get_inbound(&conv(ACCOUNT, CUSTOMER), &event("954491830116155396"))
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(record.status, InboundStatus::Pending);
    assert_eq!(record.received_ms, NOW);
    let m = &record.message;
    assert_eq!(m.text, "Hello, where is my order?");
    assert_eq!(m.created_ms, 1_516_403_560_557);
    assert_eq!(m.customer_screen_name.as_deref(), Some("furiouscamper"));
    assert_eq!(m.customer_name.as_deref(), Some("Jordan Brinks"));
    assert_eq!(m.quick_reply_metadata, None);
    assert_eq!(m.welcome_message_id, None);
    assert_eq!(m.media, None);
}

#[tokio::test]
async fn a_quick_reply_answer_keeps_its_metadata() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), None);
    assert_eq!(
        summary_of(&post_fixture(&d, "webhook_dm_quick_reply.json").await).stored,
        1
    );
    let record = &store.all_inbound()[0];
    assert_eq!(
        record.message.quick_reply_metadata.as_deref(),
        Some("order_status")
    );
    assert_eq!(record.message.text, "Order status");
}

#[tokio::test]
async fn a_conversation_opened_from_a_welcome_message_keeps_its_id() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), None);
    assert_eq!(
        summary_of(&post_fixture(&d, "webhook_dm_from_welcome.json").await).stored,
        1
    );
    let m = &store.all_inbound()[0].message;
    assert_eq!(m.welcome_message_id.as_deref(), Some("844385345234"));
    assert_eq!(m.quick_reply_metadata.as_deref(), Some("returns"));
}

#[tokio::test]
async fn a_photo_keeps_its_exact_id_and_https_url() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), None);
    assert_eq!(
        summary_of(&post_fixture(&d, "webhook_dm_with_media.json").await).stored,
        1
    );
    let media = store.all_inbound()[0].message.media.clone().expect("media");
    assert_eq!(media.id, "954491830116155400");
    assert_eq!(media.kind, "photo");
    assert_eq!(
        media.url,
        "https://ton.twitter.com/1.1/ton/data/dm/954491830116155399/954491830116155400/abc.jpg"
    );
}

#[tokio::test]
async fn a_batch_of_three_stores_each_message_in_its_customers_conversation() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), Some(OUR_APP));
    let summary = summary_of(&post_fixture(&d, "webhook_dm_batch.json").await);
    assert_eq!(summary.stored, 3);
    let jordan = conv(ACCOUNT, CUSTOMER);
    let other = conv(ACCOUNT, "2244994945");
    for (c, id, text) in [
        (&jordan, "954491830116155403", "first"),
        (&other, "954491830116155404", "hi there"),
        (&jordan, "954491830116155405", "second"),
    ] {
        let record = store.get_inbound(c, &event(id)).await.unwrap();
        assert_eq!(record.expect(id).message.text, text);
    }
    // The second customer is not in `users`: stored without names.
    let record = store
        .get_inbound(&other, &event("954491830116155404"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.message.customer_screen_name, None);
}

#[tokio::test]
async fn when_the_same_delivery_comes_twice_the_second_is_a_no_op() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), None);
    assert_eq!(
        summary_of(&post_fixture(&d, "webhook_dm_text.json").await).stored,
        1
    );
    // Dispatch has claimed it in between: a redelivery must not reset it.
    let c = conv(ACCOUNT, CUSTOMER);
    let id = event("954491830116155396");
    assert!(matches!(
        store.claim_inbound(&c, &id, NOW, 60_000).await.unwrap(),
        ClaimOutcome::Claimed(_)
    ));
    let again =
        handle_webhook_post(&d, &signed_post(fixture("webhook_dm_text.json")), NOW + 5).await;
    assert_eq!(
        summary_of(&again),
        IngestSummary {
            duplicates: 1,
            ..IngestSummary::default()
        }
    );
    let records = store.all_inbound();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].received_ms, NOW);
    assert_eq!(
        store.claim_inbound(&c, &id, NOW + 5, 60_000).await.unwrap(),
        ClaimOutcome::Busy
    );
}

// ---------------------------------------------------------------- the account's own messages

#[tokio::test]
async fn an_echo_of_the_bots_reply_recorded_in_the_outbox_is_ignored() {
    let store = MemoryStore::new();
    let c = conv(ACCOUNT, CUSTOMER);
    store
        .record_sent(
            &c,
            &event("954491830116155401"),
            &event("954491830116155400"),
            NOW - 1,
        )
        .await
        .unwrap();
    let d = deps(store.clone(), None);
    let summary = summary_of(&post_fixture(&d, "webhook_dm_echo_of_bot_reply.json").await);
    assert_eq!(
        summary,
        IngestSummary {
            bot_echoes: 1,
            ..IngestSummary::default()
        }
    );
    assert!(store.all_inbound().is_empty());
    assert_eq!(agent_activity(&store, CUSTOMER).await, None);
}

#[tokio::test]
async fn an_echo_sent_through_our_app_is_ignored_even_before_the_outbox_knows_it() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), Some(OUR_APP));
    let summary = summary_of(&post_fixture(&d, "webhook_dm_echo_of_bot_reply.json").await);
    assert_eq!(summary.bot_echoes, 1);
    assert_eq!(summary.agent_messages, 0);
    assert!(store.all_inbound().is_empty());
    assert_eq!(agent_activity(&store, CUSTOMER).await, None);
}

#[tokio::test]
async fn the_echo_of_the_bots_reply_is_recorded_as_its_receipt_once_whatever_the_redeliveries() {
    let store = MemoryStore::new();
    let c = conv(ACCOUNT, CUSTOMER);
    let d = deps(store.clone(), Some(OUR_APP));
    for _ in 0..2 {
        post_fixture(&d, "webhook_dm_echo_of_bot_reply.json").await;
    }
    let receipts = store.receipts_after(&c, &event("1")).await.unwrap();
    assert_eq!(receipts.len(), 1, "{receipts:?}");
    let r = &receipts[0];
    assert_eq!(r.event_id, event("954491830116155401"));
    assert_eq!(r.echo_created_ms, Some(1_516_403_560_557));
    assert!(r.echo_from_our_app);
    assert!(
        !r.is_recorded_send(),
        "only the dispatcher records its sends"
    );
}

#[tokio::test]
async fn an_echo_merges_with_the_dispatchers_record_in_either_order() {
    let c = conv(ACCOUNT, CUSTOMER);
    let reply = event("954491830116155401");
    let answers = event("954491830116155400");
    for echo_first in [true, false] {
        let store = MemoryStore::new();
        let d = deps(store.clone(), Some(OUR_APP));
        if echo_first {
            post_fixture(&d, "webhook_dm_echo_of_bot_reply.json").await;
        }
        store.record_sent(&c, &reply, &answers, NOW).await.unwrap();
        if !echo_first {
            post_fixture(&d, "webhook_dm_echo_of_bot_reply.json").await;
        }
        let receipts = store.receipts_after(&c, &event("1")).await.unwrap();
        assert_eq!(receipts.len(), 1);
        assert_eq!(receipts[0].in_reply_to.as_ref(), Some(&answers));
        assert!(receipts[0].is_echoed() && receipts[0].echo_from_our_app);
    }
}

#[tokio::test]
async fn a_persons_message_is_recorded_as_a_receipt_that_is_not_the_bots() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), Some(OUR_APP));
    post_fixture(&d, "webhook_dm_from_human_agent.json").await;
    let receipts = store
        .receipts_after(&conv(ACCOUNT, CUSTOMER), &event("1"))
        .await
        .unwrap();
    assert_eq!(receipts.len(), 1);
    assert!(receipts[0].is_echoed());
    assert!(!receipts[0].echo_from_our_app);
}

#[tokio::test]
async fn without_app_id_or_outbox_record_an_echo_cannot_be_told_from_a_person() {
    // The race TWITTER_APP_ID closes: documented here so that a change is deliberate.
    let store = MemoryStore::new();
    let d = deps(store.clone(), None);
    let summary = summary_of(&post_fixture(&d, "webhook_dm_echo_of_bot_reply.json").await);
    assert_eq!(summary.agent_messages, 1);
    assert!(store.all_inbound().is_empty());
}

#[tokio::test]
async fn when_a_person_writes_from_the_account_should_record_a_hand_over_signal_and_store_nothing()
{
    let store = MemoryStore::new();
    let d = deps(store.clone(), Some(OUR_APP));
    let summary = summary_of(&post_fixture(&d, "webhook_dm_from_human_agent.json").await);
    assert_eq!(
        summary,
        IngestSummary {
            agent_messages: 1,
            ..IngestSummary::default()
        }
    );
    assert!(store.all_inbound().is_empty());
    assert_eq!(
        agent_activity(&store, CUSTOMER).await,
        Some(1_516_403_560_557)
    );
}

#[tokio::test]
async fn a_message_neither_from_nor_to_the_account_is_ignored() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), None);
    let body = String::from_utf8(fixture("webhook_dm_text.json"))
        .unwrap()
        .replacen(
            r#""recipient_id": "4337869213""#,
            r#""recipient_id": "42""#,
            1,
        );
    let summary = summary_of(&handle_webhook_post(&d, &signed_post(body.into_bytes()), NOW).await);
    assert_eq!(summary.ignored, 1);
    assert!(store.all_inbound().is_empty());
}

// ---------------------------------------------------------------- other events

#[tokio::test]
async fn typing_indicators_are_acknowledged_and_not_stored() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), None);
    let summary = summary_of(&post_fixture(&d, "webhook_typing.json").await);
    assert_eq!(
        summary,
        IngestSummary {
            typing: 1,
            ..IngestSummary::default()
        }
    );
    assert!(store.all_inbound().is_empty());
}

#[tokio::test]
async fn read_receipts_are_acknowledged_and_not_stored() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), None);
    let summary = summary_of(&post_fixture(&d, "webhook_mark_read.json").await);
    assert_eq!(
        summary,
        IngestSummary {
            read_receipts: 1,
            ..IngestSummary::default()
        }
    );
    assert!(store.all_inbound().is_empty());
}

#[tokio::test]
async fn favorites_and_unknown_events_are_acknowledged_and_ignored() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), None);
    let summary = summary_of(&post_fixture(&d, "webhook_favorite.json").await);
    assert_eq!(summary, IngestSummary::default());
    let unknown = br#"{"for_user_id":"4337869213","brand_new_events":[{"a":[1,{"b":null}]}]}"#;
    let summary = summary_of(&handle_webhook_post(&d, &signed_post(unknown.to_vec()), NOW).await);
    assert_eq!(summary, IngestSummary::default());
    assert!(store.all_inbound().is_empty());
}

#[tokio::test]
async fn a_direct_message_event_of_another_type_is_ignored() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), None);
    let body = String::from_utf8(fixture("webhook_dm_text.json"))
        .unwrap()
        .replacen(
            r#""type": "message_create""#,
            r#""type": "message_delete""#,
            1,
        );
    let summary = summary_of(&handle_webhook_post(&d, &signed_post(body.into_bytes()), NOW).await);
    assert_eq!(summary.ignored, 1);
    assert!(store.all_inbound().is_empty());
}

#[tokio::test]
async fn a_revoke_removes_the_tokens_at_once_and_queues_the_rest() {
    let store = MemoryStore::new();
    let revoking = UserId::parse(CUSTOMER).unwrap();
    store
        .put_account(&AccountRecord {
            id: revoking.clone(),
            screen_name: Some("furiouscamper".into()),
            tokens: None,
            flow_id: None,
            created_ms: 1,
        })
        .await
        .unwrap();
    let d = deps(store.clone(), None);
    // Something stored under the revoking account, and something under another one.
    let as_business = String::from_utf8(fixture("webhook_dm_text.json"))
        .unwrap()
        .replace(ACCOUNT, "PLACEHOLDER")
        .replace(CUSTOMER, ACCOUNT)
        .replace("PLACEHOLDER", CUSTOMER);
    summary_of(&handle_webhook_post(&d, &signed_post(as_business.into_bytes()), NOW).await);
    summary_of(&post_fixture(&d, "webhook_dm_quick_reply.json").await);
    assert_eq!(store.all_inbound().len(), 2);

    for attempt in 0..2u64 {
        // A repeated revoke (Twitter retries, or a replay) is answered the same way.
        let response = handle_webhook_post(
            &d,
            &signed_post(fixture("webhook_revoke.json")),
            NOW + attempt,
        )
        .await;
        assert_eq!(
            summary_of(&response),
            IngestSummary {
                accounts_forgotten: 1,
                ..IngestSummary::default()
            }
        );
    }
    assert_eq!(store.get_account(&revoking).await.unwrap(), None);
    assert_eq!(
        store.pending_forgets(10).await.unwrap(),
        [PendingForget {
            account: revoking.clone(),
            requested_ms: NOW + 1
        }]
    );
    // The conversation goes asynchronously (crate::forget), not on the request path.
    assert_eq!(store.all_inbound().len(), 2);
    let step = store.forget_step(&revoking, 100).await.unwrap();
    assert_eq!(
        step,
        ForgetStep {
            removed: 1,
            done: true
        }
    );
    let left = store.all_inbound();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].message.conversation.account.as_str(), ACCOUNT);
}

// ---------------------------------------------------------------- malformed events

#[tokio::test]
async fn one_malformed_event_is_skipped_and_the_rest_of_the_batch_is_stored() {
    let store = MemoryStore::new();
    let d = deps(store.clone(), None);
    let body = String::from_utf8(fixture("webhook_dm_batch.json"))
        .unwrap()
        .replacen(
            r#""id": "954491830116155404""#,
            r#""id": 954491830116155404"#,
            1,
        );
    let summary = summary_of(&handle_webhook_post(&d, &signed_post(body.into_bytes()), NOW).await);
    assert_eq!(summary.stored, 2);
    assert_eq!(summary.malformed, 1);
    assert_eq!(store.all_inbound().len(), 2);
}

#[tokio::test]
async fn malformed_events_of_every_kind_never_panic_and_are_counted() {
    let d = deps(MemoryStore::new(), None);
    let body = br#"{"for_user_id":"1",
        "direct_message_events":[null, 3, {"type":"message_create","id":"5","created_timestamp":"x"},
            {"type":"message_create","id":"6","created_timestamp":"1"}],
        "direct_message_indicate_typing_events":[{}],
        "direct_message_mark_read_events":["?"],
        "users":{"2":7},
        "user_event":{"revoke":{"source":{}}}}"#;
    let summary = summary_of(&handle_webhook_post(&d, &signed_post(body.to_vec()), NOW).await);
    assert_eq!(summary.malformed, 5, "{summary:?}");
    assert_eq!(summary.typing, 1);
    assert_eq!(summary.read_receipts, 1);
    assert_eq!(summary.accounts_forgotten, 0);
}

// ---------------------------------------------------------------- store failures

#[tokio::test]
async fn when_the_store_fails_should_return_503_and_report_no_counts() {
    let store = MemoryStore::new();
    store.set_failing(true);
    let d = deps(store.clone(), None);
    let response = post_fixture(&d, "webhook_dm_text.json").await;
    assert_eq!(response.status, 503);
    let error = error_of(&response);
    assert_eq!(error.error, "store_unavailable");
    assert!(!response.body.contains("stored\":"), "{}", response.body);

    // Twitter retries; once the store is back the same delivery goes through.
    store.set_failing(false);
    assert!(store.all_inbound().is_empty());
    assert_eq!(
        summary_of(&post_fixture(&d, "webhook_dm_text.json").await).stored,
        1
    );
}

#[tokio::test]
async fn when_the_outbox_lookup_fails_the_hand_over_is_not_acknowledged() {
    let store = MemoryStore::new();
    store.set_failing(true);
    let d = deps(store.clone(), None);
    let response = post_fixture(&d, "webhook_dm_from_human_agent.json").await;
    assert_eq!(response.status, 503);
}

/// Fails the n-th `put_inbound` (1-based) once, then works: a store that breaks mid-batch.
#[derive(Clone)]
struct FailsOnce {
    inner: MemoryStore,
    calls: Arc<AtomicUsize>,
    fail_on: usize,
    error: fn() -> StoreError,
}

impl Inbox for FailsOnce {
    async fn put_inbound(&self, record: &InboundRecord) -> Result<PutOutcome, StoreError> {
        if self.calls.fetch_add(1, Ordering::SeqCst) + 1 == self.fail_on {
            return Err((self.error)());
        }
        self.inner.put_inbound(record).await
    }
    async fn get_inbound(
        &self,
        c: &ConversationKey,
        e: &EventId,
    ) -> Result<Option<InboundRecord>, StoreError> {
        self.inner.get_inbound(c, e).await
    }
    async fn claim_inbound(
        &self,
        c: &ConversationKey,
        e: &EventId,
        now: u64,
        lease: u64,
    ) -> Result<ClaimOutcome, StoreError> {
        self.inner.claim_inbound(c, e, now, lease).await
    }
    async fn set_inbound_status(
        &self,
        c: &ConversationKey,
        e: &EventId,
        s: &InboundStatus,
    ) -> Result<(), StoreError> {
        self.inner.set_inbound_status(c, e, s).await
    }
    async fn list_failed(&self, limit: usize) -> Result<Vec<InboundRecord>, StoreError> {
        self.inner.list_failed(limit).await
    }
    async fn mark_inbound(
        &self,
        c: &ConversationKey,
        e: &EventId,
        m: &AttemptMark,
    ) -> Result<bool, StoreError> {
        self.inner.mark_inbound(c, e, m).await
    }
    async fn take_due_deferred(
        &self,
        now: u64,
        limit: usize,
    ) -> Result<Vec<InboundRecord>, StoreError> {
        self.inner.take_due_deferred(now, limit).await
    }
    async fn list_unfinished(
        &self,
        before: u64,
        limit: usize,
    ) -> Result<Vec<InboundRecord>, StoreError> {
        self.inner.list_unfinished(before, limit).await
    }
}

impl Outbox for FailsOnce {
    async fn record_sent(
        &self,
        c: &ConversationKey,
        e: &EventId,
        to: &EventId,
        at: u64,
    ) -> Result<(), StoreError> {
        self.inner.record_sent(c, e, to, at).await
    }
    async fn record_echo(&self, echo: &AccountEcho, at: u64) -> Result<(), StoreError> {
        self.inner.record_echo(echo, at).await
    }
    async fn receipts_after(
        &self,
        c: &ConversationKey,
        after: &EventId,
    ) -> Result<Vec<Receipt>, StoreError> {
        self.inner.receipts_after(c, after).await
    }
    async fn is_sent_by_bot(&self, c: &ConversationKey, e: &EventId) -> Result<bool, StoreError> {
        self.inner.is_sent_by_bot(c, e).await
    }
}

impl Conversations for FailsOnce {
    async fn load_conversation(&self, c: &ConversationKey) -> Result<Conversation, StoreError> {
        self.inner.load_conversation(c).await
    }
    async fn save_conversation(
        &self,
        c: &ConversationKey,
        s: &crate::domain::ConversationState,
        v: u64,
    ) -> Result<u64, StoreError> {
        self.inner.save_conversation(c, s, v).await
    }
    async fn record_agent_activity(&self, a: &AgentActivity) -> Result<(), StoreError> {
        self.inner.record_agent_activity(a).await
    }
}

impl Revocations for FailsOnce {
    async fn revoke_account(&self, id: &AccountId, now_ms: u64) -> Result<(), StoreError> {
        self.inner.revoke_account(id, now_ms).await
    }
    async fn pending_forgets(&self, limit: usize) -> Result<Vec<PendingForget>, StoreError> {
        self.inner.pending_forgets(limit).await
    }
    async fn forget_step(&self, id: &AccountId, max: usize) -> Result<ForgetStep, StoreError> {
        self.inner.forget_step(id, max).await
    }
}

#[tokio::test]
async fn when_the_store_fails_mid_batch_the_retry_stores_the_rest_without_doubles() {
    let inner = MemoryStore::new();
    let store = FailsOnce {
        inner: inner.clone(),
        calls: Arc::new(AtomicUsize::new(0)),
        fail_on: 2,
        error: || StoreError::Unavailable("throttled".into()),
    };
    let d = deps(store, None);
    let body = fixture("webhook_dm_batch.json");
    let first = handle_webhook_post(&d, &signed_post(body.clone()), NOW).await;
    assert_eq!(first.status, 503);
    assert_eq!(inner.all_inbound().len(), 1, "the first write stays");

    let retry = handle_webhook_post(&d, &signed_post(body), NOW + 3_000).await;
    assert_eq!(
        summary_of(&retry),
        IngestSummary {
            stored: 2,
            duplicates: 1,
            ..IngestSummary::default()
        }
    );
    assert_eq!(inner.all_inbound().len(), 3);
}

#[tokio::test]
async fn a_permanent_store_error_answers_500() {
    let store = FailsOnce {
        inner: MemoryStore::new(),
        calls: Arc::new(AtomicUsize::new(0)),
        fail_on: 1,
        error: || StoreError::Rejected("no such table".into()),
    };
    let d = deps(store, None);
    let response =
        handle_webhook_post(&d, &signed_post(fixture("webhook_dm_text.json")), NOW).await;
    assert_eq!(response.status, 500);
    // Internal details stay in the logs.
    assert!(
        !response.body.contains("no such table"),
        "{}",
        response.body
    );
}

// ---------------------------------------------------------------- planning and routing

#[test]
fn actions_run_in_event_id_order_whatever_the_delivery_order() {
    let body = String::from_utf8(fixture("webhook_dm_batch.json"))
        .unwrap()
        .replacen("954491830116155403", "954491830116155409", 1);
    let envelope = Envelope::parse(body.as_bytes()).unwrap();
    let plan = plan_delivery(&envelope, None);
    let ids: Vec<String> = plan
        .actions
        .iter()
        .map(|a| match a {
            Action::StoreInbound(m) => m.event_id.to_string(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        ids,
        [
            "954491830116155404",
            "954491830116155405",
            "954491830116155409"
        ]
    );
}

#[tokio::test]
async fn requests_are_routed_by_method() {
    let d = deps(MemoryStore::new(), None);
    let get = HttpRequestParts {
        method: http::Method::GET,
        raw_query: "crc_token=abc".into(),
        headers: Headers::new(),
        body: Bytes::new(),
    };
    let response = handle_request(&d, &get, NOW).await;
    assert_eq!(response.status, 200);
    assert!(response.body.contains("response_token"));

    let post = signed_post(fixture("webhook_dm_text.json"));
    assert_eq!(handle_request(&d, &post, NOW).await.status, 200);

    let delete = HttpRequestParts {
        method: http::Method::DELETE,
        ..get
    };
    assert_eq!(handle_request(&d, &delete, NOW).await.status, 405);
}

#[test]
fn header_lookup_ignores_case() {
    let headers = Headers::new().with("X-Twitter-Webhooks-Signature", "sha256=x");
    assert_eq!(
        headers.get("x-twitter-webhooks-signature"),
        Some("sha256=x")
    );
    assert_eq!(
        headers.get("X-TWITTER-WEBHOOKS-SIGNATURE"),
        Some("sha256=x")
    );
    assert_eq!(headers.get("content-type"), None);
}

#[test]
fn headers_from_an_http_map_keep_only_what_the_handlers_use() {
    let mut map = http::HeaderMap::new();
    map.insert("x-twitter-webhooks-signature", "sha256=x".parse().unwrap());
    map.insert("content-type", "application/json".parse().unwrap());
    map.insert("authorization", "Bearer secret".parse().unwrap());
    let headers = Headers::from_http(&map);
    assert_eq!(headers.get(SIGNATURE_HEADER), Some("sha256=x"));
    assert_eq!(headers.get("content-type"), Some("application/json"));
    assert_eq!(headers.get("authorization"), None);
}

// ---------------------------------------------------------------- tampering, exhaustively

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
        prop_assert_eq!(response.status, 401);
        prop_assert!(store.all_inbound().is_empty());
    }
}
