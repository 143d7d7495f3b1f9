//! Parsing a page while measuring how deeply it nests, so that a deep page is refused before
//! its whole tree is built.
//!
//! The extractor walks the tree recursively (10,000 nested `<div>`s overflowed the stack and
//! aborted the process), and html5ever's tree builder spends time on every tag in proportion to
//! its stack of open elements, so a deep page costs the square of its depth to build. The
//! measure is taken inside that same tree builder, in the sink that builds dom_query's tree:
//! each element is measured where it is inserted, and the page is fed to the parser a chunk at
//! a time, so that the parse stops within a chunk of the first element deeper than the limit.
//! The depth is that of the very tree dom_query builds, not an estimate, and the builder's
//! stack stays within the limit and a chunk's worth of tags, which keeps the parse linear in
//! the page's size. The tree is the one the extractor then works on: a page is parsed once.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use dom_query::{Document, NodeId, NodeRef};
use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::tree_builder::{ElementFlags, NodeOrText, QuirksMode, TreeBuilderOpts, TreeSink};
use html5ever::{Attribute, ParseOpts, QualName, parse_document};

/// Bytes handed to the parser between two looks at the depth. A chunk of the smallest start
/// tags (`<b>`) opens a few hundred elements past the limit at most, which keeps the builder's
/// stack, and so its cost per tag, bounded.
const CHUNK: usize = 1024;

/// Parses `html` as dom_query does (`Document::from`), or gives `None` for a page that nests
/// elements deeper than `limit`, counting `<html>` as 1 and a template's contents as inside
/// the template (dom_query keeps them out of its tree, but the builder holds them on its stack
/// all the same).
pub(super) fn parse(html: &str, limit: usize) -> Option<Document> {
    let sink = Measured {
        document: Document::default(),
        limit,
        beyond: Cell::new(false),
        templates: RefCell::default(),
    };
    // As `Document::from` has them.
    let opts = ParseOpts {
        tree_builder: TreeBuilderOpts {
            scripting_enabled: false,
            ..TreeBuilderOpts::default()
        },
        ..ParseOpts::default()
    };
    let mut parser = parse_document(sink, opts);
    let mut rest = html;
    while !rest.is_empty() {
        let (chunk, after) = rest.split_at(rest.ceil_char_boundary(CHUNK.min(rest.len())));
        parser.process(StrTendril::from_slice(chunk));
        if parser.tokenizer.sink.sink.beyond.get() {
            return None;
        }
        rest = after;
    }
    let sink = parser.finish();
    // Insertions are measured as they happen; the adoption agency also moves whole subtrees,
    // so the finished tree is measured once more.
    (!sink.beyond.get() && depth(&sink.document) <= limit).then_some(sink.document)
}

/// dom_query's tree sink, with every inserted element measured.
struct Measured {
    document: Document,
    limit: usize,
    beyond: Cell<bool>,
    /// Each template's contents, a fragment outside the tree, to the template that holds it.
    templates: RefCell<HashMap<NodeId, NodeId>>,
}

impl Measured {
    /// The node above `id`: its parent, or for a template's contents the template.
    fn up(&self, id: NodeId) -> Option<NodeRef<'_>> {
        self.document.tree.parent_of(&id).or_else(|| {
            let host = self.templates.borrow().get(&id).copied()?;
            Some(NodeRef::new(host, &self.document.tree))
        })
    }

    /// Marks the page too deep when `node` stands deeper than the limit. The walk up stops one
    /// past the limit, so it never costs more than the limit.
    fn measure(&self, inserted: Option<NodeId>) {
        let mut node = inserted.map(|id| NodeRef::new(id, &self.document.tree));
        let mut depth = 0;
        while let Some(n) = node {
            depth += usize::from(n.is_element());
            if depth > self.limit {
                self.beyond.set(true);
                return;
            }
            node = self.up(n.id);
        }
    }
}

impl TreeSink for Measured {
    type Handle = NodeId;
    type Output = Self;
    type ElemName<'a> = <Document as TreeSink>::ElemName<'a>;

    fn finish(self) -> Self {
        self
    }

    fn parse_error(&self, msg: Cow<'static, str>) {
        self.document.parse_error(msg);
    }

    fn get_document(&self) -> NodeId {
        self.document.get_document()
    }

    fn elem_name<'a>(&'a self, target: &'a NodeId) -> Self::ElemName<'a> {
        self.document.elem_name(target)
    }

    fn create_element(&self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> NodeId {
        let template = flags.template;
        let element = self.document.create_element(name, attrs, flags);
        if template {
            let contents = self.document.get_template_contents(&element);
            self.templates.borrow_mut().insert(contents, element);
        }
        element
    }

    fn create_comment(&self, text: StrTendril) -> NodeId {
        self.document.create_comment(text)
    }

    fn create_pi(&self, target: StrTendril, data: StrTendril) -> NodeId {
        self.document.create_pi(target, data)
    }

    fn append(&self, parent: &NodeId, child: NodeOrText<NodeId>) {
        let inserted = inserted(&child);
        self.document.append(parent, child);
        self.measure(inserted);
    }

    fn append_based_on_parent_node(
        &self,
        element: &NodeId,
        prev_element: &NodeId,
        child: NodeOrText<NodeId>,
    ) {
        let inserted = inserted(&child);
        self.document
            .append_based_on_parent_node(element, prev_element, child);
        self.measure(inserted);
    }

    fn append_doctype_to_document(&self, name: StrTendril, public: StrTendril, system: StrTendril) {
        self.document
            .append_doctype_to_document(name, public, system);
    }

    fn get_template_contents(&self, target: &NodeId) -> NodeId {
        self.document.get_template_contents(target)
    }

    fn same_node(&self, x: &NodeId, y: &NodeId) -> bool {
        self.document.same_node(x, y)
    }

    fn set_quirks_mode(&self, mode: QuirksMode) {
        self.document.set_quirks_mode(mode);
    }

    fn append_before_sibling(&self, sibling: &NodeId, new_node: NodeOrText<NodeId>) {
        let inserted = inserted(&new_node);
        self.document.append_before_sibling(sibling, new_node);
        self.measure(inserted);
    }

    fn add_attrs_if_missing(&self, target: &NodeId, attrs: Vec<Attribute>) {
        self.document.add_attrs_if_missing(target, attrs);
    }

    fn remove_from_parent(&self, target: &NodeId) {
        self.document.remove_from_parent(target);
    }

    fn reparent_children(&self, node: &NodeId, new_parent: &NodeId) {
        self.document.reparent_children(node, new_parent);
    }

    fn is_mathml_annotation_xml_integration_point(&self, handle: &NodeId) -> bool {
        self.document
            .is_mathml_annotation_xml_integration_point(handle)
    }
}

/// The node an insertion puts in the tree; text is not measured.
fn inserted(child: &NodeOrText<NodeId>) -> Option<NodeId> {
    match child {
        NodeOrText::AppendNode(id) => Some(*id),
        NodeOrText::AppendText(_) => None,
    }
}

/// How deep `document` nests its elements, counting `<html>` as 1 and a template's contents as
/// inside the template. Iterative: the tree may be deep.
pub(super) fn depth(document: &Document) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(document.root(), 0)];
    while let Some((node, depth)) = stack.pop() {
        deepest = deepest.max(depth);
        let contents = node
            .query(|n| n.as_element().and_then(|e| e.template_contents))
            .flatten();
        if let Some(id) = contents {
            stack.push((NodeRef::new(id, &document.tree), depth));
        }
        let mut child = node.first_child();
        while let Some(c) = child {
            child = c.next_sibling();
            if c.is_element() {
                stack.push((c, depth + 1));
            }
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use dom_query::Document;

    use super::{depth, parse};

    /// The depth `parse` finds, or `None` where it stops.
    fn measured(html: &str, limit: usize) -> Option<usize> {
        parse(html, limit).map(|document| depth(&document))
    }

    #[test]
    fn nested_blocks_are_measured_exactly() {
        // `<html>` and `<body>` (or `<head>`) are the first two levels.
        assert_eq!(measured("", 10), Some(2));
        for n in [0, 1, 10, 100, 250] {
            let open = format!("{}<p>x", "<div>".repeat(n));
            assert_eq!(measured(&open, 256), Some(n + 3), "{n}");
            let closed = format!("{}{}", "<div>".repeat(n), "</div>".repeat(n)).repeat(3);
            assert_eq!(measured(&closed, 256), Some(n + 2), "{n}");
        }
        let deep = "<div>".repeat(257);
        assert_eq!(measured(&deep, 259), Some(259));
        assert_eq!(measured(&deep, 258), None);
        // Template contents stand inside their template.
        let template = format!("<template>{}</template>", "<div>".repeat(10));
        assert_eq!(measured(&template, 256), Some(13));
    }

    #[test]
    fn sloppy_pages_are_parsed_as_dom_query_parses_them() {
        let pages = [
            // Paragraphs, list items, cells and options left open.
            "<p>One<p>Two<p><b>Three</p>".repeat(500),
            format!("<ul>{}</ul>", "<li>item<li><a href=x>link</a>".repeat(500)),
            format!(
                "<table>{}</table>",
                "<tr><td>a<td><font color=red>b<tr>".repeat(500)
            ),
            format!(
                "<select>{}</select>",
                "<option>a<option value=1>b".repeat(500)
            ),
            "<div><p><b>bold, never closed</p></div>\n".repeat(500),
            // Icons, formulas, scripts, comments and templates.
            "<svg viewBox='0 0 8 8'><title>Close</title><path d='M0 0'/><g><use href='#x'></use></g></svg>"
                .repeat(300),
            "<math><mi>x</mi><mo>=</mo><msup><mi>y</mi><mn>2</mn></msup></math>".repeat(300),
            "<script>if (a < b && c > d) { document.write('<div>'); }</script><!-- <div><div> -->"
                .repeat(300),
            "<style>p > a { color: red }</style><noscript><img src=x></noscript><br><hr>"
                .repeat(300),
            "<template><div><b>x</div></template><p>after".repeat(50),
            // Multi-byte text across the chunks the parser is fed.
            "<p>é€😀 <b>ü</b>".repeat(500),
        ];
        for page in &pages {
            let parsed = parse(page, usize::MAX).expect("no limit");
            assert_eq!(
                parsed.html(),
                Document::from(page.as_str()).html(),
                "{}",
                &page[..page.len().min(120)]
            );
        }
    }

    #[test]
    fn hostile_markup_is_measured_in_linear_time() {
        // Deep nesting in the shapes the tree builder treats differently: each stops the parse
        // within a few kilobytes, however long the page.
        for unit in [
            "<div>",
            "<b>",
            "<div><b></div>x",
            "<table><tr><td>",
            "<ul><li>",
            "<b><i><u>",
            "<svg><g>",
            "<math><mi>",
            "<template><div>",
        ] {
            let html = unit.repeat(2 * 1024 * 1024 / unit.len());
            let started = Instant::now();
            assert_eq!(measured(&html, 256), None, "{unit}");
            assert!(
                started.elapsed() < Duration::from_millis(500),
                "{unit}: {:?}",
                started.elapsed()
            );
        }
    }

    /// Tag soup made of the pieces that decide nesting.
    fn soup() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let piece = prop::sample::select(vec![
            "<div>",
            "</div>",
            "<p>",
            "</p>",
            "<span>",
            "</span>",
            "<b>",
            "</b>",
            "<i>",
            "</i>",
            "<b class=x>",
            "<a href=1>",
            "<a href=2>",
            "</a>",
            "<font color=red>",
            "</font>",
            "<ul>",
            "</ul>",
            "<ol>",
            "<li>",
            "</li>",
            "<dl>",
            "<dt>",
            "<dd>",
            "</dl>",
            "<table>",
            "</table>",
            "<tr>",
            "</tr>",
            "<td>",
            "</td>",
            "<th>",
            "<tbody>",
            "<caption>",
            "</caption>",
            "<select>",
            "<option>",
            "<optgroup>",
            "</select>",
            "<h1>",
            "<h2>",
            "</h1>",
            "<button>",
            "</button>",
            "<form>",
            "</form>",
            "<svg>",
            "</svg>",
            "<g>",
            "</g>",
            "<path/>",
            "<g/>",
            "<div/>",
            "<foreignObject>",
            "</foreignObject>",
            "<math>",
            "<mi>",
            "</math>",
            "<title>",
            "</title>",
            "<script>",
            "</script>",
            "<style>",
            "<textarea>",
            "</textarea>",
            "<noscript>",
            "<!--",
            "-->",
            "<!-->",
            "<!DOCTYPE html>",
            "</x>",
            "<x>",
            "</section>",
            "<section>",
            "<br>",
            "</br>",
            "<img>",
            "<hr>",
            "<nobr>",
            "<object>",
            "</object>",
            "<template>",
            "</template>",
            "<html>",
            "<body>",
            "</body>",
            "<head>",
            "<plaintext>",
            "<div \"x>",
            "<div a=\">\">",
            "<",
            ">",
            "x",
            " ",
            "\n",
        ]);
        // Repeated, so that anything the estimate misses per repetition adds up.
        (prop::collection::vec(piece, 0..30), 1..40usize).prop_map(|(p, n)| p.concat().repeat(n))
    }

    /// Whether a page closes or nests elements the way that sends the parser's adoption agency
    /// (or foster parenting) to move subtrees: formatting elements, tables, `</…>` out of order.
    fn misnests(html: &str) -> bool {
        [
            "<b>", "<nobr>", "<a", "<i>", "<font", "<table", "<option", "<select",
        ]
        .iter()
        .any(|tag| html.contains(tag))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// The tree is dom_query's own; a page nested deeper than the limit is always
        /// refused, and an accepted page's depth is exactly its tree's. (A page can be refused
        /// although its finished tree is shallower: misnested formatting elements make the
        /// parser open elements past the limit before it moves them back up. The limit is a
        /// safety bound far above real pages, so erring that way is the safe side.)
        #[test]
        fn the_measure_is_the_parsed_depth(html in soup(), limit in 2..40usize) {
            let whole = Document::from(html.as_str());
            let parsed = parse(&html, usize::MAX).expect("no limit");
            proptest::prop_assert_eq!(parsed.html(), whole.html());
            let deepest = depth(&whole);
            match measured(&html, limit) {
                Some(depth) => proptest::prop_assert_eq!(depth, deepest, "limit {}: {:?}", limit, html),
                None => proptest::prop_assert!(
                    deepest > limit || misnests(&html),
                    "refused at limit {} though {} deep: {:?}", limit, deepest, html
                ),
            }
        }
    }
}
