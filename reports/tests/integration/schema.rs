//! The committed JSON Schema must match the one generated from the code.

use std::path::Path;

const UPDATE_HINT: &str = "reports/schema/report.schema.json is out of date; regenerate it with \
                           `UPDATE_SCHEMA=1 cargo test -p collaudo-reports` and commit the result";

#[test]
fn committed_schema_matches_the_code() -> Result<(), Box<dyn std::error::Error>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/report.schema.json");
    let generated = collaudo_reports::json::schema()?;
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated)?;
        return Ok(());
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == generated, "{UPDATE_HINT}");
    Ok(())
}

#[test]
fn the_sample_report_has_every_required_field() -> Result<(), Box<dyn std::error::Error>> {
    let schema: serde_json::Value = serde_json::from_str(&collaudo_reports::json::schema()?)?;
    let report: serde_json::Value =
        serde_json::from_str(&collaudo_reports::json::render(&crate::sample::run())?)?;
    let required = schema["required"]
        .as_array()
        .ok_or("schema has no required list")?;
    for field in required {
        let field = field.as_str().ok_or("required entry is not a string")?;
        assert!(
            report.get(field).is_some(),
            "report lacks required field {field}"
        );
    }
    Ok(())
}
