//! Custom profiles.

use serde::Deserialize;

use super::super::limits::CustomProfileId;
use super::de_profile_id;
/// A custom profile (another name and avatar the account can send as).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CustomProfile {
    #[serde(deserialize_with = "de_profile_id")]
    pub id: CustomProfileId,
    #[serde(default)]
    pub created_timestamp: Option<String>,
    pub name: String,
    #[serde(default)]
    pub avatar: Option<CustomProfileAvatar>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CustomProfileAvatar {
    pub media: CustomProfileAvatarMedia,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CustomProfileAvatarMedia {
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CustomProfilePage {
    #[serde(default)]
    pub custom_profiles: Vec<CustomProfile>,
    #[serde(default)]
    pub next_cursor: Option<String>,
}
