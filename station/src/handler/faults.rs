//! The station's fault beans and KO responses (DOMAIN.md §4): `id` is the station's
//! `idBrokerPA`, as the reference EC implementation does, and the fault string is a short
//! Italian / English text.

use crate::config::StationConfig;
use collaudo_wire::{
    DemandPaymentNoticeRes, FaultBean, FaultCode, GetPaymentRes, Message, Outcome, Primitive,
    SimpleRes, VerifyPaymentNoticeRes,
};

/// Longest `description` the station writes; request excerpts beyond it add nothing.
const MAX_DESCRIPTION: usize = 512;

fn fault_string(code: &FaultCode) -> &'static str {
    match code {
        FaultCode::PaaSintassiXsd => "Errore di sintassi XSD / XSD syntax error",
        FaultCode::PaaSintassiExtraxsd => "Errore di sintassi extra XSD / syntax error",
        FaultCode::PaaIdDominioErrato => "Identificativo dominio errato / wrong idPA",
        FaultCode::PaaIdIntermediarioErrato => {
            "Identificativo intermediario errato / wrong idBrokerPA"
        }
        FaultCode::PaaStazioneIntErrata => "Stazione intermediario errata / wrong idStation",
        FaultCode::PaaPagamentoSconosciuto => "Pagamento sconosciuto / unknown payment",
        FaultCode::PaaPagamentoDuplicato => "Pagamento duplicato / already paid",
        FaultCode::PaaPagamentoInCorso => "Pagamento in corso / payment in progress",
        FaultCode::PaaPagamentoScaduto => "Pagamento scaduto / payment expired",
        FaultCode::PaaPagamentoAnnullato => "Pagamento annullato / payment cancelled",
        FaultCode::PaaReceiptDuplicata => "Ricevuta duplicata / duplicate receipt",
        FaultCode::PaaSemantica => "Errore semantico / semantic error",
        FaultCode::PaaSystemError => "Errore di sistema / system error",
        _ => "Errore / error",
    }
}

/// A fault bean issued by this station.
pub(crate) fn fault_bean(
    config: &StationConfig,
    code: FaultCode,
    description: Option<String>,
) -> FaultBean {
    let mut bean = FaultBean::new(code.clone(), fault_string(&code), &config.id_broker_pa);
    bean.description = description.map(|d| {
        if d.chars().count() > MAX_DESCRIPTION {
            d.chars().take(MAX_DESCRIPTION).collect()
        } else {
            d
        }
    });
    bean
}

/// The KO response of `primitive` carrying `fault`.
pub(crate) fn ko_message(primitive: Primitive, fault: FaultBean) -> Message {
    let fault = Some(fault);
    let outcome = Outcome::Ko;
    match primitive {
        Primitive::VerifyPaymentNotice => Message::VerifyPaymentNoticeRes(VerifyPaymentNoticeRes {
            outcome,
            fault,
            payment_option: None,
            payment_description: None,
            fiscal_code_pa: None,
            company_name: None,
            office_name: None,
        }),
        Primitive::GetPayment | Primitive::GetPaymentV2 => Message::get_payment_res(
            GetPaymentRes {
                outcome,
                fault,
                data: None,
            },
            primitive == Primitive::GetPaymentV2,
        ),
        Primitive::SendRt => Message::SendRtRes(SimpleRes { outcome, fault }),
        Primitive::SendRtV2 => Message::SendRtV2Res(SimpleRes { outcome, fault }),
        Primitive::DemandPaymentNotice => Message::DemandPaymentNoticeRes(DemandPaymentNoticeRes {
            outcome,
            fault,
            qr_code: None,
            payment_option: None,
            payment_description: None,
            fiscal_code_pa: None,
            company_name: None,
            office_name: None,
        }),
    }
}
