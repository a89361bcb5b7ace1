//! Twitter's limits on message data (`docs/TWITTER-API.md` §3, §4), checked here independently
//! of the bot's `twitter::limits`: text length, 1–20 quick-reply options, label ≤ 36, descriptions on
//! all options or none, 1–3 buttons, attached media that was uploaded. A violation becomes a
//! `400` with code 214 in the handler.

use serde_json::Value;

use super::state::State;

pub(crate) fn chars(v: &Value) -> Option<usize> {
    v.as_str().map(|s| s.chars().count())
}

/// Whether `v` is a non-empty string of ASCII digits (a Twitter id).
pub(crate) fn is_digits(v: Option<&Value>) -> bool {
    v.and_then(Value::as_str)
        .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
}

/// Checks `message_data` (of a DM or a welcome message): the error says which field and why.
pub(crate) fn check_message_data(md: &Value, max_text: usize, s: &State) -> Result<(), String> {
    let obj = md.as_object().ok_or("message_data must be an object")?;
    for key in obj.keys() {
        if !matches!(key.as_str(), "text" | "quick_reply" | "ctas" | "attachment") {
            return Err(format!("message_data.{key} is not a known field"));
        }
    }
    let text = obj
        .get("text")
        .ok_or("message_data.text: Field is required")?;
    let n = chars(text).ok_or("message_data.text must be a string")?;
    if text.as_str().is_some_and(|t| t.trim().is_empty()) {
        return Err("message_data.text must not be empty".into());
    }
    if n > max_text {
        return Err(format!(
            "message_data.text: exceeds {max_text} characters ({n})"
        ));
    }
    if let Some(qr) = obj.get("quick_reply") {
        check_quick_reply(qr)?;
    }
    if let Some(ctas) = obj.get("ctas") {
        check_ctas(ctas)?;
    }
    if let Some(att) = obj.get("attachment") {
        if att.get("type").and_then(Value::as_str) != Some("media") {
            return Err("attachment.type must be media".into());
        }
        let id = att.pointer("/media/id");
        if !is_digits(id) {
            return Err("attachment.media.id must be a media id".into());
        }
        let id = id.and_then(Value::as_str).unwrap_or("");
        if !s.is_uploaded(id) {
            return Err(format!("attachment.media.id {id} is not an uploaded media"));
        }
    }
    Ok(())
}

fn check_quick_reply(qr: &Value) -> Result<(), String> {
    if qr.get("type").and_then(Value::as_str) != Some("options") {
        return Err("quick_reply.type must be options".into());
    }
    let options = qr
        .get("options")
        .and_then(Value::as_array)
        .ok_or("quick_reply.options must be an array")?;
    if options.is_empty() || options.len() > 20 {
        return Err(format!(
            "quick_reply.options must have 1 to 20 options ({})",
            options.len()
        ));
    }
    let described = options
        .iter()
        .filter(|o| o.get("description").is_some())
        .count();
    if described != 0 && described != options.len() {
        return Err("quick_reply.options: description on all options or none".into());
    }
    for (i, o) in options.iter().enumerate() {
        let label = o.get("label").and_then(Value::as_str).unwrap_or("");
        if label.trim().is_empty() || label.chars().count() > 36 {
            return Err(format!(
                "quick_reply.options[{i}].label must be 1 to 36 characters"
            ));
        }
        let lower = label.to_lowercase();
        if lower.contains("://") || lower.contains("www.") {
            return Err(format!(
                "quick_reply.options[{i}].label must not contain a URL"
            ));
        }
        if o.get("description").and_then(chars).is_some_and(|n| n > 72) {
            return Err(format!("quick_reply.options[{i}].description exceeds 72"));
        }
        if o.get("metadata").and_then(chars).is_some_and(|n| n > 1000) {
            return Err(format!("quick_reply.options[{i}].metadata exceeds 1000"));
        }
    }
    Ok(())
}

fn check_ctas(ctas: &Value) -> Result<(), String> {
    let ctas = ctas.as_array().ok_or("ctas must be an array")?;
    if ctas.is_empty() || ctas.len() > 3 {
        return Err(format!("ctas must have 1 to 3 buttons ({})", ctas.len()));
    }
    for (i, c) in ctas.iter().enumerate() {
        if c.get("type").and_then(Value::as_str) != Some("web_url") {
            return Err(format!("ctas[{i}].type must be web_url"));
        }
        let label = c.get("label").and_then(Value::as_str).unwrap_or("");
        if label.trim().is_empty() || label.chars().count() > 36 {
            return Err(format!("ctas[{i}].label must be 1 to 36 characters"));
        }
        let url = c.get("url").and_then(Value::as_str).unwrap_or("");
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(format!("ctas[{i}].url must be an http(s) URL"));
        }
    }
    Ok(())
}
