//! `dmbot`: run the whole bot on one machine (`dmbot serve`) and operate a deployment (webhooks,
//! subscriptions, welcome messages, custom profiles, media, flows, sign-in, secrets, failures).

use clap::{Parser, Subcommand};

mod ops;
mod serve;

/// `serve` makes many small, short-lived allocations on several threads (HTTP, JSON, the store's
/// writer): mimalloc spends less CPU on them than the system allocator (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A Twitter (X) Direct Message customer-engagement bot: local stack and operator tool.
#[derive(Parser)]
#[command(name = "dmbot", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the bot locally: webhook endpoints, in-process dispatch, an embedded store and (without
    /// Twitter credentials) the built-in Twitter simulator with a chat page.
    Serve(serve::ServeArgs),
    #[command(flatten)]
    Ops(ops::OpsCommand),
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve::main(args).await,
        Command::Ops(cmd) => ops::main(cmd).await,
    }
}
