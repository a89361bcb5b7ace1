//! The retry helper against real responses: rate-limit resets, backoff, the deadline.

use crate::support::*;

fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(100),
        ..RetryPolicy::default()
    }
}

#[tokio::test]
async fn retry_waits_for_the_rate_limit_reset_then_succeeds() {
    let fake = TwitterApi::start().await;
    let now = now_unix();
    fake.fail_next(
        "events/new.json",
        1,
        Fault::RateLimited { reset_at: now + 30 },
    );
    let client = client(&fake);
    let (account, dm) = (tokens(fake.owner()), text_dm("after the window"));
    let timer = ManualTimer::new(now);
    let event = retry_with(
        &fast_policy(),
        &timer,
        Instant::now() + Duration::from_secs(120),
        || client.send_direct_message(&account, &dm),
    )
    .await
    .unwrap();
    assert_eq!(
        fake.sent_messages()[0]["id"].as_str(),
        Some(event.id.as_str())
    );
    assert_eq!(
        timer.sleeps(),
        vec![Duration::from_secs(31)],
        "reset plus a one-second margin"
    );
    assert_eq!(fake.requests_to("events/new.json").len(), 2);
}

#[tokio::test]
async fn retry_backs_off_on_server_errors_then_succeeds() {
    let fake = TwitterApi::start().await;
    fake.fail_next("events/new.json", 2, Fault::Status(503));
    let client = client(&fake);
    let (account, dm) = (tokens(fake.owner()), text_dm("eventually"));
    let timer = ManualTimer::new(now_unix());
    let result = retry_with(
        &fast_policy(),
        &timer,
        Instant::now() + Duration::from_secs(60),
        || client.send_direct_message(&account, &dm),
    )
    .await;
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(timer.sleeps().len(), 2);
    assert_eq!(
        fake.sent_messages().len(),
        1,
        "exactly one message was stored"
    );
}

#[tokio::test]
async fn retry_gives_up_when_the_reset_is_past_the_deadline() {
    let fake = TwitterApi::start().await;
    let now = now_unix();
    fake.fail_next(
        "events/new.json",
        5,
        Fault::RateLimited {
            reset_at: now + 900,
        },
    );
    let client = client(&fake);
    let (account, dm) = (tokens(fake.owner()), text_dm("too late"));
    let timer = ManualTimer::new(now);
    let err = retry_with(
        &fast_policy(),
        &timer,
        Instant::now() + Duration::from_secs(60),
        || client.send_direct_message(&account, &dm),
    )
    .await
    .unwrap_err();
    assert!(err.is_rate_limited(), "{err:?}");
    assert!(timer.sleeps().is_empty());
    assert_eq!(fake.requests_to("events/new.json").len(), 1);
}

#[tokio::test]
async fn retry_does_not_repeat_a_permanent_error() {
    let fake = TwitterApi::start().await;
    fake.fail_next(
        "events/new.json",
        1,
        Fault::Error {
            status: 400,
            code: 44,
            message: "bad".into(),
        },
    );
    let client = client(&fake);
    let (account, dm) = (tokens(fake.owner()), text_dm("x"));
    let timer = ManualTimer::new(now_unix());
    let err = retry_with(
        &fast_policy(),
        &timer,
        Instant::now() + Duration::from_secs(60),
        || client.send_direct_message(&account, &dm),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, TwitterError::Permanent { .. }));
    assert_eq!(fake.requests_to("events/new.json").len(), 1);
}
