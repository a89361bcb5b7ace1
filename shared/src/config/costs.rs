//! The cost settings: `X_PRICES_USD` (overrides of X's list prices, a [`PriceTable`]) and
//! `DAILY_SPEND_CAP_USD` (an optional [`DailySpendCap`]). Blank values count as unset.

use super::{ConfigError, non_empty, process_env, vars};
use crate::store::prices::{DailySpendCap, PriceTable, parse_usd};

/// The prices to estimate spend with: X's list prices with the overrides of `X_PRICES_USD`.
pub fn prices_from_lookup(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<PriceTable, ConfigError> {
    match non_empty(lookup, vars::X_PRICES_USD) {
        None => Ok(PriceTable::list()),
        Some(spec) => PriceTable::with_overrides(&spec).map_err(|e| ConfigError::Invalid {
            var: vars::X_PRICES_USD,
            reason: format!("{e}; the form is dm_send=0.015,dm_event_read=0.010"),
        }),
    }
}

/// [`prices_from_lookup`] on the process environment.
pub fn prices_from_env() -> Result<PriceTable, ConfigError> {
    prices_from_lookup(&process_env)
}

/// `DAILY_SPEND_CAP_USD`: `None` when unset or blank, else a positive decimal of dollars.
pub fn daily_spend_cap_from_lookup(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<Option<DailySpendCap>, ConfigError> {
    let Some(value) = non_empty(lookup, vars::DAILY_SPEND_CAP_USD) else {
        return Ok(None);
    };
    parse_usd(&value)
        .and_then(DailySpendCap::new)
        .map(Some)
        .ok_or_else(|| ConfigError::Invalid {
            var: vars::DAILY_SPEND_CAP_USD,
            reason: format!(
                "{:?} is not a positive decimal number of US dollars (such as 25 or 7.50); \
                 leave it blank for no cap",
                value.trim().chars().take(40).collect::<String>()
            ),
        })
}

#[cfg(test)]
mod tests {
    use super::super::test_env as env;
    use super::*;
    use crate::store::usage::BillableKind;

    #[test]
    fn unset_or_blank_prices_are_the_list_and_overrides_apply() {
        assert_eq!(prices_from_lookup(&env(&[])).unwrap(), PriceTable::list());
        let blank = env(&[("X_PRICES_USD", " ")]);
        assert_eq!(prices_from_lookup(&blank).unwrap(), PriceTable::list());
        let set = env(&[("X_PRICES_USD", "dm_send=0.02")]);
        let table = prices_from_lookup(&set).unwrap();
        assert_eq!(table.price_usd(BillableKind::DmSend), 0.02);
    }

    #[test]
    fn a_bad_price_setting_names_the_variable_and_the_bad_part() {
        let error = prices_from_lookup(&env(&[("X_PRICES_USD", "dm_send=0.015,dm_read=0.01")]))
            .unwrap_err()
            .to_string();
        assert!(error.contains("X_PRICES_USD"), "{error}");
        assert!(
            error.contains("\"dm_read\" is not a billable kind"),
            "{error}"
        );
    }

    #[test]
    fn the_cap_is_optional_and_must_be_a_positive_decimal() {
        assert_eq!(daily_spend_cap_from_lookup(&env(&[])).unwrap(), None);
        let blank = env(&[("DAILY_SPEND_CAP_USD", "")]);
        assert_eq!(daily_spend_cap_from_lookup(&blank).unwrap(), None);
        let set = env(&[("DAILY_SPEND_CAP_USD", " 7.50 ")]);
        let cap = daily_spend_cap_from_lookup(&set).unwrap().unwrap();
        assert_eq!(cap.usd(), 7.5);
        for bad in ["0", "-3", "inf", "NaN", "1e9", "$5", "five"] {
            let error = daily_spend_cap_from_lookup(&env(&[("DAILY_SPEND_CAP_USD", bad)]))
                .unwrap_err()
                .to_string();
            assert!(error.contains("DAILY_SPEND_CAP_USD"), "{bad}: {error}");
            assert!(error.contains(&format!("{bad:?}")), "{bad}: {error}");
        }
    }
}
