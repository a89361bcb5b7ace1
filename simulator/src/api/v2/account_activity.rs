//! Account Activity API v2 subscriptions (docs.x.com/x-api/account-activity): subscribe the authenticating
//! user to a v2 webhook and check it (OAuth 1.0a user), list and remove them (bearer). At most
//! [`super::V2Config::max_aaa_subscriptions`] unique users; deliveries are the v1.1 envelope.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::problem::refused;
use super::webhooks::url_of;
use crate::api::auth::Caller;
use crate::api::reply::{Reply, json_reply};
use crate::api::state::Shared;

/// `POST /2/account_activity/webhooks/:webhook_id/subscriptions/all`.
pub(crate) async fn subscribe(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(hook): Path<String>,
) -> Reply {
    if let Err(r) = url_of(&shared, &hook) {
        return r;
    }
    let me = caller.account_id();
    let mut s = shared.lock();
    let key = (hook, me.clone());
    if s.v2.aaa.contains(&key) {
        return refused(
            "DuplicateSubscriptionFailed",
            "the user is already subscribed",
        );
    }
    let users: BTreeSet<&String> = s.v2.aaa.iter().map(|(_, u)| u).collect();
    if !users.contains(&me) && users.len() >= s.v2.config.max_aaa_subscriptions {
        return refused(
            "SubscriptionLimitExceeded",
            "the subscription limit is reached",
        );
    }
    s.v2.aaa.insert(key);
    json_reply(200, json!({"data": {"subscribed": true}}))
}

/// `GET /2/account_activity/webhooks/:webhook_id/subscriptions/all`.
pub(crate) async fn is_subscribed(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(hook): Path<String>,
) -> Reply {
    if let Err(r) = url_of(&shared, &hook) {
        return r;
    }
    let subscribed = shared.lock().v2.aaa.contains(&(hook, caller.account_id()));
    json_reply(200, json!({"data": {"subscribed": subscribed}}))
}

/// `GET /2/account_activity/webhooks/:webhook_id/subscriptions/all/list`.
pub(crate) async fn list(State(shared): State<Arc<Shared>>, Path(hook): Path<String>) -> Reply {
    let url = match url_of(&shared, &hook) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let s = shared.lock();
    let subs: Vec<Value> =
        s.v2.aaa
            .iter()
            .filter(|(h, _)| *h == hook)
            .map(|(_, u)| json!({"user_id": u}))
            .collect();
    json_reply(
        200,
        json!({"data": {"application_id": s.app.app_id, "webhook_id": hook, "webhook_url": url, "subscriptions": subs}}),
    )
}

/// `DELETE /2/account_activity/webhooks/:webhook_id/subscriptions/:user_id/all`.
pub(crate) async fn unsubscribe(
    State(shared): State<Arc<Shared>>,
    Path((hook, user)): Path<(String, String)>,
) -> Reply {
    if let Err(r) = url_of(&shared, &hook) {
        return r;
    }
    if shared.lock().v2.aaa.remove(&(hook, user)) {
        json_reply(200, json!({"data": {"subscribed": false}}))
    } else {
        refused(
            "SubscriptionNotFound",
            "the user is not subscribed to this webhook",
        )
    }
}
