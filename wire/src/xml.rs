//! A small read-only element tree built from XML events: our own tokenizer's for the
//! documents every exchange carries, quick-xml's for anything unusual or wrong (see [`parse`]).
//!
//! Why a tree and not serde: the validator must report *every* violation with its element path
//! and position, must accept any namespace prefix (namespaces are compared by URI), and must
//! never give up at the first surprise. A borrowed tree (names and most texts are slices of the
//! input) keeps that cheap.

use quick_xml::events::{BytesCData, BytesRef, BytesStart, BytesText, Event};
use quick_xml::reader::Reader;
use std::borrow::Cow;
use std::collections::HashMap;

/// SOAP 1.1 envelope namespace.
pub const NS_SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// SOAP 1.2 envelope namespace (recognised only to say it is the wrong one).
pub const NS_SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
/// Target namespace of `paForNode.xsd`.
pub const NS_PAFORNODE: &str = "http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd";

/// Deepest nesting accepted; pagoPA messages are under 10 levels, so this only stops abuse.
pub const MAX_DEPTH: usize = 64;

/// Most namespace declarations accepted on one element. A pagoPA message declares two or
/// three in all; the limit keeps prefix resolution cheap (at most this many bindings per level)
/// whatever the input.
pub const MAX_NAMESPACE_DECLARATIONS: usize = 64;

/// Most attributes read on one element that declares namespaces (they are only read there):
/// checking them for duplicates is quadratic in their number.
pub const MAX_ATTRIBUTES: usize = 256;

/// An element with its resolved namespace, text and children.
#[derive(Debug, Clone)]
pub struct Element<'a> {
    /// Index into [`Document::namespaces`]; 0 means "no namespace".
    pub ns: u32,
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
    /// Namespace URIs seen; index 0 is the empty "no namespace". Borrowed from `src` unless
    /// the declaration needed normalizing (an entity or a line end in its value).
    pub namespaces: Vec<Cow<'a, str>>,
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
    /// True when the input is refused for going beyond one of the limits above
    /// ([`MAX_DEPTH`], [`MAX_NAMESPACE_DECLARATIONS`], [`MAX_ATTRIBUTES`]) rather than for not
    /// being well-formed.
    pub over_limit: bool,
}

impl Drop for Document<'_> {
    fn drop(&mut self) {
        spare::keep_document(
            std::mem::take(&mut self.nodes),
            std::mem::take(&mut self.namespaces),
        );
    }
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
        usize::try_from(el.ns)
            .ok()
            .and_then(|i| self.namespaces.get(i))
            .map_or("", |uri| uri)
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
            over_limit: false,
        }),
    }
}

/// Namespace URIs to dense ids, exactly: two URIs share an id only if they are equal.
///
/// A message declares two or three namespaces, so a short list is searched linearly (no
/// hashing, no extra allocation on the hot path); past [`Interner::LINEAR`] entries a hash map
/// takes over, so that a reply declaring thousands of URIs costs O(1) per lookup.
///
/// URIs are kept as slices of the input whenever they can be (nearly always): a copy per URI
/// was two allocations of every parse.
struct Interner<'a> {
    uris: Vec<Cow<'a, str>>,
    index: Option<HashMap<Cow<'a, str>, u32>>,
}

impl<'a> Interner<'a> {
    const LINEAR: usize = 16;

    #[cfg(test)]
    fn new() -> Self {
        Self::with_uris(Vec::new())
    }

    /// An interner over `uris`, an empty list whose allocation is reused.
    fn with_uris(mut uris: Vec<Cow<'a, str>>) -> Self {
        // Room for the two or three URIs of a message without regrowing.
        uris.reserve(4);
        uris.push(Cow::Borrowed(""));
        Interner { uris, index: None }
    }

    /// The id of `uri` ("" is 0), or `None` when ids are exhausted (over 4 billion URIs, which
    /// no input under 4 GB can declare).
    fn intern(&mut self, uri: Cow<'a, str>) -> Option<u32> {
        if uri.is_empty() {
            return Some(0);
        }
        let found = match &self.index {
            Some(map) => map.get(uri.as_ref()).copied(),
            None => self
                .uris
                .iter()
                .position(|n| *n == uri)
                .and_then(|i| u32::try_from(i).ok()),
        };
        if found.is_some() {
            return found;
        }
        let id = u32::try_from(self.uris.len()).ok()?;
        if let Some(map) = &mut self.index {
            map.insert(uri.clone(), id);
        }
        self.uris.push(uri);
        if self.index.is_none() && self.uris.len() > Self::LINEAR {
            self.index = Some(
                self.uris
                    .iter()
                    .enumerate()
                    .skip(1)
                    .filter_map(|(i, u)| Some((u.clone(), u32::try_from(i).ok()?)))
                    .collect(),
            );
        }
        Some(id)
    }
}

/// Whether `c` is a character XML 1.0 allows (production `Char`): tab, LF, CR, and everything
/// from U+0020 except U+FFFE and U+FFFF (surrogates cannot occur in a `char`).
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FFFD}' | '\u{10000}'..)
}

/// The first character XML forbids in `src` (C0 controls other than tab, LF and CR; U+FFFE;
/// U+FFFF), with its byte offset; otherwise whether `src` holds a CR at all.
///
/// quick-xml lets those characters through, libxml2 (and the Nodo's parser) reject the
/// document. The scan runs on every message, so it looks at 128-byte blocks without branching
/// and only inspects a block byte by byte when it holds a control byte or the lead byte 0xEF.
/// The CR answer comes with it for free: without a CR, no text needs line-end normalization.
fn scan_chars(src: &str) -> Result<bool, (usize, char)> {
    const BLOCK: usize = 128;
    // Fixed-size blocks without early exit inside: the compiler turns this into a few vector
    // instructions per block. The first flag: a suspect byte; the second: a CR.
    fn suspect(block: &[u8; BLOCK]) -> (bool, bool) {
        // First a cheaper test that only lets LF through: a message holds no tab, CR or
        // other control byte, nor 0xEF, in nearly every block, and this one takes about half
        // the vector instructions of the exact one below, which settles the other blocks.
        let mut rare = 0u8;
        for &b in block {
            rare |= u8::from((b < 0x20) & (b != b'\n')) | u8::from(b == 0xEF);
        }
        if rare == 0 {
            return (false, false);
        }
        let mut acc = 0u8;
        let mut cr = 0u8;
        for &b in block {
            let control = (b < 0x20) & (b != b'\t') & (b != b'\n') & (b != b'\r');
            acc |= u8::from(control) | u8::from(b == 0xEF);
            cr |= u8::from(b == b'\r');
        }
        (acc != 0, cr != 0)
    }
    let bytes = src.as_bytes();
    let blocks = bytes.chunks_exact(BLOCK);
    let tail = blocks.remainder();
    let tail_start = bytes.len() - tail.len();
    // The tail goes through the same test, padded with blanks (neither suspect nor CR): a
    // message is a few blocks long, and a byte loop over its tail cost as much as the blocks.
    let mut padded = [b' '; BLOCK];
    padded[..tail.len()].copy_from_slice(tail);
    let (tail_suspect, tail_cr) = suspect(&padded);
    let mut has_cr = tail_cr;
    let suspects = blocks
        .enumerate()
        .filter(|(_, block)| {
            <&[u8; BLOCK]>::try_from(*block).is_ok_and(|block| {
                let (suspect, cr) = suspect(block);
                has_cr |= cr;
                suspect
            })
        })
        .map(|(n, _)| n * BLOCK)
        .chain(tail_suspect.then_some(tail_start));
    for start in suspects {
        let end = (start + BLOCK).min(bytes.len());
        for (at, &b) in bytes.iter().enumerate().take(end).skip(start) {
            if b == 0xEF {
                // U+FFFE and U+FFFF are EF BF BE and EF BF BF in UTF-8.
                if let Some(c) = src.get(at..).and_then(|rest| rest.chars().next()) {
                    if !is_xml_char(c) {
                        return Err((at, c));
                    }
                }
            } else if b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r') {
                return Err((at, char::from(b)));
            }
        }
    }
    Ok(has_cr)
}

/// How a forbidden character is named in a reason: `U+001B`, never the raw character.
fn forbidden(c: char) -> String {
    format!("character U+{:04X} is not allowed in XML 1.0", u32::from(c))
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

// Inlined, with the rare case (text split by a reference or a comment) out of line: a call
// per text, for one store, cost more than the store.
#[inline]
fn push_text<'a>(text: &mut Cow<'a, str>, more: Cow<'a, str>) {
    if text.is_empty() {
        *text = more;
    } else {
        append_text(text, &more);
    }
}

#[inline(never)]
fn append_text(text: &mut Cow<'_, str>, more: &str) {
    text.to_mut().push_str(more);
}

/// A namespace binding in scope: declared at `depth` for `prefix` ("" = default namespace).
struct Binding<'a> {
    depth: usize,
    prefix: &'a str,
    ns: u32,
}

/// Parse a whole document. `base` is added to every offset (used when a BOM was stripped).
///
/// Namespaces are resolved here rather than by quick-xml's `NsReader`: pagoPA messages declare
/// them once on the envelope, so a scope stack that is touched only when an `xmlns` attribute
/// appears costs almost nothing per element.
///
/// Two tokenizers feed the same tree builder: our own (`tokenize_fast`) for the documents every
/// exchange carries, and quick-xml (`tokenize_quick_xml`) for everything else. The fast one
/// reproduces quick-xml's events exactly (same boundaries, same offsets, same texts) and gives
/// up, leaving the whole document to quick-xml, at the first thing it does not handle or the
/// first error of any kind: every error message and offset is quick-xml's, as before.
pub fn parse(src: &str, base: usize) -> Result<Document<'_>, XmlError> {
    let has_cr = match scan_chars(src) {
        Ok(has_cr) => has_cr,
        Err((at, c)) => {
            return Err(XmlError {
                offset: base + at,
                reason: forbidden(c),
                not_utf8: false,
                over_limit: false,
            });
        }
    };
    match tokenize_fast(src, base, has_cr) {
        Some(doc) => Ok(doc),
        None => tokenize_quick_xml(src, base),
    }
}

/// The element tree as it is built, event by event; both tokenizers drive it.
struct Builder<'a> {
    src: &'a str,
    base: usize,
    namespaces: Interner<'a>,
    bindings: Vec<Binding<'a>>,
    nodes: Vec<Element<'a>>,
    /// The open elements: index and qualified name (which `tokenize_fast` checks end tags
    /// against, as quick-xml does).
    stack: Vec<(u32, &'a str)>,
    root_closed: bool,
}

impl<'a> Builder<'a> {
    fn new(src: &'a str, base: usize) -> Self {
        let spare = spare::take();
        let (mut bindings, mut nodes, mut stack) = (spare.bindings, spare.nodes, spare.stack);
        bindings.reserve(4);
        // A 6 KB message has ~200 elements; one element per ~30 bytes avoids most regrowth.
        nodes.reserve(src.len() / 30 + 4);
        stack.reserve(16);
        Builder {
            src,
            base,
            namespaces: Interner::with_uris(spare.namespaces),
            bindings,
            nodes,
            stack,
            root_closed: false,
        }
    }

    /// A well-formedness error at byte `at` of `src`.
    fn err(&self, at: usize, reason: String) -> XmlError {
        XmlError {
            offset: self.base + at,
            reason,
            not_utf8: false,
            over_limit: false,
        }
    }

    /// Past one of the limits, at byte `at` of `src`.
    fn limit(&self, at: usize, reason: String) -> XmlError {
        XmlError {
            over_limit: true,
            ..self.err(at, reason)
        }
    }

    /// A start tag (`empty` for `<x/>`) whose `<` is at byte `before` of `src`; `colon`, when
    /// known, is where the first `:` of its name is (the fast tokenizer finds it while
    /// looking for the end of the name).
    fn start(
        &mut self,
        start: &BytesStart<'_>,
        before: usize,
        empty: bool,
        colon: Option<Option<usize>>,
    ) -> Result<(), XmlError> {
        let src = self.src;
        if self.root_closed {
            return Err(self.err(before, "content after the root element".into()));
        }
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.limit(
                before,
                format!("elements nested deeper than {MAX_DEPTH} levels"),
            ));
        }
        let depth = self.stack.len();
        let qlen = start.name().as_ref().len();
        // The event borrows the input, so the qualified name is the slice right after '<'.
        let qname = src.get(before + 1..before + 1 + qlen).unwrap_or("");
        let mut stray_attribute = None;
        let raw_attrs = start.attributes_raw();
        let has_attributes = !is_blank(raw_attrs);
        // The attributes as a slice of `src` (they follow the name), for the fast path below.
        // Sliced only when there are attributes: most elements have none, and slicing checks
        // both ends for a character boundary.
        let fast = match has_attributes
            .then(|| src.get(before + 1 + qlen..before + 1 + qlen + raw_attrs.len()))
            .flatten()
        {
            Some(raw) if std::ptr::eq(raw.as_ptr(), raw_attrs.as_ptr()) => {
                self.scanned(raw, before, depth)
            }
            _ => None,
        };
        if let Some(scanned) = fast {
            stray_attribute = scanned?;
        } else {
            if has_attributes {
                stray_attribute = first_plain_attribute(src, raw_attrs);
            }
            // Character references in attribute values are only decoded here, so values
            // holding one are read too, to refuse references to forbidden characters.
            if has_attributes && (raw_attrs.contains("xmlns") || raw_attrs.contains("&#")) {
                self.declarations(start, before, depth)?;
            }
        }
        // `split_once(':')`, unless the tokenizer already knows: a byte loop over every name
        // cost as much as the rest of this function. Names are a few bytes long, too short
        // for the char searcher's set-up to pay off; a hostile multi-megabyte one still gets
        // std's (always optimized) memchr, also in debug builds, where this crate's own loops
        // are not optimized.
        let colon = match colon {
            Some(colon) if qname.len() == qlen => colon,
            _ if qname.len() <= 64 => qname.bytes().position(|b| b == b':'),
            _ => qname.find(':'),
        };
        let (prefix, local) = match colon {
            Some(colon) => (&qname[..colon], &qname[colon + 1..]),
            None => ("", qname),
        };
        let ns = match self
            .bindings
            .iter()
            .rev()
            .find(|b| same_bytes(b.prefix.as_bytes(), prefix.as_bytes()))
        {
            Some(b) => b.ns,
            None if prefix.is_empty() => 0,
            None if prefix == "xml" => {
                match self
                    .namespaces
                    .intern(Cow::Borrowed("http://www.w3.org/XML/1998/namespace"))
                {
                    Some(ns) => ns,
                    None => return Err(self.limit(before, "too many namespace URIs".into())),
                }
            }
            None => {
                return Err(self.err(before, format!("undeclared namespace prefix `{prefix}`")));
            }
        };
        if !self.nodes.is_empty() && self.stack.is_empty() {
            return Err(self.err(before, "content after the root element".into()));
        }
        let index = u32::try_from(self.nodes.len())
            .map_err(|_| self.err(before, "too many elements".into()))?;
        let offset = self.base + before;
        if let Some(&(p, _)) = self.stack.last() {
            let parent = &mut self.nodes[p as usize];
            if parent.stray_text.is_none() && !is_blank(&parent.text) {
                parent.stray_text = Some(offset);
            }
            parent.text = Cow::Borrowed("");
            let last = parent.last_child;
            parent.last_child = index;
            if last == NONE {
                parent.first_child = index;
            } else {
                self.nodes[last as usize].next_sibling = index;
            }
        }
        self.nodes.push(Element {
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
        if empty {
            pop_bindings(&mut self.bindings, depth);
            self.root_closed |= self.stack.is_empty();
        } else {
            self.stack.push((index, qname));
        }
        Ok(())
    }

    /// The bindings of the attributes `raw` (a start tag's, after its name) read by
    /// [`scan_attributes_into`], and the first plain attribute; `None` when that scan cannot read
    /// them (then `declarations` does).
    ///
    /// The scan stays in this frame: returned, its 280 bytes were copied twice per tag.
    fn scanned(
        &mut self,
        raw: &'a str,
        before: usize,
        depth: usize,
    ) -> Option<Result<Option<&'a str>, XmlError>> {
        #[cfg(test)]
        if tests::SLOW_ATTRIBUTES.get() {
            return None;
        }
        let mut scan = AttributeScan::new();
        scan_attributes_into(raw, &mut scan)?;
        for &(prefix, uri) in scan.declarations() {
            let Some(ns) = self.namespaces.intern(Cow::Borrowed(uri)) else {
                return Some(Err(self.limit(before, "too many namespace URIs".into())));
            };
            self.bindings.push(Binding { depth, prefix, ns });
        }
        Some(Ok(scan.first_plain))
    }

    /// The namespace declarations of a start tag, and the character references in its
    /// attribute values (refused when they stand for a character XML forbids).
    fn declarations(
        &mut self,
        start: &BytesStart<'_>,
        before: usize,
        depth: usize,
    ) -> Result<(), XmlError> {
        let src = self.src;
        let mut declarations = 0;
        for (n, attr) in start.attributes().enumerate() {
            if n >= MAX_ATTRIBUTES {
                return Err(self.limit(
                    before,
                    format!(
                        "more than {MAX_ATTRIBUTES} attributes on an element that declares namespaces"
                    ),
                ));
            }
            let attr = attr.map_err(|e| self.err(before, e.to_string()))?;
            let key = attr.key.as_ref();
            if attr.value.contains('&') {
                let value = attr
                    .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .map_err(|e| self.err(before, e.to_string()))?;
                if let Some(c) = value.chars().find(|c| !is_xml_char(*c)) {
                    return Err(self.err(before, forbidden(c)));
                }
            }
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
            declarations += 1;
            if declarations > MAX_NAMESPACE_DECLARATIONS {
                return Err(self.limit(
                    before,
                    format!(
                        "more than {MAX_NAMESPACE_DECLARATIONS} namespace declarations on one element"
                    ),
                ));
            }
            let uri = attr
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|e| self.err(before, e.to_string()))?;
            // Borrowed from the event, which borrows `src`: keep the slice of `src`.
            let uri = match uri {
                Cow::Borrowed(uri) => match reborrow(src, uri) {
                    Some(uri) => Cow::Borrowed(uri),
                    None => Cow::Owned(uri.to_owned()),
                },
                Cow::Owned(uri) => Cow::Owned(uri),
            };
            let Some(ns) = self.namespaces.intern(uri) else {
                return Err(self.limit(before, "too many namespace URIs".into()));
            };
            self.bindings.push(Binding { depth, prefix, ns });
        }
        Ok(())
    }

    /// An end tag whose `<` is at byte `before`; the tokenizer checked that it matches.
    fn end(&mut self, before: usize) -> Result<(), XmlError> {
        match self.stack.pop() {
            Some(_) => {
                pop_bindings(&mut self.bindings, self.stack.len());
                self.root_closed |= self.stack.is_empty();
                Ok(())
            }
            None => Err(self.err(before, "unmatched end tag".into())),
        }
    }

    /// Character data (line ends already normalized) starting at byte `before`.
    // Always inlined: called for every text of every message, it is a few instructions on
    // the usual path, fewer than the call.
    #[inline(always)]
    fn text(&mut self, content: Cow<'a, str>, before: usize) -> Result<(), XmlError> {
        let offset = self.base + before;
        match self.stack.last().map(|&(i, _)| &mut self.nodes[i as usize]) {
            Some(el) if !el.has_children() => push_text(&mut el.text, content),
            Some(el) => {
                if el.stray_text.is_none() && !is_blank(&content) {
                    el.stray_text = Some(offset);
                }
            }
            None => {
                if !is_blank(&content) {
                    return Err(self.err(before, "text outside the root element".into()));
                }
            }
        }
        Ok(())
    }

    /// A CDATA section (line ends already normalized) starting at byte `before`.
    fn cdata(&mut self, content: Cow<'a, str>, before: usize) -> Result<(), XmlError> {
        let offset = self.base + before;
        match self.stack.last().map(|&(i, _)| &mut self.nodes[i as usize]) {
            Some(el) if !el.has_children() => push_text(&mut el.text, content),
            Some(el) => {
                if el.stray_text.is_none() {
                    el.stray_text = Some(offset);
                }
            }
            None => return Err(self.err(before, "CDATA outside the root element".into())),
        }
        Ok(())
    }

    /// An entity or character reference whose `&` is at byte `before`.
    fn reference(&mut self, r: &BytesRef<'_>, before: usize) -> Result<(), XmlError> {
        let ch = match r.resolve_char_ref() {
            Ok(Some(c)) if !is_xml_char(c) => {
                return Err(self.err(before, forbidden(c)));
            }
            Ok(Some(c)) => c,
            Ok(None) => match predefined_entity(r) {
                Some(c) => c,
                None => {
                    return Err(self.err(before, format!("undefined entity `&{};`", &**r)));
                }
            },
            Err(e) => return Err(self.err(before, e.to_string())),
        };
        let offset = self.base + before;
        match self.stack.last().map(|&(i, _)| &mut self.nodes[i as usize]) {
            Some(el) if !el.has_children() => el.text.to_mut().push(ch),
            Some(el) => {
                if el.stray_text.is_none() {
                    el.stray_text = Some(offset);
                }
            }
            None => return Err(self.err(before, "reference outside the root element".into())),
        }
        Ok(())
    }

    /// The document, once the input is exhausted.
    fn finish(mut self) -> Result<Document<'a>, XmlError> {
        let end = self.base + self.src.len();
        if let Some(&(open, _)) = self.stack.last() {
            return Err(XmlError {
                offset: end,
                reason: format!(
                    "unexpected end of input: <{}> is not closed",
                    self.nodes[open as usize].local
                ),
                not_utf8: false,
                over_limit: false,
            });
        }
        match self.nodes.is_empty() {
            false => Ok(Document {
                src: self.src,
                namespaces: std::mem::take(&mut self.namespaces.uris),
                nodes: std::mem::take(&mut self.nodes),
            }),
            true => Err(XmlError {
                offset: end,
                reason: "no root element (empty document)".into(),
                not_utf8: false,
                over_limit: false,
            }),
        }
    }
}

impl Drop for Builder<'_> {
    fn drop(&mut self) {
        spare::keep_builder(
            std::mem::take(&mut self.bindings),
            std::mem::take(&mut self.stack),
            // Still here only when the input was refused.
            std::mem::take(&mut self.nodes),
            std::mem::take(&mut self.namespaces.uris),
        );
    }
}

/// The lists a parse fills, kept between parses on the same thread.
///
/// Each parse allocated its element arena and three small lists, a sixth of the allocations of
/// the reference station's answer to a verify; the arena of even a small request is past the
/// allocator's fast sizes (issue 9, "Performance"). Emptied lists are kept here with their
/// allocations, up to a size that a hostile document cannot make a thread hold on to.
mod spare {
    use super::{Binding, Element};
    use std::borrow::Cow;
    use std::cell::RefCell;

    /// Largest arena kept (elements): 96 KiB per thread, five times the arena of the largest
    /// message collaudo handles (a paSendRTV2 request with five transfers: ~200 elements).
    const MAX_NODES: usize = 1024;
    /// Largest of the small lists kept.
    const MAX_LIST: usize = 256;

    #[derive(Default)]
    pub(super) struct Spare {
        pub(super) nodes: Vec<Element<'static>>,
        pub(super) namespaces: Vec<Cow<'static, str>>,
        pub(super) bindings: Vec<Binding<'static>>,
        pub(super) stack: Vec<(u32, &'static str)>,
    }

    thread_local! {
        static SPARE: RefCell<Spare> = const {
            RefCell::new(Spare {
                nodes: Vec::new(),
                namespaces: Vec::new(),
                bindings: Vec::new(),
                stack: Vec::new(),
            })
        };
    }

    /// The lists kept on this thread (empty ones when there are none).
    pub(super) fn take() -> Spare {
        SPARE
            .try_with(|cell| {
                cell.try_borrow_mut()
                    .map(|mut spare| std::mem::take(&mut *spare))
            })
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default()
    }

    /// `list`, emptied and with its lifetime forgotten, in the same allocation: a collect
    /// from a vector's own iterator into a vector of the same layout is done in place.
    fn emptied<T, U>(list: Vec<T>) -> Vec<U> {
        list.into_iter().filter_map(|_| None).collect()
    }

    /// Whether `list` is worth keeping in place of `kept`: larger, but not past `max`.
    fn better<T, U>(list: &Vec<T>, kept: &Vec<U>, max: usize) -> bool {
        list.capacity() > kept.capacity() && list.capacity() <= max
    }

    /// Updated in place: the four lists are not moved out and back.
    fn keep(store: impl FnOnce(&mut Spare)) {
        let _ = SPARE.try_with(|cell| {
            if let Ok(mut spare) = cell.try_borrow_mut() {
                store(&mut spare);
            }
        });
    }

    fn keep_lists(spare: &mut Spare, nodes: Vec<Element<'_>>, namespaces: Vec<Cow<'_, str>>) {
        if better(&nodes, &spare.nodes, MAX_NODES) {
            spare.nodes = emptied(nodes);
        }
        if better(&namespaces, &spare.namespaces, MAX_LIST) {
            spare.namespaces = emptied(namespaces);
        }
    }

    pub(super) fn keep_document(nodes: Vec<Element<'_>>, namespaces: Vec<Cow<'_, str>>) {
        keep(|spare| keep_lists(spare, nodes, namespaces));
    }

    pub(super) fn keep_builder(
        bindings: Vec<Binding<'_>>,
        stack: Vec<(u32, &str)>,
        nodes: Vec<Element<'_>>,
        namespaces: Vec<Cow<'_, str>>,
    ) {
        keep(|spare| {
            if better(&bindings, &spare.bindings, MAX_LIST) {
                spare.bindings = emptied(bindings);
            }
            if better(&stack, &spare.stack, MAX_LIST) {
                spare.stack = emptied(stack);
            }
            keep_lists(spare, nodes, namespaces);
        });
    }

    #[cfg(test)]
    pub(super) fn kept_nodes() -> usize {
        SPARE.with(|cell| cell.borrow().nodes.capacity())
    }
}

/// The tree from quick-xml's events: any input, every error as quick-xml words it.
fn tokenize_quick_xml(src: &str, base: usize) -> Result<Document<'_>, XmlError> {
    let mut reader = Reader::from_str(src);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.expand_empty_elements = false;
    let mut tree = Builder::new(src, base);
    loop {
        let before = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = match reader.read_event() {
            Ok(ev) => ev,
            Err(e) => {
                let at = usize::try_from(reader.error_position()).unwrap_or(usize::MAX);
                return Err(tree.err(at, e.to_string()));
            }
        };
        match event {
            Event::Start(ref start) => tree.start(start, before, false, None)?,
            Event::Empty(ref start) => tree.start(start, before, true, None)?,
            Event::End(_) => tree.end(before)?,
            Event::Text(t) => tree.text(t.xml10_content(), before)?,
            Event::CData(c) => tree.cdata(c.xml10_content(), before)?,
            Event::GeneralRef(r) => tree.reference(&r, before)?,
            Event::DocType(_) => {
                // Refusing DTDs keeps entity expansion (billion laughs, XXE) out entirely;
                // SOAP 1.1 forbids a DTD in an envelope anyway.
                return Err(tree.err(before, "a DOCTYPE is not allowed in a SOAP message".into()));
            }
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    tree.finish()
}

/// The tree from a scan of our own that splits the input exactly as quick-xml's slice reader
/// does (with this module's configuration: end names checked, empty elements not expanded,
/// text neither trimmed nor allowed a lone `&`), without quick-xml's per-event UTF-8
/// re-validation (`src` is a `&str`), and without its EOL normalization pass when the input
/// holds no CR at all (`has_cr`).
///
/// `None` means "ask quick-xml": on a DOCTYPE, a byte-order mark left in `src`, anything
/// quick-xml would refuse, and any error the tree builder reports. Nothing is ever reported
/// from here, so errors keep quick-xml's words and offsets.
fn tokenize_fast(src: &str, base: usize, has_cr: bool) -> Option<Document<'_>> {
    let bytes = src.as_bytes();
    // quick-xml drops a (second) BOM without counting it in its offsets.
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        return None;
    }
    let mut tree = Builder::new(src, base);
    // End tags are checked against the qualified names of the open elements (`tree.stack`),
    // as quick-xml does. None holds a quote (see the start tag below), so the `>` right after
    // one in an end tag is the one quick-xml stops at.
    let mut pos = 0;
    loop {
        // Text, up to markup or a reference.
        let text_len = text_len(bytes.get(pos..)?);
        if text_len > 0 {
            let raw = src.get(pos..pos + text_len)?;
            let content = if has_cr {
                BytesText::from_escaped(raw).xml10_content()
            } else {
                Cow::Borrowed(raw)
            };
            tree.text(content, pos).ok()?;
            pos += text_len;
        }
        let Some(&b) = bytes.get(pos) else { break };
        if b == b'&' {
            // `&name;`; a `&` or `<` before the `;`, or no `;`, is an error.
            let name_start = pos + 1;
            let name_len = bytes
                .get(name_start..)?
                .iter()
                .position(|&b| b == b';' || b == b'&' || b == b'<')?;
            if bytes.get(name_start + name_len) != Some(&b';') {
                return None;
            }
            let name = src.get(name_start..name_start + name_len)?;
            tree.reference(&BytesRef::new(name), pos).ok()?;
            pos = name_start + name_len + 1;
            continue;
        }
        let lt = pos;
        match *bytes.get(lt + 1)? {
            b'/' => {
                let &(_, expected) = tree.stack.last()?;
                let after = lt + 2 + expected.len();
                // Nearly always `</name>`; anything else goes the long way.
                if bytes
                    .get(lt + 2..after)
                    .is_some_and(|name| same_bytes(name, expected.as_bytes()))
                    && bytes.get(after) == Some(&b'>')
                {
                    pos = after + 1;
                } else {
                    let gt = tag_end(bytes, lt)?;
                    let content = src.get(lt + 2..gt)?;
                    // Blanks after the name are allowed (and trimmed) in an end tag.
                    let name = match content.bytes().rposition(|b| !is_blank_byte(b)) {
                        Some(last) => content.get(..=last)?,
                        None => content,
                    };
                    if name != expected {
                        return None;
                    }
                    pos = gt + 1;
                }
                tree.end(lt).ok()?;
            }
            b'?' => {
                // A processing instruction or the XML declaration: up to the first `?>`;
                // `<?>` is an error. Neither is part of the tree.
                let mut gt = lt + 2;
                loop {
                    if *bytes.get(gt)? == b'>' && bytes.get(gt - 1) == Some(&b'?') {
                        break;
                    }
                    gt += 1;
                }
                if gt - lt < 3 {
                    return None;
                }
                pos = gt + 1;
            }
            b'!' => {
                let rest = bytes.get(lt..)?;
                if rest.starts_with(b"<!--") {
                    // A comment ends at the first `>` after `--` that is at least 6 bytes in.
                    let mut gt = 6;
                    loop {
                        if *rest.get(gt)? == b'>' && rest.get(..gt)?.ends_with(b"--") {
                            break;
                        }
                        gt += 1;
                    }
                    pos = lt + gt + 1;
                } else if rest.starts_with(b"<![CDATA[") {
                    // A CDATA section ends at the first `]]>`.
                    let mut gt = 9;
                    loop {
                        if *rest.get(gt)? == b'>' && rest.get(..gt)?.ends_with(b"]]") {
                            break;
                        }
                        gt += 1;
                    }
                    let content = src.get(lt + 9..lt + gt - 2)?;
                    tree.cdata(BytesCData::new(content).xml10_content(), lt)
                        .ok()?;
                    pos = lt + gt + 1;
                } else {
                    // A DOCTYPE (always refused) or a malformed `<!`.
                    return None;
                }
            }
            _ => {
                // The name runs up to a blank; the tag, up to the first `>` outside quotes.
                // Nearly always `<name>` or `<name/>`, found in one pass over the name.
                let (plain, colon) = plain_name_len(bytes.get(lt + 1..)?)?;
                let stop = lt + 1 + plain;
                let (content, empty, name_len, gt) = match bytes.get(stop..stop + 2)? {
                    [b'>', _] => (src.get(lt + 1..stop)?, false, plain, stop),
                    [b'/', b'>'] => (src.get(lt + 1..stop)?, true, plain, stop + 1),
                    _ => long_start_tag(src, lt, plain)?,
                };
                let start = BytesStart::from_content(content, name_len);
                // The colon was looked for up to `plain` only: past it (a name holding a quote
                // or a `/`), `start` looks again.
                let colon = (name_len == plain).then_some(colon);
                tree.start(&start, lt, empty, colon).ok()?;
                pos = gt + 1;
            }
        }
    }
    tree.finish().ok()
}

/// A start tag at `lt` whose name (`plain` bytes long) is followed by something else than
/// `>` or `/>` (attributes, blanks): its content, whether it is empty, its name's length and
/// where its `>` is; `None` where quick-xml must decide. Out of line: only the envelope takes
/// it, and inside the tokenizer's loop it made every other tag dearer.
#[cold]
#[inline(never)]
fn long_start_tag(src: &str, lt: usize, plain: usize) -> Option<(&str, bool, usize, usize)> {
    let gt = tag_end(src.as_bytes(), lt)?;
    let inner = src.get(lt + 1..gt)?;
    let (content, empty) = match inner.strip_suffix('/') {
        Some(content) => (content, true),
        None => (inner, false),
    };
    let name_len = content
        .bytes()
        .position(is_blank_byte)
        .unwrap_or(content.len());
    // No quote comes before `plain` (where the name scan stopped), so only the rest of the
    // name is looked at: nothing at all when a blank ends the name, as in the envelope, where
    // two memchr calls cost more than the rest of its name.
    let rest = content.as_bytes()[..name_len].get(plain..);
    if rest.is_some_and(|name| !name.is_empty() && (name.contains(&b'"') || name.contains(&b'\'')))
    {
        return None;
    }
    Some((content, empty, name_len, gt))
}

/// The `>` that closes the tag opening at `lt`, outside quoted attribute values (quick-xml's
/// `ElementParser`). A word at a time: the envelope's start tag, with its namespace URIs, is
/// the longest tag of a message, and a byte loop over it cost as much as the rest of the tag.
fn tag_end(bytes: &[u8], lt: usize) -> Option<usize> {
    let mut at = lt;
    loop {
        at += find_any(bytes.get(at..)?, [b'>', b'"', b'\''])?;
        let quote = *bytes.get(at)?;
        if quote == b'>' {
            return Some(at);
        }
        at += 1;
        // One byte to look for, not the same one three times: the closing quote of each
        // namespace URI is the longest search of a message.
        at += find_any(bytes.get(at..)?, [quote])? + 1;
    }
}

/// Where the first byte equal to one of `set` is in `bytes`.
// Always inlined, so that the bytes of `set` are constants where they are: out of line, the
// search for the envelope's `>` cost three times as much.
#[inline(always)]
fn find_any<const N: usize>(bytes: &[u8], set: [u8; N]) -> Option<usize> {
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut words {
        let w = word(chunk);
        let found = set.iter().fold(0, |found, &b| found | bytes_equal(w, b));
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    let tail = words.remainder();
    tail.iter().position(|b| set.contains(b)).map(|k| at + k)
}

/// Where a plain `<name` stops: a blank, the end of the tag, or a quote.
fn is_tag_stop(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'>' | b'/' | b'"' | b'\'')
}

// Eight bytes at a time ("SWAR"): texts and names are a few to a few dozen bytes, too short
// for a vector search to pay off and long enough for a byte loop to dominate the parse.
const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of every byte of `w` equal to `b`, possibly also of some bytes above one:
/// the lowest bit set is always exact, and no byte equal to `b` is missed.
fn bytes_equal(w: u64, b: u8) -> u64 {
    let x = w ^ (ONES * u64::from(b));
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// As [`bytes_equal`], for the bytes of `w` below `n` (`n` at most 0x7F).
fn bytes_below(w: u64, n: u8) -> u64 {
    w.wrapping_sub(ONES * u64::from(n)) & !w & HIGHS
}

/// Whether `a` and `b` hold the same bytes. Names and prefixes are a few bytes long: two
/// overlapping loads from each end compare them, where `==` called memcmp for every end tag.
#[inline]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    fn load<const N: usize>(s: &[u8], at: usize) -> Option<[u8; N]> {
        s.get(at..at + N)?.try_into().ok()
    }
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        0 => true,
        // Bytes 0, n/2 and n-1 are every byte.
        1..=3 => {
            a.first() == b.first() && a.get(n / 2) == b.get(n / 2) && a.get(n - 1) == b.get(n - 1)
        }
        4..=8 => load::<4>(a, 0) == load::<4>(b, 0) && load::<4>(a, n - 4) == load::<4>(b, n - 4),
        9..=16 => load::<8>(a, 0) == load::<8>(b, 0) && load::<8>(a, n - 8) == load::<8>(b, n - 8),
        _ => a == b,
    }
}

/// The eight bytes at the start of `chunk` (exactly eight long) as one word, first byte lowest.
fn word(chunk: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(chunk);
    u64::from_le_bytes(w)
}

/// How many bytes of text come before the first `<` or `&` (all of them when there is none).
fn text_len(bytes: &[u8]) -> usize {
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut words {
        let w = word(chunk);
        let found = bytes_equal(w, b'<') | bytes_equal(w, b'&');
        if found != 0 {
            return at + (found.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    let tail = words.remainder();
    at + tail
        .iter()
        .position(|&b| b == b'<' || b == b'&')
        .unwrap_or(tail.len())
}

/// How many bytes after `<` come before the first [`is_tag_stop`] byte, and where the first
/// `:` among them is; `None` when there is no stop byte. Every stop byte is below `0` (0x30)
/// or is `>`, so only those and `:` are looked at closely.
fn plain_name_len(bytes: &[u8]) -> Option<(usize, Option<usize>)> {
    let mut colon = None;
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut words {
        let w = word(chunk);
        let mut candidates = bytes_below(w, b'0') | bytes_equal(w, b'>') | bytes_equal(w, b':');
        while candidates != 0 {
            let k = (candidates.trailing_zeros() / 8) as usize;
            match chunk.get(k).copied() {
                Some(b) if is_tag_stop(b) => return Some((at + k, colon)),
                Some(b':') => {
                    colon.get_or_insert(at + k);
                }
                // A `-` or `.` in the name (or a byte flagged only by the borrow of one).
                _ => {}
            }
            candidates &= candidates - 1;
        }
        at += 8;
    }
    for (k, &b) in words.remainder().iter().enumerate() {
        if is_tag_stop(b) {
            return Some((at + k, colon));
        }
        if b == b':' {
            colon.get_or_insert(at + k);
        }
    }
    None
}

fn is_blank_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// What [`scan_attributes_into`] read from a start tag.
struct AttributeScan<'a> {
    /// As [`first_plain_attribute`] finds it.
    first_plain: Option<&'a str>,
    /// The namespace declarations in order: prefix ("" for the default namespace) and URI.
    declared: [(&'a str, &'a str); FAST_ATTRIBUTES],
    declared_len: usize,
}

impl<'a> AttributeScan<'a> {
    fn new() -> Self {
        AttributeScan {
            first_plain: None,
            declared: [("", ""); FAST_ATTRIBUTES],
            declared_len: 0,
        }
    }

    fn declarations(&self) -> &[(&'a str, &'a str)] {
        &self.declared[..self.declared_len]
    }
}

/// Most attributes [`scan_attributes_into`] reads; past that, quick-xml's iterator does.
const FAST_ATTRIBUTES: usize = 8;

/// [`scan_attributes_into`] a new scan.
#[cfg(test)]
fn scan_attributes(raw: &str) -> Option<AttributeScan<'_>> {
    let mut scan = AttributeScan::new();
    scan_attributes_into(raw, &mut scan)?;
    Some(scan)
}

/// The attributes of a start tag (`raw`: the text after its name, a slice of the input) read
/// the way [`Builder::declarations`] reads them through quick-xml's iterator, when that is
/// sure to succeed and to give the same bindings: `None` for anything else (a malformed or
/// duplicate attribute, more than [`FAST_ATTRIBUTES`], a value holding a `&`, a tab or a line
/// end, which `declarations` would decode or normalize), so that errors and limits stay
/// quick-xml's and ours.
///
/// The iterator and `normalized_value` cost more than the rest of the envelope's start tag,
/// and URIs read here borrow the input instead of being copied.
///
/// `scan` comes new, and holds nothing useful when the answer is `None`.
fn scan_attributes_into<'a>(raw: &'a str, scan: &mut AttributeScan<'a>) -> Option<()> {
    let bytes = raw.as_bytes();
    let mut keys = [""; FAST_ATTRIBUTES];
    let mut keys_len = 0;
    let mut at = 0;
    let skip_blanks = |mut at: usize| {
        while bytes.get(at).copied().is_some_and(is_blank_byte) {
            at += 1;
        }
        at
    };
    loop {
        at = skip_blanks(at);
        let key_start = at;
        match bytes.get(at) {
            None => break,
            // quick-xml would take `=` as part of a key, `first_plain_attribute` would not.
            Some(b'=') => return None,
            Some(_) => {}
        }
        // quick-xml's key: from its first byte up to `=` or a blank, never empty.
        at += 1;
        while bytes
            .get(at)
            .is_some_and(|&b| b != b'=' && !is_blank_byte(b))
        {
            at += 1;
        }
        let key = raw.get(key_start..at)?;
        at = skip_blanks(at);
        if bytes.get(at) != Some(&b'=') {
            return None;
        }
        if keys_len == FAST_ATTRIBUTES || keys[..keys_len].contains(&key) {
            return None;
        }
        keys[keys_len] = key;
        keys_len += 1;
        at = skip_blanks(at + 1);
        let quote = *bytes.get(at).filter(|&&q| q == b'"' || q == b'\'')?;
        let value_start = at + 1;
        let value_len = value_len(bytes.get(value_start..)?, quote)?;
        let value = raw.get(value_start..value_start + value_len)?;
        // The next attribute may start right after the quote, as quick-xml allows.
        at = value_start + value_len + 1;
        let prefix = if key == "xmlns" {
            ""
        } else if let Some(prefix) = key.strip_prefix("xmlns:") {
            prefix
        } else {
            if scan.first_plain.is_none() && !key.starts_with("xsi:") {
                scan.first_plain = Some(key);
            }
            continue;
        };
        scan.declared[scan.declared_len] = (prefix, value);
        scan.declared_len += 1;
    }
    Some(())
}

/// The length of an attribute value up to its closing `quote`, a word at a time (namespace
/// URIs are long); `None` when a `&`, a tab, a line end (or any byte below 0x0E, which
/// [`scan_chars`] refused anyway) comes first, or the quote never does.
fn value_len(bytes: &[u8], quote: u8) -> Option<usize> {
    let stop = |b: u8| b == quote || b == b'&' || b < 0x0E;
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut words {
        let w = word(chunk);
        let found = bytes_equal(w, quote) | bytes_equal(w, b'&') | bytes_below(w, 0x0E);
        if found != 0 {
            at += (found.trailing_zeros() / 8) as usize;
            break;
        }
        at += 8;
    }
    if at == bytes.len() - words.remainder().len() {
        at += words.remainder().iter().position(|&b| stop(b))?;
    }
    (*bytes.get(at)? == quote).then_some(at)
}

/// `part`, a slice of `src` seen through a shorter-lived borrow (a quick-xml event), as the
/// same slice of `src`; `None` when it is not part of `src`.
fn reborrow<'a>(src: &'a str, part: &str) -> Option<&'a str> {
    let at = (part.as_ptr() as usize).wrapping_sub(src.as_ptr() as usize);
    let same = src.get(at..at.checked_add(part.len())?)?;
    std::ptr::eq(same.as_ptr(), part.as_ptr()).then_some(same)
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
    use std::cell::Cell;

    thread_local! {
        /// Makes [`Builder::start`] skip [`scan_attributes`], to compare it with the slow path.
        pub(super) static SLOW_ATTRIBUTES: Cell<bool> = const { Cell::new(false) };
    }

    #[test]
    fn a_parse_reuses_the_lists_of_the_previous_one_on_its_thread() {
        let big = format!("<a xmlns=\"urn:a\">{}</a>", "<b>x</b>".repeat(100));
        let doc = parse(&big, 0).expect("well-formed");
        let capacity = doc.nodes.capacity();
        drop(doc);
        assert_eq!(
            spare::kept_nodes(),
            capacity,
            "the arena was not kept whole"
        );
        // A smaller document after it: built in the kept arena, with none of its elements.
        let small = parse("<p:r xmlns:p=\"urn:p\"><c>1</c><d/></p:r>", 0).expect("well-formed");
        assert_eq!(spare::kept_nodes(), 0, "the kept arena was not taken");
        assert_eq!(small.nodes.capacity(), capacity);
        assert_eq!(small.nodes.len(), 3);
        assert_eq!(
            &small.namespaces[..],
            &[Cow::Borrowed(""), Cow::Borrowed("urn:p")]
        );
        let names: Vec<&str> = small.nodes.iter().map(|e| e.local).collect();
        assert_eq!(names, ["r", "c", "d"]);
        assert_eq!(small.children(small.root()).count(), 2);
        drop(small);
        // A refused document gives its lists back too.
        assert!(parse("<a><b></a>", 0).is_err());
        assert_eq!(spare::kept_nodes(), capacity);
    }

    #[test]
    fn a_huge_arena_is_not_kept() {
        let huge = format!("<a>{}</a>", "<b/>".repeat(10_000));
        let doc = parse(&huge, 0).expect("well-formed");
        assert!(doc.nodes.capacity() > 10_000);
        drop(doc);
        assert_eq!(
            spare::kept_nodes(),
            0,
            "a thread keeps a hostile document's arena"
        );
    }

    /// `parse`, with every start tag's attributes read by quick-xml's iterator.
    fn parse_slowly(src: &str, base: usize) -> Result<Document<'_>, XmlError> {
        SLOW_ATTRIBUTES.set(true);
        let doc = parse(src, base);
        SLOW_ATTRIBUTES.set(false);
        doc
    }

    /// Attributes, namespace declarations among them, well-formed or not.
    const ATTRIBUTES: &[&str] = &[
        " xmlns=\"urn:a\"",
        " xmlns='urn:b'",
        " xmlns=\"\"",
        " xmlns:p=\"urn:p\"",
        " xmlns:p='urn:q'",
        " xmlns:q=\"urn:a\"",
        " xmlns:xml=\"http://www.w3.org/XML/1998/namespace\"",
        " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"",
        " xmlns:=\"urn:e\"",
        " xmlns:p=\"\"",
        "\n\txmlns:r = \"urn:r\" ",
        " xmlns:s=\"urn:&amp;s\"",
        " xmlns:t=\"urn:&#1;\"",
        " xmlns:u=\"urn:\tu\"",
        " xmlns:v=\"a\r\nb\"",
        " xsi:type=\"t\"",
        " xsi:nil='true'",
        " a=\"1\"",
        " a='2'",
        " b=\"x&#65;\"",
        " c=\"&#x1F;\"",
        " d=\"'\"",
        " e='\"'",
        "f=\"1\"",
        " g",
        " h=",
        " i=x",
        " j=\"open",
        " =\"k\"",
        " ==\"l\"",
        " 'm'=\"n\"",
        " xmlns",
        " xmlns:é=\"urn:é\"",
        " ",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2_000))]
        #[test]
        fn scanned_attributes_read_as_quick_xml_reads_them(
            tags in proptest::collection::vec(
                (proptest::collection::vec(0..ATTRIBUTES.len(), 0..6), 0..4usize),
                1..6,
            ),
            close in proptest::bool::ANY,
        ) {
            // Nested elements, each with its attributes and a child in some prefix, so that
            // bindings are re-declared, shadowed and undeclared at several depths.
            let names = ["r", "p:x", "e", "xml:z"];
            let mut src = String::new();
            let mut open = Vec::new();
            for (attrs, name) in &tags {
                let name = names[*name];
                src.push('<');
                src.push_str(name);
                for &a in attrs {
                    src.push_str(ATTRIBUTES[a]);
                }
                src.push('>');
                open.push(name);
            }
            src.push_str("<p:leaf xmlns:p=\"urn:l\"/><leaf/>");
            if close {
                while let Some(name) = open.pop() {
                    src.push_str(&format!("</{name}>"));
                }
            }
            proptest::prop_assert_eq!(
                format!("{:?}", parse(&src, 3)),
                format!("{:?}", parse_slowly(&src, 3)),
                "{}", src
            );
            let slow = tokenize_quick_xml(&src, 3);
            SLOW_ATTRIBUTES.set(true);
            let slower = tokenize_quick_xml(&src, 3);
            SLOW_ATTRIBUTES.set(false);
            proptest::prop_assert_eq!(format!("{slow:?}"), format!("{slower:?}"), "{}", src);
        }
    }

    #[test]
    fn the_envelopes_of_every_exchange_take_the_attribute_scan() {
        let verify = r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:pafn="http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd">"#;
        let raw = &verify["<soapenv:Envelope".len()..verify.len() - 1];
        let scan = scan_attributes(raw).unwrap();
        assert_eq!(scan.first_plain, None);
        assert_eq!(
            scan.declarations(),
            [("soapenv", NS_SOAP11), ("pafn", NS_PAFORNODE)]
        );
        for raw in [
            " xmlns:a=\"x\" xmlns:a=\"y\"",
            " a=\"&amp;\"",
            " xmlns:p=\"a\nb\"",
        ] {
            assert!(scan_attributes(raw).is_none(), "{raw:?}");
        }
    }

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
    fn characters_xml_forbids_are_refused_raw_or_as_references() {
        for (src, at) in [
            ("<a>x\u{1b}y</a>", 4),
            ("<a>\u{0}</a>", 3),
            ("<a>\u{8}</a>", 3),
            ("<a>\u{ffff}</a>", 3),
            ("<a>\u{fffe}</a>", 3),
            ("<!-- \u{c} --><a/>", 5),
            ("<a b=\"\u{1f}\"/>", 6),
            ("<a>x&#27;</a>", 4),
            ("<a>&#x1B;</a>", 3),
            ("<a>&#xFFFF;</a>", 3),
            ("<a>&#xfffe;</a>", 3),
            ("<a>&#0;</a>", 3),
            ("<a xmlns:p=\"urn:&#1;\"/>", 0),
            ("<a b=\"&#x1F;\"/>", 0),
        ] {
            let e = parse(src, 0).unwrap_err();
            assert_eq!(e.offset, at, "{src:?}: {}", e.reason);
            assert!(
                e.reason.contains("not allowed in XML") || e.reason.contains("0x0"),
                "{src:?}: {}",
                e.reason
            );
            assert!(!e.reason.chars().any(|c| c.is_control()), "{:?}", e.reason);
        }
        // Allowed: tab, LF, CR, C1 controls, U+FFFD, astral planes; also as references.
        for src in [
            "<a>\t\r\n\u{85}\u{fffd}\u{10ffff}</a>",
            "<a>&#9;&#xA;&#xD;&#x85;&#xFFFD;&#x10FFFF;</a>",
            "<a>\u{feff}</a>",
        ] {
            assert!(parse(src, 0).is_ok(), "{src:?}");
        }
        // A suspect byte at every position of the 32-byte blocks is found.
        for pad in 0..70 {
            let src = format!("<a>{}\u{1}</a>", "x".repeat(pad));
            assert_eq!(parse(&src, 0).unwrap_err().offset, 3 + pad);
        }
    }

    #[test]
    fn namespace_ids_are_exact_beyond_u16() {
        let mut ns = Interner::new();
        for i in 0..70_000u32 {
            assert_eq!(ns.intern(format!("urn:n:{i}").into()), Some(i + 1));
        }
        assert_eq!(ns.intern("urn:n:65534".into()), Some(65_535));
        assert_eq!(ns.intern("urn:n:69999".into()), Some(70_000));
        assert_eq!(ns.intern("urn:evil".into()), Some(70_001));
        assert_eq!(ns.intern("".into()), Some(0));
        assert_eq!(ns.uris[70_001], "urn:evil");
    }

    #[test]
    fn namespace_declarations_per_element_are_capped() {
        let decls = |n: usize| {
            (0..n)
                .map(|i| format!(" xmlns:p{i}=\"urn:{i}\""))
                .collect::<String>()
        };
        let ok = format!("<a{}/>", decls(MAX_NAMESPACE_DECLARATIONS));
        assert!(parse(&ok, 0).is_ok());
        let e = parse(&format!("<a{}/>", decls(MAX_NAMESPACE_DECLARATIONS + 1)), 0).unwrap_err();
        assert!(e.over_limit, "{e:?}");
        assert!(e.reason.contains("namespace declarations"), "{}", e.reason);
        let attrs: String = (0..MAX_ATTRIBUTES)
            .map(|i| format!(" b{i}=\"1\""))
            .collect();
        let e = parse(&format!("<a xmlns=\"urn:a\"{attrs}/>"), 0).unwrap_err();
        assert!(e.over_limit, "{e:?}");
    }

    /// The fast tokenizer and quick-xml build the same tree, or the fast one gives up.
    fn same_as_quick_xml(src: &str) -> bool {
        let slow = tokenize_quick_xml(src, 3);
        let Ok(has_cr) = scan_chars(src) else {
            return false;
        };
        match tokenize_fast(src, 3, has_cr) {
            Some(fast) => {
                let slow = slow.unwrap_or_else(|e| panic!("{src:?}: fast Ok, quick-xml {e:?}"));
                assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{src:?}");
                true
            }
            None => false,
        }
    }

    /// Pieces of XML, well-formed or not, to put together in every order.
    const PIECES: &[&str] = &[
        "<a>",
        "</a>",
        "</a >",
        "</ a>",
        "<p:b xmlns:p=\"urn:x\">",
        "</p:b>",
        "<q:c/>",
        "<c/>",
        "<c />",
        "<c/ >",
        "<d x='>'/>",
        "<d x=\">\" y='\"'>",
        "</d>",
        "<e xmlns=\"urn:e\" a=\"1\"/>",
        "<e xmlns=\"urn:e\"a=\"1\"/>",
        "<e xmlns:=\"urn:e\"/>",
        "<f a=\"1\" a=\"2\">",
        "<f xmlns:r=\"urn:&#1;\"/>",
        "<f a=\"&#x41;\" xmlns=\"\">",
        "</f>",
        "<xml:g/>",
        "<>",
        "</>",
        "< a>",
        "text",
        " ",
        "\n",
        "\r\n",
        "\r",
        "\t",
        "&amp;",
        "&lt;",
        "&#65;",
        "&#x1F;",
        "&#xD;",
        "&#0;",
        "&#-1;",
        "&bogus;",
        "&;",
        "&",
        ";",
        "<!-- c -->",
        "<!---->",
        "<!-->",
        "<!-- a--b -->",
        "<!-x->",
        "<![CDATA[x\r\ny]]>",
        "<![CDATA[]]>",
        "<![CDATA[",
        "]]>",
        "<![cdata[x]]>",
        "<?xml version=\"1.0\"?>",
        "<?pi x?>",
        "<??>",
        "<?>",
        "<!DOCTYPE a>",
        "<!x>",
        "<",
        ">",
        "\"",
        "'",
        "/",
        "=",
        "\u{feff}",
        "é",
        "€",
    ];

    #[test]
    fn the_fast_tokenizer_agrees_with_quick_xml_on_every_triple_of_pieces() {
        let mut fast = 0;
        for a in PIECES {
            for b in PIECES {
                for c in PIECES {
                    let src = format!("{a}{b}{c}");
                    fast += usize::from(same_as_quick_xml(&src));
                    let src = format!("<r>{a}{b}{c}</r>");
                    fast += usize::from(same_as_quick_xml(&src));
                }
            }
        }
        // It must not simply give up on everything.
        assert!(fast > 10_000, "{fast}");
    }

    proptest::proptest! {
        #[test]
        fn the_fast_tokenizer_agrees_with_quick_xml_on_longer_documents(
            pieces in proptest::collection::vec(0..PIECES.len(), 0..40),
            wrap in proptest::bool::ANY,
        ) {
            let body: String = pieces.iter().map(|&i| PIECES[i]).collect();
            let src = if wrap { format!("<?xml version='1.0'?>\n<r xmlns='urn:r'>{body}</r>\n") } else { body };
            same_as_quick_xml(&src);
            // And the public entry point (forbidden characters first, then either tokenizer)
            // answers exactly as quick-xml alone did.
            let before: Result<Document<'_>, XmlError> = match scan_chars(&src) {
                Err((at, c)) => Err(XmlError { offset: 3 + at, reason: forbidden(c), not_utf8: false, over_limit: false }),
                Ok(_) => tokenize_quick_xml(&src, 3),
            };
            proptest::prop_assert_eq!(format!("{:?}", parse(&src, 3)), format!("{before:?}"));
        }

        #[test]
        fn the_fast_tokenizer_agrees_with_quick_xml_on_damaged_messages(
            get in proptest::bool::ANY,
            edits in proptest::collection::vec((0.0..1.0f64, 0..PIECES.len(), 0..4usize), 1..6),
        ) {
            // A real message with a few pieces put in and a few bytes taken out, anywhere.
            let message = if get {
                crate::samples::get_payment_v2_response()
            } else {
                crate::samples::send_rt_v2_request()
            };
            let mut src = message.to_xml();
            for (at, piece, cut) in edits {
                let mut i = (at * src.len() as f64) as usize;
                while !src.is_char_boundary(i) {
                    i -= 1;
                }
                let mut j = (i + cut).min(src.len());
                while !src.is_char_boundary(j) {
                    j += 1;
                }
                src.replace_range(i..j, PIECES[piece]);
            }
            same_as_quick_xml(&src);
            let before: Result<Document<'_>, XmlError> = match scan_chars(&src) {
                Err((at, c)) => Err(XmlError { offset: 3 + at, reason: forbidden(c), not_utf8: false, over_limit: false }),
                Ok(_) => tokenize_quick_xml(&src, 3),
            };
            proptest::prop_assert_eq!(format!("{:?}", parse(&src, 3)), format!("{before:?}"));
        }
    }

    #[test]
    fn the_messages_of_every_exchange_take_the_fast_path() {
        use crate::samples;
        for m in [
            samples::send_rt_v2_request(),
            samples::get_payment_v2_response(),
        ] {
            let xml = m.to_xml();
            assert!(same_as_quick_xml(&xml));
            let crlf = xml.replace('\n', "\r\n");
            assert!(same_as_quick_xml(&crlf));
            let commented = xml.replacen("<soapenv:Body>", "<soapenv:Body><!-- hi -->", 1);
            assert!(same_as_quick_xml(&commented));
        }
    }

    /// [`tag_end`] a byte at a time.
    fn slow_tag_end(bytes: &[u8], lt: usize) -> Option<usize> {
        let mut quote = None;
        for (i, &b) in bytes.iter().enumerate().skip(lt) {
            match (quote, b) {
                (None, b'>') => return Some(i),
                (None, b'"' | b'\'') => quote = Some(b),
                (Some(q), _) if b == q => quote = None,
                _ => {}
            }
        }
        None
    }

    #[test]
    fn word_at_a_time_searches_agree_with_byte_loops() {
        let alphabet: &[u8] = b"ab-._:09<&>/\"' \t\r\n=\x7f\xc3\xa9";
        // Every string of up to 3 symbols, at every position of 0 to 19 padding bytes, so that
        // each symbol lands at every offset within a word and in the tail.
        let mut cases = vec![Vec::new()];
        for len in 1..=3 {
            let mut next = Vec::new();
            for prefix in cases.iter().filter(|c| c.len() == len - 1) {
                for &b in alphabet {
                    let mut c: Vec<u8> = prefix.clone();
                    c.push(b);
                    next.push(c);
                }
            }
            cases.extend(next);
        }
        for case in &cases {
            for pad in 0..20 {
                for filler in [b'x', b'-', 0xA9] {
                    let mut bytes = vec![filler; pad];
                    bytes.extend_from_slice(case);
                    bytes.extend(std::iter::repeat_n(filler, 20 - pad));
                    let slow_text = bytes
                        .iter()
                        .position(|&b| b == b'<' || b == b'&')
                        .unwrap_or(bytes.len());
                    assert_eq!(text_len(&bytes), slow_text, "{bytes:?}");
                    let slow_name = bytes
                        .iter()
                        .position(|&b| is_tag_stop(b))
                        .map(|stop| (stop, bytes[..stop].iter().position(|&b| b == b':')));
                    assert_eq!(plain_name_len(&bytes), slow_name, "{bytes:?}");
                    for lt in [0, pad] {
                        assert_eq!(tag_end(&bytes, lt), slow_tag_end(&bytes, lt), "{bytes:?}");
                    }
                    for quote in [b'"', b'\''] {
                        let slow_value = bytes
                            .iter()
                            .position(|&b| b == quote || b == b'&' || b < 0x0E)
                            .filter(|&i| bytes[i] == quote);
                        assert_eq!(value_len(&bytes, quote), slow_value, "{bytes:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn short_comparisons_see_every_byte() {
        for n in 0..40u8 {
            let a: Vec<u8> = (0..n).map(|i| b'a' + i % 26).collect();
            assert!(same_bytes(&a, &a.clone()));
            assert!(!same_bytes(&a, &a[..a.len().saturating_sub(1)]) || n == 0);
            for i in 0..usize::from(n) {
                let mut b = a.clone();
                b[i] ^= 0x20;
                assert!(!same_bytes(&a, &b), "{n} {i}");
            }
        }
    }

    /// [`scan_chars`] a character at a time.
    fn slow_scan_chars(src: &str) -> Result<bool, (usize, char)> {
        match src.char_indices().find(|&(_, c)| !is_xml_char(c)) {
            Some(found) => Err(found),
            None => Ok(src.contains('\r')),
        }
    }

    proptest::proptest! {
        #[test]
        fn the_block_scan_for_forbidden_characters_agrees_with_a_char_loop(
            filler in proptest::collection::vec(
                proptest::sample::select(vec!['a', ' ', '\n', 'é', '€']),
                0..400,
            ),
            specials in proptest::collection::vec(
                (
                    0..400usize,
                    proptest::sample::select(vec![
                        '\t', '\r', '\u{0}', '\u{1}', '\u{b}', '\u{1f}', '\u{7f}', '\u{85}',
                        '\u{f000}', '\u{fffd}', '\u{fffe}', '\u{ffff}', '\u{10000}',
                    ]),
                ),
                0..3,
            ),
        ) {
            // Mostly text and line ends, the blocks the cheap test settles alone, with a few
            // characters that need the exact test anywhere among them.
            let mut chars = filler;
            for (at, c) in specials {
                chars.insert(at.min(chars.len()), c);
            }
            let src: String = chars.into_iter().collect();
            proptest::prop_assert_eq!(scan_chars(&src), slow_scan_chars(&src), "{:?}", src);
        }
    }

    #[test]
    fn invalid_utf8_reports_the_offset() {
        let e = as_utf8(b"<a>\xff</a>").unwrap_err();
        assert_eq!(e.offset, 3);
        assert!(e.not_utf8);
        assert_eq!(as_utf8(b"\xEF\xBB\xBF<a/>").unwrap(), ("<a/>", 3));
    }
}
