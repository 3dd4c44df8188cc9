//! Loading PEM files: every error names the file at fault.

use collaudo_certs::throwaway::Throwaway;
use collaudo_certs::{CertError, server_config};
use std::path::Path;

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn good_files_load_with_and_without_a_client_ca() {
    let t = Throwaway::generate().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = t.station.write(dir.path(), "station").unwrap();
    let ca = write(dir.path(), "client-ca.crt", &t.client_ca.cert_pem);
    let plain = server_config(&cert, &key, None).unwrap();
    assert_eq!(plain.alpn_protocols, vec![b"http/1.1".to_vec()]);
    server_config(&cert, &key, Some(&ca)).unwrap();
}

#[test]
fn errors_name_the_file() {
    let t = Throwaway::generate().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = t.station.write(dir.path(), "station").unwrap();
    let (_, other_key) = t.wrong_name.write(dir.path(), "other").unwrap();
    let empty = write(dir.path(), "empty.pem", "nothing here\n");
    let missing = dir.path().join("missing.pem");

    let e = server_config(&empty, &key, None).unwrap_err();
    assert!(matches!(e, CertError::NoCertificate(_)), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!("no certificate found in {}", empty.display())
    );

    let e = server_config(&cert, &empty, None).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("no private key found in {}", empty.display())
    );

    // A certificate where the key should be is "no private key" too.
    let e = server_config(&cert, &cert, None).unwrap_err();
    assert!(matches!(e, CertError::NoKey(_)), "{e:?}");

    let e = server_config(&cert, &other_key, None).unwrap_err();
    assert!(matches!(e, CertError::KeyMismatch { .. }), "{e:?}");
    let text = e.to_string();
    assert!(
        text.starts_with("the key does not match the certificate"),
        "{text}"
    );
    assert!(
        text.contains("other.key") && text.contains("station.crt"),
        "{text}"
    );

    let e = server_config(&missing, &key, None).unwrap_err();
    assert!(
        e.to_string()
            .starts_with(&format!("cannot read {}", missing.display())),
        "{e}"
    );

    let e = server_config(&cert, &key, Some(&empty)).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("no certificate found in {}", empty.display())
    );

    let broken = write(
        dir.path(),
        "broken.pem",
        "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n",
    );
    let e = server_config(&broken, &key, None).unwrap_err();
    assert!(e.to_string().contains("broken.pem"), "{e}");
}
