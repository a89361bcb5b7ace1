//! v2 media upload and DM event lookup.

use serde_json::json;

use super::support::{Auth, start};
use super::{CUSTOMER, parameter, send_path, world_with_customer};
#[tokio::test]
async fn media_uploads_check_category_size_segments_and_answer_status() {
    let w = start().await;
    let owner = w.owner();
    let init = |category: &str, total: u64| {
        Some(json!({"media_category": category, "media_type": "image/png", "total_bytes": total}))
    };
    let a = w
        .call(
            Auth::User(&owner),
            "POST",
            "/2/media/upload/initialize",
            init("tweet_image", 3),
        )
        .await;
    assert_eq!(parameter(&a.body), "media_category");
    let a = w
        .call(
            Auth::User(&owner),
            "POST",
            "/2/media/upload/initialize",
            init("dm_image", 6 << 20),
        )
        .await;
    assert_eq!(parameter(&a.body), "total_bytes");
    let a = w
        .call(
            Auth::User(&owner),
            "POST",
            "/2/media/upload/initialize",
            init("dm_image", 4),
        )
        .await;
    assert_eq!(a.status, 200);
    let id = a.body["data"]["id"].as_str().unwrap().to_string();
    assert_eq!(a.body["data"]["media_key"], format!("3_{id}"));
    assert_eq!(a.body["data"]["expires_after_secs"], 86400);
    // A multipart segment of 3 bytes: finalize sees 3 of 4.
    let multipart = b"--B\r\nContent-Disposition: form-data; name=\"segment_index\"\r\n\r\n0\r\n--B\r\nContent-Disposition: form-data; name=\"media\"; filename=\"m\"\r\n\r\nabc\r\n--B--\r\n".to_vec();
    let path = format!("/2/media/upload/{id}/append");
    let a = w
        .raw(
            Auth::User(&owner),
            "POST",
            &path,
            Some(("multipart/form-data; boundary=B", multipart)),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let finalize = format!("/2/media/upload/{id}/finalize");
    let a = w.call(Auth::User(&owner), "POST", &finalize, None).await;
    assert_eq!(a.status, 400);
    let too_much = json!({"media": "ZGVm", "segment_index": 1});
    let a = w
        .call(Auth::User(&owner), "POST", &path, Some(too_much))
        .await;
    assert_eq!(parameter(&a.body), "media");
    let a = w
        .call(
            Auth::User(&owner),
            "POST",
            &path,
            Some(json!({"media": "ZA==", "segment_index": 1})),
        )
        .await;
    assert_eq!(a.status, 200);
    let a = w.call(Auth::User(&owner), "POST", &finalize, None).await;
    assert_eq!((a.status, &a.body["data"]["size"]), (200, &json!(4)));
    let status = format!("/2/media/upload?command=STATUS&media_id={id}");
    let a = w.call(Auth::User(&owner), "GET", &status, None).await;
    assert_eq!(a.body["data"]["processing_info"]["state"], "succeeded");
    assert_eq!(w.api().media_bytes(&id).unwrap().1, b"abcd");
}

#[tokio::test]
async fn dm_events_are_read_newest_first_with_fields_and_pages() {
    let w = world_with_customer().await;
    let owner = w.owner();
    let a = w
        .call(
            Auth::User(&owner),
            "POST",
            &send_path(CUSTOMER),
            Some(json!({"text": "answer"})),
        )
        .await;
    assert_eq!(a.status, 201);
    let base = format!("/2/dm_conversations/with/{CUSTOMER}/dm_events");
    let path =
        format!("{base}?max_results=1&dm_event.fields=sender_id,created_at,dm_conversation_id");
    let a = w.call(Auth::User(&owner), "GET", &path, None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    let event = &a.body["data"][0];
    assert_eq!(
        (event["event_type"].as_str(), event["text"].as_str()),
        (Some("MessageCreate"), Some("answer"))
    );
    assert_eq!(event["sender_id"], owner.user_id.as_str());
    assert!(event["created_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        event["dm_conversation_id"],
        format!("{CUSTOMER}-{}", owner.user_id)
    );
    let next = a.body["meta"]["next_token"].as_str().unwrap().to_string();
    let a = w
        .call(
            Auth::User(&owner),
            "GET",
            &format!("{base}?pagination_token={next}"),
            None,
        )
        .await;
    assert_eq!(a.body["data"][0]["text"], "hello");
    assert!(a.body["data"][0].get("sender_id").is_none());
    assert_eq!(a.body["meta"]["result_count"], 1);
    let a = w
        .call(
            Auth::User(&owner),
            "GET",
            &format!("{base}?dm_event.fields=color"),
            None,
        )
        .await;
    assert_eq!(parameter(&a.body), "dm_event.fields");
    assert_eq!(w.api().v2_usage().dm_event_read, 2);
    let cost = w.api().v2_usage().cost_usd();
    assert!((cost - (0.015 + 2.0 * 0.010)).abs() < 1e-9, "{cost}");
}
