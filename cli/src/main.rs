//! `dmbot`: run the whole bot on one machine (`dmbot serve`) and operate a deployment (webhooks,
//! subscriptions, welcome messages, custom profiles, media, flows, sign-in, secrets, failures).

use clap::{Parser, Subcommand};
use dmbot_cli::{ops, serve};

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
    #[command(after_help = serve::settings_help())]
    Serve(serve::ServeArgs),
    #[command(flatten)]
    Ops(ops::OpsCommand),
}

fn main() -> std::process::ExitCode {
    // `.env` first: before any thread exists (setting the environment while other threads read it
    // is unsound) and before clap reads the `[env: ...]` settings.
    let dotenv = dmbot_shared::config::load_dotenv();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("dmbot: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve::main(args, dotenv).await,
            Command::Ops(cmd) => ops::main(cmd, dotenv).await,
        }
    })
}
