//! What the mock GPD answers, as a plain function over a request value.
//!
//! Checks in the order of a real call: route and method (404/405), then APIM (subscription
//! key 401, organisation scope 403, body size 413), then the service (JSON 400, validation
//! 400, state 404/409).

use super::model::PositionStatus;
use super::openapi;
use super::problem::Problem;
use super::routes::{Api, Op, Params, Resolved, Route, resolve};
use super::server::GpdState;
use super::store::{ListQuery, OrderBy, ReceiptQuery};
use super::wire::{self, Ctx};
use crate::clock::VirtualTime;
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Header carrying the subscription key.
pub(super) const KEY_HEADER: &str = "ocp-apim-subscription-key";
/// Query parameter carrying the subscription key (v3's `apiKeyQuery`).
pub(super) const KEY_PARAM: &str = "subscription-key";
/// Path of the mock's own OpenAPI document.
pub const OPENAPI_PATH: &str = "/openapi.json";

const DAY: Duration = Duration::from_secs(86_400);

/// The request body as far as the transport could read it.
#[derive(Debug, Clone, Copy)]
pub(super) enum Body<'a> {
    Complete(&'a [u8]),
    TooLarge,
    TimedOut,
    Broken,
}

/// One HTTP request.
#[derive(Debug, Clone, Copy)]
pub(super) struct GpdRequest<'a> {
    pub(super) method: &'a str,
    pub(super) path: &'a str,
    pub(super) query: Option<&'a str>,
    pub(super) headers: &'a HeaderMap,
    pub(super) body: Body<'a>,
}

/// The answer, with what the log needs.
#[derive(Debug, Clone)]
pub(super) struct GpdReply {
    pub(super) status: u16,
    pub(super) body: Vec<u8>,
    pub(super) content_type: &'static str,
    pub(super) allow: Option<String>,
    pub(super) operation: Option<&'static str>,
    pub(super) organization: Option<String>,
    pub(super) iupd: Option<String>,
}

impl GpdReply {
    pub(super) fn problem(p: &Problem) -> Self {
        GpdReply {
            status: p.status,
            body: p.to_json(),
            content_type: "application/json",
            allow: None,
            operation: None,
            organization: None,
            iupd: None,
        }
    }

    fn json(status: u16, body: Vec<u8>) -> Self {
        GpdReply {
            status,
            body,
            ..GpdReply::problem(&Problem::internal())
        }
    }
}

/// Decoded query pairs (`+` is a space), in order.
pub(super) fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    query
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k), decode(v))
        })
        .collect()
}

struct Query(Vec<(String, String)>);

impl Query {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn boolean(&self, name: &str) -> Result<bool, Problem> {
        match self.get(name) {
            None => Ok(false),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(v) => Err(Problem::field(name, format_args!("not a boolean: {v:?}"))),
        }
    }

    fn number(&self, name: &str, default: u32, min: u32, max: u32) -> Result<u32, Problem> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => match v.parse::<u32>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(Problem::field(
                    name,
                    format_args!("must be an integer between {min} and {max}, not {v:?}"),
                )),
            },
        }
    }

    fn date(&self, name: &str) -> Result<Option<VirtualTime>, Problem> {
        self.get(name)
            .map(|v| {
                wire::parse_date(v).ok_or_else(|| {
                    Problem::field(name, format_args!("not a yyyy-MM-dd date: {v:?}"))
                })
            })
            .transpose()
    }

    /// `[from, to + 1 day)`, a missing end 30 days from the other.
    fn interval(
        &self,
        from: &str,
        to: &str,
    ) -> Result<Option<(VirtualTime, VirtualTime)>, Problem> {
        let thirty = Duration::from_secs(30 * 86_400);
        let (f, t) = match (self.date(from)?, self.date(to)?) {
            (None, None) => return Ok(None),
            (Some(f), Some(t)) => (f, t),
            (Some(f), None) => (f, f.plus(thirty)),
            (None, Some(t)) => (VirtualTime::from_millis(t.millis() - 30 * 86_400_000), t),
        };
        if t < f {
            return Err(Problem::field(
                to,
                format_args!("{to} must not precede {from}"),
            ));
        }
        Ok(Some((f, t.plus(DAY))))
    }
}

/// Answer `request`, arrived at scenario time `now`.
pub(super) fn handle_request(
    state: &GpdState,
    request: &GpdRequest<'_>,
    now: VirtualTime,
) -> GpdReply {
    if request.path == OPENAPI_PATH {
        if request.method == "GET" {
            return GpdReply::json(200, wire::to_json(&openapi::document()));
        }
        let mut reply = GpdReply::problem(&Problem::new(405, "Method Not Allowed", "only GET"));
        reply.allow = Some("GET".into());
        return reply;
    }
    let (route, params) = match resolve(request.method, request.path) {
        Resolved::Found(route, params) => (route, params),
        Resolved::WrongMethod(allowed) => {
            let mut reply = GpdReply::problem(&Problem::new(
                405,
                "Method Not Allowed",
                format!("{} is not allowed on {}", request.method, request.path),
            ));
            reply.allow = Some(allowed.join(", "));
            return reply;
        }
        Resolved::NotFound => {
            return GpdReply::problem(&Problem::new(
                404,
                "Not Found",
                format!("No route for {} {}", request.method, request.path),
            ));
        }
    };
    let mut reply = match serve_route(state, request, route, &params, now) {
        Ok(reply) => reply,
        Err(problem) => GpdReply::problem(&problem),
    };
    reply.operation = Some(route.operation_id);
    reply.organization = params.organization;
    if reply.iupd.is_none() {
        reply.iupd = params.iupd;
    }
    reply
}

fn authorise(
    state: &GpdState,
    request: &GpdRequest<'_>,
    query: &Query,
    org: &str,
) -> Result<(), Problem> {
    let key = match request.headers.get(KEY_HEADER) {
        Some(h) => Some(h.as_bytes().to_vec()),
        None => query.get(KEY_PARAM).map(|k| k.as_bytes().to_vec()),
    };
    let Some(key) = key else {
        return Err(Problem::unauthorized(true));
    };
    let entry = state
        .config()
        .key(&key)
        .ok_or_else(|| Problem::unauthorized(false))?;
    match &entry.organizations {
        Some(orgs) if !orgs.contains(org) => Err(Problem::forbidden(org)),
        _ => Ok(()),
    }
}

fn body<'a>(request: &GpdRequest<'a>, limit: usize) -> Result<&'a [u8], Problem> {
    match request.body {
        Body::Complete(b) => Ok(b),
        Body::TooLarge => Err(Problem::too_large(limit)),
        Body::TimedOut => Err(Problem::new(
            408,
            "Request Timeout",
            "Request body not received in time",
        )),
        Body::Broken => Err(Problem::new(
            400,
            "Bad Request",
            "Request body could not be read",
        )),
    }
}

fn serve_route(
    state: &GpdState,
    request: &GpdRequest<'_>,
    route: &Route,
    params: &Params,
    now: VirtualTime,
) -> Result<GpdReply, Problem> {
    let query = Query(query_pairs(request.query));
    let org = params.organization.as_deref().unwrap_or_default();
    authorise(state, request, &query, org)?;
    let config = state.config();
    let store = state.store();
    let v3 = route.api == Api::DebtPositionsV3;
    let iupd = params.iupd.as_deref().unwrap_or_default();
    let ctx = |update| Ctx {
        now,
        org,
        backoffice: &config.backoffice,
        check_iban: config.check_iban,
        aux_digit: config.aux_digit,
        update,
    };
    let model = if v3 { wire::v3_model } else { wire::v1_model };
    let parse = if v3 { wire::parse_v3 } else { wire::parse_v1 };
    match route.op {
        Op::Create => {
            let publish = query.boolean("toPublish")?;
            let position = parse(body(request, config.body_limit)?, &ctx(false))?;
            let created = position.iupd.clone();
            let out = store.create(position, publish, config.publish_timing, model)?;
            let mut reply = GpdReply::json(201, out);
            reply.iupd = Some(created);
            Ok(reply)
        }
        Op::Update => {
            let publish = query.boolean("toPublish")?;
            let position = parse(body(request, config.body_limit)?, &ctx(true))?;
            if position.iupd != iupd {
                return Err(Problem::field(
                    "iupd",
                    format_args!("{:?} differs from the path's {iupd:?}", position.iupd),
                ));
            }
            Ok(GpdReply::json(
                200,
                store.update(position, publish, config.publish_timing, model)?,
            ))
        }
        Op::Get => {
            let render = if v3 { wire::v3_response } else { wire::v1_base };
            Ok(GpdReply::json(
                200,
                store.get_rendered(org, iupd, now, render)?,
            ))
        }
        Op::List => {
            let q = list_query(&query, v3)?;
            let render = if v3 { wire::v3_list } else { wire::v1_list };
            Ok(GpdReply::json(
                200,
                store.list_rendered(org, &q, now, render),
            ))
        }
        Op::Delete => {
            store.delete(org, iupd, now)?;
            Ok(GpdReply::json(200, b"\"Debt Position Deleted\"".to_vec()))
        }
        Op::Publish => Ok(GpdReply::json(
            200,
            store.publish(org, iupd, now, config.publish_timing, model)?,
        )),
        Op::Invalidate => Ok(GpdReply::json(
            200,
            store.invalidate(org, iupd, now, model)?,
        )),
        Op::UpdateIbans => update_ibans(state, request, &query, org, now),
        Op::Receipts => receipts(state, &query, org),
        Op::Receipt => receipt(
            state,
            &query,
            org,
            params.iuv.as_deref().unwrap_or_default(),
        ),
    }
}

fn list_query(query: &Query, v3: bool) -> Result<ListQuery, Problem> {
    let limit = query.number("limit", 10, 1, 50)?;
    let page = query.number("page", 0, 0, u32::MAX)?;
    let due = query.interval("due_date_from", "due_date_to")?;
    let paid = query.interval("payment_date_from", "payment_date_to")?;
    if due.is_some() && paid.is_some() {
        return Err(Problem::field(
            "due_date_from",
            "the due dates interval is mutually exclusive with the payment dates interval",
        ));
    }
    let statuses =
        match query.get("status") {
            None => None,
            Some(s) => Some(match (v3, s) {
                (true, "UNPAYABLE") => vec![PositionStatus::Invalid, PositionStatus::Expired],
                (true, "PAID") => vec![PositionStatus::Paid, PositionStatus::Reported],
                (true, "INVALID" | "EXPIRED" | "REPORTED") => {
                    return Err(Problem::field(
                        "status",
                        format_args!("unknown status {s:?}"),
                    ));
                }
                _ => vec![PositionStatus::parse(s).ok_or_else(|| {
                    Problem::field("status", format_args!("unknown status {s:?}"))
                })?],
            }),
        };
    let order = match query.get("orderby").unwrap_or("INSERTED_DATE") {
        "INSERTED_DATE" => OrderBy::InsertedDate,
        "IUPD" => OrderBy::Iupd,
        "STATUS" => OrderBy::Status,
        "COMPANY_NAME" => OrderBy::CompanyName,
        other => {
            return Err(Problem::field(
                "orderby",
                format_args!("unknown order {other:?}"),
            ));
        }
    };
    let ascending = match query.get("ordering").unwrap_or("DESC") {
        "ASC" => true,
        "DESC" => false,
        other => {
            return Err(Problem::field(
                "ordering",
                format_args!("must be ASC or DESC, not {other:?}"),
            ));
        }
    };
    Ok(ListQuery {
        page,
        limit,
        due,
        paid,
        statuses,
        order,
        ascending,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IbanChange {
    new_iban: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IbanChanged {
    description: String,
    updated_transfers: u32,
}

fn update_ibans(
    state: &GpdState,
    request: &GpdRequest<'_>,
    query: &Query,
    org: &str,
    now: VirtualTime,
) -> Result<GpdReply, Problem> {
    let config = state.config();
    let old = query
        .get("oldIban")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Problem::field("oldIban", "must not be null"))?;
    let limit = query.number("limit", u32::MAX, 1, u32::MAX)?;
    let raw = body(request, config.body_limit)?;
    let mut de = serde_json::Deserializer::from_slice(raw);
    let change = IbanChange::deserialize(&mut de)
        .and_then(|c| de.end().map(|()| c))
        .map_err(|e| Problem::malformed(e.line(), e.column(), &e))?;
    let new = change
        .new_iban
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Problem::field("newIban", "must not be null"))?;
    if new.len() > 35 || !new.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Problem::field("newIban", "must match ^[A-Za-z0-9]{1,35}$"));
    }
    if config.check_iban && !config.backoffice.iban_registered(org, &new) {
        return Err(Problem::field(
            "newIban",
            format_args!("IBAN {new} is not registered for organization {org}"),
        ));
    }
    let n = state
        .store()
        .update_ibans(org, old, &new, limit as usize, now);
    Ok(GpdReply::json(
        200,
        wire::to_json(&IbanChanged {
            description: format!("IBAN {old} replaced with {new}"),
            updated_transfers: u32::try_from(n).unwrap_or(u32::MAX),
        }),
    ))
}

fn segregation_codes(query: &Query) -> Result<Option<Vec<String>>, Problem> {
    let Some(list) = query.get("segregationCodes") else {
        return Ok(None);
    };
    let codes: Vec<String> = list.split(',').map(str::to_string).collect();
    if codes
        .iter()
        .any(|c| c.len() != 2 || !c.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(Problem::field(
            "segregationCodes",
            "must match \\d{2}(,\\d{2})*",
        ));
    }
    Ok(Some(codes))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReceiptItem<'a> {
    organization_fiscal_code: &'a str,
    iuv: &'a str,
    debtor: &'a str,
    payment_date_time: VirtualTime,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PaymentsResult<'a> {
    current_page_number: u32,
    length: u32,
    total_pages: u32,
    results: Vec<ReceiptItem<'a>>,
}

fn receipt_bound(v: &str, end: bool) -> Option<VirtualTime> {
    wire::parse_date(v)
        .map(|d| if end { d.plus(DAY) } else { d })
        .or_else(|| wire::parse_datetime(v))
}

fn receipts(state: &GpdState, query: &Query, org: &str) -> Result<GpdReply, Problem> {
    let page = query.number("pageNum", 0, 0, u32::MAX)?;
    let size = query.number("pageSize", 20, 1, 100)?;
    let from_to = match (query.get("from"), query.get("to")) {
        (Some(f), Some(t)) => {
            let f = receipt_bound(f, false).ok_or_else(|| Problem::field("from", "not a date"))?;
            let t = receipt_bound(t, true).ok_or_else(|| Problem::field("to", "not a date"))?;
            Some((f, t))
        }
        // As GPD: the interval applies only when both ends are given.
        _ => None,
    };
    let q = ReceiptQuery {
        page: page as usize,
        size: size as usize,
        debtor: query.get("debtor").map(str::to_string),
        service: query
            .get("service")
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        from_to,
        segregation_codes: segregation_codes(query)?,
        debtor_or_iuv: query
            .get("debtorOrIuv")
            .filter(|s| !s.is_empty())
            .map(str::to_string),
    };
    let (list, pages) = state.store().query_receipts(org, &q);
    if page as usize >= pages {
        return Err(Problem::new(
            404,
            "Not found the receipts",
            format!("No receipts found for organization {org} on page {page} ({pages} pages)"),
        ));
    }
    let results: Vec<ReceiptItem<'_>> = list
        .iter()
        .map(|r| ReceiptItem {
            organization_fiscal_code: &r.organization_fiscal_code,
            iuv: &r.iuv,
            debtor: &r.debtor,
            payment_date_time: r.payment_date,
        })
        .collect();
    Ok(GpdReply::json(
        200,
        wire::to_json(&PaymentsResult {
            current_page_number: page,
            length: u32::try_from(results.len()).unwrap_or(u32::MAX),
            total_pages: u32::try_from(pages).unwrap_or(u32::MAX),
            results,
        }),
    ))
}

fn receipt(state: &GpdState, query: &Query, org: &str, iuv: &str) -> Result<GpdReply, Problem> {
    if let Some(codes) = segregation_codes(query)? {
        if !codes.iter().any(|c| iuv.starts_with(c.as_str())) {
            let message = "You are not allowed to access this resource.";
            return Err(Problem {
                status_code: Some(403),
                message: Some(message.into()),
                ..Problem::new(
                    403,
                    "Forbidden",
                    format!("The segregation code of IUV {iuv} is not among those of the broker"),
                )
            });
        }
    }
    let receipt = state.store().receipt(org, iuv).ok_or_else(|| {
        Problem::new(
            404,
            "Not found the receipt",
            format!("Not found a receipt for Organization Fiscal Code {org} and IUV {iuv}"),
        )
    })?;
    let mut reply = GpdReply::json(200, receipt.xml.into_bytes());
    reply.content_type = "application/xml";
    reply.iupd = Some(receipt.iupd);
    Ok(reply)
}
