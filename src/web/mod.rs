//! The web reader: a community's library, articles with their discussions, and its digest
//! archive, served as plain HTML (axum, maud templates, one stylesheet, no JavaScript) when
//! `READINGROOM_WEB_ADDR` is set.
//!
//! A community is served only while it is published (`/web on`), under an unlisted address
//! holding a random token. Every read goes through the community's `Scope`, and anything not
//! found (an unknown token, a community taken down, another community's article, a page that
//! does not exist) gets the same 404, so an address tells nothing about what else exists.
//! Every response forbids scripts (`Content-Security-Policy`) and sends no `Referer`, so the
//! token does not leak to the sites articles link to.

mod marks;
mod pages;
mod trees;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, HeaderName, IF_NONE_MATCH,
    LOCATION, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use crate::bot::export::{self, Removed};
use crate::bot::web::{ArchivedDigest, is_token};
use crate::store::{ArticleId, Community, Scope, Store, StoreError};
pub use pages::{ARTICLES_PER_PAGE, MESSAGES_PER_PAGE};

/// The stylesheet, served at `/style.css`.
const STYLE: &str = include_str!("style.css");
/// Scripts, frames, plugins and everything else are refused; only our stylesheet loads.
const POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
     base-uri 'none'; frame-ancestors 'none'";
/// Longest search accepted, in characters; the rest is ignored.
const MAX_QUERY_CHARS: usize = 200;
/// Digests listed in the archive.
const ARCHIVE_LENGTH: u32 = 365;
/// Pinned comments shown above an article's discussion.
const PINS_SHOWN: usize = 50;

#[derive(Debug)]
struct Web {
    store: Store,
    trees: trees::Trees,
}

/// Why a request got no page.
#[derive(Debug)]
enum Refusal {
    /// The constant 404.
    NotFound,
    /// A malformed query; the text says what was wrong.
    Bad(&'static str),
    /// Our failure: logged, and the reader gets a reference.
    Store(StoreError),
}

impl From<StoreError> for Refusal {
    fn from(error: StoreError) -> Self {
        Refusal::Store(error)
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, text) = match self {
            Refusal::NotFound => {
                return (
                    StatusCode::NOT_FOUND,
                    [(CACHE_CONTROL, "no-store")],
                    pages::not_found(),
                )
                    .into_response();
            }
            Refusal::Bad(why) => (StatusCode::BAD_REQUEST, why.to_owned()),
            Refusal::Store(error) => {
                let reference = format!("{:08x}", fastrand::u32(..));
                tracing::error!(%reference, %error, "a web page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("Something went wrong on our side (reference {reference})."),
                )
            }
        };
        (
            status,
            [
                (CONTENT_TYPE, "text/plain; charset=utf-8"),
                (CACHE_CONTROL, "no-store"),
            ],
            text,
        )
            .into_response()
    }
}

type Page = Result<Response, Refusal>;

/// A page with its validator: a request that already holds this version gets 304. Pages are
/// revalidated on every view (`no-cache`), so `/web off` takes effect at once.
fn respond(
    headers: &HeaderMap,
    body: String,
    content_type: &'static str,
    cache: &'static str,
) -> Response {
    let digest = Sha256::digest(body.as_bytes());
    let etag: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    let etag = format!("\"{etag}\"");
    let fresh = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        });
    let tag = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\""));
    if fresh {
        return (
            StatusCode::NOT_MODIFIED,
            [
                (ETAG, tag),
                (CACHE_CONTROL, HeaderValue::from_static(cache)),
            ],
        )
            .into_response();
    }
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (CACHE_CONTROL, HeaderValue::from_static(cache)),
            (ETAG, tag),
        ],
        body,
    )
        .into_response()
}

fn html_page(headers: &HeaderMap, markup: maud::Markup) -> Response {
    respond(
        headers,
        markup.into_string(),
        "text/html; charset=utf-8",
        "private, no-cache",
    )
}

/// The query's parameters, decoded; malformed escapes are decoded leniently.
fn params(query: Option<String>) -> Vec<(String, String)> {
    query
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default()
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// `?page=N`, from 1; absent is 1.
fn page_number(params: &[(String, String)]) -> Result<usize, Refusal> {
    match param(params, "page") {
        None => Ok(1),
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=1_000_000).contains(&n) => Ok(n),
            _ => Err(Refusal::Bad("page must be a number from 1")),
        },
    }
}

impl Web {
    /// The community published under `token`, or the constant 404.
    async fn community(&self, token: &str) -> Result<Community, Refusal> {
        if !is_token(token) {
            return Err(Refusal::NotFound);
        }
        self.store.published(token).await?.ok_or(Refusal::NotFound)
    }
}

async fn style(headers: HeaderMap) -> Response {
    respond(
        &headers,
        STYLE.to_owned(),
        "text/css; charset=utf-8",
        "public, max-age=86400",
    )
}

async fn bare(State(web): State<Arc<Web>>, Path(token): Path<String>) -> Page {
    web.community(&token).await?;
    Ok((
        StatusCode::PERMANENT_REDIRECT,
        [(LOCATION, format!("{token}/"))],
    )
        .into_response())
}

async fn library(
    State(web): State<Arc<Web>>,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Page {
    let community = web.community(&token).await?;
    let scope = Scope::Community(community.id);
    let place = pages::Place {
        community: &community,
        root: "./",
    };
    let params = params(query);
    if let Some(words) = param(&params, "q").map(str::trim).filter(|q| !q.is_empty()) {
        let words: String = words.chars().take(MAX_QUERY_CHARS).collect();
        let hits = web.store.search(scope, &words, ARTICLES_PER_PAGE).await?;
        return Ok(html_page(&headers, pages::search(&place, &words, &hits)));
    }
    let page = page_number(&params)?;
    let offset =
        u32::try_from((page - 1) * ARTICLES_PER_PAGE as usize).map_err(|_| Refusal::NotFound)?;
    let mut articles = web
        .store
        .shelf_page(scope, offset, ARTICLES_PER_PAGE + 1)
        .await?;
    let more = articles.len() > ARTICLES_PER_PAGE as usize;
    articles.truncate(ARTICLES_PER_PAGE as usize);
    if articles.is_empty() && page > 1 {
        return Err(Refusal::NotFound);
    }
    Ok(html_page(
        &headers,
        pages::library(&place, &articles, page as u32, more),
    ))
}

async fn article(
    State(web): State<Arc<Web>>,
    Path((token, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Page {
    let community = web.community(&token).await?;
    let scope = Scope::Community(community.id);
    let id: ArticleId = id.parse().map_err(|_| Refusal::NotFound)?;
    let page = page_number(&params(query))?;
    let stored = web
        .store
        .article_in(scope, id)
        .await?
        .ok_or(Refusal::NotFound)?;
    let (thread, mut pins) = discussion(&web, community.id, scope, &stored).await?;
    pins.truncate(PINS_SHOWN);
    let place = pages::Place {
        community: &community,
        root: "../",
    };
    let view = pages::ArticleView {
        stored: &stored,
        thread: &thread.thread,
        messages: thread.messages,
        pins: &pins,
        page,
    };
    let markup = pages::article(&place, &view).ok_or(Refusal::NotFound)?;
    Ok(html_page(&headers, markup))
}

/// An article's discussion as a reply tree, with its pins: what is kept of it as far as it is
/// current (see `trees`), the rest read.
async fn discussion(
    web: &Web,
    community: i64,
    scope: Scope,
    stored: &crate::store::StoredArticle,
) -> Result<(Arc<export::Export>, Vec<crate::store::Pin>), StoreError> {
    let id = stored.id;
    // Where the discussion stands first, then its messages: what is read after the marks is
    // never older than they say.
    let marks = web.store.discussion_marks(scope, id).await?;
    let pins = web.store.pins(scope, Some(id), u32::MAX).await?;
    let basis = trees::Basis::new(marks, &pins);
    let reuse = match web.trees.get(community, id) {
        Some(kept) => kept.reuse(&basis),
        None => trees::Reuse::Nothing,
    };
    let messages = match reuse {
        trees::Reuse::Tree(tree) => return Ok((tree, pins)),
        trees::Reuse::Messages(kept) => {
            let (after, changed_after) = kept.since();
            let fresh = web
                .store
                .article_messages_since(scope, id, after, changed_after)
                .await?;
            match kept.update(fresh, &basis) {
                Some(all) => all,
                None => web.store.article_messages(scope, id).await?,
            }
        }
        trees::Reuse::Nothing => web.store.article_messages(scope, id).await?,
    };
    let messages = Arc::new(messages);
    let tree = Arc::new(export::tree_with(
        stored,
        trees::Messages::clone(&messages),
        &pins,
        Removed::Mark,
    ));
    web.trees.put(community, id, basis, messages, tree.clone());
    Ok((tree, pins))
}

async fn digests(
    State(web): State<Arc<Web>>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Page {
    let community = web.community(&token).await?;
    let posted = web
        .store
        .posted_digests(Scope::Community(community.id), ARCHIVE_LENGTH)
        .await?;
    let place = pages::Place {
        community: &community,
        root: "./",
    };
    Ok(html_page(&headers, pages::digests(&place, &posted)))
}

async fn digest(
    State(web): State<Arc<Web>>,
    Path((token, channel, day)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Page {
    let community = web.community(&token).await?;
    let channel: i64 = channel.parse().map_err(|_| Refusal::NotFound)?;
    let day = chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d").map_err(|_| Refusal::NotFound)?;
    let (posted, content) = web
        .store
        .posted_digest(Scope::Community(community.id), channel, day)
        .await?
        .ok_or(Refusal::NotFound)?;
    let archived: ArchivedDigest = serde_json::from_str(&content)
        .map_err(|error| Refusal::Store(StoreError::Serialise(error)))?;
    let place = pages::Place {
        community: &community,
        root: "../../",
    };
    Ok(html_page(
        &headers,
        pages::digest(&place, &posted, &archived),
    ))
}

async fn fallback() -> Refusal {
    Refusal::NotFound
}

/// Headers every answer carries.
async fn harden(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex, nofollow"),
    );
    response
}

/// The web reader's routes over `store`.
pub fn router(store: Store) -> Router {
    let web = Arc::new(Web {
        store,
        trees: trees::Trees::default(),
    });
    Router::new()
        .route("/style.css", get(style))
        .route("/w/{token}", get(bare))
        .route("/w/{token}/", get(library))
        .route("/w/{token}/a/{id}", get(article))
        .route("/w/{token}/digests", get(digests))
        .route("/w/{token}/digests/{channel}/{day}", get(digest))
        .fallback(fallback)
        .with_state(web)
        .layer(axum::middleware::map_response(harden))
}

/// Serves the web reader on `listener` until the process ends.
pub async fn serve(listener: tokio::net::TcpListener, store: Store) -> std::io::Result<()> {
    axum::serve(listener, router(store)).await
}
