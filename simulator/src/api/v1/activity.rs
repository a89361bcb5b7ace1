//! Account Activity (v1.1 `account_activity/all/...`, `docs/TWITTER-API.md` §5): webhooks (one
//! per environment, registered after a CRC when that is on), subscriptions (at most 15), and
//! the app-wide lists and counts. Paths under `all/<env>/` name the environment: any other than
//! the app's is `403`.

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use serde_json::{Value, json};

use crate::api::auth::Caller;
use crate::api::crc::run_crc;
use crate::api::reply::{Reply, error, json_reply, no_content, not_found};
use crate::api::request::Call;
use crate::api::state::{Shared, SimWebhook};

const PREFIX: &str = "/1.1/account_activity/all/";

/// `/1.1/account_activity/all/<env>/<rest>` → `(env, rest)`, as sent (not percent-decoded).
fn env_and_rest(path: &str) -> Option<(String, String)> {
    let rest = path.strip_prefix(PREFIX)?;
    let (env, rest) = rest.split_once('/')?;
    Some((env.to_string(), rest.to_string()))
}

/// For a path under `all/<env>/` whose environment is not the app's: the `403` Twitter answers.
pub(crate) fn wrong_environment(shared: &Shared, path: &str) -> Option<Reply> {
    let (env, _) = env_and_rest(path)?;
    (env != shared.lock().app.env_name).then(|| error(403, 200, "Forbidden."))
}

/// The environment and the rest of the path, once the environment is checked.
fn in_environment(shared: &Shared, call: &Call) -> Result<(String, String), Reply> {
    let (env, rest) = env_and_rest(&call.path).ok_or_else(not_found)?;
    match wrong_environment(shared, &call.path) {
        Some(forbidden) => Err(forbidden),
        None => Ok((env, rest)),
    }
}

/// The id after `<prefix>/` in `rest`, without `.json`.
fn id_after(rest: &str, prefix: &str) -> String {
    rest.trim_start_matches(prefix)
        .trim_end_matches(".json")
        .to_string()
}

fn webhook_json(w: &SimWebhook) -> Value {
    json!({"id": w.id, "url": w.url, "valid": w.valid, "created_at": w.created_at})
}

/// `GET all/webhooks.json`: every environment's webhooks.
pub(crate) async fn all_webhooks(State(shared): State<Arc<Shared>>) -> Reply {
    let s = shared.lock();
    let hooks: Vec<Value> = s.webhooks.values().map(webhook_json).collect();
    json_reply(
        200,
        json!({"environments":[{"environment_name":s.app.env_name,"webhooks":hooks}]}),
    )
}

/// `GET all/subscriptions/count.json` and `GET all/count.json`.
pub(crate) async fn count(State(shared): State<Arc<Shared>>) -> Reply {
    let n = shared.lock().subscriptions.len().to_string();
    json_reply(
        200,
        json!({"account_name":"my-account","subscriptions_count_all":n,"subscriptions_count_direct_messages":n}),
    )
}

/// `POST all/<env>/webhooks.json?url=`: registers the environment's one webhook.
pub(crate) async fn register_webhook(
    State(shared): State<Arc<Shared>>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let (env, _) = match in_environment(&shared, &call) {
        Ok(found) => found,
        Err(r) => return r,
    };
    let crc_check = shared.lock().crc_check;
    let Some(url) = call.q("url").map(str::to_string) else {
        return error(400, 214, "url parameter is missing.");
    };
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return error(
            400,
            214,
            "Webhook URL does not meet the requirements. Please use HTTPS.",
        );
    }
    if shared.lock().webhooks.values().any(|w| w.env == env) {
        return error(400, 214, "Too many resources already created.");
    }
    if crc_check && let Err(message) = run_crc(&shared, &url).await {
        return error(400, 214, &message);
    }
    let mut s = shared.lock();
    let id = s.fresh_id();
    let hook = SimWebhook {
        id: id.clone(),
        env,
        url,
        valid: true,
        created_at: "2026-01-01 00:00:00 +0000".into(),
    };
    let v = webhook_json(&hook);
    s.webhooks.insert(id, hook);
    json_reply(200, v)
}

/// `GET all/<env>/webhooks.json`.
pub(crate) async fn list_webhooks(
    State(shared): State<Arc<Shared>>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let (env, _) = match in_environment(&shared, &call) {
        Ok(found) => found,
        Err(r) => return r,
    };
    let s = shared.lock();
    let hooks: Vec<Value> = s
        .webhooks
        .values()
        .filter(|w| w.env == env)
        .map(webhook_json)
        .collect();
    json_reply(200, Value::Array(hooks))
}

/// `PUT all/<env>/webhooks/<id>.json`: runs the CRC again (when on) and sets `valid`.
pub(crate) async fn revalidate_webhook(
    State(shared): State<Arc<Shared>>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let (_, rest) = match in_environment(&shared, &call) {
        Ok(found) => found,
        Err(r) => return r,
    };
    let crc_check = shared.lock().crc_check;
    let id = id_after(&rest, "webhooks/");
    let Some(url) = shared.lock().webhooks.get(&id).map(|w| w.url.clone()) else {
        return not_found();
    };
    let result = if crc_check {
        run_crc(&shared, &url).await
    } else {
        Ok(())
    };
    let mut s = shared.lock();
    if let Some(w) = s.webhooks.get_mut(&id) {
        w.valid = result.is_ok();
    }
    match result {
        Ok(()) => no_content(),
        Err(message) => error(400, 214, &message),
    }
}

/// `DELETE all/<env>/webhooks/<id>.json`: the webhook and every subscription go.
pub(crate) async fn delete_webhook(
    State(shared): State<Arc<Shared>>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let (_, rest) = match in_environment(&shared, &call) {
        Ok(found) => found,
        Err(r) => return r,
    };
    let id = id_after(&rest, "webhooks/");
    let mut s = shared.lock();
    if s.webhooks.remove(&id).is_none() {
        return not_found();
    }
    s.subscriptions.clear();
    no_content()
}

/// `POST all/<env>/subscriptions.json`: subscribes the calling account.
pub(crate) async fn subscribe(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let (env, _) = match in_environment(&shared, &call) {
        Ok(found) => found,
        Err(r) => return r,
    };
    let me = caller.account_id();
    let mut s = shared.lock();
    if !s.webhooks.values().any(|w| w.env == env) {
        return error(400, 170, "No webhook registered for this environment.");
    }
    if !s.subscriptions.contains(&me) && s.subscriptions.len() >= 15 {
        return error(403, 355, "Subscription limit reached.");
    }
    s.subscriptions.insert(me);
    no_content()
}

/// `GET all/<env>/subscriptions.json`: `204` when the calling account is subscribed.
pub(crate) async fn is_subscribed(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    if let Err(r) = in_environment(&shared, &call) {
        return r;
    }
    let me = caller.account_id();
    if shared.lock().subscriptions.contains(&me) {
        no_content()
    } else {
        not_found()
    }
}

/// `GET all/<env>/subscriptions/list.json`.
pub(crate) async fn list_subscriptions(
    State(shared): State<Arc<Shared>>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let (env, _) = match in_environment(&shared, &call) {
        Ok(found) => found,
        Err(r) => return r,
    };
    let s = shared.lock();
    let subs: Vec<Value> = s
        .subscriptions
        .iter()
        .map(|u| json!({"user_id": u}))
        .collect();
    json_reply(
        200,
        json!({"environment": env, "application_id": s.app.app_id, "subscriptions": subs}),
    )
}

/// `DELETE all/<env>/subscriptions/<user_id>.json`.
pub(crate) async fn unsubscribe(
    State(shared): State<Arc<Shared>>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let (_, rest) = match in_environment(&shared, &call) {
        Ok(found) => found,
        Err(r) => return r,
    };
    let user = id_after(&rest, "subscriptions/");
    if shared.lock().subscriptions.remove(&user) {
        no_content()
    } else {
        not_found()
    }
}
