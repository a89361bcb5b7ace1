//! Custom profiles (v1.1 `custom_profiles/...`, `docs/TWITTER-API.md` §3): create (name ≤ 48,
//! an uploaded avatar), list, show by id, delete; each account sees only its own.

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use serde_json::{Value, json};

use crate::api::auth::Caller;
use crate::api::limits::is_digits;
use crate::api::reply::{Reply, error, invalid, json_reply, no_content, not_found, paged_reply};
use crate::api::request::Call;
use crate::api::state::{Profile, Shared, now_ms_string};

fn profile_json(id: &str, p: &Profile) -> Value {
    json!({
        "id": id,
        "created_timestamp": p.created,
        "name": p.name,
        "avatar": {"media": {"url": format!("https://pbs.twimg.com/media/{}.jpg", p.avatar_media_id)}}
    })
}

/// `POST custom_profiles/new.json`.
pub(crate) async fn new(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let body = match call.json() {
        Ok(b) => b,
        Err(r) => return r,
    };
    let cp = &body["custom_profile"];
    let name = cp.get("name").and_then(Value::as_str).unwrap_or("");
    if name.trim().is_empty() || name.chars().count() > 48 {
        return invalid("custom_profile.name must be 1 to 48 characters");
    }
    let media = cp.pointer("/avatar/media/id");
    if !is_digits(media) {
        return invalid("custom_profile.avatar.media.id is required");
    }
    let media = media.and_then(Value::as_str).unwrap_or("").to_string();
    let mut s = shared.lock();
    if !s.is_uploaded(&media) {
        return error(400, 324, "The media id is not an uploaded media.");
    }
    let id = s.fresh_id();
    let p = Profile {
        owner: caller.account_id(),
        created: now_ms_string(),
        name: name.to_string(),
        avatar_media_id: media,
    };
    let v = json!({"custom_profile": profile_json(&id, &p)});
    s.profiles.insert(id, p);
    json_reply(200, v)
}

/// `GET custom_profiles/list.json`: newest first, paged.
pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let me = caller.account_id();
    let s = shared.lock();
    let all: Vec<Value> = s
        .profiles
        .iter()
        .rev()
        .filter(|(_, p)| p.owner == me)
        .map(|(id, p)| profile_json(id, p))
        .collect();
    paged_reply(&all, &call, "custom_profiles")
}

/// `DELETE custom_profiles/destroy.json?id=`.
pub(crate) async fn destroy(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let me = caller.account_id();
    let id = call.q("id").unwrap_or("").to_string();
    let mut s = shared.lock();
    if s.profiles.get(&id).is_some_and(|p| p.owner == me) {
        s.profiles.remove(&id);
        no_content()
    } else {
        not_found()
    }
}

/// `GET custom_profiles/<id>.json` (any other `GET` under `custom_profiles/` is an unknown id).
pub(crate) async fn show(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let me = caller.account_id();
    let rest = call
        .path
        .strip_prefix("/1.1/custom_profiles/")
        .unwrap_or("");
    let id = rest.strip_suffix(".json").unwrap_or("");
    let s = shared.lock();
    match s.profiles.get(id).filter(|p| p.owner == me) {
        Some(p) => json_reply(200, json!({"custom_profile": profile_json(id, p)})),
        None => not_found(),
    }
}
