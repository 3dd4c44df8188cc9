//! `collaudo.toml` with its secrets taken out, for the evidence bundle.
//!
//! The text is parsed, redacted and written again (comments are dropped with the parse, so a
//! secret left in a comment cannot leak either). Replaced by `"<redacted>"`:
//!
//! * every value under `[station.headers]` (API gateway keys and the like);
//! * every value of a key whose name says it is a secret: `*subscription_key*`, `*password*`,
//!   `*passwd*`, `*secret*`, `*token*`, `*api_key*`/`*apikey*`, `*private_key*`,
//!   `*authorization*`, `*credential*` (`-` and `_` alike, any case), at any depth;
//! * a string that holds a PEM private key (`client_key` is a path and stays; its *content*
//!   pasted in would not);
//! * the `user:password@` part of any `http(s)://` URL (station, proxy, broadcast stations).
//!
//! A value made only of `${NAME}` environment references stays as written: it names where the
//! secret comes from, not the secret.

use toml::{Table, Value};

/// What replaces a secret.
pub const REDACTED: &str = "<redacted>";

/// The first line of a redacted configuration.
const HEADER: &str = "# collaudo.toml of this run, secrets replaced by \"<redacted>\" \
(re-written by collaudo: comments and layout are not the original's)\n";

/// `text` (a `collaudo.toml`) with its secrets replaced, and how many values were replaced.
///
/// An error when the text is not TOML: such a file is never bundled (nobody could tell what in
/// it is a secret).
pub fn redact_config(text: &str) -> Result<(String, usize), String> {
    let mut table: Table = toml::from_str(text)
        .map_err(|e| format!("not valid TOML, so it cannot be redacted: {}", e.message()))?;
    let mut count = 0;
    redact_table(&mut Vec::new(), &mut table, &mut count);
    let body = toml::to_string_pretty(&table)
        .map_err(|e| format!("cannot write the redacted configuration: {e}"))?;
    Ok((format!("{HEADER}{body}"), count))
}

fn redact_table(path: &mut Vec<String>, table: &mut Table, count: &mut usize) {
    let in_headers = path.len() == 2 && path[0] == "station" && path[1] == "headers";
    for (key, value) in table.iter_mut() {
        if in_headers || is_secret_key(key) {
            redact_all(value, count);
            continue;
        }
        path.push(key.clone());
        redact_value(path, value, count);
        path.pop();
    }
}

fn redact_value(path: &mut Vec<String>, value: &mut Value, count: &mut usize) {
    match value {
        Value::Table(t) => redact_table(path, t, count),
        Value::Array(items) => {
            for item in items {
                redact_value(path, item, count);
            }
        }
        Value::String(s) => {
            if holds_private_key(s) {
                *s = REDACTED.to_string();
                *count += 1;
            } else if s.starts_with("http://") || s.starts_with("https://") {
                let clean = super::redact_userinfo(s);
                if clean != *s {
                    *s = clean;
                    *count += 1;
                }
            }
        }
        _ => {}
    }
}

/// Every leaf under a secret key, except `${NAME}` references.
fn redact_all(value: &mut Value, count: &mut usize) {
    match value {
        Value::Table(t) => {
            for (_, v) in t.iter_mut() {
                redact_all(v, count);
            }
        }
        Value::Array(items) => {
            for v in items {
                redact_all(v, count);
            }
        }
        Value::String(s) if only_env_references(s) => {}
        other => {
            *other = Value::String(REDACTED.to_string());
            *count += 1;
        }
    }
}

/// Whether a key's name says its value is a secret.
pub fn is_secret_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase().replace('-', "_");
    [
        "subscription_key",
        "password",
        "passwd",
        "secret",
        "token",
        "api_key",
        "apikey",
        "private_key",
        "authorization",
        "credential",
    ]
    .iter()
    .any(|s| k.contains(s))
}

fn holds_private_key(s: &str) -> bool {
    s.contains("-----BEGIN") && s.contains("PRIVATE KEY")
}

/// True for a value made only of `${NAME}` references (`collaudo.toml`'s syntax, see
/// `config::expand`: `$${` is a literal `${`, not a reference).
pub fn only_env_references(s: &str) -> bool {
    let mut rest = s;
    let mut any = false;
    while !rest.is_empty() {
        let Some(after) = rest.strip_prefix("${") else {
            return false;
        };
        let Some(end) = after.find('}') else {
            return false;
        };
        let name = &after[..end];
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return false;
        }
        any = true;
        rest = &after[end + 1..];
    }
    any
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redacted(text: &str) -> Table {
        let (out, _) = redact_config(text).unwrap();
        assert!(out.starts_with("# collaudo.toml of this run"), "{out}");
        toml::from_str(&out).unwrap()
    }

    #[test]
    fn headers_are_redacted_but_env_references_stay() {
        let t = redacted(
            r#"
[station]
url = "https://station.example.it/pagopa"
id_pa = "77777777777"

[station.headers]
Ocp-Apim-Subscription-Key = "${APIM_KEY}"
X-Literal = "s3cr3t-literal"
X-Mixed = "Bearer ${TOKEN}"
X-Escaped = "$${NOT_A_REF}"
"#,
        );
        let h = t["station"]["headers"].as_table().unwrap();
        assert_eq!(h["Ocp-Apim-Subscription-Key"].as_str(), Some("${APIM_KEY}"));
        assert_eq!(h["X-Literal"].as_str(), Some(REDACTED));
        assert_eq!(h["X-Mixed"].as_str(), Some(REDACTED));
        assert_eq!(h["X-Escaped"].as_str(), Some(REDACTED));
        assert_eq!(
            t["station"]["url"].as_str(),
            Some("https://station.example.it/pagopa")
        );
        assert_eq!(t["station"]["id_pa"].as_str(), Some("77777777777"));
    }

    #[test]
    fn secret_named_keys_are_redacted_at_any_depth_and_type() {
        let t = redacted(
            r#"
[aca]
listen = "127.0.0.1:9091"
subscription_key = "change-me"

[custom.deep]
db_password = "hunter2"
API-TOKEN = 12345
client_secret = ["a", "${B}"]
[custom.deep.oauth_credentials]
id = "x"
"#,
        );
        assert_eq!(t["aca"]["subscription_key"].as_str(), Some(REDACTED));
        assert_eq!(t["aca"]["listen"].as_str(), Some("127.0.0.1:9091"));
        let d = &t["custom"]["deep"];
        assert_eq!(d["db_password"].as_str(), Some(REDACTED));
        assert_eq!(d["API-TOKEN"].as_str(), Some(REDACTED));
        assert_eq!(d["client_secret"][0].as_str(), Some(REDACTED));
        assert_eq!(d["client_secret"][1].as_str(), Some("${B}"));
        assert_eq!(d["oauth_credentials"]["id"].as_str(), Some(REDACTED));
    }

    #[test]
    fn key_paths_stay_key_content_goes() {
        let t = redacted(
            r#"
[station.tls]
client_cert = "certs/nodo.pem"
client_key = "certs/nodo-key.pem"
insecure_skip_verify = false

[other]
client_key = """
-----BEGIN PRIVATE KEY-----
MIIEvQ...
-----END PRIVATE KEY-----
"""
"#,
        );
        let tls = &t["station"]["tls"];
        assert_eq!(tls["client_key"].as_str(), Some("certs/nodo-key.pem"));
        assert_eq!(tls["client_cert"].as_str(), Some("certs/nodo.pem"));
        assert_eq!(tls["insecure_skip_verify"].as_bool(), Some(false));
        assert_eq!(t["other"]["client_key"].as_str(), Some(REDACTED));
    }

    #[test]
    fn url_credentials_are_redacted() {
        let t = redacted(
            r#"
[station]
url = "https://user:pw@station.example.it/p"
proxy = "http://proxyuser:proxypw@proxy.example:3128"

[[broadcast]]
fiscal_code = "01234567890"
url = "http://a:b@127.0.0.1:8081/pagopa/station"
id_station = "01234567890_01"
"#,
        );
        assert_eq!(
            t["station"]["url"].as_str(),
            Some("https://<redacted>@station.example.it/p")
        );
        assert_eq!(
            t["station"]["proxy"].as_str(),
            Some("http://<redacted>@proxy.example:3128")
        );
        assert_eq!(
            t["broadcast"][0]["url"].as_str(),
            Some("http://<redacted>@127.0.0.1:8081/pagopa/station")
        );
    }

    #[test]
    fn comments_do_not_survive_and_counts_are_given() {
        let (out, n) = redact_config(
            "# the key is hunter2\n[station.headers]\nX-Key = \"hunter2\" # hunter2\n",
        )
        .unwrap();
        assert!(!out.contains("hunter2"), "{out}");
        assert_eq!(n, 1);
    }

    #[test]
    fn the_template_redacts_to_a_valid_file() {
        let (out, _) = redact_config(&crate::config::template()).unwrap();
        toml::from_str::<Table>(&out).unwrap();
    }

    #[test]
    fn not_toml_is_an_error_not_a_leak() {
        let e = redact_config("[station\nkey = \"hunter2\"").unwrap_err();
        assert!(e.contains("not valid TOML"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn env_reference_grammar() {
        assert!(only_env_references("${A}"));
        assert!(only_env_references("${A_1}${B}"));
        assert!(!only_env_references(""));
        assert!(!only_env_references("${}"));
        assert!(!only_env_references("${A"));
        assert!(!only_env_references("x${A}"));
        assert!(!only_env_references("${A-B}"));
        assert!(!only_env_references("$${A}"));
    }
}
