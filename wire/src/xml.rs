//! A small read-only element tree built from quick-xml events.
//!
//! Why a tree and not serde: the validator must report *every* violation with its element path
//! and position, must accept any namespace prefix (namespaces are compared by URI), and must
//! never give up at the first surprise. A borrowed tree (names and most texts are slices of the
//! input) keeps that cheap.

use quick_xml::events::Event;
use quick_xml::reader::Reader;
use std::borrow::Cow;

/// SOAP 1.1 envelope namespace.
pub const NS_SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// SOAP 1.2 envelope namespace (recognised only to say it is the wrong one).
pub const NS_SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
/// Target namespace of `paForNode.xsd`.
pub const NS_PAFORNODE: &str = "http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd";

/// Deepest nesting accepted; pagoPA messages are under 10 levels, so this only stops abuse.
pub const MAX_DEPTH: usize = 64;

/// An element with its resolved namespace, text and children.
#[derive(Debug, Clone)]
pub struct Element<'a> {
    /// Index into [`Document::namespaces`]; 0 means "no namespace".
    pub ns: u16,
    /// Local name (without prefix).
    pub local: &'a str,
    /// Text content (entity references resolved). For elements with children it is empty.
    pub text: Cow<'a, str>,
    /// First child (index into [`Document::nodes`]), [`NONE`] when there is none.
    pub first_child: u32,
    /// Next sibling, [`NONE`] for the last child.
    pub next_sibling: u32,
    /// Last child, to append in O(1) while parsing.
    last_child: u32,
    /// Byte offset of the `<` that opens the element.
    pub offset: usize,
    /// Offset of the first non-whitespace text found among child elements (mixed content).
    pub stray_text: Option<usize>,
    /// The first attribute other than a namespace declaration or an `xsi:` attribute:
    /// paForNode.xsd declares no attributes, so any such attribute is a schema violation.
    pub stray_attribute: Option<&'a str>,
}

/// "No node" in the links between elements.
pub const NONE: u32 = u32::MAX;

impl Element<'_> {
    /// True when the element has child elements.
    pub fn has_children(&self) -> bool {
        self.first_child != NONE
    }
}

/// A parsed document: every element in one arena, in document order (the root first), linked
/// to its first child and next sibling. One allocation for the whole tree, and no element is
/// ever moved after it is created: this is the hot path of every exchange.
#[derive(Debug, Clone)]
pub struct Document<'a> {
    /// The source text.
    pub src: &'a str,
    /// Namespace URIs seen; index 0 is the empty "no namespace".
    pub namespaces: Vec<String>,
    /// The elements; `nodes[0]` is the root.
    pub nodes: Vec<Element<'a>>,
}

/// The children of an element, in document order.
#[derive(Debug, Clone)]
pub struct Children<'d, 'a> {
    nodes: &'d [Element<'a>],
    next: u32,
}

impl<'d, 'a> Children<'d, 'a> {
    /// The sibling chain starting at `first` in `nodes`.
    pub fn new(nodes: &'d [Element<'a>], first: u32) -> Self {
        Children { nodes, next: first }
    }
}

impl<'d, 'a> Iterator for Children<'d, 'a> {
    type Item = &'d Element<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        let el = self.nodes.get(usize::try_from(self.next).ok()?)?;
        self.next = el.next_sibling;
        Some(el)
    }
}

/// Why the input is not a well-formed XML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError {
    /// Byte offset where the problem was detected.
    pub offset: usize,
    /// What is wrong.
    pub reason: String,
    /// True when the bytes were not UTF-8.
    pub not_utf8: bool,
}

impl<'a> Document<'a> {
    /// The root element.
    pub fn root(&self) -> &Element<'a> {
        // `parse` only returns documents with a root.
        &self.nodes[0]
    }

    /// The element at an arena index.
    pub fn node(&self, index: u32) -> Option<&Element<'a>> {
        self.nodes.get(usize::try_from(index).ok()?)
    }

    /// The children of `el`.
    pub fn children<'d>(&'d self, el: &Element<'a>) -> Children<'d, 'a> {
        Children {
            nodes: &self.nodes,
            next: el.first_child,
        }
    }

    /// The children starting at the sibling chain beginning with `index`.
    pub fn siblings_from<'d>(&'d self, index: u32) -> Children<'d, 'a> {
        Children {
            nodes: &self.nodes,
            next: index,
        }
    }

    /// The namespace URI of an element ("" for none).
    pub fn ns_of(&self, el: &Element<'_>) -> &str {
        self.namespaces
            .get(usize::from(el.ns))
            .map_or("", String::as_str)
    }
}

/// Check UTF-8 and strip a byte-order mark, reporting the first bad byte.
pub fn as_utf8(bytes: &[u8]) -> Result<(&str, usize), XmlError> {
    let (body, skip) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (rest, 3),
        None => (bytes, 0),
    };
    match std::str::from_utf8(body) {
        Ok(s) => Ok((s, skip)),
        Err(e) => Err(XmlError {
            offset: skip + e.valid_up_to(),
            reason: format!("invalid UTF-8 byte at offset {}", skip + e.valid_up_to()),
            not_utf8: true,
        }),
    }
}

fn intern(namespaces: &mut Vec<String>, uri: &str) -> u16 {
    if uri.is_empty() {
        return 0;
    }
    if let Some(i) = namespaces.iter().position(|n| n == uri) {
        return u16::try_from(i).unwrap_or(u16::MAX);
    }
    namespaces.push(uri.to_string());
    u16::try_from(namespaces.len() - 1).unwrap_or(u16::MAX)
}

fn predefined_entity(name: &str) -> Option<char> {
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => return None,
    })
}

fn push_text<'a>(text: &mut Cow<'a, str>, more: Cow<'a, str>) {
    if text.is_empty() {
        *text = more;
    } else {
        text.to_mut().push_str(&more);
    }
}

/// A namespace binding in scope: declared at `depth` for `prefix` ("" = default namespace).
struct Binding<'a> {
    depth: usize,
    prefix: &'a str,
    ns: u16,
}

/// Parse a whole document. `base` is added to every offset (used when a BOM was stripped).
///
/// Namespaces are resolved here rather than by quick-xml's `NsReader`: pagoPA messages declare
/// them once on the envelope, so a scope stack that is touched only when an `xmlns` attribute
/// appears costs almost nothing per element.
pub fn parse(src: &str, base: usize) -> Result<Document<'_>, XmlError> {
    let mut reader = Reader::from_str(src);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.expand_empty_elements = false;

    let mut namespaces = vec![String::new()];
    let mut bindings: Vec<Binding<'_>> = Vec::new();
    // A 6 KB message has ~200 elements; one element per ~30 bytes avoids most regrowth.
    let mut nodes: Vec<Element<'_>> = Vec::with_capacity(src.len() / 30 + 4);
    let mut stack: Vec<u32> = Vec::new();
    let mut root_closed = false;

    let err = |offset: u64, reason: String| XmlError {
        offset: base + usize::try_from(offset).unwrap_or(usize::MAX),
        reason,
        not_utf8: false,
    };

    loop {
        let before = reader.buffer_position();
        let event = match reader.read_event() {
            Ok(ev) => ev,
            Err(e) => return Err(err(reader.error_position(), e.to_string())),
        };
        let offset = base + usize::try_from(before).unwrap_or(usize::MAX);
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                if root_closed {
                    return Err(err(before, "content after the root element".into()));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(err(
                        before,
                        format!("elements nested deeper than {MAX_DEPTH} levels"),
                    ));
                }
                let depth = stack.len();
                let qlen = start.name().as_ref().len();
                // The event borrows the input, so the qualified name is the slice right after '<'.
                let raw = usize::try_from(before).unwrap_or(usize::MAX);
                let qname = src.get(raw + 1..raw + 1 + qlen).unwrap_or("");
                let mut stray_attribute = None;
                let raw_attrs = start.attributes_raw();
                if !is_blank(raw_attrs) {
                    stray_attribute = first_plain_attribute(src, raw_attrs);
                }
                if raw_attrs.contains("xmlns") {
                    for attr in start.attributes() {
                        let attr = attr.map_err(|e| err(before, e.to_string()))?;
                        let key = attr.key.as_ref();
                        let prefix = if key == "xmlns" {
                            ""
                        } else if key.starts_with("xmlns:") {
                            // Attribute keys borrow the event, not the input; find the same bytes
                            // in `src` by address so the prefix lives as long as the document.
                            let at = (key.as_ptr() as usize).wrapping_sub(src.as_ptr() as usize);
                            match src.get(at + 6..at + key.len()) {
                                Some(p) if src.get(at..at + key.len()) == Some(key) => p,
                                _ => continue,
                            }
                        } else {
                            continue;
                        };
                        let uri = attr
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .map_err(|e| err(before, e.to_string()))?;
                        let ns = intern(&mut namespaces, &uri);
                        bindings.push(Binding { depth, prefix, ns });
                    }
                }
                let (prefix, local) = match qname.split_once(':') {
                    Some((p, l)) => (p, l),
                    None => ("", qname),
                };
                let ns = match bindings.iter().rev().find(|b| b.prefix == prefix) {
                    Some(b) => b.ns,
                    None if prefix.is_empty() => 0,
                    None if prefix == "xml" => {
                        intern(&mut namespaces, "http://www.w3.org/XML/1998/namespace")
                    }
                    None => {
                        return Err(err(
                            before,
                            format!("undeclared namespace prefix `{prefix}`"),
                        ));
                    }
                };
                if !nodes.is_empty() && stack.is_empty() {
                    return Err(err(before, "content after the root element".into()));
                }
                let index = u32::try_from(nodes.len())
                    .map_err(|_| err(before, "too many elements".into()))?;
                if let Some(&p) = stack.last() {
                    let parent = &mut nodes[p as usize];
                    if parent.stray_text.is_none() && !is_blank(&parent.text) {
                        parent.stray_text = Some(offset);
                    }
                    parent.text = Cow::Borrowed("");
                    let last = parent.last_child;
                    parent.last_child = index;
                    if last == NONE {
                        parent.first_child = index;
                    } else {
                        nodes[last as usize].next_sibling = index;
                    }
                }
                nodes.push(Element {
                    ns,
                    local,
                    text: Cow::Borrowed(""),
                    first_child: NONE,
                    next_sibling: NONE,
                    last_child: NONE,
                    offset,
                    stray_text: None,
                    stray_attribute,
                });
                if matches!(event, Event::Start(_)) {
                    stack.push(index);
                } else {
                    pop_bindings(&mut bindings, depth);
                    root_closed |= stack.is_empty();
                }
            }
            Event::End(_) => match stack.pop() {
                Some(_) => {
                    pop_bindings(&mut bindings, stack.len());
                    root_closed |= stack.is_empty();
                }
                None => return Err(err(before, "unmatched end tag".into())),
            },
            Event::Text(t) => {
                let content = t.xml10_content();
                match stack.last().map(|&i| &mut nodes[i as usize]) {
                    Some(el) if !el.has_children() => push_text(&mut el.text, content),
                    Some(el) => {
                        if el.stray_text.is_none() && !is_blank(&content) {
                            el.stray_text = Some(offset);
                        }
                    }
                    None => {
                        if !is_blank(&content) {
                            return Err(err(before, "text outside the root element".into()));
                        }
                    }
                }
            }
            Event::CData(c) => {
                let content = c.xml10_content();
                match stack.last().map(|&i| &mut nodes[i as usize]) {
                    Some(el) if !el.has_children() => push_text(&mut el.text, content),
                    Some(el) => {
                        if el.stray_text.is_none() {
                            el.stray_text = Some(offset);
                        }
                    }
                    None => return Err(err(before, "CDATA outside the root element".into())),
                }
            }
            Event::GeneralRef(r) => {
                let ch = match r.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    Ok(None) => match predefined_entity(&r) {
                        Some(c) => c,
                        None => {
                            return Err(err(before, format!("undefined entity `&{};`", &*r)));
                        }
                    },
                    Err(e) => return Err(err(before, e.to_string())),
                };
                match stack.last().map(|&i| &mut nodes[i as usize]) {
                    Some(el) if !el.has_children() => el.text.to_mut().push(ch),
                    Some(el) => {
                        if el.stray_text.is_none() {
                            el.stray_text = Some(offset);
                        }
                    }
                    None => return Err(err(before, "reference outside the root element".into())),
                }
            }
            Event::DocType(_) => {
                // Refusing DTDs keeps entity expansion (billion laughs, XXE) out entirely;
                // SOAP 1.1 forbids a DTD in an envelope anyway.
                return Err(err(
                    before,
                    "a DOCTYPE is not allowed in a SOAP message".into(),
                ));
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if let Some(&open) = stack.last() {
        return Err(XmlError {
            offset: base + src.len(),
            reason: format!(
                "unexpected end of input: <{}> is not closed",
                nodes[open as usize].local
            ),
            not_utf8: false,
        });
    }
    match nodes.is_empty() {
        false => Ok(Document {
            src,
            namespaces,
            nodes,
        }),
        true => Err(XmlError {
            offset: base + src.len(),
            reason: "no root element (empty document)".into(),
            not_utf8: false,
        }),
    }
}

/// The name of the first attribute that is neither `xmlns`/`xmlns:*` nor in the customary
/// `xsi:` prefix, sliced from `src` so it lives as long as the document.
fn first_plain_attribute<'a>(src: &'a str, raw: &str) -> Option<&'a str> {
    let at = (raw.as_ptr() as usize).wrapping_sub(src.as_ptr() as usize);
    let raw = src.get(at..at + raw.len())?;
    let mut rest = raw;
    loop {
        let start = rest.find(|c: char| !c.is_ascii_whitespace())?;
        rest = &rest[start..];
        let end = rest.find(|c: char| c == '=' || c.is_ascii_whitespace())?;
        let name = &rest[..end];
        if !(name == "xmlns" || name.starts_with("xmlns:") || name.starts_with("xsi:")) {
            return Some(name);
        }
        // Skip past the quoted value to the next attribute.
        let eq = rest.find('=')?;
        let after = rest[eq + 1..].trim_start();
        let quote = after.chars().next().filter(|q| *q == '"' || *q == '\'')?;
        let close = after[1..].find(quote)?;
        let value_start = rest.len() - after.len();
        rest = rest.get(value_start + close + 2..)?;
    }
}

/// Whitespace-only text (the indentation between elements) is not content.
fn is_blank(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

fn pop_bindings(bindings: &mut Vec<Binding<'_>>, depth: usize) {
    while bindings.last().is_some_and(|b| b.depth >= depth) {
        bindings.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_resolved_by_uri_whatever_the_prefix() {
        let src = r#"<a:x xmlns:a="urn:one" xmlns="urn:two"><y>t&amp;u&#65;</y><a:z/></a:x>"#;
        let doc = parse(src, 0).unwrap();
        assert_eq!(doc.ns_of(doc.root()), "urn:one");
        assert_eq!(doc.root().local, "x");
        let y = &doc.children(doc.root()).next().unwrap();
        assert_eq!(doc.ns_of(y), "urn:two");
        assert_eq!(y.text, "t&uA");
        assert_eq!(
            doc.ns_of(doc.children(doc.root()).nth(1).unwrap()),
            "urn:one"
        );
    }

    #[test]
    fn namespace_scopes_end_with_their_element() {
        let src = r#"<r xmlns="urn:a" xmlns:p="urn:p"><x xmlns="urn:b" xmlns:p="urn:q"><p:y/></x><p:z/><w/><e xmlns=""/></r>"#;
        let doc = parse(src, 0).unwrap();
        let x = &doc.children(doc.root()).next().unwrap();
        assert_eq!(doc.ns_of(x), "urn:b");
        assert_eq!(doc.ns_of(doc.children(x).next().unwrap()), "urn:q");
        assert_eq!(doc.ns_of(doc.children(doc.root()).nth(1).unwrap()), "urn:p");
        assert_eq!(doc.ns_of(doc.children(doc.root()).nth(2).unwrap()), "urn:a");
        assert_eq!(doc.ns_of(doc.children(doc.root()).nth(3).unwrap()), "");
    }

    #[test]
    fn malformed_inputs_are_errors_not_panics() {
        for bad in [
            "",
            "<a>",
            "<a></b>",
            "<a/><b/>",
            "<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>",
            "<p:a/>",
            "<a>&nope;</a>",
            "text",
            "<a><",
        ] {
            assert!(parse(bad, 0).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn plain_attributes_are_noticed_namespace_ones_are_not() {
        let doc = parse(
            r#"<a xmlns="urn:a" xmlns:xsi="x" xsi:type="t"><b lang='it' x="1"/><c/></a>"#,
            0,
        )
        .unwrap();
        assert_eq!(doc.root().stray_attribute, None);
        assert_eq!(
            doc.children(doc.root()).next().unwrap().stray_attribute,
            Some("lang")
        );
        assert_eq!(
            doc.children(doc.root()).nth(1).unwrap().stray_attribute,
            None
        );
    }

    #[test]
    fn depth_is_limited() {
        let deep = "<a>".repeat(MAX_DEPTH + 1);
        let e = parse(&deep, 0).unwrap_err();
        assert!(e.reason.contains("deeper"), "{}", e.reason);
    }

    #[test]
    fn mixed_text_is_flagged() {
        let doc = parse("<a>oops<b/></a>", 0).unwrap();
        assert!(doc.root().stray_text.is_some());
        let doc = parse("<a>\n  <b/>\n</a>", 0).unwrap();
        assert!(doc.root().stray_text.is_none());
    }

    #[test]
    fn invalid_utf8_reports_the_offset() {
        let e = as_utf8(b"<a>\xff</a>").unwrap_err();
        assert_eq!(e.offset, 3);
        assert!(e.not_utf8);
        assert_eq!(as_utf8(b"\xEF\xBB\xBF<a/>").unwrap(), ("<a/>", 3));
    }
}
