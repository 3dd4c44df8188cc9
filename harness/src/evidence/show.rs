//! `collaudo show RUN_DIR [CASE[/STEP]]`: one exchange of a finished run, from its journal.
//!
//! With `--raw`, the exact bytes of the request or response body (so a reply can be saved and
//! replayed or validated); otherwise the request line or status, the headers and the body
//! indented, with every control character the station sent shown as an escape. When the
//! selection matches several exchanges, they are listed instead (seq, case, step, primitive,
//! status, outcome), to pick one by CASE/STEP or `--seq`.

use super::{RunFolder, visible_line, visible_text};
use collaudo_nodo::Exchange;
use std::io::Write;
use std::path::PathBuf;

/// Which side of an exchange to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Request and response (not with `--raw`).
    Both,
    /// `--request`.
    Request,
    /// `--response`.
    Response,
}

/// What `collaudo show` was asked.
#[derive(Debug, Clone)]
pub struct ShowArgs {
    /// The run folder, or its journal.
    pub run_dir: PathBuf,
    /// `CASE`, `CASE/STEP` or a PagoPA official id.
    pub selector: Option<String>,
    /// `--seq N`.
    pub seq: Option<u64>,
    /// `--request` / `--response`.
    pub side: Side,
    /// `--raw`: the body's exact bytes.
    pub raw: bool,
    /// `-o FILE`: write there instead of stdout.
    pub output: Option<PathBuf>,
}

/// Run `collaudo show`; the exchange or the list goes to `out` (or `-o FILE`), errors to
/// `err`. Exit 0, or 2 for a missing journal, an unknown case or step, or an ambiguous `--raw`.
pub fn command(args: &ShowArgs, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let mut buf = Vec::new();
    if let Err(e) = render(args, &mut buf) {
        let _ = write!(err, "{e}");
        return crate::exit::USAGE;
    }
    match &args.output {
        None => {
            if out.write_all(&buf).and_then(|()| out.flush()).is_err() {
                return crate::exit::HARNESS;
            }
        }
        Some(path) => {
            if let Err(e) = std::fs::write(path, &buf) {
                let _ = writeln!(err, "error: cannot write {}: {e}", path.display());
                return crate::exit::HARNESS;
            }
        }
    }
    crate::exit::OK
}

/// The bytes to print, or the error text (ending with a newline).
fn render(args: &ShowArgs, out: &mut Vec<u8>) -> Result<(), String> {
    if args.raw && args.side == Side::Both {
        return Err("error: --raw prints one body: add --request or --response\n".to_string());
    }
    let folder = RunFolder::load(&args.run_dir).map_err(|e| format!("error: {e}\n"))?;
    let mut selected = select(&folder, args.selector.as_deref())?;
    if let Some(seq) = args.seq {
        selected.retain(|e| e.seq == seq);
        if selected.is_empty() {
            return Err(format!(
                "error: no exchange #{seq}{} in {}\n",
                args.selector
                    .as_deref()
                    .map_or(String::new(), |s| format!(" in {s}")),
                folder.journal.display()
            ));
        }
    }
    match selected.as_slice() {
        [] => Err(format!(
            "error: {} holds no exchange\n",
            folder.journal.display()
        )),
        [one] => {
            if args.raw {
                raw(one, args.side, out)
            } else {
                pretty(&folder, one, args.side, out);
                Ok(())
            }
        }
        many if args.raw => {
            let mut msg = format!(
                "error: {} exchanges match; --raw prints one: name its step (CASE/STEP) or add --seq N\n",
                many.len()
            );
            msg.push_str(&list(&folder, many));
            Err(msg)
        }
        many => {
            out.extend_from_slice(list(&folder, many).as_bytes());
            out.extend_from_slice(
                format!(
                    "{} exchanges: show one with `collaudo show {} CASE/STEP` or --seq N\n",
                    many.len(),
                    args.run_dir.display()
                )
                .as_bytes(),
            );
            Ok(())
        }
    }
}

/// The exchanges `selector` names, in seq order.
fn select<'a>(folder: &'a RunFolder, selector: Option<&str>) -> Result<Vec<&'a Exchange>, String> {
    let mut all: Vec<&Exchange> = folder.exchanges.iter().collect();
    all.sort_by_key(|e| e.seq);
    let Some(selector) = selector else {
        return Ok(all);
    };
    let (case, step) = match selector.split_once('/') {
        Some((c, s)) => (c, Some(s)),
        None => (selector, None),
    };
    let of_case: Vec<&Exchange> = all
        .iter()
        .copied()
        .filter(|e| {
            e.scenario
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(case))
        })
        .collect();
    if of_case.is_empty() {
        // A PagoPA official id: the exchanges of every case it covers.
        let cases: Vec<&str> = folder
            .cases
            .iter()
            .filter(|c| {
                c.official_id
                    .as_deref()
                    .is_some_and(|o| o.eq_ignore_ascii_case(case))
            })
            .map(|c| c.id.as_str())
            .collect();
        if !cases.is_empty() && step.is_none() {
            let of_official: Vec<&Exchange> = all
                .iter()
                .copied()
                .filter(|e| e.scenario.as_deref().is_some_and(|s| cases.contains(&s)))
                .collect();
            if !of_official.is_empty() {
                return Ok(of_official);
            }
        }
        if let Some(known) = folder
            .cases
            .iter()
            .find(|c| c.id.eq_ignore_ascii_case(case))
        {
            return Err(format!(
                "error: case {} made no exchange in this run{}\n",
                known.id,
                known
                    .verdict
                    .as_deref()
                    .map_or(String::new(), |v| format!(" (verdict: {v})"))
            ));
        }
        return Err(unknown_case(folder, case));
    }
    let Some(step) = step else {
        return Ok(of_case);
    };
    let case_id = of_case[0].scenario.clone().unwrap_or_default();
    let index = match step.parse::<usize>() {
        Ok(0) => return Err("error: steps are numbered from 1\n".to_string()),
        Ok(n) => Some(n - 1),
        Err(_) => folder
            .case(&case_id)
            .and_then(|c| {
                c.steps
                    .iter()
                    .find(|(_, name)| name.eq_ignore_ascii_case(step))
            })
            .map(|(i, _)| *i),
    };
    let of_step: Vec<&Exchange> = match index {
        Some(i) => of_case
            .iter()
            .copied()
            .filter(|e| e.step == Some(i))
            .collect(),
        None => Vec::new(),
    };
    if of_step.is_empty() {
        let mut steps: Vec<usize> = of_case.iter().filter_map(|e| e.step).collect();
        steps.dedup();
        let names: Vec<String> = steps
            .iter()
            .map(|&i| match folder.step_name(&case_id, i) {
                Some(n) => format!("{} ({})", i + 1, visible_line(n)),
                None => (i + 1).to_string(),
            })
            .collect();
        return Err(format!(
            "error: case {case_id} has no exchange in step `{}`; steps with exchanges: {}\n",
            visible_line(step),
            names.join(", ")
        ));
    }
    Ok(of_step)
}

fn unknown_case(folder: &RunFolder, case: &str) -> String {
    let mut ids: Vec<String> = Vec::new();
    for e in &folder.exchanges {
        if let Some(s) = &e.scenario {
            if !ids.contains(s) {
                ids.push(s.clone());
            }
        }
    }
    let listed: Vec<String> = ids
        .iter()
        .map(
            |id| match folder.case(id).and_then(|c| c.official_id.as_deref()) {
                Some(o) => format!("{id} ({o})"),
                None => id.clone(),
            },
        )
        .collect();
    format!(
        "error: no case `{}` in {}\ncases with exchanges: {}\n",
        visible_line(case),
        folder.journal.display(),
        if listed.is_empty() {
            "none".to_string()
        } else {
            listed.join(", ")
        }
    )
}

/// `200`, or the transport error's kind.
fn status(e: &Exchange) -> String {
    match (&e.response, &e.transport_error) {
        (Some(r), _) => r.status.to_string(),
        (None, Some(t)) => serde_json::to_value(t.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| "error".into()),
        (None, None) => "-".into(),
    }
}

fn list(folder: &RunFolder, exchanges: &[&Exchange]) -> String {
    let rows: Vec<[String; 6]> = exchanges
        .iter()
        .map(|e| {
            let step = match (e.scenario.as_deref(), e.step) {
                (Some(c), Some(i)) => match folder.step_name(c, i) {
                    Some(n) => format!("{} {}", i + 1, n),
                    None => (i + 1).to_string(),
                },
                (_, Some(i)) => (i + 1).to_string(),
                _ => "-".into(),
            };
            [
                e.seq.to_string(),
                e.scenario.clone().unwrap_or_else(|| "-".into()),
                step,
                e.primitive.name().to_string(),
                status(e),
                e.classification.clone().unwrap_or_else(|| "-".into()),
            ]
            .map(|s| visible_line(&s))
        })
        .collect();
    let head = ["seq", "case", "step", "primitive", "status", "outcome"].map(String::from);
    let mut widths = [0usize; 6];
    for row in std::iter::once(&head).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&head).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, (cell, w))| {
                if i == 0 {
                    format!("{cell:>w$}")
                } else {
                    format!("{cell:<w$}")
                }
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

fn raw(e: &Exchange, side: Side, out: &mut Vec<u8>) -> Result<(), String> {
    match side {
        Side::Request => out.extend_from_slice(e.request_body.as_bytes()),
        Side::Response | Side::Both => match &e.response {
            Some(r) => out.extend_from_slice(&r.body),
            None => {
                return Err(format!(
                    "error: exchange #{} got no response: {}\n",
                    e.seq,
                    e.transport_error
                        .as_ref()
                        .map_or("nothing recorded".to_string(), |t| visible_line(
                            &t.to_string()
                        ))
                ));
            }
        },
    }
    Ok(())
}

fn pretty(folder: &RunFolder, e: &Exchange, side: Side, out: &mut Vec<u8>) {
    let mut s = String::new();
    let case = e.scenario.as_deref().unwrap_or("-");
    let official = folder
        .case(case)
        .and_then(|c| c.official_id.as_deref())
        .map_or(String::new(), |o| format!(" ({o})"));
    let step = match e.step {
        Some(i) => match folder.step_name(case, i) {
            Some(n) => format!("step {} {n}", i + 1),
            None => format!("step {}", i + 1),
        },
        None => "no step".into(),
    };
    s.push_str(&visible_line(&format!(
        "exchange #{} · {case}{official} · {step} · {} · {} · {:.1} ms · {}",
        e.seq,
        e.primitive.name(),
        status(e),
        e.latency_ms,
        e.classification.as_deref().unwrap_or("not classified")
    )));
    s.push('\n');
    if let Some(f) = &e.injected_fault {
        s.push_str(&format!(
            "fault injected by the scenario: {}\n",
            visible_line(f)
        ));
    }
    if side != Side::Response {
        s.push_str("\n--- request ---\n");
        s.push_str(&format!(
            "POST {}\n",
            visible_line(&super::redact_userinfo(&e.url))
        ));
        headers(&mut s, &e.request_headers);
        s.push('\n');
        body(&mut s, e.request_body.as_bytes());
    }
    if side != Side::Request {
        s.push_str("\n--- response ---\n");
        match (&e.response, &e.transport_error) {
            (Some(r), _) => {
                s.push_str(&format!("HTTP {}\n", r.status));
                headers(&mut s, &r.headers);
                s.push('\n');
                body(&mut s, &r.body);
            }
            (None, Some(t)) => {
                s.push_str(&format!("no response: {}\n", visible_line(&t.to_string())));
            }
            (None, None) => s.push_str("no response recorded\n"),
        }
    }
    out.extend_from_slice(s.as_bytes());
}

fn headers(s: &mut String, headers: &[(String, String)]) {
    for (k, v) in headers {
        s.push_str(&format!("{}: {}\n", visible_line(k), visible_line(v)));
    }
}

fn body(s: &mut String, bytes: &[u8]) {
    if bytes.is_empty() {
        s.push_str("(empty body)\n");
        return;
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => pretty_xml(t).unwrap_or_else(|| t.to_string()),
        Err(_) => {
            s.push_str(&format!(
                "({} bytes, not UTF-8: shown with replacement characters; --raw gives them exactly)\n",
                bytes.len()
            ));
            String::from_utf8_lossy(bytes).into_owned()
        }
    };
    let text = visible_text(&text);
    s.push_str(&text);
    if !text.ends_with('\n') {
        s.push('\n');
    }
}

/// `xml` indented by two spaces, or `None` when it does not parse.
fn pretty_xml(xml: &str) -> Option<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut writer = quick_xml::Writer::new_with_indent(Vec::new(), b' ', 2);
    loop {
        match reader.read_event().ok()? {
            Event::Eof => break,
            ev => writer.write_event(ev).ok()?,
        }
    }
    String::from_utf8(writer.into_inner()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_is_indented_and_bad_xml_is_not() {
        assert_eq!(
            pretty_xml("<a><b>x</b><c/></a>").as_deref(),
            Some("<a>\n  <b>x</b>\n  <c/>\n</a>")
        );
        assert_eq!(pretty_xml("<a><b></a>"), None);
    }
}
