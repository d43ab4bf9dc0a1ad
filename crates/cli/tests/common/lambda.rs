//! Runs a function binary as Lambda runs it.
//!
//! The binary speaks the Lambda runtime API to cargo lambda's emulator (`cargo lambda
//! watch --only-lambda-apis`), which `scripts/test` installs into `.venv-sam`. The emulator
//! answers Lambda's Invoke API on the same port.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::CINELAKE;

pub use cinelake_testkit::repo;

/// cargo lambda, as the test command installs it.
pub fn cargo_lambda() -> PathBuf {
    let path = repo().join(".venv-sam/bin/cargo-lambda");
    assert!(
        path.is_file(),
        "{} is missing: run the tests with scripts/test, which installs cargo-lambda",
        path.display()
    );
    path
}

/// A built binary of the workspace, beside `cinelake`.
pub fn binary(name: &str) -> PathBuf {
    let path = Path::new(CINELAKE).with_file_name(name);
    assert!(
        path.is_file(),
        "{} is not built: scripts/test builds every binary (cargo build --workspace --bins)",
        path.display()
    );
    path
}

/// Kills a background process when the test ends, however it ends.
struct Background(Child);

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// One function: the emulator and the binary, stopped when dropped.
pub struct Function {
    pub port: u16,
    /// Where the function's own log (its standard error) goes.
    pub log: PathBuf,
    // Dropped in this order: the function first, then its emulator.
    _function: Background,
    _emulator: Background,
}

impl Function {
    /// Starts `binary` behind its own emulator.
    ///
    /// `timeout` is the invocation timeout the emulator gives, and so the deadline the
    /// function sees. `env` is the function's environment, as the template's
    /// `Environment.Variables` would set it. The function's log goes to `log`.
    pub fn start(binary: &Path, timeout: Duration, env: &[(&str, String)], log: &Path) -> Function {
        let port = free_port();
        let log_file = std::fs::File::create(log).unwrap();
        let emulator = Background(
            Command::new(cargo_lambda())
                .args([
                    "lambda",
                    "watch",
                    "--only-lambda-apis",
                    "-P",
                    &port.to_string(),
                    "--timeout",
                    &timeout.as_secs().to_string(),
                ])
                // It reads the workspace's metadata from the working directory.
                .current_dir(repo())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "the runtime API emulator did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let function = Background(
            Command::new(binary)
                .env(
                    "AWS_LAMBDA_RUNTIME_API",
                    format!("http://127.0.0.1:{port}/.rt"),
                )
                .env("AWS_LAMBDA_FUNCTION_NAME", "_")
                .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
                .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "3008")
                .env("RUST_LOG", "warn")
                .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
                .stdout(Stdio::null())
                .stderr(log_file)
                .spawn()
                .unwrap(),
        );
        Function {
            port,
            log: log.to_path_buf(),
            _function: function,
            _emulator: emulator,
        }
    }

    /// The last lines of the function's log, for a failing test's message.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// The Invoke API's endpoint.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Runs `cargo lambda invoke` with `event`. It returns whether the call succeeded, and
    /// what it printed.
    pub fn invoke(&self, event: &str) -> (bool, String) {
        let out = Command::new(cargo_lambda())
            .args([
                "lambda",
                "invoke",
                "-P",
                &self.port.to_string(),
                "--data-ascii",
                event,
            ])
            .current_dir(repo())
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }
}
