//! [`SendLimits`]: X's rate limits as the dispatcher's send budget counts them
//! (`dispatch/send_budget.rs`), with X's documented numbers for the configured API as defaults.
//!
//! | Setting | v2 default (self-serve) | v1.1 default (Enterprise) |
//! | --- | --- | --- |
//! | `X_SEND_WINDOW_SECS` | 900 | 900 |
//! | `X_DAY_WINDOW_SECS` | 86,400 | 86,400 |
//! | `X_DM_SENDS_PER_WINDOW` (per account) | 15 | none |
//! | `X_DM_SENDS_PER_DAY` (per account) | 1,440 | 1,000 |
//! | `X_APP_DM_SENDS_PER_DAY` (whole app) | 1,440 | 15,000 |
//! | `X_DM_LOOKUPS_PER_WINDOW` (per account) | 15 | 15 |
//! | `X_COSMETIC_CALLS_PER_WINDOW` (per account, v1.1 typing and read receipts) | none used | 1,000 |
//!
//! A limit is a whole number, or `none` for no such limit (an Enterprise contract with other
//! numbers sets its own). X's pages disagree on the v2 DM numbers (`docs/X-API-V2.md` §7): the
//! defaults are the current per-endpoint table, and whatever X's headers say corrects the budget
//! at run time (it only ever gets tighter).

use super::api::ApiVersion;
use super::{ConfigError, non_empty, vars};

/// X's limits the send budget enforces. Windows in milliseconds; a `None` limit is not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendLimits {
    /// The short window (X's 15 minutes).
    pub window_ms: u64,
    /// The long window (X's 24 hours).
    pub day_ms: u64,
    pub sends_per_account_window: Option<u32>,
    pub sends_per_account_day: Option<u32>,
    pub sends_per_app_day: Option<u32>,
    pub lookups_per_account_window: Option<u32>,
    pub cosmetic_per_account_window: Option<u32>,
}

impl SendLimits {
    /// X's documented numbers for `api` (the table above).
    pub fn documented(api: ApiVersion) -> Self {
        match api {
            ApiVersion::V2 => Self {
                window_ms: 900_000,
                day_ms: 86_400_000,
                sends_per_account_window: Some(15),
                sends_per_account_day: Some(1_440),
                sends_per_app_day: Some(1_440),
                lookups_per_account_window: Some(15),
                cosmetic_per_account_window: None,
            },
            ApiVersion::V1_1 => Self {
                window_ms: 900_000,
                day_ms: 86_400_000,
                sends_per_account_window: None,
                sends_per_account_day: Some(1_000),
                sends_per_app_day: Some(15_000),
                lookups_per_account_window: Some(15),
                cosmetic_per_account_window: Some(1_000),
            },
        }
    }

    /// The documented numbers for `api`, each overridden by its setting when set.
    pub fn from_lookup(
        lookup: &impl Fn(&str) -> Option<String>,
        api: ApiVersion,
    ) -> Result<Self, ConfigError> {
        let d = Self::documented(api);
        let limit = |var: &'static str, default: Option<u32>| -> Result<Option<u32>, ConfigError> {
            match non_empty(lookup, var) {
                None => Ok(default),
                Some(v) => parse_limit(var, &v),
            }
        };
        let window = |var: &'static str, default_ms: u64| -> Result<u64, ConfigError> {
            match non_empty(lookup, var) {
                None => Ok(default_ms),
                Some(v) => parse_window_secs(var, &v),
            }
        };
        let limits = Self {
            window_ms: window(vars::SEND_WINDOW_SECS, d.window_ms)?,
            day_ms: window(vars::DAY_WINDOW_SECS, d.day_ms)?,
            sends_per_account_window: limit(vars::DM_SENDS_PER_WINDOW, d.sends_per_account_window)?,
            sends_per_account_day: limit(vars::DM_SENDS_PER_DAY, d.sends_per_account_day)?,
            sends_per_app_day: limit(vars::APP_DM_SENDS_PER_DAY, d.sends_per_app_day)?,
            lookups_per_account_window: limit(
                vars::DM_LOOKUPS_PER_WINDOW,
                d.lookups_per_account_window,
            )?,
            cosmetic_per_account_window: limit(
                vars::COSMETIC_CALLS_PER_WINDOW,
                d.cosmetic_per_account_window,
            )?,
        };
        if limits.day_ms < limits.window_ms {
            return Err(ConfigError::Invalid {
                var: vars::DAY_WINDOW_SECS,
                reason: format!(
                    "the long window ({} s) is shorter than the short one ({} s, {})",
                    limits.day_ms / 1000,
                    limits.window_ms / 1000,
                    vars::SEND_WINDOW_SECS
                ),
            });
        }
        Ok(limits)
    }
}

fn parse_limit(var: &'static str, value: &str) -> Result<Option<u32>, ConfigError> {
    let v = value.trim();
    if v.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    match v.parse::<u32>() {
        Ok(n) if n > 0 => Ok(Some(n)),
        _ => Err(ConfigError::Invalid {
            var,
            reason: format!(
                "{:?} is not a limit: use a whole number of calls above 0, or `none` for no limit",
                v.chars().take(20).collect::<String>()
            ),
        }),
    }
}

fn parse_window_secs(var: &'static str, value: &str) -> Result<u64, ConfigError> {
    let v = value.trim();
    match v.parse::<u64>() {
        Ok(secs) if (1..=7 * 86_400).contains(&secs) => Ok(secs * 1000),
        _ => Err(ConfigError::Invalid {
            var,
            reason: format!(
                "{:?} is not a window length: use whole seconds from 1 to 604800",
                v.chars().take(20).collect::<String>()
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_env as env;
    use super::*;

    #[test]
    fn defaults_are_the_documented_numbers_of_each_api() {
        let v2 = SendLimits::from_lookup(&env(&[]), ApiVersion::V2).unwrap();
        assert_eq!(v2, SendLimits::documented(ApiVersion::V2));
        assert_eq!(v2.sends_per_account_window, Some(15));
        assert_eq!(v2.sends_per_app_day, Some(1_440));
        let v1 = SendLimits::from_lookup(&env(&[]), ApiVersion::V1_1).unwrap();
        assert_eq!(v1.sends_per_account_window, None);
        assert_eq!(v1.sends_per_account_day, Some(1_000));
    }

    #[test]
    fn settings_override_limits_and_windows_and_none_removes_a_limit() {
        let l = SendLimits::from_lookup(
            &env(&[
                ("X_SEND_WINDOW_SECS", "4"),
                ("X_DAY_WINDOW_SECS", "384"),
                ("X_DM_SENDS_PER_WINDOW", "200"),
                ("X_APP_DM_SENDS_PER_DAY", " none "),
            ]),
            ApiVersion::V2,
        )
        .unwrap();
        assert_eq!((l.window_ms, l.day_ms), (4_000, 384_000));
        assert_eq!(l.sends_per_account_window, Some(200));
        assert_eq!(l.sends_per_app_day, None);
        assert_eq!(l.sends_per_account_day, Some(1_440));
    }

    #[test]
    fn bad_values_name_the_setting() {
        for (var, value) in [
            ("X_DM_SENDS_PER_WINDOW", "0"),
            ("X_DM_SENDS_PER_WINDOW", "-1"),
            ("X_DM_SENDS_PER_DAY", "lots"),
            ("X_SEND_WINDOW_SECS", "0"),
            ("X_SEND_WINDOW_SECS", "99999999"),
            ("X_DAY_WINDOW_SECS", "60"),
        ] {
            let err = SendLimits::from_lookup(&env(&[(var, value)]), ApiVersion::V2).unwrap_err();
            assert!(err.to_string().contains(var), "{var}={value}: {err}");
        }
    }
}
