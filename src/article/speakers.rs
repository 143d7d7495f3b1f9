//! Who said it: the speaker of a quotation, from the speech verb next to it.
//!
//! The subject beside a speech verb in the quotation's sentence is the speaker: before the
//! quotation ("Ada Quill said: ..."), after it ("..., said Ada Quill", "..., Ada Quill said"),
//! or anywhere earlier in the clause ("Quill writes that she ..."). Names are runs of capitalised
//! words with titles dropped; noun phrases ("A spokesman for the firm") are kept verbatim and
//! short; a pronoun is resolved to the subject of the sentences just before it, else to the
//! last speaker.

use std::ops::Range;

use super::Paragraph;
use super::lexicon::{MONTHS, WEEKDAYS};
use super::meta::{find_ci, looks_like_person, strip_prefix_ci};

/// Who a quotation's attribution names.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Who {
    /// A name or a short noun phrase, as the text gives it.
    Name(String),
    /// He, she, they or it: to be resolved to an earlier name.
    Pronoun,
    /// A definite description of someone named before ("the 19-year-old Scot", "the club
    /// president"): the person just named if there is one, else the description itself.
    Definite(String),
    /// I, we, you: the writer or an unnamed crowd.
    Unknown,
}

/// A quotation's attribution.
#[derive(Debug)]
pub(super) struct Attribution {
    pub who: Who,
    /// The speech verb stands right next to the quotation.
    pub adjacent: bool,
}

/// Verbs of speech.
#[rustfmt::skip]
const VERBS: &[&str] = &[
    "said", "says", "told", "tells", "wrote", "writes", "added", "adds", "explained", "explains",
    "asked", "asks", "argued", "argues", "noted", "commented", "stated", "recalled", "recalls",
    "insisted", "insists", "warned", "warns", "claimed", "declared", "declares", "admitted",
    "admits", "replied", "continued", "continues", "joked", "tweeted", "posted", "announced",
    "announces", "acknowledged", "acknowledges", "confirmed", "confirms", "revealed", "reveals",
    "suggested", "suggests", "urged", "urges", "conceded", "concedes", "stressed", "stresses",
    "remarked", "responded", "responds", "observed", "observes", "shouted", "screamed",
    "whispered", "cried", "exclaimed", "predicted", "predicts", "promised", "promises", "boasted",
    "boasts", "quipped", "quips", "mused", "muses", "wondered", "agreed", "agrees", "complained",
    "complains", "pleaded", "begged", "yelled", "sang", "laughed", "sighed", "interjected",
    "testified", "wrote", "emphasised", "emphasized", "maintained", "maintains", "countered",
    "counters", "blasted", "raged", "fumed", "gushed", "raved", "recounted", "remembered",
    "reflected", "reiterated", "quoted", "texted", "messaged", "emailed",
];
/// Verbs that attribute speech only right next to it ("he continued: '...'"); elsewhere in a
/// sentence they mean something else ("they continued to try ...").
#[rustfmt::skip]
const ADJACENT_ONLY: &[&str] = &[
    "continued", "continues", "agreed", "agrees", "observed", "observes", "confirmed", "confirms",
    "promised", "promises", "predicted", "predicts", "cried", "sang", "laughed", "sighed",
    "remembered", "reflected", "maintained", "maintains", "read", "reads", "posted", "posts",
    "asked", "asks", "begged", "pleaded", "acknowledged", "acknowledges",
];
/// Verbs of speech that double as nouns ("the claims"): they count only right after a name or
/// a pronoun.
#[rustfmt::skip]
const WEAK_VERBS: &[&str] = &[
    "say", "tell", "write", "notes", "comments", "states", "claims", "replies", "jokes", "tweets",
    "posts", "reads", "remarks", "explain", "add", "ask",
];
/// Participles that report speech for the clause's subject ("Ada Quill issued a statement
/// saying ...").
#[rustfmt::skip]
const PARTICIPLES: &[&str] = &[
    "saying", "adding", "writing", "telling", "explaining", "insisting", "noting", "warning",
    "claiming", "arguing", "stating", "declaring", "asking", "replying", "tweeting",
];

/// Whether `word` (punctuation around it ignored) is a speech verb, and which kind.
fn verb_kind(word: &str) -> Option<VerbKind> {
    let w = word.trim_matches(|c: char| !c.is_alphanumeric());
    if w.is_empty() || w.len() > 14 {
        return None;
    }
    let lower = w.to_ascii_lowercase();
    let l = lower.as_str();
    if VERBS.contains(&l) {
        Some(VerbKind::Finite)
    } else if WEAK_VERBS.contains(&l) {
        Some(VerbKind::Weak)
    } else if PARTICIPLES.contains(&l) {
        Some(VerbKind::Participle)
    } else {
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum VerbKind {
    /// "said", "wrote": a verb wherever it stands.
    Finite,
    /// "notes", "claims": a verb only right after its subject.
    Weak,
    /// "saying": the speaker is the subject of the clause.
    Participle,
}

/// Pronouns that can stand for a speaker.
const PRONOUNS: &[&str] = &["he", "she", "they", "i", "we", "you", "it"];

/// Titles dropped from the front of a speaker's name, so "President Ada Quill" and "Ada Quill"
/// are the same speaker.
#[rustfmt::skip]
const TITLES: &[&str] = &[
    "mr", "mrs", "ms", "miss", "dr", "prof", "professor", "sir", "dame", "lord", "lady",
    "president", "vice", "prime", "minister", "chancellor", "secretary", "senator", "sen",
    "governor", "gov", "rep", "representative", "congressman", "congresswoman", "mayor", "judge",
    "justice", "general", "gen", "colonel", "col", "captain", "capt", "lieutenant", "lt",
    "sergeant", "sgt", "officer", "detective", "det", "inspector", "chief", "superintendent",
    "supt", "coach", "manager", "boss", "chairman", "chairwoman", "director", "commissioner",
    "spokesman", "spokeswoman", "spokesperson", "ceo", "rev", "reverend", "father", "sister",
    "brother", "king", "queen", "prince", "princess", "pope", "bishop", "archbishop", "rabbi",
    "imam", "sheikh", "ayatollah", "st", "saint", "head", "leader", "deputy", "sheriff",
    "ambassador", "attorney", "professor", "dean", "agent", "constable", "pc", "dc", "di", "dci",
    "dsi", "ds", "mp", "mep", "cllr", "councillor", "councilman", "councilwoman", "striker",
    "midfielder", "defender", "goalkeeper", "forward", "actress", "actor", "singer", "star",
    "resident", "witness", "neighbour", "neighbor", "local", "student", "teacher", "doctor",
    "nurse", "mother", "mum", "dad", "homeowner", "owner", "driver", "passenger", "fan", "victim",
    "survivor", "chef", "author", "writer", "researcher", "analyst", "economist", "expert",
    "lawyer", "pilot", "farmer", "veteran", "volunteer", "activist", "campaigner", "designer",
    "founder", "co-founder", "executive", "president-elect", "candidate", "champion", "winner",
    "player", "youngster", "teenager", "rookie",
];

/// Words that open a noun phrase: a speaker like "the official" or "Another dissident".
#[rustfmt::skip]
const DETERMINERS: &[&str] = &[
    "the", "a", "an", "another", "one", "his", "her", "their", "its", "our", "my", "your", "this",
    "that", "these", "those", "some", "two", "three", "several", "many", "each", "every", "both",
    "other", "no",
];

/// Leading words that are not part of a speaker's name.
#[rustfmt::skip]
const LEADING_NOISE: &[&str] = &[
    "and", "but", "so", "then", "also", "yesterday", "today", "now", "meanwhile", "however",
    "still", "later", "earlier", "last", "in", "on", "at", "when", "after", "before", "while",
    "as", "speaking", "writing", "asked", "since", "though", "although",
];

/// Words that may stand between a subject and its speech verb ("has also said", "was once
/// quoted as saying"), besides weekdays ("said on Monday").
#[rustfmt::skip]
const FILLERS: &[&str] = &[
    "has also said", "has", "have", "had", "was", "is", "were", "are", "would", "will", "also",
    "then", "later", "once", "previously", "recently", "today", "yesterday", "earlier", "did",
    "does", "do", "just", "simply", "further", "then,", "quoted", "as", "been", "being", "being,",
    "publicly", "reportedly", "last", "night", "week", "on", "could", "should", "might", "may",
    "not", "never", "often", "always", "famously", "once,", "ly",
];

fn is_filler(word: &str) -> bool {
    let w = word.to_ascii_lowercase();
    FILLERS.contains(&w.as_str())
        || WEEKDAYS.contains(&w.as_str())
        || (w.len() > 4 && w.ends_with("ly"))
}

/// Word tokens (split on white space) of `text` with their byte ranges.
fn words(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                out.push((s, i));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

/// The sentence range (from `sents`) that contains byte `at`, or an empty range there.
pub(super) fn sentence_of(sents: &[Range<usize>], at: usize) -> Range<usize> {
    sents
        .iter()
        .find(|r| r.start <= at && at < r.end.max(r.start + 1))
        .cloned()
        .unwrap_or(at..at)
}

/// Who the text names as the source of the quotation whose opening mark is at `open` and whose
/// closing mark ends at `close` (if it has one).
pub(super) fn attribute(
    text: &str,
    open: usize,
    close: Option<usize>,
    sents: &[Range<usize>],
) -> Option<Attribution> {
    let open_sentence = sentence_of(sents, open);
    let before = text.get(open_sentence.start..open).unwrap_or("");
    // Right before: "X said: '...'", "X told reporters '...'".
    if let Some(who) = before_adjacent(before) {
        return Some(Attribution {
            who,
            adjacent: true,
        });
    }
    if let Some(close) = close {
        let close_sentence = sentence_of(sents, close.saturating_sub(1));
        let mut end = close_sentence.end.max(close);
        // Stop at the next quotation: its attribution is its own.
        let next_open = text[close..end].char_indices().find(|&(i, c)| {
            matches!(c, '"' | '“' | '‘' | '\'')
                && text[close..close + i].ends_with(char::is_whitespace)
        });
        if let Some((i, _)) = next_open
            && text[close..close + i].trim().len() > 1
        {
            end = close + i;
        }
        let after = text.get(close..end).unwrap_or("");
        if let Some(who) = after_adjacent(after) {
            return Some(Attribution {
                who,
                adjacent: true,
            });
        }
    }
    before_clause(before).map(|who| Attribution {
        who,
        adjacent: false,
    })
}

/// `before` ends with a speech verb, maybe followed by a colon or comma, a short object ("told
/// reporters"), or a phrase closed by a colon ("said in a statement:").
fn before_adjacent(before: &str) -> Option<Who> {
    let full = before.trim_end();
    let punctuated = full.ends_with([':', ',']);
    let t = full.trim_end_matches([':', ',', '—', '–', '-']).trim_end();
    let ws = words(t);
    let n = ws.len();
    for back in 1..=n.min(5) {
        let (s, e) = ws[n - back];
        let Some(kind) = verb_kind(&t[s..e]) else {
            continue;
        };
        // Between the verb and the quotation only a short object may stand ("told the BBC"),
        // unless a colon or comma closes it ("said in a statement:").
        let object = &t[e..];
        let object_ok = object.split_whitespace().all(|w| {
            is_capitalised(w)
                || matches!(
                    w.to_ascii_lowercase().as_str(),
                    "reporters" | "journalists" | "me" | "us" | "him" | "her" | "them" | "the"
                )
        });
        if back > 1 && !punctuated && !(back <= 3 && object_ok) {
            return None;
        }
        return subject_for(&t[..s], kind);
    }
    None
}

/// Anywhere in the clause before the quotation: "Rubin writes that he '...'", "Another
/// dissident said his lesson ... would be: '...'".
fn before_clause(before: &str) -> Option<Who> {
    if let Some(i) = find_ci(before, "according to ") {
        let after = &before[i + "according to ".len()..];
        return np_after(after);
    }
    let ws = words(before);
    for &(s, e) in ws.iter().rev() {
        let w = &before[s..e];
        if ADJACENT_ONLY.iter().any(|v| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .eq_ignore_ascii_case(v)
        }) {
            continue;
        }
        if let Some(kind) = verb_kind(w)
            && let Some(who) = subject_for(&before[..s], kind)
        {
            return Some(who);
        }
    }
    None
}

/// Words that cannot open the subject of an attribution after a quotation.
#[rustfmt::skip]
const NOT_A_SUBJECT: &[&str] = &[
    "to", "with", "in", "on", "at", "for", "from", "by", "of", "because", "as", "and", "but",
    "or", "after", "before", "since", "while", "when", "if", "than", "about", "into", "over",
    "under", "through", "is", "was", "are", "were", "that", "which",
];

/// After the closing mark: ", X said", ", said X", " according to X", ", X, a spokesman, said".
fn after_adjacent(after: &str) -> Option<Who> {
    let a =
        after.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, ',' | '—' | '–' | '-'));
    if a.is_empty() {
        return None;
    }
    if let Some(rest) = strip_prefix_ci(a, "according to ") {
        return np_after(rest);
    }
    let ws = words(a);
    let first = ws.first().map(|&(s, e)| &a[s..e])?;
    if verb_kind(first) == Some(VerbKind::Finite) {
        let rest = &a[ws[0].1..];
        return np_after(rest);
    }
    // Subject then verb: walk the subject (with an optional appositive between commas) until a
    // speech verb; give up after a few words. A subject starts with a name, a pronoun or a
    // determiner, never with a preposition ("... to the issue because they said").
    let first_lower = first.to_ascii_lowercase();
    if NOT_A_SUBJECT.contains(&first_lower.as_str()) {
        return None;
    }
    let mut i = 0;
    let mut in_apposition = false;
    let mut subject_end = None;
    let mut fillers = 0;
    while i < ws.len() && i < 24 {
        let (s, e) = ws[i];
        let w = &a[s..e];
        if in_apposition {
            if w.ends_with(',') {
                in_apposition = false;
            }
            i += 1;
            continue;
        }
        if let Some(kind) = verb_kind(w) {
            if kind == VerbKind::Participle && fillers == 0 {
                return None;
            }
            if kind == VerbKind::Weak && i > 0 {
                // "remarks", "notes": a verb only right after a name or pronoun.
                let prev = &a[ws[i - 1].0..ws[i - 1].1];
                let lower = prev.to_ascii_lowercase();
                let names_speaker = is_capitalised(prev) && !prev.ends_with("'s");
                if !names_speaker && !PRONOUNS.contains(&lower.as_str()) {
                    return None;
                }
            }
            let end = subject_end.unwrap_or(s);
            let subject = a[..end].trim().trim_end_matches(',');
            // A subject opens on a name, pronoun or determiner, or is a job title before a
            // name ("singer Ada Quill"); "torture and said" has no subject.
            let opens_np = is_capitalised(first)
                || PRONOUNS.contains(&first_lower.as_str())
                || DETERMINERS.contains(&first_lower.as_str())
                || subject.split_whitespace().skip(1).any(is_capitalised);
            if !opens_np {
                return None;
            }
            return classify_subject(subject, true);
        }
        if subject_end.is_some() {
            if is_filler(w) && fillers < 4 {
                fillers += 1;
                i += 1;
                continue;
            }
            return None;
        }
        if w.ends_with(',') {
            // "Julia, who also features ..., explained": the subject ends here.
            subject_end = Some(e - 1);
            in_apposition = true;
        } else if i >= 8 || w.ends_with(['.', ';', ':', '!', '?']) {
            return None;
        } else if i + 1 < ws.len() && verb_kind(&a[ws[i + 1].0..ws[i + 1].1]).is_some() {
            subject_end = Some(e);
        } else if i + 1 < ws.len() && is_filler(&a[ws[i + 1].0..ws[i + 1].1]) && i < 5 {
            let w_lower = w.to_ascii_lowercase();
            if PRONOUNS.contains(&w_lower.as_str()) || is_capitalised(w) || i > 0 {
                subject_end = Some(e);
            }
        }
        i += 1;
    }
    None
}

/// Words that start a new clause after a speaker's name ("said Ada Quill in a statement").
const CLAUSE_AFTER_NAME: &[&str] = &[
    "in",
    "on",
    "at",
    "who",
    "which",
    "that",
    "after",
    "before",
    "when",
    "while",
    "as",
    "during",
    "to",
    "yesterday",
    "today",
    "last",
    "earlier",
    "about",
];

/// The speaker named after an inverted verb or "according to": "said a spokesman for the
/// firm.", "said Ada Quill, the mayor".
fn np_after(rest: &str) -> Option<Who> {
    let rest = rest.trim_start();
    let end = rest
        .find(['.', ',', ';', ':', '!', '?', '(', '"', '“', '—', '–'])
        .unwrap_or(rest.len());
    let phrase = rest[..end].trim();
    let ws = words(phrase);
    if ws.is_empty() {
        return None;
    }
    // Cut at a following clause: "said Ada Quill in a statement", "said the official who ...".
    let mut cut = ws.len();
    for (i, &(s, e)) in ws.iter().enumerate().skip(1) {
        let w = &phrase[s..e];
        if CLAUSE_AFTER_NAME.contains(&w.to_ascii_lowercase().as_str())
            && (i > 1 || !is_capitalised(&phrase[ws[0].0..ws[0].1]))
        {
            cut = i;
            break;
        }
    }
    let ws = &ws[..cut.min(7)];
    let phrase = &phrase[ws[0].0..ws[ws.len() - 1].1];
    classify_subject(phrase, true)
}

/// The subject of a speech verb, from the text before the verb.
fn subject_for(before_verb: &str, kind: VerbKind) -> Option<Who> {
    let t = before_verb.trim_end();
    if kind == VerbKind::Participle {
        // "Ada Quill issued a statement saying ...": the clause's subject speaks.
        return leading_subject(t);
    }
    let ws = words(t);
    let mut n = ws.len();
    let mut fillers = 0;
    while n > 0 && fillers < 4 && is_filler(&t[ws[n - 1].0..ws[n - 1].1]) {
        n -= 1;
        fillers += 1;
    }
    if n == 0 {
        return None;
    }
    let mut t = &t[..ws[n - 1].1];
    if kind == VerbKind::Weak {
        let last = &t[ws[n - 1].0..];
        let lower = last.to_ascii_lowercase();
        if !is_capitalised(last) && !PRONOUNS.contains(&lower.as_str()) {
            return None;
        }
    }
    // A short phrase opened by a determiner that the verb follows directly is the subject,
    // whatever the comma before it closes ("Asked what the rooms should become, one regular
    // said"): an appositive is closed by a comma of its own before the verb.
    if !t.ends_with(',')
        && let Some(c) = t.rfind(',')
        && plain_subject(t[c + 1..].trim())
    {
        return classify_subject(&t[c + 1..], false);
    }
    // Peel appositives off the end: "Ada Quill, 45, from Lowmere, said", "Ada Quill, who runs
    // the mill, said", "the mill's owner, Ada Quill, said", "the firm - which ... - said".
    t = t.trim_end_matches(',').trim_end();
    for dash in [" - ", " – ", " — "] {
        let trimmed = t.trim_end_matches(['-', '–', '—']).trim_end();
        if trimmed.len() < t.len()
            && let Some(d) = trimmed.rfind(dash)
        {
            t = trimmed[..d].trim_end();
        }
    }
    while let Some(c) = t.rfind(',') {
        let segment = t[c + 1..].trim();
        if looks_like_person(segment) && !is_common_capitalised(segment) {
            return Some(Who::Name(clean_name(segment)));
        }
        if !descriptive(segment, &t[..c]) {
            break;
        }
        t = t[..c].trim_end();
    }
    classify_subject(last_clause(t), false)
}

/// A noun phrase of at most four words opened by a determiner, with no possessive ("one
/// regular", "the official"): a subject in itself.
fn plain_subject(segment: &str) -> bool {
    let words: Vec<&str> = segment.split_whitespace().collect();
    words.first().is_some_and(|w| DETERMINERS.contains(w))
        && words.len() <= 4
        && !segment.contains(['\'', '’'])
}

/// An appositive that describes rather than names: "45", "from Lowmere", "who runs the mill",
/// "the mill's owner", or any lower-case phrase after a capitalised name (`head` is the text
/// before the comma).
fn descriptive(segment: &str, head: &str) -> bool {
    const STARTS: &[&str] = &[
        "from", "of", "who", "whose", "which", "aged", "now", "formerly", "also", "based", "in",
        "at", "on", "with", "himself", "herself", "then", "both",
    ];
    let first = segment.split_whitespace().next().unwrap_or("");
    let lower = first.to_ascii_lowercase();
    let head_last = head.split_whitespace().next_back().unwrap_or("");
    first.chars().next().is_some_and(|c| c.is_ascii_digit())
        || STARTS.contains(&lower.as_str())
        || DETERMINERS.contains(&lower.as_str())
        || segment.contains("'s ")
        || segment.contains("’s ")
        || (first.chars().next().is_some_and(char::is_lowercase) && is_capitalised(head_last))
}

/// The part of `t` after the last comma, colon or semicolon: the clause the verb belongs to.
fn last_clause(t: &str) -> &str {
    let start = t.rfind([',', ';', ':', '(']).map_or(0, |i| i + 1);
    t[start..].trim()
}

/// The subject at the start of a clause: a name, a pronoun, or a short noun phrase.
fn leading_subject(t: &str) -> Option<Who> {
    let clause = t.trim();
    let ws = words(clause);
    let mut end = 0;
    for &(s, e) in ws.iter().take(6) {
        let w = &clause[s..e];
        if verb_like(w) || (end > 0 && is_filler(w)) {
            break;
        }
        end = e;
        if w.ends_with(',') {
            break;
        }
    }
    if end == 0 {
        return None;
    }
    classify_subject(clause[..end].trim_end_matches(','), false)
}

/// Rough: a verb-looking word that ends a subject ("issued", "released", "posted").
fn verb_like(w: &str) -> bool {
    let l = w.to_ascii_lowercase();
    l.ends_with("ed")
        || matches!(
            l.as_str(),
            "has" | "had" | "is" | "was" | "made" | "gave" | "took" | "put"
        )
}

/// Turns a subject phrase into a speaker: pronoun, a capitalised name (titles dropped), or a
/// short noun phrase kept verbatim.
fn classify_subject(phrase: &str, after: bool) -> Option<Who> {
    let phrase = phrase
        .trim()
        .trim_matches(|c: char| matches!(c, ',' | '"' | '\'' | '“' | '”' | '‘' | '’'));
    let ws = words(phrase);
    if ws.is_empty() {
        return None;
    }
    let lower_last = phrase[ws[ws.len() - 1].0..ws[ws.len() - 1].1].to_ascii_lowercase();
    if ws.len() == 1 && PRONOUNS.contains(&lower_last.as_str()) {
        return Some(match lower_last.as_str() {
            "i" | "we" | "you" => Who::Unknown,
            _ => Who::Pronoun,
        });
    }
    if let Some(d) = definite_description(phrase) {
        return Some(Who::Definite(d.to_string()));
    }
    // A run of capitalised words at the end of the phrase is the name.
    let mut k = ws.len();
    while k > 0 {
        let w = &phrase[ws[k - 1].0..ws[k - 1].1];
        let particle = is_particle(w) && k < ws.len();
        if (is_capitalised(w) || particle) && !w.ends_with(',')
            || (k == ws.len() && is_capitalised(w))
        {
            k -= 1;
        } else {
            break;
        }
    }
    // Skip leading particles of the run ("de" cannot start a name).
    while k < ws.len() && is_particle(&phrase[ws[k].0..ws[k].1]) {
        k += 1;
    }
    // A run that swallowed a caption ("Masters The Scot") starts again at its determiner.
    if let Some(d) = (k + 1..ws.len()).rev().find(|&i| {
        let w = phrase[ws[i].0..ws[i].1].to_ascii_lowercase();
        matches!(w.as_str(), "the" | "a" | "an")
    }) {
        k = d;
    }
    if k < ws.len() && !phrase[ws[k].0..].contains(|c: char| c.is_ascii_digit()) {
        let run_start = ws[k].0;
        let run = &phrase[run_start..];
        if let Some(d) = definite_description(run) {
            return Some(Who::Definite(d.to_string()));
        }
        let name = strip_name_noise(run);
        if name.chars().any(char::is_alphabetic) && !is_common_capitalised(name) {
            return Some(Who::Name(name.to_string()));
        }
    }
    // After the quotation the name often comes first: "Dr Ada Quill, head of research, said",
    // "Ada Quill's statement said".
    if after {
        let mut k = 0;
        while k < ws.len() && is_capitalised(&phrase[ws[k].0..ws[k].1]) {
            k += 1;
            if phrase[ws[k - 1].0..ws[k - 1].1].ends_with([',', '\'', '’']) {
                break;
            }
        }
        if k > 0 {
            let run = &phrase[ws[0].0..ws[k - 1].1];
            let name = strip_name_noise(run);
            let name = name
                .strip_suffix("'s")
                .or_else(|| name.strip_suffix("’s"))
                .unwrap_or(name);
            if name.chars().any(char::is_alphabetic) && !is_common_capitalised(name) {
                return Some(Who::Name(name.to_string()));
            }
        }
    }
    // A short noun phrase: from a determiner near the end, or the whole phrase when short.
    let limit = ws.len().saturating_sub(8);
    for i in limit..ws.len() {
        let w = phrase[ws[i].0..ws[i].1].to_ascii_lowercase();
        if DETERMINERS.contains(&w.as_str()) {
            let np = &phrase[ws[i].0..];
            if np.split_whitespace().count() >= 2 {
                return Some(Who::Name(np.to_string()));
            }
        }
    }
    // "Van Amersfoot Racing team managing director": an unnamed person by their job.
    if ws.len() <= 8 && TITLES.contains(&lower_last.as_str()) {
        let stripped = strip_leading_noise(phrase);
        if stripped.split_whitespace().count() >= 2 {
            return Some(Who::Name(stripped.to_string()));
        }
    }
    if ws.len() <= 4 {
        let stripped = strip_leading_noise(phrase);
        if stripped.chars().any(char::is_alphabetic) && !is_common_capitalised(stripped) {
            return Some(Who::Name(stripped.to_string()));
        }
    }
    None
}

/// "the 19-year-old Scot", "the Barca president", "the spokesman": "the", at most four more
/// words, and at the end a job title or one capitalised word (a nationality), not a name
/// ("the Home Office" is an organisation).
fn definite_description(phrase: &str) -> Option<&str> {
    let t = strip_leading_noise(phrase);
    let ws: Vec<&str> = t.split_whitespace().collect();
    if !(2..=5).contains(&ws.len()) || !ws[0].eq_ignore_ascii_case("the") {
        return None;
    }
    let last = ws[ws.len() - 1].trim_end_matches(|c: char| !c.is_alphanumeric());
    let before_last = ws[ws.len() - 2];
    let title = TITLES.contains(&last.to_ascii_lowercase().as_str()) && !is_capitalised(last);
    let demonym = is_capitalised(last)
        && (ws.len() == 2 || !is_capitalised(before_last))
        && !before_last.ends_with("'s")
        && !before_last.ends_with("’s");
    (title || demonym).then_some(t)
}

fn is_particle(w: &str) -> bool {
    const P: &[&str] = &[
        "de", "da", "di", "del", "della", "der", "den", "du", "van", "von", "la", "le", "al", "el",
        "bin", "bint", "ibn", "ben", "dos", "das", "y", "ter", "zu",
    ];
    let l = w.to_ascii_lowercase();
    P.contains(&l.as_str()) || l.starts_with("al-") || l.starts_with("el-")
}

fn is_capitalised(w: &str) -> bool {
    w.trim_start_matches(|c: char| !c.is_alphanumeric())
        .chars()
        .next()
        .is_some_and(char::is_uppercase)
}

/// Capitalised words that are not names when they stand alone.
fn is_common_capitalised(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    PRONOUNS.contains(&l.as_str())
        || DETERMINERS.contains(&l.as_str())
        || LEADING_NOISE.contains(&l.as_str())
        || matches!(
            l.as_str(),
            "it" | "there" | "here" | "what" | "who" | "this" | "that" | "if" | "although"
        )
}

/// Drops capitalised function words left at the end of a name run by a lost full stop
/// ("Reading Those").
fn trim_trailing_common(run: &str) -> &str {
    let mut t = run.trim_end_matches(|c: char| !c.is_alphanumeric());
    while let Some((head, last)) = t.rsplit_once(' ') {
        if is_common_capitalised(last) {
            t = head.trim_end_matches(|c: char| !c.is_alphanumeric());
        } else {
            break;
        }
    }
    t
}

/// Drops leading conjunctions, time words, determiners and titles from a name run: "But
/// President Ada Quill" is "Ada Quill".
fn strip_name_noise(run: &str) -> &str {
    let mut t = run.trim();
    loop {
        let (first, rest) = match t.split_once(' ') {
            Some((f, r)) => (f, r.trim_start()),
            None => return t.trim_end_matches(|c: char| !c.is_alphanumeric()),
        };
        let l = first.trim_end_matches('.').to_ascii_lowercase();
        // "Grandmother-of-three Pat": a hyphenated description, not part of the name.
        let descriptor = first.contains('-')
            && first
                .split('-')
                .skip(1)
                .any(|part| part.chars().next().is_some_and(char::is_lowercase))
            && !is_particle(first);
        if LEADING_NOISE.contains(&l.as_str())
            || DETERMINERS.contains(&l.as_str())
            || TITLES.contains(&l.as_str())
            || descriptor
        {
            t = rest;
        } else {
            return trim_trailing_common(t);
        }
    }
}

fn strip_leading_noise(phrase: &str) -> &str {
    let mut t = phrase.trim();
    while let Some((first, rest)) = t.split_once(' ') {
        let l = first.to_ascii_lowercase();
        if LEADING_NOISE.contains(&l.as_str()) {
            t = rest.trim_start();
        } else {
            break;
        }
    }
    t
}

fn clean_name(name: &str) -> String {
    strip_name_noise(name).to_string()
}

/// The speaker a pronoun stands for: the subject of the sentences just before
/// ([`recent_subject`]), else the last named speaker, else a person the text introduced (a
/// titled name, or a full name followed by a verb, comma or possessive), else any full name in
/// the paragraphs just before.
pub(super) fn resolve_pronoun(
    paragraphs: &[Paragraph],
    ranges: &[Vec<Range<usize>>],
    pi: usize,
    at: usize,
    last_speaker: &Option<(usize, usize, String)>,
) -> Option<String> {
    if let Some(name) = recent_subject(paragraphs, ranges, pi, at, last_speaker, true) {
        return Some(name);
    }
    if let Some((_, _, s)) = last_speaker {
        return Some(s.clone());
    }
    let floor = last_speaker.as_ref().map_or((0, 0), |(p, o, _)| (*p, *o));
    if let Some(name) = scan_names(paragraphs, pi, at, floor, true) {
        return Some(name);
    }
    if let Some((_, _, s)) = last_speaker {
        return Some(s.clone());
    }
    scan_names(paragraphs, pi, at, (0, 0), false)
}

/// The person a pronoun most likely stands for, from the sentences just before the one at
/// byte `at` of paragraph `pi` (at most three, photo captions counted apart, at most one
/// paragraph back): the first of them that holds the last speaker's quotation gives that
/// speaker, the first that opens on a person's name gives that name ("Pat has been single for
/// years. But now she's found happiness. She said: ..." is Pat's). Sentences that open on a
/// pronoun or on anything else are walked past.
pub(super) fn recent_subject(
    paragraphs: &[Paragraph],
    ranges: &[Vec<Range<usize>>],
    pi: usize,
    at: usize,
    last_speaker: &Option<(usize, usize, String)>,
    mentions: bool,
) -> Option<String> {
    const MAX_SENTENCES: usize = 3;
    let mut seen = 0;
    // Whether a sentence that does not open on a pronoun has been passed: the pronoun chain
    // ends there.
    let mut chain_ended = false;
    let mut pieces = Vec::new();
    for p in (pi.saturating_sub(1)..=pi).rev() {
        let text = paragraphs.get(p)?.text.as_str();
        let sents = ranges.get(p).map_or(&[][..], Vec::as_slice);
        let end = if p == pi { at } else { text.len() };
        for r in sents.iter().rev().filter(|r| r.start < end) {
            pieces.clear();
            super::sentences::caption_pieces(text, r.clone(), &mut pieces);
            for piece in pieces.iter().rev() {
                if piece.start >= end || piece.contains(&at) && p == pi {
                    // The quotation's own sentence holds its attribution, not an antecedent.
                    continue;
                }
                seen += 1;
                if seen > MAX_SENTENCES {
                    return None;
                }
                if let Some((sp, so, name)) = last_speaker
                    && *sp == p
                    && piece.contains(so)
                {
                    return Some(name.clone());
                }
                let sentence = &text[piece.clone()];
                // A photo caption (no full stop) describes a picture; it is not what the
                // pronoun continues.
                let complete = sentence
                    .trim_end_matches(['"', '\'', '”', '’', ')'])
                    .ends_with(['.', '!', '?']);
                if !complete {
                    continue;
                }
                if let Some(name) = person_subject(sentence).or_else(|| reported_speaker(sentence))
                {
                    return Some(name);
                }
                // The sentence right before, when it does not go on about the same person
                // (a pronoun), and names someone as the subject of a verb ("Before he jumped,
                // Jo Bo told his friends ..."): that person. For a definite description ("the
                // Scot"), which names someone introduced by name, only a subject counts.
                let first = sentence
                    .split_whitespace()
                    .map(|w| w.trim_end_matches(',').to_ascii_lowercase())
                    .find(|w| !SKIPPED_OPENERS.contains(&w.as_str()))
                    .unwrap_or_default();
                let first = first.trim_end_matches("'s").trim_end_matches("’s");
                if PRONOUNS.contains(&first) || chain_ended {
                    continue;
                }
                chain_ended = true;
                if mentions
                    && let Some(name) = last_person_name(sentence, true)
                    && !name.contains(['\'', '’'])
                {
                    return Some(name);
                }
            }
        }
    }
    None
}

/// The speaker of reported speech that ends a sentence: "..., said an official at the
/// bureau."
fn reported_speaker(sentence: &str) -> Option<String> {
    let i = [", said ", ", says ", ", added "]
        .iter()
        .filter_map(|p| sentence.rfind(p).map(|i| i + p.len()))
        .max()?;
    match np_after(&sentence[i..])? {
        Who::Name(n) | Who::Definite(n) => Some(n),
        _ => None,
    }
}

/// Words before the subject of a sentence: "But now Pat ...".
#[rustfmt::skip]
const SKIPPED_OPENERS: &[&str] = &[
    "and", "but", "so", "then", "now", "yesterday", "today", "meanwhile", "however", "still",
    "also",
];

/// Verbs that show a capitalised run at a sentence start is its subject, besides those of
/// [`verb_after_name`].
#[rustfmt::skip]
const SUBJECT_VERBS: &[&str] = &[
    "set", "put", "says", "insists", "believes", "admits", "claims", "became", "found", "kept",
    "met", "paid", "ran", "quit", "hit", "led", "knew", "thought", "spent", "wrote", "shows",
    "is", "was", "has",
];

/// The person a sentence opens on as its subject, if it does: "Pat, 69, enjoys ...", "But
/// Isobella DeMartino set up ...", "Tevez's manager Tata Martino claims ...". Not a
/// possessive ("McDonald's has ..."), a plural ("Rhodes and Gestede have ..."), a group
/// ("Critics say ...") or a quotation.
fn person_subject(sentence: &str) -> Option<String> {
    if sentence.starts_with(['"', '\'', '“', '‘']) {
        return None;
    }
    let ws = words(sentence);
    let mut i = 0;
    // A caption label: "Row: Critics say ...".
    if let Some(k) = ws
        .iter()
        .take(4)
        .position(|&(s, e)| sentence[s..e].ends_with(':'))
    {
        i = k + 1;
    }
    while i < ws.len() {
        let core = sentence[ws[i].0..ws[i].1]
            .trim_end_matches(',')
            .to_ascii_lowercase();
        if SKIPPED_OPENERS.contains(&core.as_str()) {
            i += 1;
        } else {
            break;
        }
    }
    // "One woman, Victoria Lapete, found ...": the name in apposition.
    if ws
        .get(i)
        .is_some_and(|&(s, e)| DETERMINERS.contains(&sentence[s..e].to_ascii_lowercase().as_str()))
        && let Some(c) =
            (i..ws.len().min(i + 4)).find(|&k| sentence[ws[k].0..ws[k].1].ends_with(','))
        && ws
            .get(c + 1)
            .is_some_and(|&(s, e)| is_capitalised(&sentence[s..e]))
    {
        i = c + 1;
    }
    // "Tevez's international manager Tata Martino": the name after the possessive.
    if ws.get(i).is_some_and(|&(s, e)| {
        let w = &sentence[s..e];
        is_capitalised(w) && (w.ends_with("'s") || w.ends_with("’s"))
    }) {
        i += 1;
        while ws
            .get(i)
            .is_some_and(|&(s, e)| !is_capitalised(&sentence[s..e]) && i < 6)
        {
            i += 1;
        }
    }
    let capital_run = |mut i: usize| {
        let start = i;
        while i < ws.len() {
            let w = &sentence[ws[i].0..ws[i].1];
            if !(is_capitalised(w) || (i > start && is_particle(w))) {
                break;
            }
            i += 1;
            // "Dr. Sanjay Gupta", "J. K. Rowling": the name goes on.
            let title = w.ends_with('.')
                && TITLES.contains(&w.trim_end_matches('.').to_ascii_lowercase().as_str());
            if w.ends_with([',', '.', ':', ';']) && !is_initial(w) && !title {
                break;
            }
        }
        i
    };
    let mut start = i;
    i = capital_run(start);
    if i == start {
        return None;
    }
    // "Exercise physiologist Alex Lawrence ...", "Scottish National Party election campaign
    // director Angus Robertson ...": a job description before the name.
    if !sentence[ws[i - 1].0..ws[i - 1].1].ends_with(',')
        && let Some(k) = (i..ws.len().min(i + 3)).find(|&k| {
            let w = &sentence[ws[k].0..ws[k].1];
            is_capitalised(w) || TITLES.contains(&w.to_ascii_lowercase().as_str())
        })
        && TITLES.contains(&sentence[ws[k].0..ws[k].1].to_ascii_lowercase().as_str())
        && ws
            .get(k + 1)
            .is_some_and(|&(s, e)| is_capitalised(&sentence[s..e]))
    {
        start = k + 1;
        i = capital_run(start);
    }
    // "Contra Costa County Sheriff's Lt. Jo Bo said": the name after the possessive.
    let possessive = |k: usize| {
        let w = &sentence[ws[k].0..ws[k].1];
        w.ends_with("'s") || w.ends_with("’s")
    };
    if let Some(p) = (start..i).rev().find(|&k| possessive(k)) {
        if p + 1 == i {
            return None;
        }
        start = p + 1;
    }
    let run = &sentence[ws[start].0..ws[i - 1].1];
    if !run.starts_with(char::is_alphabetic) {
        return None;
    }
    // A name is followed by its verb or set off by a comma ("Pat, 69, ..."); a capitalised
    // word that merely opens the sentence ("Following the match, ...") is not.
    let next = ws.get(i).map_or("", |&(s, e)| &sentence[s..e]);
    let two_words = run.split_whitespace().count() >= 2;
    let verb_next = verb_after_name(next)
        || SUBJECT_VERBS.contains(&next)
        || (two_words && matches!(next, "from" | "of"));
    // "Pat, 69, ...", "Keita, who ...": a single word before a comma is a name only when an
    // age or a relative clause follows ("Instead, the ..." is not).
    let appositive = run.ends_with(',')
        && (two_words || next.starts_with(|c: char| c.is_ascii_digit()) || next == "who");
    if !appositive && !verb_next {
        return None;
    }
    let first = run
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if DETERMINERS.contains(&first.as_str())
        || LEADING_NOISE.contains(&first.as_str())
        || matches!(
            first.as_str(),
            "why" | "what" | "how" | "who" | "where" | "when"
        )
    {
        return None;
    }
    let name = strip_name_noise(run.trim_end_matches([',', '.', ':', ';']));
    (looks_like_person(name) && !is_common_capitalised(name) && !not_a_person(name))
        .then(|| name.to_string())
}

/// The last person name between `floor` (paragraph, offset) and `at` in paragraph `pi`,
/// looking back at most two paragraphs.
/// How far back in each paragraph [`scan_names`] looks for a name.
const NAME_LOOKBACK_BYTES: usize = 600;

fn scan_names(
    paragraphs: &[Paragraph],
    pi: usize,
    at: usize,
    floor: (usize, usize),
    strong: bool,
) -> Option<String> {
    let first_para = pi.saturating_sub(2).max(floor.0);
    for p in (first_para..=pi).rev() {
        let text = &paragraphs[p].text;
        let end = if p == pi {
            at.min(text.len())
        } else {
            text.len()
        };
        let mut start = if p == floor.0 { floor.1.min(end) } else { 0 };
        // A pronoun points at someone named shortly before it. Looking no further back than
        // this keeps a paragraph of many `"...," she said.` linear instead of quadratic.
        if end - start > NAME_LOOKBACK_BYTES {
            start = end - NAME_LOOKBACK_BYTES;
            while !text.is_char_boundary(start) {
                start += 1;
            }
        }
        if let Some(name) = text
            .get(start..end)
            .and_then(|t| last_person_name(t, strong))
        {
            return Some(name);
        }
    }
    None
}

/// Words after a name that show it is the subject of a clause.
fn verb_after_name(word: &str) -> bool {
    let w = word
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_ascii_lowercase();
    verb_kind(&w).is_some()
        || w.ends_with("ed")
        || matches!(
            w.as_str(),
            "has"
                | "had"
                | "is"
                | "was"
                | "will"
                | "would"
                | "can"
                | "could"
                | "who"
                | "knows"
                | "wants"
                | "thinks"
                | "believes"
                | "feels"
                | "hopes"
                | "plans"
                | "told"
                | "also"
                | "made"
                | "went"
                | "took"
                | "gave"
                | "got"
                | "left"
                | "won"
                | "lost"
                | "spoke"
                | "began"
                | "came"
                | "saw"
                | "felt"
                | "now"
                | "then"
        )
}

/// The last person-like name in `text`: two or more capitalised words, or one after a title.
/// With `strong`, a full name also needs a verb, comma or possessive after it.
fn last_person_name(text: &str, strong: bool) -> Option<String> {
    let ws = words(text);
    let mut i = ws.len();
    while i > 0 {
        let w = &text[ws[i - 1].0..ws[i - 1].1];
        if !is_capitalised(w) {
            i -= 1;
            continue;
        }
        // A run of capitalised words ending at word i - 1.
        let end = i;
        let mut start = i;
        while start > 0 {
            let w = &text[ws[start - 1].0..ws[start - 1].1];
            let ends_run = start < end && w.ends_with([',', '.', ':', ';']) && !is_initial(w);
            if is_capitalised(w) && !ends_run {
                start -= 1;
            } else {
                break;
            }
        }
        let run = &text[ws[start].0..ws[end - 1].1];
        let first = text[ws[start].0..ws[start].1]
            .trim_end_matches('.')
            .to_ascii_lowercase();
        let titled = TITLES.contains(&first.as_str());
        let name = strip_name_noise(run);
        let name = name
            .strip_suffix("'s")
            .or_else(|| name.strip_suffix("’s"))
            .unwrap_or(name);
        let count = name.split_whitespace().count();
        let last = &text[ws[end - 1].0..ws[end - 1].1];
        let next_word = ws.get(end).map(|&(s, e)| &text[s..e]);
        let verb_follows = !last.ends_with([',', '.', ';', ':', '\'', '’'])
            && next_word.is_some_and(verb_after_name);
        let origin_follows = !last.ends_with([',', '.', ';', ':'])
            && next_word.is_some_and(|w| matches!(w, "from" | "of"));
        // "from New York", "in the Netherlands": places, not people.
        let place = start > 0
            && matches!(
                text[ws[start - 1].0..ws[start - 1].1]
                    .to_ascii_lowercase()
                    .as_str(),
                "from" | "in" | "at" | "to" | "the" | "of" | "near" | "into" | "across"
            );
        let ok = if strong {
            // A full name followed by a verb, an appositive or its origin, or a single name
            // that is the subject of a verb and appeared earlier as part of a full name
            // ("Lee Clark ... Clark acknowledged").
            (titled && count >= 1)
                || (!place && count >= 2 && (verb_follows || origin_follows || last.ends_with(',')))
                || (!place && count == 1 && verb_follows && seen_in_full(text, name))
        } else {
            count >= 2 || (titled && count == 1)
        };
        if ok && !is_common_capitalised(name) && !not_a_person(name) && looks_like_person(name) {
            return Some(name.to_string());
        }
        i = start;
    }
    None
}

/// Whether `name` (one word) appears in `text` right after another capitalised word, as the
/// surname in a full name.
fn seen_in_full(text: &str, name: &str) -> bool {
    let mut from = 0;
    while let Some(pos) = text[from..].find(name) {
        let at = from + pos;
        let before = text[..at].trim_end_matches(' ');
        let prev = before.split_whitespace().next_back().unwrap_or("");
        if at > before.len() && is_capitalised(prev) && !prev.ends_with(['.', ',', ':', ';']) {
            return true;
        }
        from = at + name.len();
    }
    false
}

/// Capitalised words that a name scan must not take for a person.
fn not_a_person(name: &str) -> bool {
    const WORDS: &[&str] = &[
        "police",
        "officials",
        "critics",
        "experts",
        "researchers",
        "scientists",
        "doctors",
        "witnesses",
        "fans",
        "residents",
        "christmas",
        "easter",
    ];
    name.split_whitespace().any(|w| {
        let l = w.to_ascii_lowercase();
        WORDS.contains(&l.as_str())
            || MONTHS.contains(&l.as_str())
            || WEEKDAYS.contains(&l.as_str())
            || matches!(
                l.as_str(),
                "neighbors" | "neighbours" | "friends" | "relatives" | "family"
            )
    })
}

fn is_initial(w: &str) -> bool {
    let b = w.as_bytes();
    b.len() == 2 && b[0].is_ascii_uppercase() && b[1] == b'.'
}
