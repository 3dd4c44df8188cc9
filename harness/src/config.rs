//! `collaudo.toml`: the station under test, the Nodo's identities toward it, timeouts, the
//! back-office data the checks need, and the fixture roles. Environment variables override
//! the file; command-line flags override both.

use collaudo_nodo::BackOffice;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

use crate::scenario::Problem;

/// The file as written by the user.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// `[station]`.
    #[serde(default)]
    pub station: StationSection,
    /// `[timeouts]`.
    #[serde(default)]
    pub timeouts: TimeoutsSection,
    /// `[fixtures]`: role → the notice number(s) prepared on the station. A role that a case
    /// pays needs one notice per such case (`collaudo plan` counts them).
    #[serde(default)]
    pub fixtures: BTreeMap<String, Spanned<Notices>>,
    /// `[backoffice]`: ECs and IBANs registered on the (mock) Nodo.
    #[serde(default)]
    pub backoffice: Option<BackOffice>,
    /// `[demand]`: the spontaneous-payment service to request.
    #[serde(default)]
    pub demand: DemandSection,
    /// `[checks]`: choices where the sources disagree.
    #[serde(default)]
    pub checks: ChecksSection,
    /// `[ec.actions]`: commands that make the EC's system do something.
    #[serde(default)]
    pub ec: EcSection,
    /// `[run]`.
    #[serde(default)]
    pub run: RunSection,
    /// `[receipts]`: the paSendRT retry schedule.
    #[serde(default)]
    pub receipts: ReceiptsSection,
    /// `[[broadcast]]`: broadcast stations of other ECs that receive receipts too.
    #[serde(default)]
    pub broadcast: Vec<BroadcastSection>,
    /// `[standin]`: the Stand-In monitor's rules (defaults: the implementation's values).
    #[serde(default)]
    pub standin: Option<collaudo_nodo::standin::StandInRules>,
    /// `[aca]`: the mock ACA your EC system calls during the run (external stations).
    #[serde(default)]
    pub aca: Option<AcaSection>,
    /// `[gpd]`: the mock GPD your EC system calls during the run, when it is on the
    /// asynchronous integration (external stations; GPD-* cases).
    #[serde(default)]
    pub gpd: Option<GpdSection>,
}

/// The notice numbers of one fixture role: `payable = "…"` or `payable = ["…", "…"]`.
///
/// Read through a visitor rather than an untagged enum so that a wrong type keeps its span
/// and a clear message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Notices(pub Vec<String>);

impl<'de> Deserialize<'de> for Notices {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Notices;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a notice number or a list of notice numbers")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Notices, E> {
                Ok(Notices(vec![v.to_string()]))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Notices, A::Error> {
                let mut out = Vec::new();
                while let Some(n) = a.next_element::<String>()? {
                    out.push(n);
                }
                Ok(Notices(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// `[aca]`: where collaudo serves the mock ACA for the EC system under test.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcaSection {
    /// Address to listen on, e.g. `127.0.0.1:9091`; point your EC's ACA client at
    /// `http://ADDRESS/aca/v1/paCreatePosition`.
    pub listen: std::net::SocketAddr,
    /// The `Ocp-Apim-Subscription-Key` your EC sends.
    pub subscription_key: String,
    /// EC → default Stand-In IBAN (DOMAIN.md §7.5).
    #[serde(default)]
    pub standin_ibans: BTreeMap<String, String>,
}

/// `[gpd]`: where collaudo serves the mock GPD for an EC on the asynchronous integration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpdSection {
    /// Address to listen on, e.g. `127.0.0.1:9092`; point your EC's GPD client at
    /// `http://ADDRESS/gpd/debt-positions-service/v1` (receipts:
    /// `http://ADDRESS/gpd/payments-receipts-service/v1`).
    pub listen: std::net::SocketAddr,
    /// The `Ocp-Apim-Subscription-Key` your EC sends; the mock accepts it for `[station]
    /// id_pa` only.
    pub subscription_key: String,
}

/// `[receipts]`. The sources disagree on the schedule (DOMAIN.md §15 item 3); the default is
/// SANP 3's: the first send, then 48 retries an hour apart.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptsSection {
    /// Sends in all, the first included (default 49: the first send and 48 hourly retries).
    pub max_attempts: Option<u32>,
    /// Between attempts, virtual time (default `"1h"`).
    pub interval: Option<Spanned<String>>,
    /// Whether `PAA_RECEIPT_DUPLICATA` ends a delivery as success (default true).
    pub duplicate_is_final: Option<bool>,
}

/// One `[[broadcast]]` station.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BroadcastSection {
    /// The EC this station belongs to (receives receipts with a transfer to it).
    pub fiscal_code: String,
    /// Its URL.
    pub url: String,
    /// idBrokerPA toward it (default: the EC's fiscal code).
    pub id_broker_pa: Option<String>,
    /// idStation toward it.
    pub id_station: String,
    /// paSendRT version: 1 or 2 (default 2).
    pub send_rt_version: Option<u8>,
}

/// `[station]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationSection {
    /// Service URL of the station under test; absent = the embedded reference station.
    pub url: Option<String>,
    /// idPA (EC fiscal code).
    pub id_pa: Option<String>,
    /// idBrokerPA.
    pub id_broker_pa: Option<String>,
    /// idStation.
    pub id_station: Option<String>,
    /// paGetPayment version the Nodo uses for this station: 1 or 2.
    pub get_payment_version: Option<Spanned<u8>>,
    /// paSendRT version: 1 or 2.
    pub send_rt_version: Option<Spanned<u8>>,
    /// Segregation codes assigned to the station (checked on notice numbers, IUV-001).
    #[serde(default)]
    pub segregation_codes: Vec<String>,
    /// `proxy = "http://proxy.example:3128"` (every call goes through it, `CONNECT` for
    /// https) or `proxy = "env"` (`HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY`). Unset: straight
    /// to the station, even when those variables are set.
    pub proxy: Option<Spanned<String>>,
    /// `[station.tls]`: how the Nodo's TLS toward an `https://` station is set up.
    #[serde(default)]
    pub tls: Option<Spanned<TlsSection>>,
    /// `[station.headers]`: headers sent on every call to the station, e.g. an API gateway's
    /// `Ocp-Apim-Subscription-Key = "${APIM_KEY}"`. `${NAME}` is read from the environment
    /// when the configuration is loaded (`$${` writes a literal `${`). The values are secrets:
    /// the journal and the reports show `[redacted]`.
    #[serde(default)]
    pub headers: BTreeMap<String, Spanned<String>>,
}

/// `[station.tls]`. Paths are relative to the configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSection {
    /// PEM bundle of the CA(s) that issued the station's certificate, added to the system
    /// roots.
    pub ca: Option<Spanned<PathBuf>>,
    /// Trust only `ca`, not the system roots (default false).
    #[serde(default)]
    pub ca_only: bool,
    /// PEM certificate chain the Nodo presents for mutual TLS.
    pub client_cert: Option<Spanned<PathBuf>>,
    /// PEM private key of `client_cert` (PKCS#8, PKCS#1 or SEC1).
    pub client_key: Option<Spanned<PathBuf>>,
    /// Verify the station's certificate against this name instead of the URL's host.
    pub server_name: Option<Spanned<String>>,
    /// Accept any certificate. The run then says so loudly, on the terminal and in every
    /// report: its evidence does not cover the station's certificate.
    #[serde(default)]
    pub insecure_skip_verify: bool,
}

/// `[timeouts]`, milliseconds.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeoutsSection {
    /// paVerifyPaymentNotice, paGetPayment(V2), paDemandPaymentNotice (Nodo: 7000).
    pub sync_ms: Option<u64>,
    /// paSendRT(V2) (Nodo: 15000).
    pub receipt_ms: Option<u64>,
}

/// `[demand]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemandSection {
    /// idServizio (5 characters).
    pub id_servizio: Option<String>,
    /// idSoggettoServizio (5 characters).
    pub id_soggetto_servizio: Option<String>,
    /// Service data XML (sent base64-encoded).
    pub service_data: Option<String>,
}

/// `[checks]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecksSection {
    /// Code for an IBAN not registered for its EC: `PPT_STAZIONE_INT_PA_ERRORE_RESPONSE`
    /// (default, what the Nodo's tests expect) or `PPT_IBAN_NON_CENSITO` (the docs).
    pub unknown_iban_code: Option<Spanned<String>>,
    /// Check IBANs against `[backoffice]` at all (default true when back-office data is given).
    pub check_ibans: Option<bool>,
}

/// `[ec]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EcSection {
    /// Action name → shell command, with `{notice}`, `{iuv}`, `{amount_cents}`, `{delta_cents}`.
    #[serde(default)]
    pub actions: BTreeMap<String, String>,
}

/// `[run]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSection {
    /// Seed for generated data and fault plans.
    pub seed: Option<u64>,
    /// Report folder.
    pub out: Option<PathBuf>,
    /// Extra scenario folders.
    #[serde(default)]
    pub scenarios: Vec<PathBuf>,
}

/// The commented template `collaudo init` fills in (`@FIXTURES@` becomes the role list).
pub const TEMPLATE: &str = include_str!("../collaudo.example.toml");

/// The template with every fixture role: what it is, the built-in cases it unlocks, and how
/// many notices a full run needs (the cases that pay a role take one each).
pub fn template() -> String {
    use std::fmt::Write as _;
    let cat = crate::scenario::Catalogue::with_dirs(&[] as &[PathBuf], true).ok();
    let scenarios: Vec<&crate::scenario::Scenario> = cat
        .as_ref()
        .map(|c| c.scenarios.iter().map(|(s, _)| s).collect())
        .unwrap_or_default();
    let needed = crate::fixtures::needed(scenarios.iter().copied());
    let mut block = String::from(
        "# Notice numbers prepared on your station, per role. Each must be a real notice number
         # of your EC: 18 digits whose last two are the mod-93 check digits (collaudo refuses a
         # number with wrong ones). A role a case pays (activation, receipt, EC action) needs one
         # notice per such case, since a paid notice is never payable again: list them,
         # e.g. payable = [\"…\", \"…\"]; `collaudo plan` shows the counts for your selection.
         # A case whose role is not mapped is skipped with the reason, never failed.
",
    );
    for role in collaudo_station::FixtureRole::ALL {
        let name = role.name();
        let cases: Vec<String> = scenarios
            .iter()
            .filter_map(|s| {
                crate::fixtures::uses(s).get(name).map(|u| match u {
                    crate::fixtures::Use::Read => s.id.get_ref().clone(),
                    crate::fixtures::Use::Consume => format!("{}*", s.id.get_ref()),
                })
            })
            .collect();
        let _ = writeln!(
            block,
            "#
# {name}: {}",
            role.description()
        );
        if cases.is_empty() {
            let _ = writeln!(block, "#   used by no built-in case");
        } else {
            let _ = writeln!(
                block,
                "#   {} notice(s) for a full run; unlocks {} (* pays it)",
                needed.get(name).copied().unwrap_or(1),
                cases.join(" ")
            );
        }
        let _ = writeln!(block, "# {name} = [\"<18-digit notice number>\"]");
    }
    TEMPLATE.replace("@FIXTURES@\n", &block)
}

/// Read and parse a config file, reporting problems with line:column.
pub fn load(path: &Path) -> Result<ConfigFile, Box<Problem>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Box::new(Problem {
            file: path.display().to_string(),
            position: None,
            severity: crate::scenario::Severity::Error,
            title: format!("cannot read the configuration: {e}"),
            help: Some("create one with `collaudo init`".into()),
            src: String::new(),
        })
    })?;
    parse(&path.display().to_string(), &text)
}

/// Parse a config text.
pub fn parse(file: &str, text: &str) -> Result<ConfigFile, Box<Problem>> {
    let cfg: ConfigFile = toml::from_str(text).map_err(|e| {
        let mut help = None;
        let msg = e.message().trim().to_string();
        if let Some(rest) = msg.strip_prefix("unknown field `") {
            if let Some((field, expected)) = rest.split_once('`') {
                let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
                help = crate::scenario::did_you_mean(field, candidates.iter().copied())
                    .map(|c| format!("did you mean `{c}`?"));
            }
        }
        Box::new(Problem {
            file: file.to_string(),
            position: e.span().map(|s| {
                let p = collaudo_wire::Position::of(text.as_bytes(), s.start);
                (p.line, p.column)
            }),
            severity: crate::scenario::Severity::Error,
            title: msg,
            help,
            src: text.to_string(),
        })
    })?;
    let bad = |at: &dyn Fn() -> usize, title: String, help: Option<String>| {
        Box::new(Problem {
            file: file.to_string(),
            position: Some({
                let p = collaudo_wire::Position::of(text.as_bytes(), at());
                (p.line, p.column)
            }),
            severity: crate::scenario::Severity::Error,
            title,
            help,
            src: text.to_string(),
        })
    };
    for v in [
        &cfg.station.get_payment_version,
        &cfg.station.send_rt_version,
    ]
    .into_iter()
    .flatten()
    {
        if !matches!(v.get_ref(), 1 | 2) {
            return Err(bad(
                &|| v.span().start,
                format!("primitive version must be 1 or 2, not {}", v.get_ref()),
                None,
            ));
        }
    }
    for (role, notice) in &cfg.fixtures {
        if !crate::fixtures::KNOWN_ROLES.contains(&role.as_str()) {
            let help =
                crate::scenario::did_you_mean(role, crate::fixtures::KNOWN_ROLES.iter().copied())
                    .map(|r| format!("did you mean `{r}`?"))
                    .or_else(|| {
                        Some(format!(
                            "roles: {}",
                            crate::fixtures::KNOWN_ROLES.join(", ")
                        ))
                    });
            return Err(bad(
                &|| notice.span().start,
                format!("unknown fixture role `{role}`"),
                help,
            ));
        }
        if notice.get_ref().0.is_empty() {
            return Err(bad(
                &|| notice.span().start,
                format!("fixture role `{role}` lists no notice number"),
                Some("give one notice number, or a list of them".into()),
            ));
        }
        for n in &notice.get_ref().0 {
            if n.len() != 18 || !n.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(
                    &|| notice.span().start,
                    format!("`{n}` is not an 18-digit notice number"),
                    None,
                ));
            }
            if let Ok(nav) = collaudo_wire::ident::NoticeNumber::parse(n) {
                if nav.check_digit_ok() == Some(false) {
                    return Err(bad(
                        &|| notice.span().start,
                        format!(
                            "`{n}` has wrong check digits: the last two digits must be {:02} (mod 93)",
                            nav.expected_check_digits().unwrap_or(0)
                        ),
                        Some("the check digits are the remainder of the aux digit, segregation/application code and IUV base divided by 93".into()),
                    ));
                }
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some(dup) = notice.get_ref().0.iter().find(|n| !seen.insert(*n)) {
            return Err(bad(
                &|| notice.span().start,
                format!("`{dup}` is listed twice for `{role}`: each notice can be paid only once"),
                None,
            ));
        }
    }
    if let Some(i) = &cfg.receipts.interval {
        if crate::scenario::parse_duration(i.get_ref()).is_none_or(|d| d.is_zero()) {
            return Err(bad(
                &|| i.span().start,
                format!("`{}` is not a positive duration", i.get_ref()),
                Some("e.g. \"1h\" or \"30m\"".into()),
            ));
        }
    }
    if let Some(code) = &cfg.checks.unknown_iban_code {
        let allowed = [
            "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE",
            "PPT_IBAN_NON_CENSITO",
        ];
        if !allowed.contains(&code.get_ref().as_str()) {
            return Err(bad(
                &|| code.span().start,
                format!("`{}` is not a choice here", code.get_ref()),
                Some(format!("one of {}", allowed.join(", "))),
            ));
        }
    }
    Ok(cfg)
}

/// Where a configuration file sits, for errors found after parsing it: the file name, its
/// text (for the source line) and its folder (relative paths in it start there).
#[derive(Debug, Clone, Default)]
pub struct Source {
    /// The file as named on the command line; empty without a configuration file.
    pub file: String,
    /// Its text.
    pub text: String,
    /// Its folder.
    pub dir: PathBuf,
}

impl Source {
    fn problem(&self, at: Option<usize>, title: String, help: Option<String>) -> Box<Problem> {
        Box::new(Problem {
            file: if self.file.is_empty() {
                "(command line)".into()
            } else {
                self.file.clone()
            },
            position: at.filter(|_| !self.text.is_empty()).map(|at| {
                let p = collaudo_wire::Position::of(self.text.as_bytes(), at);
                (p.line, p.column)
            }),
            severity: crate::scenario::Severity::Error,
            title,
            help,
            src: self.text.clone(),
        })
    }
}

/// `${NAME}` from the environment; `$${` is a literal `${`. A missing or empty variable is
/// an error naming the header and the variable.
fn expand(
    header: &str,
    value: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = value;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("$${") {
            out.push_str("${");
            rest = after;
        } else if let Some(after) = tail.strip_prefix("${") {
            let Some(end) = after.find('}') else {
                return Err(format!("header {header}: `${{` without a closing `}}`"));
            };
            let name = &after[..end];
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(format!(
                    "header {header}: `${{{name}}}` is not an environment variable name"
                ));
            }
            match env(name) {
                Some(v) if !v.is_empty() => out.push_str(&v),
                Some(_) => {
                    return Err(format!(
                        "header {header}: environment variable {name} is set but empty (a missing CI secret?)"
                    ));
                }
                None => {
                    return Err(format!(
                        "header {header}: environment variable {name} is not set"
                    ));
                }
            }
            rest = &after[end + 1..];
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// How the Nodo reaches the station under test (`[station]` `proxy`, `[station.tls]`,
/// `[station.headers]`), every file read and every value checked now, so that a mistake is a
/// usage error before the first case rather than an error in every case.
///
/// TLS is set up when `[station.tls]` is present or the URL is `https://`.
pub fn connection(
    cfg: &ConfigFile,
    src: &Source,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<collaudo_nodo::Connection, Box<Problem>> {
    use collaudo_nodo::TlsSetupError as E;
    use collaudo_nodo::{Connection, GatewayHeader, ProxyChoice, TlsOptions, TlsSettings};
    let station = &cfg.station;
    let mut conn = Connection::plain();
    if let Some(p) = &station.proxy {
        conn.proxy = ProxyChoice::parse(p.get_ref()).map_err(|e| {
            src.problem(
                Some(p.span().start),
                format!("[station] {e}"),
                Some("write proxy = \"env\" or proxy = \"http://proxy.example:3128\"".into()),
            )
        })?;
    }
    for (name, value) in &station.headers {
        let at = Some(value.span().start);
        let expanded = expand(name, value.get_ref(), env)
            .map_err(|e| src.problem(at, format!("[station.headers] {e}"), None))?;
        let header = GatewayHeader::new(name, &expanded).map_err(|e| {
            src.problem(
                at,
                format!("[station.headers] {e}"),
                matches!(e, collaudo_nodo::HeaderError::Reserved { .. }).then(|| {
                    "SOAPAction, Content-Type, Host and Content-Length are the Nodo's own".into()
                }),
            )
        })?;
        conn.headers.push(header);
    }
    let https = station
        .url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"));
    if station.tls.is_none() && !https {
        return Ok(conn);
    }
    let resolve = |p: &Spanned<PathBuf>| {
        let p = p.get_ref();
        if p.is_relative() {
            src.dir.join(p)
        } else {
            p.clone()
        }
    };
    let section = station.tls.as_ref().map(Spanned::get_ref);
    let opts = match section {
        None => TlsOptions::default(),
        Some(t) => TlsOptions {
            ca: t.ca.as_ref().map(resolve),
            ca_only: t.ca_only,
            client_cert: t.client_cert.as_ref().map(resolve),
            client_key: t.client_key.as_ref().map(resolve),
            server_name: t.server_name.as_ref().map(|n| n.get_ref().clone()),
            insecure_skip_verify: t.insecure_skip_verify,
        },
    };
    let settings = TlsSettings::load(&opts).map_err(|e| {
        let span_of = |key: &str| -> Option<usize> {
            let t = section?;
            match key {
                "ca" => t.ca.as_ref().map(|s| s.span().start),
                "client_cert" => t.client_cert.as_ref().map(|s| s.span().start),
                "client_key" => t.client_key.as_ref().map(|s| s.span().start),
                "server_name" => t.server_name.as_ref().map(|s| s.span().start),
                _ => None,
            }
        };
        let key = match &e {
            E::Unreadable { key, .. }
            | E::InvalidPem { key, .. }
            | E::NoCertificate { key, .. }
            | E::BadCertificate { key, .. } => *key,
            E::NoPrivateKey { .. } | E::KeyMismatch { .. } | E::BadKey { .. } => "client_key",
            E::Incomplete { given, .. } => given,
            E::ServerName { .. } => "server_name",
            _ => "",
        };
        let at = span_of(key).or_else(|| station.tls.as_ref().map(|t| t.span().start));
        let help = match &e {
            E::NoRoots { .. } => Some("e.g. [station.tls] ca = \"certs/station-ca.pem\"".into()),
            _ => None,
        };
        src.problem(at, format!("[station.tls] {e}"), help)
    })?;
    conn.tls = Some(settings);
    Ok(conn)
}

/// Environment overrides, applied on top of the file: `COLLAUDO_STATION_URL`,
/// `COLLAUDO_ID_PA`, `COLLAUDO_ID_BROKER_PA`, `COLLAUDO_ID_STATION`, `COLLAUDO_SEED`.
pub fn apply_env(cfg: &mut ConfigFile, get: impl Fn(&str) -> Option<String>) -> Result<(), String> {
    if let Some(v) = get("COLLAUDO_STATION_URL").filter(|v| !v.is_empty()) {
        cfg.station.url = Some(v);
    }
    if let Some(v) = get("COLLAUDO_ID_PA") {
        cfg.station.id_pa = Some(v);
    }
    if let Some(v) = get("COLLAUDO_ID_BROKER_PA") {
        cfg.station.id_broker_pa = Some(v);
    }
    if let Some(v) = get("COLLAUDO_ID_STATION") {
        cfg.station.id_station = Some(v);
    }
    if let Some(v) = get("COLLAUDO_SEED") {
        cfg.run.seed = Some(
            v.parse()
                .map_err(|_| format!("COLLAUDO_SEED={v:?} is not a number"))?,
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_parses() {
        let text = template();
        assert!(text.contains("# receipt-target: ") && text.contains("mod-93"));
        assert!(!text.contains("@FIXTURES@") && !text.contains("DOMAIN.md"));
        let cfg = parse("collaudo.toml", &text).unwrap();
        assert!(
            cfg.station.url.is_none(),
            "the template must default to the embedded station"
        );
    }

    #[test]
    fn typos_are_pointed_at() {
        let e = parse("c.toml", "[station]\nid_ppa = \"1\"\n").unwrap_err();
        assert_eq!(e.position, Some((2, 1)));
        assert_eq!(e.help.as_deref(), Some("did you mean `id_pa`?"));
        let e = parse("c.toml", "[fixtures]\npayabel = \"301000000000000144\"\n").unwrap_err();
        assert_eq!(e.help.as_deref(), Some("did you mean `payable`?"));
        let e = parse("c.toml", "[fixtures]\npayable = \"30100\"\n").unwrap_err();
        assert!(e.title.contains("18-digit"));
    }

    #[test]
    fn gpd_section_errors_point_at_the_line() {
        let cfg = parse(
            "c.toml",
            "[gpd]\nlisten = \"127.0.0.1:9092\"\nsubscription_key = \"k\"\n",
        )
        .unwrap();
        let g = cfg.gpd.unwrap();
        assert_eq!((g.listen.port(), g.subscription_key.as_str()), (9092, "k"));
        let e = parse(
            "c.toml",
            "[gpd]\nlisten = \"localhost\"\nsubscription_key = \"k\"\n",
        )
        .unwrap_err();
        assert_eq!(e.position.map(|p| p.0), Some(2), "{e:?}");
        let e = parse("c.toml", "[gpd]\nlisten = \"127.0.0.1:1\"\nkey = \"k\"\n").unwrap_err();
        assert_eq!(e.position.map(|p| p.0), Some(3), "{e:?}");
        let e = parse("c.toml", "[gpd]\nlisten = \"127.0.0.1:1\"\n").unwrap_err();
        assert!(e.title.contains("subscription_key"), "{e:?}");
    }

    #[test]
    fn environment_overrides_the_file() {
        let mut cfg = parse("c.toml", "[station]\nurl = \"http://a\"\n").unwrap();
        apply_env(&mut cfg, |k| {
            (k == "COLLAUDO_STATION_URL").then(|| "http://b".to_string())
        })
        .unwrap();
        assert_eq!(cfg.station.url.as_deref(), Some("http://b"));
        assert!(
            apply_env(&mut cfg, |k| (k == "COLLAUDO_SEED")
                .then(|| "x".to_string()))
            .is_err()
        );
    }
}
