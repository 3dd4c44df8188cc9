//! The fault bean (`ctFaultBean`) and the PAA_* / PPT_* fault codes (DOMAIN.md §4).
//!
//! The Nodo relays *any* EC code, even unknown ones (its own tests use `PAA_CIAO`), so the
//! code type keeps unknown codes verbatim instead of refusing them.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

macro_rules! fault_codes {
    ($( $(#[$doc:meta])* $variant:ident = $text:literal, )*) => {
        /// A pagoPA fault code; unknown codes are kept verbatim in [`FaultCode::Other`].
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum FaultCode {
            $( $(#[$doc])* $variant, )*
            /// A code outside the catalogue, kept as sent.
            Other(String),
        }

        impl FaultCode {
            /// Every catalogued code.
            pub const ALL: &'static [FaultCode] = &[ $( FaultCode::$variant, )* ];

            /// The code as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( FaultCode::$variant => $text, )*
                    FaultCode::Other(s) => s,
                }
            }

            /// Parse a code; never fails.
            pub fn parse(s: &str) -> FaultCode {
                match s {
                    $( $text => FaultCode::$variant, )*
                    other => FaultCode::Other(other.to_string()),
                }
            }
        }
    };
}

fault_codes! {
    /// Request fails XSD validation.
    PaaSintassiXsd = "PAA_SINTASSI_XSD",
    /// Syntax error beyond the XSD.
    PaaSintassiExtraxsd = "PAA_SINTASSI_EXTRAXSD",
    /// idPA not served by this EC/station.
    PaaIdDominioErrato = "PAA_ID_DOMINIO_ERRATO",
    /// idBrokerPA not recognised.
    PaaIdIntermediarioErrato = "PAA_ID_INTERMEDIARIO_ERRATO",
    /// idStation not recognised.
    PaaStazioneIntErrata = "PAA_STAZIONE_INT_ERRATA",
    /// Notice unknown to the EC.
    PaaPagamentoSconosciuto = "PAA_PAGAMENTO_SCONOSCIUTO",
    /// Notice already paid.
    PaaPagamentoDuplicato = "PAA_PAGAMENTO_DUPLICATO",
    /// Payment in progress at the EC.
    PaaPagamentoInCorso = "PAA_PAGAMENTO_IN_CORSO",
    /// Notice expired.
    PaaPagamentoScaduto = "PAA_PAGAMENTO_SCADUTO",
    /// Notice cancelled.
    PaaPagamentoAnnullato = "PAA_PAGAMENTO_ANNULLATO",
    /// Receipt already received.
    PaaReceiptDuplicata = "PAA_RECEIPT_DUPLICATA",
    /// Generic semantic error.
    PaaSemantica = "PAA_SEMANTICA",
    /// Generic EC failure.
    PaaSystemError = "PAA_SYSTEM_ERROR",
    /// Syntax error (REST payment-options API).
    PaaSintassi = "PAA_SINTASSI",
    /// Legacy RPT/RT code.
    PaaAttivaRptImportoNonValido = "PAA_ATTIVA_RPT_IMPORTO_NON_VALIDO",
    /// Legacy RPT/RT code.
    PaaErDuplicata = "PAA_ER_DUPLICATA",
    /// Legacy RPT/RT code.
    PaaErroreFormatoBustaFirmata = "PAA_ERRORE_FORMATO_BUSTA_FIRMATA",
    /// Legacy RPT/RT code.
    PaaFirmaErrata = "PAA_FIRMA_ERRATA",
    /// Legacy RPT/RT code.
    PaaFirmaIndisponibile = "PAA_FIRMA_INDISPONIBILE",
    /// Legacy RPT/RT code.
    PaaRptSconosciuta = "PAA_RPT_SCONOSCIUTA",
    /// Legacy RPT/RT code.
    PaaRtDuplicata = "PAA_RT_DUPLICATA",
    /// Legacy RPT/RT code.
    PaaRtSconosciuta = "PAA_RT_SCONOSCIUTA",
    /// Legacy RPT/RT code.
    PaaTipofirmaSconosciuto = "PAA_TIPOFIRMA_SCONOSCIUTO",
    /// Caller request not XSD-valid.
    PptSintassiXsd = "PPT_SINTASSI_XSD",
    /// Caller request syntax error beyond XSD.
    PptSintassiExtraxsd = "PPT_SINTASSI_EXTRAXSD",
    /// Generic semantic error.
    PptSemantica = "PPT_SEMANTICA",
    /// Nodo internal failure.
    PptSystemError = "PPT_SYSTEM_ERROR",
    /// Bad credentials.
    PptAutenticazione = "PPT_AUTENTICAZIONE",
    /// Not authorised.
    PptAutorizzazione = "PPT_AUTORIZZAZIONE",
    /// Wrong SOAPAction.
    PptSoapactionErrata = "PPT_SOAPACTION_ERRATA",
    /// EC unknown.
    PptDominioSconosciuto = "PPT_DOMINIO_SCONOSCIUTO",
    /// EC disabled.
    PptDominioDisabilitato = "PPT_DOMINIO_DISABILITATO",
    /// EC broker unknown.
    PptIntermediarioPaSconosciuto = "PPT_INTERMEDIARIO_PA_SCONOSCIUTO",
    /// EC broker disabled.
    PptIntermediarioPaDisabilitato = "PPT_INTERMEDIARIO_PA_DISABILITATO",
    /// Station unknown.
    PptStazioneIntPaSconosciuta = "PPT_STAZIONE_INT_PA_SCONOSCIUTA",
    /// Station disabled.
    PptStazioneIntPaDisabilitata = "PPT_STAZIONE_INT_PA_DISABILITATA",
    /// Connection to the station failed.
    PptStazioneIntPaIrraggiungibile = "PPT_STAZIONE_INT_PA_IRRAGGIUNGIBILE",
    /// Station did not answer in time.
    PptStazioneIntPaTimeout = "PPT_STAZIONE_INT_PA_TIMEOUT",
    /// Station service inactive (error-catalogue spelling).
    PptStazioneIntPaServizioNonattivo = "PPT_STAZIONE_INT_PA_SERVIZIO_NONATTIVO",
    /// Station service inactive (Stand-In pages spelling, DOMAIN.md §15 item 2).
    PptStazioneIntPaServizioNonAttivo = "PPT_STAZIONE_INT_PA_SERVIZIO_NON_ATTIVO",
    /// Station response empty, XSD-invalid or semantically invalid.
    PptStazioneIntPaErroreResponse = "PPT_STAZIONE_INT_PA_ERRORE_RESPONSE",
    /// Station returned a valid KO.
    PptErroreEmessoDaPaa = "PPT_ERRORE_EMESSO_DA_PAA",
    /// IBAN not registered for the EC.
    PptIbanNonCensito = "PPT_IBAN_NON_CENSITO",
    /// PSP unknown.
    PptPspSconosciuto = "PPT_PSP_SCONOSCIUTO",
    /// PSP disabled.
    PptPspDisabilitato = "PPT_PSP_DISABILITATO",
    /// PSP broker unknown.
    PptIntermediarioPspSconosciuto = "PPT_INTERMEDIARIO_PSP_SCONOSCIUTO",
    /// PSP broker disabled.
    PptIntermediarioPspDisabilitato = "PPT_INTERMEDIARIO_PSP_DISABILITATO",
    /// Channel unknown.
    PptCanaleSconosciuto = "PPT_CANALE_SCONOSCIUTO",
    /// Channel disabled.
    PptCanaleDisabilitato = "PPT_CANALE_DISABILITATO",
    /// PSP channel unreachable.
    PptCanaleIrraggiungibile = "PPT_CANALE_IRRAGGIUNGIBILE",
    /// PSP channel timeout.
    PptCanaleTimeout = "PPT_CANALE_TIMEOUT",
    /// PSP channel service inactive.
    PptCanaleServizioNonattivo = "PPT_CANALE_SERVIZIO_NONATTIVO",
    /// PSP channel error.
    PptCanaleErrore = "PPT_CANALE_ERRORE",
    /// PSP channel invalid response.
    PptCanaleErroreResponse = "PPT_CANALE_ERRORE_RESPONSE",
    /// PSP channel unavailable.
    PptCanaleIndisponibile = "PPT_CANALE_INDISPONIBILE",
    /// PSP channel not resolvable.
    PptCanaleNonrisolvibile = "PPT_CANALE_NONRISOLVIBILE",
    /// PSP channel immediate-payment parameter error.
    PptCanaleErrParamPagImm = "PPT_CANALE_ERR_PARAM_PAG_IMM",
    /// Unknown PSP infrastructure coding.
    PptCodificaPspSconosciuta = "PPT_CODIFICA_PSP_SCONOSCIUTA",
    /// Payment in progress on the Nodo.
    PptPagamentoInCorso = "PPT_PAGAMENTO_IN_CORSO",
    /// Payment already done on the Nodo.
    PptPagamentoDuplicato = "PPT_PAGAMENTO_DUPLICATO",
    /// Payment unknown to the Nodo.
    PptPagamentoSconosciuto = "PPT_PAGAMENTO_SCONOSCIUTO",
    /// Activation in progress.
    PptAttivazioneInCorso = "PPT_ATTIVAZIONE_IN_CORSO",
    /// Idempotency-key misuse.
    PptErroreIdempotenza = "PPT_ERRORE_IDEMPOTENZA",
    /// Payment token unknown.
    PptTokenSconosciuto = "PPT_TOKEN_SCONOSCIUTO",
    /// Payment token expired.
    PptTokenScaduto = "PPT_TOKEN_SCADUTO",
    /// Payment token expired (KO variant).
    PptTokenScadutoKo = "PPT_TOKEN_SCADUTO_KO",
    /// Outcome already recorded.
    PptEsitoGiaAcquisito = "PPT_ESITO_GIA_ACQUISITO",
    /// Call incompatible with the new model.
    PptMultiBeneficiario = "PPT_MULTI_BENEFICIARIO",
    /// A Nodo threshold temporarily exceeded.
    PptSuperamentosoglia = "PPT_SUPERAMENTOSOGLIA",
    /// Service not active.
    PptServizioNonattivo = "PPT_SERVIZIO_NONATTIVO",
    /// Reporting-flow id unknown.
    PptIdFlussoSconosciuto = "PPT_ID_FLUSSO_SCONOSCIUTO",
    /// Reporting flow duplicated.
    PptFlussoDuplicato = "PPT_FLUSSO_DUPLICATO",
    /// Legacy RPT/RT/WISP code.
    PptRptDuplicata = "PPT_RPT_DUPLICATA",
    /// Legacy RPT/RT/WISP code.
    PptRptSconosciuta = "PPT_RPT_SCONOSCIUTA",
    /// Legacy RPT/RT/WISP code.
    PptRptNonInoltrabile = "PPT_RPT_NON_INOLTRABILE",
    /// Legacy RPT/RT/WISP code.
    PptRtDuplicata = "PPT_RT_DUPLICATA",
    /// Legacy RPT/RT/WISP code.
    PptRtSconosciuta = "PPT_RT_SCONOSCIUTA",
    /// Legacy RPT/RT/WISP code.
    PptRtNondisponibile = "PPT_RT_NONDISPONIBILE",
    /// Legacy RPT/RT/WISP code.
    PptRtInGestione = "PPT_RT_IN_GESTIONE",
    /// Legacy RPT/RT/WISP code.
    PptRtSegnoDiscorde = "PPT_RT_SEGNO_DISCORDE",
    /// Legacy RPT/RT/WISP code.
    PptRrDuplicata = "PPT_RR_DUPLICATA",
    /// Legacy RPT/RT/WISP code.
    PptIdCarrelloDuplicato = "PPT_ID_CARRELLO_DUPLICATO",
    /// Legacy RPT/RT/WISP code.
    PptIscrizioneNonPresente = "PPT_ISCRIZIONE_NON_PRESENTE",
    /// Legacy RPT/RT/WISP code.
    PptUlterioreIscrizione = "PPT_ULTERIORE_ISCRIZIONE",
    /// Legacy RPT/RT/WISP code.
    PptOperNonRevocabile = "PPT_OPER_NON_REVOCABILE",
    /// Legacy RPT/RT/WISP code.
    PptOperNonStornabile = "PPT_OPER_NON_STORNABILE",
    /// Legacy RPT/RT/WISP code.
    PptErroreFormatoBustaFirmata = "PPT_ERRORE_FORMATO_BUSTA_FIRMATA",
    /// Legacy RPT/RT/WISP code.
    PptFirmaIndisponibile = "PPT_FIRMA_INDISPONIBILE",
    /// Legacy RPT/RT/WISP code.
    PptTipofirmaSconosciuto = "PPT_TIPOFIRMA_SCONOSCIUTO",
    /// Legacy RPT/RT/WISP code.
    PptWispSessioneSconosciuta = "PPT_WISP_SESSIONE_SCONOSCIUTA",
    /// Legacy RPT/RT/WISP code.
    PptWispTimeoutRecuperoScelta = "PPT_WISP_TIMEOUT_RECUPERO_SCELTA",
}

impl FaultCode {
    /// True for codes issued by an EC (`PAA_` prefix), catalogued or not.
    pub fn is_paa(&self) -> bool {
        self.as_str().starts_with("PAA_")
    }

    /// True for the three codes the Stand-In monitor counts (DOMAIN.md §7.1), in either spelling.
    pub fn is_station_unavailable(&self) -> bool {
        matches!(
            self,
            FaultCode::PptStazioneIntPaIrraggiungibile
                | FaultCode::PptStazioneIntPaTimeout
                | FaultCode::PptStazioneIntPaServizioNonattivo
                | FaultCode::PptStazioneIntPaServizioNonAttivo
        )
    }
}

impl fmt::Display for FaultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for FaultCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for FaultCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(FaultCode::parse(&s))
    }
}

/// `ctFaultBean`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultBean {
    /// `faultCode`.
    pub fault_code: FaultCode,
    /// `faultString`.
    pub fault_string: String,
    /// `id`: the issuer (EC domain or broker id, or `NodoDeiPagamentiSPC`).
    pub id: String,
    /// `description`.
    pub description: Option<String>,
    /// `serial`.
    pub serial: Option<i32>,
    /// `originalFaultCode` (set by the Nodo when relaying).
    pub original_fault_code: Option<String>,
    /// `originalFaultString`.
    pub original_fault_string: Option<String>,
    /// `originalDescription`.
    pub original_description: Option<String>,
}

impl FaultBean {
    /// A fault bean with code, string and id only.
    pub fn new(code: FaultCode, fault_string: impl Into<String>, id: impl Into<String>) -> Self {
        FaultBean {
            fault_code: code,
            fault_string: fault_string.into(),
            id: id.into(),
            description: None,
            serial: None,
            original_fault_code: None,
            original_fault_string: None,
            original_description: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_codes_are_kept() {
        for c in FaultCode::ALL {
            assert_eq!(&FaultCode::parse(c.as_str()), c);
        }
        assert_eq!(
            FaultCode::parse("PAA_CIAO"),
            FaultCode::Other("PAA_CIAO".into())
        );
        assert!(FaultCode::parse("PAA_CIAO").is_paa());
        assert!(FaultCode::PptStazioneIntPaServizioNonAttivo.is_station_unavailable());
        assert!(!FaultCode::PptStazioneIntPaErroreResponse.is_station_unavailable());
    }
}
