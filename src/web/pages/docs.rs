//! A readable API reference rendered from the OpenAPI document itself, so it
//! is always current and needs no script from a CDN.

use askama::Template;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::{Shell, render};
use crate::web::session::MaybeAuth;

pub struct Operation {
    pub anchor: String,
    pub method: String,
    pub path: String,
    pub summary: String,
    pub parameters: Vec<String>,
    pub body: Option<String>,
    pub responses: Vec<String>,
}

#[derive(Template)]
#[template(path = "api_docs.html")]
struct DocsPage {
    shell: Shell,
    operations: Vec<Operation>,
}

pub async fn reference(MaybeAuth(session): MaybeAuth, headers: HeaderMap) -> Response {
    let doc = serde_json::to_value(crate::web::api::openapi()).unwrap_or_default();
    let mut operations = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            let Some(methods) = item.as_object() else { continue };
            for (method, op) in methods {
                let parameters = op["parameters"]
                    .as_array()
                    .map(|ps| {
                        ps.iter()
                            .map(|p| {
                                let required = if p["required"].as_bool().unwrap_or(false) { ", required" } else { "" };
                                format!(
                                    "{} ({}{}) {}",
                                    p["name"].as_str().unwrap_or(""),
                                    p["in"].as_str().unwrap_or(""),
                                    required,
                                    p["description"].as_str().unwrap_or("")
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let body = op["requestBody"]["content"]
                    .as_object()
                    .and_then(|c| c.values().next())
                    .map(|c| serde_json::to_string_pretty(&resolve(&doc, &c["schema"])).unwrap_or_default());
                let responses = op["responses"]
                    .as_object()
                    .map(|rs| {
                        rs.iter()
                            .map(|(code, r)| format!("{code} {}", r["description"].as_str().unwrap_or("")))
                            .collect()
                    })
                    .unwrap_or_default();
                operations.push(Operation {
                    anchor: format!("{method}-{}", path.replace(['/', '{', '}'], "-")),
                    method: method.to_uppercase(),
                    path: path.clone(),
                    summary: op["summary"].as_str().or(op["description"].as_str()).unwrap_or("").to_owned(),
                    parameters,
                    body,
                    responses,
                });
            }
        }
    }
    let (actor, csrf) = match session {
        Some(s) => (Some(s.actor), s.csrf),
        None => (None, String::new()),
    };
    let shell = Shell::new(&headers, actor, &csrf, "api.title", "/api/docs", None);
    render(StatusCode::OK, &DocsPage { shell, operations })
}

/// Inlines one level of `$ref` so a body schema reads on its own.
fn resolve(doc: &serde_json::Value, schema: &serde_json::Value) -> serde_json::Value {
    match schema["$ref"].as_str().and_then(|r| r.strip_prefix("#/components/schemas/")) {
        Some(name) => doc["components"]["schemas"][name].clone(),
        None => schema.clone(),
    }
}
