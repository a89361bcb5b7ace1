//! The daily spend cap (`DAILY_SPEND_CAP_USD`, [`DispatchConfig::daily_spend_cap`]): before a
//! send, the app's estimated spend of the UTC day (every billable call counted for the app, the
//! webhook's received deliveries included, at [`DispatchConfig::prices`]) plus the send's own
//! price must stay within the cap. Otherwise sending pauses: the message is put off until the
//! next UTC day, an error is logged and the `SendingPaused` metric (alarmed in the template)
//! published. Nothing is lost: the messages come back the next day, or sooner with `dmbot
//! failures redrive --all` after raising the cap. Processes sending at the same instant may
//! each pass the check, so the cap can be overshot by the sends in flight (a few cents).
//!
//! [`DispatchConfig::daily_spend_cap`]: super::DispatchConfig::daily_spend_cap
//! [`DispatchConfig::prices`]: super::DispatchConfig::prices

use super::{Dispatcher, Failure, Store};
use crate::domain::now_ms;
use crate::store::usage::{BillableKind, UsageDay};

const DAY_MS: u64 = 86_400_000;

impl<S: Store + Clone + Send + Sync + 'static> Dispatcher<S> {
    /// `Ok` when one more send keeps the day within the cap (or there is no cap).
    pub(super) async fn within_spend_cap(&self) -> Result<(), Failure> {
        let Some(cap) = self.config.daily_spend_cap else {
            return Ok(());
        };
        let now = now_ms();
        let today = UsageDay::from_ms(now);
        let days = self.store.usage(None, &today, &today).await?;
        let spent: f64 = days
            .iter()
            .map(|d| self.config.prices.spend_usd(&d.counts))
            .sum();
        let next = spent + self.config.prices.price_usd(BillableKind::DmSend);
        // Within a billionth of a dollar counts as within: sums of prices are not exact.
        if next <= cap.usd() + 1e-9 {
            return Ok(());
        }
        super::metrics::add_sending_paused();
        tracing::error!(
            spent_usd = spent,
            cap_usd = cap.usd(),
            "the daily spend cap is reached: sending is paused until 00:00 UTC"
        );
        Err(Failure::Defer {
            until_ms: now - now % DAY_MS + DAY_MS,
            reason: format!(
                "the daily spend cap (${:.2}, DAILY_SPEND_CAP_USD) is reached (${spent:.3} spent \
                 today): sending resumes at 00:00 UTC, or raise the cap and run `dmbot failures \
                 redrive --all`",
                cap.usd()
            ),
            slot_ms: None,
        })
    }
}
