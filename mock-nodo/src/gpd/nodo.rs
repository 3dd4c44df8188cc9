//! What the Nodo asks of the mock GPD when GPD is the EC (GPD-Payments): is this notice
//! payable, and close it with a receipt. The answers map onto the PAA fault codes the real
//! GPD-Payments returns (DOMAIN.md §4.1, "Reference EC behaviour").

use super::model::{Debtor, Installment, PositionStatus};
use crate::clock::VirtualTime;
use serde::{Deserialize, Serialize};

/// A notice that may be paid now: what paVerifyPaymentNotice / paGetPayment(V2) answer with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PayableOption {
    /// The creditor organisation.
    pub organization_fiscal_code: String,
    /// The position.
    pub iupd: String,
    /// The position's status (VALID or PARTIALLY_PAID).
    pub status: PositionStatus,
    /// Creditor name.
    pub company_name: String,
    /// Office name.
    pub office_name: Option<String>,
    /// Whether it may be paid in Stand-In.
    pub pay_stand_in: bool,
    /// The debtor of its plan.
    pub debtor: Debtor,
    /// Index of its plan in the position, from 0.
    pub plan: usize,
    /// Installments in that plan (1 for a single payment).
    pub installments_in_plan: usize,
    /// The notice itself: IUV, NAV, amount, due date, transfers (IBAN or stamp each).
    pub installment: Installment,
}

/// Why a notice cannot be paid (or a receipt not taken).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "refusal", rename_all = "snake_case")]
pub enum Refusal {
    /// No position of the organisation has this IUV or NAV.
    #[error("no debt position of {organization} has notice {notice}")]
    Unknown {
        /// The organisation.
        organization: String,
        /// The IUV or notice number asked for.
        notice: String,
    },
    /// The position is DRAFT or PUBLISHED: not visible to the Nodo yet.
    #[error("debt position {iupd} is {status}, not payable yet")]
    NotYetPayable {
        /// The position.
        iupd: String,
        /// Its status.
        status: PositionStatus,
    },
    /// The position is EXPIRED.
    #[error("debt position {iupd} is EXPIRED")]
    Expired {
        /// The position.
        iupd: String,
    },
    /// The position is INVALID (cancelled by the EC).
    #[error("debt position {iupd} is INVALID")]
    Cancelled {
        /// The position.
        iupd: String,
    },
    /// The notice, or the whole position, is already paid.
    #[error("notice {iuv} of debt position {iupd} is already paid (position {status})")]
    AlreadyPaid {
        /// The position.
        iupd: String,
        /// The notice's IUV.
        iuv: String,
        /// The position's status.
        status: PositionStatus,
    },
    /// Another plan of the position is being paid in installments: this notice belongs to a
    /// plan that can no longer be chosen.
    #[error("notice {iuv} of debt position {iupd}: another plan is being paid in installments")]
    OtherPlanInProgress {
        /// The position.
        iupd: String,
        /// The notice's IUV.
        iuv: String,
    },
    /// The receipt's amount is not the notice's.
    #[error("receipt amount {got} differs from the notice amount {expected}")]
    AmountMismatch {
        /// The notice's amount, cents.
        expected: i64,
        /// The receipt's, cents.
        got: i64,
    },
    /// [`GpdState::report`](super::GpdState::report) on a notice that is not paid.
    #[error("notice {iuv} of debt position {iupd} is not paid")]
    NotPaid {
        /// The position.
        iupd: String,
        /// The notice's IUV.
        iuv: String,
    },
}

impl Refusal {
    /// The faultCode GPD-Payments answers paVerifyPaymentNotice / paGetPayment(V2) /
    /// paDemandPaymentNotice with: unknown, DRAFT or PUBLISHED → `PAA_PAGAMENTO_SCONOSCIUTO`;
    /// EXPIRED → `PAA_PAGAMENTO_SCADUTO`; INVALID → `PAA_PAGAMENTO_ANNULLATO`; paid (or another
    /// plan chosen) → `PAA_PAGAMENTO_DUPLICATO`; anything else `PAA_SEMANTICA`.
    pub fn fault_code(&self) -> &'static str {
        match self {
            Refusal::Unknown { .. } | Refusal::NotYetPayable { .. } => "PAA_PAGAMENTO_SCONOSCIUTO",
            Refusal::Expired { .. } => "PAA_PAGAMENTO_SCADUTO",
            Refusal::Cancelled { .. } => "PAA_PAGAMENTO_ANNULLATO",
            Refusal::AlreadyPaid { .. } | Refusal::OtherPlanInProgress { .. } => {
                "PAA_PAGAMENTO_DUPLICATO"
            }
            Refusal::AmountMismatch { .. } | Refusal::NotPaid { .. } => "PAA_SEMANTICA",
        }
    }

    /// The faultCode for a paSendRT(V2) that [`GpdState::pay`](super::GpdState::pay) refused:
    /// an already receipted notice → `PAA_RECEIPT_DUPLICATA`; an unknown one →
    /// `PAA_PAGAMENTO_SCONOSCIUTO`; any other state → `PAA_SEMANTICA`.
    pub fn receipt_fault_code(&self) -> &'static str {
        match self {
            Refusal::AlreadyPaid { .. } => "PAA_RECEIPT_DUPLICATA",
            Refusal::Unknown { .. } => "PAA_PAGAMENTO_SCONOSCIUTO",
            _ => "PAA_SEMANTICA",
        }
    }
}

/// What the Nodo knows of a payment when it delivers the receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptData {
    /// `receiptId` of the receipt.
    pub receipt_id: String,
    /// Amount paid, cents; checked against the notice when given.
    pub amount: Option<i64>,
    /// When it was paid; the clock's now when `None`.
    pub payment_date: Option<VirtualTime>,
    /// PSP name.
    pub psp_company: Option<String>,
    /// Payment method (e.g. `creditCard`).
    pub payment_method: Option<String>,
    /// Fee paid, cents.
    pub fee: Option<i64>,
    /// Payer's fiscal code.
    pub payer: Option<String>,
    /// The receipt as delivered (e.g. the paSendRT body); the mock renders a small XML
    /// receipt when `None`. Served by `GET …/receipts/{iuv}`.
    pub xml: Option<String>,
}

impl ReceiptData {
    /// A receipt with this id and nothing else known.
    pub fn new(receipt_id: impl Into<String>) -> Self {
        ReceiptData {
            receipt_id: receipt_id.into(),
            amount: None,
            payment_date: None,
            psp_company: None,
            payment_method: None,
            fee: None,
            payer: None,
            xml: None,
        }
    }
}

/// A receipt the mock GPD holds, served by the receipts API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    /// The creditor organisation.
    pub organization_fiscal_code: String,
    /// The position.
    pub iupd: String,
    /// The notice's IUV.
    pub iuv: String,
    /// The notice number.
    pub nav: String,
    /// `receiptId`.
    pub receipt_id: String,
    /// Debtor's fiscal code.
    pub debtor: String,
    /// Amount paid, cents.
    pub amount: i64,
    /// When it was paid.
    pub payment_date: VirtualTime,
    /// PSP name.
    pub psp_company: Option<String>,
    /// Payment method.
    pub payment_method: Option<String>,
    /// Fee, cents.
    pub fee: Option<i64>,
    /// Payer's fiscal code.
    pub payer: Option<String>,
    /// The position's status after this payment (PAID or PARTIALLY_PAID).
    pub position_status: PositionStatus,
    /// The receipt document.
    pub xml: String,
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Cents as `12.34`.
fn euros(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

/// A small XML receipt with the fields of a paSendRT `receipt`, for receipts delivered
/// without their document.
pub(super) fn render_receipt(
    org: &str,
    company_name: &str,
    option: &Installment,
    debtor: &Debtor,
    data: &ReceiptData,
    payment_date: VirtualTime,
) -> String {
    let mut transfers = String::new();
    for t in &option.transfers {
        transfers.push_str(&format!(
            "<transfer><idTransfer>{}</idTransfer><transferAmount>{}</transferAmount>\
             <fiscalCodePA>{}</fiscalCodePA>{}<remittanceInformation>{}</remittanceInformation>\
             <transferCategory>{}</transferCategory></transfer>",
            t.id_transfer,
            euros(t.amount),
            escape(&t.organization_fiscal_code),
            t.iban
                .as_deref()
                .map(|i| format!("<IBAN>{}</IBAN>", escape(i)))
                .unwrap_or_default(),
            escape(&t.remittance_information),
            escape(&t.category),
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <receipt><receiptId>{}</receiptId><noticeNumber>{}</noticeNumber>\
         <fiscalCode>{}</fiscalCode><outcome>OK</outcome><creditorReferenceId>{}</creditorReferenceId>\
         <paymentAmount>{}</paymentAmount><description>{}</description><companyName>{}</companyName>\
         <debtor><uniqueIdentifier><entityUniqueIdentifierType>{}</entityUniqueIdentifierType>\
         <entityUniqueIdentifierValue>{}</entityUniqueIdentifierValue></uniqueIdentifier>\
         <fullName>{}</fullName></debtor><transferList>{}</transferList>\
         <paymentDateTime>{}</paymentDateTime></receipt>",
        escape(&data.receipt_id),
        escape(&option.nav),
        escape(org),
        escape(&option.iuv),
        euros(option.amount),
        escape(&option.description),
        escape(company_name),
        debtor.subject_type.as_str(),
        escape(&debtor.fiscal_code),
        escape(&debtor.full_name),
        transfers,
        payment_date,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_codes_follow_the_reference_ec() {
        let iupd = || "P".to_string();
        let cases = [
            (
                Refusal::Unknown {
                    organization: "O".into(),
                    notice: "N".into(),
                },
                "PAA_PAGAMENTO_SCONOSCIUTO",
                "PAA_PAGAMENTO_SCONOSCIUTO",
            ),
            (
                Refusal::NotYetPayable {
                    iupd: iupd(),
                    status: PositionStatus::Draft,
                },
                "PAA_PAGAMENTO_SCONOSCIUTO",
                "PAA_SEMANTICA",
            ),
            (
                Refusal::Expired { iupd: iupd() },
                "PAA_PAGAMENTO_SCADUTO",
                "PAA_SEMANTICA",
            ),
            (
                Refusal::Cancelled { iupd: iupd() },
                "PAA_PAGAMENTO_ANNULLATO",
                "PAA_SEMANTICA",
            ),
            (
                Refusal::AlreadyPaid {
                    iupd: iupd(),
                    iuv: "I".into(),
                    status: PositionStatus::Paid,
                },
                "PAA_PAGAMENTO_DUPLICATO",
                "PAA_RECEIPT_DUPLICATA",
            ),
        ];
        for (refusal, verify, receipt) in cases {
            assert_eq!(refusal.fault_code(), verify, "{refusal}");
            assert_eq!(refusal.receipt_fault_code(), receipt, "{refusal}");
        }
    }

    #[test]
    fn euros_and_escaping() {
        assert_eq!(euros(1234), "12.34");
        assert_eq!(euros(5), "0.05");
        assert_eq!(escape("a<b&\"c\""), "a&lt;b&amp;&quot;c&quot;");
    }
}
