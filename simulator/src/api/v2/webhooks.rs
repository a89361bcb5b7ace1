//! v2 webhooks (docs.x.com/x-api/webhooks): create (after the same CRC as v1.1's registration, when the
//! CRC check is on), list, re-validate and delete. They are stored beside v1.1's webhooks with
//! an empty `env`; the account's limit ([`super::V2Config::max_webhooks`]) counts these only.
//!
//! URL rules: 1–200 characters, `https://` without a port, except that this fake, which runs
//! on the loopback interface, also takes `http://` and a port for `127.0.0.1`, `localhost` and
//! `[::1]`.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::dm::json_body;
use super::problem::{invalid_param, iso_time, refused};
use crate::api::crc::run_crc;
use crate::api::reply::{Reply, json_reply};
use crate::api::request::Call;
use crate::api::state::{Shared, SimWebhook};

fn webhook_json(w: &SimWebhook) -> Value {
    json!({"id": w.id, "url": w.url, "valid": w.valid, "created_at": w.created_at})
}

/// Why X would refuse `url` as a webhook (`UrlValidationFailed`), if it would.
fn url_problem(url: &str) -> Option<&'static str> {
    if url.is_empty() || url.chars().count() > 200 {
        return Some("the URL must be 1 to 200 characters");
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Some("the URL has no scheme");
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once(':').map_or(authority, |(h, port)| {
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            authority
        }
    });
    let loopback = matches!(host, "127.0.0.1" | "localhost" | "[::1]");
    if host.is_empty() {
        Some("the URL has no host")
    } else if !(scheme == "https" || (scheme == "http" && loopback)) {
        Some("Webhook URL must use HTTPS")
    } else if host != authority && !loopback {
        Some("The URL cannot include a port")
    } else {
        None
    }
}

/// `POST /2/webhooks` with `{"url"}`.
pub(crate) async fn create(
    State(shared): State<Arc<Shared>>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let body = match json_body(&call) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if let Some(key) = body
        .as_object()
        .and_then(|o| o.keys().find(|k| *k != "url"))
    {
        return invalid_param(
            key,
            &body[key],
            &format!("[{key}] is not an allowed property"),
        );
    }
    let Some(url) = body["url"].as_str().map(str::to_string) else {
        return invalid_param("url", &body["url"], "url is required");
    };
    if let Some(why) = url_problem(&url) {
        return refused("UrlValidationFailed", why);
    }
    let crc_check = {
        let s = shared.lock();
        let v2: Vec<&SimWebhook> = s.webhooks.values().filter(|w| w.env.is_empty()).collect();
        if v2.iter().any(|w| w.url == url) {
            return refused("DuplicateUrlFailed", "a webhook with this URL exists");
        }
        if v2.len() >= s.v2.config.max_webhooks {
            return refused(
                "WebhookLimitExceeded",
                "the account's webhook limit is reached",
            );
        }
        s.crc_check
    };
    if crc_check && let Err(message) = run_crc(&shared, &url).await {
        return refused("CrcValidationFailed", &message);
    }
    let mut s = shared.lock();
    let id = s.fresh_id();
    let created_at = iso_time(crate::api::v2::now(&s) * 1000);
    let hook = SimWebhook {
        id: id.clone(),
        env: String::new(),
        url,
        valid: true,
        created_at,
    };
    let v = webhook_json(&hook);
    s.webhooks.insert(id, hook);
    json_reply(200, json!({ "data": v }))
}

/// `GET /2/webhooks`.
pub(crate) async fn list(State(shared): State<Arc<Shared>>) -> Reply {
    let s = shared.lock();
    let hooks: Vec<Value> = s
        .webhooks
        .values()
        .filter(|w| w.env.is_empty())
        .map(webhook_json)
        .collect();
    let meta = json!({"result_count": hooks.len()});
    if hooks.is_empty() {
        return json_reply(200, json!({ "meta": meta }));
    }
    json_reply(200, json!({"data": hooks, "meta": meta}))
}

/// The URL of the v2 webhook `id`, or `400 WebhookIdInvalid`.
pub(crate) fn url_of(shared: &Shared, id: &str) -> Result<String, Reply> {
    let s = shared.lock();
    match s.webhooks.get(id).filter(|w| w.env.is_empty()) {
        Some(w) => Ok(w.url.clone()),
        None => Err(refused("WebhookIdInvalid", "no webhook has this id")),
    }
}

/// `PUT /2/webhooks/:webhook_id`: runs the CRC (when on) and sets `valid`.
pub(crate) async fn validate(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Reply {
    let url = match url_of(&shared, &id) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let crc_check = shared.lock().crc_check;
    let result = if crc_check {
        run_crc(&shared, &url).await
    } else {
        Ok(())
    };
    if let Some(w) = shared.lock().webhooks.get_mut(&id) {
        w.valid = result.is_ok();
    }
    match result {
        Ok(()) => json_reply(200, json!({"data": {"valid": true}})),
        Err(message) => refused("CrcValidationFailed", &message),
    }
}

/// `DELETE /2/webhooks/:webhook_id`: the webhook goes, with the subscriptions delivering to it.
pub(crate) async fn delete(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Reply {
    if let Err(r) = url_of(&shared, &id) {
        return r;
    }
    let mut s = shared.lock();
    s.webhooks.remove(&id);
    s.v2.aaa.retain(|(hook, _)| *hook != id);
    s.v2.xaa
        .retain(|_, sub| sub.webhook_id.as_deref() != Some(id.as_str()));
    json_reply(200, json!({"data": {"deleted": true}}))
}

#[cfg(test)]
mod tests {
    use super::url_problem;

    #[test]
    fn webhook_urls_need_https_without_a_port_except_on_loopback() {
        assert_eq!(url_problem("https://example.com/hook"), None);
        assert_eq!(url_problem("http://127.0.0.1:8080/hook"), None);
        assert!(url_problem("http://example.com/hook").is_some());
        assert!(url_problem("https://example.com:5000/hook").is_some());
        assert!(url_problem(&format!("https://e.com/{}", "a".repeat(200))).is_some());
    }
}
