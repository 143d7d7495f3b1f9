//! Prometheus metrics: commands by name and outcome, their latency, errors, and messages
//! recorded. The bot always counts (it costs a few atomic adds per command); the `/metrics`
//! endpoint is served only when `READINGROOM_METRICS_ADDR` is set.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Answered.
    Ok,
    /// Refused: bad input, not allowed, nothing found.
    Refused,
    /// Failed on our side.
    Error,
    /// Refused by the rate limit.
    Limited,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Refused => "refused",
            Outcome::Error => "error",
            Outcome::Limited => "limited",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CommandLabels {
    command: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CommandName {
    command: String,
}

type Histograms = Family<CommandName, Histogram, fn() -> Histogram>;

/// The bot's metrics and the registry that exposes them.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    commands: Family<CommandLabels, Counter>,
    latency: Histograms,
    errors: Counter,
    messages: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("readingroom");
        let commands = Family::<CommandLabels, Counter>::default();
        registry.register(
            "commands",
            "Commands handled, by command and outcome",
            commands.clone(),
        );
        // 0.25 ms to about 4 s.
        let latency: Histograms =
            Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.000_25, 2.0, 15)));
        registry.register(
            "command_seconds",
            "Time to answer a command",
            latency.clone(),
        );
        let errors = Counter::default();
        registry.register(
            "errors",
            "Failures on our side (store, platform)",
            errors.clone(),
        );
        let messages = Counter::default();
        registry.register(
            "messages_recorded",
            "Discussion messages committed to the store",
            messages.clone(),
        );
        Self {
            registry,
            commands,
            latency,
            errors,
            messages,
        }
    }
}

impl Metrics {
    /// Counts one command. `command` is a name from the command list (or `invalid`), so the
    /// label set stays small whatever users type.
    pub fn command(&self, command: &str, outcome: Outcome, took: Duration) {
        self.commands
            .get_or_create(&CommandLabels {
                command: command.to_owned(),
                outcome: outcome.as_str().to_owned(),
            })
            .inc();
        self.latency
            .get_or_create(&CommandName {
                command: command.to_owned(),
            })
            .observe(took.as_secs_f64());
        if outcome == Outcome::Error {
            self.errors.inc();
        }
    }

    /// Counts a failure outside a command (recording a message, posting a digest).
    pub fn error(&self) {
        self.errors.inc();
    }

    /// Counts a committed message.
    pub fn message_recorded(&self) {
        self.messages.inc();
    }

    /// The metrics in the OpenMetrics text format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// Serves `GET /metrics` on `listener` until the process ends.
pub async fn serve(
    listener: tokio::net::TcpListener,
    metrics: Arc<Metrics>,
) -> std::io::Result<()> {
    let app = Router::new().route(
        "/metrics",
        get(move || {
            let metrics = metrics.clone();
            async move {
                (
                    [(
                        CONTENT_TYPE,
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    )],
                    metrics.encode(),
                )
            }
        }),
    );
    axum::serve(listener, app).await
}
