//! The mock's own OpenAPI document, served at `/openapi.json`, built from [`ROUTES`]: every
//! operation the mock serves, with its parameters and the statuses it may answer. Schemas
//! are not repeated here: they are the shared contracts' (`contract_file` of each route's
//! API), which the tests validate the mock's bodies against.

use super::routes::{Api, ROUTES};
use serde_json::{Map, Value, json};

fn describe(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        400 => "Malformed request or validation error (ProblemJson naming the field)",
        401 => "Missing or unknown subscription key",
        403 => "Subscription key not enabled for the organization",
        404 => "Not found",
        409 => "Conflict: duplicate, or transition refused in the current state",
        413 => "Request body larger than the configured limit",
        422 => "Unprocessable",
        429 => "Too many requests",
        500 => "Internal error",
        _ => "Answer",
    }
}

fn parameter(name: &str, place: &str) -> Value {
    json!({
        "name": name,
        "in": place,
        "required": place == "path",
        "schema": {"type": "string"},
    })
}

/// The document.
pub fn document() -> Value {
    let mut paths = Map::new();
    for route in ROUTES {
        let entry = paths
            .entry(route.full_path())
            .or_insert_with(|| Value::Object(Map::new()));
        let mut parameters: Vec<Value> = route
            .path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| parameter(name, "path"))
            .collect();
        parameters.extend(route.query.iter().map(|name| parameter(name, "query")));
        parameters.push(parameter("X-Request-Id", "header"));
        let mut responses = Map::new();
        for status in route.responses.iter().chain(route.body.then_some(&413)) {
            responses.insert(
                status.to_string(),
                json!({"description": describe(*status)}),
            );
        }
        let mut operation = json!({
            "operationId": route.operation_id,
            "tags": [route.api.contract_file()],
            "parameters": parameters,
            "responses": responses,
            "security": [{"ApiKey": []}],
        });
        if route.body {
            if let Some(op) = operation.as_object_mut() {
                op.insert(
                    "requestBody".into(),
                    json!({"required": true, "content": {"application/json": {"schema": {"type": "object"}}}}),
                );
            }
        }
        if let Some(methods) = entry.as_object_mut() {
            methods.insert(route.method.to_ascii_lowercase(), operation);
        }
    }
    let tags: Vec<Value> = [Api::DebtPositionsV1, Api::DebtPositionsV3, Api::Receipts]
        .iter()
        .map(|api| json!({"name": api.contract_file(), "description": format!("Operations of {} under {}", api.contract_file(), api.base())}))
        .collect();
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "collaudo mock GPD",
            "description": "Mock of pagoPA's GPD debt positions (v1, v3) and payments receipts APIs, on a virtual clock",
            "version": env!("CARGO_PKG_VERSION"),
        },
        "servers": [{"url": "/"}],
        "tags": tags,
        "paths": paths,
        "components": {
            "securitySchemes": {
                "ApiKey": {"type": "apiKey", "name": "Ocp-Apim-Subscription-Key", "in": "header"}
            }
        }
    })
}
