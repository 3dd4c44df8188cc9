//! The answers the Nodo gives a PSP from ACA while a station is in Stand-In (DOMAIN.md §7.4,
//! §7.5): the station is not called, the position comes from the archive the EC loaded with
//! `paCreatePosition`.

use crate::aca::{AcaPosition, AcaStore, PositionStatus};
use crate::clock::VirtualTime;
use collaudo_wire::{
    Amount, AmountOption, Beneficiary, EntityType, GetPaymentRes, Outcome, PaymentData,
    PaymentOption, Subject, Transfer, VerifyPaymentNoticeRes,
};

/// The position ACA holds for `notice` of `ec` (by notice number, then by NAV across ECs: a
/// notice is unique on the platform).
pub fn position(store: &AcaStore, ec: &str, notice: &str) -> Option<AcaPosition> {
    store
        .get_by_notice(ec, notice)
        .or_else(|| store.get_by_nav(notice))
}

/// Why the position cannot be paid in Stand-In, if it cannot (DOMAIN.md §7.4).
pub fn not_payable(p: Option<&AcaPosition>, now: VirtualTime) -> Option<String> {
    let Some(p) = p else {
        return Some("the notice is not in ACA".into());
    };
    if !p.request.pay_stand_in {
        return Some("the ACA position has payStandIn=false".into());
    }
    match p.status {
        PositionStatus::Valid => {}
        PositionStatus::Invalid => return Some("the ACA position is cancelled or closed".into()),
        PositionStatus::Paid => return Some("the ACA position is already paid".into()),
        PositionStatus::Expired => return Some("the ACA position is expired".into()),
    }
    let expired = p.request.switch_to_expired
        && p.request
            .expiration_date
            .get(..10)
            .is_some_and(|d| d < now.date().as_str());
    expired.then(|| "the ACA position is past its binding expirationDate (switchToExpired)".into())
}

fn amount(p: &AcaPosition) -> Amount {
    Amount::from_cents(u64::try_from(p.amount_cents()).unwrap_or(0))
}

/// The verify answer the Nodo builds from the position.
pub fn verify(p: &AcaPosition, company: &str) -> VerifyPaymentNoticeRes {
    VerifyPaymentNoticeRes {
        outcome: Outcome::Ok,
        fault: None,
        payment_option: Some(PaymentOption {
            amount: amount(p),
            options: AmountOption::Eq,
            due_date: p.request.expiration_date.get(..10).map(str::to_string),
            detail_description: None,
            all_ccp: false,
        }),
        payment_description: Some(p.request.description.chars().take(140).collect()),
        fiscal_code_pa: Some(p.request.pa_fiscal_code.clone()),
        company_name: Some(company.to_string()),
        office_name: None,
    }
}

/// The activation answer the Nodo builds from the position: one transfer of the total to the
/// creating EC, category `STAND-IN`, whatever the position's beneficiaries (DOMAIN.md §7.5).
pub fn activation(p: &AcaPosition, company: &str) -> GetPaymentRes {
    let amount = amount(p);
    let description: String = p.request.description.chars().take(140).collect();
    let data = PaymentData {
        creditor_reference_id: p.request.iuv.clone(),
        payment_amount: amount,
        due_date: p
            .request
            .expiration_date
            .get(..10)
            .unwrap_or("2099-12-31")
            .to_string(),
        retention_date: None,
        last_payment: None,
        description: description.clone(),
        company_name: Some(company.to_string()),
        office_name: None,
        debtor: Subject {
            entity_type: if p.request.entity_type.as_str() == "G" {
                EntityType::G
            } else {
                EntityType::F
            },
            entity_value: p.request.entity_fiscal_code.chars().take(16).collect(),
            full_name: p.request.entity_full_name.chars().take(70).collect(),
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
            transfer_amount: amount,
            fiscal_code_pa: p.request.pa_fiscal_code.clone(),
            company_name: Some(company.to_string()),
            beneficiary: Beneficiary::Iban(p.iban.iban.clone().unwrap_or_default()),
            remittance_information: description,
            transfer_category: "STAND-IN".into(),
            metadata: Vec::new(),
        }],
        metadata: Vec::new(),
    };
    GetPaymentRes {
        outcome: Outcome::Ok,
        fault: None,
        data: Some(data),
    }
}
