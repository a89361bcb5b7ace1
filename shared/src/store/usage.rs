//! Cost accounting: every billable call to X counted by kind, per account (or for the app) and
//! UTC day, so an operator can see what the bot costs (prices in `docs/X-API-V2.md` §7; the
//! table spend is estimated with: [`PriceTable`], `store/prices.rs`). The dispatcher counts its
//! calls; the webhook counts the X Activity API `dm.received` deliveries X bills
//! (`ingest::count_billed_delivery`).
//!
//! **Semantics** (pinned by `tests/store_contract/usage.rs`): [`Usage::record`] adds `count` to
//! the owner's counter of `kind` on `day`, atomically (concurrent recorders never lose a count;
//! a count of 0 writes nothing). [`Usage::usage`] returns the owner's days from `from` to `to`
//! inclusive that have counts, oldest first, each with its non-zero counts by kind; an owner
//! with nothing recorded gets an empty list. The app (`None`) and each account are separate
//! owners.
//!
//! Implementations: [`crate::store::memory::MemoryStore`], `embedded/usage.rs` (table `usage`,
//! key `(owner, day)`, value the counts as JSON; kept for good, one small row per owner and day)
//! and `dynamodb/usage.rs`: item `pk = USAGE#<account id>` or `USAGE#APP`, `sk = <day>`
//! (`YYYY-MM-DD`), `kind = usage`, one number attribute per billable kind, named
//! [`BillableKind::as_str`] (`dm_send`, ...), and the TTL attribute `expires_at` (N, seconds:
//! [`USAGE_TTL_DAYS`] after the day). A record is one UpdateItem (`ADD <kind> :n`); a range is
//! one Query (`sk BETWEEN :from AND :to`).

use std::collections::BTreeMap;
use std::future::Future;

use super::StoreError;
pub use super::prices::{DailySpendCap, PriceError, PriceTable};
use crate::domain::AccountId;

/// How long DynamoDB keeps a day's counts (days after the day).
pub const USAGE_TTL_DAYS: u64 = 400;

/// A billable call to X. The names ([`Self::as_str`]) are stored: never change one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BillableKind {
    /// A DM sent ($0.015).
    DmSend,
    /// A DM event read ($0.010).
    DmEventRead,
    /// An XAA `dm.received` delivery to the webhook ($0.010).
    DmReceivedDelivery,
    TypingIndicator,
    ReadReceipt,
    MediaUpload,
}

impl BillableKind {
    pub const ALL: [BillableKind; 6] = [
        BillableKind::DmSend,
        BillableKind::DmEventRead,
        BillableKind::DmReceivedDelivery,
        BillableKind::TypingIndicator,
        BillableKind::ReadReceipt,
        BillableKind::MediaUpload,
    ];

    /// The stable name (an attribute name in DynamoDB, a key in the embedded store's JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            BillableKind::DmSend => "dm_send",
            BillableKind::DmEventRead => "dm_event_read",
            BillableKind::DmReceivedDelivery => "dm_received_delivery",
            BillableKind::TypingIndicator => "typing_indicator",
            BillableKind::ReadReceipt => "read_receipt",
            BillableKind::MediaUpload => "media_upload",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl std::fmt::Display for BillableKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A UTC day, `YYYY-MM-DD` (so string order is date order).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UsageDay(String);

impl UsageDay {
    /// The UTC day containing `ms` (since the epoch).
    pub fn from_ms(ms: u64) -> Self {
        // Days to civil date (H. Hinnant's algorithm), for days since 1970-01-01.
        let z = ms / 86_400_000 + 719_468;
        let era = z / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + u64::from(month <= 2);
        UsageDay(format!("{year:04}-{month:02}-{day:02}"))
    }

    /// A day as written (`YYYY-MM-DD`, digits where digits belong), or `None`.
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        let shape = b.len() == 10
            && b.iter().enumerate().all(|(i, c)| match i {
                4 | 7 => *c == b'-',
                _ => c.is_ascii_digit(),
            });
        let month = s.get(5..7).and_then(|m| m.parse::<u8>().ok());
        let day = s.get(8..10).and_then(|d| d.parse::<u8>().ok());
        (shape
            && month.is_some_and(|m| (1..=12).contains(&m))
            && day.is_some_and(|d| (1..=31).contains(&d)))
        .then(|| UsageDay(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for UsageDay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One owner's counts on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayUsage {
    pub day: UsageDay,
    pub counts: BTreeMap<BillableKind, u64>,
}

/// `APP` or the account id: the owner in item keys.
pub fn owner_key(account: Option<&AccountId>) -> String {
    account.map_or_else(|| "APP".to_string(), |a| a.to_string())
}

/// X's Pay-Per-Use list price of one call of `kind`, in US dollars (`docs/X-API-V2.md` §7,
/// "Prices are subject to change"): a DM send $0.015, a DM event read $0.010, an X Activity API
/// `dm.received` delivery $0.010. Calls X lists no price for (media upload, and the v1.1
/// typing indicator and read receipt, billed by Enterprise contract) count as 0.
pub fn list_price_usd(kind: BillableKind) -> f64 {
    match kind {
        BillableKind::DmSend => 0.015,
        BillableKind::DmEventRead | BillableKind::DmReceivedDelivery => 0.010,
        _ => 0.0,
    }
}

/// The estimated spend of one day's counts at `prices` (X's list prices by default,
/// [`PriceTable::list`]; `X_PRICES_USD` overrides them).
pub fn estimated_spend_usd(day: &DayUsage, prices: &PriceTable) -> f64 {
    prices.spend_usd(&day.counts)
}

/// Where billable calls are counted. See the module documentation for the semantics.
pub trait Usage: Send + Sync {
    /// Adds `count` calls of `kind` on `day` for `account` (`None`: the app).
    fn record(
        &self,
        account: Option<&AccountId>,
        day: &UsageDay,
        kind: BillableKind,
        count: u32,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The owner's counts from `from` to `to` (inclusive), oldest day first.
    fn usage(
        &self,
        account: Option<&AccountId>,
        from: &UsageDay,
        to: &UsageDay,
    ) -> impl Future<Output = Result<Vec<DayUsage>, StoreError>> + Send;
}

/// Counts `count` billable calls of `kind` on `day` for `account` and for the app as a whole
/// (the app's total is what the daily spend cap is checked against), both writes at once.
/// Fails if either fails.
pub async fn record_billable<S: Usage + ?Sized>(
    store: &S,
    account: &AccountId,
    day: &UsageDay,
    kind: BillableKind,
    count: u32,
) -> Result<(), StoreError> {
    let (mine, app) = futures::join!(
        store.record(Some(account), day, kind, count),
        store.record(None, day, kind, count)
    );
    mine.and(app)
}

#[cfg(feature = "dynamodb")]
pub use super::dynamodb::usage::{KIND_USAGE, usage_pk};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_utc_dates_and_parse_only_when_well_formed() {
        assert_eq!(UsageDay::from_ms(0).as_str(), "1970-01-01");
        assert_eq!(UsageDay::from_ms(86_399_999).as_str(), "1970-01-01");
        assert_eq!(UsageDay::from_ms(951_782_400_000).as_str(), "2000-02-29");
        assert_eq!(UsageDay::from_ms(1_795_910_400_000).as_str(), "2026-11-29");
        assert_eq!(
            UsageDay::parse("2026-11-29"),
            Some(UsageDay::from_ms(1_795_910_400_000))
        );
        for bad in [
            "2026-13-01",
            "2026-1-01",
            "20261129",
            "2026-11-29#",
            "abcd-ef-gh",
            "",
        ] {
            assert_eq!(UsageDay::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn billable_kinds_keep_their_stored_names() {
        for kind in BillableKind::ALL {
            assert_eq!(BillableKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(
            BillableKind::DmReceivedDelivery.as_str(),
            "dm_received_delivery"
        );
        assert_eq!(BillableKind::parse("kind"), None);
    }
}
