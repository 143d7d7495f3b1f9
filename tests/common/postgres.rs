//! A throwaway PostgreSQL cluster for the tests: one per test binary, started on first use
//! from the Debian `postgresql` package's binaries (`initdb`, `postgres`) on a free loopback
//! port in a temporary directory, as the unprivileged `postgres` user when the tests run as
//! root (the server refuses root). Each test gets a database of its own.
//!
//! A watchdog shell started with the server stops it (immediate shutdown) and removes the
//! directory once the test process is gone, so no cluster outlives its tests.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A running cluster.
pub struct Cluster {
    /// Its port on 127.0.0.1.
    pub port: u16,
    dir: PathBuf,
}

/// The newest installed server's binaries, if any.
pub fn bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("initdb").exists())
        .collect();
    dirs.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    dirs.pop()
}

fn is_root() -> bool {
    // The effective user id without a libc call: /proc/self/status's `Uid:` line.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

/// Runs `script` with `sh -c`, as `postgres` when we are root.
fn shell(script: &str) -> Command {
    let mut command = if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", "sh", "-c", script]);
        c
    } else {
        let mut c = Command::new("sh");
        c.args(["-c", script]);
        c
    };
    command.stdin(Stdio::null());
    command
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The cluster of this test binary, started on first use.
pub fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(start)
}

fn start() -> Cluster {
    let bin = bin_dir()
        .expect("PostgreSQL's server binaries are not installed (apt-get install -y postgresql)");
    let dir = tempfile::Builder::new()
        .prefix("rr-pg-")
        .tempdir()
        .unwrap()
        .keep();
    if is_root() {
        let status = Command::new("chown")
            .args(["-R", "postgres"])
            .arg(&dir)
            .status()
            .unwrap();
        assert!(status.success(), "chown of the cluster directory failed");
    }
    let bin = bin.display();
    let d = dir.display();
    let init = shell(&format!(
        "'{bin}/initdb' -D '{d}/data' -U postgres -A trust --no-sync > '{d}/initdb.log' 2>&1"
    ))
    .status()
    .unwrap();
    assert!(
        init.success(),
        "initdb failed: {}",
        std::fs::read_to_string(dir.join("initdb.log")).unwrap_or_default()
    );
    let port = free_port();
    let owner = std::process::id();
    // fsync off: a test cluster, thrown away; 200 connections: the multi-process test runs
    // several bots with their pools at once.
    let script = format!(
        "'{bin}/postgres' -D '{d}/data' -p {port} -k '{d}' -c listen_addresses=127.0.0.1 \
         -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 \
         > '{d}/server.log' 2>&1 &
         pg=$!
         while [ -d /proc/{owner} ] && kill -0 $pg 2>/dev/null; do sleep 0.3; done
         kill -QUIT $pg 2>/dev/null; wait $pg; rm -rf '{d}'"
    );
    // Not waited for: the watchdog outlives the tests on purpose, and stops the server after.
    #[allow(clippy::zombie_processes)]
    shell(&script)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ready = Command::new(format!("{bin}/pg_isready"))
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-q"])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if ready {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "PostgreSQL did not start: {}",
            std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Cluster { port, dir }
}

impl Cluster {
    /// The address of database `name`.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// The address of database `name` through the server's Unix socket instead of TCP, as
    /// the README gives it for a server on the same machine.
    #[allow(
        dead_code,
        reason = "only the store's tests reach the server by its socket"
    )]
    pub fn socket_url(&self, name: &str) -> String {
        format!(
            "postgres://postgres@localhost/{name}?host={}&port={}",
            self.dir.display(),
            self.port
        )
    }

    /// A new empty database; its address.
    pub async fn database(&self) -> String {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "t_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&self.url("postgres"))
            .await
            .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
        <sqlx::PgConnection as sqlx::Connection>::close(admin)
            .await
            .unwrap();
        self.url(&name)
    }

    /// The server's log so far, for a failing test's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}
