use super::*;

fn transient() -> TwitterError {
    TwitterError::Transient {
        endpoint: "x".into(),
        status: Some(503),
        reason: "HTTP 503".into(),
    }
}

fn limited(reset_at: Option<u64>) -> TwitterError {
    TwitterError::RateLimited {
        endpoint: "x".into(),
        reset_at,
        limit: Some(15),
        remaining: Some(0),
    }
}

fn permanent() -> TwitterError {
    TwitterError::Permanent {
        endpoint: "x".into(),
        status: 400,
        code: Some(44),
        message: "bad".into(),
    }
}

const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn backoff_doubles_is_capped_and_keeps_half_fixed() {
    let p = RetryPolicy::default();
    assert_eq!(p.backoff(1, 0.0), Duration::from_millis(125));
    assert_eq!(p.backoff(1, 1.0), Duration::from_millis(250));
    assert_eq!(p.backoff(3, 0.0), Duration::from_millis(500));
    assert_eq!(p.backoff(30, 1.0), p.max_backoff);
    let mid = p.backoff(2, 0.5);
    assert!(mid > Duration::from_millis(250) && mid < Duration::from_millis(500));
}

#[test]
fn a_rate_limit_waits_until_the_reset_plus_a_margin() {
    let p = RetryPolicy::default();
    assert_eq!(
        p.decide(&limited(Some(1_000_060)), 1, 1_000_000, HOUR, 0.3),
        Decision::RetryAfter(Duration::from_secs(61))
    );
}

#[test]
fn a_rate_limit_whose_reset_is_past_the_deadline_gives_up_at_once() {
    let p = RetryPolicy::default();
    assert_eq!(
        p.decide(
            &limited(Some(1_000_900)),
            1,
            1_000_000,
            Duration::from_secs(60),
            0.3
        ),
        Decision::GiveUp
    );
}

#[test]
fn a_rate_limit_without_reset_backs_off() {
    let p = RetryPolicy::default();
    assert_eq!(
        p.decide(&limited(None), 1, 0, HOUR, 0.0),
        Decision::RetryAfter(p.backoff(1, 0.0))
    );
}

#[test]
fn permanent_errors_are_never_retried_and_attempts_are_bounded() {
    let p = RetryPolicy::default();
    assert_eq!(p.decide(&permanent(), 1, 0, HOUR, 0.0), Decision::GiveUp);
    assert_eq!(
        p.decide(&transient(), p.max_attempts, 0, HOUR, 0.0),
        Decision::GiveUp
    );
}

#[tokio::test]
async fn retry_returns_the_first_success_after_transient_failures() {
    let timer = ManualTimer::new(1_000_000);
    let mut calls = 0;
    let result = retry_with(
        &RetryPolicy::default(),
        &timer,
        Instant::now() + HOUR,
        || {
            calls += 1;
            let n = calls;
            async move { if n < 3 { Err(transient()) } else { Ok(n) } }
        },
    )
    .await;
    assert_eq!(result, Ok(3));
    assert_eq!(timer.sleeps().len(), 2);
}

#[tokio::test]
async fn retry_gives_up_with_the_last_error_when_the_deadline_would_pass() {
    let timer = ManualTimer::new(1_000_000);
    let mut calls = 0;
    let result: Result<(), _> = retry_with(
        &RetryPolicy::default(),
        &timer,
        Instant::now() + Duration::from_secs(30),
        || {
            calls += 1;
            async { Err(limited(Some(1_000_900))) }
        },
    )
    .await;
    assert!(matches!(result, Err(TwitterError::RateLimited { .. })));
    assert_eq!(calls, 1);
    assert!(timer.sleeps().is_empty());
}

#[tokio::test]
async fn retry_stops_at_once_on_a_permanent_error() {
    let timer = ManualTimer::new(0);
    let mut calls = 0;
    let result: Result<(), _> = retry_with(
        &RetryPolicy::default(),
        &timer,
        Instant::now() + HOUR,
        || {
            calls += 1;
            async { Err(permanent()) }
        },
    )
    .await;
    assert_eq!(result, Err(permanent()));
    assert_eq!(calls, 1);
}

#[tokio::test]
async fn virtual_time_moves_forward_with_each_sleep_so_the_deadline_is_reached() {
    let timer = ManualTimer::new(0);
    let policy = RetryPolicy {
        max_attempts: 1000,
        ..RetryPolicy::default()
    };
    let result: Result<(), _> = retry_with(
        &policy,
        &timer,
        Instant::now() + Duration::from_secs(60),
        || async { Err(transient()) },
    )
    .await;
    assert!(result.is_err());
    assert!(timer.elapsed() <= Duration::from_secs(60));
    assert!(timer.sleeps().len() > 3);
}
