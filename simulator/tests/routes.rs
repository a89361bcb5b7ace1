//! The simulator's routing table as a caller sees it: which authentication each path and
//! method asks for, what a path or method no endpoint serves gets (404 code 34 after a user's
//! authentication, never a bare 405), the environment check under `all/<env>/`, `HEAD`, the
//! test webhooks, the request log and rate headers on every answer, faults after authentication,
//! and the body size limit. Only unsigned calls (none, a bogus or a real bearer token, Basic):
//! what an OAuth 1.0a need looks like from outside is `403` code 220 for a bearer token.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use dmbot_simulator::api::{AuthSeen, Fault, TwitterApi};
use http::Method;
use serde_json::Value;

/// `(status, first error code)` of an answer.
type Seen = (u16, Option<i64>);

async fn call(fake: &TwitterApi, method: &str, path: &str, auth: Option<&str>) -> Seen {
    let client = reqwest::Client::new();
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = client.request(method, format!("{}{path}", fake.base_url()));
    if let Some(auth) = auth {
        request = request.header("authorization", auth);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (status, body["errors"][0]["code"].as_i64())
}

async fn bearer(fake: &TwitterApi) -> String {
    let app = fake.app();
    let basic = B64.encode(format!("{}:{}", app.consumer_key, app.consumer_secret));
    let response = reqwest::Client::new()
        .post(format!("{}/oauth2/token", fake.base_url()))
        .header("authorization", format!("Basic {basic}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    format!("Bearer {}", body["access_token"].as_str().unwrap())
}

const BAD_AUTH_DATA: Seen = (400, Some(215));
const NOT_THESE_CREDENTIALS: Seen = (403, Some(220));
const NOT_FOUND: Seen = (404, Some(34));
const FORBIDDEN: Seen = (403, Some(200));

#[tokio::test]
async fn each_path_and_method_asks_for_its_own_authentication() {
    let fake = TwitterApi::start().await;
    let token = bearer(&fake).await;
    let all = "/1.1/account_activity/all";
    // (method, path, with no authentication, with the app's bearer token)
    #[rustfmt::skip]
    let table: Vec<(&str, String, Seen, Seen)> = vec![
        // Bearer-only app-wide calls.
        ("GET", format!("{all}/webhooks.json"), BAD_AUTH_DATA, (200, None)),
        ("GET", format!("{all}/count.json"), BAD_AUTH_DATA, (200, None)),
        ("GET", format!("{all}/subscriptions/count.json"), BAD_AUTH_DATA, (200, None)),
        // Another method there: a user's authentication, then the environment "subscriptions".
        ("POST", format!("{all}/subscriptions/count.json"), BAD_AUTH_DATA, NOT_THESE_CREDENTIALS),
        // One environment.
        ("GET", format!("{all}/dev/webhooks.json"), BAD_AUTH_DATA, (200, None)),
        ("POST", format!("{all}/dev/webhooks.json"), BAD_AUTH_DATA, NOT_THESE_CREDENTIALS),
        ("PUT", format!("{all}/dev/webhooks/123.json"), BAD_AUTH_DATA, NOT_FOUND),
        ("PUT", format!("{all}/dev/webhooks/"), BAD_AUTH_DATA, NOT_FOUND),
        ("DELETE", format!("{all}/dev/webhooks/123.json"), BAD_AUTH_DATA, NOT_THESE_CREDENTIALS),
        ("GET", format!("{all}/dev/webhooks/123.json"), BAD_AUTH_DATA, NOT_THESE_CREDENTIALS),
        ("GET", format!("{all}/dev/subscriptions/list.json"), BAD_AUTH_DATA, (200, None)),
        ("DELETE", format!("{all}/dev/subscriptions/list.json"), BAD_AUTH_DATA, NOT_FOUND),
        ("DELETE", format!("{all}/dev/subscriptions/123.json"), BAD_AUTH_DATA, NOT_FOUND),
        ("DELETE", format!("{all}/dev/subscriptions/"), BAD_AUTH_DATA, NOT_FOUND),
        ("GET", format!("{all}/dev/subscriptions.json"), BAD_AUTH_DATA, NOT_THESE_CREDENTIALS),
        // Another environment: 403 once authenticated.
        ("GET", format!("{all}/prod/subscriptions/list.json"), BAD_AUTH_DATA, FORBIDDEN),
        ("GET", format!("{all}/prod/webhooks.json"), BAD_AUTH_DATA, FORBIDDEN),
        ("PATCH", format!("{all}/prod/anything"), BAD_AUTH_DATA, NOT_THESE_CREDENTIALS),
        // Environments named like the app-wide paths' segments.
        ("GET", format!("{all}/subscriptions/subscriptions/list.json"), BAD_AUTH_DATA, FORBIDDEN),
        ("GET", format!("{all}/webhooks.json/webhooks.json"), BAD_AUTH_DATA, FORBIDDEN),
        ("GET", format!("{all}/count.json/subscriptions/list.json"), BAD_AUTH_DATA, FORBIDDEN),
        // Users.
        ("GET", "/1.1/users/lookup.json?user_id=4337869213".into(), BAD_AUTH_DATA, (200, None)),
        ("POST", "/1.1/users/lookup.json".into(), BAD_AUTH_DATA, NOT_THESE_CREDENTIALS),
        ("GET", "/1.1/account/verify_credentials.json".into(), BAD_AUTH_DATA, NOT_THESE_CREDENTIALS),
        // User-token families.
        ("GET", "/1.1/direct_messages/events/list.json".into(), BAD_AUTH_DATA, NOT_THESE_CREDENTIALS),
        ("PUT", "/1.1/direct_messages/events/new.json".into(), BAD_AUTH_DATA, NOT_THESE_CREDENTIALS),
        ("PUT", "/1.1/media/upload.json".into(), BAD_AUTH_DATA, NOT_THESE_CREDENTIALS),
        ("GET", "/1.1/custom_profiles/123.json".into(), BAD_AUTH_DATA, NOT_THESE_CREDENTIALS),
        ("GET", "/1.1/direct_messages/welcome_messages/list.json".into(), BAD_AUTH_DATA, NOT_THESE_CREDENTIALS),
        // OAuth flows.
        ("GET", "/oauth/authorize".into(), (200, None), (200, None)),
        ("GET", "/oauth/authenticate".into(), (200, None), (200, None)),
        ("POST", "/oauth/authorize".into(), BAD_AUTH_DATA, NOT_THESE_CREDENTIALS),
        ("POST", "/oauth/request_token".into(), BAD_AUTH_DATA, NOT_THESE_CREDENTIALS),
        ("POST", "/oauth/access_token".into(), BAD_AUTH_DATA, NOT_THESE_CREDENTIALS),
        ("POST", "/oauth2/token".into(), BAD_AUTH_DATA, NOT_THESE_CREDENTIALS),
        ("GET", "/oauth2/token".into(), BAD_AUTH_DATA, NOT_THESE_CREDENTIALS),
        // The test webhooks take no authentication.
        ("GET", "/_fake/webhook?crc_token=abc".into(), (200, None), (200, None)),
        ("GET", "/_fake/webhook-wrong-secret?crc_token=abc".into(), (200, None), (200, None)),
        ("POST", "/_fake/webhook".into(), (200, None), (200, None)),
        ("PUT", "/_fake/webhook".into(), NOT_FOUND, NOT_FOUND),
        ("GET", "/_fake/nothing".into(), NOT_FOUND, NOT_FOUND),
        // Anything else.
        ("GET", "/nothing".into(), BAD_AUTH_DATA, NOT_THESE_CREDENTIALS),
        ("GET", "/1.1/users/lookup.json/".into(), BAD_AUTH_DATA, NOT_THESE_CREDENTIALS),
    ];
    for (method, path, unauthenticated, with_bearer) in table {
        assert_eq!(
            call(&fake, method, &path, None).await,
            unauthenticated,
            "{method} {path} without authentication"
        );
        assert_eq!(
            call(&fake, method, &path, Some(&token)).await,
            with_bearer,
            "{method} {path} with a bearer token"
        );
    }
    assert_eq!(
        call(
            &fake,
            "GET",
            &format!("{all}/webhooks.json"),
            Some("Bearer bogus")
        )
        .await,
        (401, Some(89)),
        "a bearer token the fake did not issue"
    );
}

#[tokio::test]
async fn head_is_not_get() {
    let fake = TwitterApi::start().await;
    let token = bearer(&fake).await;
    let status = |(s, _): Seen| s;
    // A GET endpoint answers HEAD as a path it does not serve: a user's authentication first.
    let lookup = "/1.1/users/lookup.json?user_id=4337869213";
    assert_eq!(status(call(&fake, "HEAD", lookup, Some(&token)).await), 403);
    assert_eq!(status(call(&fake, "HEAD", lookup, None).await), 400);
    assert_eq!(
        status(call(&fake, "HEAD", "/oauth/authorize", None).await),
        400
    );
    assert_eq!(
        status(call(&fake, "HEAD", "/_fake/webhook", None).await),
        404
    );
    // The upload URL takes every method: HEAD reaches it (and is refused for its token).
    assert_eq!(
        status(call(&fake, "HEAD", "/1.1/media/upload.json", Some(&token)).await),
        403
    );
}

#[tokio::test]
async fn every_answer_is_logged_with_rate_headers() {
    let fake = TwitterApi::start().await;
    let response = reqwest::Client::new()
        .get(format!("{}/nothing?a=1&b=x+y", fake.base_url()))
        .header("authorization", "Bearer bogus")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
    assert_eq!(response.headers()["x-rate-limit-limit"], "1000");
    assert_eq!(response.headers()["x-rate-limit-remaining"], "999");
    let webhooks = format!(
        "{}/1.1/account_activity/all/dev/webhooks.json",
        fake.base_url()
    );
    let response = reqwest::get(&webhooks).await.unwrap();
    assert_eq!(response.headers()["x-rate-limit-limit"], "15");

    let log = fake.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].method, "GET");
    assert_eq!(log[0].path, "/nothing");
    assert_eq!(log[0].query_value("b"), Some("x y"));
    assert_eq!(log[0].status, 403);
    assert_eq!(
        log[0].auth,
        AuthSeen::Bearer {
            token: "bogus".into()
        }
    );
    assert_eq!(log[1].auth, AuthSeen::None);
    assert_eq!(log[1].status, 400);
}

#[tokio::test]
async fn a_fault_acts_after_authentication_and_a_rate_limit_fault_sets_its_own_headers() {
    let fake = TwitterApi::start().await;
    let token = bearer(&fake).await;
    let count = "/1.1/account_activity/all/count.json";
    fake.fail_next("count.json", 1, Fault::Status(503));
    assert_eq!(call(&fake, "GET", count, None).await, BAD_AUTH_DATA);
    assert_eq!(
        call(&fake, "GET", count, Some(&token)).await,
        (503, Some(131))
    );
    assert_eq!(call(&fake, "GET", count, Some(&token)).await, (200, None));

    fake.fail_next("count.json", 1, Fault::RateLimited { reset_at: 42 });
    let response = reqwest::Client::new()
        .get(format!("{}{count}", fake.base_url()))
        .header("authorization", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    assert_eq!(response.headers()["x-rate-limit-reset"], "42");
    assert_eq!(response.headers()["x-rate-limit-remaining"], "0");
    // Unknown paths take faults too, once authenticated.
    fake.fail_next("/_fake/nothing", 1, Fault::Status(502));
    assert_eq!(
        call(&fake, "GET", "/_fake/nothing", None).await,
        (502, Some(131))
    );
    assert_eq!(call(&fake, "GET", "/_fake/nothing", None).await, NOT_FOUND);
}

#[tokio::test]
async fn a_body_over_axums_default_limit_is_refused_before_the_log() {
    let fake = TwitterApi::start().await;
    let response = reqwest::Client::new()
        .post(format!("{}/1.1/media/upload.json", fake.base_url()))
        .body(vec![b'x'; 3 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 413);
    assert!(fake.requests().is_empty());
}
