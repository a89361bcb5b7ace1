//! `usage`: the billable X calls made for an account (the dispatcher's calls, the deliveries X
//! bills the webhook for), per day and kind, with the spend they come to at X's Pay-Per-Use
//! list prices or at the prices of `X_PRICES_USD` (`store::prices::PriceTable`).

use clap::Args;
use dmbot_shared::config::{prices_from_env, vars};
use dmbot_shared::dispatch::owner_id_from_access_token;
use dmbot_shared::domain::{UserId, now_ms};
use dmbot_shared::store::usage::{UsageDay, estimated_spend_usd};
use serde_json::json;

use super::context::{self, parse_user, store, with_store};
use super::{Common, OpsError, Output};

const DAY_MS: u64 = 86_400_000;

/// Options of `dmbot usage`.
#[derive(Args, Debug)]
pub struct UsageArgs {
    #[command(flatten)]
    pub common: Common,
    /// How many days back, today (UTC) included.
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=400))]
    pub days: u32,
    /// The whole app's calls (every account together: what DAILY_SPEND_CAP_USD is checked
    /// against) instead of one account's.
    #[arg(long, conflicts_with = "account")]
    pub app: bool,
}

/// The account whose usage is shown: `--account`, else the app owner (read from its access
/// token, `<user id>-…`).
fn account(opts: &Common) -> Result<UserId, OpsError> {
    if let Some(id) = &opts.account {
        return parse_user(id);
    }
    let owner = context::owner_tokens()?;
    owner_id_from_access_token(owner.token()).ok_or_else(|| {
        OpsError::Usage(
            "the owner's user id is not in its access token: name the account with --account"
                .into(),
        )
    })
}

pub async fn run(opts: &Common, days: u32, app: bool) -> Result<Output, OpsError> {
    let account = if app { None } else { Some(account(opts)?) };
    let whose = account.as_ref().map_or_else(
        || "the app (all accounts)".to_string(),
        |a| format!("account {a}"),
    );
    let prices = prices_from_env()?;
    let now = now_ms();
    let to = UsageDay::from_ms(now);
    let from = UsageDay::from_ms(now.saturating_sub(u64::from(days - 1) * DAY_MS));
    let store = store(opts).await?;
    let rows = with_store!(&store, s => {
        dmbot_shared::store::usage::Usage::usage(s, account.as_ref(), &from, &to).await
    })?;
    let mut text = format!(
        "billable X calls for {whose}, {} to {} (UTC)\n",
        from.as_str(),
        to.as_str()
    );
    let mut total = 0.0;
    let mut json_days = Vec::new();
    for row in &rows {
        let spend = estimated_spend_usd(row, &prices);
        total += spend;
        let counts: Vec<String> = row
            .counts
            .iter()
            .map(|(kind, n)| format!("{kind} {n}"))
            .collect();
        text.push_str(&format!(
            "{}  ${spend:.3}  {}\n",
            row.day.as_str(),
            counts.join(", ")
        ));
        let counts_json: serde_json::Map<String, serde_json::Value> = row
            .counts
            .iter()
            .map(|(kind, n)| (kind.as_str().to_string(), json!(n)))
            .collect();
        json_days.push(json!({
            "day": row.day.as_str(),
            "counts": counts_json,
            "estimated_spend_usd": spend,
        }));
    }
    if rows.is_empty() {
        text.push_str("no billable calls recorded\n");
    }
    let source = if prices.is_overridden() {
        vars::X_PRICES_USD
    } else {
        "list"
    };
    let at = if prices.is_overridden() {
        format!("the prices of {} over X's list", vars::X_PRICES_USD)
    } else {
        "X's Pay-Per-Use list prices".to_string()
    };
    text.push_str(&format!("estimated spend: ${total:.3} at {at}"));
    let prices_json: serde_json::Map<String, serde_json::Value> = prices
        .iter()
        .map(|(k, price)| (k.as_str().to_string(), json!(price)))
        .collect();
    let json = json!({
        "account_id": account.as_ref().map(UserId::as_str),
        "from": from.as_str(),
        "to": to.as_str(),
        "days": json_days,
        "estimated_spend_usd": total,
        "prices_usd": prices_json,
        "prices_from": source,
    });
    Ok(Output::new(json, text))
}
