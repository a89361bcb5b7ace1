//! Chunked media upload (v1.1 `media/upload.json`, `docs/TWITTER-API.md` §4): `INIT`, `APPEND`
//! (multipart), `FINALIZE` and `STATUS` polls for videos, with Twitter's size limits per
//! `media_category`. One URL for all four: the `command` parameter picks the step.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use serde_json::json;

use crate::api::auth::Caller;
use crate::api::reply::{Reply, error, json_reply, no_content};
use crate::api::request::Call;
use crate::api::state::{Shared, SimUpload};

/// Any method on `media/upload.json`: the step is `(method, command)`.
pub(crate) async fn upload(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let command = call
        .q("command")
        .or_else(|| call.f("command"))
        .unwrap_or("");
    let media_id = call
        .q("media_id")
        .or_else(|| call.f("media_id"))
        .unwrap_or("")
        .to_string();
    match (call.method.as_str(), command) {
        ("POST", "INIT") => init(&shared, &call, &caller),
        ("POST", "APPEND") => append(&shared, &call, &media_id),
        ("POST", "FINALIZE") => finalize(&shared, &media_id),
        ("GET", "STATUS") => status(&shared, &media_id),
        _ => error(400, 38, "command parameter is missing or invalid."),
    }
}

fn init(shared: &Shared, call: &Call, caller: &Caller) -> Reply {
    let mut s = shared.lock();
    let total: u64 = match call.f("total_bytes").and_then(|t| t.parse().ok()) {
        Some(t) if t > 0 => t,
        _ => return error(400, 38, "total_bytes parameter is missing."),
    };
    let media_type = call.f("media_type").unwrap_or("");
    if !media_type.contains('/') {
        return error(400, 38, "media_type parameter is missing.");
    }
    let category = call.f("media_category").unwrap_or("");
    let max: u64 = match category {
        "dm_image" => 5 * 1024 * 1024,
        "dm_gif" => 15 * 1024 * 1024,
        "dm_video" => 512 * 1024 * 1024,
        _ => return error(400, 323, "media_category is invalid for Direct Messages."),
    };
    if total > max {
        return error(
            400,
            324,
            "File size exceeds the limit for this media_category.",
        );
    }
    let id = s.fresh_id();
    let expires_at = crate::api::v2::now(&s) + s.v2.config.media_expiry_secs;
    s.uploads.insert(
        id.clone(),
        SimUpload {
            media_id: id.clone(),
            total_bytes: total,
            media_type: media_type.to_string(),
            category: category.to_string(),
            shared: call.f("shared") == Some("true"),
            segments: BTreeMap::new(),
            data: None,
            polls_left: 0,
            status_polls: 0,
            owner: caller.account_id(),
            expires_at,
        },
    );
    json_reply(
        202,
        json!({"media_id": id.parse::<u64>().unwrap_or(0), "media_id_string": id, "expires_after_secs": 86400}),
    )
}

fn append(shared: &Shared, call: &Call, media_id: &str) -> Reply {
    const MB5: usize = 5 * 1024 * 1024;
    let mut s = shared.lock();
    let Some(parts) = parse_multipart(call.content_type().unwrap_or(""), &call.body) else {
        return error(
            400,
            38,
            "APPEND must be multipart/form-data with a media part.",
        );
    };
    let Some((_, data)) = parts.into_iter().find(|(n, _)| n == "media") else {
        return error(400, 38, "media parameter is missing.");
    };
    if data.len() > MB5 {
        return error(400, 324, "A segment may be at most 5 MB.");
    }
    let Some(index) = call.q("segment_index").and_then(|i| i.parse::<u32>().ok()) else {
        return error(400, 38, "segment_index parameter is missing.");
    };
    let Some(upload) = s.uploads.get_mut(media_id) else {
        return error(400, 324, "The media_id is invalid.");
    };
    if upload.data.is_some() || index > 999 {
        return error(400, 324, "The media_id is not accepting segments.");
    }
    upload.segments.insert(index, data);
    no_content()
}

fn finalize(shared: &Shared, media_id: &str) -> Reply {
    let mut s = shared.lock();
    let (video_polls, fails) = (s.video_polls, s.processing_fails);
    let Some(upload) = s.uploads.get_mut(media_id) else {
        return error(400, 324, "The media_id is invalid.");
    };
    let contiguous = upload
        .segments
        .keys()
        .copied()
        .eq(0..upload.segments.len() as u32);
    if !contiguous {
        return error(400, 324, "Segments are missing.");
    }
    let data: Vec<u8> = upload.segments.values().flatten().copied().collect();
    if data.len() as u64 != upload.total_bytes {
        return error(
            400,
            324,
            &format!(
                "File size {} does not match total_bytes {}.",
                data.len(),
                upload.total_bytes
            ),
        );
    }
    upload.data = Some(data);
    let mut v = json!({"media_id_string": media_id, "size": upload.total_bytes, "expires_after_secs": 86400});
    if upload.category == "dm_video" {
        upload.polls_left = video_polls;
        let state = if video_polls == 0 && fails {
            "failed"
        } else if video_polls == 0 {
            "succeeded"
        } else {
            "pending"
        };
        v["processing_info"] = json!({"state": state, "check_after_secs": 1});
    }
    json_reply(201, v)
}

fn status(shared: &Shared, media_id: &str) -> Reply {
    let mut s = shared.lock();
    let fails = s.processing_fails;
    let Some(upload) = s.uploads.get_mut(media_id) else {
        return error(400, 324, "The media_id is invalid.");
    };
    upload.status_polls += 1;
    let info = if upload.polls_left > 1 {
        upload.polls_left -= 1;
        json!({"state":"in_progress","check_after_secs":1,"progress_percent":50})
    } else if fails {
        json!({"state":"failed","progress_percent":100,"error":{"code":1,"name":"InvalidMedia","message":"Unsupported video format"}})
    } else {
        upload.polls_left = 0;
        json!({"state":"succeeded","progress_percent":100})
    };
    json_reply(
        200,
        json!({"media_id_string": media_id, "expires_after_secs": 86400, "processing_info": info}),
    )
}

/// Splits a `multipart/form-data` body into `(name, bytes)` parts (RFC 7578). Any part it
/// cannot read makes the whole body unreadable (`None`).
pub(crate) fn parse_multipart(content_type: &str, body: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
    let boundary = content_type
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("boundary="))?
        .trim_matches('"');
    let delimiter = format!("--{boundary}").into_bytes();
    let find = |hay: &[u8], needle: &[u8], from: usize| {
        hay.get(from..)?
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| p + from)
    };
    let mut parts = Vec::new();
    let mut pos = find(body, &delimiter, 0)? + delimiter.len();
    loop {
        if body.get(pos..pos + 2) == Some(b"--") {
            return Some(parts);
        }
        pos += 2; // CRLF after the delimiter
        let headers_end = find(body, b"\r\n\r\n", pos)?;
        let headers = std::str::from_utf8(&body[pos..headers_end]).ok()?;
        let name = headers
            .split("\r\n")
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition"))?
            .split(';')
            .map(str::trim)
            .find_map(|p| p.strip_prefix("name="))?
            .trim_matches('"')
            .to_string();
        let content_start = headers_end + 4;
        let mut closing = b"\r\n".to_vec();
        closing.extend_from_slice(&delimiter);
        let content_end = find(body, &closing, content_start)?;
        parts.push((name, body[content_start..content_end].to_vec()));
        pos = content_end + closing.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_bodies_split_into_named_parts_even_with_binary_data() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"media\"; filename=\"m\"\r\nContent-Type: application/octet-stream\r\n\r\n\x00\r\n\x01--X\r\n--XyZ--\r\n";
        let parts = parse_multipart("multipart/form-data; boundary=XyZ", body).unwrap();
        assert_eq!(
            parts,
            vec![("media".to_string(), b"\x00\r\n\x01--X".to_vec())]
        );
    }
}
