//! ROUGE-1, ROUGE-2 and summary-level ROUGE-L ("rougeLsum") F1, computed
//! exactly as Google's Python `rouge-score` package (0.1.2) does with
//! `RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True)`.
//!
//! # Tokenisation
//! The text is lower-cased (full Unicode lower-casing, as Python's
//! `str.lower`), every character outside `[a-z0-9]` becomes a separator, and
//! every token longer than three characters is stemmed with NLTK's Porter
//! stemmer (see [`super::porter`]). Non-ASCII letters and digits are
//! therefore separators, as in `rouge-score`; only the rare characters whose
//! lower case is ASCII (the Kelvin sign, dotted capital I) yield letters.
//!
//! # Scores
//! * ROUGE-N (N = 1, 2): clipped n-gram overlap over the whole text
//!   (n-grams run across line breaks); precision = overlap / candidate
//!   n-grams, recall = overlap / reference n-grams, each denominator at least 1.
//! * ROUGE-Lsum: both texts are split on `'\n'` into sentences (empty lines
//!   dropped). For each reference sentence, one longest common subsequence is
//!   read out against every candidate sentence (with `rouge-score`'s
//!   tie-breaking), the union of their reference positions is taken, and each
//!   token in that union counts as a hit while both the reference and the
//!   candidate still have unused occurrences of it (ROUGE 1.5.5's guard
//!   against double counting). Precision = hits / candidate tokens, recall =
//!   hits / reference tokens.
//! * F1 = 2PR / (P + R), or 0 when P + R = 0. The arithmetic follows the
//!   Python code operation for operation, so the scores are bit-identical.
//!
//! Pass summaries with one sentence per line to get the ROUGE-Lsum that papers
//! report. [`Reference`] tokenises a reference once so that it can score
//! several candidate summaries.
//!
//! ```text
//! let s = score("the cat sat\non the mat", "the cat sat on the mat");
//! // s.rouge1 == 1.0, s.rouge2 == 1.0, s.rouge_lsum == 1.0
//! ```

use std::collections::HashMap;

use super::porter;

/// ROUGE F1 scores of one candidate summary against one reference, each in
/// `[0, 1]`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Scores {
    /// ROUGE-1 F1 (unigram overlap).
    pub rouge1: f64,
    /// ROUGE-2 F1 (bigram overlap).
    pub rouge2: f64,
    /// Summary-level ROUGE-L F1 ("rougeLsum"), sentences split on `'\n'`.
    pub rouge_lsum: f64,
}

/// Splits `text` into ROUGE tokens: lower-cased, split on every character
/// outside `[a-z0-9]`, and Porter-stemmed when longer than three characters.
pub fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    for_each_token(text, |token| tokens.push(token));
    tokens
}

/// Scores `candidate` against `reference`. Sentences are separated by `'\n'`
/// in both (this matters only for ROUGE-Lsum).
pub fn score(reference: &str, candidate: &str) -> Scores {
    Reference::new(reference).score(candidate)
}

/// Feeds each token of `text` (see [`tokenize`]) to `emit`.
fn for_each_token(text: &str, mut emit: impl FnMut(String)) {
    let mut current = String::new();
    let mut flush = |current: &mut String| {
        if current.is_empty() {
            return;
        }
        let token = if current.len() > 3 {
            porter::stem(current)
        } else {
            current.clone()
        };
        current.clear();
        // rouge-score drops anything that is not a non-empty [a-z0-9]+ token.
        if !token.is_empty()
            && token
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            emit(token);
        }
    };
    for c in text.chars() {
        if c.is_ascii() {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                current.push(c);
            } else {
                flush(&mut current);
            }
        } else {
            for c in c.to_lowercase() {
                if c.is_ascii_lowercase() || c.is_ascii_digit() {
                    current.push(c);
                } else {
                    flush(&mut current);
                }
            }
        }
    }
    flush(&mut current);
}

/// The non-empty lines of `text`, as `rouge-score` splits summaries for
/// ROUGE-Lsum (a line of only punctuation is kept, with no tokens).
fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n').filter(|line| !line.is_empty())
}

/// Token id given to candidate tokens that never occur in the reference.
const UNKNOWN: u32 = u32::MAX;

/// A reference summary tokenised once, to score any number of candidates.
#[derive(Debug, Clone, Default)]
pub struct Reference {
    /// Token text -> dense id.
    vocab: HashMap<String, u32>,
    /// Token ids per non-empty line.
    sentences: Vec<Vec<u32>>,
    /// Number of tokens in the whole reference.
    len: usize,
    /// Occurrences of each token id.
    unigrams: Vec<u32>,
    /// Occurrences of each bigram (runs across line breaks).
    bigrams: HashMap<(u32, u32), u32>,
}

impl Reference {
    /// Tokenises `reference` (sentences separated by `'\n'`).
    pub fn new(reference: &str) -> Self {
        let mut vocab: HashMap<String, u32> = HashMap::new();
        let mut unigrams: Vec<u32> = Vec::new();
        let mut sentences = Vec::new();
        for line in lines(reference) {
            let mut ids = Vec::new();
            for_each_token(line, |token| {
                let next = u32::try_from(vocab.len()).unwrap_or(UNKNOWN - 1);
                let id = *vocab.entry(token).or_insert(next);
                if let Some(count) = unigrams.get_mut(id as usize) {
                    *count = count.saturating_add(1);
                } else {
                    unigrams.push(1);
                }
                ids.push(id);
            });
            sentences.push(ids);
        }
        let mut bigrams = HashMap::new();
        let mut previous = None;
        for &id in sentences.iter().flatten() {
            if let Some(p) = previous {
                let count = bigrams.entry((p, id)).or_insert(0u32);
                *count = count.saturating_add(1);
            }
            previous = Some(id);
        }
        let len = sentences.iter().map(Vec::len).sum();
        Reference {
            vocab,
            sentences,
            len,
            unigrams,
            bigrams,
        }
    }

    /// Number of tokens in the reference.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the reference has no tokens at all (every score is then 0).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Scores `candidate` (sentences separated by `'\n'`) against this
    /// reference.
    pub fn score(&self, candidate: &str) -> Scores {
        let cand_sentences: Vec<Vec<u32>> = lines(candidate)
            .map(|line| {
                let mut ids = Vec::new();
                for_each_token(line, |token| {
                    ids.push(self.vocab.get(&token).copied().unwrap_or(UNKNOWN));
                });
                ids
            })
            .collect();
        let cand_len: usize = cand_sentences.iter().map(Vec::len).sum();

        // Occurrences of each reference token in the candidate.
        let mut cand_unigrams = vec![0u32; self.unigrams.len()];
        for &id in cand_sentences.iter().flatten() {
            if let Some(count) = cand_unigrams.get_mut(id as usize) {
                *count = count.saturating_add(1);
            }
        }

        let overlap1: u64 = self
            .unigrams
            .iter()
            .zip(&cand_unigrams)
            .map(|(&r, &c)| u64::from(r.min(c)))
            .sum();
        let rouge1 = ngram_f1(overlap1, self.len, cand_len);

        let mut cand_bigrams: HashMap<(u32, u32), u32> = HashMap::new();
        let mut previous = None;
        for &id in cand_sentences.iter().flatten() {
            if let Some(p) = previous
                && p != UNKNOWN
                && id != UNKNOWN
            {
                let count = cand_bigrams.entry((p, id)).or_insert(0);
                *count = count.saturating_add(1);
            }
            previous = Some(id);
        }
        let overlap2: u64 = self
            .bigrams
            .iter()
            .map(|(bigram, &r)| u64::from(r.min(cand_bigrams.get(bigram).copied().unwrap_or(0))))
            .sum();
        let rouge2 = ngram_f1(
            overlap2,
            self.len.saturating_sub(1),
            cand_len.saturating_sub(1),
        );

        let rouge_lsum = self.summary_level_lcs(&cand_sentences, cand_len, cand_unigrams);

        Scores {
            rouge1,
            rouge2,
            rouge_lsum,
        }
    }

    /// Summary-level LCS F1 (`_summary_level_lcs` in rouge-score).
    fn summary_level_lcs(
        &self,
        cand_sentences: &[Vec<u32>],
        cand_len: usize,
        mut cand_counts: Vec<u32>,
    ) -> f64 {
        if self.sentences.is_empty() || cand_sentences.is_empty() || self.len == 0 || cand_len == 0
        {
            return 0.0;
        }
        let mut ref_counts = self.unigrams.clone();
        let mut table = Vec::new();
        let mut in_union = Vec::new();
        let mut hits: usize = 0;
        for ref_sentence in &self.sentences {
            in_union.clear();
            in_union.resize(ref_sentence.len(), false);
            for cand_sentence in cand_sentences {
                mark_lcs(ref_sentence, cand_sentence, &mut table, &mut in_union);
            }
            for (&id, _) in ref_sentence
                .iter()
                .zip(&in_union)
                .filter(|(_, in_lcs)| **in_lcs)
            {
                let index = id as usize;
                if let (Some(c), Some(r)) = (cand_counts.get_mut(index), ref_counts.get_mut(index))
                    && *c > 0
                    && *r > 0
                {
                    hits += 1;
                    *c -= 1;
                    *r -= 1;
                }
            }
        }
        let recall = hits as f64 / self.len as f64;
        let precision = hits as f64 / cand_len as f64;
        f1(precision, recall)
    }
}

/// F1 of an n-gram overlap, with rouge-score's `max(count, 1)` denominators.
fn ngram_f1(overlap: u64, ref_count: usize, cand_count: usize) -> f64 {
    let precision = overlap as f64 / cand_count.max(1) as f64;
    let recall = overlap as f64 / ref_count.max(1) as f64;
    f1(precision, recall)
}

/// Harmonic mean, as `rouge_score.scoring.fmeasure`.
fn f1(precision: f64, recall: f64) -> f64 {
    if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    }
}

/// Marks in `in_union` the positions of `reference` in the one LCS with
/// `candidate` that rouge-score's `_backtrack_norec` reads out. `table` is a
/// reusable buffer.
fn mark_lcs(reference: &[u32], candidate: &[u32], table: &mut Vec<u32>, in_union: &mut [bool]) {
    let rows = reference.len();
    let cols = candidate.len();
    if rows == 0 || cols == 0 {
        return;
    }
    let width = cols + 1;
    table.clear();
    table.resize((rows + 1) * width, 0);
    for (i, &r) in reference.iter().enumerate() {
        for (j, &c) in candidate.iter().enumerate() {
            let value = if r == c {
                table[i * width + j] + 1
            } else {
                table[i * width + j + 1].max(table[(i + 1) * width + j])
            };
            table[(i + 1) * width + j + 1] = value;
        }
    }
    // Backtrack from the bottom-right corner with the same tie-breaking.
    let (mut i, mut j) = (rows, cols);
    while i > 0 && j > 0 {
        if reference[i - 1] == candidate[j - 1] {
            if let Some(flag) = in_union.get_mut(i - 1) {
                *flag = true;
            }
            i -= 1;
            j -= 1;
        } else if table[i * width + j - 1] > table[(i - 1) * width + j] {
            j -= 1;
        } else {
            i -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_close(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() < 1e-12,
            "expected {expected}, got {actual}"
        );
    }

    fn toks(text: &str) -> Vec<String> {
        tokenize(text)
    }

    #[test]
    fn tokenize_punctuation_and_digits() {
        assert_eq!(
            toks("Hello, World! It's 2024-05-01."),
            ["hello", "world", "it", "s", "2024", "05", "01"]
        );
    }

    #[test]
    fn tokenize_non_ascii_is_a_separator() {
        // Accented letters split words; the Kelvin sign lower-cases to 'k';
        // non-ASCII digits are separators; dotted capital I gives "i" + U+0307.
        assert_eq!(
            toks("Café naïve Straße \u{130}stanbul 5\u{212A} \u{2460}\u{663}x"),
            ["caf", "na", "ve", "stra", "e", "i", "stanbul", "5k", "x"]
        );
        assert_eq!(toks("\u{c0}B\u{130}\u{130}"), ["bi", "i"]);
    }

    #[test]
    fn tokenize_stems_only_tokens_longer_than_three() {
        assert_eq!(toks("Running dogs was ties"), ["run", "dog", "was", "tie"]);
    }

    #[test]
    fn tokenize_empty_and_blank() {
        assert!(toks("").is_empty());
        assert!(toks("  \n \t ").is_empty());
        assert!(toks("...!!!\u{2014}").is_empty());
    }

    // Expected values below were computed by hand and confirmed with
    // rouge-score 0.1.2 (RougeScorer(['rouge1','rouge2','rougeLsum'],
    // use_stemmer=True)).

    #[test]
    fn single_sentence() {
        // Overlap: the x2, cat, on, mat = 5 of 6 unigrams; the-cat, on-the,
        // the-mat = 3 of 5 bigrams; LCS "the cat on the mat" = 5.
        let s = score("the cat sat on the mat", "the cat lay on the mat");
        assert_close(s.rouge1, 5.0 / 6.0);
        assert_close(s.rouge2, 0.6);
        assert_close(s.rouge_lsum, 5.0 / 6.0);
    }

    #[test]
    fn union_lcs_example_from_the_rouge_paper() {
        // Reference r = aa bb cc dd ee, candidate sentences c1 = aa bb ff gg hh
        // and c2 = aa cc hh ii ee: LCS(r, c1) = aa bb, LCS(r, c2) = aa cc ee,
        // union = aa bb cc ee: 4 hits, R = 4/5, P = 4/10, F = 8/15.
        // Bigrams: only aa-bb of 4 reference and 9 candidate bigrams: F = 2/13.
        let s = score("aa bb cc dd ee", "aa bb ff gg hh\naa cc hh ii ee");
        assert_close(s.rouge1, 8.0 / 15.0);
        assert_close(s.rouge2, 2.0 / 13.0);
        assert_close(s.rouge_lsum, 8.0 / 15.0);
    }

    #[test]
    fn lsum_does_not_count_a_token_twice() {
        // Both reference sentences match the candidate, but its two tokens
        // can be used once only: 2 hits, R = 2/4, P = 2/2.
        let s = score("aa bb\naa bb", "aa bb");
        assert_close(s.rouge1, 2.0 / 3.0);
        assert_close(s.rouge2, 0.5);
        assert_close(s.rouge_lsum, 2.0 / 3.0);
    }

    #[test]
    fn lsum_follows_rouge_score_tie_breaking() {
        // LCS("aa bb", "bb aa") has length 1; rouge-score's backtracking
        // reads out "aa", so the union with LCS("aa bb", "aa") is {aa}:
        // 1 hit, R = 1/2, P = 1/3, F = 0.4 (not 0.8).
        let s = score("aa bb", "bb aa\naa");
        assert_close(s.rouge1, 0.8);
        assert_close(s.rouge2, 0.0);
        assert_close(s.rouge_lsum, 0.4);
        let s = score("aa bb", "aa\nbb aa");
        assert_close(s.rouge2, 2.0 / 3.0);
        assert_close(s.rouge_lsum, 0.4);
    }

    #[test]
    fn stemming_and_sentences() {
        let s = score(
            "The dogs were running.\nCats sleep.",
            "A dog runs!\nThe cats slept.",
        );
        assert_close(s.rouge1, 4.0 / 6.0);
        assert_close(s.rouge2, 0.0);
        assert_close(s.rouge_lsum, 4.0 / 6.0);
    }

    #[test]
    fn identical_texts_score_one() {
        let text = "One sentence here.\nAnd a second one, with 3 numbers.";
        let s = score(text, text);
        assert_eq!(
            s,
            Scores {
                rouge1: 1.0,
                rouge2: 1.0,
                rouge_lsum: 1.0
            }
        );
    }

    #[test]
    fn empty_inputs_score_zero() {
        let zero = Scores::default();
        for (r, c) in [
            ("", ""),
            ("aa", ""),
            ("", "aa"),
            ("...\naa", "!!!"),
            ("\n\n", "aa\n\n"),
        ] {
            assert_eq!(score(r, c), zero, "score({r:?}, {c:?})");
        }
    }

    #[test]
    fn reference_reused_across_candidates() {
        let reference = Reference::new("the cat sat on the mat");
        assert_eq!(reference.len(), 6);
        assert!(!reference.is_empty());
        assert_eq!(
            reference.score("the cat lay on the mat"),
            score("the cat sat on the mat", "the cat lay on the mat")
        );
        assert_eq!(reference.score("aa bb"), Scores::default());
        assert!(Reference::new(" \n").is_empty());
    }

    #[test]
    fn never_panics_and_stays_in_range() {
        // Deterministic pseudo-random strings over a mixed alphabet.
        let alphabet: Vec<char> = "ab yeslinogtd\n .,'\u{e9}\u{130}\u{212A}9\u{4e2d}\u{1f600}"
            .chars()
            .collect();
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..300 {
            let mut make = |len: u64| -> String {
                (0..len)
                    .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                    .collect()
            };
            let (r, c) = (make(60), make(60));
            let s = score(&r, &c);
            for v in [s.rouge1, s.rouge2, s.rouge_lsum] {
                assert!((0.0..=1.0).contains(&v), "{v} for {r:?} / {c:?}");
            }
        }
    }
}
