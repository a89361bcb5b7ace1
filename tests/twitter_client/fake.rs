//! The fake itself refuses what Twitter refuses (oversized bodies, unsigned requests, replays).

use crate::support::*;

#[tokio::test]
async fn the_fake_refuses_bodies_beyond_twitters_limits_and_unsigned_requests() {
    let fake = TwitterApi::start().await;
    let url = url::Url::parse(&format!(
        "{}/1.1/direct_messages/events/new.json",
        fake.base_url()
    ))
    .unwrap();
    let options: Vec<_> = (0..21)
        .map(|i| serde_json::json!({"label": format!("o{i}")}))
        .collect();
    let body = serde_json::json!({"event":{"type":"message_create","message_create":{
        "target":{"recipient_id":"3001969357"},
        "message_data":{"text":"x","quick_reply":{"type":"options","options":options}}}}});
    let signer = Signer::new(consumer(&fake));
    let auth = signer.authorization(
        &dmbot_shared::twitter::oauth1::SignatureRequest {
            method: "POST",
            url: &url,
            form: &[],
            extra_oauth: &[],
        },
        Some(&tokens(fake.owner())),
    );
    let http = reqwest::Client::new();
    let response = http
        .post(url.clone())
        .header("authorization", auth)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let error: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error["errors"][0]["code"], 214);
    assert!(
        error["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("1 to 20")
    );

    let unsigned = http.post(url).body("{}").send().await.unwrap();
    assert_eq!(unsigned.status().as_u16(), 400);
    assert!(fake.sent_messages().is_empty());
}

#[tokio::test]
async fn the_fake_refuses_a_replayed_nonce() {
    let fake = TwitterApi::start().await;
    let now = now_unix();
    let fixed = Signer::with_sources(
        consumer(&fake),
        Arc::new(move || now),
        Arc::new(|| "same-nonce-every-time".to_string()),
    );
    let client = TwitterClient::with_parts(client_config(&fake), reqwest::Client::new(), fixed);
    let account = tokens(fake.owner());
    client.verify_credentials(&account).await.unwrap();
    let replay = client.verify_credentials(&account).await.unwrap_err();
    assert!(
        matches!(replay, TwitterError::BadCredentials { .. }),
        "{replay:?}"
    );
}
