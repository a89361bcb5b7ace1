//! The app's credentials from Secrets Manager (moto's server): fetched, parsed, cached once per
//! container, and never quoted in an error.

use dmbot_shared::config::{ConfigError, Settings};
use dmbot_shared::secrets::{fetch_secret_document, load_app_credentials, load_consumer_secret};
use dmbot_tests::moto::Moto;

const GOOD: &str = r#"{"consumer_key":"ck-123","consumer_secret":"cs-very-secret","access_token":"4337869213-abc","access_token_secret":"ats-very-secret"}"#;

async fn client() -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::new(&Moto::shared().await.sdk_config().await)
}

async fn create_secret(value: &str) -> String {
    let name = format!("dmbot-test-{}", Moto::shared().await.unique_table_name());
    let out = client()
        .await
        .create_secret()
        .name(&name)
        .secret_string(value)
        .send()
        .await
        .expect("moto creates the secret");
    out.arn().expect("moto returns an ARN").to_string()
}

fn settings_with_arn(arn: &str) -> Settings {
    let arn = arn.to_string();
    Settings::from_lookup(move |var| (var == "TWITTER_SECRET_ARN").then(|| arn.clone()))
        .expect("settings")
}

#[tokio::test]
async fn a_json_secret_yields_every_credential() {
    let arn = create_secret(GOOD).await;
    let doc = fetch_secret_document(&client().await, &arn).await.unwrap();
    let creds = doc.credentials(&arn).unwrap();
    assert_eq!(creds.consumer_key, "ck-123");
    assert_eq!(
        doc.consumer_secret(&arn).unwrap().expose(),
        "cs-very-secret"
    );
    assert!(!format!("{creds:?}").contains("very-secret"));
}

#[tokio::test]
async fn a_secret_missing_a_field_names_the_field_but_not_the_values() {
    let arn =
        create_secret(r#"{"consumer_key":"ck-123","consumer_secret":"cs-very-secret"}"#).await;
    let doc = fetch_secret_document(&client().await, &arn).await.unwrap();
    let err = doc.credentials(&arn).unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(err, ConfigError::SecretFieldMissing { .. }),
        "{text}"
    );
    assert!(text.contains("access_token"), "{text}");
    assert!(!text.contains("very-secret"), "{text}");
    // The CRC only needs the consumer secret, so it still works.
    assert_eq!(
        doc.consumer_secret(&arn).unwrap().expose(),
        "cs-very-secret"
    );
}

#[tokio::test]
async fn a_secret_that_is_not_json_is_refused_without_quoting_it() {
    let arn = create_secret("consumer_secret=hunter2-very-secret").await;
    let err = fetch_secret_document(&client().await, &arn)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ConfigError::SecretNotJson { .. }), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}

#[tokio::test]
async fn an_unknown_secret_says_which_secret_could_not_be_fetched() {
    let err = fetch_secret_document(
        &client().await,
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:nope",
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ConfigError::SecretFetch { .. }), "{err}");
    assert!(err.to_string().contains("secret:nope"), "{err}");
}

/// The only test in this binary that uses the per-container cache (it is process-wide).
#[tokio::test]
async fn the_secret_is_fetched_once_per_container_and_then_served_from_memory() {
    let arn = create_secret(GOOD).await;
    let sdk = Moto::shared().await.sdk_config().await;
    let settings = settings_with_arn(&arn);
    let first = load_consumer_secret(&settings, Some(&sdk)).await.unwrap();
    assert_eq!(first.expose(), "cs-very-secret");

    // Rotate the secret behind the container's back: the cached copy keeps being served, so a
    // CRC never waits on Secrets Manager after the first call.
    client()
        .await
        .put_secret_value()
        .secret_id(&arn)
        .secret_string(GOOD.replace("cs-very-secret", "cs-rotated"))
        .send()
        .await
        .unwrap();
    let second = load_consumer_secret(&settings, Some(&sdk)).await.unwrap();
    assert_eq!(second.expose(), "cs-very-secret");
    let creds = load_app_credentials(&settings, Some(&sdk)).await.unwrap();
    assert_eq!(creds.access_token, "4337869213-abc");

    // A fresh fetch (a new container) sees the rotated value.
    let fresh = fetch_secret_document(&client().await, &arn).await.unwrap();
    assert_eq!(fresh.consumer_secret(&arn).unwrap().expose(), "cs-rotated");
}
