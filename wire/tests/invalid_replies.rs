//! Table of invalid station replies drawn from DOMAIN.md §5 and the Nodo's own negative tests
//! (SIN_PVPNR / SIN_PGPR / SEM_PGPR families, TEST-PLAN.md §2). Each row expects one specific
//! violation at one element path. When `../shared/pagopa-api` and `xmllint` are present, every
//! row is also validated by libxml2 against the official XSD, and the two verdicts must agree:
//! rows marked `xsd_valid` break only pagoPA rules the schema cannot express.

use collaudo_wire::{Kind, parse};
use std::path::PathBuf;
use std::process::Command;

const NS: &str = "http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd";

fn verify_ok() -> String {
    format!(
        r#"<pafn:paVerifyPaymentNoticeRes xmlns:pafn="{NS}">
  <outcome>OK</outcome>
  <paymentList>
    <paymentOptionDescription>
      <amount>30.00</amount>
      <options>EQ</options>
      <dueDate>2026-12-31</dueDate>
      <detailDescription>TARI 2026</detailDescription>
      <allCCP>false</allCCP>
    </paymentOptionDescription>
  </paymentList>
  <paymentDescription>TARI 2026 - rata unica</paymentDescription>
  <fiscalCodePA>77777777777</fiscalCodePA>
  <companyName>Comune di Prova</companyName>
</pafn:paVerifyPaymentNoticeRes>"#
    )
}

fn transfer(id: u32, amount: &str, extra: &str) -> String {
    format!(
        r#"
      <transfer>
        <idTransfer>{id}</idTransfer>
        <transferAmount>{amount}</transferAmount>
        <fiscalCodePA>77777777777</fiscalCodePA>{extra}
        <IBAN>IT60X0542811101000000123456</IBAN>
        <remittanceInformation>TARI 2026</remittanceInformation>
        <transferCategory>0101101IM</transferCategory>
      </transfer>"#
    )
}

fn get_payment(element: &str, company: bool, transfers: &str, metadata: &str) -> String {
    let company = if company {
        "\n    <companyName>Comune di Prova</companyName>"
    } else {
        ""
    };
    format!(
        r#"<pafn:{element} xmlns:pafn="{NS}">
  <outcome>OK</outcome>
  <data>
    <creditorReferenceId>01000000000000144</creditorReferenceId>
    <paymentAmount>30.00</paymentAmount>
    <dueDate>2026-12-31</dueDate>
    <retentionDate>2027-01-31T23:59:59</retentionDate>
    <lastPayment>true</lastPayment>
    <description>TARI 2026</description>{company}
    <debtor>
      <uniqueIdentifier>
        <entityUniqueIdentifierType>F</entityUniqueIdentifierType>
        <entityUniqueIdentifierValue>RSSMRA85T10A562S</entityUniqueIdentifierValue>
      </uniqueIdentifier>
      <fullName>Mario Rossi</fullName>
      <country>IT</country>
      <e-mail>mario.rossi@example.it</e-mail>
    </debtor>
    <transferList>{transfers}
    </transferList>{metadata}
  </data>
</pafn:{element}>"#
    )
}

fn get_payment_v1() -> String {
    get_payment("paGetPaymentRes", false, &transfer(1, "30.00", ""), "")
}

fn get_payment_v2() -> String {
    get_payment(
        "paGetPaymentV2Response",
        true,
        &transfer(1, "30.00", ""),
        "",
    )
}

fn entries(n: usize) -> String {
    let mut s = String::from("\n    <metadata>");
    for i in 0..n {
        s.push_str(&format!(
            "<mapEntry><key>k{i}</key><value>v{i}</value></mapEntry>"
        ));
    }
    s.push_str("</metadata>");
    s
}

fn send_rt_res(body: &str) -> String {
    format!(r#"<pafn:paSendRTRes xmlns:pafn="{NS}">{body}</pafn:paSendRTRes>"#)
}

fn envelope(payload: &str) -> String {
    // The payload keeps its own xmlns so that the same text also validates standalone.
    format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header/><soapenv:Body>{payload}</soapenv:Body></soapenv:Envelope>"#
    )
}

struct Row {
    name: &'static str,
    payload: String,
    path: &'static str,
    rule: &'static str,
    xsd_valid: bool,
}

fn replace(base: &str, from: &str, to: &str) -> String {
    assert!(base.contains(from), "fixture does not contain {from:?}");
    base.replacen(from, to, 1)
}

const V: &str = "/Envelope/Body/paVerifyPaymentNoticeRes";
const G: &str = "/Envelope/Body/paGetPaymentRes";

fn rows() -> Vec<Row> {
    let v = verify_ok();
    let g = get_payment_v1();
    let g2 = get_payment_v2();
    let row = |name, payload, path, rule, xsd_valid| Row {
        name,
        payload,
        path,
        rule,
        xsd_valid,
    };
    let six: String = (1..=6).map(|i| transfer(i, "5.00", "")).collect();
    vec![
        // --- paVerifyPaymentNoticeRes (SIN_PVPNR) ---
        row(
            "amount with comma (SIN_PVPNR_19)",
            replace(&v, "30.00", "11,34"),
            "/paymentList/paymentOptionDescription/amount",
            "amount_format",
            false,
        ),
        row(
            "amount with three decimals (SIN_PVPNR_20)",
            replace(&v, "30.00", "11.342"),
            "/paymentList/paymentOptionDescription/amount",
            "amount_format",
            false,
        ),
        row(
            "amount too large (SIN_PVPNR_21)",
            replace(&v, "30.00", "1000000000.00"),
            "/paymentList/paymentOptionDescription/amount",
            "amount_range",
            false,
        ),
        row(
            "amount zero",
            replace(&v, "30.00", "0.00"),
            "/paymentList/paymentOptionDescription/amount",
            "amount_range",
            false,
        ),
        row(
            "options KK (SIN_PVPNR_24)",
            replace(&v, "<options>EQ", "<options>KK"),
            "/paymentList/paymentOptionDescription/options",
            "enumeration",
            false,
        ),
        row(
            "options LS is schema-valid but not EQ",
            replace(&v, "<options>EQ", "<options>LS"),
            "/paymentList/paymentOptionDescription/options",
            "options_not_eq",
            true,
        ),
        row(
            "allCCP 3 (SIN_PVPNR_33)",
            replace(&v, "<allCCP>false", "<allCCP>3"),
            "/paymentList/paymentOptionDescription/allCCP",
            "boolean",
            false,
        ),
        row(
            "bad dueDate (SIN_PVPNR_27)",
            replace(&v, "2026-12-31", "2026-02-30"),
            "/paymentList/paymentOptionDescription/dueDate",
            "date",
            false,
        ),
        row(
            "outcome PP (SIN_PVPNR_09)",
            replace(&v, "<outcome>OK", "<outcome>PP"),
            "/outcome",
            "enumeration",
            false,
        ),
        row(
            "outcome KO without fault (SIN_PVPNR_10)",
            replace(&v, "<outcome>OK", "<outcome>KO"),
            "/fault",
            "ko_without_fault",
            true,
        ),
        row(
            "paymentList missing (SIN_PVPNR_11)",
            {
                let start = v.find("<paymentList>").unwrap();
                let end = v.find("</paymentList>").unwrap() + "</paymentList>".len();
                format!("{}{}", &v[..start], &v[end..])
            },
            "/paymentList",
            "required_on_ok",
            true,
        ),
        row(
            "two payment options (SIN_PVPNR_16)",
            {
                let start = v.find("<paymentOptionDescription>").unwrap();
                let end = v.find("</paymentOptionDescription>").unwrap()
                    + "</paymentOptionDescription>".len();
                let opt = &v[start..end];
                replace(&v, opt, &format!("{opt}{opt}"))
            },
            "/paymentList/paymentOptionDescription[2]",
            "too_many",
            false,
        ),
        row(
            "paymentDescription missing (SIN_PVPNR_34)",
            replace(
                &v,
                "<paymentDescription>TARI 2026 - rata unica</paymentDescription>",
                "",
            ),
            "/paymentDescription",
            "required_on_ok",
            true,
        ),
        row(
            "fiscalCodePA missing (SIN_PVPNR_37)",
            replace(&v, "<fiscalCodePA>77777777777</fiscalCodePA>", ""),
            "/fiscalCodePA",
            "required_on_ok",
            true,
        ),
        row(
            "companyName missing (SIN_PVPNR_41)",
            replace(&v, "<companyName>Comune di Prova</companyName>", ""),
            "/companyName",
            "required_on_ok",
            true,
        ),
        row(
            "companyName over 140 characters",
            replace(&v, "Comune di Prova", &"x".repeat(141)),
            "/companyName",
            "length",
            false,
        ),
        row(
            "fiscalCodePA with 12 digits",
            replace(
                &v,
                "<fiscalCodePA>77777777777<",
                "<fiscalCodePA>777777777777<",
            ),
            "/fiscalCodePA",
            "length",
            false,
        ),
        row(
            "children in the paForNode namespace",
            replace(
                &v,
                "<outcome>OK</outcome>",
                "<pafn:outcome>OK</pafn:outcome>",
            ),
            "/outcome",
            "wrong_namespace",
            false,
        ),
        row(
            "OK carrying a fault",
            replace(
                &v,
                "<outcome>OK</outcome>",
                "<outcome>OK</outcome><fault><faultCode>PAA_SEMANTICA</faultCode><faultString>x</faultString><id>77777777777</id></fault>",
            ),
            "/fault",
            "ok_with_fault",
            true,
        ),
        row(
            "unknown element",
            replace(&v, "<companyName>", "<colour>blue</colour><companyName>"),
            "/colour",
            "unexpected",
            false,
        ),
        row(
            "elements out of order",
            replace(
                &replace(&v, "<fiscalCodePA>77777777777</fiscalCodePA>", ""),
                "</pafn:paVerifyPaymentNoticeRes>",
                "<fiscalCodePA>77777777777</fiscalCodePA></pafn:paVerifyPaymentNoticeRes>",
            ),
            "/fiscalCodePA",
            "out_of_order",
            false,
        ),
        // --- paGetPaymentRes (SIN_PGPR / SEM_PGPR) ---
        row(
            "paymentAmount 0.00 (SIN_PGPR_18.1)",
            replace(&g, "<paymentAmount>30.00", "<paymentAmount>0.00"),
            "/data/paymentAmount",
            "amount_range",
            false,
        ),
        row(
            "paymentAmount 11.3 (SIN_PGPR_19)",
            replace(&g, "<paymentAmount>30.00", "<paymentAmount>11.3"),
            "/data/paymentAmount",
            "amount_format",
            false,
        ),
        row(
            "paymentAmount 11,34 (SIN_PGPR_21)",
            replace(&g, "<paymentAmount>30.00", "<paymentAmount>11,34"),
            "/data/paymentAmount",
            "amount_format",
            false,
        ),
        row(
            "lastPayment 2 (SIN_PGPR_31)",
            replace(&g, "<lastPayment>true", "<lastPayment>2"),
            "/data/lastPayment",
            "boolean",
            false,
        ),
        row(
            "retentionDate without time",
            replace(&g, "2027-01-31T23:59:59", "2027-01-31"),
            "/data/retentionDate",
            "date_time",
            false,
        ),
        row(
            "entityUniqueIdentifierType H (SIN_PGPR_52)",
            replace(
                &g,
                "<entityUniqueIdentifierType>F",
                "<entityUniqueIdentifierType>H",
            ),
            "/data/debtor/uniqueIdentifier/entityUniqueIdentifierType",
            "enumeration",
            false,
        ),
        row(
            "country ITA (SIN_PGPR_76)",
            replace(&g, "<country>IT", "<country>ITA"),
            "/data/debtor/country",
            "pattern",
            false,
        ),
        row(
            "country it (SIN_PGPR_77)",
            replace(&g, "<country>IT", "<country>it"),
            "/data/debtor/country",
            "pattern",
            false,
        ),
        row(
            "bad e-mail (SIN_PGPR_80)",
            replace(&g, "mario.rossi@example.it", "mario.rossi@"),
            "/data/debtor/e-mail",
            "pattern",
            false,
        ),
        row(
            "six transfers (SIN_PGPR_87)",
            get_payment("paGetPaymentRes", false, &six, ""),
            "/data/transferList/transfer[6]",
            "too_many",
            false,
        ),
        row(
            "idTransfer 6 (SIN_PGPR_90)",
            replace(&g, "<idTransfer>1", "<idTransfer>6"),
            "/data/transferList/transfer[1]/idTransfer",
            "enumeration",
            false,
        ),
        row(
            "idTransfer a (SIN_PGPR_92)",
            replace(&g, "<idTransfer>1", "<idTransfer>a"),
            "/data/transferList/transfer[1]/idTransfer",
            "integer",
            false,
        ),
        row(
            "transferAmount 0.00 (SIN_PGPR_94.1)",
            get_payment("paGetPaymentRes", false, &transfer(1, "0.00", ""), ""),
            "/data/transferList/transfer[1]/transferAmount",
            "amount_range",
            false,
        ),
        row(
            "transfer fiscalCodePA 12 chars (SIN_PGPR_103)",
            replace(
                &g,
                "<fiscalCodePA>77777777777<",
                "<fiscalCodePA>777777777777<",
            ),
            "/data/transferList/transfer[1]/fiscalCodePA",
            "length",
            false,
        ),
        row(
            "transfer fiscalCodePA alphabetic (SIN_PGPR_104)",
            replace(
                &g,
                "<fiscalCodePA>77777777777<",
                "<fiscalCodePA>7777777777A<",
            ),
            "/data/transferList/transfer[1]/fiscalCodePA",
            "pattern",
            false,
        ),
        row(
            "IBAN over 35 characters (SIN_PGPR_107)",
            replace(
                &g,
                "IT60X0542811101000000123456",
                &"IT60X0542811101000000123456".repeat(2),
            ),
            "/data/transferList/transfer[1]/IBAN",
            "length",
            false,
        ),
        row(
            "remittanceInformation over 140",
            replace(
                &g,
                "<remittanceInformation>TARI 2026",
                &format!("<remittanceInformation>{}", "r".repeat(141)),
            ),
            "/data/transferList/transfer[1]/remittanceInformation",
            "length",
            false,
        ),
        row(
            "transferCategory missing",
            replace(&g, "<transferCategory>0101101IM</transferCategory>", ""),
            "/data/transferList/transfer[1]/transferCategory",
            "missing",
            false,
        ),
        row(
            "sixteen metadata entries (SIN_PGPR_119)",
            get_payment(
                "paGetPaymentRes",
                false,
                &transfer(1, "30.00", ""),
                &entries(16),
            ),
            "/data/metadata/mapEntry[16]",
            "too_many",
            false,
        ),
        row(
            "V1 transfer with companyName",
            get_payment(
                "paGetPaymentRes",
                false,
                &transfer(1, "30.00", "\n        <companyName>Comune</companyName>"),
                "",
            ),
            "/data/transferList/transfer[1]/companyName",
            "unexpected",
            false,
        ),
        row(
            "sum of transfers differs",
            get_payment(
                "paGetPaymentRes",
                false,
                &format!("{}{}", transfer(1, "20.00", ""), transfer(2, "5.00", "")),
                "",
            ),
            "/data/paymentAmount",
            "sum_mismatch",
            true,
        ),
        row(
            "idTransfer used twice",
            get_payment(
                "paGetPaymentRes",
                false,
                &format!("{}{}", transfer(1, "20.00", ""), transfer(1, "10.00", "")),
                "",
            ),
            "/data/transferList/transfer[2]/idTransfer",
            "duplicate_id_transfer",
            true,
        ),
        // --- paGetPaymentV2Response ---
        row(
            "V2 data without companyName",
            get_payment(
                "paGetPaymentV2Response",
                false,
                &transfer(1, "30.00", ""),
                "",
            ),
            "/Envelope/Body/paGetPaymentV2Response/data/companyName",
            "missing",
            false,
        ),
        row(
            "V2 tipoBollo 02",
            replace(
                &g2,
                "<IBAN>IT60X0542811101000000123456</IBAN>",
                "<richiestaMarcaDaBollo><hashDocumento>cXVlc3RvIGUgdW4gaGFzaA==</hashDocumento><tipoBollo>02</tipoBollo><provinciaResidenza>RM</provinciaResidenza></richiestaMarcaDaBollo>",
            ),
            "/Envelope/Body/paGetPaymentV2Response/data/transferList/transfer[1]/richiestaMarcaDaBollo/tipoBollo",
            "enumeration",
            false,
        ),
        row(
            "V2 transfer with both IBAN and stamp",
            replace(
                &g2,
                "<IBAN>IT60X0542811101000000123456</IBAN>",
                "<IBAN>IT60X0542811101000000123456</IBAN><richiestaMarcaDaBollo><hashDocumento>cXVlc3RvIGUgdW4gaGFzaA==</hashDocumento><tipoBollo>01</tipoBollo><provinciaResidenza>RM</provinciaResidenza></richiestaMarcaDaBollo>",
            ),
            "/Envelope/Body/paGetPaymentV2Response/data/transferList/transfer[1]/richiestaMarcaDaBollo",
            "unexpected",
            false,
        ),
        // --- paSendRTRes ---
        row(
            "receipt answer KO without fault",
            send_rt_res("<outcome>KO</outcome>"),
            "/Envelope/Body/paSendRTRes/fault",
            "ko_without_fault",
            true,
        ),
        row(
            "receipt answer without outcome",
            send_rt_res(""),
            "/Envelope/Body/paSendRTRes/outcome",
            "missing",
            false,
        ),
        row(
            "fault bean without id",
            send_rt_res(
                "<outcome>KO</outcome><fault><faultCode>PAA_SEMANTICA</faultCode><faultString>x</faultString></fault>",
            ),
            "/Envelope/Body/paSendRTRes/fault/id",
            "missing",
            false,
        ),
    ]
}

fn full_path(row: &Row) -> String {
    if row.path.starts_with("/Envelope") {
        row.path.to_string()
    } else if row.payload.contains("paVerifyPaymentNoticeRes") {
        format!("{V}{}", row.path)
    } else {
        format!("{G}{}", row.path)
    }
}

#[test]
fn each_invalid_reply_gets_its_specific_violation() {
    let mut problems = Vec::new();
    for row in rows() {
        let parsed = parse(envelope(&row.payload).as_bytes());
        let path = full_path(&row);
        let hit = parsed
            .errors()
            .any(|v| v.path == path && serde_json::to_value(&v.rule).unwrap()["rule"] == row.rule);
        if !hit {
            problems.push(format!(
                "{}: expected {} at {path}, got:\n{}",
                row.name,
                row.rule,
                parsed
                    .violations
                    .iter()
                    .map(|v| format!("    {v}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ));
        }
        assert!(!parsed.is_valid(), "{} must be invalid", row.name);
        assert_eq!(
            parsed.is_schema_valid(),
            row.xsd_valid,
            "{}: schema verdict; violations: {:#?}",
            row.name,
            parsed.violations
        );
        if row.xsd_valid {
            assert!(
                parsed.message.is_some(),
                "{}: a schema-valid reply still yields a model",
                row.name
            );
            assert!(parsed.errors().all(|v| v.kind == Kind::Semantic));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_valid_bases_are_valid() {
    for base in [verify_ok(), get_payment_v1(), get_payment_v2()] {
        let parsed = parse(envelope(&base).as_bytes());
        assert!(parsed.violations.is_empty(), "{:#?}", parsed.violations);
    }
}

fn xsd() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/pagopa-api/wsdl/xsd/paForNode.xsd");
    if !p.is_file() {
        eprintln!(
            "skipped: {} not found, schema cross-check not run",
            p.display()
        );
        return None;
    }
    if Command::new("xmllint").arg("--version").output().is_err() {
        if std::env::var("COLLAUDO_REQUIRE_XMLLINT").as_deref() == Ok("1") {
            panic!(
                "xmllint is required (COLLAUDO_REQUIRE_XMLLINT=1) but not installed: apt-get install libxml2-utils"
            );
        }
        eprintln!(
            "skipped: xmllint not installed (apt-get install libxml2-utils), schema cross-check not run"
        );
        return None;
    }
    Some(p)
}

#[test]
fn libxml2_agrees_on_the_table() {
    let Some(xsd) = xsd() else { return };
    let dir = tempfile::tempdir().unwrap();
    let rows = rows();
    let mut files = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let f = dir.path().join(format!("row{i:02}.xml"));
        std::fs::write(&f, &row.payload).unwrap();
        files.push(f);
    }
    for base in [verify_ok(), get_payment_v1(), get_payment_v2()] {
        let f = dir.path().join(format!("base{}.xml", files.len()));
        std::fs::write(&f, &base).unwrap();
        files.push(f);
    }
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .args(&files)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut disagreements = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let name = f.display().to_string();
        let ok = stderr.lines().any(|l| l == format!("{name} validates"));
        let expected = rows.get(i).is_none_or(|r| r.xsd_valid);
        if ok != expected {
            let label = rows.get(i).map_or("valid base", |r| r.name);
            disagreements.push(format!(
                "{label}: xmllint says valid={ok}, collaudo says {expected}"
            ));
        }
    }
    assert!(
        disagreements.is_empty(),
        "{}\n\nxmllint output:\n{stderr}",
        disagreements.join("\n")
    );
}

/// Σ transferAmount runs over every transfer of the reply, including one that broke the XSD:
/// dropping it would invent a mismatch (first reply) or hide one (second reply).
#[test]
fn the_sum_counts_a_broken_transfer_too() {
    let broken = |id, amount| {
        replace(
            &transfer(id, amount, ""),
            "<transferCategory>0101101IM</transferCategory>",
            "",
        )
    };
    let rule_of =
        |v: &collaudo_wire::Violation| serde_json::to_value(&v.rule).unwrap()["rule"].clone();
    let missing_category = format!("{G}/data/transferList/transfer[2]/transferCategory");

    // 20.00 + 10.00 = 30.00: the only error is the missing transferCategory.
    let right = get_payment(
        "paGetPaymentRes",
        false,
        &format!("{}{}", transfer(1, "20.00", ""), broken(2, "10.00")),
        "",
    );
    let parsed = parse(envelope(&right).as_bytes());
    let errors: Vec<_> = parsed.errors().collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].path, missing_category);
    assert_eq!(rule_of(errors[0]), "missing");

    // 30.00 + 5.00 = 35.00 ≠ 30.00: the mismatch is reported, with the full sum.
    let wrong = get_payment(
        "paGetPaymentRes",
        false,
        &format!("{}{}", transfer(1, "30.00", ""), broken(2, "5.00")),
        "",
    );
    let parsed = parse(envelope(&wrong).as_bytes());
    let sum = parsed
        .errors()
        .find(|v| rule_of(v) == "sum_mismatch")
        .unwrap_or_else(|| panic!("no sum mismatch: {:#?}", parsed.violations));
    assert_eq!(sum.path, format!("{G}/data/paymentAmount"));
    assert!(sum.message.contains("35.00"), "{}", sum.message);
    assert!(parsed.errors().any(|v| v.path == missing_category));
}

/// The Nodo relays faultString and description to the PSP as they are: blanks around them are
/// worth a warning (with the path), not a failure.
#[test]
fn blanks_around_fault_texts_are_warnings() {
    let reply = send_rt_res(
        "<outcome>KO</outcome><fault><faultCode>PAA_SEMANTICA</faultCode>\
         <faultString> Errore semantico </faultString><id> 77777777777</id>\
         <description>ricevuta già acquisita\n</description></fault>",
    );
    let parsed = parse(envelope(&reply).as_bytes());
    assert!(parsed.is_valid(), "{:#?}", parsed.violations);
    let warned: Vec<&str> = parsed
        .violations
        .iter()
        .filter(|v| v.severity == collaudo_wire::Severity::Warning)
        .map(|v| v.path.as_str())
        .collect();
    assert_eq!(
        warned,
        [
            "/Envelope/Body/paSendRTRes/fault/faultString",
            "/Envelope/Body/paSendRTRes/fault/description"
        ]
    );
    assert_eq!(
        parsed.violations[0].value.as_deref(),
        Some(" Errore semantico ")
    );
}
