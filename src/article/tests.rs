//! Tests of the whole pipeline: the fixture articles, properties over arbitrary input, the seed
//! article (from `READINGROOM_SEED_ARTICLE`) and the evaluation corpora (from
//! `READINGROOM_CORPUS_DIR`, else `../shared/corpus` beside the crate), plus a timing run.

use super::*;

const REPOST: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/repost-blog.md"
));
const NEWS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/news-report.md"
));

fn must_parse(text: &str) -> Article {
    match parse(text) {
        Ok(a) => a,
        Err(e) => panic!("parse failed: {e}"),
    }
}

/// The index of the only paragraph containing `needle`.
fn para_with(a: &Article, needle: &str) -> usize {
    let hits: Vec<usize> = a
        .paragraphs
        .iter()
        .enumerate()
        .filter(|(_, p)| p.text.contains(needle))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(hits.len(), 1, "paragraphs containing {needle:?}: {hits:?}");
    hits[0]
}

fn sections(a: &Article) -> Vec<Option<&str>> {
    a.paragraphs.iter().map(|p| p.section.as_deref()).collect()
}

/// Checks that every reported sentence and quotation is a verbatim span of its paragraph.
fn assert_spans(a: &Article) {
    for s in &a.summary.sentences {
        let p = &a.paragraphs[s.paragraph].text;
        assert!(
            p.contains(&s.text),
            "summary sentence not in its paragraph: {s:?}"
        );
    }
    for q in &a.quotes {
        let p = &a.paragraphs[q.paragraph].text;
        assert!(p.contains(&q.text), "quote not in its paragraph: {q:?}");
    }
}

/// The rules every summary keeps: verbatim spans of their paragraphs, in article order, no
/// overlaps, and a sentence that opens on a pronoun or connective only right after the summary
/// sentence before it (in the same paragraph, or across a paragraph break).
fn assert_summary_rules(a: &Article, summary: &[Sentence], id: &str) {
    let mut prev: Option<(usize, usize)> = None;
    for s in summary {
        let p = &a.paragraphs[s.paragraph].text;
        let starts: Vec<usize> = p.match_indices(s.text.as_str()).map(|(i, _)| i).collect();
        assert!(
            !starts.is_empty(),
            "{id}: not a span of its paragraph: {s:?}"
        );
        // The first occurrence after the previous sentence.
        let start = match prev {
            Some((pp, end)) if pp == s.paragraph => starts.iter().copied().find(|&i| i >= end),
            _ => starts.first().copied(),
        };
        let Some(start) = start else {
            panic!("{id}: out of order or overlapping: {summary:?}");
        };
        if let Some((pp, _)) = prev {
            assert!(pp <= s.paragraph, "{id}: out of order: {summary:?}");
        }
        if summarize::dangling_opener(&s.text) {
            // Right after its predecessor, in the same paragraph or across a paragraph break.
            let follows = prev.is_some_and(|(pp, end)| {
                (pp == s.paragraph && p[end..start].trim().is_empty())
                    || (pp + 1 == s.paragraph
                        && a.paragraphs[pp].text[end..].trim().is_empty()
                        && p[..start].trim().is_empty())
            });
            assert!(
                follows,
                "{id}: dangling opener without its predecessor: {s:?} in {summary:?}"
            );
        }
        prev = Some((s.paragraph, start + s.text.len()));
    }
}

/// The shape the repost fixture shares with the seed article it was modelled on: three
/// paragraphs under Summary and four under Conclusion with nothing before either, one caption
/// kept out of the body, and the author's summary made of every sentence of the Summary
/// paragraphs.
fn assert_summary_and_conclusion(a: &Article, caption: &str) {
    let want: Vec<Option<&str>> = [Some("Summary"); 3]
        .into_iter()
        .chain([Some("Conclusion"); 4])
        .collect();
    assert_eq!(sections(a), want);
    assert_eq!(a.captions, vec![caption.to_string()]);
    assert_eq!(a.summary.kind, SummaryKind::Provided);
    assert!(a.summary.sentences.iter().all(|s| s.paragraph < 3));
    let total: usize = (0..3)
        .map(|i| sentences::split(&a.paragraphs[i].text).len())
        .sum();
    assert_eq!(a.summary.sentences.len(), total);
}

fn no_markup(a: &Article) {
    for p in &a.paragraphs {
        for bad in ["](", "**", "&amp;", "&nbsp;", "![", "\n"] {
            assert!(!p.text.contains(bad), "{bad:?} left in {:?}", p.text);
        }
        assert!(!p.text.starts_with(['#', '>', '—']), "{:?}", p.text);
        assert!(!p.text.ends_with('—'), "{:?}", p.text);
    }
}

#[test]
fn repost_fixture() {
    let a = must_parse(REPOST);
    assert_eq!(
        a.title,
        "The Quiet Sale of the Lake Fisheries: Why Have Old Harbour Towns Turned Against Their Own Boats?"
    );
    assert_eq!(a.byline.as_deref(), Some("Helena Marsh"));
    assert_eq!(a.authors, vec!["Oskar Lindqvist".to_string()]);
    assert_eq!(a.source.name.as_deref(), Some("Northern Waters Review"));
    assert_eq!(
        a.source.url.as_deref(),
        Some("https://northernwaters.example/essays/fisheries")
    );
    assert_eq!(a.published, None);

    // The caption is lifted out of the sentence it interrupted.
    assert_summary_and_conclusion(&a, "Easthaven harbour at dusk. (Jo Varga/Flickr/CC BY 2.0)");
    assert!(a.paragraphs.iter().all(|p| !p.text.contains("Flickr")));
    let first = &a.paragraphs[0].text;
    assert!(first.contains(
        "a small group of investors has pressed on with its campaign against the fishing \
         cooperatives in print and online."
    ));
    assert!(first.contains("The group has for years promoted its marina plan"));
    assert!(first.ends_with("generously rewarded several local councillors for their support."));
    let conclusion = &a.paragraphs[3].text;
    assert!(conclusion.contains("more importantly, must measure what the towns would lose."));
    assert!(a.paragraphs[6].text.starts_with("One fisherman"));
    assert!(
        a.paragraphs[6]
            .text
            .contains("Another fisherman said his advice")
    );

    // Links: text in the body, every link kept in order, including metadata and trailer links.
    let links: Vec<(&str, &str)> = a
        .links
        .iter()
        .map(|l| (l.text.as_str(), l.url.as_str()))
        .collect();
    assert_eq!(
        links,
        vec![
            (
                "Northern Waters Review",
                "https://northernwaters.example/essays/fisheries"
            ),
            ("free holiday", "https://northernwaters.example/holiday"),
            ("here", "#"),
        ]
    );
    assert!(
        a.paragraphs[4]
            .text
            .contains("accepted a free holiday from the investors")
    );

    // Metadata, trailer and the closing dash are not body text.
    for p in &a.paragraphs {
        for gone in [
            "Posted by",
            "worth reading",
            "Read it all",
            "Summary",
            "Conclusion",
        ] {
            assert!(!p.text.contains(gone), "{gone:?} in {:?}", p.text);
        }
    }
    no_markup(&a);

    // The author's summary runs from the first Summary paragraph to the last.
    let summary_paras: Vec<usize> = a.summary.sentences.iter().map(|s| s.paragraph).collect();
    assert_eq!(summary_paras.first(), Some(&0));
    assert_eq!(summary_paras.last(), Some(&2));
    assert!(
        a.summary.sentences[1]
            .text
            .ends_with("in print and online.")
    );

    // Quotations: the long attributed ones, none of the scare quotes.
    let quotes: Vec<(&str, Option<&str>)> = a
        .quotes
        .iter()
        .map(|q| (q.text.as_str(), q.speaker.as_deref()))
        .collect();
    assert_eq!(quotes.len(), 2, "{quotes:?}");
    assert!(quotes[0].0.starts_with("once asked a councillor"));
    assert!(quotes[0].0.ends_with("would settle the matter for good."));
    assert_eq!(quotes[0].1, Some("Varga"));
    assert_eq!(
        quotes[1],
        (
            "The marina will not feed us in winter – only the lake ever has.",
            Some("Another fisherman")
        )
    );
    assert_eq!(a.quotes[1].paragraph, 6);
    for term in [
        "golden age",
        "slow eviction",
        "heritage",
        "community resilience",
        "a fresh start",
    ] {
        assert!(
            a.quotes.iter().all(|q| !q.text.contains(term)),
            "scare quote {term:?} taken as a quotation"
        );
    }
    assert_spans(&a);
}

#[test]
fn news_fixture() {
    let a = must_parse(NEWS);
    assert_eq!(
        a.title,
        "Storm Floods Riverside Town as Old Bridge Gives Way"
    );
    assert_eq!(
        a.authors,
        vec!["Priya Raman".to_string(), "Tomás Ortega".to_string()]
    );
    assert_eq!(a.byline.as_deref(), Some("Priya Raman and Tomás Ortega"));
    assert_eq!(a.published.as_deref(), Some("2024-03-03"));
    assert_eq!(a.source, Source::default());
    assert_eq!(
        a.captions,
        vec!["Volunteers fill sandbags outside the Lowmere library".to_string()]
    );
    assert_eq!(
        sections(&a),
        vec![
            None,
            Some("What happened"),
            Some("What happened"),
            Some("What happened"),
            Some("What happened"),
            Some("What comes next"),
            Some("What comes next"),
        ]
    );
    let club = para_with(&a, "Rowing Club");
    assert!(
        a.paragraphs[club]
            .text
            .starts_with("The Lowmere Sailing & Rowing Club opened its hall")
    );
    assert_eq!(
        a.links.iter().map(|l| l.url.as_str()).collect::<Vec<_>>(),
        vec!["https://council.example/floods"]
    );
    assert!(a.paragraphs.iter().all(|p| !p.text.contains("Read more")));
    no_markup(&a);

    // No summary section: the extractive summary, three sentences, none dangling.
    assert_eq!(a.summary.kind, SummaryKind::Extractive);
    assert_eq!(a.summary.sentences.len(), DEFAULT_SUMMARY_SENTENCES);
    assert_eq!(a.summary.sentences[0].paragraph, 0);
    for s in &a.summary.sentences {
        assert!(s.text.split_whitespace().count() >= 6);
        assert!(!summarize::dangling_opener(&s.text), "{s:?}");
    }

    let quotes: Vec<(&str, Option<&str>)> = a
        .quotes
        .iter()
        .map(|q| (q.text.as_str(), q.speaker.as_deref()))
        .collect();
    assert_eq!(
        quotes,
        vec![
            (
                "We have never seen the water come up this fast,",
                Some("Martin Cole")
            ),
            (
                "The current took the pontoon and both of my boats,",
                Some("Martin Cole")
            ),
            (
                "Nobody was hurt, and that is what matters tonight,",
                Some("Brooks")
            ),
            ("The bridge can be rebuilt.", Some("Brooks")),
            (
                "I've lived by this river all my life and I've never been so frightened. \
                 The neighbours' boys carried my cat and me out through the window.",
                Some("Dot Finch")
            ),
            (
                "I don't know when we'll be able to go home.",
                Some("Dot Finch")
            ),
            (
                "Every bridge will be checked before it reopens.",
                Some("A spokesman for the county council")
            ),
        ]
    );
    assert_spans(&a);
}

#[test]
fn options_title_and_summary_length() {
    let body = "The first line here is body text, not a title at all.\n\n\
                A second paragraph follows with more words in it than the first one has.\n\n\
                A third paragraph closes the short article with a final sentence.";
    let opts = Options {
        summary_sentences: 2,
        title: Some("Given headline".into()),
    };
    let a = parse_with(body, &opts).expect("parses");
    assert_eq!(a.title, "Given headline");
    assert_eq!(a.paragraphs.len(), 3);
    assert_eq!(a.summary.sentences.len(), 2);
    let a = parse(body).expect("parses");
    assert_eq!(
        a.title,
        "The first line here is body text, not a title at all."
    );
    assert_eq!(a.paragraphs.len(), 2);
}

#[test]
fn errors() {
    assert_eq!(parse(""), Err(ParseError::Empty));
    assert_eq!(parse(" \n\t\n "), Err(ParseError::Empty));
    assert_eq!(parse("Just a title"), Err(ParseError::NoBody));
    assert_eq!(
        parse("Title\n\nPosted by Ada Quill\n\nRead more here.\n\n—"),
        Err(ParseError::NoBody)
    );
    let big = "a".repeat(MAX_INPUT_BYTES + 1);
    assert_eq!(
        parse(&big),
        Err(ParseError::TooLarge {
            size: MAX_INPUT_BYTES + 1,
            limit: MAX_INPUT_BYTES
        })
    );
}

#[test]
fn markdown_and_entities_are_reduced_to_text() {
    let input = "Title\n\n> A **quoted** block with &#8217;curly&#8217; entities&nbsp;and _emphasis_.\n\n\
                 * First item with [a link](https://a.example)\n* Second item\n\n\
                 1. Numbered item\n2. Another one\n\nBare https://b.example/x stays.";
    let a = must_parse(input);
    let texts: Vec<&str> = a.paragraphs.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(
        texts,
        vec![
            "A quoted block with ’curly’ entities and emphasis.",
            "First item with a link",
            "Second item",
            "Numbered item",
            "Another one",
            "Bare https://b.example/x stays.",
        ]
    );
    assert_eq!(a.links.len(), 1);
}

#[test]
fn provided_summary_headings() {
    for heading in [
        "Summary",
        "## Abstract",
        "TL;DR",
        "**Key points**",
        "In brief:",
    ] {
        let input = format!(
            "Title\n\n{heading}\n\nThe short version of the story. It has two sentences.\n\n\
             ## Details\n\nThe long version goes here and says much more than the summary."
        );
        let a = must_parse(&input);
        assert_eq!(a.summary.kind, SummaryKind::Provided, "{heading}");
        assert_eq!(a.summary.sentences.len(), 2, "{heading}");
        assert!(a.summary.sentences.iter().all(|s| s.paragraph == 0));
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Text built from article-like pieces, so the parser's branches are reached.
    fn articleish() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("\n\n".to_string()),
            Just("\n".to_string()),
            Just("Summary".to_string()),
            Just("## Part".to_string()),
            Just("Posted by Ada Quill".to_string()),
            Just("By Jo Roe".to_string()),
            Just("Jan 5, 2025".to_string()),
            Just("A boat. (Jo/Flickr/CC BY 2.0)".to_string()),
            Just("![alt](x.png)".to_string()),
            Just("[link](http://x.example)".to_string()),
            Just("Read it all [here](#).".to_string()),
            Just("—".to_string()),
            Just("- item".to_string()),
            Just("> quoted".to_string()),
            Just("**bold** _it_ &amp; &#8217;".to_string()),
            Just("He said \"stop.\" Then".to_string()),
            Just("Ada Quill said: 'I don't know. ".to_string()),
            Just("“Yes,” she said. ‘No’ ".to_string()),
            Just("the U.S. Army and Mr. Smith at 3.5 p.m. ".to_string()),
            Just("his winnings A man who won ".to_string()),
            Just("Short and sweet: Ada said ".to_string()),
            Just("the mill.' it was late,' said bo. ".to_string()),
            Just("future.' I will say this.' ".to_string()),
            "[a-zA-Z ,.!?'\"“”‘’…—:;()\\[\\]*_#>&-]{0,40}",
            "\\PC{0,20}",
        ];
        prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
    }

    fn check(text: &str) {
        if let Ok(a) = parse(text) {
            assert_spans(&a);
            assert!(!a.paragraphs.is_empty());
            for p in &a.paragraphs {
                assert!(!p.text.trim().is_empty());
            }
        }
        let _ = summarize(
            &Article {
                paragraphs: vec![Paragraph {
                    section: None,
                    text: text.to_string(),
                }],
                ..Article::default()
            },
            Length::Words(20),
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn parse_never_panics_on_any_string(text in any::<String>()) {
            check(&text);
        }

        #[test]
        fn parse_never_panics_on_control_characters(text in "[\\x00-\\x1f\\x7f a-z.\"']{0,300}") {
            check(&text);
        }

        #[test]
        fn parse_handles_long_lines(word in "[a-z]{1,8}", n in 1usize..3000) {
            let text = format!("Title\n\n{}", vec![word.as_str(); n].join(" "));
            check(&text);
        }

        #[test]
        fn spans_hold_on_articleish_text(text in articleish()) {
            check(&text);
        }

        #[test]
        fn split_ranges_are_ordered_disjoint_and_on_boundaries(text in articleish()) {
            let ranges = sentences::split(&text);
            let mut last_end = 0;
            for r in &ranges {
                prop_assert!(r.start >= last_end && r.start < r.end);
                prop_assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
                prop_assert_eq!(text[r.clone()].trim(), &text[r.clone()]);
                last_end = r.end;
            }
            prop_assert_eq!(ranges.is_empty(), text.trim().is_empty());
        }

        #[test]
        fn caption_pieces_tile_their_sentence(text in articleish()) {
            for r in sentences::split(&text) {
                let mut pieces = Vec::new();
                sentences::caption_pieces(&text, r.clone(), &mut pieces);
                prop_assert!(!pieces.is_empty());
                prop_assert_eq!(pieces[0].start, r.start);
                prop_assert_eq!(pieces[pieces.len() - 1].end, r.end);
                let mut last = r.start;
                for p in &pieces {
                    prop_assert!(p.start >= last && p.start < p.end && p.end <= r.end);
                    prop_assert!(text.is_char_boundary(p.start) && text.is_char_boundary(p.end));
                    last = p.end;
                }
            }
        }

        #[test]
        fn lower_cased_glued_quotes_hold(text in "[a-z ,.:']{0,400}") {
            check(&text);
        }

        #[test]
        fn split_holds_on_any_string(text in any::<String>()) {
            let ranges = sentences::split(&text);
            let mut last_end = 0;
            for r in &ranges {
                prop_assert!(r.start >= last_end && r.start < r.end);
                prop_assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
                last_end = r.end;
            }
        }
    }
}

/// Every point the brief lists for the seed article. The text is read at run time and never
/// stored in the repository.
#[test]
fn seed_article() {
    let Ok(path) = std::env::var("READINGROOM_SEED_ARTICLE") else {
        println!("seed_article: READINGROOM_SEED_ARTICLE is not set; skipped");
        return;
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => panic!("cannot read {path}: {e}"),
    };
    let a = must_parse(&text);
    if std::env::var_os("READINGROOM_PRINT_JSON").is_some() {
        println!("{}", serde_json::to_string_pretty(&a).unwrap_or_default());
    }
    let first_line = text.lines().map(str::trim).find(|l| !l.is_empty());
    assert_eq!(Some(a.title.as_str()), first_line);
    assert_eq!(a.byline.as_deref(), Some("Geoffrey Clarfield"));
    assert_eq!(a.authors, vec!["Tirza Shorr".to_string()]);
    assert_eq!(
        a.source.name.as_deref(),
        Some("Jerusalem Center for Security and Foreign Affairs")
    );
    assert_eq!(a.source.url, None);

    // Counted by hand from the file: every blank-line break inside the first Summary block and
    // the last Conclusion block falls mid-sentence, so Summary has 3 paragraphs, Conclusion 4.
    assert_summary_and_conclusion(&a, "Maryam Rajavi. (Apa Iceurope/Flickr/CC BY 2.0)");
    assert!(a.paragraphs.iter().all(|p| !p.text.contains("Rajavi")));
    let joined = "anti-monarchists have persisted in their campaigns against him online and off.";
    let p0 = para_with(&a, joined);
    assert!(
        sentences::split(&a.paragraphs[p0].text)
            .iter()
            .any(|r| a.paragraphs[p0].text[r.clone()].ends_with(joined))
    );
    assert_eq!(para_with(&a, "MEK has for decades persisted"), p0);
    assert_eq!(para_with(&a, "and financially compensated prominent"), p0);
    let p = para_with(&a, "but more importantly, must assess");
    assert_eq!(a.paragraphs[p].section.as_deref(), Some("Conclusion"));
    para_with(&a, "Another dissident said his lesson");

    let link_texts: Vec<&str> = a.links.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(
        link_texts,
        vec![
            "Jerusalem Center for Security and Foreign Affairs",
            "accepted honoraria",
            "cultlike nature",
            "Iran",
            "here"
        ]
    );
    assert!(a.links.iter().all(|l| l.url == "#"));
    para_with(&a, "why he accepted honoraria from the");
    for p in &a.paragraphs {
        for gone in ["Read it all", "Posted by", "worth reading", "[", "]("] {
            assert!(!p.text.contains(gone), "{gone:?} in {:?}", p.text);
        }
    }
    assert!(!a.paragraphs.iter().any(|p| p.text.ends_with('—')));
    assert!(
        a.paragraphs
            .last()
            .is_some_and(|p| p.text.ends_with("disaster."))
    );

    assert!(a.summary.sentences.iter().any(|s| s.text.ends_with(joined)));

    assert_eq!(a.quotes.len(), 2, "{:?}", a.quotes);
    let rubin = &a.quotes[0];
    assert!(
        rubin
            .text
            .starts_with("once asked a senior American official")
    );
    assert!(rubin.text.ends_with("would collapse."));
    assert_eq!(rubin.speaker.as_deref(), Some("Rubin"));
    let enemy = &a.quotes[1];
    assert!(enemy.text.starts_with("The enemy of my enemy"));
    assert_eq!(enemy.speaker.as_deref(), Some("Another dissident"));
    for term in [
        "praxis",
        "justice",
        "defensive jihad",
        "freedom fighters",
        "Free Palestine",
    ] {
        assert!(
            a.quotes.iter().all(|q| !q.text.contains(term)),
            "scare quote {term:?} taken as a quotation"
        );
    }
    assert_spans(&a);
}

/// One corpus record: the fields the tests use.
#[derive(serde::Deserialize)]
struct Record {
    id: String,
    title: String,
    text: String,
}

fn corpus_dir() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("READINGROOM_CORPUS_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")
        });
    dir.join("cnndm-dev.jsonl").exists().then_some(dir)
}

fn load(dir: &std::path::Path, file: &str) -> Vec<Record> {
    let Ok(text) = std::fs::read_to_string(dir.join(file)) else {
        return Vec::new();
    };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| match serde_json::from_str(l) {
            Ok(r) => r,
            Err(e) => panic!("bad record in {file}: {e}"),
        })
        .collect()
}

fn corpus_article(r: &Record) -> Result<Article, ParseError> {
    parse_with(
        &r.text,
        &Options {
            title: Some(r.title.clone()),
            ..Options::default()
        },
    )
}

#[test]
fn corpus_articles() {
    let Some(dir) = corpus_dir() else {
        println!("corpus_articles: no corpus (set READINGROOM_CORPUS_DIR); skipped");
        return;
    };
    for file in ["cnndm-dev.jsonl", "news-dev.jsonl"] {
        let records = load(&dir, file);
        let (mut articles, mut quotes, mut speakers, mut summary) = (0, 0, 0, 0);
        for r in &records {
            let a = match corpus_article(r) {
                Ok(a) => a,
                Err(e) => panic!("{}: {e}", r.id),
            };
            assert_spans(&a);
            assert_summary_rules(&a, &a.summary.sentences, &r.id);
            for n in [1, 3, 5] {
                let got = summarize(&a, Length::Sentences(n));
                assert!(!got.is_empty() && got.len() <= n, "{}: {n} sentences", r.id);
                assert_summary_rules(&a, &got, &r.id);
            }
            for budget in [1, 15, 40, 80] {
                let got = summarize(&a, Length::Words(budget));
                let words: usize = got.iter().map(|s| s.text.split_whitespace().count()).sum();
                assert!(
                    !got.is_empty(),
                    "{}: empty summary for {budget} words",
                    r.id
                );
                assert!(
                    words <= budget || got.len() == 1,
                    "{}: {words} words over a budget of {budget}: {got:?}",
                    r.id
                );
                assert_summary_rules(&a, &got, &r.id);
            }
            articles += 1;
            quotes += a.quotes.len();
            speakers += a.quotes.iter().filter(|q| q.speaker.is_some()).count();
            summary += a.summary.sentences.len();
            assert!(!a.summary.sentences.is_empty(), "{}: empty summary", r.id);
        }
        println!(
            "{file}: {articles} articles, {quotes} quotes, {speakers} with a speaker, \
             {summary} summary sentences"
        );
    }
}

/// Prints quotations of the first articles for eyeballing:
/// `READINGROOM_QUOTES=N cargo test corpus_quotes_dump -- --ignored --nocapture`.
#[test]
#[ignore = "prints corpus quotations for inspection"]
fn corpus_quotes_dump() {
    let Some(dir) = corpus_dir() else {
        println!("no corpus");
        return;
    };
    let n: usize = std::env::var("READINGROOM_QUOTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let file =
        std::env::var("READINGROOM_QUOTES_FILE").unwrap_or_else(|_| "cnndm-dev.jsonl".into());
    for r in load(&dir, &file).iter().take(n) {
        let Ok(a) = corpus_article(r) else { continue };
        println!("== {}", r.id);
        for q in &a.quotes {
            println!("  [{}] {:?}", q.speaker.as_deref().unwrap_or("-"), q.text);
        }
    }
}

/// Median time for the whole pipeline per cnndm article; run in release:
/// `cargo test --release -- --ignored --nocapture pipeline_speed`.
#[test]
#[ignore = "timing; run in release"]
fn pipeline_speed() {
    let Some(dir) = corpus_dir() else {
        println!("pipeline_speed: no corpus; skipped");
        return;
    };
    let records = load(&dir, "cnndm-dev.jsonl");
    let mut times = Vec::with_capacity(records.len());
    let mut sink = 0usize;
    for r in &records {
        // Best of a few runs, to keep a busy shared machine out of the figure.
        let mut best = std::time::Duration::MAX;
        for _ in 0..5 {
            let start = std::time::Instant::now();
            let a = corpus_article(r);
            let elapsed = start.elapsed();
            sink += a.map_or(0, |a| a.quotes.len() + a.summary.sentences.len());
            best = best.min(elapsed);
        }
        times.push(best);
    }
    times.sort_unstable();
    let median = times[times.len() / 2];
    let p90 = times[times.len() * 9 / 10];
    println!(
        "pipeline_speed: {} cnndm articles, median {:.1} µs, p90 {:.1} µs, max {:.1} µs (sink {sink})",
        times.len(),
        median.as_secs_f64() * 1e6,
        p90.as_secs_f64() * 1e6,
        times.last().map_or(0.0, |t| t.as_secs_f64() * 1e6),
    );
}

/// Writes extractive summaries of the corpus as JSON lines for ROUGE scoring outside Rust:
/// `READINGROOM_SUMMARY_OUT=/tmp/s.jsonl cargo test --release corpus_summaries_dump -- --ignored`.
/// Each line has the id, the summary and the first three sentences (Lead-3) for comparison.
#[test]
#[ignore = "writes corpus summaries to READINGROOM_SUMMARY_OUT"]
fn corpus_summaries_dump() {
    let (Some(dir), Ok(out)) = (corpus_dir(), std::env::var("READINGROOM_SUMMARY_OUT")) else {
        println!("corpus_summaries_dump: needs the corpus and READINGROOM_SUMMARY_OUT; skipped");
        return;
    };
    // READINGROOM_WEIGHTS="lead_scale=8,centroid=0.5" for tuning.
    let mut weights = Weights::default();
    if let Ok(spec) = std::env::var("READINGROOM_WEIGHTS") {
        for (name, value) in spec.split(',').filter_map(|kv| kv.split_once('=')) {
            let Ok(v) = value.trim().parse::<f32>() else {
                panic!("bad weight {name}={value}");
            };
            let w = &mut weights;
            match name.trim() {
                "centrality" => w.centrality = v,
                "backward" => w.backward = v,
                "centroid" => w.centroid = v,
                "lead" => w.lead = v,
                "lead_scale" => w.lead_scale = v,
                "length" => w.length = v,
                "short_words" => w.short_words = v as usize,
                "long_words" => w.long_words = v as usize,
                "redundancy" => w.redundancy = v,
                "max_similarity" => w.max_similarity = v,
                "min_words" => w.min_words = v as usize,
                "max_words" => w.max_words = v as usize,
                "split_captions" => w.split_captions = v != 0.0,
                other => panic!("unknown weight {other}"),
            }
        }
    }
    let mut lines = String::new();
    for file in ["cnndm-dev.jsonl", "news-dev.jsonl"] {
        for r in load(&dir, file) {
            let Ok(a) = corpus_article(&r) else { continue };
            let picked = summarize_with(&a, Length::Sentences(3), &weights);
            let summary: Vec<&str> = picked.iter().map(|s| s.text.as_str()).collect();
            let lead: Vec<&str> = a
                .paragraphs
                .iter()
                .flat_map(|p| {
                    sentences::split(&p.text)
                        .into_iter()
                        .map(move |r| &p.text[r])
                })
                .take(3)
                .collect();
            let row = serde_json::json!({
                "id": r.id,
                "file": file,
                "summary": summary.join("\n"),
                "lead3": lead.join("\n"),
            });
            lines.push_str(&row.to_string());
            lines.push('\n');
        }
    }
    if let Err(e) = std::fs::write(&out, lines) {
        panic!("cannot write {out}: {e}");
    }
}
