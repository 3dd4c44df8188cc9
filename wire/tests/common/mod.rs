//! Proptest strategies generating **valid** EC-side messages for all twelve
//! (primitive × direction) shapes.
//!
//! "Valid" means valid for `paForNode.xsd` / `sac-common-types-1.0.xsd` *and* for the pagoPA
//! rules the parser enforces (DOMAIN.md §3–§4): OK responses carry every element pagoPA
//! requires and no fault, KO responses carry a `PAA_` fault, `paymentAmount` is the sum of
//! the transfers, `idTransfer` values are unique, notice numbers have correct check digits,
//! subject identifiers fit their type, `options` is always `EQ`, the texts the Nodo relays
//! (`faultString`, `description`) have no blanks at either end. A parser that reports any
//! violation (even a warning) for an enveloped message built from these strategies is wrong,
//! or the strategy is.

#![allow(
    dead_code,
    reason = "each test binary uses a different subset of the strategies"
)]
#![allow(
    unreachable_pub,
    reason = "test helper module shared by several test binaries"
)]
#![allow(clippy::unwrap_used, reason = "a failed unwrap is a failed test")]

use collaudo_wire::ident::{NoticeNumber, fiscal_code, iban};
use collaudo_wire::{
    Amount, AmountOption, Beneficiary, Caller, DemandPaymentNoticeReq, DemandPaymentNoticeRes,
    EntityType, FaultBean, FaultCode, GetPaymentReq, GetPaymentRes, MapEntry, MarcaDaBollo,
    Message, Outcome, PaymentData, PaymentOption, QrCode, Receipt, SendRtReq, SimpleRes, Subject,
    Transfer, TransferType, VerifyPaymentNoticeReq, VerifyPaymentNoticeRes,
};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;

/// Characters of free text: ASCII letters and digits (weighted by repetition), spaces, the
/// XML-special `& < > " '`, Italian accented letters, `€`, and one character outside the
/// Basic Multilingual Plane (XSD length facets count characters, not bytes or UTF-16 units).
const TEXT_CHARS: &[char] = &[
    'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's',
    't', 'u', 'v', 'w', 'x', 'y', 'z', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'M', 'P', 'R', 'S', 'T',
    'Z', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', ' ', ' ', ' ', '.', ',', '-', '_', '/',
    ':', ';', '(', ')', '\'', '&', '<', '>', '"', 'è', 'é', 'à', 'ò', 'ù', 'ì', 'È', 'ç', 'ß', '€',
    '°', 'ñ', '𝄞',
];

const DIGITS: &[char] = &['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

const UPPER: &[char] = &[
    'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', 'P', 'Q', 'R', 'S',
    'T', 'U', 'V', 'W', 'X', 'Y', 'Z',
];

/// Characters of the local part of `stEMail`: `[a-zA-Z0-9_\.\+\-]`.
const EMAIL_LOCAL: &[char] = &[
    'a', 'b', 'c', 'm', 'r', 'z', 'A', 'Q', 'Z', '0', '7', '9', '_', '.', '+', '-',
];

/// Characters of a domain label of `stEMail`: `[a-zA-Z0-9\-]`.
const EMAIL_LABEL: &[char] = &['a', 'e', 'i', 'o', 'p', 't', 'x', 'K', 'Z', '0', '4', '-'];

/// The largest amount whose five-fold sum still fits `stAmount` (999999999.99).
const MAX_TRANSFER_CENTS: u64 = Amount::MAX_CENTS / 5;

fn chars(alphabet: &'static [char], min: usize, max: usize) -> BoxedStrategy<String> {
    vec(select(alphabet), min..=max)
        .prop_map(|cs| cs.into_iter().collect())
        .boxed()
}

/// An `xs:string` restricted to `min..=max` characters (whitespace preserved). Mostly short,
/// sometimes anywhere in the range, sometimes exactly at the maximum.
pub fn text(min: usize, max: usize) -> BoxedStrategy<String> {
    let short = max.min(min + 12);
    prop_oneof![
        4 => chars(TEXT_CHARS, min, short),
        1 => chars(TEXT_CHARS, min, max),
        1 => chars(TEXT_CHARS, max, max),
    ]
    .boxed()
}

/// `n` ASCII digits.
pub fn digits(n: usize) -> BoxedStrategy<String> {
    chars(DIGITS, n, n)
}

/// `stFiscalCodePA`: 11 digits.
pub fn fiscal_code_pa() -> BoxedStrategy<String> {
    digits(11)
}

/// `stNazioneProvincia`: `[A-Z]{2}`.
pub fn country() -> BoxedStrategy<String> {
    chars(UPPER, 2, 2)
}

/// An aux-3 notice number with correct check digits.
pub fn notice() -> BoxedStrategy<NoticeNumber> {
    (0u8..=99, 0u64..10_000_000_000_000)
        .prop_map(|(seg, base)| NoticeNumber::aux3(seg, base).unwrap())
        .boxed()
}

/// A `creditorReferenceId`: mostly the IUV of a notice, sometimes any `stText35`.
pub fn creditor_reference_id() -> BoxedStrategy<String> {
    prop_oneof![
        3 => notice().prop_map(|n| n.iuv().to_string()),
        1 => text(1, 35),
    ]
    .boxed()
}

/// Cents for `stAmountNotZero`: 0.01..=999999999.99.
pub fn amount_not_zero() -> BoxedStrategy<Amount> {
    prop_oneof![
        4 => 1u64..=100_000,
        2 => 1u64..=Amount::MAX_CENTS,
        1 => Just(1u64),
        1 => Just(Amount::MAX_CENTS),
    ]
    .prop_map(Amount::from_cents)
    .boxed()
}

/// Cents for `stAmount`: 0.00..=999999999.99.
pub fn amount() -> BoxedStrategy<Amount> {
    prop_oneof![
        1 => Just(Amount::from_cents(0)),
        6 => amount_not_zero(),
    ]
    .boxed()
}

/// A transfer amount small enough that five of them still fit `stAmountNotZero`.
fn transfer_amount() -> BoxedStrategy<Amount> {
    prop_oneof![
        4 => 1u64..=100_000,
        2 => 1u64..=MAX_TRANSFER_CENTS,
        1 => Just(1u64),
        1 => Just(MAX_TRANSFER_CENTS),
    ]
    .prop_map(Amount::from_cents)
    .boxed()
}

fn is_leap(y: u32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in(y: u32, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `xs:date` as `YYYY-MM-DD`, a real calendar day; leap days get a little extra weight.
pub fn date() -> BoxedStrategy<String> {
    let any_day = (1900u32..=2099, 1u32..=12)
        .prop_flat_map(|(y, m)| (Just(y), Just(m), 1..=days_in(y, m)))
        .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"));
    // 1904..=2096 in steps of four: all leap years (2000 included, 1900 excluded).
    let leap_day = (476u32..=524).prop_map(|q| format!("{:04}-02-29", q * 4));
    prop_oneof![19 => any_day, 1 => leap_day].boxed()
}

/// `xs:dateTime` as `YYYY-MM-DDThh:mm:ss`.
pub fn date_time() -> BoxedStrategy<String> {
    (date(), 0u32..24, 0u32..60, 0u32..60)
        .prop_map(|(d, h, m, s)| format!("{d}T{h:02}:{m:02}:{s:02}"))
        .boxed()
}

/// `stEMail`: `[a-zA-Z0-9_\.\+\-]+@[a-zA-Z0-9\-]+(\.[a-zA-Z0-9\-]+)*`.
pub fn email() -> BoxedStrategy<String> {
    (
        chars(EMAIL_LOCAL, 1, 20),
        vec(chars(EMAIL_LABEL, 1, 12), 1..=3),
    )
        .prop_map(|(local, labels)| format!("{local}@{}", labels.join(".")))
        .boxed()
}

/// Standard base64 with padding (what `xs:base64Binary` accepts, canonical padding bits).
pub fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b1 = chunk.get(1).copied().unwrap_or(0);
        let b2 = chunk.get(2).copied().unwrap_or(0);
        let n = (u32::from(chunk[0]) << 16) | (u32::from(b1) << 8) | u32::from(b2);
        let sextet = |shift: u32| char::from(T[((n >> shift) & 63) as usize]);
        out.push(sextet(18));
        out.push(sextet(12));
        out.push(if chunk.len() > 1 { sextet(6) } else { '=' });
        out.push(if chunk.len() > 2 { sextet(0) } else { '=' });
    }
    out
}

/// Base64 of `min..=max` random bytes.
pub fn base64_of(min: usize, max: usize) -> BoxedStrategy<String> {
    vec(any::<u8>(), min..=max).prop_map(|b| base64(&b)).boxed()
}

/// `stIBAN` (1..35 characters, no pattern in the XSD): mostly a real Italian IBAN, sometimes
/// any text of the right length.
pub fn iban_value() -> BoxedStrategy<String> {
    prop_oneof![
        4 => (any::<u32>(), any::<u32>(), any::<u64>(), any::<bool>())
            .prop_map(|(abi, cab, acc, postal)| iban::italian(abi, cab, acc, postal)),
        1 => text(1, 35),
    ]
    .boxed()
}

/// `ctMetadata` as a Vec: 0 (absent) to 15 entries, mostly few.
pub fn metadata() -> BoxedStrategy<Vec<MapEntry>> {
    let entry = (text(1, 140), text(1, 140)).prop_map(|(key, value)| MapEntry { key, value });
    prop_oneof![
        4 => vec(entry.clone(), 0..=2),
        1 => vec(entry.clone(), 0..=15),
        1 => vec(entry, 15..=15),
    ]
    .boxed()
}

/// `ctSubject`: F with a 16-character fiscal code or `ANONIMO`, or G with 11 digits.
pub fn subject() -> BoxedStrategy<Subject> {
    let id = prop_oneof![
        3 => any::<u64>().prop_map(|s| (EntityType::F, fiscal_code::generate_personal(s))),
        1 => Just((EntityType::F, "ANONIMO".to_string())),
        2 => digits(11).prop_map(|d| (EntityType::G, d)),
    ];
    (
        id,
        text(1, 70),
        option::of(text(1, 70)),
        option::of(text(1, 16)),
        option::of(text(1, 16)),
        option::of(text(1, 35)),
        option::of(text(1, 35)),
        option::of(country()),
        option::of(email()),
    )
        .prop_map(
            |(
                (entity_type, entity_value),
                full_name,
                street_name,
                civic_number,
                postal_code,
                city,
                state_province_region,
                country,
                email,
            )| Subject {
                entity_type,
                entity_value,
                full_name,
                street_name,
                civic_number,
                postal_code,
                city,
                state_province_region,
                country,
                email,
            },
        )
        .boxed()
}

/// Which transfer type a message carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `ctTransferPA`: no companyName, always IBAN.
    V1,
    /// `ctTransferPAV2`: optional companyName, IBAN or richiestaMarcaDaBollo.
    V2,
    /// `ctTransferPAReceiptV2`: optional companyName, IBAN or MBDAttachment.
    ReceiptV2,
}

/// `ctRichiestaMarcaDaBollo`: base64 hash of 4..72 characters, tipoBollo 01, a province.
pub fn marca_da_bollo() -> BoxedStrategy<MarcaDaBollo> {
    // 1..=54 bytes give 4..=72 base64 characters.
    (base64_of(1, 54), country())
        .prop_map(|(hash_documento, provincia_residenza)| MarcaDaBollo {
            hash_documento,
            tipo_bollo: "01".to_string(),
            provincia_residenza,
        })
        .boxed()
}

fn beneficiary(flavor: Flavor) -> BoxedStrategy<Beneficiary> {
    let iban = iban_value().prop_map(Beneficiary::Iban);
    match flavor {
        Flavor::V1 => iban.boxed(),
        Flavor::V2 => prop_oneof![
            3 => iban,
            1 => marca_da_bollo().prop_map(Beneficiary::MarcaDaBollo),
        ]
        .boxed(),
        Flavor::ReceiptV2 => prop_oneof![
            3 => iban,
            1 => base64_of(1, 120).prop_map(Beneficiary::MbdAttachment),
        ]
        .boxed(),
    }
}

/// One transfer of `flavor`; `idTransfer` is set to 1 here and renumbered by [`transfers`].
fn transfer(flavor: Flavor) -> BoxedStrategy<Transfer> {
    let company = if flavor == Flavor::V1 {
        Just(None).boxed()
    } else {
        option::of(text(1, 140)).boxed()
    };
    (
        transfer_amount(),
        fiscal_code_pa(),
        company,
        beneficiary(flavor),
        text(1, 140),
        prop_oneof![
            Just("0101002IM".to_string()),
            Just("9/0201102IM/".to_string()),
            text(1, 140)
        ],
        metadata(),
    )
        .prop_map(
            |(
                transfer_amount,
                fiscal_code_pa,
                company_name,
                beneficiary,
                remittance_information,
                transfer_category,
                metadata,
            )| Transfer {
                id_transfer: 1,
                transfer_amount,
                fiscal_code_pa,
                company_name,
                beneficiary,
                remittance_information,
                transfer_category,
                metadata,
            },
        )
        .boxed()
}

/// 1..=5 transfers with ids 1..=n in some order; their sum always fits `stAmountNotZero`.
pub fn transfers(flavor: Flavor) -> BoxedStrategy<Vec<Transfer>> {
    prop_oneof![
        3 => vec(transfer(flavor), 1..=2),
        1 => vec(transfer(flavor), 1..=5),
    ]
    .prop_flat_map(|ts| {
        let ids: Vec<u8> = (1..=ts.len() as u8).collect();
        (Just(ts), Just(ids).prop_shuffle())
    })
    .prop_map(|(mut ts, ids)| {
        for (t, id) in ts.iter_mut().zip(ids) {
            t.id_transfer = id;
        }
        ts
    })
    .boxed()
}

/// The sum of the transfer amounts.
pub fn sum(ts: &[Transfer]) -> Amount {
    Amount::sum(ts.iter().map(|t| t.transfer_amount))
}

/// `idPA`, `idBrokerPA`, `idStation`.
pub fn caller() -> BoxedStrategy<Caller> {
    (
        fiscal_code_pa(),
        prop_oneof![fiscal_code_pa(), text(1, 35)],
        prop_oneof![
            fiscal_code_pa().prop_map(|d| format!("{d}_01")),
            text(1, 35)
        ],
    )
        .prop_map(|(id_pa, id_broker_pa, id_station)| Caller {
            id_pa,
            id_broker_pa,
            id_station,
        })
        .boxed()
}

/// `ctQrCode`.
pub fn qr_code() -> BoxedStrategy<QrCode> {
    (fiscal_code_pa(), notice())
        .prop_map(|(fiscal_code, n)| QrCode {
            fiscal_code,
            notice_number: n.as_str().to_string(),
        })
        .boxed()
}

/// A fault bean with a `PAA_` code (catalogued, or unknown but kept verbatim).
pub fn fault() -> BoxedStrategy<FaultBean> {
    let paa: Vec<String> = FaultCode::ALL
        .iter()
        .filter(|c| c.is_paa())
        .map(|c| c.as_str().to_string())
        .collect();
    let code = prop_oneof![
        4 => select(paa),
        1 => chars(UPPER, 1, 12).prop_map(|s| format!("PAA_{s}")),
    ]
    .prop_map(|s| FaultCode::parse(&s));
    // Blanks around a relayed text are worth a warning (and are not what a careful EC sends).
    let relayed = |max| text(0, max).prop_map(|s| s.trim_matches(' ').to_string());
    (
        code,
        relayed(60),
        prop_oneof![fiscal_code_pa(), text(0, 35)],
        option::of(relayed(140)),
        option::of(any::<i32>()),
        option::of(text(0, 35)),
        option::of(text(0, 60)),
        option::of(text(0, 60)),
    )
        .prop_map(
            |(
                fault_code,
                fault_string,
                id,
                description,
                serial,
                original_fault_code,
                original_fault_string,
                original_description,
            )| FaultBean {
                fault_code,
                fault_string,
                id,
                description,
                serial,
                original_fault_code,
                original_fault_string,
                original_description,
            },
        )
        .boxed()
}

/// `ctPaymentOptionDescriptionPA` with `options` EQ.
pub fn payment_option() -> BoxedStrategy<PaymentOption> {
    (
        amount_not_zero(),
        option::of(date()),
        option::of(text(1, 140)),
        any::<bool>(),
    )
        .prop_map(
            |(amount, due_date, detail_description, all_ccp)| PaymentOption {
                amount,
                options: AmountOption::Eq,
                due_date,
                detail_description,
                all_ccp,
            },
        )
        .boxed()
}

/// `ctPaymentPA` (V1) or `ctPaymentPAV2` (companyName mandatory, V2 transfers).
pub fn payment_data(v2: bool) -> BoxedStrategy<PaymentData> {
    let company = if v2 {
        text(1, 140).prop_map(Some).boxed()
    } else {
        option::of(text(1, 140)).boxed()
    };
    (
        creditor_reference_id(),
        transfers(if v2 { Flavor::V2 } else { Flavor::V1 }),
        date(),
        option::of(date_time()),
        option::of(any::<bool>()),
        text(1, 140),
        company,
        option::of(text(1, 140)),
        subject(),
        metadata(),
    )
        .prop_map(
            |(
                creditor_reference_id,
                transfers,
                due_date,
                retention_date,
                last_payment,
                description,
                company_name,
                office_name,
                debtor,
                metadata,
            )| PaymentData {
                creditor_reference_id,
                payment_amount: sum(&transfers),
                due_date,
                retention_date,
                last_payment,
                description,
                company_name,
                office_name,
                debtor,
                transfers,
                metadata,
            },
        )
        .boxed()
}

/// `ctReceipt` (V1: V2-only fields `None`, V1 transfers) or `ctReceiptV2`.
pub fn receipt(v2: bool) -> BoxedStrategy<Receipt> {
    let head = (
        prop_oneof![
            3 => chars(&['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'], 32, 32),
            1 => text(0, 35),
        ],
        notice(),
        fiscal_code_pa(),
        prop_oneof![4 => Just(Outcome::Ok), 1 => Just(Outcome::Ko)],
        text(1, 140),
        text(1, 140),
        option::of(text(1, 140)),
        subject(),
    );
    let psp = (
        transfers(if v2 { Flavor::ReceiptV2 } else { Flavor::V1 }),
        text(1, 35),
        option::of(text(1, 70)),
        option::of(text(1, 20)),
        text(1, 70),
        text(1, 35),
        text(1, 35),
        option::of(subject()),
        option::of(text(1, 35)),
    );
    let tail = (
        option::of(text(1, 210)),
        option::of(amount()),
        option::of(amount()),
        option::of(text(1, 70)),
        option::of(text(1, 70)),
        option::of(date_time()),
        option::of(date()),
        option::of(date()),
        metadata(),
        option::of(any::<bool>()),
    );
    (head, psp, tail)
        .prop_map(
            move |(
                (
                    receipt_id,
                    notice,
                    fiscal_code,
                    outcome,
                    description,
                    company_name,
                    office_name,
                    debtor,
                ),
                (
                    transfers,
                    id_psp,
                    psp_fiscal_code,
                    psp_partita_iva,
                    psp_company_name,
                    id_channel,
                    channel_description,
                    payer,
                    payment_method,
                ),
                (
                    payment_note,
                    fee,
                    primary_ci_incurred_fee,
                    id_bundle,
                    id_ci_bundle,
                    payment_date_time,
                    application_date,
                    transfer_date,
                    metadata,
                    stand_in,
                ),
            )| Receipt {
                receipt_id,
                notice_number: notice.as_str().to_string(),
                fiscal_code,
                outcome,
                creditor_reference_id: notice.iuv().to_string(),
                payment_amount: sum(&transfers),
                description,
                company_name,
                office_name,
                debtor,
                transfers,
                id_psp,
                psp_fiscal_code,
                psp_partita_iva,
                psp_company_name,
                id_channel,
                channel_description,
                payer,
                payment_method,
                payment_note: payment_note.filter(|_| v2),
                fee,
                primary_ci_incurred_fee: primary_ci_incurred_fee.filter(|_| v2),
                id_bundle: id_bundle.filter(|_| v2),
                id_ci_bundle: id_ci_bundle.filter(|_| v2),
                payment_date_time,
                application_date,
                transfer_date,
                metadata,
                stand_in,
            },
        )
        .boxed()
}

// ---- the twelve message shapes ---------------------------------------------------------------

/// `paVerifyPaymentNoticeReq`.
pub fn verify_payment_notice_req() -> BoxedStrategy<Message> {
    (caller(), qr_code())
        .prop_map(|(caller, qr_code)| {
            Message::VerifyPaymentNoticeReq(VerifyPaymentNoticeReq { caller, qr_code })
        })
        .boxed()
}

/// An OK `paVerifyPaymentNoticeRes`: paymentList, paymentDescription, fiscalCodePA and
/// companyName present, no fault.
pub fn verify_payment_notice_res_ok() -> BoxedStrategy<Message> {
    (
        payment_option(),
        text(1, 140),
        fiscal_code_pa(),
        text(1, 140),
        option::of(text(1, 140)),
    )
        .prop_map(|(o, description, fiscal, company, office)| {
            Message::VerifyPaymentNoticeRes(VerifyPaymentNoticeRes {
                outcome: Outcome::Ok,
                fault: None,
                payment_option: Some(o),
                payment_description: Some(description),
                fiscal_code_pa: Some(fiscal),
                company_name: Some(company),
                office_name: office,
            })
        })
        .boxed()
}

/// `paVerifyPaymentNoticeRes`, OK or KO (fault only).
pub fn verify_payment_notice_res() -> BoxedStrategy<Message> {
    let ko = fault().prop_map(|f| {
        Message::VerifyPaymentNoticeRes(VerifyPaymentNoticeRes {
            outcome: Outcome::Ko,
            fault: Some(f),
            payment_option: None,
            payment_description: None,
            fiscal_code_pa: None,
            company_name: None,
            office_name: None,
        })
    });
    prop_oneof![3 => verify_payment_notice_res_ok(), 1 => ko].boxed()
}

fn get_payment_req_of(v2: bool) -> BoxedStrategy<GetPaymentReq> {
    let transfer_type = if v2 {
        option::of(prop_oneof![
            Just(TransferType::Postal),
            Just(TransferType::Pagopa)
        ])
        .boxed()
    } else {
        // The V1 documentation only knows POSTAL.
        option::of(Just(TransferType::Postal)).boxed()
    };
    (
        caller(),
        qr_code(),
        option::of(amount()),
        option::of(text(1, 210)),
        transfer_type,
        option::of(date()),
    )
        .prop_map(
            |(caller, qr_code, amount, payment_note, transfer_type, due_date)| GetPaymentReq {
                caller,
                qr_code,
                amount,
                payment_note,
                transfer_type,
                due_date,
            },
        )
        .boxed()
}

fn get_payment_res_of(v2: bool) -> BoxedStrategy<GetPaymentRes> {
    let ok = payment_data(v2).prop_map(|d| GetPaymentRes {
        outcome: Outcome::Ok,
        fault: None,
        data: Some(d),
    });
    let ko = fault().prop_map(|f| GetPaymentRes {
        outcome: Outcome::Ko,
        fault: Some(f),
        data: None,
    });
    prop_oneof![3 => ok, 1 => ko].boxed()
}

/// An OK `paGetPaymentRes` / `paGetPaymentV2Response` (always with `data`).
pub fn get_payment_res_ok(v2: bool) -> BoxedStrategy<Message> {
    payment_data(v2)
        .prop_map(move |d| {
            let r = GetPaymentRes {
                outcome: Outcome::Ok,
                fault: None,
                data: Some(d),
            };
            Message::get_payment_res(r, v2)
        })
        .boxed()
}

/// `paGetPaymentReq`.
pub fn get_payment_req() -> BoxedStrategy<Message> {
    get_payment_req_of(false)
        .prop_map(Message::GetPaymentReq)
        .boxed()
}

/// `paGetPaymentRes`, OK with data or KO with fault.
pub fn get_payment_res() -> BoxedStrategy<Message> {
    get_payment_res_of(false)
        .prop_map(|m| Message::GetPaymentRes(Box::new(m)))
        .boxed()
}

/// `paGetPaymentV2Request`.
pub fn get_payment_v2_req() -> BoxedStrategy<Message> {
    get_payment_req_of(true)
        .prop_map(Message::GetPaymentV2Req)
        .boxed()
}

/// `paGetPaymentV2Response`, OK with data or KO with fault.
pub fn get_payment_v2_res() -> BoxedStrategy<Message> {
    get_payment_res_of(true)
        .prop_map(|m| Message::GetPaymentV2Res(Box::new(m)))
        .boxed()
}

fn send_rt_req_of(v2: bool) -> BoxedStrategy<SendRtReq> {
    (caller(), receipt(v2))
        .prop_map(|(caller, receipt)| SendRtReq { caller, receipt })
        .boxed()
}

fn simple_res() -> BoxedStrategy<SimpleRes> {
    prop_oneof![
        3 => Just(SimpleRes { outcome: Outcome::Ok, fault: None }),
        1 => fault().prop_map(|f| SimpleRes { outcome: Outcome::Ko, fault: Some(f) }),
    ]
    .boxed()
}

/// `paSendRTReq`.
pub fn send_rt_req() -> BoxedStrategy<Message> {
    send_rt_req_of(false)
        .prop_map(|m| Message::SendRtReq(Box::new(m)))
        .boxed()
}

/// `paSendRTRes`.
pub fn send_rt_res() -> BoxedStrategy<Message> {
    simple_res().prop_map(Message::SendRtRes).boxed()
}

/// `paSendRTV2Request`.
pub fn send_rt_v2_req() -> BoxedStrategy<Message> {
    send_rt_req_of(true)
        .prop_map(|m| Message::SendRtV2Req(Box::new(m)))
        .boxed()
}

/// `paSendRTV2Response`.
pub fn send_rt_v2_res() -> BoxedStrategy<Message> {
    simple_res().prop_map(Message::SendRtV2Res).boxed()
}

/// `paDemandPaymentNoticeRequest`.
pub fn demand_payment_notice_req() -> BoxedStrategy<Message> {
    (caller(), text(5, 5), text(5, 5), base64_of(0, 200))
        .prop_map(|(caller, id_servizio, id_soggetto_servizio, dati)| {
            Message::DemandPaymentNoticeReq(DemandPaymentNoticeReq {
                caller,
                id_servizio,
                id_soggetto_servizio,
                dati_specifici_servizio: dati,
            })
        })
        .boxed()
}

/// An OK `paDemandPaymentNoticeResponse`: qrCode, paymentList, fiscalCodePA and companyName
/// present, no fault.
pub fn demand_payment_notice_res_ok() -> BoxedStrategy<Message> {
    (
        qr_code(),
        payment_option(),
        option::of(text(1, 140)),
        fiscal_code_pa(),
        text(1, 140),
        option::of(text(1, 140)),
    )
        .prop_map(|(qr, o, description, fiscal, company, office)| {
            Message::DemandPaymentNoticeRes(DemandPaymentNoticeRes {
                outcome: Outcome::Ok,
                fault: None,
                qr_code: Some(qr),
                payment_option: Some(o),
                payment_description: description,
                fiscal_code_pa: Some(fiscal),
                company_name: Some(company),
                office_name: office,
            })
        })
        .boxed()
}

/// `paDemandPaymentNoticeResponse`, OK or KO (fault only).
pub fn demand_payment_notice_res() -> BoxedStrategy<Message> {
    let ko = fault().prop_map(|f| {
        Message::DemandPaymentNoticeRes(DemandPaymentNoticeRes {
            outcome: Outcome::Ko,
            fault: Some(f),
            qr_code: None,
            payment_option: None,
            payment_description: None,
            fiscal_code_pa: None,
            company_name: None,
            office_name: None,
        })
    });
    prop_oneof![3 => demand_payment_notice_res_ok(), 1 => ko].boxed()
}

/// Every shape with its wrapper element name, in `Primitive::ALL` order, request first.
pub fn variants() -> Vec<(&'static str, BoxedStrategy<Message>)> {
    vec![
        ("paVerifyPaymentNoticeReq", verify_payment_notice_req()),
        ("paVerifyPaymentNoticeRes", verify_payment_notice_res()),
        ("paGetPaymentReq", get_payment_req()),
        ("paGetPaymentRes", get_payment_res()),
        ("paGetPaymentV2Request", get_payment_v2_req()),
        ("paGetPaymentV2Response", get_payment_v2_res()),
        ("paSendRTReq", send_rt_req()),
        ("paSendRTRes", send_rt_res()),
        ("paSendRTV2Request", send_rt_v2_req()),
        ("paSendRTV2Response", send_rt_v2_res()),
        ("paDemandPaymentNoticeRequest", demand_payment_notice_req()),
        ("paDemandPaymentNoticeResponse", demand_payment_notice_res()),
    ]
}

/// Any of the twelve shapes, uniformly.
pub fn any_message() -> impl Strategy<Value = Message> {
    let arms: Vec<BoxedStrategy<Message>> = variants().into_iter().map(|(_, s)| s).collect();
    proptest::strategy::Union::new(arms)
}
