//! Buttons (`ctas`): up to 3 `web_url` buttons with a label and an http(s) URL.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::{ButtonLabel, LimitError, MAX_BUTTONS};
/// A button's target: an absolute `http` or `https` URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ButtonUrl(String);

impl ButtonUrl {
    pub fn new(value: impl Into<String>) -> Result<Self, LimitError> {
        let value = value.into();
        match url::Url::parse(&value) {
            Ok(u) if (u.scheme() == "https" || u.scheme() == "http") && u.host().is_some() => {
                Ok(Self(value))
            }
            Ok(u) => Err(LimitError::new(
                "url",
                format!("must be an http(s) URL (scheme is {:?})", u.scheme()),
            )),
            Err(e) => Err(LimitError::new("url", format!("is not a valid URL ({e})"))),
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A `web_url` button (Twitter calls them calls-to-action, `ctas`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Button {
    pub label: ButtonLabel,
    pub url: ButtonUrl,
}

impl Button {
    pub fn new(label: impl Into<String>, url: impl Into<String>) -> Result<Self, LimitError> {
        Ok(Self {
            label: ButtonLabel::new(label)?,
            url: ButtonUrl::new(url)?,
        })
    }
}

impl Serialize for Button {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("type", "web_url")?;
        m.serialize_entry("label", &self.label)?;
        m.serialize_entry("url", &self.url)?;
        m.end()
    }
}

/// 1 to 3 buttons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Buttons(Vec<Button>);

impl Buttons {
    pub fn new(buttons: Vec<Button>) -> Result<Self, LimitError> {
        if buttons.is_empty() {
            return Err(LimitError::new("ctas", "needs at least 1 button"));
        }
        if buttons.len() > MAX_BUTTONS {
            return Err(LimitError::new(
                "ctas",
                format!(
                    "must have at most {MAX_BUTTONS} buttons (has {})",
                    buttons.len()
                ),
            ));
        }
        Ok(Self(buttons))
    }
    pub fn as_slice(&self) -> &[Button] {
        &self.0
    }
}
