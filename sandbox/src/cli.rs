//! `smartalex-mcp sandbox …`: serve the sandbox gateway, or mint a key.
//!
//! `sandbox key` prints exactly one line — the key — on stdout, so scripts
//! can do `export SMARTALEX_API_KEY=$(smartalex-mcp sandbox key …)`;
//! `sandbox client` prints two `NAME=value` lines for `export $(…)`.
//! Everything else goes to stderr — including the operator's consent link,
//! which is for the person who started the sandbox and nobody else.

use std::net::SocketAddr;

use anyhow::Context;

use super::{Db, Domain, ExchangeClient, KeySpec, KeyUser, SandboxOptions};

/// `smartalex-mcp sandbox`: serve the sandbox gateway, or mint a key.
#[derive(Debug, clap::Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_help = super::examples_note()
)]
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
    connections: smartalex_serve::listen::ConnectionArgs,
    /// The operator's OAuth consent key (16+ printable characters)
    /// [default: a random one, printed on stderr with the consent link].
    #[arg(
        long,
        value_name = "KEY",
        env = "SMARTALEX_SANDBOX_CONSENT_KEY",
        hide_env_values = true
    )]
    consent_key: Option<String>,
    /// Also answer this Host (a name, or host:port); repeatable.
    #[arg(long = "allow-host", value_name = "HOST")]
    allowed_hosts: Vec<String>,
    /// Also accept requests from this browser Origin; repeatable.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    allowed_origins: Vec<String>,
    /// OAuth registration, authorization and token requests per minute per IP (0: unlimited).
    #[arg(long, value_name = "N", default_value_t = super::oauth::DEFAULT_RATE_LIMIT_PER_MIN)]
    oauth_rate_limit: u32,
}

#[derive(Debug, clap::Subcommand)]
enum SandboxSubcommand {
    /// Print a new API key for a workspace (created if absent).
    Key(KeyArgs),
    /// Provision the confidential OAuth client an MCP server (`smartalex-mcp
    /// http`) uses to exchange its tokens; prints
    /// SMARTALEX_OAUTH_CLIENT_ID=… and SMARTALEX_OAUTH_CLIENT_SECRET=….
    Client(ClientArgs),
}

#[derive(Debug, clap::Args)]
struct ClientArgs {
    /// SQLite database file (default: the platform data directory).
    #[arg(long, value_name = "PATH")]
    db: Option<String>,
    /// The MCP server's public URL (e.g. https://mcp.example.com/mcp): the
    /// audience of the tokens this client may exchange; repeatable.
    #[arg(long = "exchange-for", value_name = "URL", required = true)]
    exchange_for: Vec<String>,
    /// Reuse this client id (its secret is replaced) [default: a new one].
    #[arg(long, value_name = "ID")]
    client_id: Option<String>,
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
            Some(SandboxSubcommand::Client(args)) => client(args),
            None => self.serve().await,
        }
    }

    async fn serve(self) -> anyhow::Result<()> {
        let db = Db::from_flag(self.db.as_deref());
        let shown = match &db {
            Db::Path(p) => p.display().to_string(),
            Db::Memory => ":memory:".into(),
        };
        let options = SandboxOptions {
            rate_limit_per_min: self.rate_limit,
            allow_private_urls: self.allow_private_urls,
            connections: self.connections.limits(),
            consent_key: self.consent_key,
            allowed_hosts: self.allowed_hosts,
            allowed_origins: self.allowed_origins,
            oauth_rate_limit_per_min: self.oauth_rate_limit,
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
        print_consent_link(&running);
        tokio::signal::ctrl_c()
            .await
            .context("waiting for Ctrl-C")?;
        eprintln!("Stopping.");
        Ok(())
    }
}

/// Tell the operator (on stderr, never stdout) how to approve OAuth
/// requests. The link carries the consent key: it is for them alone.
pub fn print_consent_link(running: &super::RunningSandbox) {
    if let Some(link) = running.consent_url() {
        eprintln!(
            "OAuth consent: open this link once in the browser that will approve access (keep it private):\n{link}"
        );
    }
}

/// The database file a CLI subcommand writes to (`:memory:` makes no sense there).
fn file_db(db: Option<&str>, what: &str) -> anyhow::Result<std::path::PathBuf> {
    match db.map(Db::parse) {
        Some(Db::Memory) => {
            anyhow::bail!("{what} for a :memory: database would be lost at once; pass --db PATH")
        }
        Some(Db::Path(path)) => Ok(path),
        None => Ok(super::default_db_path()),
    }
}

fn client(args: ClientArgs) -> anyhow::Result<()> {
    let path = file_db(args.db.as_deref(), "a client")?;
    let client = ExchangeClient {
        client_id: args
            .client_id
            .unwrap_or_else(|| format!("exchange-{}", super::ids::new_id())),
        client_secret: super::oauth::new_secret(),
        audiences: args.exchange_for,
    };
    super::provision_exchange_client(&path, &client)
        .map_err(|e| anyhow::anyhow!("provisioning a client in {}: {e}", path.display()))?;
    #[allow(clippy::print_stdout)] // The two lines this command exists to print.
    {
        println!("SMARTALEX_OAUTH_CLIENT_ID={}", client.client_id);
        println!("SMARTALEX_OAUTH_CLIENT_SECRET={}", client.client_secret);
    }
    Ok(())
}

fn key(args: KeyArgs) -> anyhow::Result<()> {
    let path = file_db(args.db.as_deref(), "a key")?;
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
