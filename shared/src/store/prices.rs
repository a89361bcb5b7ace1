//! What billable calls cost: a [`PriceTable`] (X's Pay-Per-Use list prices, each overridable,
//! for a contract price or a price change) and the [`DailySpendCap`]. Pure: the configuration
//! (`config::costs`, `X_PRICES_USD` and `DAILY_SPEND_CAP_USD`) parses the settings into them.

use std::collections::BTreeMap;

use super::usage::{BillableKind, list_price_usd};

/// The price in US dollars of one call of each [`BillableKind`]: X's list price
/// ([`list_price_usd`]) unless overridden.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceTable {
    prices: BTreeMap<BillableKind, f64>,
    overridden: bool,
}

impl Default for PriceTable {
    fn default() -> Self {
        Self::list()
    }
}

/// Why a price override was refused; each names the bad part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    #[error("{part:?} is not <kind>=<price in USD>")]
    Syntax { part: String },
    #[error("{spec:?} has an empty entry: remove the extra comma")]
    EmptyPart { spec: String },
    #[error("{kind:?} is not a billable kind (one of: {})", kinds())]
    UnknownKind { kind: String },
    #[error("{kind} is given twice")]
    Repeated { kind: BillableKind },
    #[error(
        "the price of {kind}, {value:?}, is not a decimal number of dollars of 0 or more (such as 0.015)"
    )]
    BadPrice { kind: BillableKind, value: String },
}

fn kinds() -> String {
    BillableKind::ALL.map(BillableKind::as_str).join(", ")
}

/// Longest part of a setting quoted back in an error.
const QUOTED: usize = 60;

fn quoted(s: &str) -> String {
    s.chars().take(QUOTED).collect()
}

/// A plain decimal number of dollars (`0.015`, `2`, `.5`): digits and at most one point, nothing
/// else (no sign, exponent, `inf` or `NaN`), so the result is finite and not negative.
pub fn parse_usd(value: &str) -> Option<f64> {
    let value = value.trim();
    let digits = value.bytes().filter(u8::is_ascii_digit).count();
    let points = value.bytes().filter(|b| *b == b'.').count();
    if digits == 0 || points > 1 || digits + points != value.len() {
        return None;
    }
    value.parse::<f64>().ok().filter(|p| p.is_finite())
}

impl PriceTable {
    /// X's Pay-Per-Use list prices (`docs/X-API-V2.md` §7).
    pub fn list() -> Self {
        Self {
            prices: BillableKind::ALL
                .into_iter()
                .map(|k| (k, list_price_usd(k)))
                .collect(),
            overridden: false,
        }
    }

    /// The list prices with the overrides of `spec`: comma-separated `<kind>=<price>` pairs,
    /// kinds named by [`BillableKind::as_str`] (`dm_send=0.015,dm_event_read=0.010`); blank:
    /// the list prices. Spaces around parts are ignored.
    pub fn with_overrides(spec: &str) -> Result<Self, PriceError> {
        let mut table = Self::list();
        if spec.trim().is_empty() {
            return Ok(table);
        }
        let mut seen = Vec::new();
        for part in spec.split(',') {
            let part = part.trim();
            if part.is_empty() {
                return Err(PriceError::EmptyPart { spec: quoted(spec) });
            }
            let Some((name, value)) = part.split_once('=') else {
                return Err(PriceError::Syntax { part: quoted(part) });
            };
            let kind = BillableKind::parse(name.trim()).ok_or_else(|| PriceError::UnknownKind {
                kind: quoted(name.trim()),
            })?;
            if seen.contains(&kind) {
                return Err(PriceError::Repeated { kind });
            }
            seen.push(kind);
            let price = parse_usd(value).ok_or_else(|| PriceError::BadPrice {
                kind,
                value: quoted(value.trim()),
            })?;
            table.prices.insert(kind, price);
        }
        table.overridden = true;
        Ok(table)
    }

    /// The price of one call of `kind`, in US dollars.
    pub fn price_usd(&self, kind: BillableKind) -> f64 {
        self.prices.get(&kind).copied().unwrap_or(0.0)
    }

    /// Whether any price differs from X's list (an override was given).
    pub fn is_overridden(&self) -> bool {
        self.overridden
    }

    /// Every kind with its price, in [`BillableKind`] order.
    pub fn iter(&self) -> impl Iterator<Item = (BillableKind, f64)> + '_ {
        self.prices.iter().map(|(k, p)| (*k, *p))
    }

    /// What `counts` come to.
    pub fn spend_usd(&self, counts: &BTreeMap<BillableKind, u64>) -> f64 {
        counts
            .iter()
            .map(|(kind, n)| self.price_usd(*kind) * *n as f64)
            .sum()
    }
}

/// The most the app may spend on X in one UTC day, in US dollars: a positive, finite amount
/// (`DAILY_SPEND_CAP_USD`). The dispatcher stops sending when a day's estimated spend reaches
/// it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DailySpendCap(f64);

impl DailySpendCap {
    /// `None` unless `usd` is finite and above 0.
    pub fn new(usd: f64) -> Option<Self> {
        (usd.is_finite() && usd > 0.0).then_some(Self(usd))
    }

    pub fn usd(self) -> f64 {
        self.0
    }

    /// Whether a day's estimated spend has reached the cap.
    pub fn reached_by(self, spend_usd: f64) -> bool {
        spend_usd >= self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_table_is_xs_list() {
        let table = PriceTable::default();
        assert_eq!(table.price_usd(BillableKind::DmSend), 0.015);
        assert_eq!(table.price_usd(BillableKind::DmEventRead), 0.010);
        assert_eq!(table.price_usd(BillableKind::DmReceivedDelivery), 0.010);
        assert_eq!(table.price_usd(BillableKind::MediaUpload), 0.0);
        assert_eq!(table.iter().count(), BillableKind::ALL.len());
        assert!(!table.is_overridden());
        assert_eq!(PriceTable::with_overrides("  ").unwrap(), table);
    }

    #[test]
    fn overrides_replace_only_the_kinds_they_name() {
        let table =
            PriceTable::with_overrides(" dm_send = 0.02 , media_upload=.005,typing_indicator=0")
                .unwrap();
        assert_eq!(table.price_usd(BillableKind::DmSend), 0.02);
        assert_eq!(table.price_usd(BillableKind::MediaUpload), 0.005);
        assert_eq!(table.price_usd(BillableKind::TypingIndicator), 0.0);
        assert_eq!(table.price_usd(BillableKind::DmEventRead), 0.010);
        assert!(table.is_overridden());
        let counts = BTreeMap::from([(BillableKind::DmSend, 3), (BillableKind::DmEventRead, 2)]);
        assert!((table.spend_usd(&counts) - 0.08).abs() < 1e-12);
    }

    #[test]
    fn a_bad_override_names_the_bad_part() {
        let cases = [
            ("dm_send", "\"dm_send\" is not <kind>=<price in USD>"),
            (
                "dm_send=0.01,,dm_event_read=0.01",
                "has an empty entry: remove the extra comma",
            ),
            ("dm_send=0.01,", "remove the extra comma"),
            ("dm_sends=0.01", "\"dm_sends\" is not a billable kind"),
            ("dm_send=-0.01", "the price of dm_send, \"-0.01\""),
            ("dm_send=NaN", "the price of dm_send, \"NaN\""),
            ("dm_send=inf", "the price of dm_send, \"inf\""),
            ("dm_send=1e3", "the price of dm_send, \"1e3\""),
            ("dm_send=0.0.1", "the price of dm_send, \"0.0.1\""),
            ("dm_send=", "the price of dm_send, \"\""),
            ("dm_send=0.01,dm_send=0.02", "dm_send is given twice"),
        ];
        for (spec, expected) in cases {
            let error = PriceTable::with_overrides(spec).unwrap_err().to_string();
            assert!(error.contains(expected), "{spec:?}: {error}");
        }
        let unknown = PriceTable::with_overrides("x=1").unwrap_err().to_string();
        assert!(unknown.contains("dm_send, dm_event_read"), "{unknown}");
    }

    #[test]
    fn a_cap_is_positive_and_finite_and_reached_at_its_amount() {
        assert_eq!(DailySpendCap::new(0.0), None);
        assert_eq!(DailySpendCap::new(-1.0), None);
        assert_eq!(DailySpendCap::new(f64::INFINITY), None);
        assert_eq!(DailySpendCap::new(f64::NAN), None);
        let cap = DailySpendCap::new(5.0).unwrap();
        assert_eq!(cap.usd(), 5.0);
        assert!(!cap.reached_by(4.99));
        assert!(cap.reached_by(5.0));
    }
}
