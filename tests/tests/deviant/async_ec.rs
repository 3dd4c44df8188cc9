//! Deviant ECs on the *asynchronous* integration: back offices written from GPD's contract
//! (`gpd.json`, v1: `POST …/organizations/{ofc}/debtpositions?toPublish`, the
//! `PaymentPositionModel` with its `paymentOption[].transfer[]`; `gpd_payments.json` for
//! `GET …/payments/{ofc}/receipts/{iuv}`) and the SANP's asynchronous-integration page, not
//! from `station/`. Each is a shell script run by collaudo's `[ec.actions]` hooks, calling
//! the run's mock GPD with curl, the way an EC's own tooling would.
//!
//! * `correct`: creates with the `toPublish` asked, one transfer of the whole amount;
//! * `unpublished`: never publishes (`toPublish=false` even when asked to publish), so its
//!   positions stay DRAFT, invisible to the Nodo;
//! * `sum-mismatch`: its single transfer is one cent short of the option amount, which GPD
//!   refuses (Σ transfer.amount must equal the option amount);
//! * `no-update`, `no-delete`, `no-invalidate`: the back office records the change locally and
//!   never calls GPD for it (the position in GPD stays as it was).
//!
//! Expected verdicts come from the spec: GPD-001 and GPD-007 need the published creation to
//! be accepted (201) and VALID; GPD-006b needs a payable position.

use collaudo_reports::Verdict;
use std::fmt::Write as _;

const EC: &str = "12345678901";
const KEY: &str = "async-ec-key";

/// The back office: `op gpd_url iupd iuv [amount_cents]`.
const SCRIPT: &str = r#"#!/bin/sh
set -eu
op=$1; gpd=$2; iupd=$3; iuv=$4; amount=${5:-1}
positions="$gpd/gpd/debt-positions-service/v1/organizations/$EC/debtpositions"
transfer=$amount
if [ "$DEVIATION" = sum-mismatch ]; then transfer=$((amount - 1)); fi
body=$(printf '{"iupd":"%s","type":"F","fiscalCode":"RSSMRA80A01H501U","fullName":"Mario Rossi","companyName":"Comune Asincrono","switchToExpired":false,"paymentOption":[{"iuv":"%s","amount":%s,"description":"Tassa rifiuti","isPartialPayment":false,"dueDate":"2099-12-31T23:59:59","transfer":[{"idTransfer":"1","amount":%s,"remittanceInformation":"Tassa rifiuti","category":"9/0101108TS/","iban":"IT60X0542811101000000123456"}]}]}' "$iupd" "$iuv" "$amount" "$transfer")
call() { curl -sS -o /dev/null -w '%{http_code}\n' -H "Ocp-Apim-Subscription-Key: $KEY" "$@"; }
case $op in
  create)
    call -X POST -H 'Content-Type: application/json' -d "$body" "$positions?toPublish=false" ;;
  create-published)
    publish=true
    if [ "$DEVIATION" = unpublished ]; then publish=false; fi
    call -X POST -H 'Content-Type: application/json' -d "$body" "$positions?toPublish=$publish" ;;
  publish)
    if [ "$DEVIATION" = unpublished ]; then exit 0; fi
    call -X POST "$positions/$iupd/publish" ;;
  update)
    if [ "$DEVIATION" = no-update ]; then exit 0; fi
    call -X PUT -H 'Content-Type: application/json' -d "$body" "$positions/$iupd?toPublish=false" ;;
  delete)
    if [ "$DEVIATION" = no-delete ]; then exit 0; fi
    call -X DELETE "$positions/$iupd" ;;
  invalidate)
    if [ "$DEVIATION" = no-invalidate ]; then exit 0; fi
    call -X POST "$positions/$iupd/invalidate" ;;
  pull-receipt)
    call "$gpd/gpd/payments-receipts-service/v1/payments/$EC/receipts/$iuv" ;;
  *) echo "unknown operation $op" >&2; exit 2 ;;
esac
"#;

/// Run `cases` against the back office with `deviation`; the verdict of each case.
async fn run(deviation: &str, cases: &[&str]) -> Vec<(String, Verdict, Option<String>)> {
    run_with(deviation, cases, true).await
}

/// [`run`], with or without the `[gpd]` section.
async fn run_with(
    deviation: &str,
    cases: &[&str],
    gpd: bool,
) -> Vec<(String, Verdict, Option<String>)> {
    assert!(
        std::process::Command::new("curl")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success()),
        "these deviant ECs call GPD with curl, which is not installed"
    );
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let script = dir.path().join("backoffice.sh");
    std::fs::write(&script, SCRIPT).unwrap_or_else(|e| panic!("write script: {e}"));
    let run = format!(
        "EC={EC} KEY={KEY} DEVIATION={deviation} sh {}",
        script.display()
    );
    let mut c = String::new();
    // No SOAP call reaches the station in these cases (the receipt is pulled): the URL is
    // never used, and the preflight is off.
    let _ = writeln!(
        c,
        r#"[station]
url = "http://127.0.0.1:9/unused"
id_pa = "{EC}"
id_broker_pa = "{EC}"
id_station = "{EC}_01"

[gpd]
listen = "127.0.0.1:0"
subscription_key = "{KEY}"

[ec.actions]
gpd-create = "{run} create {{gpd_url}} {{iupd}} {{iuv}} {{amount_cents}}"
gpd-create-published = "{run} create-published {{gpd_url}} {{iupd}} {{iuv}} {{amount_cents}}"
gpd-publish = "{run} publish {{gpd_url}} {{iupd}} {{iuv}}"
gpd-update = "{run} update {{gpd_url}} {{iupd}} {{iuv}} {{amount_cents}}"
gpd-delete = "{run} delete {{gpd_url}} {{iupd}} {{iuv}}"
gpd-invalidate = "{run} invalidate {{gpd_url}} {{iupd}} {{iuv}}"
gpd-pull-receipt = "{run} pull-receipt {{gpd_url}} {{iupd}} {{iuv}}"
"#
    );
    if !gpd {
        c = c.replace(
            &format!("[gpd]\nlisten = \"127.0.0.1:0\"\nsubscription_key = \"{KEY}\"\n"),
            "",
        );
        assert!(!c.contains("[gpd]"), "{c}");
    }
    let cfg = dir.path().join("collaudo.toml");
    std::fs::write(&cfg, c).unwrap_or_else(|e| panic!("write config: {e}"));
    let (report, _) = crate::runner::run_report(cfg, &dir.path().join("out"), cases, true).await;
    report
        .cases
        .iter()
        .map(|c| (c.meta.id.clone(), c.verdict, c.reason.clone()))
        .collect()
}

fn verdict_of<'a>(got: &'a [(String, Verdict, Option<String>)], id: &str) -> (Verdict, &'a str) {
    got.iter()
        .find(|(c, _, _)| c == id)
        .map(|(_, v, r)| (*v, r.as_deref().unwrap_or("")))
        .unwrap_or_else(|| panic!("{id} not run: {got:?}"))
}

const CASES: &[&str] = &["GPD-001", "GPD-006b", "GPD-007"];

/// Every GPD case that needs no station of the EC (the receipt is pulled, not pushed).
const ALL: &[&str] = &[
    "GPD-001", "GPD-002", "GPD-003", "GPD-004", "GPD-006b", "GPD-007",
];

#[tokio::test]
async fn a_correct_async_back_office_passes_through_hooks() {
    let got = run("none", ALL).await;
    for id in ALL {
        let (v, why) = verdict_of(&got, id);
        assert_eq!(v, Verdict::Pass, "{id}: {why}");
    }
}

#[tokio::test]
async fn a_back_office_that_never_publishes_fails() {
    let got = run("unpublished", CASES).await;
    let (v, why) = verdict_of(&got, "GPD-001");
    assert_eq!(v, Verdict::Fail, "{why}");
    assert!(why.contains("DRAFT, not VALID"), "{why}");
    let (v, why) = verdict_of(&got, "GPD-006b");
    assert_eq!(v, Verdict::Fail, "{why}");
    assert!(why.contains("PAA_PAGAMENTO_SCONOSCIUTO"), "{why}");
    let (v, why) = verdict_of(&got, "GPD-007");
    assert_eq!(v, Verdict::Fail, "{why}");
    assert!(why.contains("DRAFT, not VALID"), "{why}");
    // Its publish call is never made either: the draft stays a draft.
    let got = run("unpublished", &["GPD-002"]).await;
    let (v, why) = verdict_of(&got, "GPD-002");
    assert_eq!(v, Verdict::Fail, "{why}");
}

/// A change the back office keeps to itself is not in GPD: the case about that change fails,
/// the others pass.
#[tokio::test]
async fn a_back_office_that_does_not_send_a_change_fails_that_case() {
    for (deviation, case) in [
        ("no-update", "GPD-003"),
        ("no-delete", "GPD-004"),
        ("no-invalidate", "GPD-004"),
    ] {
        let got = run(deviation, &["GPD-001", case]).await;
        let (v, why) = verdict_of(&got, case);
        assert_eq!(v, Verdict::Fail, "{deviation}: {case}: {why}");
        let (v, why) = verdict_of(&got, "GPD-001");
        assert_eq!(v, Verdict::Pass, "{deviation}: GPD-001: {why}");
    }
}

#[tokio::test]
async fn a_back_office_whose_transfers_do_not_add_up_fails() {
    let got = run("sum-mismatch", CASES).await;
    let (v, why) = verdict_of(&got, "GPD-001");
    assert_eq!(v, Verdict::Fail, "{why}");
    let (v, why) = verdict_of(&got, "GPD-007");
    assert_eq!(v, Verdict::Fail, "{why}");
    assert!(why.contains("absent") || why.contains("400"), "{why}");
    let (v, why) = verdict_of(&got, "GPD-006b");
    assert_eq!(v, Verdict::Fail, "{why}");
}

#[tokio::test]
async fn without_gpd_the_cases_are_skipped_saying_what_to_add() {
    let got = run_with("none", CASES, false).await;
    for id in CASES {
        let (v, why) = verdict_of(&got, id);
        assert_eq!(v, Verdict::Skipped, "{id}: {why}");
        assert!(why.contains("add a [gpd] section"), "{id}: {why}");
    }
}
