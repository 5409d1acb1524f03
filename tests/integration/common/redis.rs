//! A real Redis on a loopback port, for the shared rate-limit tests.
//!
//! Uses `redis-server` from PATH; on a machine without it (a fresh CI box)
//! installs Debian's package once, under a lock, as the other client
//! installers do.

use std::fs::File;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `redis-server`, stopped on drop.
pub struct Redis {
    pub url: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary() -> PathBuf {
    let found = |p: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {p}")])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
    };
    if let Some(path) = found("redis-server") {
        return path;
    }
    let lock_path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("redis-install.lock");
    let lock = File::create(lock_path).unwrap();
    lock.lock().unwrap();
    if let Some(path) = found("redis-server") {
        return path;
    }
    for args in [
        vec!["update", "-q"],
        vec![
            "install",
            "-y",
            "-q",
            "--no-install-recommends",
            "redis-server",
        ],
    ] {
        let out = Command::new("apt-get")
            .args(&args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .output()
            .expect("redis-server is not installed and apt-get is not available");
        assert!(
            out.status.success(),
            "apt-get {args:?} failed (install redis-server by hand to run these tests):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    found("redis-server").expect("redis-server installed")
}

fn ping(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    let mut buf = [0u8; 7];
    s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
}

/// Start a throwaway Redis (no persistence) on a free loopback port.
pub fn start() -> Redis {
    let bin = binary();
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let child = Command::new(bin)
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .arg("--dir")
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start redis-server");
    let started = Instant::now();
    while !ping(port) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "redis-server did not answer PING"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Redis {
        url: format!("redis://127.0.0.1:{port}/0"),
        child,
        _dir: dir,
    }
}
