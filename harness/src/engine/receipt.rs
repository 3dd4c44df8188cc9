//! Building the receipt the Nodo sends after a successful payment, from what the station
//! answered at activation (DOMAIN.md §3.4, §3.5, §13).

use collaudo_wire::{
    Amount, Beneficiary, EntityType, PaymentData, Receipt, Subject, Transfer,
    VerifyPaymentNoticeRes, base64,
};

/// The simulated PSP that "paid": its identities appear in every receipt.
pub(crate) const PSP_ID: &str = "COLLAUDOPSP";
const PSP_COMPANY: &str = "PSP di collaudo (simulato)";
const PSP_CHANNEL: &str = "COLLAUDOPSP_01";

/// The receipt for a payment of `data` (the activation response) on `notice`.
pub(crate) fn from_activation(
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
                    format!(
                        "<marcaDaBollo><hash>{}</hash><tipoBollo>{}</tipoBollo><provincia>{}</provincia></marcaDaBollo>",
                        m.hash_documento, m.tipo_bollo, m.provincia_residenza
                    )
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
        psp_fiscal_code: Some("00000000000".into()),
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
pub(crate) fn from_verify(
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
pub(crate) fn shift_amount(r: &mut Receipt, delta: i64) -> Result<(), String> {
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
pub(crate) fn token(seed: u64, n: u64) -> String {
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

    #[test]
    fn tokens_are_deterministic_and_distinct() {
        assert_eq!(token(1, 1), token(1, 1));
        assert_ne!(token(1, 1), token(1, 2));
        assert_eq!(token(7, 3).len(), 32);
    }
}
