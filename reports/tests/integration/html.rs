//! The HTML report: escaping of station text, self-containment, and a snapshot of what a
//! reader sees (the text content, tags stripped).

use std::fs;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use collaudo_reports::html::{self, ExchangeDetails};
use collaudo_reports::{FileReporters, ReportFormat, Reporter};

use crate::html_sample::{self, IMG, SCRIPT};
use crate::sample;

fn rendered() -> String {
    html::render(&html_sample::run(), &html_sample::details()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn station_text_is_escaped_everywhere() {
    let page = rendered();
    assert!(!page.contains("<script>alert"), "unescaped script");
    assert!(!page.contains("<img"), "unescaped img");
    assert!(!page.contains(SCRIPT) && !page.contains(IMG));
    // The only script is the page's own filter script, the only style its own stylesheet.
    assert_eq!(page.matches("<script").count(), 1);
    assert_eq!(page.matches("<style").count(), 1);
    // The hostile text is there, as text.
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
        "message cell"
    );
    assert!(
        page.contains("<span class=\"t\">&lt;script</span>"),
        "highlighted body"
    );
}

/// Every tag of the page (station text is escaped, so a raw `<` always opens a real tag) and
/// the content of its `<style>` elements.
fn tags_and_styles(page: &str) -> (Vec<&str>, Vec<&str>) {
    let mut tags = Vec::new();
    let mut styles = Vec::new();
    let mut rest = page;
    while let Some(lt) = rest.find('<') {
        rest = &rest[lt..];
        let end = rest.find('>').map_or(rest.len(), |i| i + 1);
        let tag = &rest[..end];
        rest = &rest[end..];
        if tag.starts_with("<style") {
            let close = rest.find("</style>").unwrap_or(rest.len());
            styles.push(&rest[..close]);
            rest = &rest[close..];
        } else if tag.starts_with("<script") {
            let close = rest.find("</script>").unwrap_or(rest.len());
            rest = &rest[close..];
        }
        tags.push(tag);
    }
    (tags, styles)
}

/// Every reference to another resource in tags and styles: `src=`, `href=`, `url(`, …
fn references(page: &str) -> Vec<String> {
    let (tags, styles) = tags_and_styles(page);
    let mut found = Vec::new();
    let attrs = [
        " src=",
        " href=",
        " action=",
        " srcset=",
        " xlink:href=",
        " poster=",
        " data=",
        "url(",
        "@import",
    ];
    for text in tags.iter().chain(styles.iter()) {
        let lower = text.to_ascii_lowercase();
        for needle in attrs {
            for (i, _) in lower.match_indices(needle) {
                let end = (i + needle.len() + 40).min(text.len());
                found.push(text.get(i..end).unwrap_or_default().to_owned());
            }
        }
    }
    found
}

#[test]
fn the_page_is_self_contained() {
    for page in [
        rendered(),
        html::render(&sample::run(), &ExchangeDetails::new()).unwrap_or_else(|e| panic!("{e}")),
    ] {
        for r in references(&page) {
            let target = r
                .split_once('=')
                .map_or(r.as_str(), |(_, t)| t)
                .trim_start_matches(['"', '\'', '(']);
            assert!(
                target.starts_with('#') || target.starts_with("data:"),
                "external reference: {r}"
            );
        }
        let (tags, styles) = tags_and_styles(&page);
        for text in tags.iter().chain(styles.iter()) {
            for scheme in ["http:", "https:", "//"] {
                assert!(
                    !text.to_ascii_lowercase().contains(scheme) || text.starts_with("<meta"),
                    "a URL in markup: {text}"
                );
            }
        }
        assert!(page.contains("Content-Security-Policy"));
        assert!(
            page.contains("default-src &#x27;none&#x27;") || page.contains("default-src 'none'")
        );
    }
}

#[test]
fn receipts_and_stand_in_are_drawn() {
    let page = rendered();
    let receipt = page
        .split("<figure class=\"chart\">")
        .find(|f| f.contains("Receipt delivery attempts"))
        .unwrap_or_default();
    assert_eq!(
        receipt.matches("<circle class=\"down\"").count(),
        2 + 1,
        "two timeouts and the legend"
    );
    assert_eq!(receipt.matches("<circle class=\"ko\"").count(), 1 + 1);
    assert_eq!(receipt.matches("<circle class=\"ok\"").count(), 1 + 1);
    assert!(receipt.contains("+3 h"), "an axis in virtual hours");
    let standin = page
        .split("<figure class=\"chart\">")
        .find(|f| f.contains("Stand-In over virtual time"))
        .unwrap_or_default();
    assert!(standin.contains("activation 09:10"), "{standin}");
    assert!(standin.contains("exit 09:25"));
    assert_eq!(standin.matches("<rect class=\"sti\"").count(), 1);
    assert!(standin.contains("2 of 2 calls failed (100 %)"));
    assert!(standin.contains("station share of the Nodo&#39;s traffic 10.0 % (2 of 20)"));
    assert_eq!(standin.matches("<path class=").count(), 2, "two probes");
}

#[test]
fn official_ids_are_kept_apart_from_collaudo_ids() {
    let page = rendered();
    let official = page
        .split("<section id=\"official\">")
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .unwrap_or_default();
    assert!(official.contains("<span>PagoPA</span> EC-PSP-01"));
    assert!(official.contains("<span>PagoPA</span> EC-PSP-02"));
    assert!(official.contains("<code class=\"cid\">RT-003</code>"));
    // collaudo's ids never wear the PagoPA badge.
    assert!(!page.contains("<span>PagoPA</span> VRF-"));
    assert!(!page.contains("<span>PagoPA</span> RT-"));
}

/// The text a reader sees: scripts, styles and drawings left out, one line per block.
pub(crate) fn text_content(page: &str) -> String {
    let mut rest = page;
    let mut out = String::new();
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        rest = &rest[lt..];
        let end = rest.find('>').map_or(rest.len(), |i| i + 1);
        let tag = rest[..end].to_ascii_lowercase();
        let name: String = tag
            .trim_start_matches(['<', '/'])
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        rest = &rest[end..];
        if !tag.starts_with("</") && matches!(name.as_str(), "script" | "style" | "svg") {
            let close = format!("</{name}>");
            let skip = rest.find(&close).map_or(rest.len(), |i| i + close.len());
            rest = &rest[skip..];
            if name == "svg" {
                out.push_str("[drawing]");
            }
            continue;
        }
        match name.as_str() {
            "td" | "th" | "dd" if !tag.starts_with("</") => out.push_str(" | "),
            "tr" | "p" | "h1" | "h2" | "h4" | "h5" | "li" | "div" | "details" | "summary"
            | "section" | "dt" | "table" | "pre" | "header" | "footer" | "figcaption" | "form"
            | "legend" | "br" | "title" => out.push('\n'),
            _ => {}
        }
    }
    out.push_str(rest);
    let decoded = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&");
    decoded
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty() && l != "|")
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn text_content_snapshot() {
    insta::assert_snapshot!("html_text", text_content(&rendered()));
}

#[test]
fn file_reporters_write_the_html_with_details_loaded_once() -> Result<(), Box<dyn std::error::Error>>
{
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("reports-html");
    let _ = fs::remove_dir_all(&dir);
    let run = html_sample::run();
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let mut reporter =
        FileReporters::new(&dir, &ReportFormat::ALL)?.with_exchange_details(Box::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            html_sample::details()
        }));
    // FileReporters stays usable as a boxed Reporter.
    let boxed: &mut dyn Reporter = &mut reporter;
    for ev in sample::events(&run) {
        boxed.write_event(&ev)?;
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(
        fs::read_to_string(dir.join("report.html"))?,
        html::render(&run, &html_sample::details())?
    );
    assert!(!dir.join("report.html.tmp").exists());

    // Without the HTML format the source is never called.
    let dir2 = dir.join("no-html");
    let calls2 = Arc::new(AtomicUsize::new(0));
    let counter2 = calls2.clone();
    let mut reporter = FileReporters::new(&dir2, &[ReportFormat::Json])?.with_exchange_details(
        Box::new(move || {
            counter2.fetch_add(1, Ordering::SeqCst);
            ExchangeDetails::new()
        }),
    );
    for ev in sample::events(&run) {
        reporter.write_event(&ev)?;
    }
    assert_eq!(calls2.load(Ordering::SeqCst), 0);
    assert!(!dir2.join("report.html").exists());
    Ok(())
}

#[test]
fn a_station_answering_big_bodies_everywhere_cannot_bloat_the_report()
-> Result<(), Box<dyn std::error::Error>> {
    // 30 cases of 10 exchanges, each answered with 100 KiB: every body is cut, and past the
    // report's body budget bodies are left to the journal.
    let mut run = html_sample::run();
    let template = run.cases[0].clone();
    let mut details = ExchangeDetails::new();
    let big = vec![b'x'; 100 * 1024];
    run.cases = (0..30)
        .map(|i| {
            let mut c = template.clone();
            c.meta.id = format!("VRF-{i:03}");
            c.steps[0].exchanges = (0..10)
                .map(|j| {
                    let mut e = template.steps[0].exchanges[0].clone();
                    e.seq = i * 10 + j;
                    details.insert(
                        e.seq,
                        html::ExchangeDetail {
                            response_body: Some(big.clone()),
                            ..html::ExchangeDetail::default()
                        },
                    );
                    e
                })
                .collect();
            c
        })
        .collect();
    let page = html::render(&run, &details)?;
    assert!(
        page.len() < 20 * 1024 * 1024,
        "the report is bounded: {} bytes",
        page.len()
    );
    assert!(page.contains("…cut, 102400 bytes, full bytes in journal.jsonl"));
    assert!(page.contains("body budget is spent"));
    Ok(())
}
