//! Receiving Discord interactions over HTTP instead of the gateway: an axum endpoint that checks
//! Discord's Ed25519 signature and timestamp, answers PING with PONG, and runs the same commands
//! as the gateway handler, answering in the HTTP response.

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
use tokio::sync::watch;

use super::{DiscordCore, response_message};
use crate::bot::{Effect, Reply};
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
    let response = match interaction {
        // Exactly Discord's documented PONG.
        Interaction::Ping(_) => {
            return axum::Json(serde_json::json!({ "type": 1 })).into_response();
        }
        Interaction::Command(command) => {
            let core = &endpoint.core;
            let context = core.context(
                command.channel_id,
                command.member.as_deref(),
                &command.user,
                &[],
            );
            let reply = match core.command_for(&command) {
                Ok(parsed) => core.bot.handle(&context, parsed).await,
                Err(message) => Reply::error(message),
            };
            if let Some(Effect::Discussion {
                discussion_id,
                article_id,
                thread_ref: None,
            }) = reply.effect
            {
                // The thread hangs off the reply message, which exists only once Discord got
                // this response: open it shortly after.
                let (core, http) = (core.clone(), endpoint.http.clone());
                tokio::spawn(async move {
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                    let title = match core.bot.store().article(article_id).await {
                        Ok(Some(stored)) => stored.article.title,
                        _ => format!("Article {article_id}"),
                    };
                    let opened = async {
                        let message = command.get_response(&http).await?;
                        core.open_thread(
                            &http,
                            command.channel_id,
                            message.id,
                            discussion_id,
                            &title,
                        )
                        .await
                    };
                    if let Err(error) = opened.await {
                        tracing::error!(
                            "opening a thread after an HTTP interaction failed: {error:#}"
                        );
                    }
                });
            }
            CreateInteractionResponse::Message(response_message(&reply))
        }
        Interaction::Autocomplete(autocomplete) => {
            let typed = autocomplete
                .data
                .autocomplete()
                .map(|o| o.value.to_owned())
                .unwrap_or_default();
            CreateInteractionResponse::Autocomplete(endpoint.core.choices(&typed).await)
        }
        _ => CreateInteractionResponse::Message(response_message(&Reply::error(
            "Buttons work through the gateway connection.",
        ))),
    };
    axum::Json(response).into_response()
}
