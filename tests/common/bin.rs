//! The `readingroom` binary as the tests run it: a builder for one run (arguments,
//! environment, standard input), run to the end or left running, and killed when the test lets
//! go of it, even by panicking.
//!
//! Each run starts from the test's environment less whatever would point the binary at a
//! developer's real platforms: `DATABASE_URL` is removed, and the platform and metrics
//! variables are set empty, which the binary reads as unset and which a `.env` file does not
//! override.
#![allow(clippy::unwrap_used)] // tests state their expectations by panicking

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// One run of the binary, before it starts.
pub struct Readingroom {
    command: Command,
    stdin: Option<Vec<u8>>,
    /// Where a spawned binary's standard error goes; nowhere if `None`.
    stderr: Option<PathBuf>,
}

/// The binary with `RUST_LOG=warn`, no database and no platform configured.
pub fn readingroom() -> Readingroom {
    let mut command = Command::new(env!("CARGO_BIN_EXE_readingroom"));
    command.env_remove("DATABASE_URL").env("RUST_LOG", "warn");
    for unset in [
        "DISCORD_TOKEN",
        "MATRIX_HOMESERVER",
        "READINGROOM_METRICS_ADDR",
    ] {
        command.env(unset, "");
    }
    Readingroom {
        command,
        stdin: None,
        stderr: None,
    }
}

impl Readingroom {
    /// `--db PATH`.
    #[allow(dead_code, reason = "not every test binary opens a database")]
    pub fn db(self, path: &Path) -> Self {
        self.arg("--db").arg(path)
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.command.arg(arg);
        self
    }

    #[allow(dead_code, reason = "not every test binary passes several at once")]
    pub fn args<S: AsRef<OsStr>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.command.args(args);
        self
    }

    #[allow(dead_code, reason = "not every test binary sets one")]
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.command.env(key, value);
        self
    }

    /// Input to write to the binary's standard input, which is then closed.
    #[allow(dead_code, reason = "not every test binary pipes input")]
    pub fn stdin(mut self, input: &[u8]) -> Self {
        self.stdin = Some(input.to_vec());
        self
    }

    /// Runs to the end; standard output and error are kept.
    #[allow(dead_code, reason = "not every test binary runs it to the end")]
    pub fn output(mut self) -> Output {
        let input = self.stdin.take();
        self.command
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.command.spawn().expect("the readingroom binary starts");
        // Written on the side: a binary that answers as it reads could fill its output pipe
        // while this side still writes.
        let writer = input.map(|input| {
            let mut stdin = child.stdin.take().unwrap();
            std::thread::spawn(move || stdin.write_all(&input))
        });
        let output = child.wait_with_output().unwrap();
        if let Some(writer) = writer {
            // A binary may exit without reading everything; that is for the test to judge.
            let _ = writer.join().unwrap();
        }
        output
    }

    /// Runs to the end like [`Readingroom::output`], without standard input; if it has not
    /// ended within `timeout`, kills it and panics with the end of its standard error.
    #[allow(dead_code, reason = "not every test binary runs it to the end")]
    pub fn output_within(mut self, timeout: Duration) -> Output {
        let mut child = self
            .command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the readingroom binary starts");
        // Both pipes are drained on the side, so the binary never blocks on a full one.
        let drain = |mut pipe: Box<dyn Read + Send>| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                let _ = pipe.read_to_end(&mut bytes);
                bytes
            })
        };
        let stdout = drain(Box::new(child.stdout.take().unwrap()));
        let stderr = drain(Box::new(child.stderr.take().unwrap()));
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                let stderr = String::from_utf8_lossy(&stderr.join().unwrap()).into_owned();
                // The end says why it hangs; a debug log's beginning is only its start-up.
                let tail: String = stderr.lines().rev().take(20).collect::<Vec<_>>().join("\n");
                panic!(
                    "readingroom did not exit within {timeout:?}; the last lines of its standard error, newest first:\n{tail}"
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        Output {
            status,
            stdout: stdout.join().unwrap(),
            stderr: stderr.join().unwrap(),
        }
    }

    /// Sends a spawned binary's standard error to the file at `path` (made anew), for a test
    /// to show when it fails.
    #[allow(dead_code, reason = "only some test binaries keep its log")]
    pub fn stderr_to(mut self, path: &Path) -> Self {
        self.stderr = Some(path.to_owned());
        self
    }

    /// Runs to the end and returns standard output; panics with standard error if the binary
    /// failed.
    #[allow(dead_code, reason = "not every test binary runs it to the end")]
    pub fn stdout(self) -> String {
        let output = self.output();
        assert!(
            output.status.success(),
            "readingroom exited with {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("UTF-8 output")
    }

    /// Starts the binary with standard input and output piped to the test and standard error
    /// dropped (or written to the file [`Readingroom::stderr_to`] named).
    #[allow(dead_code, reason = "only some test binaries keep it running")]
    pub fn spawn(mut self) -> Running {
        let stderr = match &self.stderr {
            Some(path) => Stdio::from(std::fs::File::create(path).expect("the log file")),
            None => Stdio::null(),
        };
        let child = self
            .command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("the readingroom binary starts");
        Running { child }
    }
}

/// A running binary: dropped, it is killed (SIGKILL on Unix) and reaped.
#[allow(dead_code, reason = "only some test binaries keep it running")]
pub struct Running {
    child: Child,
}

#[allow(dead_code, reason = "only some test binaries keep it running")]
impl Running {
    /// Its standard input (once).
    pub fn stdin(&mut self) -> ChildStdin {
        self.child.stdin.take().expect("standard input, taken once")
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills it at once (SIGKILL on Unix) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits for it to exit by itself; whether it succeeded.
    pub fn wait(&mut self) -> bool {
        self.child.wait().map(|s| s.success()).unwrap_or(false)
    }

    /// Its standard output (once).
    pub fn stdout(&mut self) -> ChildStdout {
        self.child
            .stdout
            .take()
            .expect("standard output, taken once")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
