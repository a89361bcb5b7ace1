//! The simulator toward a webhook: signed deliveries, retries when the answer is not 200,
//! dropping after the last retry, and the shapes of customer and agent messages.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use dmbot_simulator::live::{SIGNATURE_HEADER, TWITTER_WEB_APP_ID, sign};
use dmbot_simulator::{Simulator, SimulatorConfig};
use http::{HeaderMap, StatusCode};
use serde_json::Value;

/// What the test webhook received, and the statuses it answers with (then 200).
#[derive(Default)]
struct Hook {
    received: Vec<(Option<String>, Bytes)>,
    answers: Vec<u16>,
}

type Shared = Arc<Mutex<Hook>>;

async fn hook(State(h): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let mut h = h.lock().unwrap();
    let sig = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    h.received.push((sig, body));
    let status = if h.answers.is_empty() {
        200
    } else {
        h.answers.remove(0)
    };
    StatusCode::from_u16(status).unwrap()
}

async fn start(answers: Vec<u16>, retries: usize) -> (Simulator, Shared) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut config = SimulatorConfig::new(base.clone());
    config.retry_delays = vec![Duration::from_millis(5); retries];
    let (sim, router) = Simulator::new(config);
    let shared: Shared = Arc::new(Mutex::new(Hook {
        received: Vec::new(),
        answers,
    }));
    let app = Router::new()
        .route("/hook", post(hook))
        .with_state(shared.clone())
        .fallback_service(router);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    sim.api().add_webhook(&format!("{base}/hook"));
    (sim, shared)
}

async fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let give_up = Instant::now() + Duration::from_secs(30);
    while !f() {
        assert!(Instant::now() < give_up, "gave up waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn a_delivery_answered_500_is_retried_with_the_same_signed_body() {
    let (sim, hook) = start(vec![500], 3).await;
    sim.customer_sends("Size guide", Some("sizing"));
    wait_until("a delivered retry", || sim.delivery_stats().delivered == 1).await;

    let received = hook.lock().unwrap().received.clone();
    assert_eq!(received.len(), 2, "one failed attempt, one retry");
    assert_eq!(
        received[0].1, received[1].1,
        "the retry carries the same bytes"
    );
    let secret = &sim.api().app().consumer_secret;
    for (sig, body) in &received {
        assert_eq!(sig.as_deref(), Some(sign(secret, body).as_str()));
    }
    let envelope: Value = serde_json::from_slice(&received[0].1).unwrap();
    assert_eq!(envelope["for_user_id"], sim.api().owner().user_id.as_str());
    let create = &envelope["direct_message_events"][0]["message_create"];
    assert_eq!(create["sender_id"], sim.customer_id());
    assert_eq!(create["message_data"]["text"], "Size guide");
    assert_eq!(
        create["message_data"]["quick_reply_response"]["metadata"],
        "sizing"
    );
    assert!(envelope["users"][sim.customer_id()].is_object());
    assert_eq!(sim.delivery_stats().failed_attempts, 1);
}

#[tokio::test]
async fn a_delivery_never_answered_200_is_dropped_after_the_last_retry() {
    let (sim, hook) = start(vec![503, 503, 503, 503], 2).await;
    sim.customer_sends("hello", None);
    wait_until("the drop", || sim.delivery_stats().dropped == 1).await;
    assert_eq!(
        hook.lock().unwrap().received.len(),
        3,
        "first try and two retries"
    );
    assert_eq!(sim.delivery_stats().delivered, 0);
}

#[tokio::test]
async fn an_agent_message_comes_from_the_account_through_twitters_web_app() {
    let (sim, hook) = start(vec![], 0).await;
    sim.agent_sends("Hi, this is Dana.");
    wait_until("the delivery", || sim.delivery_stats().delivered == 1).await;
    let body = hook.lock().unwrap().received[0].1.clone();
    let envelope: Value = serde_json::from_slice(&body).unwrap();
    let create = &envelope["direct_message_events"][0]["message_create"];
    assert_eq!(create["sender_id"], sim.api().owner().user_id.as_str());
    assert_eq!(create["target"]["recipient_id"], sim.customer_id());
    assert_eq!(create["source_app_id"], TWITTER_WEB_APP_ID);
    assert_eq!(
        envelope["apps"][TWITTER_WEB_APP_ID]["name"],
        "Twitter Web App"
    );
    let feed = sim.feed();
    assert_eq!(feed.len(), 1);
    assert_eq!(feed[0].from, "agent");
}
