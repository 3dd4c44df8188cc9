//! Writes the two benchmark messages (enveloped and bare payload) into a folder, for the
//! whole-process comparison with `xmllint --schema` in `bench/whole-process.sh`.

use collaudo_wire::samples;
use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    for (name, m) in [
        ("paSendRTV2Request", samples::send_rt_v2_request()),
        ("paGetPaymentV2Response", samples::get_payment_v2_response()),
    ] {
        for (file, text) in [
            (format!("{name}.xml"), m.to_xml()),
            (format!("{name}.payload.xml"), m.to_payload_xml()),
        ] {
            if let Err(e) = std::fs::write(dir.join(&file), text) {
                eprintln!("cannot write {file}: {e}");
                std::process::exit(2);
            }
        }
    }
}
