//! The six EC-side primitives, their wrapper elements and the message sum type.

use crate::model::*;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// An EC-side primitive (the Nodo calls it on the station).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Primitive {
    /// `paVerifyPaymentNotice`.
    #[serde(rename = "paVerifyPaymentNotice")]
    VerifyPaymentNotice,
    /// `paGetPayment`.
    #[serde(rename = "paGetPayment")]
    GetPayment,
    /// `paGetPaymentV2`.
    #[serde(rename = "paGetPaymentV2")]
    GetPaymentV2,
    /// `paSendRT`.
    #[serde(rename = "paSendRT")]
    SendRt,
    /// `paSendRTV2`.
    #[serde(rename = "paSendRTV2")]
    SendRtV2,
    /// `paDemandPaymentNotice`.
    #[serde(rename = "paDemandPaymentNotice")]
    DemandPaymentNotice,
}

/// Request or response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Nodo → station.
    Request,
    /// Station → Nodo.
    Response,
}

/// The wrapper element names, once: `wrappers!(primitive, direction, prefix)` is the name of
/// that wrapper with the literal `prefix` before it.
macro_rules! wrappers {
    ($p:expr, $d:expr, $prefix:literal) => {
        match ($p, $d) {
            (Primitive::VerifyPaymentNotice, Direction::Request) => {
                concat!($prefix, "paVerifyPaymentNoticeReq")
            }
            (Primitive::VerifyPaymentNotice, Direction::Response) => {
                concat!($prefix, "paVerifyPaymentNoticeRes")
            }
            (Primitive::GetPayment, Direction::Request) => concat!($prefix, "paGetPaymentReq"),
            (Primitive::GetPayment, Direction::Response) => concat!($prefix, "paGetPaymentRes"),
            (Primitive::GetPaymentV2, Direction::Request) => {
                concat!($prefix, "paGetPaymentV2Request")
            }
            (Primitive::GetPaymentV2, Direction::Response) => {
                concat!($prefix, "paGetPaymentV2Response")
            }
            (Primitive::SendRt, Direction::Request) => concat!($prefix, "paSendRTReq"),
            (Primitive::SendRt, Direction::Response) => concat!($prefix, "paSendRTRes"),
            (Primitive::SendRtV2, Direction::Request) => concat!($prefix, "paSendRTV2Request"),
            (Primitive::SendRtV2, Direction::Response) => concat!($prefix, "paSendRTV2Response"),
            (Primitive::DemandPaymentNotice, Direction::Request) => {
                concat!($prefix, "paDemandPaymentNoticeRequest")
            }
            (Primitive::DemandPaymentNotice, Direction::Response) => {
                concat!($prefix, "paDemandPaymentNoticeResponse")
            }
        }
    };
}

impl Primitive {
    /// All primitives.
    pub const ALL: [Primitive; 6] = [
        Primitive::VerifyPaymentNotice,
        Primitive::GetPayment,
        Primitive::GetPaymentV2,
        Primitive::SendRt,
        Primitive::SendRtV2,
        Primitive::DemandPaymentNotice,
    ];

    /// The operation name, which is also the SOAPAction value.
    pub fn name(self) -> &'static str {
        match self {
            Primitive::VerifyPaymentNotice => "paVerifyPaymentNotice",
            Primitive::GetPayment => "paGetPayment",
            Primitive::GetPaymentV2 => "paGetPaymentV2",
            Primitive::SendRt => "paSendRT",
            Primitive::SendRtV2 => "paSendRTV2",
            Primitive::DemandPaymentNotice => "paDemandPaymentNotice",
        }
    }

    /// Parse an operation name, also accepting the SOAPAction forms with quotes.
    pub fn from_soap_action(action: &str) -> Option<Primitive> {
        let a = action.trim().trim_matches('"');
        // Some clients send a URI-style action ending with the operation name. (A byte search:
        // the station reads this header on every request, and `rsplit` with a set of chars
        // cost more than the rest of the lookup.)
        let a = a
            .bytes()
            .rposition(|b| b == b'/' || b == b'#')
            .map_or(a, |at| &a[at + 1..]);
        Primitive::ALL.into_iter().find(|p| p.name() == a)
    }

    /// The wrapper element of the request or response.
    pub fn element(self, dir: Direction) -> &'static str {
        wrappers!(self, dir, "")
    }

    /// [`Primitive::element`] with the canonical `pafn:` prefix, spelled out: every message
    /// collaudo writes (and every answer of the reference station) starts with it.
    pub fn canonical_element(self, dir: Direction) -> &'static str {
        wrappers!(self, dir, "pafn:")
    }

    /// Which primitive and direction a wrapper element name stands for.
    pub fn from_element(local: &str) -> Option<(Primitive, Direction)> {
        Primitive::ALL.into_iter().find_map(|p| {
            [Direction::Request, Direction::Response]
                .into_iter()
                .find(|&d| p.element(d) == local)
                .map(|d| (p, d))
        })
    }

    /// The Nodo's timeout toward the EC for this primitive (DOMAIN.md §11): 7 s, 15 s for receipts.
    pub fn nodo_timeout(self) -> Duration {
        match self {
            Primitive::SendRt | Primitive::SendRtV2 => Duration::from_secs(15),
            _ => Duration::from_secs(7),
        }
    }

    /// True for the V2 flavours.
    pub fn is_v2(self) -> bool {
        matches!(self, Primitive::GetPaymentV2 | Primitive::SendRtV2)
    }
}

impl fmt::Display for Primitive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Any EC-side message, request or response.
///
/// The receipt request and the activation response are boxed: inline, they made every
/// message, a verify's too, 1 104 bytes, copied at each move (issue 9, "Performance"); boxed,
/// a message is 400.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "element", content = "body")]
pub enum Message {
    /// `paVerifyPaymentNoticeReq`.
    #[serde(rename = "paVerifyPaymentNoticeReq")]
    VerifyPaymentNoticeReq(VerifyPaymentNoticeReq),
    /// `paVerifyPaymentNoticeRes`.
    #[serde(rename = "paVerifyPaymentNoticeRes")]
    VerifyPaymentNoticeRes(VerifyPaymentNoticeRes),
    /// `paGetPaymentReq`.
    #[serde(rename = "paGetPaymentReq")]
    GetPaymentReq(GetPaymentReq),
    /// `paGetPaymentRes`.
    #[serde(rename = "paGetPaymentRes")]
    GetPaymentRes(Box<GetPaymentRes>),
    /// `paGetPaymentV2Request`.
    #[serde(rename = "paGetPaymentV2Request")]
    GetPaymentV2Req(GetPaymentReq),
    /// `paGetPaymentV2Response`.
    #[serde(rename = "paGetPaymentV2Response")]
    GetPaymentV2Res(Box<GetPaymentRes>),
    /// `paSendRTReq`.
    #[serde(rename = "paSendRTReq")]
    SendRtReq(Box<SendRtReq>),
    /// `paSendRTRes`.
    #[serde(rename = "paSendRTRes")]
    SendRtRes(SimpleRes),
    /// `paSendRTV2Request`.
    #[serde(rename = "paSendRTV2Request")]
    SendRtV2Req(Box<SendRtReq>),
    /// `paSendRTV2Response`.
    #[serde(rename = "paSendRTV2Response")]
    SendRtV2Res(SimpleRes),
    /// `paDemandPaymentNoticeRequest`.
    #[serde(rename = "paDemandPaymentNoticeRequest")]
    DemandPaymentNoticeReq(DemandPaymentNoticeReq),
    /// `paDemandPaymentNoticeResponse`.
    #[serde(rename = "paDemandPaymentNoticeResponse")]
    DemandPaymentNoticeRes(DemandPaymentNoticeRes),
}

impl Message {
    /// A receipt request: `paSendRTV2Request` with `v2`, else `paSendRTReq`.
    pub fn send_rt_req(req: SendRtReq, v2: bool) -> Message {
        if v2 {
            Message::SendRtV2Req(Box::new(req))
        } else {
            Message::SendRtReq(Box::new(req))
        }
    }

    /// An activation response: `paGetPaymentV2Response` with `v2`, else `paGetPaymentRes`.
    pub fn get_payment_res(res: GetPaymentRes, v2: bool) -> Message {
        if v2 {
            Message::GetPaymentV2Res(Box::new(res))
        } else {
            Message::GetPaymentRes(Box::new(res))
        }
    }

    /// The primitive and direction.
    pub fn kind(&self) -> (Primitive, Direction) {
        use Direction::*;
        use Primitive::*;
        match self {
            Message::VerifyPaymentNoticeReq(_) => (VerifyPaymentNotice, Request),
            Message::VerifyPaymentNoticeRes(_) => (VerifyPaymentNotice, Response),
            Message::GetPaymentReq(_) => (GetPayment, Request),
            Message::GetPaymentRes(_) => (GetPayment, Response),
            Message::GetPaymentV2Req(_) => (GetPaymentV2, Request),
            Message::GetPaymentV2Res(_) => (GetPaymentV2, Response),
            Message::SendRtReq(_) => (SendRt, Request),
            Message::SendRtRes(_) => (SendRt, Response),
            Message::SendRtV2Req(_) => (SendRtV2, Request),
            Message::SendRtV2Res(_) => (SendRtV2, Response),
            Message::DemandPaymentNoticeReq(_) => (DemandPaymentNotice, Request),
            Message::DemandPaymentNoticeRes(_) => (DemandPaymentNotice, Response),
        }
    }

    /// The wrapper element name.
    pub fn element(&self) -> &'static str {
        let (p, d) = self.kind();
        p.element(d)
    }

    /// Outcome and fault of a response (None for requests).
    pub fn outcome(&self) -> Option<(Outcome, Option<&crate::FaultBean>)> {
        match self {
            Message::VerifyPaymentNoticeRes(r) => Some((r.outcome, r.fault.as_ref())),
            Message::GetPaymentRes(r) | Message::GetPaymentV2Res(r) => {
                Some((r.outcome, r.fault.as_ref()))
            }
            Message::SendRtRes(r) | Message::SendRtV2Res(r) => Some((r.outcome, r.fault.as_ref())),
            Message::DemandPaymentNoticeRes(r) => Some((r.outcome, r.fault.as_ref())),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_and_actions_round_trip() {
        for p in Primitive::ALL {
            for d in [Direction::Request, Direction::Response] {
                assert_eq!(Primitive::from_element(p.element(d)), Some((p, d)));
            }
            assert_eq!(
                Primitive::from_soap_action(&format!("\"{}\"", p.name())),
                Some(p)
            );
            assert_eq!(Primitive::from_soap_action(p.name()), Some(p));
        }
        assert_eq!(Primitive::from_soap_action("nope"), None);
    }

    #[test]
    fn uri_style_actions_name_their_last_segment() {
        let v = Some(Primitive::VerifyPaymentNotice);
        assert_eq!(
            Primitive::from_soap_action(" \"urn:x/y#paVerifyPaymentNotice\" "),
            v
        );
        assert_eq!(
            Primitive::from_soap_action("http://x/paVerifyPaymentNotice"),
            v
        );
        assert_eq!(Primitive::from_soap_action("paVerifyPaymentNotice/"), None);
        assert_eq!(Primitive::from_soap_action("#"), None);
        assert_eq!(
            Primitive::from_soap_action("é/paSendRT"),
            Some(Primitive::SendRt)
        );
    }

    /// Every message moves through parse, dispatch and answer by value; the two large
    /// kinds stay boxed so that a move stays a few cache lines.
    #[test]
    fn a_message_stays_small_enough_to_move() {
        assert!(
            size_of::<Message>() <= 448,
            "Message is {} bytes: box its largest kind",
            size_of::<Message>()
        );
    }
}
