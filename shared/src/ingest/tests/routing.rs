//! Planning order, routing by method, and the headers the handlers read.

use super::*;

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
    let get = http::Request::get("/webhooks/twitter?crc_token=abc")
        .body(Bytes::new())
        .unwrap();
    let response = handle_request(&d, &get, NOW).await;
    assert_eq!(response.status(), 200);
    assert!(response.body().contains("response_token"));

    let post = signed_post(fixture("webhook_dm_text.json"));
    assert_eq!(handle_request(&d, &post, NOW).await.status(), 200);

    let delete = http::Request::delete("/webhooks/twitter?crc_token=abc")
        .body(Bytes::new())
        .unwrap();
    assert_eq!(handle_request(&d, &delete, NOW).await.status(), 405);
}

#[test]
fn header_lookup_ignores_case() {
    let request = post_with_header(Vec::new(), Some("sha256=x".into()));
    assert_eq!(
        request.header("x-twitter-webhooks-signature"),
        Some("sha256=x")
    );
    assert_eq!(
        request.header("X-TWITTER-WEBHOOKS-SIGNATURE"),
        Some("sha256=x")
    );
    assert_eq!(request.header("authorization"), None);
}

#[test]
fn the_signature_header_is_read_from_the_http_map_whatever_else_it_holds() {
    let body = fixture("webhook_dm_text.json");
    let mut map = http::HeaderMap::new();
    map.insert(
        "X-Twitter-Webhooks-Signature",
        WebhookSecret::new(SECRET).sign(&body).parse().unwrap(),
    );
    map.insert("content-type", "application/json".parse().unwrap());
    map.insert("authorization", "Bearer secret".parse().unwrap());
    let secret = WebhookSecret::new(SECRET);
    assert!(verify_and_plan(&secret, Some(OUR_APP), &map, &body).is_ok());
    // A value that is not text is refused as malformed, not as missing.
    map.insert(
        SIGNATURE_HEADER,
        http::HeaderValue::from_bytes(b"sha256=\xff").unwrap(),
    );
    let err = verify_and_plan(&secret, Some(OUR_APP), &map, &body).unwrap_err();
    assert_eq!(err.status(), 401);
    assert_ne!(err.code(), "signature_missing", "{err}");
}
