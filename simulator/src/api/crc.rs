//! Twitter's challenge-response check (CRC), both ways: the GET this fake sends to a webhook
//! before registering or re-enabling it (when [`super::TwitterApi::set_crc_check`] is on), and
//! two test webhooks on this server (`/_fake/webhook`, `/_fake/webhook-wrong-secret`) that answer
//! it with the right and a wrong secret.

use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use axum::extract::State;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};

use super::reply::{Reply, json_reply, reply};
use super::request::Call;
use super::state::{Shared, random_string};

fn hmac_sha256_b64(key: &str, msg: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(msg);
    B64.encode(mac.finalize().into_bytes())
}

/// Runs Twitter's CRC against `url`: a GET with a fresh `crc_token`, expecting 200 and
/// `{"response_token":"sha256=<base64 HMAC-SHA256(consumer secret, token)>"}`.
pub(crate) async fn run_crc(shared: &Shared, url: &str) -> Result<(), String> {
    let token = random_string(24);
    let secret = shared.lock().app.consumer_secret.clone();
    let expected = format!("sha256={}", hmac_sha256_b64(&secret, token.as_bytes()));
    let separator = if url.contains('?') { '&' } else { '?' };
    let response = shared
        .http
        .get(format!("{url}{separator}crc_token={token}"))
        .timeout(Duration::from_secs(3))
        .send()
        .await
        .map_err(|_| "Webhook URL does not meet the requirements. Please ensure the URL is reachable and answers within 3 seconds.".to_string())?;
    if response.status().as_u16() != 200 {
        return Err(format!(
            "Webhook URL does not meet the requirements. Received HTTP {} on the CRC GET request.",
            response.status().as_u16()
        ));
    }
    let body: Value = response.json().await.map_err(|_| {
        "Webhook URL does not meet the requirements. Invalid CRC token or json response format."
            .to_string()
    })?;
    if body["response_token"].as_str() != Some(expected.as_str()) {
        return Err(
            "Webhook URL does not meet the requirements. Invalid CRC token or json response format."
                .into(),
        );
    }
    Ok(())
}

fn crc_answer(shared: &Shared, call: &Call, correct: bool) -> Reply {
    let Some(token) = call.q("crc_token") else {
        return reply(400, "text/plain", b"missing crc_token".to_vec());
    };
    let secret = if correct {
        shared.lock().app.consumer_secret.clone()
    } else {
        "not-the-consumer-secret".to_string()
    };
    json_reply(
        200,
        json!({"response_token": format!("sha256={}", hmac_sha256_b64(&secret, token.as_bytes()))}),
    )
}

/// `GET /_fake/webhook`: the CRC answered with the app's consumer secret.
pub(crate) async fn answer_right(
    State(shared): State<Arc<Shared>>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    crc_answer(&shared, &call, true)
}

/// `GET /_fake/webhook-wrong-secret`: the CRC answered with a wrong secret.
pub(crate) async fn answer_wrong(
    State(shared): State<Arc<Shared>>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    crc_answer(&shared, &call, false)
}

/// `POST` to either test webhook: a delivery, acknowledged.
pub(crate) async fn acknowledge() -> Reply {
    reply(200, "text/plain", Vec::new())
}
