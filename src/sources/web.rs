//! Fetching pages over HTTP for ingestion: bounded in time, size and redirects, honest about
//! who is asking, and specific about what went wrong.

use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderMap};

use super::reach::{NotPublic, Reach};

/// Limits for fetching.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Largest body accepted, in bytes.
    pub max_bytes: usize,
    /// Most redirects followed.
    pub max_redirects: usize,
    /// Which addresses may be fetched.
    pub reach: Reach,
}

impl Default for FetchOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(20),
            max_bytes: crate::article::MAX_INPUT_BYTES,
            max_redirects: 5,
            reach: Reach::default(),
        }
    }
}

/// A fetched document.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The HTTP status (200, or 304 for a conditional request that found nothing new).
    pub status: u16,
    /// The address after redirects.
    pub url: String,
    /// The body as text.
    pub body: String,
    /// The response headers.
    pub headers: HeaderMap,
}

/// Why a fetch gave no document.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The address is not on the public internet (checked after resolving it, and at every
    /// redirect).
    #[error("{host} is not on the public internet, so the bot will not fetch it")]
    NotPublic {
        /// The host refused.
        host: String,
    },
    /// Not an http(s) URL.
    #[error("“{0}” is not a web address (it must start with http:// or https://)")]
    InvalidUrl(String),
    /// The server answered with an error status.
    #[error("the server answered {status} for {url}")]
    Status {
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// It took too long.
    #[error("{url} did not answer within {seconds} seconds")]
    Timeout {
        /// The URL.
        url: String,
        /// The limit.
        seconds: u64,
    },
    /// The body is larger than the limit.
    #[error("{url} is larger than {limit} bytes; articles are limited to that")]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit.
        limit: usize,
    },
    /// Not a web page.
    #[error("{url} is not a web page (its content type is {content_type})")]
    NotHtml {
        /// The URL.
        url: String,
        /// What it is.
        content_type: String,
    },
    /// Redirected too often.
    #[error("{url} redirects too many times")]
    Redirects {
        /// The URL.
        url: String,
    },
    /// Could not connect or read. The reason is for the logs: in chat it would tell a stranger
    /// about the network the bot runs in.
    #[error("{url} could not be reached")]
    Network {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
}

/// Follows at most `max` redirects, each to an address `reach` allows.
fn redirects(reach: Reach, max: usize) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() > max {
            return attempt.error(TooManyRedirects);
        }
        match reach.check(attempt.url()) {
            Ok(()) => attempt.follow(),
            Err(refused) => attempt.error(refused),
        }
    })
}

#[derive(Debug, thiserror::Error)]
#[error("too many redirects")]
struct TooManyRedirects;

/// An HTTP client for pages and feeds.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    options: FetchOptions,
}

impl Fetcher {
    /// A fetcher with these limits.
    pub fn new(options: FetchOptions) -> Result<Self, FetchError> {
        let client = reqwest::Client::builder()
            .user_agent(concat!(
                "ReadingRoom/",
                env!("CARGO_PKG_VERSION"),
                " (article discussion bot; +https://crates.io/crates/readingroom)"
            ))
            .timeout(options.timeout)
            .connect_timeout(options.timeout.min(Duration::from_secs(10)))
            .redirect(redirects(options.reach.clone(), options.max_redirects))
            .dns_resolver(options.reach.resolver())
            .gzip(true)
            .build()
            .map_err(|e| FetchError::Network {
                url: String::new(),
                reason: e.to_string(),
            })?;
        Ok(Self { client, options })
    }

    fn classify(&self, url: &str, error: reqwest::Error) -> FetchError {
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            if let Some(NotPublic(host)) = cause.downcast_ref::<NotPublic>() {
                return FetchError::NotPublic { host: host.clone() };
            }
            source = cause.source();
        }
        if error.is_timeout() {
            FetchError::Timeout {
                url: url.to_owned(),
                seconds: self.options.timeout.as_secs().max(1),
            }
        } else if error.is_redirect() {
            FetchError::Redirects {
                url: url.to_owned(),
            }
        } else {
            // The innermost cause says the most ("connection refused", "dns error").
            let mut reason = error.to_string();
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                reason = cause.to_string();
                source = cause.source();
            }
            tracing::debug!(url, %reason, "fetch failed");
            FetchError::Network {
                url: url.to_owned(),
                reason,
            }
        }
    }

    /// Fetches a web page (HTML or XHTML).
    pub async fn page(&self, url: &str) -> Result<Fetched, FetchError> {
        let fetched = self.get(url, &HeaderMap::new()).await?;
        let content_type = fetched
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if !(content_type.is_empty() || content_type.contains("html")) {
            return Err(FetchError::NotHtml {
                url: fetched.url,
                content_type,
            });
        }
        Ok(fetched)
    }

    /// GETs a URL with extra headers (e.g. conditional ones), reading at most the size limit.
    pub async fn get(&self, url: &str, headers: &HeaderMap) -> Result<Fetched, FetchError> {
        let parsed = match reqwest::Url::parse(url) {
            Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => parsed,
            _ => return Err(FetchError::InvalidUrl(url.to_owned())),
        };
        if let Err(NotPublic(host)) = self.options.reach.check(&parsed) {
            return Err(FetchError::NotPublic { host });
        }
        let mut response = self
            .client
            .get(url)
            .headers(headers.clone())
            .send()
            .await
            .map_err(|e| self.classify(url, e))?;
        let final_url = response.url().to_string();
        let status = response.status();
        if !status.is_success() && status != reqwest::StatusCode::NOT_MODIFIED {
            return Err(FetchError::Status {
                url: final_url,
                status: status.as_u16(),
            });
        }
        let limit = self.options.max_bytes;
        let too_large = || FetchError::TooLarge {
            url: url.to_owned(),
            limit,
        };
        if response
            .content_length()
            .is_some_and(|length| length > limit as u64)
        {
            return Err(too_large());
        }
        let headers = response.headers().clone();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.classify(url, e))? {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched {
            status: status.as_u16(),
            url: final_url,
            body: String::from_utf8_lossy(&body).into_owned(),
            headers,
        })
    }
}
