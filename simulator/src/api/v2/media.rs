//! v2 chunked media upload (docs.x.com/x-api/media): `initialize` (JSON), `append` (multipart or
//! JSON with base64 `media`), `finalize`, and the `STATUS` poll. Uploads are the shared ones
//! (`State::uploads`, also attachable by v1.1), with the uploader and the expiry recorded.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, State};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

use super::dm::{is_id, json_body};
use super::problem::{invalid_param, now};
use crate::api::auth::Caller;
use crate::api::reply::{Reply, json_reply};
use crate::api::request::Call;
use crate::api::state::{Shared, SimUpload, State as Stored};
use crate::api::v1::media::parse_multipart;

/// The media types X's OpenAPI lists for `initialize`.
const MEDIA_TYPES: [&str; 12] = [
    "video/mp4",
    "video/webm",
    "video/mp2t",
    "video/quicktime",
    "text/srt",
    "text/vtt",
    "image/jpeg",
    "image/gif",
    "image/bmp",
    "image/png",
    "image/webp",
    "image/pjpeg",
];

/// `<kind>_<id>`: 3 for images, 16 for GIFs, 7 for videos.
pub(crate) fn media_key(category: &str, id: &str) -> String {
    let kind = match category {
        "dm_gif" => 16,
        "dm_video" => 7,
        _ => 3,
    };
    format!("{kind}_{id}")
}

/// `POST /2/media/upload/initialize`.
pub(crate) async fn initialize(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let body = match json_body(&call) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let allowed = [
        "media_category",
        "media_type",
        "total_bytes",
        "shared",
        "additional_owners",
    ];
    if let Some(key) = body
        .as_object()
        .and_then(|o| o.keys().find(|k| !allowed.contains(&k.as_str())))
    {
        return invalid_param(
            key,
            &body[key],
            &format!("[{key}] is not an allowed property"),
        );
    }
    let category = body["media_category"].as_str().unwrap_or("");
    let max: u64 = match category {
        "dm_image" => 5 * 1024 * 1024,
        "dm_gif" => 15 * 1024 * 1024,
        "dm_video" => 512 * 1024 * 1024,
        _ => {
            let why = "media_category must be dm_image, dm_gif or dm_video for a Direct Message";
            return invalid_param("media_category", &body["media_category"], why);
        }
    };
    let media_type = body["media_type"].as_str().unwrap_or("");
    if !MEDIA_TYPES.contains(&media_type) {
        return invalid_param(
            "media_type",
            &body["media_type"],
            "is not a supported media type",
        );
    }
    let total = match body["total_bytes"].as_u64() {
        Some(t) if t > 0 && t <= max => t,
        _ => {
            let why = format!("total_bytes must be 1 to {max} for {category}");
            return invalid_param("total_bytes", &body["total_bytes"], &why);
        }
    };
    if body.get("shared").is_some_and(|v| !v.is_boolean()) {
        return invalid_param("shared", &body["shared"], "shared must be a boolean");
    }
    let mut s = shared.lock();
    let id = s.fresh_id();
    let expiry = s.v2.config.media_expiry_secs;
    let expires_at = now(&s) + expiry;
    s.uploads.insert(
        id.clone(),
        SimUpload {
            media_id: id.clone(),
            total_bytes: total,
            media_type: media_type.to_string(),
            category: category.to_string(),
            shared: body["shared"] == json!(true),
            segments: BTreeMap::new(),
            data: None,
            polls_left: 0,
            status_polls: 0,
            owner: caller.account_id(),
            expires_at,
        },
    );
    let key = media_key(category, &id);
    json_reply(
        200,
        json!({"data": {"id": id, "media_key": key, "expires_after_secs": expiry}}),
    )
}

/// The segment of an append: `(segment_index, bytes)` from multipart or JSON base64.
fn segment(call: &Call) -> Result<(u32, Vec<u8>), Reply> {
    let ct = call.content_type().unwrap_or("");
    let (index, data) = if ct.starts_with("multipart/form-data") {
        let parts = parse_multipart(ct, &call.body).unwrap_or_default();
        let find = |name: &str| {
            parts
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, d)| d.clone())
        };
        let index = find("segment_index").and_then(|d| String::from_utf8(d).ok());
        (
            index.and_then(|i| i.trim().parse::<u32>().ok()),
            find("media"),
        )
    } else {
        let body = json_body(call)?;
        let data = body["media"].as_str().and_then(|m| B64.decode(m).ok());
        (
            body["segment_index"]
                .as_u64()
                .and_then(|i| u32::try_from(i).ok()),
            data,
        )
    };
    let Some(data) = data else {
        return Err(invalid_param(
            "media",
            &json!(""),
            "media (the segment's bytes) is required",
        ));
    };
    match index {
        Some(i) if i <= 999 => Ok((i, data)),
        _ => Err(invalid_param(
            "segment_index",
            &json!(index),
            "segment_index must be 0 to 999",
        )),
    }
}

/// The caller's upload `id`, or the `400` for a media id that is not theirs.
fn own_upload<'a>(s: &'a mut Stored, id: &str, me: &str) -> Result<&'a mut SimUpload, Reply> {
    match s.uploads.get_mut(id).filter(|u| u.owner == me && is_id(id)) {
        Some(u) => Ok(u),
        None => Err(invalid_param(
            "id",
            &json!(id),
            "is not a media id you initialized",
        )),
    }
}

/// `POST /2/media/upload/:id/append`.
pub(crate) async fn append(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Extension(call): Extension<Arc<Call>>,
    Path(id): Path<String>,
) -> Reply {
    let (index, data) = match segment(&call) {
        Ok(found) => found,
        Err(r) => return r,
    };
    let mut s = shared.lock();
    let upload = match own_upload(&mut s, &id, &caller.account_id()) {
        Ok(u) => u,
        Err(r) => return r,
    };
    if upload.data.is_some() {
        return invalid_param("id", &json!(id), "the upload is finalized");
    }
    let so_far: u64 = upload
        .segments
        .iter()
        .filter(|(i, _)| **i != index)
        .map(|(_, d)| d.len() as u64)
        .sum();
    if so_far + data.len() as u64 > upload.total_bytes {
        return invalid_param("media", &json!(index), "the segments exceed total_bytes");
    }
    upload.segments.insert(index, data);
    let expires_at = upload.expires_at;
    json_reply(200, json!({"data": {"expires_at": expires_at}}))
}

fn status_json(u: &SimUpload, now: u64, info: Option<Value>) -> Value {
    let mut data = json!({
        "id": u.media_id,
        "media_key": media_key(&u.category, &u.media_id),
        "size": u.total_bytes,
        "expires_after_secs": u.expires_at.saturating_sub(now),
    });
    if let Some(info) = info {
        data["processing_info"] = info;
    }
    json!({ "data": data })
}

/// `POST /2/media/upload/:id/finalize`: the segments must be 0..n and add up to `total_bytes`.
pub(crate) async fn finalize(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Reply {
    let mut s = shared.lock();
    let (video_polls, fails, now) = (s.video_polls, s.processing_fails, now(&s));
    let upload = match own_upload(&mut s, &id, &caller.account_id()) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let contiguous = upload
        .segments
        .keys()
        .copied()
        .eq(0..upload.segments.len() as u32);
    let data: Vec<u8> = upload.segments.values().flatten().copied().collect();
    if !contiguous || data.len() as u64 != upload.total_bytes {
        let why = format!(
            "the segments hold {} of total_bytes {}",
            data.len(),
            upload.total_bytes
        );
        return invalid_param("id", &json!(id), &why);
    }
    upload.data = Some(data);
    let info = (upload.category == "dm_video").then(|| {
        upload.polls_left = video_polls;
        let state = match (video_polls, fails) {
            (0, true) => "failed",
            (0, false) => "succeeded",
            _ => "pending",
        };
        json!({"state": state, "check_after_secs": 1})
    });
    json_reply(200, status_json(upload, now, info))
}

/// `GET /2/media/upload?command=STATUS&media_id=`.
pub(crate) async fn status(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    if call.q("command").is_some_and(|c| c != "STATUS") {
        return invalid_param("command", &json!(call.q("command")), "must be STATUS");
    }
    let id = call.q("media_id").unwrap_or("").to_string();
    let mut s = shared.lock();
    let (fails, now) = (s.processing_fails, now(&s));
    let upload = match own_upload(&mut s, &id, &caller.account_id()) {
        Ok(u) => u,
        Err(r) => return r,
    };
    upload.status_polls += 1;
    let info = if upload.polls_left > 1 {
        upload.polls_left -= 1;
        json!({"state": "in_progress", "check_after_secs": 1, "progress_percent": 50})
    } else if fails && upload.category == "dm_video" {
        json!({"state": "failed", "progress_percent": 100, "error": {"code": 1, "name": "InvalidMedia", "message": "Unsupported video format"}})
    } else {
        upload.polls_left = 0;
        json!({"state": "succeeded", "progress_percent": 100})
    };
    json_reply(200, status_json(upload, now, Some(info)))
}
