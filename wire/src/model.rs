//! Typed requests and responses of the EC-side primitives (DOMAIN.md §3).
//!
//! V1 and V2 variants share one struct where their shapes overlap; the [`crate::Primitive`]
//! a message is read or written as decides which elements are allowed (e.g. a V1 transfer has
//! no `companyName` and always an `IBAN`). Dates stay in their lexical form so that a message
//! written and read back is identical.

use crate::amount::Amount;
use crate::fault::FaultBean;
use serde::{Deserialize, Serialize};

/// `stOutcome`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Outcome {
    /// `OK`.
    #[serde(rename = "OK")]
    Ok,
    /// `KO`.
    #[serde(rename = "KO")]
    Ko,
}

impl Outcome {
    /// Wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "OK",
            Outcome::Ko => "KO",
        }
    }
}

/// `ctQrCode`: the EC fiscal code and the notice number printed on the notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QrCode {
    /// `fiscalCode` (11 digits).
    pub fiscal_code: String,
    /// `noticeNumber` (18 digits).
    pub notice_number: String,
}

/// The three identities the Nodo puts at the top of every request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Caller {
    /// `idPA`: EC fiscal code.
    pub id_pa: String,
    /// `idBrokerPA`: the EC's technological intermediary.
    pub id_broker_pa: String,
    /// `idStation`.
    pub id_station: String,
}

/// `paVerifyPaymentNoticeReq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyPaymentNoticeReq {
    /// idPA, idBrokerPA, idStation.
    pub caller: Caller,
    /// `qrCode`.
    pub qr_code: QrCode,
}

/// `stAmountOption`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AmountOption {
    /// `EQ`, the only value in use.
    #[serde(rename = "EQ")]
    Eq,
    /// `LS`.
    #[serde(rename = "LS")]
    Ls,
    /// `GT`.
    #[serde(rename = "GT")]
    Gt,
    /// `ANY`.
    #[serde(rename = "ANY")]
    Any,
}

impl AmountOption {
    /// Allowed wire values.
    pub const VALUES: &'static [&'static str] = &["EQ", "LS", "GT", "ANY"];

    /// Wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            AmountOption::Eq => "EQ",
            AmountOption::Ls => "LS",
            AmountOption::Gt => "GT",
            AmountOption::Any => "ANY",
        }
    }
}

/// `ctPaymentOptionDescriptionPA` (exactly one inside `paymentList`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentOption {
    /// `amount`, the current amount.
    pub amount: Amount,
    /// `options`.
    pub options: AmountOption,
    /// `dueDate` (xs:date).
    pub due_date: Option<String>,
    /// `detailDescription`.
    pub detail_description: Option<String>,
    /// `allCCP`: every transfer can be credited to a postal account.
    pub all_ccp: bool,
}

/// `paVerifyPaymentNoticeRes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyPaymentNoticeRes {
    /// `outcome`.
    pub outcome: Outcome,
    /// `fault`.
    pub fault: Option<FaultBean>,
    /// `paymentList/paymentOptionDescription`.
    pub payment_option: Option<PaymentOption>,
    /// `paymentDescription`.
    pub payment_description: Option<String>,
    /// `fiscalCodePA`.
    pub fiscal_code_pa: Option<String>,
    /// `companyName`.
    pub company_name: Option<String>,
    /// `officeName`.
    pub office_name: Option<String>,
}

/// `stTransferType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TransferType {
    /// `POSTAL`: the postal IBAN goes on transfer 1.
    #[serde(rename = "POSTAL")]
    Postal,
    /// `PAGOPA` (V2): every transfer carries `IBANAPPOGGIO` metadata.
    #[serde(rename = "PAGOPA")]
    Pagopa,
}

impl TransferType {
    /// Allowed wire values.
    pub const VALUES: &'static [&'static str] = &["POSTAL", "PAGOPA"];

    /// Wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            TransferType::Postal => "POSTAL",
            TransferType::Pagopa => "PAGOPA",
        }
    }
}

/// `paGetPaymentReq` and `paGetPaymentV2Request` (same fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetPaymentReq {
    /// idPA, idBrokerPA, idStation.
    pub caller: Caller,
    /// `qrCode`.
    pub qr_code: QrCode,
    /// `amount` (optional in the XSD, see DOMAIN.md §15 item 5).
    pub amount: Option<Amount>,
    /// `paymentNote` (carries idCart for Checkout payments).
    pub payment_note: Option<String>,
    /// `transferType`.
    pub transfer_type: Option<TransferType>,
    /// `dueDate`.
    pub due_date: Option<String>,
}

/// `stEntityUniqueIdentifierType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EntityType {
    /// `F`: natural person.
    F,
    /// `G`: legal person.
    G,
}

impl EntityType {
    /// Allowed wire values.
    pub const VALUES: &'static [&'static str] = &["F", "G"];

    /// Wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityType::F => "F",
            EntityType::G => "G",
        }
    }
}

/// `ctSubject`: debtor or payer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subject {
    /// `entityUniqueIdentifierType`.
    pub entity_type: EntityType,
    /// `entityUniqueIdentifierValue` (CF, P.IVA or `ANONIMO`).
    pub entity_value: String,
    /// `fullName`.
    pub full_name: String,
    /// `streetName`.
    pub street_name: Option<String>,
    /// `civicNumber`.
    pub civic_number: Option<String>,
    /// `postalCode`.
    pub postal_code: Option<String>,
    /// `city`.
    pub city: Option<String>,
    /// `stateProvinceRegion`.
    pub state_province_region: Option<String>,
    /// `country` (`[A-Z]{2}`).
    pub country: Option<String>,
    /// `e-mail`.
    pub email: Option<String>,
}

/// `ctMapEntry`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapEntry {
    /// `key`.
    pub key: String,
    /// `value`.
    pub value: String,
}

/// `ctRichiestaMarcaDaBollo`: the digital stamp requested instead of an IBAN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MarcaDaBollo {
    /// `hashDocumento` (base64, 4..72 characters).
    pub hash_documento: String,
    /// `tipoBollo` (`01`).
    pub tipo_bollo: String,
    /// `provinciaResidenza` (`[A-Z]{2}`).
    pub provincia_residenza: String,
}

/// Where a transfer's money goes: the choice element of the V2 transfer types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Beneficiary {
    /// `IBAN`.
    Iban(String),
    /// `richiestaMarcaDaBollo` (paGetPaymentV2 only).
    MarcaDaBollo(MarcaDaBollo),
    /// `MBDAttachment`, base64 of the stamp XML (paSendRTV2 only).
    MbdAttachment(String),
}

impl Beneficiary {
    /// The IBAN, when the transfer goes to an account.
    pub fn iban(&self) -> Option<&str> {
        match self {
            Beneficiary::Iban(s) => Some(s),
            _ => None,
        }
    }
}

/// A transfer: `ctTransferPA`, `ctTransferPAV2` or `ctTransferPAReceiptV2`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transfer {
    /// `idTransfer` (1..5).
    pub id_transfer: u8,
    /// `transferAmount`.
    pub transfer_amount: Amount,
    /// `fiscalCodePA`: the beneficiary EC.
    pub fiscal_code_pa: String,
    /// `companyName` (V2 only).
    pub company_name: Option<String>,
    /// `IBAN`, `richiestaMarcaDaBollo` or `MBDAttachment`.
    pub beneficiary: Beneficiary,
    /// `remittanceInformation`.
    pub remittance_information: String,
    /// `transferCategory` (taxonomy code).
    pub transfer_category: String,
    /// `metadata` (empty = absent).
    pub metadata: Vec<MapEntry>,
}

/// `ctPaymentPA` / `ctPaymentPAV2`: the `data` of an activation response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentData {
    /// `creditorReferenceId` (the IUV).
    pub creditor_reference_id: String,
    /// `paymentAmount`.
    pub payment_amount: Amount,
    /// `dueDate`.
    pub due_date: String,
    /// `retentionDate` (ignored by the platform).
    pub retention_date: Option<String>,
    /// `lastPayment` (ignored by the platform).
    pub last_payment: Option<bool>,
    /// `description`.
    pub description: String,
    /// `companyName` (optional in V1, mandatory in V2).
    pub company_name: Option<String>,
    /// `officeName`.
    pub office_name: Option<String>,
    /// `debtor`.
    pub debtor: Subject,
    /// `transferList/transfer` (1..5).
    pub transfers: Vec<Transfer>,
    /// `metadata` (empty = absent).
    pub metadata: Vec<MapEntry>,
}

/// `paGetPaymentRes` and `paGetPaymentV2Response`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetPaymentRes {
    /// `outcome`.
    pub outcome: Outcome,
    /// `fault`.
    pub fault: Option<FaultBean>,
    /// `data`.
    pub data: Option<PaymentData>,
}

/// `ctReceipt` / `ctReceiptV2`. The V2-only fields are `None` in a V1 receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    /// `receiptId` (the Nodo payment token; the IUR in the FdR).
    pub receipt_id: String,
    /// `noticeNumber`.
    pub notice_number: String,
    /// `fiscalCode` (EC).
    pub fiscal_code: String,
    /// `outcome`.
    pub outcome: Outcome,
    /// `creditorReferenceId` (IUV).
    pub creditor_reference_id: String,
    /// `paymentAmount`.
    pub payment_amount: Amount,
    /// `description`.
    pub description: String,
    /// `companyName`.
    pub company_name: String,
    /// `officeName`.
    pub office_name: Option<String>,
    /// `debtor`.
    pub debtor: Subject,
    /// `transferList/transfer`.
    pub transfers: Vec<Transfer>,
    /// `idPSP`.
    pub id_psp: String,
    /// `pspFiscalCode`.
    pub psp_fiscal_code: Option<String>,
    /// `pspPartitaIVA`.
    pub psp_partita_iva: Option<String>,
    /// `PSPCompanyName`.
    pub psp_company_name: String,
    /// `idChannel`.
    pub id_channel: String,
    /// `channelDescription`.
    pub channel_description: String,
    /// `payer`.
    pub payer: Option<Subject>,
    /// `paymentMethod`.
    pub payment_method: Option<String>,
    /// `paymentNote` (V2).
    pub payment_note: Option<String>,
    /// `fee`.
    pub fee: Option<Amount>,
    /// `primaryCiIncurredFee` (V2).
    pub primary_ci_incurred_fee: Option<Amount>,
    /// `idBundle` (V2).
    pub id_bundle: Option<String>,
    /// `idCiBundle` (V2).
    pub id_ci_bundle: Option<String>,
    /// `paymentDateTime`.
    pub payment_date_time: Option<String>,
    /// `applicationDate`.
    pub application_date: Option<String>,
    /// `transferDate`.
    pub transfer_date: Option<String>,
    /// `metadata` (empty = absent).
    pub metadata: Vec<MapEntry>,
    /// `standIn`: paid while the station was in Stand-In.
    pub stand_in: Option<bool>,
}

/// `paSendRTReq` and `paSendRTV2Request`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendRtReq {
    /// idPA, idBrokerPA, idStation.
    pub caller: Caller,
    /// `receipt`.
    pub receipt: Receipt,
}

/// `ctResponse` alone: `paSendRTRes` and `paSendRTV2Response`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimpleRes {
    /// `outcome`.
    pub outcome: Outcome,
    /// `fault`.
    pub fault: Option<FaultBean>,
}

/// `paDemandPaymentNoticeRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DemandPaymentNoticeReq {
    /// idPA, idBrokerPA, idStation.
    pub caller: Caller,
    /// `idServizio` (5 characters).
    pub id_servizio: String,
    /// `idSoggettoServizio` (5 characters).
    pub id_soggetto_servizio: String,
    /// `datiSpecificiServizioRequest` (base64 of the service's XML).
    pub dati_specifici_servizio: String,
}

/// `paDemandPaymentNoticeResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DemandPaymentNoticeRes {
    /// `outcome`.
    pub outcome: Outcome,
    /// `fault`.
    pub fault: Option<FaultBean>,
    /// `qrCode` of the notice created.
    pub qr_code: Option<QrCode>,
    /// `paymentList/paymentOptionDescription`.
    pub payment_option: Option<PaymentOption>,
    /// `paymentDescription`.
    pub payment_description: Option<String>,
    /// `fiscalCodePA`.
    pub fiscal_code_pa: Option<String>,
    /// `companyName`.
    pub company_name: Option<String>,
    /// `officeName`.
    pub office_name: Option<String>,
}
