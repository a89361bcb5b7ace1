use super::*;
use crate::twitter::api_types::WebhookId;

fn hook(valid: bool) -> Webhook {
    Webhook {
        id: WebhookId::new("123").unwrap(),
        url: "https://example.com/webhooks/twitter".into(),
        valid,
        created_at: None,
    }
}

fn healthy(now: u64) -> HealthRecord {
    HealthRecord {
        last_crc_ms: Some(now - 60_000),
        last_crc_latency_us: Some(150),
        last_delivery_ms: Some(now - 120_000),
        last_watchdog: Some(WatchdogRun {
            at_ms: now - 30_000,
            outcome: WatchdogOutcome::Valid,
            detail: "webhook 123 is valid".into(),
            invalid_runs: 0,
            silent: false,
            list_rate_limit: None,
            crc_rate_limit: None,
        }),
    }
}

#[test]
fn a_valid_webhook_with_recent_traces_has_no_problems() {
    let now = 1_700_000_000_000;
    let r = WebhookStatusReport::build("prod", None, Ok(vec![hook(true)]), healthy(now), now);
    assert!(r.is_healthy(), "{:?}", r.problems);
    let text = r.render_text();
    assert!(text.contains("valid (id 123"));
    assert!(text.contains("answered in 0.15 ms"));
    assert!(text.contains("All good"));
}

#[test]
fn an_invalid_webhook_is_reported_with_the_validate_command() {
    let now = 1_700_000_000_000;
    let r = WebhookStatusReport::build("prod", None, Ok(vec![hook(false)]), healthy(now), now);
    assert!(!r.is_healthy());
    assert!(r.render_text().contains("dmbot webhook validate"));
    assert_eq!(r.to_json()["webhook"]["state"], "invalid");
}

#[test]
fn a_webhook_with_another_url_counts_as_missing() {
    let now = 1_700_000_000_000;
    let r = WebhookStatusReport::build(
        "prod",
        Some("https://other.example/webhooks/twitter"),
        Ok(vec![hook(true)]),
        healthy(now),
        now,
    );
    assert!(matches!(r.webhook, WebhookState::Missing { .. }));
    assert!(r.render_text().contains("dmbot webhook register"));
}
