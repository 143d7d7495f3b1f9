//! Inline clean-up of one block of text: Markdown links and images, emphasis markers, HTML
//! entities and white space.
//!
//! Everything the reader sees of a paragraph passes through here once, so each step is a single
//! linear pass that copies only when it has something to change.

use super::Link;

/// What one block yields besides its text.
#[derive(Debug, Default)]
pub(crate) struct Extras {
    /// Links, in order, with their text as it stands in the cleaned body.
    pub links: Vec<Link>,
    /// Alt texts of images (`![alt](src)`), in order.
    pub images: Vec<String>,
}

/// Cleans `src` into plain text, appending its links and images to `extras`.
pub(crate) fn clean(src: &str, extras: &mut Extras) -> String {
    let decoded = decode_entities(src);
    let delinked = strip_links(&decoded, extras);
    let plain = strip_emphasis(&delinked);
    collapse_space(&plain)
}

/// Decodes the HTML entities scraped text tends to carry.
pub(crate) fn decode_entities(src: &str) -> std::borrow::Cow<'_, str> {
    if !src.contains('&') {
        return std::borrow::Cow::Borrowed(src);
    }
    let mut out = String::with_capacity(src.len());
    let mut rest = src;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        // Entities are short; a distant ';' belongs to something else.
        let semi = after.bytes().take(10).position(|b| b == b';');
        let decoded = semi.and_then(|s| entity(&after[..s]).map(|c| (c, s)));
        match decoded {
            Some((c, s)) => {
                out.push(c);
                rest = &after[s + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = if let Some(hex) = num.strip_prefix(['x', 'X']) {
            u32::from_str_radix(hex, 16).ok()?
        } else {
            num.parse::<u32>().ok()?
        };
        let c = char::from_u32(code)?;
        // A decoded control character would only corrupt the text.
        return if c.is_control() && c != '\n' && c != '\t' {
            None
        } else {
            Some(c)
        };
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" | "ensp" | "emsp" | "thinsp" => ' ',
        "mdash" => '—',
        "ndash" => '–',
        "hellip" => '…',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "laquo" => '«',
        "raquo" => '»',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "eacute" => 'é',
        "egrave" => 'è',
        "aacute" => 'á',
        "agrave" => 'à',
        "iacute" => 'í',
        "oacute" => 'ó',
        "uacute" => 'ú',
        "ntilde" => 'ñ',
        "ccedil" => 'ç',
        "uuml" => 'ü',
        "ouml" => 'ö',
        "auml" => 'ä',
        "szlig" => 'ß',
        "euro" => '€',
        "pound" => '£',
        "deg" => '°',
        "middot" => '·',
        "bull" => '•',
        _ => return None,
    })
}

/// Replaces `[text](url)` by `text` and removes `![alt](src)`, recording both.
fn strip_links<'a>(src: &'a str, extras: &mut Extras) -> std::borrow::Cow<'a, str> {
    if !src.contains("](") {
        return std::borrow::Cow::Borrowed(src);
    }
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    let bytes = src.as_bytes();
    let mut copied = 0;
    while i < bytes.len() {
        if bytes[i] != b'[' {
            i += 1;
            continue;
        }
        let image = i > 0 && bytes[i - 1] == b'!';
        let Some((text_end, url_start, url_end, end)) = link_at(src, i) else {
            i += 1;
            continue;
        };
        let open = if image { i - 1 } else { i };
        out.push_str(&src[copied..open]);
        let inner = &src[i + 1..text_end];
        let url = link_target(&src[url_start..url_end]);
        if image {
            let alt = collapse_space(&strip_emphasis(inner));
            if !alt.is_empty() {
                extras.images.push(alt);
            }
        } else {
            // Link text may hold an image (a linked picture) or emphasis.
            let mut nested = Extras::default();
            let text = strip_links(inner, &mut nested);
            extras.images.append(&mut nested.images);
            let text = collapse_space(&strip_emphasis(&text));
            out.push_str(&text);
            extras.links.push(Link {
                text,
                url: url.to_string(),
            });
        }
        i = end;
        copied = end;
    }
    out.push_str(&src[copied..]);
    std::borrow::Cow::Owned(out)
}

/// For a `[` at `open`, the end of the link text, the url span and the end of the whole link.
fn link_at(src: &str, open: usize) -> Option<(usize, usize, usize, usize)> {
    let bytes = src.as_bytes();
    let mut depth = 0usize;
    let mut j = open;
    let text_end = loop {
        j += 1;
        match bytes.get(j)? {
            b'[' => depth += 1,
            b']' if depth == 0 => break j,
            b']' => depth -= 1,
            b'\n' if bytes.get(j + 1) == Some(&b'\n') => return None,
            _ => {}
        }
        // Link texts are short; giving up early keeps a stray '[' from costing a rescan.
        if j - open > 500 {
            return None;
        }
    };
    if bytes.get(text_end + 1) != Some(&b'(') {
        return None;
    }
    let url_start = text_end + 2;
    let mut depth = 0usize;
    let mut k = url_start;
    loop {
        match bytes.get(k)? {
            b'(' => depth += 1,
            b')' if depth == 0 => break,
            b')' => depth -= 1,
            b'\n' => return None,
            _ => {}
        }
        k += 1;
        if k - url_start > 2000 {
            return None;
        }
    }
    Some((text_end, url_start, k, k + 1))
}

/// The target of `(url "title")` or `(<url>)`.
fn link_target(inside: &str) -> &str {
    let t = inside.trim();
    let t = t.split_whitespace().next().unwrap_or("");
    t.strip_prefix('<')
        .and_then(|u| u.strip_suffix('>'))
        .unwrap_or(t)
}

/// Removes paired `*`, `**`, `_`, `__` emphasis markers around words; lone ones stay.
pub(crate) fn strip_emphasis(src: &str) -> std::borrow::Cow<'_, str> {
    if !src.contains(['*', '_']) {
        return std::borrow::Cow::Borrowed(src);
    }
    let bytes = src.as_bytes();
    // Each marker run: (start, len, byte, can_open, can_close).
    let mut runs: Vec<(usize, usize, u8, bool, bool)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b != b'*' && b != b'_' {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i] == b {
            i += 1;
        }
        let len = i - start;
        if len > 3 {
            continue;
        }
        let prev = src[..start].chars().next_back();
        let next = src[i..].chars().next();
        let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
        let space = |c: Option<char>| c.is_none_or(char::is_whitespace);
        let can_open = !space(next) && !word(prev);
        let can_close = !space(prev) && !word(next);
        if can_open || can_close {
            runs.push((start, len, b, can_open, can_close));
        }
    }
    let mut remove: Vec<(usize, usize)> = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    for (idx, &(start, len, b, can_open, can_close)) in runs.iter().enumerate() {
        if can_close
            && let Some(pos) = stack
                .iter()
                .rposition(|&o| runs[o].2 == b && runs[o].1 == len)
        {
            let o = stack[pos];
            stack.truncate(pos);
            remove.push((runs[o].0, runs[o].1));
            remove.push((start, len));
            continue;
        }
        if can_open {
            stack.push(idx);
        }
    }
    if remove.is_empty() {
        return std::borrow::Cow::Borrowed(src);
    }
    remove.sort_unstable();
    let mut out = String::with_capacity(src.len());
    let mut copied = 0;
    for (start, len) in remove {
        out.push_str(&src[copied..start]);
        copied = start + len;
    }
    out.push_str(&src[copied..]);
    std::borrow::Cow::Owned(out)
}

/// Collapses white space to single spaces, drops control and zero-width characters, and trims.
pub(crate) fn collapse_space(src: &str) -> String {
    let bytes = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    // Bytes from `run` to `i` are kept as they are and copied in one piece.
    let mut run = 0;
    let mut i = 0;
    let mut pending_space = false;
    while i < bytes.len() {
        let b = bytes[i];
        let (len, drop, space) = if b < 0x80 {
            let blank = b <= b' ' || b == 0x7f;
            (1, blank, blank)
        } else {
            let c = src[i..].chars().next().unwrap_or(' ');
            let zero_width = matches!(
                c,
                '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{200E}' | '\u{200F}' | '\u{FEFF}'
            );
            let blank = c.is_whitespace() || c.is_control();
            (c.len_utf8(), blank || zero_width, blank)
        };
        if drop {
            out.push_str(&src[run..i]);
            pending_space |= space;
            i += len;
            run = i;
            continue;
        }
        if pending_space {
            if !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
        }
        i += len;
    }
    out.push_str(&src[run..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(src: &str) -> (String, Extras) {
        let mut extras = Extras::default();
        let text = clean(src, &mut extras);
        (text, extras)
    }

    #[test]
    fn links_become_text_and_are_kept() {
        let (text, extras) = run("See [the report](https://x.org/a_(b)) and [here](#).");
        assert_eq!(text, "See the report and here.");
        assert_eq!(extras.links.len(), 2);
        assert_eq!(extras.links[0].text, "the report");
        assert_eq!(extras.links[0].url, "https://x.org/a_(b)");
        assert_eq!(extras.links[1].url, "#");
    }

    #[test]
    fn images_are_removed_and_their_alt_kept() {
        let (text, extras) = run("![A dog on a beach](dog.jpg) Dogs swim.");
        assert_eq!(text, "Dogs swim.");
        assert_eq!(extras.images, vec!["A dog on a beach".to_string()]);
        assert!(extras.links.is_empty());
    }

    #[test]
    fn emphasis_markers_go_but_lone_stars_stay() {
        assert_eq!(
            run("**Bold** and *it* and __b__ and _i_.").0,
            "Bold and it and b and i."
        );
        assert_eq!(
            run("5 * 3 = 15 and snake_case_name").0,
            "5 * 3 = 15 and snake_case_name"
        );
        assert_eq!(run("a footnote* here").0, "a footnote* here");
    }

    #[test]
    fn entities_and_space() {
        assert_eq!(
            run("Tom&nbsp;&amp; Jerry&#8217;s   &#x2014; &lt;b&gt; &bogus; &").0,
            "Tom & Jerry’s — <b> &bogus; &"
        );
        assert_eq!(run("a\u{200F}b \u{0}c").0, "ab c");
    }

    #[test]
    fn malformed_links_stay_as_text() {
        assert_eq!(
            run("[not a link] (x) and [open(").0,
            "[not a link] (x) and [open("
        );
    }
}
