//! Sign-in tokens and user objects.

use serde::Deserialize;

use super::super::oauth1::TokenCredentials;
use crate::domain::UserId;
/// Sign-in step 1's answer: a temporary token for the authorize URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestToken {
    pub token: TokenCredentials,
}

/// Sign-in step 4's answer: the account's long-lived tokens and who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub token: TokenCredentials,
    pub user_id: UserId,
    pub screen_name: String,
}

/// A user object (`account/verify_credentials`, `users/lookup`): the fields we use.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct User {
    #[serde(rename = "id_str")]
    pub id: UserId,
    #[serde(default)]
    pub name: String,
    pub screen_name: String,
    #[serde(default)]
    pub profile_image_url_https: Option<String>,
    #[serde(default)]
    pub protected: bool,
}
