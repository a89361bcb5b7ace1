//! [`Settings`]: every setting other than the credentials, read and checked once.

use url::Url;

use super::api::{ApiVersion, V2_BASE_URL};
use super::limits::SendLimits;
use super::{ConfigError, non_empty, process_env, vars};
use crate::twitter::api_types::BearerToken;

/// Where Twitter's REST API lives unless `TWITTER_API_BASE_URL` says otherwise (v1.1; v2 uses
/// [`V2_BASE_URL`] for both).
pub const DEFAULT_API_BASE_URL: &str = "https://api.twitter.com";
/// Where media uploads go unless `TWITTER_UPLOAD_BASE_URL` says otherwise.
pub const DEFAULT_UPLOAD_BASE_URL: &str = "https://upload.twitter.com";

/// Settings other than the credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Which X API to speak (`TWITTER_API`, default v1.1).
    pub api: ApiVersion,
    /// The Account Activity environment's name (`TWITTER_ENV_NAME`, case-sensitive).
    pub env_name: Option<String>,
    /// `TWITTER_API_BASE_URL` without a trailing slash.
    pub api_base_url: String,
    /// `TWITTER_UPLOAD_BASE_URL` without a trailing slash.
    pub upload_base_url: String,
    /// A ready app-only bearer token (`TWITTER_BEARER_TOKEN`); `Debug` does not show it.
    pub bearer_token: Option<BearerToken>,
    /// Our app's id (`TWITTER_APP_ID`): lets the webhook recognise the bot's own messages.
    pub app_id: Option<String>,
    /// The DynamoDB table (`TABLE_NAME`).
    pub table_name: Option<String>,
    /// The Secrets Manager secret with the credentials (`TWITTER_SECRET_ARN`).
    pub secret_arn: Option<String>,
    /// Refuse connected accounts' stored tokens that are not sealed
    /// (`TWITTER_REQUIRE_SEALED_TOKENS`, `true`/`false`, default false).
    pub require_sealed_tokens: bool,
    /// X's rate limits the dispatcher's send budget enforces (`X_*` limit settings, defaults
    /// per API: [`SendLimits::documented`]).
    pub limits: SendLimits,
}

fn flag(lookup: &impl Fn(&str) -> Option<String>, var: &'static str) -> Result<bool, ConfigError> {
    match non_empty(lookup, var).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(false),
        Some(v) if matches!(v.as_str(), "true" | "1" | "yes" | "on") => Ok(true),
        Some(v) if matches!(v.as_str(), "false" | "0" | "no" | "off") => Ok(false),
        Some(v) => Err(ConfigError::Invalid {
            var,
            reason: format!(
                "{:?} is not true or false",
                v.chars().take(20).collect::<String>()
            ),
        }),
    }
}

/// The one base-URL check: an absolute http(s) URL with a host. `var` names the setting in the
/// error (a variable, or a flag such as `--api-base`).
pub fn parse_base_url(var: &'static str, value: &str) -> Result<Url, ConfigError> {
    let value = value.trim();
    match Url::parse(value) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => Ok(u),
        Ok(_) => Err(ConfigError::Invalid {
            var,
            reason: format!("{value:?} is not an http(s) URL"),
        }),
        Err(e) => Err(ConfigError::Invalid {
            var,
            reason: format!("{value:?} is not a URL ({e})"),
        }),
    }
}

fn base_url(
    lookup: &impl Fn(&str) -> Option<String>,
    var: &'static str,
    default: &str,
) -> Result<String, ConfigError> {
    let Some(value) = non_empty(lookup, var) else {
        return Ok(default.to_string());
    };
    let value = value.trim().trim_end_matches('/').to_string();
    parse_base_url(var, &value).map(|_| value)
}

impl Settings {
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let app_id = non_empty(&lookup, vars::APP_ID).map(|v| v.trim().to_string());
        if let Some(id) = &app_id
            && !id.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(ConfigError::Invalid {
                var: vars::APP_ID,
                reason: format!(
                    "{:?} is not a numeric app id (the developer portal shows it in the app's settings)",
                    id.chars().take(40).collect::<String>()
                ),
            });
        }
        let api = match non_empty(&lookup, vars::API) {
            Some(v) => ApiVersion::parse(&v)?,
            None => ApiVersion::default(),
        };
        // v2 serves media from the API's own host, so its upload URL follows the API's.
        let api_base_url = base_url(
            &lookup,
            vars::API_BASE_URL,
            match api {
                ApiVersion::V1_1 => DEFAULT_API_BASE_URL,
                ApiVersion::V2 => V2_BASE_URL,
            },
        )?;
        let upload_default = match api {
            ApiVersion::V1_1 => DEFAULT_UPLOAD_BASE_URL,
            ApiVersion::V2 => api_base_url.as_str(),
        };
        let upload_base_url = base_url(&lookup, vars::UPLOAD_BASE_URL, upload_default)?;
        Ok(Self {
            api,
            env_name: non_empty(&lookup, vars::ENV_NAME),
            api_base_url,
            upload_base_url,
            bearer_token: non_empty(&lookup, vars::BEARER_TOKEN).map(BearerToken::new),
            app_id,
            table_name: non_empty(&lookup, vars::TABLE_NAME),
            secret_arn: non_empty(&lookup, vars::SECRET_ARN),
            require_sealed_tokens: flag(&lookup, vars::REQUIRE_SEALED_TOKENS)?,
            limits: SendLimits::from_lookup(&lookup, api)?,
        })
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(process_env)
    }

    /// Our app's id, for whatever receives deliveries (the webhook function, `dmbot serve` with
    /// credentials). Without it the echo of a bot reply that arrives before the dispatcher has
    /// recorded the reply's id looks like a person answering from the account, and the bot hands
    /// the conversation over and falls silent: refusing to start is better than that.
    pub fn require_app_id(&self) -> Result<&str, ConfigError> {
        self.app_id.as_deref().ok_or(ConfigError::Missing {
            var: vars::APP_ID,
            hint: "set it to the numeric id of the Twitter app (developer portal, the app's \
                   settings; also the `source_app_id` of any message the bot sent): without it \
                   the bot's own replies can be taken for a person answering and pause the bot",
        })
    }

    /// The table name, for functions that cannot run without one.
    pub fn require_table_name(&self) -> Result<&str, ConfigError> {
        self.table_name.as_deref().ok_or(ConfigError::Missing {
            var: vars::TABLE_NAME,
            hint: "the SAM template sets it to the stack's table; locally, name a DynamoDB table",
        })
    }

    /// The Account Activity environment name, for the commands that need it.
    pub fn require_env_name(&self) -> Result<&str, ConfigError> {
        self.env_name.as_deref().ok_or(ConfigError::Missing {
            var: vars::ENV_NAME,
            hint: "it is the dev environment label of the Account Activity API in the developer portal (case-sensitive)",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_env as env;
    use super::*;

    #[test]
    fn settings_have_twitters_urls_by_default() {
        let s = Settings::from_lookup(env(&[])).unwrap();
        assert_eq!(s.api_base_url, "https://api.twitter.com");
        assert_eq!(s.upload_base_url, "https://upload.twitter.com");
        assert_eq!(s.app_id, None);
        assert_eq!(s.table_name, None);
        assert_eq!(s.secret_arn, None);
        assert_eq!(s.bearer_token, None);
        assert!(s.require_table_name().is_err());
        assert!(s.require_env_name().is_err());
    }

    #[test]
    fn v2_speaks_to_api_x_com_for_everything_unless_told_otherwise() {
        let s = Settings::from_lookup(env(&[])).unwrap();
        assert_eq!(s.api, ApiVersion::V1_1);
        let s = Settings::from_lookup(env(&[("TWITTER_API", "v2")])).unwrap();
        assert_eq!(s.api, ApiVersion::V2);
        assert_eq!(s.api_base_url, "https://api.x.com");
        assert_eq!(s.upload_base_url, "https://api.x.com");
        let s = Settings::from_lookup(env(&[
            ("TWITTER_API", "v2"),
            ("TWITTER_API_BASE_URL", "http://127.0.0.1:9000"),
        ]))
        .unwrap();
        assert_eq!(s.api_base_url, "http://127.0.0.1:9000");
        assert_eq!(s.upload_base_url, "http://127.0.0.1:9000");
        let error = Settings::from_lookup(env(&[("TWITTER_API", "3")])).unwrap_err();
        assert!(error.to_string().contains("TWITTER_API"), "{error}");
    }

    #[test]
    fn settings_read_every_variable() {
        let s = Settings::from_lookup(env(&[
            ("TWITTER_ENV_NAME", "prod"),
            ("TWITTER_API_BASE_URL", "http://127.0.0.1:9000/"),
            ("TWITTER_UPLOAD_BASE_URL", "http://127.0.0.1:9001"),
            ("TWITTER_APP_ID", "13090192"),
            ("TWITTER_BEARER_TOKEN", "bt-value"),
            ("TABLE_NAME", "dmbot"),
            (
                "TWITTER_SECRET_ARN",
                "arn:aws:secretsmanager:eu-west-1:1:secret:x",
            ),
        ]))
        .unwrap();
        assert_eq!(s.require_env_name().unwrap(), "prod");
        assert_eq!(s.api_base_url, "http://127.0.0.1:9000");
        assert_eq!(s.upload_base_url, "http://127.0.0.1:9001");
        assert_eq!(s.app_id.as_deref(), Some("13090192"));
        assert_eq!(s.bearer_token, Some(BearerToken::new("bt-value")));
        assert!(!format!("{s:?}").contains("bt-value"));
        assert_eq!(s.require_table_name().unwrap(), "dmbot");
        assert_eq!(
            s.secret_arn.as_deref(),
            Some("arn:aws:secretsmanager:eu-west-1:1:secret:x")
        );
    }

    #[test]
    fn require_sealed_tokens_is_a_boolean_off_by_default() {
        assert!(
            !Settings::from_lookup(env(&[]))
                .unwrap()
                .require_sealed_tokens
        );
        let on = env(&[("TWITTER_REQUIRE_SEALED_TOKENS", "True")]);
        assert!(Settings::from_lookup(on).unwrap().require_sealed_tokens);
        let bad = env(&[("TWITTER_REQUIRE_SEALED_TOKENS", "sometimes")]);
        assert!(matches!(
            Settings::from_lookup(bad),
            Err(ConfigError::Invalid {
                var: "TWITTER_REQUIRE_SEALED_TOKENS",
                ..
            })
        ));
    }

    #[test]
    fn the_app_id_is_required_where_deliveries_are_received_with_advice() {
        let s = Settings::from_lookup(env(&[])).unwrap();
        let err = s.require_app_id().unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Missing {
                var: "TWITTER_APP_ID",
                ..
            }
        ));
        assert!(err.to_string().contains("pause the bot"), "{err}");
        let s = Settings::from_lookup(env(&[("TWITTER_APP_ID", " 13090192 ")])).unwrap();
        assert_eq!(s.require_app_id(), Ok("13090192"));
    }

    #[test]
    fn a_bad_base_url_or_app_id_is_refused_with_the_variable_name() {
        let err = Settings::from_lookup(env(&[("TWITTER_API_BASE_URL", "ftp://x")])).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                var: "TWITTER_API_BASE_URL",
                ..
            }
        ));
        let err =
            Settings::from_lookup(env(&[("TWITTER_UPLOAD_BASE_URL", "not a url")])).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                var: "TWITTER_UPLOAD_BASE_URL",
                ..
            }
        ));
        let err = Settings::from_lookup(env(&[("TWITTER_APP_ID", "acme")])).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                var: "TWITTER_APP_ID",
                ..
            }
        ));
    }
}
