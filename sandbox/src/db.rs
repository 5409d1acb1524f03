//! The sandbox's storage: SQLite through a small connection pool.
//!
//! # Durability
//! File databases run in WAL mode with `synchronous=NORMAL`. In WAL mode a
//! commit appends the transaction to the `-wal` file with `write(2)` before
//! `COMMIT` returns, so once the gateway has answered, the change is in the
//! operating system's page cache and survives the process being killed
//! (`kill -9`, a panic, an OOM kill): the next open replays the WAL. What
//! NORMAL gives up relative to FULL is only the fsync per commit, i.e. the
//! last transactions on power loss or kernel crash — an acceptable trade for
//! a sandbox, and what lets it take thousands of writes a second.
//!
//! # Concurrency
//! rusqlite connections are not `Sync`, so each request borrows one from the
//! pool inside `spawn_blocking` and gives it back. Readers run in parallel
//! (WAL); writers take the write lock up front with `BEGIN IMMEDIATE`, so two
//! writers never deadlock upgrading a read lock, and wait for each other with
//! `busy_timeout` — which also covers `smartalex-mcp sandbox key` or a second
//! process writing to the same file.
//!
//! `:memory:` databases are one shared-cache database with a single working
//! connection (plus an idle anchor that keeps it alive if a worker dies).
//!
//! # Privacy
//! The database holds contacts, transcripts and OAuth state: it is created
//! `0600` (its directory, if created here, `0700`) before SQLite opens it,
//! and an existing file is narrowed to `0600` on open. SQLite gives the
//! `-wal` and `-shm` files the database's mode; they are narrowed too, in
//! case an older build left them wider.
//!
//! # Migrations
//! Versioned SQL files in `migrations/`, applied in order inside one
//! transaction; `PRAGMA user_version` records the last one applied. A
//! database from a newer build is refused rather than guessed at.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use tokio::sync::Semaphore;

use super::errors::ApiError;
use super::{Db, SandboxError};

/// Schema versions, in order: (user_version after applying, SQL).
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("migrations/0001_init.sql")),
    (2, include_str!("migrations/0002_oauth.sql")),
    (3, include_str!("migrations/0003_embedded_key.sql")),
];

const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Working connections for a file database: enough to overlap reads with
/// the single writer on two cores without thrashing.
const FILE_POOL_SIZE: usize = 6;

#[derive(Debug)]
enum Target {
    File(PathBuf),
    Memory(String),
}

/// A cloneable handle on the database.
#[derive(Clone)]
pub(crate) struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    target: Target,
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
    /// Keeps a `:memory:` database alive; never used for queries.
    _anchor: Option<Mutex<Connection>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("target", &self.inner.target)
            .finish()
    }
}

/// What opening found.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Opened {
    /// The schema was created by this open (a new database).
    pub(crate) created: bool,
}

impl Store {
    /// Open (creating and migrating if needed).
    pub(crate) fn open(db: &Db) -> Result<(Store, Opened), SandboxError> {
        let (target, pool_size) = match db {
            Db::Path(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    private_dir(dir).map_err(|source| SandboxError::CreateDir {
                        path: dir.to_path_buf(),
                        source,
                    })?;
                }
                private_file(path).map_err(|source| SandboxError::Create {
                    path: path.clone(),
                    source,
                })?;
                (Target::File(path.clone()), FILE_POOL_SIZE)
            }
            Db::Memory => (
                Target::Memory(format!(
                    "file:sandbox-{}?mode=memory&cache=shared",
                    super::ids::new_id()
                )),
                1,
            ),
        };
        let open_error = |source| SandboxError::Open {
            path: describe(&target),
            source,
        };
        let anchor = match &target {
            Target::Memory(_) => Some(Mutex::new(connect(&target).map_err(open_error)?)),
            Target::File(_) => None,
        };
        let mut first = connect(&target).map_err(open_error)?;
        if let Target::File(_) = target {
            // WAL is a property of the file: set it once, before anything else.
            first
                .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))
                .map_err(open_error)?;
        }
        if let Target::File(path) = &target {
            for suffix in ["-wal", "-shm"] {
                let mut side = path.clone().into_os_string();
                side.push(suffix);
                narrow(std::path::Path::new(&side));
            }
        }
        let created = migrate(&mut first)?;
        let store = Store {
            inner: Arc::new(Inner {
                target,
                idle: Mutex::new(vec![first]),
                permits: Semaphore::new(pool_size),
                _anchor: anchor,
            }),
        };
        Ok((store, Opened { created }))
    }

    /// Run `f` on a pooled connection, off the async threads.
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, ApiError> + Send + 'static,
    {
        self.with_conn(move |conn| f(conn)).await
    }

    /// Run `f` in a write transaction (`BEGIN IMMEDIATE`); commit if it returns `Ok`.
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T, ApiError> + Send + 'static,
    {
        self.with_conn(move |conn| write_tx(conn, f)).await
    }

    /// [`Store::write`] for synchronous callers (the CLI, start-up).
    pub(crate) fn write_blocking<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut conn = self.take()?;
        let out = write_tx(&mut conn, f);
        self.give_back(conn);
        out
    }

    async fn with_conn<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, ApiError> + Send + 'static,
    {
        let _permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(ApiError::internal)?;
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = store.take()?;
            let out = f(&mut conn);
            store.give_back(conn);
            out
        })
        .await
        .map_err(|e| ApiError::internal(format!("database task failed: {e}")))?
    }

    fn take(&self) -> Result<Connection, ApiError> {
        let pooled = self.inner.idle.lock().ok().and_then(|mut idle| idle.pop());
        match pooled {
            Some(conn) => Ok(conn),
            None => connect(&self.inner.target).map_err(ApiError::from),
        }
    }

    fn give_back(&self, conn: Connection) {
        if let Ok(mut idle) = self.inner.idle.lock() {
            idle.push(conn);
        }
    }
}

/// Create `dir` (and its parents) as `0700` where this process creates it.
fn private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Create the database file `0600` if it is new; narrow it if it exists.
fn private_file(path: &std::path::Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?;
    narrow(path);
    Ok(())
}

/// `chmod 0600` an existing file; a file this user does not own is left
/// alone (and logged), not an error.
fn narrow(path: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let Ok(meta) = std::fs::metadata(path) else {
            return;
        };
        if meta.permissions().mode() & 0o077 != 0
            && let Err(e) = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        {
            tracing::warn!(path = %path.display(), error = %e, "cannot make the sandbox database private");
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

fn write_tx<T>(
    conn: &mut Connection,
    f: impl FnOnce(&Transaction<'_>) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    // Changes the transaction raises are heard once it commits.
    super::changes::discard();
    let out = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(ApiError::from)
        .and_then(|tx| {
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        });
    match out {
        Ok(_) => super::changes::publish(),
        Err(_) => super::changes::discard(),
    }
    out
}

fn describe(target: &Target) -> PathBuf {
    match target {
        Target::File(p) => p.clone(),
        Target::Memory(_) => PathBuf::from(":memory:"),
    }
}

fn connect(target: &Target) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX
        | OpenFlags::SQLITE_OPEN_URI;
    let conn = match target {
        Target::File(path) => Connection::open_with_flags(path, flags)?,
        Target::Memory(uri) => Connection::open_with_flags(uri, flags)?,
    };
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(64);
    conn.execute_batch(
        "PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;",
    )?;
    Ok(conn)
}

/// Apply pending migrations; `true` if the database was new.
fn migrate(conn: &mut Connection) -> Result<bool, SandboxError> {
    let latest = MIGRATIONS.last().map(|m| m.0).unwrap_or(0);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > latest {
        return Err(SandboxError::TooNew {
            found,
            supported: latest,
        });
    }
    for (version, sql) in MIGRATIONS.iter().filter(|m| m.0 > found) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
    }
    tx.commit()?;
    Ok(found == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn database_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("new/x.db");
        let (store, _) = Store::open(&Db::Path(path.clone())).expect("open");
        store
            .write_blocking(|tx| Ok(tx.execute_batch("CREATE TABLE t (x)")?))
            .expect("write");
        let mode = |p: &std::path::Path| {
            std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777
        };
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.path().join("new")), 0o700);
        for side in ["x.db-wal", "x.db-shm"] {
            assert_eq!(mode(&dir.path().join("new").join(side)), 0o600, "{side}");
        }
        drop(store);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        Store::open(&Db::Path(path.clone())).expect("reopen");
        assert_eq!(mode(&path), 0o600, "an existing database is narrowed");
    }

    #[test]
    fn migrations_are_ordered_and_apply_once() {
        assert!(MIGRATIONS.windows(2).all(|w| w[0].0 < w[1].0));
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.db");
        let (_, first) = Store::open(&Db::Path(path.clone())).expect("open");
        assert!(first.created);
        let (_, again) = Store::open(&Db::Path(path)).expect("reopen");
        assert!(!again.created);
    }

    #[test]
    fn a_version_1_database_gains_the_later_tables_and_newer_ones_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("v1.db");
        {
            let conn = Connection::open(&path).expect("create");
            conn.execute_batch(MIGRATIONS[0].1).expect("v1 schema");
            conn.pragma_update(None, "user_version", 1)
                .expect("version");
        }
        let (_, opened) = Store::open(&Db::Path(path.clone())).expect("upgrade");
        assert!(!opened.created);
        let conn = Connection::open(&path).expect("reopen");
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        assert_eq!(version, 3);
        let tables = |pattern: &str| -> i64 {
            conn.query_row(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name LIKE ?1",
                [pattern],
                |r| r.get(0),
            )
            .expect("tables")
        };
        assert_eq!(tables("oauth_%"), 4);
        assert_eq!(tables("embedded_keys"), 1);
        conn.pragma_update(None, "user_version", 4).expect("bump");
        drop(conn);
        match Store::open(&Db::Path(path)) {
            Err(SandboxError::TooNew {
                found: 4,
                supported: 3,
            }) => {}
            other => panic!("expected TooNew, got {:?}", other.map(|_| ())),
        }
    }

    /// A database from before embedded keys were kept: its keys (the
    /// embedded ones each start minted included) are left as they were.
    #[test]
    fn a_version_2_database_keeps_its_keys() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("v2.db");
        {
            let conn = Connection::open(&path).expect("create");
            for (_, sql) in &MIGRATIONS[..2] {
                conn.execute_batch(sql).expect("v1+v2 schema");
            }
            conn.execute_batch(
                "INSERT INTO workspaces (id, name, created_at) VALUES ('w', 'default', '2026-01-01T00:00:00.000Z');
                 INSERT INTO api_keys (id, workspace_id, key_hash, key_prefix, can_write, label, created_at)
                 VALUES ('k', 'w', 'h', 'sa_test_abcd', 1, 'embedded', '2026-01-01T00:00:00.000Z');",
            )
            .expect("rows");
            conn.pragma_update(None, "user_version", 2)
                .expect("version");
        }
        let (store, opened) = Store::open(&Db::Path(path)).expect("upgrade");
        assert!(!opened.created);
        let (keys, embedded): (i64, i64) = store
            .write_blocking(|tx| {
                Ok(tx.query_row(
                    "SELECT (SELECT COUNT(*) FROM api_keys), (SELECT COUNT(*) FROM embedded_keys)",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?)
            })
            .expect("count");
        assert_eq!((keys, embedded), (1, 0));
    }
}
