//! `dmbot webhook status`: Twitter's answer and the health record together.

use crate::support::*;

#[tokio::test]
async fn the_status_report_combines_twitter_and_the_health_record() {
    let fake = TwitterApi::start().await;
    let url = fake.crc_ok_url();
    register(&fake, &url).await;
    let store = store_with_recent_delivery().await;
    let now = now_ms();
    store.record_crc(now - 5_000, 180).await.unwrap();
    run_at(&fake, &store, &url, now).await;

    let report =
        dmbot_shared::webhook_status::gather(&client(&fake), &env(&fake), Some(&url), &store, now)
            .await;

    assert!(report.is_healthy(), "{:?}", report.problems);
    let text = report.render_text();
    assert!(text.contains("Webhook:        valid"), "{text}");
    assert!(text.contains("answered in 0.18 ms"), "{text}");
    assert!(text.contains("webhook valid"), "{text}");
    assert_eq!(report.to_json()["last_crc_latency_us"], 180);
}
