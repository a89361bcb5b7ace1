//! `secrets put`: the app's credentials written to Secrets Manager for the functions.

use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
use clap::Subcommand;
use dmbot_shared::config::{TwitterAppCredentials, vars};
use dmbot_shared::tokens::TokenSealer;
use serde_json::json;

use super::{Common, OpsError, Output};

/// The secret name `secrets put` writes when neither `--secret-id` nor `TWITTER_SECRET_ARN` is
/// given.
pub const DEFAULT_SECRET_ID: &str = "dmbot/twitter";

#[derive(Subcommand, Debug)]
pub enum SecretsCmd {
    /// Write the app's credentials (TWITTER_CONSUMER_KEY, TWITTER_CONSUMER_SECRET,
    /// TWITTER_ACCESS_TOKEN, TWITTER_ACCESS_TOKEN_SECRET, optionally TWITTER_BEARER_TOKEN and
    /// TWITTER_TOKEN_ENCRYPTION_KEY) as the JSON secret dispatch, signin and watchdog read, and
    /// the consumer secret alone as the webhook secret crc and webhook read. Creates each
    /// secret or adds a new version. The values are never printed.
    Put {
        /// Secret name or ARN (default: `dmbot/twitter`).
        #[arg(long, env = vars::SECRET_ARN)]
        secret_id: Option<String>,
        /// The webhook secret's name or ARN (the stack's TwitterWebhookSecretArn; default: the
        /// secret's name followed by `-webhook`, e.g. `dmbot/twitter-webhook`).
        #[arg(long)]
        webhook_secret_id: Option<String>,
    },
}

/// The webhook secret's id: the one given, else `<secret name>-webhook`. An ARN cannot be
/// extended that way (its name ends in a random suffix), so then it must be given.
pub fn webhook_secret_id(secret_id: &str, given: Option<String>) -> Result<String, OpsError> {
    if let Some(id) = given.filter(|id| !id.trim().is_empty()) {
        return Ok(id);
    }
    if secret_id.starts_with("arn:") {
        return Err(OpsError::Usage(format!(
            "the secret is given as an ARN ({secret_id}); pass --webhook-secret-id <name or ARN> \
             for the secret with the consumer secret alone (the stack's TwitterWebhookSecretArn)"
        )));
    }
    Ok(format!("{secret_id}-webhook"))
}

/// What writing one secret did.
struct Written {
    arn: String,
    version: Option<String>,
    created: bool,
}

/// Adds a version to secret `id`, creating it when it does not exist. Error messages carry the
/// AWS code and message only: never the request (the values).
async fn write_secret(
    sm: &aws_sdk_secretsmanager::Client,
    id: &str,
    description: &str,
    body: &str,
) -> Result<Written, OpsError> {
    let aws = |what: &str, code: Option<&str>, msg: Option<&str>| {
        OpsError::Aws(format!(
            "Secrets Manager {what} for {id} failed: {} {}; check the AWS credentials, region and \
             that they allow secretsmanager:{what}",
            code.unwrap_or("error"),
            msg.unwrap_or("")
        ))
    };
    let (arn, version, created) = match sm
        .put_secret_value()
        .secret_id(id)
        .secret_string(body)
        .send()
        .await
    {
        Ok(out) => (out.arn, out.version_id, false),
        Err(e) if e.code() == Some("ResourceNotFoundException") => {
            let out = sm
                .create_secret()
                .name(id)
                .description(description)
                .secret_string(body)
                .send()
                .await
                .map_err(|e| aws("CreateSecret", e.code(), e.message()))?;
            (out.arn, out.version_id, true)
        }
        Err(e) => return Err(aws("PutSecretValue", e.code(), e.message())),
    };
    Ok(Written {
        arn: arn.unwrap_or_else(|| id.to_string()),
        version,
        created,
    })
}

pub async fn run(_opts: &Common, cmd: SecretsCmd) -> Result<Output, OpsError> {
    let SecretsCmd::Put {
        secret_id,
        webhook_secret_id: webhook_id,
    } = cmd;
    let id = secret_id
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_SECRET_ID.to_string());
    let webhook_id = webhook_secret_id(&id, webhook_id)?;
    let creds = TwitterAppCredentials::from_env()?;
    let mut doc = json!({
        "consumer_key": creds.consumer_key,
        "consumer_secret": creds.consumer_secret,
        "access_token": creds.access_token,
        "access_token_secret": creds.access_token_secret,
    });
    if let Some(b) = &creds.bearer_token {
        doc["bearer_token"] = json!(b);
    }
    if let Some(key) = &creds.token_encryption_key {
        // Refuse a key the functions would refuse at start.
        TokenSealer::from_base64_key(key)?;
        doc["token_encryption_key"] = json!(key);
    }
    let webhook_doc = json!({ "consumer_secret": creds.consumer_secret });
    let sdk = dmbot_shared::config::aws::sdk_config().await;
    let sm = aws_sdk_secretsmanager::Client::new(&sdk);
    let full = write_secret(
        &sm,
        &id,
        "dmbot: the Twitter app's credentials (dispatch, signin, watchdog)",
        &doc.to_string(),
    )
    .await?;
    let webhook = write_secret(
        &sm,
        &webhook_id,
        "dmbot: the Twitter app's consumer secret alone (crc, webhook)",
        &webhook_doc.to_string(),
    )
    .await?;
    let line = |w: &Written| {
        format!(
            "{} secret {}{}",
            if w.created { "created" } else { "updated" },
            w.arn,
            w.version
                .as_deref()
                .map(|v| format!(" (version {v})"))
                .unwrap_or_default()
        )
    };
    Ok(Output::new(
        json!({
            "arn": full.arn, "version_id": full.version, "created": full.created,
            "webhook_arn": webhook.arn, "webhook_version_id": webhook.version,
            "webhook_created": webhook.created,
        }),
        format!(
            "{}\n{}\nset the SAM parameters TwitterSecretArn={} and TwitterWebhookSecretArn={}",
            line(&full),
            line(&webhook),
            full.arn,
            webhook.arn
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_webhook_secret_is_named_after_the_secret_unless_given() {
        assert_eq!(
            webhook_secret_id("dmbot/twitter", None).unwrap(),
            "dmbot/twitter-webhook"
        );
        assert_eq!(
            webhook_secret_id("dmbot/twitter", Some("mine".into())).unwrap(),
            "mine"
        );
        let arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:dmbot/twitter-AbCdEf";
        assert!(matches!(
            webhook_secret_id(arn, None),
            Err(OpsError::Usage(m)) if m.contains("--webhook-secret-id")
        ));
        assert_eq!(webhook_secret_id(arn, Some("w".into())).unwrap(), "w");
    }
}
