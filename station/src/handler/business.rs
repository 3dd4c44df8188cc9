//! What a correct EC does with each request (DOMAIN.md §3, §3.7, §4.1, §6, §7.3).

use super::dispatch::ko;
use super::reply::Answer;
use crate::date;
use crate::positions::{
    Booking, DEMAND_SERVICE, Payee, Position, PositionState, StoreInner, demand_position,
};
use crate::state::StationState;
use collaudo_wire::ident::STAND_IN_PROBE;
use collaudo_wire::{
    Amount, AmountOption, Beneficiary, Caller, DemandPaymentNoticeReq, DemandPaymentNoticeRes,
    FaultCode, GetPaymentReq, GetPaymentRes, MapEntry, Message, Outcome, PaymentData,
    PaymentOption, Primitive, QrCode, SendRtReq, SimpleRes, Transfer, TransferType,
    VerifyPaymentNoticeReq, VerifyPaymentNoticeRes,
};

/// Amount of a spontaneous payment whose service data names none.
const DEFAULT_DEMAND_CENTS: u64 = 2_500;

/// A business refusal: the fault code and a description for the fault bean.
struct Ko {
    code: FaultCode,
    description: String,
}

impl Ko {
    fn new(code: FaultCode, description: impl Into<String>) -> Ko {
        Ko {
            code,
            description: description.into(),
        }
    }
}

/// Route a parsed request to its primitive.
pub(super) fn dispatch(state: &StationState, request: &Message) -> Answer {
    let (primitive, _) = request.kind();
    let probe = matches!(request, Message::VerifyPaymentNoticeReq(r)
        if r.qr_code.notice_number == STAND_IN_PROBE);
    let result = match request {
        Message::VerifyPaymentNoticeReq(r) => verify(state, r),
        Message::GetPaymentReq(r) | Message::GetPaymentV2Req(r) => activate(state, r, primitive),
        Message::SendRtReq(r) | Message::SendRtV2Req(r) => receipt(state, r, primitive),
        Message::DemandPaymentNoticeReq(r) => demand(state, r),
        _ => Err(Ko::new(
            FaultCode::PaaSintassiExtraxsd,
            "a response is not a request",
        )),
    };
    match result {
        Ok(message) => {
            tracing::debug!(%primitive, "answered OK");
            Answer::Message { message, probe }
        }
        Err(k) => {
            tracing::debug!(%primitive, code = %k.code, "answered KO");
            match ko(state, primitive, k.code, Some(k.description)) {
                Answer::Message { message, .. } => Answer::Message { message, probe },
                other => other,
            }
        }
    }
}

/// idPA, idBrokerPA and idStation must be this station's.
fn check_caller(state: &StationState, caller: &Caller) -> Result<(), Ko> {
    let config = state.config();
    if !state.serves(&caller.id_pa) {
        return Err(Ko::new(
            FaultCode::PaaIdDominioErrato,
            format!("idPA {} is not served by this station", caller.id_pa),
        ));
    }
    if caller.id_broker_pa != config.id_broker_pa {
        return Err(Ko::new(
            FaultCode::PaaIdIntermediarioErrato,
            format!(
                "idBrokerPA {} is not this station's broker",
                caller.id_broker_pa
            ),
        ));
    }
    if caller.id_station != config.id_station {
        return Err(Ko::new(
            FaultCode::PaaStazioneIntErrata,
            format!("idStation {} is not this station", caller.id_station),
        ));
    }
    Ok(())
}

/// The position a verify or an activation may go on with, or the PAA code saying why not.
/// A binding due date that has passed moves the position to `Expired` on the way.
fn payable<'s>(s: &'s mut StoreInner, qr: &QrCode, today: &str) -> Result<&'s mut Position, Ko> {
    let unknown = || {
        Ko::new(
            FaultCode::PaaPagamentoSconosciuto,
            format!(
                "notice {} is unknown to EC {}",
                qr.notice_number, qr.fiscal_code
            ),
        )
    };
    let p = s
        .positions
        .get_mut(&qr.notice_number)
        .filter(|p| p.fiscal_code == qr.fiscal_code)
        .ok_or_else(unknown)?;
    let notice = &qr.notice_number;
    match &p.state {
        PositionState::Paid { .. } => Err(Ko::new(
            FaultCode::PaaPagamentoDuplicato,
            format!("notice {notice} is already paid"),
        )),
        PositionState::Cancelled => Err(Ko::new(
            FaultCode::PaaPagamentoAnnullato,
            format!("notice {notice} was cancelled"),
        )),
        PositionState::Expired => Err(expired(notice, &p.due_date)),
        PositionState::Open | PositionState::Activated { .. } => {
            if p.due_date_binding && p.due_date.as_str() < today {
                p.state = PositionState::Expired;
                Err(expired(notice, &p.due_date))
            } else {
                Ok(p)
            }
        }
    }
}

fn expired(notice: &str, due: &str) -> Ko {
    Ko::new(
        FaultCode::PaaPagamentoScaduto,
        format!("notice {notice} expired on {due}"),
    )
}

/// paVerifyPaymentNotice: the current amount, one option `EQ`, every tag but officeName.
/// The Stand-In probe is answered before touching the store, so it stays fast.
fn verify(state: &StationState, r: &VerifyPaymentNoticeReq) -> Result<Message, Ko> {
    check_caller(state, &r.caller)?;
    if r.qr_code.notice_number == STAND_IN_PROBE {
        return Err(Ko::new(
            FaultCode::PaaPagamentoSconosciuto,
            "Stand-In probe notice: no such payment",
        ));
    }
    let today = date::today();
    state.positions().with(|s| {
        let p = payable(s, &r.qr_code, &today)?;
        Ok(Message::VerifyPaymentNoticeRes(VerifyPaymentNoticeRes {
            outcome: Outcome::Ok,
            fault: None,
            payment_option: Some(PaymentOption {
                amount: p.amount,
                options: AmountOption::Eq,
                due_date: Some(p.due_date.clone()),
                detail_description: Some(p.description.clone()),
                all_ccp: p.all_ccp(),
            }),
            payment_description: Some(p.description.clone()),
            fiscal_code_pa: Some(p.fiscal_code.clone()),
            company_name: Some(p.company_name.clone()),
            office_name: p.office_name.clone(),
        }))
    })
}

/// paGetPayment / paGetPaymentV2: the payment data with paymentAmount = Σ transferAmount.
/// The position becomes `Activated` but stays payable: only a receipt closes it (ACT-008).
fn activate(state: &StationState, r: &GetPaymentReq, primitive: Primitive) -> Result<Message, Ko> {
    check_caller(state, &r.caller)?;
    let v2 = primitive == Primitive::GetPaymentV2;
    let today = date::today();
    let data = state.positions().with(|s| {
        let p = payable(s, &r.qr_code, &today)?;
        if !v2 && p.has_stamp() {
            return Err(Ko::new(
                FaultCode::PaaSemantica,
                "a notice with a digital stamp can only be paid through paGetPaymentV2",
            ));
        }
        let data = payment_data(state, p, v2, r.transfer_type);
        if p.state == PositionState::Open {
            p.state = PositionState::Activated { token: None };
        }
        Ok(data)
    })?;
    let res = GetPaymentRes {
        outcome: Outcome::Ok,
        fault: None,
        data: Some(data),
    };
    Ok(Message::get_payment_res(res, v2))
}

/// The `data` of an activation, with the account rules of DOMAIN.md §3.7: `POSTAL` puts the
/// EC's postal account on transfer 1; `PAGOPA` adds `IBANAPPOGGIO` (the EC's postal account)
/// to every transfer that has an account.
fn payment_data(
    state: &StationState,
    p: &Position,
    v2: bool,
    transfer_type: Option<TransferType>,
) -> PaymentData {
    let bo = state.back_office();
    let transfers = p
        .transfers
        .iter()
        .map(|t| {
            let ec_postal = || bo.postal_iban(&t.fiscal_code_pa).map(str::to_string);
            let beneficiary = match &t.payee {
                Payee::Iban { iban, postal_iban } => {
                    let postal = (transfer_type == Some(TransferType::Postal)
                        && t.id_transfer == 1)
                        .then(|| postal_iban.clone().or_else(ec_postal))
                        .flatten();
                    Beneficiary::Iban(postal.unwrap_or_else(|| iban.clone()))
                }
                Payee::Stamp(m) => Beneficiary::MarcaDaBollo(m.clone()),
            };
            let mut metadata = t.metadata.clone();
            if transfer_type == Some(TransferType::Pagopa) && matches!(t.payee, Payee::Iban { .. })
            {
                if let Some(postal) = ec_postal() {
                    metadata.push(MapEntry {
                        key: "IBANAPPOGGIO".to_string(),
                        value: postal,
                    });
                }
            }
            Transfer {
                id_transfer: t.id_transfer,
                transfer_amount: t.amount,
                fiscal_code_pa: t.fiscal_code_pa.clone(),
                company_name: v2.then(|| t.company_name.clone()),
                beneficiary,
                remittance_information: t.remittance_information.clone(),
                transfer_category: t.transfer_category.clone(),
                metadata,
            }
        })
        .collect::<Vec<_>>();
    PaymentData {
        creditor_reference_id: p.iuv.clone(),
        payment_amount: Amount::sum(transfers.iter().map(|t| t.transfer_amount)),
        due_date: p.due_date.clone(),
        retention_date: None,
        last_payment: None,
        description: p.description.clone(),
        company_name: Some(p.company_name.clone()),
        office_name: p.office_name.clone(),
        debtor: p.debtor.clone(),
        transfers,
        metadata: p.metadata.clone(),
    }
}

/// paSendRT / paSendRTV2: book the receipt once per `receiptId` and answer OK, also for a
/// notice the station did not issue or an amount it did not expect: a receipt attests a
/// payment and cannot be refused (DOMAIN.md §6, RT-006). A second delivery is answered OK
/// rather than PAA_RECEIPT_DUPLICATA because how the Nodo treats that KO is undocumented, and
/// OK surely ends its retries.
///
/// Profiles: `flaky-receipts` refuses the first deliveries of each receipt as soon as the caller
/// is checked, before any booking; `rejects-duplicates-wrongly` refuses a new delivery of a
/// receipt already booked; `duplicate-booking` books it again.
fn receipt(state: &StationState, r: &SendRtReq, primitive: Primitive) -> Result<Message, Ko> {
    check_caller(state, &r.caller)?;
    let rc = &r.receipt;
    let profile = state.config().profile;
    if let Some(why) =
        profile.refuses_receipt_delivery(state.config(), state.profile_memory(), &rc.receipt_id)
    {
        tracing::info!(receipt_id = %rc.receipt_id, "receipt delivery refused by the flaky-receipts profile");
        return Err(Ko::new(FaultCode::PaaSystemError, why));
    }
    let ok = SimpleRes {
        outcome: Outcome::Ok,
        fault: None,
    };
    let ok = if primitive == Primitive::SendRtV2 {
        Message::SendRtV2Res(ok)
    } else {
        Message::SendRtRes(ok)
    };
    if rc.outcome == Outcome::Ko {
        // Only successful payments produce receipts in the new model; a KO one books nothing.
        tracing::info!(receipt_id = %rc.receipt_id, "receipt with outcome KO acknowledged, not booked");
        return Ok(ok);
    }
    let book_again = profile.books_duplicate_receipts();
    state.positions().with(|s| {
        let seen = s
            .bookings_of(&rc.notice_number)
            .any(|b| b.receipt_id == rc.receipt_id);
        if seen && !book_again {
            if let Some(code) = profile.duplicate_receipt_fault() {
                return Err(Ko::new(
                    code,
                    format!("receipt {} was already received", rc.receipt_id),
                ));
            }
            tracing::info!(receipt_id = %rc.receipt_id, "duplicate receipt acknowledged, not booked again");
            return Ok(());
        }
        let position = s
            .positions
            .get_mut(&rc.notice_number)
            .filter(|p| p.fiscal_code == rc.fiscal_code);
        let known_position = position.is_some();
        if let Some(p) = position {
            if !matches!(p.state, PositionState::Paid { .. }) {
                p.state = PositionState::Paid {
                    receipt_id: Some(rc.receipt_id.clone()),
                };
            }
        }
        s.book(Booking {
            receipt_id: rc.receipt_id.clone(),
            notice_number: rc.notice_number.clone(),
            fiscal_code: rc.fiscal_code.clone(),
            id_pa: r.caller.id_pa.clone(),
            amount_cents: rc.payment_amount.cents(),
            primitive,
            stand_in: rc.stand_in.unwrap_or(false),
            known_position,
        });
        Ok(())
    })?;
    Ok(ok)
}

/// Decode standard base64 (whitespace ignored, padding optional).
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            c if c.is_ascii_whitespace() => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xFF).ok()?);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The text of the first `<name>…</name>` in `xml`, if any.
fn element_text<'x>(xml: &'x str, name: &str) -> Option<&'x str> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = xml.find(&open)? + open.len();
    let len = xml.get(start..)?.find(&close)?;
    xml.get(start..start + len)
}

/// paDemandPaymentNotice: service [`DEMAND_SERVICE`] creates a new position. Its service data
/// is any XML document; an `<importo>` element, when present, sets the amount.
fn demand(state: &StationState, r: &DemandPaymentNoticeReq) -> Result<Message, Ko> {
    check_caller(state, &r.caller)?;
    if r.id_servizio != DEMAND_SERVICE {
        return Err(Ko::new(
            FaultCode::PaaSemantica,
            format!(
                "service {} is not offered (only {DEMAND_SERVICE})",
                r.id_servizio
            ),
        ));
    }
    let bytes = decode_base64(&r.dati_specifici_servizio).ok_or_else(|| {
        Ko::new(
            FaultCode::PaaSintassiXsd,
            "datiSpecificiServizioRequest is not base64",
        )
    })?;
    let xml = String::from_utf8(bytes)
        .ok()
        .filter(|t| t.trim_start().starts_with('<'))
        .ok_or_else(|| {
            Ko::new(
                FaultCode::PaaSemantica,
                "service data is not an XML document",
            )
        })?;
    let amount = match element_text(&xml, "importo") {
        None => Amount::from_cents(DEFAULT_DEMAND_CENTS),
        Some(text) => Amount::parse(text.trim())
            .filter(|a| (1..=Amount::MAX_CENTS).contains(&a.cents()))
            .ok_or_else(|| {
                Ko::new(
                    FaultCode::PaaSemantica,
                    format!("importo {:?} is not an amount", text.trim()),
                )
            })?,
    };
    let description = format!("Pagamento spontaneo - servizio {}", r.id_servizio);
    let issuer = state.issuer_for(&r.caller.id_pa);
    let p = state.positions().with(|s| {
        let base = s.next_demand_base;
        let p = demand_position(&issuer, base, amount, &description)
            .map_err(|e| Ko::new(FaultCode::PaaSystemError, e.to_string()))?;
        s.next_demand_base = base.saturating_add(1);
        s.positions
            .insert(p.notice_number.as_str().to_string(), p.clone());
        Ok(p)
    })?;
    // A new position goes to ACA like any other (DOMAIN.md §8); the server sends the call
    // before this answer leaves, since the handler itself does no I/O.
    state.defer_aca_registration(p.notice_number.as_str());
    Ok(Message::DemandPaymentNoticeRes(DemandPaymentNoticeRes {
        outcome: Outcome::Ok,
        fault: None,
        qr_code: Some(QrCode {
            fiscal_code: p.fiscal_code.clone(),
            notice_number: p.notice_number.as_str().to_string(),
        }),
        payment_option: Some(PaymentOption {
            amount: p.amount,
            options: AmountOption::Eq,
            due_date: Some(p.due_date.clone()),
            detail_description: Some(description.clone()),
            all_ccp: p.all_ccp(),
        }),
        payment_description: Some(description),
        fiscal_code_pa: Some(p.fiscal_code.clone()),
        company_name: Some(p.company_name.clone()),
        office_name: p.office_name.clone(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(
            decode_base64("PGE+PC9hPg==").as_deref(),
            Some(&b"<a></a>"[..])
        );
        assert_eq!(
            decode_base64("PGE+PC9hPg").as_deref(),
            Some(&b"<a></a>"[..])
        );
        assert_eq!(
            decode_base64("PGE+\n PC9hPg==").as_deref(),
            Some(&b"<a></a>"[..])
        );
        assert_eq!(decode_base64(""), Some(Vec::new()));
        assert_eq!(decode_base64("P*E+"), None);
    }

    #[test]
    fn element_text_finds_the_first_element() {
        assert_eq!(
            element_text("<x><importo>1.00</importo></x>", "importo"),
            Some("1.00")
        );
        assert_eq!(element_text("<x><importo>1.00</x>", "importo"), None);
        assert_eq!(element_text("<x/>", "importo"), None);
    }
}
