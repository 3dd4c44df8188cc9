//! An independent second opinion on the built-in suite: a corpus of *deviant stations*.
//!
//! The harness, the reference station and its fault profiles were written by the same hands
//! and agree with each other. This binary brings a station written separately, from the domain
//! brief (`../shared/spec/DOMAIN.md` §1-§6, §10, §11, §15), the test plan (`TEST-PLAN.md`
//! §4.1-§4.5) and the official `paForNode.xsd`, never from `station/`:
//!
//! * `station`: a small correct EC station (axum, quick-xml), plus one switch per deviation
//!   real integrators ship (HTTP 500 on KO, bare payloads, qualified children, literal-prefix
//!   parsing, receipts not booked, ...), and a few tolerated variants the spec allows;
//! * `table`: for every station, which built-in cases the SPEC says must fail, must pass, must
//!   pass with a warning, or leaves undecided, with the section that says so; where today's
//!   harness disagrees, the case is listed under `known_harness_defects` (the test passes, the
//!   list stays visible, and an entry the harness has since fixed fails as stale);
//! * `runner`: cases run in-process (`collaudo::run::run`) against fresh stations on
//!   127.0.0.1 port 0 (the EC's and the secondary EC's broadcast station); every case that
//!   activates or pays a notice runs alone, so it never consumes another case's fixture.
//!
//! `cargo test -p collaudo-tests --test deviant -- --nocapture` prints, per row, every case
//! with its expected and actual verdict, the harness's reason and warnings.

mod async_ec;
mod ident;
mod runner;
mod station;
mod table;
mod xml;

use collaudo::scenario::Catalogue;
use std::path::PathBuf;

async fn run_row(name: &str) {
    let row = table::rows()
        .into_iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no row {name}"));
    runner::check_row(&row).await;
}

/// One test per row, so rows run in parallel and fail separately.
macro_rules! rows {
    ($($test:ident => $name:literal),* $(,)?) => {
        const TESTED: &[&str] = &[$($name),*];
        $(
            #[tokio::test]
            async fn $test() {
                run_row($name).await;
            }
        )*
    };
}

rows! {
    correct_station => "correct",
    jaxws_prefixes => "jaxws-prefixes",
    receipt_duplicata => "receipt-duplicata",
    in_corso_after_activation => "in-corso-after-activation",
    sintassi_xsd => "sintassi-xsd",
    faultstring_blanks => "faultstring-blanks",
    minimal_ok => "minimal-ok",
    utf8_at_limits => "utf8-at-limits",
    pretty_cdata => "pretty-cdata",
    default_ns_wrapper => "default-ns-wrapper",
    activation_in_corso => "activation-in-corso",
    prefix_literal => "prefix-literal",
    ko_http_500 => "ko-http-500",
    ko_http_404_unknown => "ko-http-404-unknown",
    content_type_html => "content-type-html",
    content_type_soap12 => "content-type-soap12",
    v2_plain_500 => "v2-plain-500",
    verify_company_empty => "verify-company-empty",
    amount_drift => "amount-drift",
    non_paa_codes => "non-paa-codes",
    ko_without_fault => "ko-without-fault",
    receipt_not_booked => "receipt-not-booked",
    duplicate_receipt_semantica => "duplicate-receipt-semantica",
    bare_payload => "bare-payload",
    qualified_children => "qualified-children",
    soap_fault_ko => "soap-fault-ko",
    multi_split_rounding => "multi-split-rounding",
    six_transfers => "six-transfers",
    verify_amount_comma => "verify-amount-comma",
    activation_amount_one_decimal => "activation-amount-one-decimal",
    crid_is_nav => "crid-is-nav",
    unknown_answers_ok => "unknown-answers-ok",
    paid_answers_ok => "paid-answers-ok",
    paid_sconosciuto => "paid-sconosciuto",
    idpa_not_checked => "idpa-not-checked",
    probe_system_error => "probe-system-error",
    soapaction_unquoted_refused => "soapaction-unquoted-refused",
    soapaction_quoted_refused => "soapaction-quoted-refused",
    slow_first_verify => "slow-first-verify",
    verify_timeout => "verify-timeout",
    duedate_datetime => "duedate-datetime",
    v1_no_transfer_category => "v1-no-transfer-category",
    fault_id_empty => "fault-id-empty",
    ok_with_fault => "ok-with-fault",
    activation_closes_position => "activation-closes-position",
    secondary_iban_of_primary => "secondary-iban-of-primary",
    receipt_amount_checked => "receipt-amount-checked",
    receipt_empty_200 => "receipt-empty-200",
    options_any => "options-any",
    metadata_16 => "metadata-16",
    debtor_country_name => "debtor-country-name",
    duplicate_idtransfer => "duplicate-idtransfer",
    v2_with_v1_wrapper => "v2-with-v1-wrapper",
    transfer_type_ignored => "transfer-type-ignored",
    old_xsd_receipt => "old-xsd-receipt",
    slow_receipts => "slow-receipts",
}

#[test]
fn the_table_is_well_formed() {
    let rows = table::rows();
    let names: Vec<&str> = rows.iter().map(|r| r.name).collect();
    assert_eq!(
        names, TESTED,
        "every row has exactly one test, in table order"
    );
    let deviant = rows
        .iter()
        .filter(|r| !r.must_fail.is_empty() || r.gap.is_some())
        .count();
    assert!(
        deviant >= 25,
        "at least 25 deviant stations, found {deviant}"
    );
    let catalogue = Catalogue::with_dirs(&[] as &[PathBuf], true).expect("the built-in suite");
    let ids: Vec<String> = catalogue
        .scenarios
        .iter()
        .map(|(s, _)| s.id.get_ref().clone())
        .collect();
    for r in &rows {
        let mut named: Vec<&str> = r.cases();
        named.extend(&r.must_fail);
        named.extend(&r.may_warn);
        named.extend(r.undecided.iter().map(|(c, _)| *c));
        named.extend(r.known_harness_defects.iter().map(|(c, _)| *c));
        for c in named {
            assert!(
                ids.iter().any(|i| i == c),
                "{}: {c} is not a built-in case",
                r.name
            );
            assert!(
                r.cases().contains(&c),
                "{}: {c} is named but not run",
                r.name
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        for c in r.known_harness_defects.iter().map(|(c, _)| c) {
            assert!(seen.insert(c), "{}: {c} listed twice as a defect", r.name);
        }
    }
}

/// Not a check: prints every disagreement the table records today (known harness defects),
/// every gap and every case the spec leaves undecided, in one place
/// (`cargo test -p collaudo-tests --test deviant -- --nocapture the_open_points`).
#[test]
fn the_open_points() {
    let mut out = String::new();
    for r in table::rows() {
        // One line per distinct reason, with the cases it covers.
        let mut defects: Vec<(&str, Vec<&str>)> = Vec::new();
        for (case, why) in &r.known_harness_defects {
            match defects.iter_mut().find(|(w, _)| w == why) {
                Some((_, cases)) => cases.push(case),
                None => defects.push((why, vec![case])),
            }
        }
        for (why, cases) in defects {
            out.push_str(&format!(
                "DEFECT    {}: {}\n          {why}\n",
                r.name,
                cases.join(", ")
            ));
        }
        if let Some(g) = r.gap {
            out.push_str(&format!("GAP       {}\n          {g}\n", r.name));
        }
        for (case, why) in &r.undecided {
            out.push_str(&format!("UNDECIDED {}: {case}\n          {why}\n", r.name));
        }
    }
    println!("{out}");
}
