//! What the handler gives back: the typed answer before profiles deviate from it, and the
//! bytes-and-timing reply the transport sends.

use collaudo_wire::Message;
use std::time::Duration;

/// `Content-Type` of every SOAP 1.1 answer.
pub const CONTENT_TYPE_XML: &str = "text/xml; charset=utf-8";

/// What the transport must do for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationReply {
    /// HTTP status (200 for every pagoPA answer, KO included).
    pub status: u16,
    /// `Content-Type` header.
    pub content_type: &'static str,
    /// The body.
    pub body: Vec<u8>,
    /// Hold the answer this long before sending it.
    pub delay: Option<Duration>,
    /// Close the connection without answering at all.
    pub close_without_reply: bool,
}

impl StationReply {
    /// An XML answer with no delay.
    pub(crate) fn xml(status: u16, body: Vec<u8>) -> StationReply {
        StationReply {
            status,
            content_type: CONTENT_TYPE_XML,
            body,
            delay: None,
            close_without_reply: false,
        }
    }

    /// The body as text (lossy), for logs and tests.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// The correct answer to a request, before the profile's deviation.
#[derive(Debug, Clone, PartialEq)]
#[allow(
    clippy::large_enum_variant,
    reason = "made once per request and moved a few times: a box would cost every answer an \
              allocation (issue 9, \"Performance\")"
)]
pub(crate) enum Answer {
    /// A paForNode response (OK or KO).
    Message {
        /// The response.
        message: Message,
        /// The request was the Stand-In probe (verify of `000000000000000000`).
        probe: bool,
    },
    /// Last resort when not even the primitive can be told: a SOAP 1.1 Fault.
    SoapFault {
        /// `faultcode`.
        faultcode: String,
        /// `faultstring`.
        faultstring: String,
    },
}
