//! A real Synapse homeserver for the Matrix tests: started on 127.0.0.1 on a free port with a
//! temporary SQLite database, users registered through the shared-secret admin API, stopped
//! (and restartable) on demand, killed on drop.
//!
//! It runs the Synapse that `.ci/run` installs into a virtual environment: `SYNAPSE_PYTHON`, or
//! `/var/tmp/readingroom-synapse/bin/python`. Without it the tests fail under CI and are skipped
//! with a message elsewhere.
#![allow(clippy::unwrap_used)] // tests state their expectations by panicking
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sha1::Sha1;

const SHARED_SECRET: &str = "readingroom-test-secret";

pub struct Synapse {
    pub url: String,
    pub port: u16,
    python: PathBuf,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

pub struct Registered {
    pub user_id: String,
    pub access_token: String,
    pub password: String,
}

fn python() -> Option<PathBuf> {
    let path = std::env::var_os("SYNAPSE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/tmp/readingroom-synapse/bin/python"));
    if path.exists() {
        return Some(path);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "Synapse is missing at {} (.ci/run installs it; set SYNAPSE_PYTHON)",
            path.display()
        );
    }
    eprintln!(
        "skipping: no Synapse at {} (run .ci/run once, or set SYNAPSE_PYTHON)",
        path.display()
    );
    None
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Synapse {
    /// A fresh homeserver, or `None` (outside CI) when Synapse is not installed.
    pub async fn start() -> Option<Synapse> {
        let python = python()?;
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let d = dir.path().display();
        let config = format!(
            r#"server_name: localhost
report_stats: false
listeners:
  - {{port: {port}, bind_addresses: ['127.0.0.1'], type: http, tls: false, resources: [{{names: [client]}}]}}
database: {{name: sqlite3, args: {{database: {d}/homeserver.db}}}}
media_store_path: {d}/media_store
signing_key_path: {d}/signing.key
registration_shared_secret: {SHARED_SECRET}
trusted_key_servers: []
suppress_key_server_warning: true
rc_message: {{per_second: 1000, burst_count: 1000}}
rc_registration: {{per_second: 1000, burst_count: 1000}}
rc_room_creation: {{per_second: 1000, burst_count: 1000}}
rc_joins_per_room: {{per_second: 1000, burst_count: 1000}}
rc_admin_redaction: {{per_second: 1000, burst_count: 1000}}
rc_key_requests: {{per_second: 1000, burst_count: 1000}}
rc_login:
  address: {{per_second: 1000, burst_count: 1000}}
  account: {{per_second: 1000, burst_count: 1000}}
  failed_attempts: {{per_second: 1000, burst_count: 1000}}
rc_joins:
  local: {{per_second: 1000, burst_count: 1000}}
  remote: {{per_second: 1000, burst_count: 1000}}
rc_invites:
  per_room: {{per_second: 1000, burst_count: 1000}}
  per_user: {{per_second: 1000, burst_count: 1000}}
  per_issuer: {{per_second: 1000, burst_count: 1000}}
"#
        );
        std::fs::write(dir.path().join("homeserver.yaml"), config).unwrap();
        // A fixed test-only signing key: 32 zero bytes.
        std::fs::write(
            dir.path().join("signing.key"),
            "ed25519 a_test AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
        )
        .unwrap();
        let mut synapse = Synapse {
            url: format!("http://127.0.0.1:{port}"),
            port,
            python,
            dir,
            child: None,
        };
        synapse.launch().await;
        Some(synapse)
    }

    async fn launch(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("synapse.log"))
            .unwrap();
        let child = Command::new(&self.python)
            .args(["-m", "synapse.app.homeserver", "-c", "homeserver.yaml"])
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("starting Synapse");
        self.child = Some(child);
        let http = reqwest::Client::new();
        let started = Instant::now();
        loop {
            let ready = http
                .get(format!("{}/_matrix/client/versions", self.url))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                return;
            }
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                panic!("Synapse exited with {status}:\n{}", self.log_tail());
            }
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "Synapse did not start:\n{}",
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("synapse.log")).unwrap_or_default();
        log.lines()
            .rev()
            .take(40)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Stops the server (SIGTERM, then waits); its database stays for [`Synapse::resume`].
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(20);
            while child.try_wait().unwrap().is_none() {
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// Starts the stopped server again on the same port and database.
    pub async fn resume(&mut self) {
        assert!(self.child.is_none(), "Synapse is running");
        self.launch().await;
    }

    /// Registers a user through the shared-secret admin API.
    pub async fn register(&self, user: &str, password: &str) -> Registered {
        let http = reqwest::Client::new();
        let url = format!("{}/_synapse/admin/v1/register", self.url);
        let nonce: serde_json::Value = http.get(&url).send().await.unwrap().json().await.unwrap();
        let nonce = nonce["nonce"].as_str().unwrap().to_owned();
        let mut mac = Hmac::<Sha1>::new_from_slice(SHARED_SECRET.as_bytes()).unwrap();
        mac.update(format!("{nonce}\0{user}\0{password}\0notadmin").as_bytes());
        let mac = hex::encode(mac.finalize().into_bytes());
        let response: serde_json::Value = http
            .post(&url)
            .json(&serde_json::json!({
                "nonce": nonce, "username": user, "password": password, "admin": false, "mac": mac
            }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Registered {
            user_id: response["user_id"]
                .as_str()
                .unwrap_or_else(|| panic!("register {user}: {response}"))
                .to_owned(),
            access_token: response["access_token"].as_str().unwrap().to_owned(),
            password: password.to_owned(),
        }
    }
}

impl Drop for Synapse {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
