//! Receiving Discord interactions over HTTP instead of the gateway: an axum endpoint that checks
//! Discord's Ed25519 signature and timestamp, then hands the interaction to the same path as the
//! gateway (`super::interaction`), whose first answer becomes the HTTP response.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serenity::all::{CreateInteractionResponse, Interaction};
use serenity::http::Http;
use serenity::interactions_endpoint::Verifier;
use tokio::sync::{Mutex, oneshot, watch};

use super::DiscordCore;
use super::interaction::{self, Client, Respond};
use crate::config::InteractionsEndpoint;

/// How old a signed request may be, in seconds, before it counts as a replay.
const MAX_SKEW_SECONDS: i64 = 300;

#[derive(Clone)]
struct Endpoint {
    core: DiscordCore,
    http: Arc<Http>,
    verifier: Arc<Verifier>,
}

/// The endpoint's routes: `POST /interactions`.
pub fn router(core: DiscordCore, http: Arc<Http>, public_key: &str) -> anyhow::Result<Router> {
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(public_key.get(i * 2..i * 2 + 2).unwrap_or("zz"), 16)
            .map_err(|_| anyhow::anyhow!("DISCORD_PUBLIC_KEY is not hex"))?;
    }
    let verifier = Verifier::try_new(key)
        .map_err(|e| anyhow::anyhow!("DISCORD_PUBLIC_KEY is not a valid Ed25519 key: {e:?}"))?;
    let state = Endpoint {
        core,
        http,
        verifier: Arc::new(verifier),
    };
    Ok(Router::new()
        .route("/interactions", post(interaction))
        .with_state(state))
}

/// Serves the endpoint until shutdown.
pub async fn serve(
    core: DiscordCore,
    http: Arc<Http>,
    settings: InteractionsEndpoint,
    mut shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let app = router(core, http, &settings.public_key)?;
    let listener = tokio::net::TcpListener::bind(settings.addr).await?;
    tracing::info!(addr = %settings.addr, "Discord interactions endpoint listening");
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = shutdown.wait_for(|stop| *stop).await;
        })
        .await?;
    Ok(())
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn interaction(
    State(endpoint): State<Endpoint>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (Some(signature), Some(timestamp)) = (
        header(&headers, "x-signature-ed25519"),
        header(&headers, "x-signature-timestamp"),
    ) else {
        return (StatusCode::UNAUTHORIZED, "missing signature").into_response();
    };
    if endpoint
        .verifier
        .verify(signature, timestamp, &body)
        .is_err()
    {
        return (StatusCode::UNAUTHORIZED, "invalid request signature").into_response();
    }
    let fresh = timestamp
        .parse::<i64>()
        .is_ok_and(|t| (chrono::Utc::now().timestamp() - t).abs() <= MAX_SKEW_SECONDS);
    if !fresh {
        return (StatusCode::UNAUTHORIZED, "stale request timestamp").into_response();
    }
    let interaction: Interaction = match serde_json::from_slice(&body) {
        Ok(interaction) => interaction,
        Err(error) => {
            tracing::warn!(%error, "an interaction that does not parse");
            return (StatusCode::BAD_REQUEST, "unreadable interaction").into_response();
        }
    };
    let (sender, answer) = oneshot::channel();
    let respond = InHttpResponse(Mutex::new(Some(sender)));
    // The path goes on after the first answer (completing a deferral, opening a thread), so
    // it runs on its own task while this one returns the answer.
    tokio::spawn(async move {
        let client = Client {
            http: &endpoint.http,
            cache: None,
        };
        if let Err(error) = interaction::handle(&endpoint.core, client, interaction, &respond).await
        {
            tracing::error!("an HTTP interaction failed: {error:#}");
        }
    });
    match answer.await {
        Ok(response) => {
            let mut body = serde_json::to_value(response).unwrap_or_default();
            // Exactly Discord's documented PONG, `{"type": 1}`, without serenity's empty data.
            if let Some(fields) = body.as_object_mut()
                && fields.get("data").is_some_and(serde_json::Value::is_null)
            {
                fields.remove("data");
            }
            axum::Json(body).into_response()
        }
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "no answer").into_response(),
    }
}

/// The first answer goes back as the HTTP response.
struct InHttpResponse(Mutex<Option<oneshot::Sender<CreateInteractionResponse>>>);

#[async_trait::async_trait]
impl Respond for InHttpResponse {
    async fn respond(&self, response: CreateInteractionResponse) -> anyhow::Result<()> {
        let sender = self
            .0
            .lock()
            .await
            .take()
            .ok_or_else(|| anyhow::anyhow!("an interaction answered twice"))?;
        sender
            .send(response)
            .map_err(|_| anyhow::anyhow!("the HTTP request was gone before its answer"))
    }

    fn uploads(&self) -> bool {
        false
    }
}
