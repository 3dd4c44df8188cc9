//! Building the receipt the Nodo sends after a successful payment, from what the station
//! answered at activation (DOMAIN.md §3.4, §3.5, §13), or from its verify after a Stand-In
//! payment. The Nodo builds receipts, so this lives with it; the harness only asks for one.

use collaudo_wire::{
    Amount, Beneficiary, EntityType, MarcaDaBollo, PaymentData, Receipt, Subject, Transfer,
    VerifyPaymentNoticeRes, base64,
};

/// The simulated PSP that "paid": its identities appear in every receipt.
pub const PSP_ID: &str = "COLLAUDOPSP";
const PSP_COMPANY: &str = "PSP di collaudo (simulato)";
const PSP_CHANNEL: &str = "COLLAUDOPSP_01";

/// The PSP's fiscal code in receipts and stamps.
const PSP_FISCAL_CODE: &str = "00000000000";

/// The namespace of the digital stamp (MarcaDaBollo.xsd).
const MARCA_DA_BOLLO_NS: &str = "http://www.agenziaentrate.gov.it/2014/MarcaDaBollo";
/// XML Signature (xmldsig-core-schema.xsd, imported by MarcaDaBollo.xsd).
const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// The only digest MarcaDaBollo.xsd allows (`Algorithm` is fixed).
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";

/// What the Nodo knows of the stamp it bought for one transfer.
struct Stamp<'a> {
    /// The EC's request (`richiestaMarcaDaBollo` from paGetPaymentV2).
    request: &'a MarcaDaBollo,
    /// The stamp's unique identifier (IUBD).
    iubd: &'a str,
    /// When it was bought: the payment's local date-time.
    bought_at: &'a str,
    /// Its price: the transfer's amount.
    amount: Amount,
}

/// The digital stamp document that `MBDAttachment` carries in base64: a `marcaDaBollo` valid
/// against MarcaDaBollo.xsd. The schema requires a `ds:Signature` (the Agenzia delle Entrate
/// signs the stamp); collaudo cannot sign as the Agenzia, so the signature is structurally
/// valid with placeholder digest and signature values, and says so in its bytes.
fn marca_da_bollo_xml(s: &Stamp<'_>) -> String {
    // Decodes to "collaudo placeholder: not a signature" for whoever looks.
    let signature = base64::encode(b"collaudo placeholder: not a signature");
    let digest = base64::encode(&[0u8; 32]);
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<marcaDaBollo xmlns="{ns}" xmlns:ds="{ds}">"#,
            "<PSP><CodiceFiscale>{psp_cf}</CodiceFiscale><Denominazione>{psp}</Denominazione></PSP>",
            "<IUBD>{iubd}</IUBD>",
            "<OraAcquisto>{at}</OraAcquisto>",
            "<Importo>{amount}</Importo>",
            "<TipoBollo>{tipo}</TipoBollo>",
            r#"<ImprontaDocumento><DigestMethod Algorithm="{sha256}"/>"#,
            "<ds:DigestValue>{hash}</ds:DigestValue></ImprontaDocumento>",
            "<ds:Signature><ds:SignedInfo>",
            r#"<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#,
            r#"<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>"#,
            r#"<ds:Reference URI=""><ds:Transforms>"#,
            r#"<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>"#,
            r#"</ds:Transforms><ds:DigestMethod Algorithm="{sha256}"/>"#,
            "<ds:DigestValue>{digest}</ds:DigestValue></ds:Reference></ds:SignedInfo>",
            "<ds:SignatureValue>{signature}</ds:SignatureValue></ds:Signature>",
            "</marcaDaBollo>"
        ),
        ns = MARCA_DA_BOLLO_NS,
        ds = DSIG_NS,
        psp_cf = PSP_FISCAL_CODE,
        psp = escape(PSP_COMPANY),
        iubd = escape(s.iubd),
        at = escape(s.bought_at),
        amount = s.amount,
        tipo = escape(&s.request.tipo_bollo),
        sha256 = SHA256,
        hash = escape(&s.request.hash_documento),
        digest = digest,
        signature = signature,
    )
}

/// Text content escaped for XML (the values come from the station's answer).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// A stamp's IUBD: 14 digits, deterministic for a payment token and transfer.
fn iubd(token: &str, id_transfer: u8) -> String {
    // FNV-1a: stable across runs and platforms, unlike the std hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in token.bytes().chain([id_transfer]) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{:014}", h % 100_000_000_000_000)
}

/// The receipt for a payment of `data` (the activation response) on `notice`.
pub fn from_activation(
    data: &PaymentData,
    notice: &str,
    ec_fiscal_code: &str,
    token: &str,
    v2: bool,
    now_rfc3339: &str,
    company_fallback: &str,
) -> Receipt {
    let date = now_rfc3339.get(..10).unwrap_or("2026-01-01").to_string();
    // The receipt's dateTime is local (no zone), as the Nodo writes it.
    let date_time = now_rfc3339
        .get(..19)
        .unwrap_or("2026-01-01T00:00:00")
        .to_string();
    let transfers = data
        .transfers
        .iter()
        .map(|t| Transfer {
            beneficiary: match &t.beneficiary {
                // The Nodo turns a stamp request into the stamp itself (MBDAttachment, V2 only).
                Beneficiary::MarcaDaBollo(m) if v2 => Beneficiary::MbdAttachment(base64::encode(
                    marca_da_bollo_xml(&Stamp {
                        request: m,
                        iubd: &iubd(token, t.id_transfer),
                        bought_at: &date_time,
                        amount: t.transfer_amount,
                    })
                    .as_bytes(),
                )),
                other => other.clone(),
            },
            company_name: if v2 { t.company_name.clone() } else { None },
            metadata: t.metadata.clone(),
            ..t.clone()
        })
        .collect();
    Receipt {
        receipt_id: token.to_string(),
        notice_number: notice.to_string(),
        fiscal_code: ec_fiscal_code.to_string(),
        outcome: collaudo_wire::Outcome::Ok,
        creditor_reference_id: data.creditor_reference_id.clone(),
        payment_amount: data.payment_amount,
        description: data.description.clone(),
        company_name: data
            .company_name
            .clone()
            .unwrap_or_else(|| company_fallback.to_string()),
        office_name: data.office_name.clone(),
        debtor: data.debtor.clone(),
        transfers,
        id_psp: PSP_ID.into(),
        psp_fiscal_code: Some(PSP_FISCAL_CODE.into()),
        psp_partita_iva: Some("00000000000".into()),
        psp_company_name: PSP_COMPANY.into(),
        id_channel: PSP_CHANNEL.into(),
        channel_description: "app".into(),
        payer: Some(data.debtor.clone()),
        payment_method: Some("creditCard".into()),
        payment_note: v2.then(|| "collaudo".into()),
        fee: Some(Amount::from_cents(100)),
        primary_ci_incurred_fee: v2.then_some(Amount::from_cents(50)),
        id_bundle: v2.then(|| "collaudo-bundle".into()),
        id_ci_bundle: None,
        payment_date_time: Some(date_time),
        application_date: Some(date.clone()),
        transfer_date: Some(date),
        metadata: if data.metadata.is_empty() {
            Vec::new()
        } else {
            data.metadata.clone()
        },
        stand_in: Some(false),
    }
}

/// The receipt for a notice the run never activated, from its verify: one transfer of the
/// total to the EC, as the Nodo builds it when it paid the notice without calling the station
/// (Stand-In, DOMAIN.md §7.5: category `STAND-IN` when `stand_in`).
#[allow(clippy::too_many_arguments)]
pub fn from_verify(
    v: &VerifyPaymentNoticeRes,
    notice: &str,
    ec_fiscal_code: &str,
    token: &str,
    v2: bool,
    now_rfc3339: &str,
    iban: &str,
    stand_in: bool,
) -> Result<Receipt, String> {
    let option = v
        .payment_option
        .as_ref()
        .ok_or("the verify answer has no paymentList")?;
    let iuv = collaudo_wire::ident::NoticeNumber::parse(notice)
        .map_err(|e| e.to_string())?
        .iuv()
        .to_string();
    let description = v
        .payment_description
        .clone()
        .unwrap_or_else(|| "Pagamento".into());
    let company = v
        .company_name
        .clone()
        .unwrap_or_else(|| "Ente creditore".into());
    let data = PaymentData {
        creditor_reference_id: iuv,
        payment_amount: option.amount,
        due_date: option
            .due_date
            .clone()
            .unwrap_or_else(|| "2099-12-31".into()),
        retention_date: None,
        last_payment: None,
        description: description.clone(),
        company_name: Some(company.clone()),
        office_name: None,
        debtor: Subject {
            entity_type: EntityType::F,
            entity_value: "ANONIMO".into(),
            full_name: "ANONIMO".into(),
            street_name: None,
            civic_number: None,
            postal_code: None,
            city: None,
            state_province_region: None,
            country: None,
            email: None,
        },
        transfers: vec![Transfer {
            id_transfer: 1,
            transfer_amount: option.amount,
            fiscal_code_pa: ec_fiscal_code.to_string(),
            company_name: v2.then(|| company.clone()),
            beneficiary: Beneficiary::Iban(iban.to_string()),
            remittance_information: description,
            transfer_category: if stand_in {
                "STAND-IN".into()
            } else {
                "9/0101101IM/".into()
            },
            metadata: Vec::new(),
        }],
        metadata: Vec::new(),
    };
    let mut r = from_activation(
        &data,
        notice,
        ec_fiscal_code,
        token,
        v2,
        now_rfc3339,
        &company,
    );
    r.stand_in = Some(stand_in);
    Ok(r)
}

/// Change the receipt's amount by `delta` cents, on its first transfer, so the receipt stays
/// internally consistent while differing from the EC's archive (RT-006).
pub fn shift_amount(r: &mut Receipt, delta: i64) -> Result<(), String> {
    let shift = |a: Amount| -> Result<Amount, String> {
        let c = i128::from(a.cents()) + i128::from(delta);
        u64::try_from(c)
            .ok()
            .filter(|c| *c > 0)
            .map(Amount::from_cents)
            .ok_or_else(|| format!("{a} shifted by {delta} cents is not a positive amount"))
    };
    r.payment_amount = shift(r.payment_amount)?;
    let first = r
        .transfers
        .first_mut()
        .ok_or("the receipt has no transfer")?;
    first.transfer_amount = shift(first.transfer_amount)?;
    Ok(())
}

/// A payment token (the receipt id / IUR): 32 hex characters, deterministic for a seed.
pub fn token(seed: u64, n: u64) -> String {
    let mut x = seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut next = || {
        // splitmix64
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    format!("{:016x}{:016x}", next(), next())
}

#[cfg(test)]
mod tests {
    use super::*;

    use collaudo_wire::MapEntry;
    use std::path::PathBuf;
    use std::process::Command;

    const MARCA_DA_BOLLO_XSD: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/pagopa-api/xsd-common/MarcaDaBollo.xsd"
    );

    /// An activation with an IBAN transfer and a stamp transfer, as RT-007's notice.
    fn stamp_activation() -> PaymentData {
        let debtor = Subject {
            entity_type: EntityType::F,
            entity_value: "RSSMRA80A01H501U".into(),
            full_name: "Mario Rossi".into(),
            street_name: None,
            civic_number: None,
            postal_code: None,
            city: None,
            state_province_region: None,
            country: None,
            email: None,
        };
        let transfer = |id: u8, cents: u64, beneficiary| Transfer {
            id_transfer: id,
            transfer_amount: Amount::from_cents(cents),
            fiscal_code_pa: "77777777777".into(),
            company_name: Some("Comune di Collaudo".into()),
            beneficiary,
            remittance_information: "certificato".into(),
            transfer_category: "9/0101101IM/".into(),
            metadata: vec![MapEntry {
                key: "k".into(),
                value: "v".into(),
            }],
        };
        PaymentData {
            creditor_reference_id: "01000000000000144".into(),
            payment_amount: Amount::from_cents(2_600),
            due_date: "2099-12-31".into(),
            retention_date: None,
            last_payment: None,
            description: "Certificato con bollo".into(),
            company_name: Some("Comune di Collaudo".into()),
            office_name: None,
            debtor,
            transfers: vec![
                transfer(
                    1,
                    1_000,
                    Beneficiary::Iban("IT60X0542811101000000123456".into()),
                ),
                transfer(
                    2,
                    1_600,
                    Beneficiary::MarcaDaBollo(MarcaDaBollo {
                        // base64 of a SHA-256, 44 characters.
                        hash_documento: base64::encode(&[7u8; 32]),
                        tipo_bollo: "01".into(),
                        provincia_residenza: "RM".into(),
                    }),
                ),
            ],
            metadata: Vec::new(),
        }
    }

    /// The decoded MBDAttachment of the V2 receipt for [`stamp_activation`].
    fn attachment() -> String {
        let r = from_activation(
            &stamp_activation(),
            "301000000000000144",
            "77777777777",
            &token(1, 1),
            true,
            "2026-11-25T10:15:30.000Z",
            "Comune di Collaudo",
        );
        let b64 = match &r.transfers[1].beneficiary {
            Beneficiary::MbdAttachment(b) => b.clone(),
            other => panic!("no MBDAttachment: {other:?}"),
        };
        assert!(matches!(r.transfers[0].beneficiary, Beneficiary::Iban(_)));
        String::from_utf8(base64::decode(&b64).expect("base64")).expect("UTF-8")
    }

    /// The XSD to validate against, or `None` (after printing why) when xmllint or the
    /// official schemas are absent; with `COLLAUDO_REQUIRE_XMLLINT=1` (CI) a missing xmllint
    /// fails instead.
    fn marca_da_bollo_xsd() -> Option<PathBuf> {
        let required = std::env::var("COLLAUDO_REQUIRE_XMLLINT").is_ok_and(|v| v == "1");
        if Command::new("xmllint").arg("--version").output().is_err() {
            assert!(
                !required,
                "COLLAUDO_REQUIRE_XMLLINT=1 but `xmllint` is not on PATH: install libxml2-utils"
            );
            eprintln!("skipped: `xmllint` not found on PATH (install libxml2-utils)");
            return None;
        }
        let xsd = PathBuf::from(MARCA_DA_BOLLO_XSD);
        if !xsd.is_file() {
            eprintln!(
                "skipped: {} not found (an optional local copy of the public pagopa/pagopa-api repository)",
                xsd.display()
            );
            return None;
        }
        Some(xsd)
    }

    // The attachment used to be an ad-hoc `<marcaDaBollo><hash>…` without namespace, PSP,
    // IUBD, amount or signature: not a digital stamp for any EC that reads it.
    #[test]
    fn mbd_attachment_is_a_marca_da_bollo_document() {
        let xml = attachment();
        assert!(
            xml.contains(
                r#"<marcaDaBollo xmlns="http://www.agenziaentrate.gov.it/2014/MarcaDaBollo""#
            ),
            "{xml}"
        );
        let hash = base64::encode(&[7u8; 32]);
        assert!(
            xml.contains(&format!(
                "<ds:DigestValue>{hash}</ds:DigestValue></ImprontaDocumento>"
            )),
            "{xml}"
        );
        assert!(xml.contains("<Importo>16.00</Importo>"), "{xml}");
        assert!(
            xml.contains("<OraAcquisto>2026-11-25T10:15:30</OraAcquisto>"),
            "{xml}"
        );
        assert!(xml.contains("<ds:Signature>"), "{xml}");
        // Deterministic: the same payment gives the same stamp.
        assert_eq!(xml, attachment());
    }

    #[test]
    fn mbd_attachment_is_valid_against_marca_da_bollo_xsd() {
        let Some(xsd) = marca_da_bollo_xsd() else {
            return;
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("marca-da-bollo.xml");
        std::fs::write(&file, attachment()).expect("write the attachment");
        let out = Command::new("xmllint")
            .arg("--noout")
            .arg("--nonet")
            .arg("--schema")
            .arg(&xsd)
            .arg(&file)
            .output()
            .expect("run xmllint");
        assert!(
            out.status.success(),
            "xmllint rejects the attachment:\n{}\n{}",
            String::from_utf8_lossy(&out.stderr),
            attachment()
        );
    }

    #[test]
    fn iubd_is_fourteen_digits_per_token_and_transfer() {
        let a = iubd(&token(1, 1), 1);
        assert_eq!(a.len(), 14);
        assert!(a.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(a, iubd(&token(1, 1), 1));
        assert_ne!(a, iubd(&token(1, 1), 2));
    }

    #[test]
    fn tokens_are_deterministic_and_distinct() {
        assert_eq!(token(1, 1), token(1, 1));
        assert_ne!(token(1, 1), token(1, 2));
        assert_eq!(token(7, 3).len(), 32);
    }
}
