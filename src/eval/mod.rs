//! Evaluating summaries: ROUGE against reference summaries on a JSON-lines corpus, for us and
//! for the Lead-N baseline, with the pipeline's speed. Used by `readingroom eval`; not on the
//! bot's path.

pub mod porter;
pub mod quotes;
pub mod rouge;

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Deserialize;

use crate::article::{self, Length, Options, sentences};
use rouge::{Reference, Scores};

/// One corpus line: `{"id","title","text","reference","source"}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Entry {
    /// The article's id.
    pub id: String,
    /// Its title ("" where the source has none).
    #[serde(default)]
    pub title: String,
    /// The article body.
    pub text: String,
    /// The reference summary, sentences separated by newlines where the source kept them.
    pub reference: String,
    /// Which collection it comes from.
    #[serde(default)]
    pub source: String,
}

/// Mean scores of one system on one source.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The corpus source.
    pub source: String,
    /// `ours` or `lead-N`.
    pub system: String,
    /// Articles scored.
    pub articles: usize,
    /// Mean F1 x 100.
    pub rouge1: f64,
    /// Mean F1 x 100.
    pub rouge2: f64,
    /// Mean summary-level ROUGE-L F1 x 100.
    pub rouge_lsum: f64,
    /// Mean summary length in words.
    pub words: f64,
    /// Median microseconds per article (parse and summarise), for `ours` only.
    pub median_micros: Option<f64>,
}

/// A summary produced for one article, for inspection or for an outside scorer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Candidate {
    /// The article's id.
    pub id: String,
    /// `source/system`.
    pub group: String,
    /// The reference.
    pub reference: String,
    /// The summary, one sentence per line.
    pub summary: String,
}

/// The first `n` sentences of the body: the Lead-N baseline.
pub fn lead(article: &article::Article, n: usize) -> Vec<String> {
    article
        .paragraphs
        .iter()
        .flat_map(|p| {
            sentences::split(&p.text)
                .into_iter()
                .map(move |r| p.text[r].to_owned())
        })
        .take(n)
        .collect()
}

#[derive(Default)]
struct Acc {
    n: usize,
    sums: [f64; 4],
    micros: Vec<f64>,
}

impl Acc {
    fn add(&mut self, scores: Scores, summary: &[String]) {
        self.n += 1;
        self.sums[0] += scores.rouge1;
        self.sums[1] += scores.rouge2;
        self.sums[2] += scores.rouge_lsum;
        self.sums[3] += summary
            .iter()
            .map(|s| s.split_whitespace().count())
            .sum::<usize>() as f64;
    }

    fn row(mut self, source: &str, system: &str) -> Row {
        let n = self.n.max(1) as f64;
        self.micros.sort_by(f64::total_cmp);
        Row {
            source: source.to_owned(),
            system: system.to_owned(),
            articles: self.n,
            rouge1: 100.0 * self.sums[0] / n,
            rouge2: 100.0 * self.sums[1] / n,
            rouge_lsum: 100.0 * self.sums[2] / n,
            words: self.sums[3] / n,
            median_micros: (!self.micros.is_empty()).then(|| self.micros[self.micros.len() / 2]),
        }
    }
}

/// Summarises every entry with our summarizer and with Lead-N (N = the sentence count, or 3
/// under a word budget) and scores both, per source. Also returns the candidates.
pub fn evaluate(entries: &[Entry], length: Length) -> (Vec<Row>, Vec<Candidate>) {
    let lead_n = match length {
        Length::Sentences(n) => n,
        Length::Words(_) => article::DEFAULT_SUMMARY_SENTENCES,
    };
    let lead_name = format!("lead-{lead_n}");
    let mut accs: BTreeMap<(String, &str), Acc> = BTreeMap::new();
    let mut candidates = Vec::with_capacity(entries.len() * 2);
    for entry in entries {
        let options = Options {
            title: Some(entry.title.clone()),
            summary_sentences: lead_n,
        };
        let started = Instant::now();
        let parsed = article::parse_with(&entry.text, &options);
        let ours: Vec<String> = match &parsed {
            // Ingestion's own summary is the one to score when it is extractive and of the
            // asked length; summarising again would time the summarizer twice.
            Ok(article)
                if matches!(length, Length::Sentences(_))
                    && article.summary.kind == article::SummaryKind::Extractive =>
            {
                article
                    .summary
                    .sentences
                    .iter()
                    .map(|s| s.text.clone())
                    .collect()
            }
            Ok(article) => article::summarize(article, length)
                .into_iter()
                .map(|s| s.text)
                .collect(),
            Err(_) => Vec::new(),
        };
        let micros = started.elapsed().as_secs_f64() * 1e6;
        let baseline = parsed.as_ref().map(|a| lead(a, lead_n)).unwrap_or_default();
        let reference = Reference::new(&entry.reference);
        for (system, summary) in [("ours", ours), (lead_name.as_str(), baseline)] {
            let joined = summary.join("\n");
            let acc = accs.entry((entry.source.clone(), system)).or_default();
            acc.add(reference.score(&joined), &summary);
            if system == "ours" {
                acc.micros.push(micros);
            }
            candidates.push(Candidate {
                id: entry.id.clone(),
                group: format!("{}/{system}", entry.source),
                reference: entry.reference.clone(),
                summary: joined,
            });
        }
    }
    let rows = accs
        .into_iter()
        .map(|((source, system), acc)| acc.row(&source, system))
        .collect();
    (rows, candidates)
}

/// The rows as a plain-text table.
pub fn table(rows: &[Row]) -> String {
    let mut out = format!(
        "{:<18} {:<8} {:>5} {:>7} {:>7} {:>7} {:>6} {:>11}\n",
        "source", "system", "n", "R-1", "R-2", "R-Lsum", "words", "µs/article"
    );
    for row in rows {
        out.push_str(&format!(
            "{:<18} {:<8} {:>5} {:>7.2} {:>7.2} {:>7.2} {:>6.1} {:>11}\n",
            row.source,
            row.system,
            row.articles,
            row.rouge1,
            row.rouge2,
            row.rouge_lsum,
            row.words,
            row.median_micros
                .map_or_else(|| "-".to_owned(), |m| format!("{m:.0}")),
        ));
    }
    out
}
