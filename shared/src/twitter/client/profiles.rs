//! Custom profiles (`docs/TWITTER-API.md` §4): another name (≤ 48 characters) and avatar a
//! message can be sent as, e.g. a named agent or a bot persona. The sending account must be
//! verified and allow-listed by Twitter. Creating allows 1,000 per day; show 180 per 15 minutes.

use serde::Deserialize;

use super::{Auth, Body, Call, Endpoint, TwitterClient, page_query};
use crate::twitter::api_types::{CustomProfile, CustomProfilePage, PageSize};
use crate::twitter::errors::TwitterError;
use crate::twitter::limits::{CustomProfileId, CustomProfileName, MediaId};
use crate::twitter::oauth1::TokenCredentials;

#[derive(Deserialize)]
struct ProfileEnvelope {
    custom_profile: CustomProfile,
}

impl TwitterClient {
    /// `POST custom_profiles/new.json`: `avatar` is a media id uploaded beforehand (a
    /// `dm_image`).
    pub async fn create_custom_profile(
        &self,
        account: &TokenCredentials,
        name: &CustomProfileName,
        avatar: &MediaId,
    ) -> Result<CustomProfile, TwitterError> {
        let call = Call {
            endpoint: Endpoint::NewCustomProfile,
            url: self.api_url("1.1/custom_profiles/new.json", &[])?,
            auth: Auth::user(account),
            body: Body::Json(serde_json::json!({
                "custom_profile": {
                    "name": name.as_str(),
                    "avatar": { "media": { "id": avatar.as_str() } }
                }
            })),
        };
        let created: ProfileEnvelope = self.json(call).await?;
        Ok(created.custom_profile)
    }

    /// `GET custom_profiles/:id.json`.
    pub async fn show_custom_profile(
        &self,
        account: &TokenCredentials,
        id: &CustomProfileId,
    ) -> Result<CustomProfile, TwitterError> {
        let call = Call {
            endpoint: Endpoint::ShowCustomProfile,
            url: self.api_url(&format!("1.1/custom_profiles/{}.json", id.as_str()), &[])?,
            auth: Auth::user(account),
            body: Body::Empty,
        };
        let shown: ProfileEnvelope = self.json(call).await?;
        Ok(shown.custom_profile)
    }

    /// `GET custom_profiles/list.json`: one page.
    pub async fn list_custom_profiles(
        &self,
        account: &TokenCredentials,
        count: Option<PageSize>,
        cursor: Option<&str>,
    ) -> Result<CustomProfilePage, TwitterError> {
        let count = count.map(|c| c.get().to_string());
        let query = page_query(&count, cursor);
        let call = Call {
            endpoint: Endpoint::ListCustomProfiles,
            url: self.api_url("1.1/custom_profiles/list.json", &query)?,
            auth: Auth::user(account),
            body: Body::Empty,
        };
        self.json(call).await
    }

    /// `DELETE custom_profiles/destroy.json?id=` (204).
    pub async fn destroy_custom_profile(
        &self,
        account: &TokenCredentials,
        id: &CustomProfileId,
    ) -> Result<(), TwitterError> {
        let call = Call {
            endpoint: Endpoint::DestroyCustomProfile,
            url: self.api_url("1.1/custom_profiles/destroy.json", &[("id", id.as_str())])?,
            auth: Auth::user(account),
            body: Body::Empty,
        };
        self.no_content(call).await
    }
}
