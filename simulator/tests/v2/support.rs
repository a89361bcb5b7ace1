//! The harness of the v2 tests: a simulator served with a test webhook (`/hook`) beside it,
//! requests signed with a small OAuth 1.0a signer written here from RFC 5849 (not the bot's),
//! the app's bearer token, and answers read as `(status, headers, JSON)`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use dmbot_simulator::live::SIGNATURE_HEADER;
use dmbot_simulator::{SimAccount, Simulator, SimulatorConfig, TwitterApi};
use hmac::{Hmac, Mac};
use http::{HeaderMap, StatusCode};
use serde_json::Value;

/// What the test webhook received: `(signature header, body)`.
pub type Received = Arc<Mutex<Vec<(String, Bytes)>>>;

pub struct World {
    pub sim: Simulator,
    pub base: String,
    pub received: Received,
    client: reqwest::Client,
}

pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<u64> {
        self.headers.get(name)?.to_str().ok()?.parse().ok()
    }
}

async fn hook(State(r): State<Received>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let sig = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    r.lock().unwrap().push((sig, body));
    StatusCode::OK
}

pub async fn start() -> World {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut config = SimulatorConfig::new(base.clone());
    config.retry_delays = vec![Duration::from_millis(5)];
    let (sim, router) = Simulator::new(config);
    let received: Received = Arc::default();
    let app = Router::new()
        .route("/hook", post(hook))
        .with_state(received.clone())
        .fallback_service(router);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    World {
        sim,
        base,
        received,
        client: reqwest::Client::new(),
    }
}

fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `Authorization: OAuth ...` for `method url` (query parameters signed; JSON bodies are not).
pub fn oauth_header(fake: &TwitterApi, who: &SimAccount, method: &str, url: &str) -> String {
    let parsed = reqwest::Url::parse(url).unwrap();
    let base_url = format!("{}{}", &fake.base_url(), parsed.path());
    let nonce: u64 = rand::random();
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut oauth = vec![
        (
            "oauth_consumer_key".to_string(),
            fake.app().consumer_key.clone(),
        ),
        ("oauth_nonce".into(), nonce.to_string()),
        ("oauth_signature_method".into(), "HMAC-SHA1".into()),
        ("oauth_timestamp".into(), ts.to_string()),
        ("oauth_token".into(), who.token.clone()),
        ("oauth_version".into(), "1.0".into()),
    ];
    let mut params: Vec<(String, String)> = oauth
        .iter()
        .cloned()
        .chain(
            parsed
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned())),
        )
        .map(|(k, v)| (pct(&k), pct(&v)))
        .collect();
    params.sort();
    let normalized: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let base = format!("{method}&{}&{}", pct(&base_url), pct(&normalized.join("&")));
    let key = format!(
        "{}&{}",
        pct(&fake.app().consumer_secret),
        pct(&who.token_secret)
    );
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(base.as_bytes());
    oauth.push((
        "oauth_signature".into(),
        B64.encode(mac.finalize().into_bytes()),
    ));
    let fields: Vec<String> = oauth
        .iter()
        .map(|(k, v)| format!("{}=\"{}\"", pct(k), pct(v)))
        .collect();
    format!("OAuth {}", fields.join(", "))
}

/// How a request authenticates.
pub enum Auth<'a> {
    User(&'a SimAccount),
    Bearer,
    None,
}

impl World {
    pub fn api(&self) -> &TwitterApi {
        self.sim.api()
    }

    pub fn owner(&self) -> SimAccount {
        self.api().owner().clone()
    }

    pub async fn bearer(&self) -> String {
        let app = self.api().app();
        let basic = B64.encode(format!("{}:{}", app.consumer_key, app.consumer_secret));
        let response = self
            .client
            .post(format!("{}/oauth2/token", self.base))
            .header("authorization", format!("Basic {basic}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials")
            .send()
            .await
            .unwrap();
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_string()
    }

    /// A request with a JSON body (or none) or a raw body with its content type.
    pub async fn raw(
        &self,
        auth: Auth<'_>,
        method: &str,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> Answer {
        let url = format!("{}{path}", self.base);
        let m = http::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.client.request(m, &url);
        match auth {
            Auth::User(who) => {
                request =
                    request.header("authorization", oauth_header(self.api(), who, method, &url))
            }
            Auth::Bearer => {
                request = request.header("authorization", format!("Bearer {}", self.bearer().await))
            }
            Auth::None => {}
        }
        if let Some((content_type, bytes)) = body {
            request = request.header("content-type", content_type).body(bytes);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.json().await.unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn call(
        &self,
        auth: Auth<'_>,
        method: &str,
        path: &str,
        json: Option<Value>,
    ) -> Answer {
        let body = json.map(|j| ("application/json", j.to_string().into_bytes()));
        self.raw(auth, method, path, body).await
    }

    /// The bodies the test webhook received, as JSON, checking each signature.
    pub fn deliveries(&self) -> Vec<Value> {
        let secret = self.api().app().consumer_secret.clone();
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|(sig, body)| {
                assert_eq!(
                    sig,
                    &dmbot_simulator::live::sign(&secret, body),
                    "signed like v1.1"
                );
                serde_json::from_slice(body).unwrap()
            })
            .collect()
    }

    pub async fn wait_for_deliveries(&self, n: usize) -> Vec<Value> {
        let give_up = Instant::now() + Duration::from_secs(30);
        while self.received.lock().unwrap().len() < n {
            assert!(Instant::now() < give_up, "expected {n} deliveries");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.deliveries()
    }

    /// Uploads `bytes` through the v2 endpoints as `who`; returns the media id.
    pub async fn upload(&self, who: &SimAccount, bytes: &[u8]) -> String {
        let init = serde_json::json!({"media_category": "dm_image", "media_type": "image/png", "total_bytes": bytes.len()});
        let a = self
            .call(
                Auth::User(who),
                "POST",
                "/2/media/upload/initialize",
                Some(init),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
        let id = a.body["data"]["id"].as_str().unwrap().to_string();
        let append = serde_json::json!({"media": B64.encode(bytes), "segment_index": 0});
        let path = format!("/2/media/upload/{id}/append");
        let a = self
            .call(Auth::User(who), "POST", &path, Some(append))
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
        let path = format!("/2/media/upload/{id}/finalize");
        let a = self.call(Auth::User(who), "POST", &path, None).await;
        assert_eq!(a.status, 200, "{}", a.body);
        id
    }
}
