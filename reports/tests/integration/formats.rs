//! Snapshots of every report format for the sample run.

use collaudo_reports::{json, junit, markdown, redact};

use crate::sample::{self, HOSTILE};

#[test]
fn junit_report() -> Result<(), collaudo_reports::ReportError> {
    let xml = junit::render(&sample::run())?;
    assert!(!xml.contains(HOSTILE), "station text must be escaped");
    insta::assert_snapshot!("junit", xml);
    Ok(())
}

#[test]
fn json_report() -> Result<(), collaudo_reports::ReportError> {
    let text = json::render(&sample::run())?;
    assert_eq!(json::parse(&text)?, sample::run());
    insta::assert_snapshot!("json", text);
    Ok(())
}

#[test]
fn json_report_redacted() -> Result<(), Box<dyn std::error::Error>> {
    let text = redact(&json::render(&sample::run())?);
    // Redacted JSON stays JSON, so snapshot tests can still parse it.
    let _: serde_json::Value = serde_json::from_str(&text)?;
    insta::assert_snapshot!("json_redacted", text);
    Ok(())
}

#[test]
fn markdown_report() {
    let md = markdown::render(&sample::run());
    assert_no_raw_markup_outside_fences(&md);
    assert!(md.contains(markdown::ID_NOTE));
    insta::assert_snapshot!("markdown", md);
}

/// Station markup may appear verbatim only inside fenced code blocks, where it renders as text.
fn assert_no_raw_markup_outside_fences(md: &str) {
    let mut fence: Option<String> = None;
    for line in md.lines() {
        let trimmed = line.trim_start();
        let ticks: String = trimmed.chars().take_while(|&c| c == '`').collect();
        match &fence {
            Some(open) if ticks.len() >= open.len() && trimmed.trim_end() == ticks => fence = None,
            Some(_) => {}
            None if ticks.len() >= 3 => fence = Some(ticks),
            None => assert!(
                !line.contains("<script>"),
                "unescaped station markup: {line}"
            ),
        }
    }
    assert!(fence.is_none(), "unclosed code fence");
}
