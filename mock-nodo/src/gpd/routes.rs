//! The one list of operations the mock GPD serves. The dispatcher matches requests against
//! it and the OpenAPI document at `/openapi.json` is built from it, so the two cannot drift.

/// One of the three REST APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    /// `gpd.json`, base `/gpd/debt-positions-service/v1`.
    DebtPositionsV1,
    /// `gpd_v3.json`, base `/gpd/debt-positions-service/v3`.
    DebtPositionsV3,
    /// `gpd_payments.json`, base `/gpd/payments-receipts-service/v1`.
    Receipts,
}

impl Api {
    /// The path prefix, as in production (`https://api.platform.pagopa.it` + prefix).
    pub fn base(self) -> &'static str {
        match self {
            Api::DebtPositionsV1 => "/gpd/debt-positions-service/v1",
            Api::DebtPositionsV3 => "/gpd/debt-positions-service/v3",
            Api::Receipts => "/gpd/payments-receipts-service/v1",
        }
    }

    /// The shared contract (in `pagopa-api/openapi/`) that defines it.
    pub fn contract_file(self) -> &'static str {
        match self {
            Api::DebtPositionsV1 => "gpd.json",
            Api::DebtPositionsV3 => "gpd_v3.json",
            Api::Receipts => "gpd_payments.json",
        }
    }
}

/// What an operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Create,
    List,
    UpdateIbans,
    Get,
    Update,
    Delete,
    Publish,
    Invalidate,
    Receipts,
    Receipt,
}

/// One operation.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// Which API.
    pub api: Api,
    /// HTTP method.
    pub method: &'static str,
    /// Path template relative to [`Api::base`], as in the contract.
    pub path: &'static str,
    /// The contract's operationId.
    pub operation_id: &'static str,
    /// Query parameters read.
    pub query: &'static [&'static str],
    /// Statuses it may answer (the contract's list).
    pub responses: &'static [u16],
    /// Whether it takes a JSON body.
    pub body: bool,
    pub(super) op: Op,
}

impl Route {
    /// Base and path: the path a client calls.
    pub fn full_path(&self) -> String {
        format!("{}{}", self.api.base(), self.path)
    }
}

const POSITIONS: &str = "/organizations/{organizationfiscalcode}/debtpositions";
const POSITION: &str = "/organizations/{organizationfiscalcode}/debtpositions/{iupd}";
const LIST_QUERY: &[&str] = &[
    "limit",
    "page",
    "due_date_from",
    "due_date_to",
    "payment_date_from",
    "payment_date_to",
    "status",
    "orderby",
    "ordering",
];

macro_rules! route {
    ($api:ident, $method:literal, $path:expr, $id:literal, $op:ident, $query:expr, $resp:expr, $body:literal) => {
        Route {
            api: Api::$api,
            method: $method,
            path: $path,
            operation_id: $id,
            query: $query,
            responses: $resp,
            body: $body,
            op: Op::$op,
        }
    };
}

/// Every operation served.
pub const ROUTES: &[Route] = &[
    route!(
        DebtPositionsV1,
        "GET",
        POSITIONS,
        "getOrganizationDebtPositions",
        List,
        LIST_QUERY,
        &[200, 400, 401, 403, 429, 500],
        false
    ),
    route!(
        DebtPositionsV1,
        "POST",
        POSITIONS,
        "createPosition",
        Create,
        &["toPublish"],
        &[201, 400, 401, 403, 409, 500],
        true
    ),
    route!(
        DebtPositionsV1,
        "PATCH",
        "/organizations/{organizationfiscalcode}/debtpositions/transfers",
        "updateTransferIbanMassive",
        UpdateIbans,
        &["oldIban", "limit"],
        &[200, 400, 401, 403, 500],
        true
    ),
    route!(
        DebtPositionsV1,
        "GET",
        POSITION,
        "getOrganizationDebtPositionByIUPD",
        Get,
        &[],
        &[200, 401, 403, 404, 500],
        false
    ),
    route!(
        DebtPositionsV1,
        "PUT",
        POSITION,
        "updatePosition",
        Update,
        &["toPublish"],
        &[200, 400, 401, 403, 404, 409, 500],
        true
    ),
    route!(
        DebtPositionsV1,
        "DELETE",
        POSITION,
        "deletePosition",
        Delete,
        &[],
        &[200, 401, 403, 404, 409, 500],
        false
    ),
    route!(
        DebtPositionsV1,
        "POST",
        "/organizations/{organizationfiscalcode}/debtpositions/{iupd}/invalidate",
        "invalidatePosition",
        Invalidate,
        &[],
        &[200, 401, 403, 404, 409, 500],
        false
    ),
    route!(
        DebtPositionsV1,
        "POST",
        "/organizations/{organizationfiscalcode}/debtpositions/{iupd}/publish",
        "publishPosition",
        Publish,
        &[],
        &[200, 401, 403, 404, 409, 500],
        false
    ),
    route!(
        DebtPositionsV3,
        "GET",
        POSITIONS,
        "getOrganizationDebtPositions",
        List,
        LIST_QUERY,
        &[200, 400, 401, 403, 429, 500],
        false
    ),
    route!(
        DebtPositionsV3,
        "POST",
        POSITIONS,
        "createPosition",
        Create,
        &["toPublish"],
        &[201, 400, 401, 403, 409, 500],
        true
    ),
    route!(
        DebtPositionsV3,
        "GET",
        POSITION,
        "getOrganizationDebtPositionByIUPD",
        Get,
        &[],
        &[200, 401, 403, 404, 500],
        false
    ),
    route!(
        DebtPositionsV3,
        "PUT",
        POSITION,
        "updatePosition",
        Update,
        &["toPublish"],
        &[200, 400, 401, 403, 404, 409, 500],
        true
    ),
    route!(
        DebtPositionsV3,
        "DELETE",
        POSITION,
        "deletePosition",
        Delete,
        &[],
        &[200, 401, 403, 404, 409, 500],
        false
    ),
    route!(
        DebtPositionsV3,
        "POST",
        "/organizations/{organizationfiscalcode}/debtpositions/{iupd}/publish",
        "publishPosition",
        Publish,
        &[],
        &[200, 401, 403, 404, 409, 500],
        false
    ),
    route!(
        Receipts,
        "GET",
        "/payments/{organizationfiscalcode}/receipts",
        "getOrganizationReceipts",
        Receipts,
        &[
            "pageNum",
            "pageSize",
            "debtor",
            "service",
            "from",
            "to",
            "segregationCodes",
            "debtorOrIuv"
        ],
        &[200, 401, 403, 404, 500],
        false
    ),
    route!(
        Receipts,
        "GET",
        "/payments/{organizationfiscalcode}/receipts/{iuv}",
        "getReceiptByIUV",
        Receipt,
        &["segregationCodes"],
        &[200, 401, 403, 404, 422, 500],
        false
    ),
];

/// Path parameters of a matched route.
#[derive(Debug, Default)]
pub(super) struct Params {
    pub(super) organization: Option<String>,
    pub(super) iupd: Option<String>,
    pub(super) iuv: Option<String>,
}

/// Match `path` against one template: literal segments equal, `{name}` segments non-empty
/// (percent-decoded).
fn match_template(base: &str, template: &str, path: &str) -> Option<Params> {
    let rest = path.strip_prefix(base)?;
    let mut got = rest.split('/');
    let mut want = template.split('/');
    let mut params = Params::default();
    loop {
        match (want.next(), got.next()) {
            (None, None) => return Some(params),
            (Some(w), Some(g)) => {
                if let Some(name) = w.strip_prefix('{').and_then(|n| n.strip_suffix('}')) {
                    if g.is_empty() {
                        return None;
                    }
                    let value = percent_encoding::percent_decode_str(g)
                        .decode_utf8()
                        .ok()?
                        .into_owned();
                    match name {
                        "organizationfiscalcode" => params.organization = Some(value),
                        "iupd" => params.iupd = Some(value),
                        "iuv" => params.iuv = Some(value),
                        _ => {}
                    }
                } else if w != g {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

/// What a request path and method resolve to.
pub(super) enum Resolved {
    Found(&'static Route, Params),
    /// The path exists with other methods.
    WrongMethod(Vec<&'static str>),
    NotFound,
}

/// Resolve a request; a literal segment wins over a parameter (`PATCH …/transfers` vs
/// `{iupd}`), as in the contracts' routing.
pub(super) fn resolve(method: &str, path: &str) -> Resolved {
    let mut allowed = Vec::new();
    let mut best: Option<(&'static Route, Params, usize)> = None;
    for route in ROUTES {
        if let Some(params) = match_template(route.api.base(), route.path, path) {
            if route.method == method {
                let literals = route
                    .path
                    .split('/')
                    .filter(|s| !s.starts_with('{'))
                    .count();
                if best.as_ref().is_none_or(|b| literals > b.2) {
                    best = Some((route, params, literals));
                }
            } else if !allowed.contains(&route.method) {
                allowed.push(route.method);
            }
        }
    }
    match best {
        Some((route, params, _)) => Resolved::Found(route, params),
        None if !allowed.is_empty() => Resolved::WrongMethod(allowed),
        None => Resolved::NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_literals_before_parameters() {
        let base = Api::DebtPositionsV1.base();
        let Resolved::Found(r, p) = resolve(
            "PATCH",
            &format!("{base}/organizations/77/debtpositions/transfers"),
        ) else {
            panic!("patch not found");
        };
        assert_eq!(r.operation_id, "updateTransferIbanMassive");
        assert_eq!(p.organization.as_deref(), Some("77"));
        let Resolved::Found(r, p) = resolve(
            "GET",
            &format!("{base}/organizations/77/debtpositions/a%20b"),
        ) else {
            panic!("get not found");
        };
        assert_eq!(r.operation_id, "getOrganizationDebtPositionByIUPD");
        assert_eq!(p.iupd.as_deref(), Some("a b"));
        assert!(matches!(
            resolve("PATCH", &format!("{base}/organizations/77/debtpositions/x")),
            Resolved::WrongMethod(_)
        ));
        assert!(matches!(resolve("GET", "/nope"), Resolved::NotFound));
        assert!(matches!(
            resolve("GET", &format!("{base}/organizations//debtpositions")),
            Resolved::NotFound
        ));
        let v3 = Api::DebtPositionsV3.base();
        assert!(matches!(
            resolve(
                "POST",
                &format!("{v3}/organizations/7/debtpositions/x/invalidate")
            ),
            Resolved::NotFound
        ));
    }
}
