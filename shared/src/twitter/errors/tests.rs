use super::*;

fn body(code: i64, message: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({"errors":[{"code":code,"message":message}]})).unwrap()
}

fn ctx(webhook_call: bool) -> ErrorContext<'static> {
    ErrorContext {
        endpoint: "GET x",
        webhook_call,
        rate_limit: Some(RateLimit {
            limit: Some(15),
            remaining: Some(0),
            reset_at: Some(1_700_000_900),
        }),
    }
}

#[test]
fn code_88_and_http_429_are_rate_limits_with_the_reset_time() {
    let fixture = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/error_rate_limited.json"
    ));
    for (status, b) in [(429, fixture.to_vec()), (420, body(88, "x")), (429, vec![])] {
        let e = classify(status, &b, ctx(false));
        assert_eq!(
            e,
            TwitterError::RateLimited {
                endpoint: "GET x".into(),
                reset_at: Some(1_700_000_900),
                limit: Some(15),
                remaining: Some(0)
            }
        );
        assert_eq!(e.retry_after(1_700_000_000), Some(Duration::from_secs(900)));
        assert!(e.is_retryable() && !e.is_transient());
    }
}

#[test]
fn code_32_is_bad_credentials_and_says_to_check_keys_and_clock() {
    let e = classify(401, &body(32, "Could not authenticate you."), ctx(false));
    assert!(matches!(e, TwitterError::BadCredentials { code: 32, .. }));
    let text = e.to_string();
    assert!(text.contains("consumer key/secret"), "{text}");
    assert!(text.contains("clock"), "{text}");
    assert!(!e.is_retryable());
}

#[test]
fn code_214_on_a_webhook_call_is_a_crc_failure_with_twitters_message() {
    let fixture = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/error_crc_failed.json"
    ));
    let e = classify(400, fixture, ctx(true));
    let TwitterError::CrcFailed { message } = &e else {
        panic!("{e:?}");
    };
    assert!(message.contains("Invalid CRC token"));
    assert!(e.to_string().contains("dmbot webhook validate"));
}

#[test]
fn code_214_elsewhere_is_a_permanent_bad_request() {
    let e = classify(
        400,
        &body(214, "event.message_create.target: bad"),
        ctx(false),
    );
    assert!(matches!(
        e,
        TwitterError::Permanent {
            code: Some(214),
            status: 400,
            ..
        }
    ));
}

#[test]
fn codes_170_200_and_34_have_their_own_variants_and_advice() {
    let e = classify(400, &body(170, "Webhook does not exist"), ctx(false));
    assert!(e.to_string().contains("dmbot webhook register"), "{e}");
    let e = classify(403, &body(200, "Forbidden."), ctx(false));
    assert!(matches!(e, TwitterError::Forbidden { .. }));
    assert!(e.to_string().contains("case-sensitive"), "{e}");
    let e = classify(
        404,
        &body(34, "Sorry, that page does not exist."),
        ctx(false),
    );
    assert!(matches!(e, TwitterError::NotFound { .. }));
}

#[test]
fn server_errors_are_transient_and_other_client_errors_permanent() {
    let e = classify(503, &body(130, "Over capacity"), ctx(false));
    assert!(e.is_transient(), "{e:?}");
    let e = classify(502, b"<html>bad gateway</html>", ctx(false));
    assert!(e.is_transient(), "{e:?}");
    let e = classify(400, &body(44, "attachment.media.id is invalid"), ctx(false));
    assert_eq!(
        e,
        TwitterError::Permanent {
            endpoint: "GET x".into(),
            status: 400,
            code: Some(44),
            message: "attachment.media.id is invalid".into()
        }
    );
    assert!(!e.is_retryable());
}

#[test]
fn codeless_401_and_404_still_map_to_credentials_and_not_found() {
    assert!(matches!(
        classify(401, b"", ctx(false)),
        TwitterError::BadCredentials { .. }
    ));
    assert!(matches!(
        classify(404, b"{\"error\":\"nope\"}", ctx(false)),
        TwitterError::NotFound { .. }
    ));
}

#[test]
fn rate_limit_headers_are_read_when_present() {
    let mut h = http::HeaderMap::new();
    assert_eq!(RateLimit::from_headers(&h), None);
    h.insert("x-rate-limit-limit", "15".parse().unwrap());
    h.insert("x-rate-limit-remaining", "0".parse().unwrap());
    h.insert("x-rate-limit-reset", "1700000900".parse().unwrap());
    let r = RateLimit::from_headers(&h).unwrap();
    assert!(r.is_exhausted());
    assert_eq!(r.wait_from(1_700_001_000), Some(Duration::ZERO));
}

#[test]
fn plain_text_error_bodies_are_kept_short_and_printable() {
    let long = format!("<?xml?>\n<error>{}</error>", "x".repeat(1000));
    let entries = parse_error_body(long.as_bytes());
    assert_eq!(entries[0].message.chars().count(), 300);
    assert!(!entries[0].message.contains('\n'));
}

#[test]
fn an_exhausted_v2_24_hour_window_binds_over_the_15_minute_one() {
    fn headers(pairs: &[(&'static str, &str)]) -> http::HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (http::HeaderName::from_static(k), v.parse().unwrap()))
            .collect()
    }
    let mut pairs = vec![
        ("x-rate-limit-limit", "15"),
        ("x-rate-limit-remaining", "14"),
        ("x-rate-limit-reset", "1700000900"),
        ("x-app-limit-24hour-limit", "1440"),
        ("x-app-limit-24hour-remaining", "3"),
        ("x-app-limit-24hour-reset", "1700080000"),
    ];
    let r = RateLimit::from_headers(&headers(&pairs)).unwrap();
    assert_eq!(r.reset_at, Some(1_700_000_900));
    pairs.extend([
        ("x-user-limit-24hour-limit", "1440"),
        ("x-user-limit-24hour-remaining", "0"),
        ("x-user-limit-24hour-reset", "1700086400"),
    ]);
    let r = RateLimit::from_headers(&headers(&pairs)).unwrap();
    assert_eq!(
        (r.limit, r.remaining, r.reset_at),
        (Some(1440), Some(0), Some(1_700_086_400))
    );
}
