//! The answers GPD-Payments gives the Nodo for an EC on the asynchronous integration
//! (DOMAIN.md §9): the EC has no station of its own, its debt positions live in GPD, and the
//! Nodo's verify and activation are answered from the payable installment.

use crate::gpd::{PayableOption, SubjectType};
use collaudo_wire::{
    Amount, AmountOption, Beneficiary, EntityType, GetPaymentRes, MapEntry, MarcaDaBollo, Outcome,
    PaymentData, PaymentOption, Subject, Transfer, VerifyPaymentNoticeRes,
};

fn amount(cents: i64) -> Amount {
    Amount::from_cents(u64::try_from(cents).unwrap_or(0))
}

fn clip(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// The verify answer for a payable installment.
pub fn verify(opt: &PayableOption) -> VerifyPaymentNoticeRes {
    let i = &opt.installment;
    VerifyPaymentNoticeRes {
        outcome: Outcome::Ok,
        fault: None,
        payment_option: Some(PaymentOption {
            amount: amount(i.amount),
            options: AmountOption::Eq,
            due_date: Some(i.due_date.date()),
            detail_description: None,
            // A postal account on every transfer: the PSP may pay by postal order.
            all_ccp: !i.transfers.is_empty() && i.transfers.iter().all(|t| t.postal_iban.is_some()),
        }),
        payment_description: Some(clip(&i.description, 140)),
        fiscal_code_pa: Some(opt.organization_fiscal_code.clone()),
        company_name: Some(clip(&opt.company_name, 140)),
        office_name: opt.office_name.as_deref().map(|o| clip(o, 140)),
    }
}

/// The paGetPaymentV2 answer for a payable installment: its transfers as GPD holds them (an
/// IBAN, or a stamp request), the plan's debtor.
pub fn activation(opt: &PayableOption) -> GetPaymentRes {
    let i = &opt.installment;
    let d = &opt.debtor;
    let data = PaymentData {
        creditor_reference_id: i.iuv.clone(),
        payment_amount: amount(i.amount),
        due_date: i.due_date.date(),
        retention_date: None,
        last_payment: None,
        description: clip(&i.description, 140),
        company_name: Some(clip(&opt.company_name, 140)),
        office_name: opt.office_name.as_deref().map(|o| clip(o, 140)),
        debtor: Subject {
            entity_type: match d.subject_type {
                SubjectType::F => EntityType::F,
                SubjectType::G => EntityType::G,
            },
            entity_value: clip(&d.fiscal_code, 16),
            full_name: clip(&d.full_name, 70),
            street_name: d.street_name.as_deref().map(|s| clip(s, 70)),
            civic_number: d.civic_number.as_deref().map(|s| clip(s, 16)),
            postal_code: d.postal_code.as_deref().map(|s| clip(s, 16)),
            city: d.city.as_deref().map(|s| clip(s, 35)),
            state_province_region: d.province.as_deref().map(|s| clip(s, 35)),
            country: d.country.as_deref().map(|s| clip(s, 2)),
            email: d.email.as_deref().map(|s| clip(s, 256)),
        },
        transfers: i
            .transfers
            .iter()
            .map(|t| Transfer {
                id_transfer: t.id_transfer,
                transfer_amount: amount(t.amount),
                fiscal_code_pa: t.organization_fiscal_code.clone(),
                company_name: t.company_name.as_deref().map(|c| clip(c, 140)),
                beneficiary: match (&t.iban, &t.stamp) {
                    (Some(iban), _) => Beneficiary::Iban(iban.clone()),
                    (None, Some(s)) => Beneficiary::MarcaDaBollo(MarcaDaBollo {
                        hash_documento: s.hash_document.clone(),
                        tipo_bollo: s.stamp_type.clone(),
                        provincia_residenza: s.provincial_residence.clone(),
                    }),
                    // GPD refuses a transfer with neither (IBAN xor stamp): not reached.
                    (None, None) => Beneficiary::Iban(String::new()),
                },
                remittance_information: clip(&t.remittance_information, 140),
                transfer_category: t.category.clone(),
                metadata: t
                    .metadata
                    .iter()
                    .map(|m| MapEntry {
                        key: m.key.clone(),
                        value: m.value.clone().unwrap_or_default(),
                    })
                    .collect(),
            })
            .collect(),
        metadata: i
            .metadata
            .iter()
            .map(|m| MapEntry {
                key: m.key.clone(),
                value: m.value.clone().unwrap_or_default(),
            })
            .collect(),
    };
    GetPaymentRes {
        outcome: Outcome::Ok,
        fault: None,
        data: Some(data),
    }
}
