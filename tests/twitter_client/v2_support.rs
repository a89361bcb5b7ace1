//! Helpers of the X API v2 suites: the business account, a customer who wrote to it, text,
//! media uploads, and the checks that every v2 request was authenticated as X requires.

pub(crate) use crate::support::*;
pub(crate) use dmbot_shared::twitter::api_types::WebhookId;
pub(crate) use dmbot_shared::twitter::client::{DM_EVENT_TYPES, DmEventPageV2, V2_CHUNK_BYTES};
pub(crate) use dmbot_shared::twitter::limits::{MediaId, MessageText};
pub(crate) use dmbot_simulator::api::V2Config;

/// The business account (the fake's owner) as a user id.
pub(crate) fn business(fake: &TwitterApi) -> UserId {
    UserId::parse(&fake.owner().user_id).unwrap()
}

/// The customer, after writing `text` to the business (so the business may DM them on v2).
pub(crate) fn customer_who_wrote(fake: &TwitterApi, text: &str) -> UserId {
    let customer = customer();
    fake.record_incoming(customer.as_str(), &fake.owner().user_id, text);
    customer
}

pub(crate) fn text(t: &str) -> MessageText {
    MessageText::new(t).unwrap()
}

pub(crate) fn owner_tokens(fake: &TwitterApi) -> TokenCredentials {
    tokens(fake.owner())
}

/// Uploads `bytes` as a DM image of `account` through v2.
pub(crate) async fn upload_v2(
    client: &TwitterClient,
    account: &TokenCredentials,
    bytes: &[u8],
) -> MediaId {
    client
        .upload_media_v2(account, bytes, "image/png", MediaCategory::DmImage)
        .await
        .unwrap()
}

/// The v2 config with every number X's defaults have, changed by `f`.
pub(crate) fn set_config(fake: &TwitterApi, f: impl FnOnce(&mut V2Config)) {
    let mut config = fake.v2_config();
    f(&mut config);
    fake.set_v2_config(config);
}

/// Every request to a `/2/` path was authenticated: OAuth 1.0a signatures that the fake's own
/// verifier accepted, or the app's bearer token; and at least `min_signed` were signed.
pub(crate) fn assert_v2_authenticated(fake: &TwitterApi, min_signed: usize) {
    let v2 = fake.requests_to("/2/");
    let mut signed = 0;
    for r in &v2 {
        match &r.auth {
            AuthSeen::OAuth { valid, .. } => {
                assert!(valid, "{} {} had a bad signature", r.method, r.path);
                signed += 1;
            }
            AuthSeen::Bearer { .. } => {}
            other => panic!("{} {} was sent with {other:?}", r.method, r.path),
        }
    }
    assert!(signed >= min_signed, "{signed} signed v2 requests");
}

/// No credential of the app or of `fake`'s owner appears in `text`.
pub(crate) fn assert_no_secret(fake: &TwitterApi, text: &str) {
    let app = fake.app();
    for secret in [
        &app.consumer_secret,
        &fake.owner().token,
        &fake.owner().token_secret,
    ] {
        assert!(!text.contains(secret.as_str()), "a secret leaked: {text}");
    }
}

/// What a test does with a page it does not read further.
pub(crate) fn ids(page: &DmEventPageV2) -> Vec<String> {
    page.events
        .iter()
        .map(|e| e.id.as_str().to_string())
        .collect()
}
