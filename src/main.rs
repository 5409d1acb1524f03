//! `smartalex-mcp`: the SmartAlex MCP server, its tool list, one-off calls,
//! and the sandbox gateway.
//!
//! The only binary in the crate, and the only place that uses `anyhow`:
//! everything below it has typed errors. stdout belongs to the JSON-RPC
//! channel (stdio) or to the one thing a subcommand prints (`tools`, `call`);
//! every log line goes to stderr.
//!
//! This file is composition only: start logging, parse the command line,
//! build the async runtime, run the command and turn its result into an exit
//! code. The command line and the commands are the binary's own modules,
//! under [`cli`].

mod cli;

use std::process::ExitCode;

use clap::Parser;
use tokio::runtime::{Builder, Runtime};

use cli::args::{Cli, Command};

fn main() -> ExitCode {
    cli::logging::init();
    let parsed = Cli::parse();
    let runtime = match runtime(parsed.command.as_ref()) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(parsed)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// The runtime `command` runs on.
fn runtime(command: Option<&Command>) -> std::io::Result<Runtime> {
    let mut builder = match command {
        // The sandbox serves many connections: give it both cores.
        #[cfg(feature = "sandbox")]
        Some(Command::Sandbox(_)) => Builder::new_multi_thread(),
        #[cfg(feature = "http")]
        Some(Command::Http(_)) => Builder::new_multi_thread(),
        // One client, one pipe: a single thread starts faster and stays small.
        _ => Builder::new_current_thread(),
    };
    builder.enable_all().build()
}

/// Run the command (stdio if none). Options given before the subcommand
/// apply to it too; those given after it win.
async fn run(parsed: Cli) -> anyhow::Result<ExitCode> {
    let top = parsed.serve;
    match parsed.command {
        None => cli::stdio::run(&top).await?,
        Some(Command::Stdio { serve }) => cli::stdio::run(&top.merge(serve)).await?,
        Some(Command::Tools { json, serve }) => cli::tools::run(&top.merge(serve), json).await?,
        Some(Command::Call { tool, args, serve }) => {
            return cli::call::run(&top.merge(serve), &tool, &args).await;
        }
        #[cfg(feature = "http")]
        Some(Command::Http(args)) => cli::http::run(top, *args).await?,
        #[cfg(feature = "sandbox")]
        Some(Command::Sandbox(cmd)) => cmd.run().await?,
    }
    Ok(ExitCode::SUCCESS)
}
