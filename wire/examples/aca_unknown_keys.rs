//! Time to read `paCreatePosition` bodies full of unknown keys, both ways the fuzz target
//! `aca_json` reads them (`parse_and_validate`, then `parse_request_with_unknown`), at 10 k,
//! 100 k and 1 M keys: time per byte should stay flat (BENCHMARKS.md, issue 9).
//!
//! `cargo run --release -p collaudo-wire --example aca_unknown_keys`

use std::time::Instant;

fn main() {
    for n in [10_000usize, 100_000, 1_000_000] {
        for (kind, key) in [
            ("distinct", None),
            ("same", Some("\"kk\":1,")),
            ("escaped", Some("\"\\u0041\\u0042\":\"\\u00e9\\n\",")),
        ] {
            let mut body = String::from("{");
            for i in 0..n {
                match key {
                    Some(k) => body.push_str(k),
                    None => body.push_str(&format!("\"k{i}\":1,")),
                }
            }
            body.push_str("\"z\":0}");
            let started = Instant::now();
            let _ = collaudo_wire::aca::parse_and_validate(body.as_bytes());
            let _ = collaudo_wire::aca::parse_request_with_unknown(body.as_bytes());
            let took = started.elapsed();
            println!(
                "{kind:9} keys={n:8} bytes={:9} {:8.2} ms {:6.1} ns/byte",
                body.len(),
                took.as_secs_f64() * 1e3,
                took.as_nanos() as f64 / body.len() as f64
            );
        }
    }
}
