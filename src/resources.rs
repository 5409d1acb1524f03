//! Reading resources: fixed ones (a tool call with fixed arguments, maybe
//! reshaped, or shipped text) and templates (one record by id).
//!
//! A resource is only served when the tool behind it is: `--read-only` and
//! `--tools` narrow resources the same way they narrow tools. Reads go
//! through [`Registry::call`], so they are validated and fail with the same
//! texts as tool calls.

use rmcp::model::{Resource, ResourceContents, ResourceTemplate};
use serde_json::{Map, Value, json};

use crate::gateway::Gateway;
use crate::registry::{Approval, Outcome, Registry};
use crate::surface::{RESOURCES, ResourceSource, ResourceSpec, TEMPLATES, TemplateSpec, Transform};

/// Why a resource could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// No served resource has this URI.
    NotFound(String),
    /// The gateway call behind it failed: the text says why and what to do.
    Failed(String),
}

impl Registry {
    /// Served fixed resources.
    pub fn resource_specs(&self) -> impl Iterator<Item = &'static ResourceSpec> + '_ {
        RESOURCES.iter().filter(|r| match r.source {
            ResourceSource::Tool { tool, .. } => self.contains(tool),
            ResourceSource::Static(_) => true,
        })
    }

    /// Served resource templates.
    pub fn template_specs(&self) -> impl Iterator<Item = &'static TemplateSpec> + '_ {
        TEMPLATES.iter().filter(|t| self.contains(t.tool))
    }

    /// `resources/list` entries.
    pub fn resources(&self) -> Vec<Resource> {
        self.resource_specs()
            .map(|r| {
                let mut res = Resource::new(r.uri, r.name)
                    .with_title(r.title)
                    .with_description(r.description);
                res.mime_type = Some(r.mime_type.to_owned());
                if let ResourceSource::Static(text) = r.source {
                    res.size = Some(text.len() as u64);
                }
                res
            })
            .collect()
    }

    /// `resources/templates/list` entries.
    pub fn resource_templates(&self) -> Vec<ResourceTemplate> {
        self.template_specs()
            .map(|t| {
                let mut tpl = ResourceTemplate::new(t.uri_template, t.name)
                    .with_title(t.title)
                    .with_description(t.description);
                tpl.mime_type = Some("application/json".to_owned());
                tpl
            })
            .collect()
    }

    /// Read `uri`, calling `gateway` for the resources that come from it.
    pub async fn read_resource(
        &self,
        gateway: &Gateway,
        uri: &str,
    ) -> Result<ResourceContents, ReadError> {
        if let Some(r) = self.resource_specs().find(|r| r.uri == uri) {
            let text = match r.source {
                ResourceSource::Static(text) => text.to_owned(),
                ResourceSource::Tool {
                    tool,
                    args,
                    transform,
                } => {
                    let args: Map<String, Value> = serde_json::from_str(args).unwrap_or_default();
                    let body = self.read_tool(gateway, tool, args).await?;
                    match transform {
                        Some(t) => apply(t, &body).to_string(),
                        None => body.to_string(),
                    }
                }
            };
            return Ok(ResourceContents::text(text, uri).with_mime_type(r.mime_type));
        }
        for t in self.template_specs() {
            if let Some(value) = t.matches(uri) {
                let mut args = Map::new();
                args.insert(t.param.to_owned(), Value::String(value.to_owned()));
                let body = self.read_tool(gateway, t.tool, args).await?;
                return Ok(ResourceContents::text(body.to_string(), uri)
                    .with_mime_type("application/json"));
            }
        }
        Err(ReadError::NotFound(uri.to_owned()))
    }

    async fn read_tool(
        &self,
        gateway: &Gateway,
        tool: &str,
        args: Map<String, Value>,
    ) -> Result<Value, ReadError> {
        match self
            .call_on(gateway, tool, Some(args), Approval::FromArguments)
            .await
        {
            Ok(Outcome::Ok(output)) => Ok(output.body()),
            Ok(Outcome::Failed(text)) => Err(ReadError::Failed(text)),
            Err(e) => Err(ReadError::Failed(format!("{e:?}"))),
        }
    }
}

fn apply(t: Transform, body: &Value) -> Value {
    match t {
        Transform::PipelineByStage => pipeline_by_stage(body),
        Transform::ContactStats => contact_stats(body),
    }
}

/// The deal stages, in pipeline order, as the spec's `Deal.stage` lists them.
fn stages() -> Vec<String> {
    let list = crate::tools::find("smartalex_list_deals").map(|t| t.output_schema);
    let schema: Value = list
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    schema["properties"]["data"]["items"]["properties"]["stage"]["enum"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Deals → `{stages: [{stage, count, value}], total_value, open_value, …}`.
fn pipeline_by_stage(body: &Value) -> Value {
    let deals = body["data"].as_array().cloned().unwrap_or_default();
    let value_of = |d: &Value| d["value"].as_f64().unwrap_or(0.0);
    let mut rows = Vec::new();
    let (mut total, mut open) = (0.0, 0.0);
    for stage in stages() {
        let in_stage: Vec<&Value> = deals
            .iter()
            .filter(|d| d["stage"] == stage.as_str())
            .collect();
        let value: f64 = in_stage.iter().map(|d| value_of(d)).sum();
        total += value;
        if !stage.starts_with("closed_") {
            open += value;
        }
        rows.push(json!({"stage": stage, "count": in_stage.len(), "value": round2(value)}));
    }
    json!({
        "stages": rows,
        "total_value": round2(total),
        "open_value": round2(open),
        "deals_counted": deals.len(),
        "deals_total": body["total"],
    })
}

/// A page of contacts → totals, completeness, companies, tags and the page.
fn contact_stats(body: &Value) -> Value {
    let contacts = body["data"].as_array().cloned().unwrap_or_default();
    let has = |field: &str| {
        contacts
            .iter()
            .filter(|c| c[field].as_str().is_some_and(|s| !s.is_empty()))
            .count()
    };
    let mut tags: Map<String, Value> = Map::new();
    for tag in contacts
        .iter()
        .flat_map(|c| c["tags"].as_array().cloned().unwrap_or_default())
    {
        if let Some(t) = tag.as_str() {
            let n = tags.get(t).and_then(Value::as_u64).unwrap_or(0) + 1;
            tags.insert(t.to_owned(), json!(n));
        }
    }
    let first: Vec<Value> = contacts
        .iter()
        .map(|c| {
            let mut row = Map::new();
            for k in ["id", "first_name", "last_name", "company", "phone", "email"] {
                if let Some(v) = c.get(k).filter(|v| !v.is_null()) {
                    row.insert(k.to_owned(), v.clone());
                }
            }
            Value::Object(row)
        })
        .collect();
    json!({
        "total_contacts": body["total"],
        "shown": contacts.len(),
        "with_phone": has("phone"),
        "with_email": has("email"),
        "with_company": has("company"),
        "tags": tags,
        "contacts": first,
    })
}

/// Cents precision; also turns the `-0.0` an empty `sum()` gives into `0.0`.
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0 + 0.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipeline_counts_and_sums_every_stage_in_order() {
        let body = json!({"data": [
            {"stage": "lead", "value": 100.0}, {"stage": "lead", "value": 50.5},
            {"stage": "closed_won", "value": 1000}, {"stage": "offer"}], "total": 4});
        let p = pipeline_by_stage(&body);
        let stages: Vec<&str> = p["stages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["stage"].as_str().unwrap())
            .collect();
        assert_eq!(
            stages,
            [
                "lead",
                "qualified",
                "showing",
                "offer",
                "under_contract",
                "closed_won",
                "closed_lost"
            ]
        );
        assert_eq!(
            p["stages"][0],
            json!({"stage": "lead", "count": 2, "value": 150.5})
        );
        assert_eq!(p["stages"][3]["count"], 1);
        assert_eq!(
            (p["total_value"].as_f64(), p["open_value"].as_f64()),
            (Some(1150.5), Some(150.5))
        );
        let empty = pipeline_by_stage(&json!({"data": [], "total": 0}));
        assert_eq!(empty["stages"][0]["value"].to_string(), "0.0");
    }

    #[test]
    fn contact_stats_summarizes_the_page() {
        let body = json!({"data": [
            {"id": "1", "first_name": "Ada", "phone": "+14155550123", "tags": ["vip", "warm"], "notes": "long"},
            {"id": "2", "first_name": "Alan", "email": "a@x.io", "tags": ["vip"]}], "total": 40});
        let s = contact_stats(&body);
        assert_eq!(s["total_contacts"], 40);
        assert_eq!(
            (s["with_phone"].as_u64(), s["with_email"].as_u64()),
            (Some(1), Some(1))
        );
        assert_eq!(s["tags"], json!({"vip": 2, "warm": 1}));
        assert!(s["contacts"][0].get("notes").is_none());
    }
}
