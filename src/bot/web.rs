//! The core's side of the web reader: whether it is served, a community's unlisted address,
//! the addresses of its pages (the web server and the chat links build them here, so they
//! agree), and a posted digest in the form its archive keeps.

use serde::{Deserialize, Serialize};

use super::reply::{Card, Field};
use super::{Bot, Context, Failure};
use crate::store::{ArticleId, StoreError};

/// The label of the field that carries a "read on the web" link.
pub const READ_ON_THE_WEB: &str = "Read on the web";

/// The web reader as the core knows it: on when `READINGROOM_WEB_ADDR` is set; addresses in
/// chat need `READINGROOM_PUBLIC_URL` too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebSite {
    /// Where readers reach the web server, without a trailing slash (`https://rr.example.org`).
    pub public_url: Option<String>,
}

/// A fresh token for an unlisted address: 128 bits from the operating system's generator.
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Whether `token` has the shape [`new_token`] gives, so anything else is turned away before
/// the database is asked.
pub fn is_token(token: &str) -> bool {
    token.len() == 32
        && token
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The community's pages, relative to the server's root: `w/<token>/`.
pub fn base_path(token: &str) -> String {
    format!("w/{token}/")
}

/// An article's page, relative to the community's base.
pub fn article_path(id: ArticleId) -> String {
    format!("a/{}", id.0)
}

/// A summary sentence's anchor (its place in the stored summary, from 0).
pub fn summary_anchor(index: usize) -> String {
    format!("s{}", index + 1)
}

/// A quotation's anchor (its place among the article's quotations, from 0).
pub fn quote_anchor(index: usize) -> String {
    format!("q{}", index + 1)
}

/// A paragraph's anchor.
pub fn paragraph_anchor(index: usize) -> String {
    format!("p{}", index + 1)
}

/// A digest's page, relative to the community's base.
pub fn digest_path(channel_id: i64, day: chrono::NaiveDate) -> String {
    format!("digests/{channel_id}/{day}")
}

/// A posted digest as the archive keeps it: what the card said, without platform markup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchivedDigest {
    /// The heading.
    pub title: String,
    /// The line under it.
    pub subtitle: Option<String>,
    /// Each section's name and text.
    pub fields: Vec<(String, String)>,
    /// The quote of the day and who said it.
    pub quote: Option<(String, Option<String>)>,
}

impl ArchivedDigest {
    /// What a digest card keeps in the archive (its web links left out: the page is the link).
    pub fn of(card: &Card) -> Self {
        Self {
            title: card.title.clone(),
            subtitle: card.subtitle.clone(),
            fields: card
                .fields
                .iter()
                .filter(|f| f.name != READ_ON_THE_WEB)
                .map(|f| {
                    let value = f
                        .value
                        .lines()
                        .filter(|l| !l.starts_with(READ_ON_THE_WEB))
                        .collect::<Vec<_>>()
                        .join("\n");
                    (f.name.clone(), value)
                })
                .collect(),
            quote: card
                .quote
                .as_ref()
                .map(|q| (q.text.clone(), q.speaker.clone())),
        }
    }
}

/// Adds the "read on the web" field to a card.
pub fn add_link(card: &mut Card, url: String) {
    card.fields.push(Field {
        name: READ_ON_THE_WEB.to_owned(),
        value: url,
    });
}

/// `card` with the "read on the web" field, when there is a page to link.
pub(crate) fn with_link(mut card: Card, url: Option<String>) -> Card {
    if let Some(url) = url {
        add_link(&mut card, url);
    }
    card
}

impl Bot {
    /// The same bot, serving the web reader (links in chat when `public_url` is set).
    pub fn with_web(mut self, site: WebSite) -> Self {
        self.web = Some(site);
        self
    }

    /// Whether the web reader is served.
    pub fn web(&self) -> Option<&WebSite> {
        self.web.as_ref()
    }

    /// The absolute address of the community's pages (ending in `/`), when the reader is
    /// served, its public address is known and the community is published.
    pub(crate) async fn web_base(&self, community_id: i64) -> Result<Option<String>, StoreError> {
        let Some(public) = self.web.as_ref().and_then(|w| w.public_url.as_deref()) else {
            return Ok(None);
        };
        let token = self.store().publication(community_id).await?;
        Ok(token.map(|token| format!("{public}/{}", base_path(&token))))
    }

    /// Adds a "read on the web" link to an article's page (at `anchor`, if given) to a card
    /// answering `ctx`, when the caller's community is published.
    pub(crate) async fn link_article(
        &self,
        ctx: &Context,
        card: &mut Card,
        article: ArticleId,
        anchor: Option<String>,
    ) -> Result<(), Failure> {
        if let Some(url) = self.article_url(ctx, article, anchor).await? {
            add_link(card, url);
        }
        Ok(())
    }

    /// The address of an article's page (at `anchor`, if given) in the caller's community's
    /// reader, when it is published.
    pub(crate) async fn article_url(
        &self,
        ctx: &Context,
        article: ArticleId,
        anchor: Option<String>,
    ) -> Result<Option<String>, Failure> {
        if self.web.is_none() {
            return Ok(None);
        }
        let community = self.community(ctx).await?;
        let base = self.web_base(community.id).await?;
        Ok(base.map(|base| {
            let anchor = anchor.map(|a| format!("#{a}")).unwrap_or_default();
            format!("{base}{}{anchor}", article_path(article))
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_128_random_bits_in_hex() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert!(is_token(&a) && is_token(&b), "{a} {b}");
        assert_ne!(a, b);
        for bad in [
            "",
            "abc",
            &a.to_uppercase(),
            &format!("{a}0"),
            "../../etc/passwd",
        ] {
            assert!(!is_token(bad), "{bad}");
        }
    }
}
