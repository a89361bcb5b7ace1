//! What each Lambda function needs, one plain struct per function, read in one call
//! (`XFnConfig::from_env`). The credentials are not here: they come from the secret
//! ([`crate::secrets`]) or the `TWITTER_*` variables, as [`Settings::secret_arn`] says.

use url::Url;

use super::{ConfigError, Settings, non_empty, process_env, vars};
use crate::twitter::api_types::EnvName;

/// The hint for a variable the SAM template always sets.
const FROM_TEMPLATE: &str = "the template sets it from the stack's parameters";

fn env_name(settings: &Settings) -> Result<EnvName, ConfigError> {
    EnvName::new(settings.require_env_name()?).map_err(|e| ConfigError::Invalid {
        var: vars::ENV_NAME,
        reason: e.to_string(),
    })
}

/// λ crc: the consumer secret (from the secret or `TWITTER_CONSUMER_SECRET`) and, optionally,
/// the table where it records its answers for `dmbot webhook status`.
#[derive(Debug, Clone)]
pub struct CrcFnConfig {
    pub settings: Settings,
    /// `TABLE_NAME`; without it nothing is recorded.
    pub table_name: Option<String>,
}

impl CrcFnConfig {
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let settings = Settings::from_lookup(lookup)?;
        let table_name = settings.table_name.clone();
        Ok(Self {
            settings,
            table_name,
        })
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(process_env)
    }
}

/// λ webhook: the table, the consumer secret and our app's id (required: see
/// [`Settings::require_app_id`]).
#[derive(Debug, Clone)]
pub struct WebhookFnConfig {
    pub settings: Settings,
    pub table_name: String,
    pub app_id: String,
}

impl WebhookFnConfig {
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let settings = Settings::from_lookup(lookup)?;
        Ok(Self {
            table_name: settings.require_table_name()?.to_string(),
            app_id: settings.require_app_id()?.to_string(),
            settings,
        })
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(process_env)
    }
}

/// λ signin: the table, the environment new accounts are subscribed in, and the public URL of
/// `/auth/callback` (`SIGNIN_CALLBACK_URL`).
#[derive(Debug, Clone)]
pub struct SigninFnConfig {
    pub settings: Settings,
    pub table_name: String,
    pub env_name: EnvName,
    pub callback_url: Url,
}

impl SigninFnConfig {
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let callback = non_empty(&lookup, vars::SIGNIN_CALLBACK_URL);
        let settings = Settings::from_lookup(lookup)?;
        let table_name = settings.require_table_name()?.to_string();
        let env_name = env_name(&settings)?;
        let raw = callback.ok_or(ConfigError::Missing {
            var: vars::SIGNIN_CALLBACK_URL,
            hint: "set it to the public URL of /auth/callback (the API's URL + /auth/callback) and \
                   register that URL as a callback URL in the app's settings",
        })?;
        let callback_url = Url::parse(raw.trim()).map_err(|e| ConfigError::Invalid {
            var: vars::SIGNIN_CALLBACK_URL,
            reason: format!("not a URL ({e})"),
        })?;
        Ok(Self {
            settings,
            table_name,
            env_name,
            callback_url,
        })
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(process_env)
    }
}

#[cfg(feature = "client")]
pub use with_client::{DispatchFnConfig, WatchdogFnConfig};

#[cfg(feature = "client")]
mod with_client {
    use super::*;
    use crate::config::{daily_spend_cap_from_lookup, prices_from_lookup};
    use crate::dispatch::DEFAULT_FLOW_ID;
    use crate::store::prices::{DailySpendCap, PriceTable};
    use crate::watchdog::{DEFAULT_SILENCE_MINUTES, WatchdogConfig};

    /// λ dispatch: the table, the credentials, the flow of accounts without their own
    /// (`DEFAULT_FLOW_ID`, default `default`), the prices spend is estimated at
    /// (`X_PRICES_USD`, default X's list) and the daily spend cap (`DAILY_SPEND_CAP_USD`,
    /// default none).
    #[derive(Debug, Clone)]
    pub struct DispatchFnConfig {
        pub settings: Settings,
        pub table_name: String,
        pub default_flow_id: String,
        pub prices: PriceTable,
        /// When today's estimated spend for the app reaches it, the dispatcher stops sending
        /// until the next UTC day.
        pub daily_spend_cap: Option<DailySpendCap>,
    }

    impl DispatchFnConfig {
        pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
            let default_flow_id = non_empty(&lookup, vars::DEFAULT_FLOW_ID)
                .map(|v| v.trim().to_string())
                .unwrap_or_else(|| DEFAULT_FLOW_ID.to_string());
            let prices = prices_from_lookup(&lookup)?;
            let daily_spend_cap = daily_spend_cap_from_lookup(&lookup)?;
            let settings = Settings::from_lookup(lookup)?;
            Ok(Self {
                table_name: settings.require_table_name()?.to_string(),
                settings,
                default_flow_id,
                prices,
                daily_spend_cap,
            })
        }

        pub fn from_env() -> Result<Self, ConfigError> {
            Self::from_lookup(process_env)
        }
    }

    /// λ watchdog: the table, the credentials, and what it watches: `TWITTER_API` (which
    /// webhooks: v1.1 or `/2/webhooks`), `TWITTER_ENV_NAME` (required), `WEBHOOK_URL`
    /// (optional) and `WATCHDOG_SILENCE_MINUTES` (default 360).
    #[derive(Debug, Clone)]
    pub struct WatchdogFnConfig {
        pub settings: Settings,
        pub table_name: String,
        pub watchdog: WatchdogConfig,
    }

    impl WatchdogFnConfig {
        pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
            let webhook_url = non_empty(&lookup, vars::WEBHOOK_URL);
            let minutes = match non_empty(&lookup, vars::WATCHDOG_SILENCE_MINUTES) {
                None => DEFAULT_SILENCE_MINUTES,
                Some(v) => v.trim().parse::<u64>().map_err(|_| ConfigError::Invalid {
                    var: vars::WATCHDOG_SILENCE_MINUTES,
                    reason: format!("{v:?} is not a whole number of minutes"),
                })?,
            };
            let settings = Settings::from_lookup(lookup)?;
            if settings.env_name.is_none() {
                return Err(ConfigError::Missing {
                    var: vars::ENV_NAME,
                    hint: FROM_TEMPLATE,
                });
            }
            let env = env_name(&settings)?;
            let api = settings.api;
            Ok(Self {
                table_name: settings.require_table_name()?.to_string(),
                settings,
                watchdog: WatchdogConfig {
                    api,
                    env,
                    webhook_url,
                    silence_after_ms: minutes.saturating_mul(60_000),
                },
            })
        }

        pub fn from_env() -> Result<Self, ConfigError> {
            Self::from_lookup(process_env)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_env as env;
    use super::*;

    #[test]
    fn the_webhook_function_needs_its_table_and_app_id() {
        let err = WebhookFnConfig::from_lookup(env(&[("TABLE_NAME", "t")])).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Missing {
                var: "TWITTER_APP_ID",
                ..
            }
        ));
        let c = WebhookFnConfig::from_lookup(env(&[("TABLE_NAME", "t"), ("TWITTER_APP_ID", "7")]))
            .unwrap();
        assert_eq!((c.table_name.as_str(), c.app_id.as_str()), ("t", "7"));
        assert_eq!(CrcFnConfig::from_lookup(env(&[])).unwrap().table_name, None);
    }

    #[test]
    fn signin_needs_a_callback_url_that_parses() {
        let base = [("TABLE_NAME", "t"), ("TWITTER_ENV_NAME", "prod")];
        let err = SigninFnConfig::from_lookup(env(&base)).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Missing {
                var: "SIGNIN_CALLBACK_URL",
                ..
            }
        ));
        let mut bad = base.to_vec();
        bad.push(("SIGNIN_CALLBACK_URL", "not a url"));
        let err = SigninFnConfig::from_lookup(env(&bad)).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                var: "SIGNIN_CALLBACK_URL",
                ..
            }
        ));
        let mut good = base.to_vec();
        good.push(("SIGNIN_CALLBACK_URL", "https://x.example/auth/callback"));
        let c = SigninFnConfig::from_lookup(env(&good)).unwrap();
        assert_eq!(c.callback_url.path(), "/auth/callback");
        assert_eq!(c.env_name.as_str(), "prod");
    }

    #[cfg(feature = "client")]
    #[test]
    fn dispatch_defaults_its_flow_and_watchdog_its_silence() {
        let c =
            DispatchFnConfig::from_lookup(env(&[("TABLE_NAME", "t"), ("DEFAULT_FLOW_ID", " ")]))
                .unwrap();
        assert_eq!(c.default_flow_id, "default");
        let c = DispatchFnConfig::from_lookup(env(&[
            ("TABLE_NAME", "t"),
            ("DEFAULT_FLOW_ID", " shop "),
        ]))
        .unwrap();
        assert_eq!(c.default_flow_id, "shop");
        assert_eq!(c.prices, crate::store::prices::PriceTable::list());
        assert_eq!(c.daily_spend_cap, None);
        let c = DispatchFnConfig::from_lookup(env(&[
            ("TABLE_NAME", "t"),
            ("X_PRICES_USD", "dm_send=0.02"),
            ("DAILY_SPEND_CAP_USD", "12.5"),
        ]))
        .unwrap();
        let send = crate::store::usage::BillableKind::DmSend;
        assert_eq!(c.prices.price_usd(send), 0.02);
        assert_eq!(c.daily_spend_cap.map(|cap| cap.usd()), Some(12.5));
        let err = DispatchFnConfig::from_lookup(env(&[
            ("TABLE_NAME", "t"),
            ("DAILY_SPEND_CAP_USD", "-1"),
        ]))
        .unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                var: "DAILY_SPEND_CAP_USD",
                ..
            }
        ));
        let base = [("TABLE_NAME", "t"), ("TWITTER_ENV_NAME", "prod")];
        let c = WatchdogFnConfig::from_lookup(env(&base)).unwrap();
        assert_eq!(c.watchdog.silence_after_ms, 360 * 60_000);
        assert_eq!(c.watchdog.webhook_url, None);
        assert_eq!(c.watchdog.api, crate::config::ApiVersion::V1_1);
        let mut v2 = base.to_vec();
        v2.push(("TWITTER_API", "v2"));
        let c = WatchdogFnConfig::from_lookup(env(&v2)).unwrap();
        assert_eq!(c.watchdog.api, crate::config::ApiVersion::V2);
        let err = WatchdogFnConfig::from_lookup(env(&[("TABLE_NAME", "t")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "environment variable TWITTER_ENV_NAME is not set; the template sets it from the stack's parameters"
        );
        let mut bad = base.to_vec();
        bad.push(("WATCHDOG_SILENCE_MINUTES", "soon"));
        let err = WatchdogFnConfig::from_lookup(env(&bad)).unwrap_err();
        assert!(matches!(
            err,
            ConfigError::Invalid {
                var: "WATCHDOG_SILENCE_MINUTES",
                ..
            }
        ));
    }
}
