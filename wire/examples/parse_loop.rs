//! Parses one of the two benchmark messages many times, for instruction-count profiling
//! (`valgrind --tool=cachegrind --cache-sim=no`), where Criterion's own code would blur the
//! figures. Usage: `parse_loop send|get [iterations]` (default 20 000).

use collaudo_wire::{parse, samples};
use std::hint::black_box;

fn main() {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "send".into());
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let msg = match which.as_str() {
        "send" => samples::send_rt_v2_request(),
        "get" => samples::get_payment_v2_response(),
        other => {
            eprintln!("unknown message {other:?}: send or get");
            std::process::exit(2);
        }
    };
    let xml = msg.to_xml();
    let first = parse(xml.as_bytes());
    assert!(first.violations.is_empty(), "{:?}", first.violations);
    for _ in 0..n {
        black_box(parse(black_box(xml.as_bytes())));
    }
    println!("{} bytes, {n} parses", xml.len());
}
