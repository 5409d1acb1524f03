//! `smartalex-mcp sandbox …`: serve the sandbox gateway, or mint a key.
//!
//! `sandbox key` prints exactly one line — the key — on stdout, so scripts
//! can do `export SMARTALEX_API_KEY=$(smartalex-mcp sandbox key …)`.
//! Everything else goes to stderr.

use std::net::SocketAddr;

use anyhow::Context;

use super::{Db, Domain, KeySpec, KeyUser, SandboxOptions};

/// `smartalex-mcp sandbox`: serve the sandbox gateway, or mint a key.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SandboxCommand {
    #[command(subcommand)]
    command: Option<SandboxSubcommand>,
    /// Address to serve on.
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// SQLite database file, or `:memory:` (default: the platform data directory).
    // `String`, like the top-level global `--db`, which clap merges with this one.
    #[arg(long, value_name = "PATH")]
    db: Option<String>,
    /// Requests per minute per workspace.
    #[arg(long, value_name = "N", default_value_t = 100)]
    rate_limit: u32,
    /// Let Quick Setup and webhooks reach private and loopback addresses.
    #[arg(long)]
    allow_private_urls: bool,
    #[command(flatten)]
    connections: crate::listen::ConnectionArgs,
}

#[derive(Debug, clap::Subcommand)]
enum SandboxSubcommand {
    /// Print a new API key for a workspace (created if absent).
    Key(KeyArgs),
}

#[derive(Debug, clap::Args)]
struct KeyArgs {
    /// SQLite database file (default: the platform data directory).
    // `String`, like the top-level global `--db`, which clap merges with this one.
    #[arg(long, value_name = "PATH")]
    db: Option<String>,
    /// Workspace name.
    #[arg(long, value_name = "NAME", default_value = super::DEFAULT_WORKSPACE)]
    workspace: String,
    /// Read permission only.
    #[arg(long)]
    read_only: bool,
    /// Create the key without a user (permission-gated routes refuse it).
    #[arg(long, conflicts_with = "permissions")]
    no_user: bool,
    /// Create the key for a new user with only these page permissions
    /// (contacts, agents, phone_numbers, campaigns, calls, deals, webhooks, platform).
    #[arg(long, value_name = "DOMAINS", value_delimiter = ',')]
    permissions: Vec<String>,
}

impl SandboxCommand {
    /// Run the subcommand to completion.
    pub async fn run(self) -> anyhow::Result<()> {
        match self.command {
            Some(SandboxSubcommand::Key(args)) => key(args),
            None => self.serve().await,
        }
    }

    async fn serve(self) -> anyhow::Result<()> {
        let db = match self.db.as_deref() {
            Some(text) => Db::parse(text),
            None => Db::Path(super::default_db_path()),
        };
        let shown = match &db {
            Db::Path(p) => p.display().to_string(),
            Db::Memory => ":memory:".into(),
        };
        let options = SandboxOptions {
            rate_limit_per_min: self.rate_limit,
            allow_private_urls: self.allow_private_urls,
            connections: self.connections.limits(),
            ..SandboxOptions::new(db)
        };
        // The error's Display already carries its cause.
        let running = super::start(self.listen, options)
            .await
            .map_err(|e| anyhow::anyhow!("starting the sandbox gateway: {e}"))?;
        eprintln!(
            "SmartAlex sandbox gateway on {} (database: {shown})",
            running.url()
        );
        if running.database_created() {
            eprintln!(
                "New database: API key for workspace \"{}\":\n{}",
                super::DEFAULT_WORKSPACE,
                running.api_key
            );
        } else {
            eprintln!("Mint a key with: smartalex-mcp sandbox key --db {shown} --workspace NAME");
        }
        eprintln!(
            "Use it with: SMARTALEX_API_URL={} SMARTALEX_API_KEY=<key> smartalex-mcp",
            running.url()
        );
        tokio::signal::ctrl_c()
            .await
            .context("waiting for Ctrl-C")?;
        eprintln!("Stopping.");
        Ok(())
    }
}

fn key(args: KeyArgs) -> anyhow::Result<()> {
    let path = match args.db.as_deref().map(Db::parse) {
        Some(Db::Memory) => {
            anyhow::bail!("a key for a :memory: database would be lost at once; pass --db PATH")
        }
        Some(Db::Path(path)) => path,
        None => super::default_db_path(),
    };
    let user = if args.no_user {
        KeyUser::None
    } else if args.permissions.is_empty() {
        KeyUser::Owner
    } else {
        let domains = args
            .permissions
            .iter()
            .map(|d| Domain::parse(d).with_context(|| format!("unknown permission {d:?}")))
            .collect::<anyhow::Result<Vec<_>>>()?;
        KeyUser::Restricted(domains)
    };
    let spec = KeySpec {
        workspace: args.workspace,
        read_only: args.read_only,
        user,
        label: Some("cli".into()),
    };
    let key = super::create_key(&path, &spec)
        .map_err(|e| anyhow::anyhow!("minting a key in {}: {e}", path.display()))?;
    #[allow(clippy::print_stdout)] // The one line this command exists to print.
    {
        println!("{key}");
    }
    Ok(())
}
