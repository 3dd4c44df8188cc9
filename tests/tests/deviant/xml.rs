//! The station's XML: a small namespace-aware tree read with quick-xml (requests) and a small
//! tree written by hand (responses). Independent of collaudo-wire on purpose: the point of the
//! deviant corpus is a second reading of the spec, so the station does not share the harness's
//! parser.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

/// SOAP 1.1 envelope namespace (DOMAIN.md §1).
pub(crate) const NS_SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// Target namespace of paForNode.xsd (DOMAIN.md §1).
pub(crate) const NS_PAFORNODE: &str = "http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd";

/// One element read from a request: namespace (None = no namespace), local name, children and
/// the text of a leaf.
#[derive(Debug, Clone)]
pub(crate) struct Element {
    pub(crate) ns: Option<String>,
    pub(crate) local: String,
    pub(crate) children: Vec<Element>,
    pub(crate) text: String,
}

impl Element {
    /// The first child in no namespace called `local` (paForNode children are unqualified).
    pub(crate) fn child(&self, local: &str) -> Option<&Element> {
        self.children
            .iter()
            .find(|c| c.local == local && c.ns.is_none())
    }

    /// The trimmed text at a slash-separated path of unqualified children.
    pub(crate) fn text_at(&self, path: &str) -> Option<&str> {
        let mut el = self;
        for seg in path.split('/') {
            el = el.child(seg)?;
        }
        Some(el.text.trim())
    }
}

fn predefined(name: &str) -> Option<char> {
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => return None,
    })
}

/// Parse a whole document into its root element. Refuses DTDs, undeclared prefixes, mismatched
/// end tags and anything after the root.
pub(crate) fn parse(src: &str) -> Result<Element, String> {
    let mut reader = NsReader::from_str(src);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let (resolved, event) = reader.read_resolved_event().map_err(|e| e.to_string())?;
        let ns = match resolved {
            ResolveResult::Bound(ns) => Some(ns.as_ref().to_string()),
            ResolveResult::Unbound => None,
            ResolveResult::Unknown(p) => return Err(format!("undeclared prefix `{p}`")),
        };
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                if root.is_some() {
                    return Err("content after the root element".into());
                }
                let local = e.local_name().as_ref().to_string();
                let el = Element {
                    ns,
                    local,
                    children: Vec::new(),
                    text: String::new(),
                };
                if matches!(event, Event::Start(_)) {
                    stack.push(el);
                } else {
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(el),
                        None => root = Some(el),
                    }
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or("unmatched end tag")?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let content = t.xml10_content();
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&content),
                    None if content.trim().is_empty() => {}
                    None => return Err("text outside the root element".into()),
                }
            }
            Event::CData(c) => match stack.last_mut() {
                Some(el) => el.text.push_str(&c.xml10_content()),
                None => return Err("CDATA outside the root element".into()),
            },
            Event::GeneralRef(r) => {
                let ch = match r.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) => c,
                    None => predefined(&r).ok_or_else(|| format!("undefined entity &{};", &*r))?,
                };
                match stack.last_mut() {
                    Some(el) => el.text.push(ch),
                    None => return Err("reference outside the root element".into()),
                }
            }
            Event::DocType(_) => return Err("a DOCTYPE is not allowed".into()),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err("unexpected end of input".into());
    }
    root.ok_or_else(|| "no root element".into())
}

/// A response element being written: local name (children are written unprefixed, i.e.
/// unqualified), text for a leaf.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) name: String,
    pub(crate) text: Option<String>,
    pub(crate) children: Vec<Node>,
}

impl Node {
    pub(crate) fn leaf(name: &str, text: impl Into<String>) -> Node {
        Node {
            name: name.into(),
            text: Some(text.into()),
            children: Vec::new(),
        }
    }

    pub(crate) fn el(name: &str, children: Vec<Node>) -> Node {
        Node {
            name: name.into(),
            text: None,
            children,
        }
    }

    /// Write the children of this node (the wrapper's content) unprefixed.
    pub(crate) fn write_children(&self, out: &mut String) {
        for c in &self.children {
            c.write(out);
        }
    }

    /// The same, indented, with descriptions in CDATA sections (a tolerated variant).
    pub(crate) fn write_children_pretty(&self, out: &mut String, depth: usize) {
        for c in &self.children {
            out.push('\n');
            out.push_str(&"  ".repeat(depth));
            out.push('<');
            out.push_str(&c.name);
            out.push('>');
            if let Some(t) = &c.text {
                if c.name.ends_with("escription") || c.name == "remittanceInformation" {
                    out.push_str("<![CDATA[");
                    out.push_str(t);
                    out.push_str("]]>");
                } else {
                    escape_into(t, out);
                }
            }
            if !c.children.is_empty() {
                c.write_children_pretty(out, depth + 1);
                out.push('\n');
                out.push_str(&"  ".repeat(depth));
            }
            out.push_str("</");
            out.push_str(&c.name);
            out.push('>');
        }
    }

    /// The children with `xmlns=""`: for a wrapper written in a default namespace.
    pub(crate) fn write_children_unqualified(&self, out: &mut String) {
        for c in &self.children {
            let mut inner = String::new();
            c.write(&mut inner);
            // `<name>` → `<name xmlns="">`: the first `>` closes the start tag.
            let at = inner.find('>').unwrap_or(0);
            out.push_str(&inner[..at]);
            out.push_str(" xmlns=\"\"");
            out.push_str(&inner[at..]);
        }
    }

    fn write(&self, out: &mut String) {
        out.push('<');
        out.push_str(&self.name);
        out.push('>');
        if let Some(t) = &self.text {
            escape_into(t, out);
        }
        for c in &self.children {
            c.write(out);
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }
}

pub(crate) fn escape_into(text: &str, out: &mut String) {
    for ch in text.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            _ => out.push(ch),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_resolved_whatever_the_prefix() {
        let doc = r#"<?xml version="1.0"?>
<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body>
<x:paVerifyPaymentNoticeReq xmlns:x="http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd">
<idPA>7&amp;7</idPA><qrCode><noticeNumber> 1 </noticeNumber></qrCode><empty/>
</x:paVerifyPaymentNoticeReq></S:Body></S:Envelope>"#;
        let root = parse(doc).unwrap();
        assert_eq!(root.local, "Envelope");
        assert_eq!(root.ns.as_deref(), Some(NS_SOAP11));
        let wrapper = &root.children[0].children[0];
        assert_eq!(wrapper.ns.as_deref(), Some(NS_PAFORNODE));
        assert_eq!(wrapper.text_at("idPA"), Some("7&7"));
        assert_eq!(wrapper.text_at("qrCode/noticeNumber"), Some("1"));
        assert!(wrapper.child("empty").is_some());
    }

    #[test]
    fn broken_documents_are_refused() {
        assert!(parse("<a><b></a>").is_err());
        assert!(parse("<a>").is_err());
        assert!(parse("<p:a/>").is_err());
        assert!(parse("this is not XML \u{1} <<<").is_err());
    }
}
