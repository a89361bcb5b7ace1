//! Custom profiles.

use crate::support::*;

#[tokio::test]
async fn custom_profiles_can_be_created_shown_listed_and_destroyed() {
    let fake = TwitterApi::start().await;
    let client = client(&fake);
    let account = tokens(fake.owner());
    let avatar = upload_image(&fake, &client).await;
    let name = CustomProfileName::new("Jordan (Support)").unwrap();
    let profile = client
        .create_custom_profile(&account, &name, &avatar)
        .await
        .unwrap();
    assert_eq!(profile.name, "Jordan (Support)");
    assert!(profile.avatar.and_then(|a| a.media.url).is_some());
    let shown = client
        .show_custom_profile(&account, &profile.id)
        .await
        .unwrap();
    assert_eq!(shown.id, profile.id);
    let list = client
        .list_custom_profiles(&account, None, None)
        .await
        .unwrap();
    assert_eq!(list.custom_profiles.len(), 1);
    client
        .destroy_custom_profile(&account, &profile.id)
        .await
        .unwrap();
    assert!(fake.custom_profile_ids().is_empty());
    assert_all_authenticated(&fake);
}
