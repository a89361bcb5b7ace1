//! `dmbot serve` as an attacker meets it: the CRC is no signing oracle, the simulator is not
//! served beyond loopback unless asked, requests for another host name are refused, every answer
//! carries the browser hardening headers, and the receiving side will not start without the app id.
//! The stack runs in this process ([`support::InProcess`]) except where the test reads the exit
//! status or stderr of the real binary.

mod support;

use dmbot_simulator::TwitterApi;
use dmbot_simulator::live::sign;
use serde_json::{Value, json};
use support::{InProcess, Served, credentials_env};

async fn serve_exits_with(args: &[&str], env: &[(&str, String)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_dmbot"));
    cmd.args(["serve", "--port", "0", "--flow"])
        .arg(support::example_flow())
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args(args)
        .current_dir(dir.path())
        .kill_on_drop(true);
    for var in support::TWITTER_VARS {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = tokio::time::timeout(std::time::Duration::from_secs(60), cmd.output())
        .await
        .expect("serve exits instead of starting")
        .unwrap();
    assert!(!output.status.success(), "serve should refuse to start");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// C1, end to end: the attack that removed an account. The CRC is asked to "answer" a forged
/// revoke; it refuses, and the account keeps answering.
#[tokio::test]
async fn the_crc_will_not_sign_a_forged_delivery() {
    let fake = TwitterApi::start().await;
    let dir = tempfile::tempdir().unwrap();
    let served = InProcess::start(&dir.path().join("data"), &credentials_env(&fake), &[]).await;
    let account = fake.owner().user_id.clone();
    let forged = json!({
        "for_user_id": account,
        "user_event": {"revoke": {"date_time": "2026-11-01T00:00:00+0000",
            "target": {"app_id": fake.app().app_id}, "source": {"user_id": account}}}
    })
    .to_string();
    let http = reqwest::Client::new();
    let crc = http
        .get(format!("{}/webhooks/twitter", served.base_url))
        .query(&[("crc_token", forged.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(crc.status(), 400);
    let body: Value = crc.json().await.unwrap();
    assert!(
        body["error"] == "crc_token_too_long" || body["error"] == "crc_token_not_base64",
        "{body}"
    );
    assert!(body.get("response_token").is_none());

    // A real token still works.
    let token = "cOXDuZN0ngs0hP4OEB9sC0jYjNHxBbyjJ5fpAh3pzWs=";
    let crc: Value = http
        .get(format!("{}/webhooks/twitter", served.base_url))
        .query(&[("crc_token", token)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        crc["response_token"],
        sign(&fake.app().consumer_secret, token.as_bytes())
    );
    served.stop().await;
}

/// M3: without `TWITTER_APP_ID` the bot's own echo could be taken for a person and pause it.
#[tokio::test]
async fn with_credentials_serve_refuses_to_start_without_the_app_id() {
    let fake = TwitterApi::start().await;
    let env: Vec<_> = credentials_env(&fake)
        .into_iter()
        .filter(|(k, _)| *k != "TWITTER_APP_ID")
        .collect();
    let stderr = serve_exits_with(&[], &env).await;
    assert!(stderr.contains("TWITTER_APP_ID"), "{stderr}");
    assert!(stderr.contains("pause the bot"), "{stderr}");
}

/// L5: the simulator's pages read and write every conversation; they stay on loopback unless the
/// operator says otherwise, loudly.
#[tokio::test]
async fn the_simulator_is_not_served_on_a_public_address_unless_allowed() {
    let stderr = serve_exits_with(&["--host", "0.0.0.0"], &[]).await;
    assert!(stderr.contains("--allow-remote"), "{stderr}");

    let dir = tempfile::tempdir().unwrap();
    let served = Served::start(
        dir.path(),
        &dir.path().join("data"),
        &[],
        &["--host", "0.0.0.0", "--allow-remote"],
    )
    .await;
    assert!(served.log().contains("WARNING"), "{}", served.log());
    served.terminate().await;
}

/// L5 and L13: a page elsewhere that rebinds its name to 127.0.0.1 gets nothing; every answer
/// forbids sniffing and inline script.
#[tokio::test]
async fn another_host_name_is_refused_and_answers_carry_security_headers() {
    let dir = tempfile::tempdir().unwrap();
    let served = InProcess::start(&dir.path().join("data"), &[], &[]).await;
    let http = reqwest::Client::new();
    let port = served
        .base_url
        .rsplit(':')
        .next()
        .expect("a port")
        .to_string();

    let rebound = http
        .get(format!("{}/sim/api/feed", served.base_url))
        .header("host", format!("attacker.example:{port}"))
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 421);
    let body: Value = rebound.json().await.unwrap();
    assert_eq!(body["error"], "host_not_allowed");

    for path in ["/", "/sim/app.js", "/healthz", "/sim/media/404"] {
        let page = http
            .get(format!("{}{path}", served.base_url))
            .send()
            .await
            .unwrap();
        let headers = page.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
    }
    let localhost = http
        .get(format!("http://localhost:{port}/healthz"))
        .send()
        .await;
    // `localhost` may resolve to ::1 first where serve listens on 127.0.0.1 only; when it
    // connects, the name is allowed.
    if let Ok(response) = localhost {
        assert_eq!(response.status(), 200);
    }
    served.stop().await;
}

/// L7: a client that sends half a body and stalls is cut off (503) instead of holding the
/// connection and the handler forever.
#[tokio::test]
async fn a_request_whose_body_never_finishes_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let served = InProcess::start(&dir.path().join("data"), &[], &[]).await;
    let authority = served
        .base_url
        .strip_prefix("http://")
        .expect("an http URL")
        .to_string();
    let mut stream = tokio::net::TcpStream::connect(&authority).await.unwrap();
    let head = format!(
        "POST /webhooks/twitter HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"for"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // Read until the answer is complete or the connection closes (whichever serve does first).
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(120), async {
        let mut buf = [0u8; 1024];
        loop {
            let n = stream.read(&mut buf).await.unwrap_or(0);
            answer.extend_from_slice(&buf[..n]);
            if n == 0 || String::from_utf8_lossy(&answer).contains("request_timeout") {
                break;
            }
        }
    })
    .await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(read.is_ok(), "serve kept the stalled request open");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    served.stop().await;
}
