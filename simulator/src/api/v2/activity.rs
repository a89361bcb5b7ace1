//! X Activity API subscriptions (docs.x.com/x-api/activity): create (`event_type`, `filter.user_id`,
//! optional `tag` and `webhook_id`; private `dm.*`/`chat.*` events only with the user's own
//! OAuth 1.0a token, as found in testing by others), list and delete with the app's bearer.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::dm::{is_id, json_body};
use super::problem::{forbidden, invalid_param, iso_time, not_found, refused};
use super::state::XaaSubscription;
use crate::api::auth::Caller;
use crate::api::reply::{Reply, json_reply};
use crate::api::request::Call;
use crate::api::state::Shared;

/// The event types a DM bot meets; public ones (`profile.*`, `post.*`, ...) pass by prefix.
const PRIVATE: [&str; 7] = [
    "dm.received",
    "dm.sent",
    "dm.read",
    "dm.indicate_typing",
    "chat.received",
    "chat.sent",
    "chat.conversation_join",
];
const PUBLIC_PREFIXES: [&str; 6] = ["profile.", "post.", "follow.", "like.", "mute.", "block."];

pub(crate) fn subscription_json(sub: &XaaSubscription) -> Value {
    let mut filter = json!({});
    if !sub.user_id.is_empty() {
        filter["user_id"] = json!(sub.user_id);
    }
    if let Some(d) = &sub.direction {
        filter["direction"] = json!(d);
    }
    let mut v = json!({
        "subscription_id": sub.subscription_id,
        "event_type": sub.event_type,
        "filter": filter,
        "created_at": sub.created_at,
        "updated_at": sub.created_at,
    });
    if let Some(tag) = &sub.tag {
        v["tag"] = json!(tag);
    }
    if let Some(hook) = &sub.webhook_id {
        v["webhook_id"] = json!(hook);
    }
    v
}

/// The body as the OpenAPI has it (`additionalProperties: false` at both levels).
fn check(body: &Value) -> Result<XaaSubscription, Reply> {
    let allowed = ["event_type", "filter", "tag", "webhook_id"];
    if let Some(key) = body
        .as_object()
        .and_then(|o| o.keys().find(|k| !allowed.contains(&k.as_str())))
    {
        return Err(invalid_param(
            key,
            &body[key],
            &format!("[{key}] is not an allowed property"),
        ));
    }
    let event_type = body["event_type"].as_str().unwrap_or("");
    let known = PRIVATE.contains(&event_type)
        || event_type == "oauth.revoke"
        || PUBLIC_PREFIXES.iter().any(|p| event_type.starts_with(p));
    if !known {
        return Err(invalid_param(
            "event_type",
            &body["event_type"],
            "is not a known event type",
        ));
    }
    let filter = &body["filter"];
    let Some(f) = filter.as_object() else {
        return Err(invalid_param("filter", filter, "filter is required"));
    };
    if let Some(key) = f
        .keys()
        .find(|k| !matches!(k.as_str(), "user_id" | "keyword" | "direction"))
    {
        return Err(invalid_param(
            &format!("filter.{key}"),
            &f[key],
            "is not an allowed property",
        ));
    }
    let user_id = f
        .get("user_id")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if (event_type != "oauth.revoke" || f.contains_key("user_id")) && !is_id(&user_id) {
        return Err(invalid_param(
            "filter.user_id",
            filter,
            "filter.user_id must be a user id",
        ));
    }
    let direction = f
        .get("direction")
        .map(|d| d.as_str().unwrap_or("").to_string());
    if direction
        .as_deref()
        .is_some_and(|d| d != "inbound" && d != "outbound")
    {
        return Err(invalid_param(
            "filter.direction",
            filter,
            "must be inbound or outbound",
        ));
    }
    let tag = match body.get("tag") {
        None => None,
        Some(Value::String(t)) if (1..=200).contains(&t.chars().count()) => Some(t.clone()),
        Some(other) => {
            return Err(invalid_param(
                "tag",
                other,
                "tag must be 1 to 200 characters",
            ));
        }
    };
    let webhook_id = match body.get("webhook_id") {
        None => None,
        Some(Value::String(w)) if is_id(w) => Some(w.clone()),
        Some(other) => return Err(invalid_param("webhook_id", other, "must be a webhook id")),
    };
    Ok(XaaSubscription {
        subscription_id: String::new(),
        event_type: event_type.to_string(),
        user_id,
        direction,
        tag,
        webhook_id,
        created_at: String::new(),
    })
}

/// `POST /2/activity/subscriptions`.
pub(crate) async fn create(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let mut sub = match json_body(&call).and_then(|b| check(&b)) {
        Ok(sub) => sub,
        Err(r) => return r,
    };
    let private = PRIVATE.contains(&sub.event_type.as_str());
    if private && caller.account_id() != sub.user_id {
        return forbidden(
            "Subscriptions to private events need the OAuth 1.0a user token of filter.user_id.",
        );
    }
    let mut s = shared.lock();
    if let Some(hook) = &sub.webhook_id
        && !s.webhooks.get(hook).is_some_and(|w| w.env.is_empty())
    {
        return refused("WebhookIdInvalid", "no webhook has this id");
    }
    if s.v2.xaa.len() >= s.v2.config.max_xaa_subscriptions {
        return refused(
            "SubscriptionLimitExceeded",
            "the app's subscription limit is reached",
        );
    }
    sub.subscription_id = s.fresh_id();
    sub.created_at = iso_time(super::now(&s) * 1000);
    let v = subscription_json(&sub);
    s.v2.xaa.insert(sub.subscription_id.clone(), sub);
    json_reply(200, json!({ "data": v }))
}

/// `GET /2/activity/subscriptions` (`max_results` 1–1000, `pagination_token`).
pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let max = match call.q("max_results").map(str::parse::<usize>) {
        None => 100,
        Some(Ok(n)) if (1..=1000).contains(&n) => n,
        Some(_) => return invalid_param("max_results", &json!(call.q("max_results")), "1 to 1000"),
    };
    let Ok(start) = call.q("pagination_token").unwrap_or("0").parse::<usize>() else {
        return invalid_param(
            "pagination_token",
            &json!(call.q("pagination_token")),
            "invalid",
        );
    };
    let s = shared.lock();
    let all: Vec<Value> = s.v2.xaa.values().map(subscription_json).collect();
    let end = start.saturating_add(max).min(all.len());
    let page = all
        .get(start.min(all.len())..end)
        .unwrap_or_default()
        .to_vec();
    let mut meta = json!({"result_count": page.len()});
    if end < all.len() {
        meta["next_token"] = json!(end.to_string());
    }
    json_reply(200, json!({"data": page, "meta": meta}))
}

/// `DELETE /2/activity/subscriptions/:subscription_id`.
pub(crate) async fn delete(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Reply {
    match shared.lock().v2.xaa.remove(&id) {
        Some(_) => json_reply(200, json!({"data": {"deleted": true}})),
        None => not_found("no subscription has this id"),
    }
}
