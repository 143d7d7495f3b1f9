//! Acceptance test on the seed article: the text users feed the bot, a hard-wrapped blog repost
//! with a caption, Markdown links, Summary and Conclusion sections and attributed quotations.
//! It reads the file named by `READINGROOM_SEED_ARTICLE` (default `../shared/seed-article.txt`);
//! the seed's text is not part of this repository.
#![allow(clippy::unwrap_used)] // tests state their expectations by panicking

#[path = "common/bin.rs"]
mod bin;

use std::path::PathBuf;

use bin::readingroom;
use readingroom::article::{self, Article, SummaryKind};

fn seed() -> Option<String> {
    let path = std::env::var_os("READINGROOM_SEED_ARTICLE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/seed-article.txt")
        });
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        // Under CI the seed must be there: a missing file fails rather than skips.
        Err(error)
            if std::env::var_os("CI").is_some()
                || std::env::var_os("READINGROOM_SEED_ARTICLE").is_some() =>
        {
            panic!("cannot read the seed article {}: {error}", path.display())
        }
        Err(_) => {
            eprintln!("skipping: no seed article at {}", path.display());
            None
        }
    }
}

fn parsed() -> Option<Article> {
    Some(article::parse(&seed()?).expect("the seed parses"))
}

fn body(article: &Article) -> String {
    article
        .paragraphs
        .iter()
        .map(|p| p.text.as_str())
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[test]
fn header_title_byline_author_outlet() {
    let Some(a) = parsed() else { return };
    assert_eq!(
        a.title,
        "Ideology And the Politics of Convenience: Why Has an Exiled Iranian Islamic Socialist Cult Become Popular Among Western Elites?"
    );
    assert_eq!(a.byline.as_deref(), Some("Geoffrey Clarfield"));
    assert_eq!(a.authors, vec!["Tirza Shorr".to_owned()]);
    assert_eq!(
        a.source.name.as_deref(),
        Some("Jerusalem Center for Security and Foreign Affairs")
    );
    let body = body(&a);
    assert!(
        !body.contains("Posted by"),
        "the byline line is not body text"
    );
    assert!(
        !body.contains("is worth reading"),
        "the repost line is not body text"
    );
    assert_ne!(a.paragraphs[0].text, a.title);
}

#[test]
fn sections_and_the_provided_summary() {
    let Some(a) = parsed() else { return };
    let section_of = |needle: &str| {
        a.paragraphs
            .iter()
            .find(|p| p.text.contains(needle))
            .unwrap_or_else(|| panic!("no paragraph with {needle:?}"))
            .section
            .clone()
    };
    assert_eq!(
        section_of("With Iran's theocratic regime").as_deref(),
        Some("Summary")
    );
    assert_eq!(
        section_of("Why has the MEK received support").as_deref(),
        Some("Summary")
    );
    assert_eq!(
        section_of("If and when the Iranian regime").as_deref(),
        Some("Conclusion")
    );
    assert_eq!(
        section_of("my worst nightmare").as_deref(),
        Some("Conclusion")
    );
    assert!(
        a.paragraphs
            .iter()
            .all(|p| p.text != "Summary" && p.text != "Conclusion"),
        "headings are not paragraphs"
    );

    assert_eq!(a.summary.kind, SummaryKind::Provided);
    let first = &a.summary.sentences[0];
    assert!(
        first
            .text
            .starts_with("With Iran's theocratic regime at the tipping point"),
        "{first:?}"
    );
    for sentence in &a.summary.sentences {
        let paragraph = &a.paragraphs[sentence.paragraph];
        assert_eq!(
            paragraph.section.as_deref(),
            Some("Summary"),
            "{sentence:?}"
        );
        assert!(
            paragraph.text.contains(&sentence.text),
            "verbatim: {sentence:?}"
        );
    }
    assert!(
        a.summary
            .sentences
            .iter()
            .any(|s| s.text.ends_with("against him online and off."))
    );
}

#[test]
fn caption_is_kept_apart_and_the_interrupted_sentence_rejoined() {
    let Some(a) = parsed() else { return };
    assert_eq!(
        a.captions,
        vec!["Maryam Rajavi. (Apa Iceurope/Flickr/CC BY 2.0)".to_owned()]
    );
    let body = body(&a);
    assert!(
        !body.contains("Flickr") && !body.contains("Maryam Rajavi"),
        "caption out of the body"
    );
    let sentences: Vec<&str> = a
        .paragraphs
        .iter()
        .flat_map(|p| {
            article::sentences::split(&p.text)
                .into_iter()
                .map(move |r| &p.text[r])
        })
        .collect();
    assert!(
        sentences
            .iter()
            .any(|s| s.starts_with("Though most Iranians, both within Iran")
                && s.ends_with(
                    "anti-monarchists have persisted in their campaigns against him online and off."
                )),
        "the sentence the caption interrupts is one sentence: {sentences:#?}"
    );
    for joined in [
        "MEK has for decades persisted in its sophisticated advocacy efforts",
        "aggressively courted and financially compensated prominent American and European political figures",
        "but more importantly, must assess the likely consequences",
        "Another dissident said his lesson to the West",
    ] {
        assert!(body.contains(joined), "hard wrap rejoined: {joined}");
    }
    assert!(
        a.paragraphs.iter().all(|p| !p.text.contains('\n')),
        "no line breaks inside paragraphs"
    );
}

#[test]
fn links_become_text_and_are_listed() {
    let Some(a) = parsed() else { return };
    let body = body(&a);
    assert!(
        !body.contains("](") && !body.contains('['),
        "no Markdown link syntax in the body"
    );
    assert!(body.contains("why he accepted honoraria from the Mujahedin-e-Khalq"));
    assert!(
        body.contains("given the group's cultlike nature and its lack of popularity inside Iran.")
    );
    let texts: Vec<&str> = a.links.iter().map(|l| l.text.as_str()).collect();
    for text in [
        "Jerusalem Center for Security and Foreign Affairs",
        "accepted honoraria",
        "cultlike nature",
        "Iran",
        "here",
    ] {
        assert!(texts.contains(&text), "link {text:?} kept: {texts:?}");
    }
    assert!(a.links.iter().all(|l| l.url == "#"));
}

#[test]
fn trailer_and_closing_dash_are_gone() {
    let Some(a) = parsed() else { return };
    let body = body(&a);
    assert!(!body.contains("Read it all"), "trailer out of the body");
    let last = a.paragraphs.last().expect("paragraphs");
    assert!(
        last.text
            .ends_with("rather than an enabler of yet another ideologically-powered disaster."),
        "{last:?}"
    );
    assert!(
        a.paragraphs
            .iter()
            .all(|p| !p.text.trim_end().ends_with('—') && p.text.trim() != "—")
    );
}

#[test]
fn quotations_with_speakers_and_no_scare_quotes() {
    let Some(a) = parsed() else { return };
    let rubin = a
        .quotes
        .iter()
        .find(|q| q.text.starts_with("once asked a senior American official"))
        .unwrap_or_else(|| panic!("the Rubin quotation: {:#?}", a.quotes));
    assert_eq!(rubin.speaker.as_deref(), Some("Rubin"));
    assert!(
        rubin
            .text
            .ends_with("or its political Ponzi scheme would collapse."),
        "{rubin:?}"
    );
    assert!(
        rubin.text.contains("His response: Even if the group lied"),
        "multi-sentence: {rubin:?}"
    );

    let enemy = a
        .quotes
        .iter()
        .find(|q| q.text.starts_with("The enemy of my enemy"))
        .unwrap_or_else(|| panic!("the dissident's quotation: {:#?}", a.quotes));
    assert_eq!(
        enemy.text,
        "The enemy of my enemy is not my friend – he is my worst nightmare."
    );
    let speaker = enemy.speaker.as_deref().unwrap_or_default();
    assert!(speaker.to_lowercase().contains("dissident"), "{enemy:?}");

    for term in [
        "praxis",
        "justice",
        "freedom fighters",
        "Free Palestine",
        "defensive jihad",
    ] {
        assert!(
            a.quotes.iter().all(|q| !q
                .text
                .trim_end_matches([',', '.'])
                .eq_ignore_ascii_case(term)),
            "{term} is a scare quote, not a quotation"
        );
    }
    for quote in &a.quotes {
        assert!(
            a.paragraphs[quote.paragraph].text.contains(&quote.text),
            "verbatim: {quote:?}"
        );
    }
}

#[test]
fn parse_json_has_the_documented_shape() {
    let Some(text) = seed() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("seed.txt");
    std::fs::write(&file, text).unwrap();
    let out = readingroom().args(["parse", "--json"]).arg(&file).stdout();
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    for key in [
        "title",
        "byline",
        "authors",
        "source",
        "published",
        "paragraphs",
        "captions",
        "links",
        "summary",
        "quotes",
    ] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    assert_eq!(json["summary"]["kind"], "provided");
    assert!(
        json["paragraphs"][0]["section"].is_string() && json["paragraphs"][0]["text"].is_string()
    );
    assert!(json["summary"]["sentences"][0]["paragraph"].is_u64());
    assert!(json["quotes"][0]["speaker"].is_string() || json["quotes"][0]["speaker"].is_null());
    assert!(json["source"]["name"].is_string());
    assert!(json["links"][0]["url"].is_string());
}
