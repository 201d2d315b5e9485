//! Checks requests against Planfix's published OpenAPI 3.0 spec (`swagger.json`, loaded at
//! runtime). The spec is first repaired ([`normalise`]), then every operation's parameters and
//! JSON request body are compiled into JSON Schema (draft 2020-12) validators. Multipart bodies
//! (the file upload) are streamed to the handler unread, so for them only the operation and the
//! media type are checked.

mod fields;
mod normalise;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::Path;

use serde_json::{json, Map, Value};

use fields::FieldList;

/// The methods an OpenAPI path item can hold; other keys (`parameters`, `summary`) are skipped.
const HTTP_METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Query parameter the help documents for GET requests (`?access_token=`) although the spec
/// models authentication only as a bearer security scheme.
const GET_TOKEN_PARAMETER: &str = "access_token";

/// Validates requests against the Planfix REST API spec.
pub struct SpecValidator {
    paths: Vec<PathItem>,
}

/// Why the spec does not allow a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Rejection {
    /// No operation with this method and path exists (Planfix answers 404).
    UnknownOperation(String),
    /// The operation exists but the parameters or the body do not match it.
    Invalid(String),
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownOperation(reason) | Self::Invalid(reason) => f.write_str(reason),
        }
    }
}

struct PathItem {
    template: String,
    segments: Vec<Segment>,
    operations: Vec<Operation>,
}

enum Segment {
    Literal(String),
    Parameter(String),
}

struct Operation {
    /// Upper case, as on the wire.
    method: String,
    parameters: Vec<Parameter>,
    body: Option<RequestBody>,
}

#[derive(PartialEq, Eq)]
enum Location {
    Path,
    Query,
    Other,
}

struct Parameter {
    name: String,
    location: Location,
    required: bool,
    /// The schema's `type`, used to turn the raw string into a JSON value before validation.
    scalar_type: Option<String>,
    schema: jsonschema::Validator,
    fields: Option<FieldList>,
}

struct RequestBody {
    required: bool,
    /// `None` when the body is not JSON (e.g. the multipart file upload).
    schema: Option<jsonschema::Validator>,
    fields: Option<FieldList>,
    /// The operation accepts `multipart/form-data`.
    multipart: bool,
}

/// The request body as the gate saw it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum BodyKind<'a> {
    /// Parsed JSON; `None` when the body is empty.
    Json(Option<&'a Value>),
    /// A `multipart/*` body with this Content-Type, not read before the handler.
    Multipart(&'a str),
}

impl SpecValidator {
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let spec: Value = serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
        Self::from_value(spec)
    }

    /// Builds the validator from an already parsed spec document.
    pub fn from_value(mut spec: Value) -> Result<Self, String> {
        normalise::apply(&mut spec);
        let compiler = Compiler::new(&spec);
        let paths = spec.get("paths").and_then(Value::as_object).ok_or("the spec has no `paths` object")?;
        let mut items = Vec::with_capacity(paths.len());
        for (template, item) in paths {
            let mut operations = Vec::new();
            for (method, operation) in item.as_object().into_iter().flatten() {
                if HTTP_METHODS.contains(&method.as_str()) {
                    let operation = compiler
                        .operation(method, operation)
                        .map_err(|e| format!("{} {template}: {e}", method.to_uppercase()))?;
                    operations.push(operation);
                }
            }
            items.push(PathItem { template: template.clone(), segments: parse_template(template), operations });
        }
        Ok(Self { paths: items })
    }

    /// Checks that `method` + `path` name an operation of the spec (templated paths such as
    /// `/task/{id}` match), that every query parameter is declared for it and matches its schema,
    /// and that the JSON body validates against the operation's request-body schema.
    /// `path` is relative to the API root (`/task/1`, not `/rest/task/1`).
    pub fn check(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> Result<(), String> {
        self.check_body_kind(method, path, query, BodyKind::Json(body))
            .map(drop)
            .map_err(|rejection| rejection.to_string())
    }

    /// Like [`Self::check`] for either kind of body; on success returns the spec's path template
    /// that matched.
    pub(crate) fn check_body_kind(
        &self,
        method: &str,
        path: &str,
        query: &[(String, String)],
        body: BodyKind<'_>,
    ) -> Result<&str, Rejection> {
        let method = method.to_ascii_uppercase();
        let (item, path_values) = self
            .match_path(path)
            .ok_or_else(|| Rejection::UnknownOperation(format!("the spec defines no path {path}")))?;
        let operation = item.operations.iter().find(|op| op.method == method).ok_or_else(|| {
            Rejection::UnknownOperation(format!("the spec defines no {method} operation on {}", item.template))
        })?;
        let invalid = |reason: String| Rejection::Invalid(format!("{method} {}: {reason}", item.template));

        for (name, raw) in &path_values {
            if let Some(parameter) = operation.parameter(name, Location::Path) {
                parameter.check(raw).map_err(|e| invalid(format!("path parameter {name}={raw:?}: {e}")))?;
            }
        }
        for (name, raw) in query {
            if method == "GET" && name == GET_TOKEN_PARAMETER {
                continue;
            }
            let parameter = operation
                .parameter(name, Location::Query)
                .ok_or_else(|| invalid(format!("query parameter '{name}' is not declared")))?;
            parameter.check(raw).map_err(|e| invalid(format!("query parameter {name}={raw:?}: {e}")))?;
        }
        let missing = operation
            .parameters
            .iter()
            .find(|p| p.location == Location::Query && p.required && !query.iter().any(|(name, _)| *name == p.name));
        if let Some(parameter) = missing {
            return Err(invalid(format!("required query parameter '{}' is missing", parameter.name)));
        }
        operation.check_body(body).map_err(invalid)?;
        Ok(&item.template)
    }

    /// The best matching path item (most literal segments wins, so `/task/list` beats
    /// `/task/{id}`) and the values of its path parameters.
    fn match_path(&self, path: &str) -> Option<(&PathItem, Vec<(String, String)>)> {
        let segments: Vec<&str> = path.split('/').collect();
        let mut best: Option<(usize, &PathItem, Vec<(String, String)>)> = None;
        for item in &self.paths {
            if item.segments.len() != segments.len() {
                continue;
            }
            let mut literals = 0;
            let mut values = Vec::new();
            let matched = item.segments.iter().zip(&segments).all(|(segment, actual)| match segment {
                Segment::Literal(text) => {
                    literals += 1;
                    text == actual
                }
                Segment::Parameter(name) => {
                    values.push((name.clone(), percent_decode(actual)));
                    !actual.is_empty()
                }
            });
            if matched && best.as_ref().is_none_or(|(score, _, _)| literals > *score) {
                best = Some((literals, item, values));
            }
        }
        best.map(|(_, item, values)| (item, values))
    }
}

impl Operation {
    fn parameter(&self, name: &str, location: Location) -> Option<&Parameter> {
        self.parameters.iter().find(|p| p.name == name && p.location == location)
    }

    fn check_body(&self, body: BodyKind<'_>) -> Result<(), String> {
        let body = match body {
            BodyKind::Json(body) => body,
            BodyKind::Multipart(content_type) => return self.check_multipart(content_type),
        };
        let (Some(spec), Some(body)) = (&self.body, body) else {
            return match (&self.body, body) {
                (None, Some(_)) => Err("the operation takes no request body".to_owned()),
                (Some(spec), None) if spec.required => Err("a request body is required".to_owned()),
                _ => Ok(()),
            };
        };
        let Some(schema) = &spec.schema else {
            return Err("the operation's request body is not JSON".to_owned());
        };
        let errors: Vec<String> = schema
            .iter_errors(body)
            .take(3)
            .map(|error| {
                let at = error.instance_path().to_string();
                format!("body {}: {error}", if at.is_empty() { "/" } else { at.as_str() })
            })
            .collect();
        if !errors.is_empty() {
            return Err(errors.join("; "));
        }
        if let (Some(fields), Some(selector)) = (&spec.fields, body.get("fields").and_then(Value::as_str)) {
            fields.check(selector).map_err(|e| format!("body /fields: {e}"))?;
        }
        Ok(())
    }
}

impl Operation {
    /// The parts are not validated: the handler reads them as a stream.
    fn check_multipart(&self, content_type: &str) -> Result<(), String> {
        let media_type = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        if media_type != "multipart/form-data" {
            return Err(format!("Content-Type {content_type:?} is not multipart/form-data"));
        }
        match &self.body {
            Some(body) if body.multipart => Ok(()),
            _ => Err("the operation takes no multipart/form-data body".to_owned()),
        }
    }
}

impl Parameter {
    fn check(&self, raw: &str) -> Result<(), String> {
        let value = coerce(raw, self.scalar_type.as_deref());
        if let Some(error) = self.schema.iter_errors(&value).next() {
            return Err(error.to_string());
        }
        match &self.fields {
            Some(fields) => fields.check(raw),
            None => Ok(()),
        }
    }
}

/// Query and path values arrive as text; give them the JSON type their schema declares so that
/// `?id=12` satisfies `type: integer` and `?id=abc` does not.
fn coerce(raw: &str, scalar_type: Option<&str>) -> Value {
    let text = || Value::String(raw.to_owned());
    match scalar_type {
        Some("integer") => raw.parse::<i64>().map(Value::from).unwrap_or_else(|_| text()),
        Some("number") => {
            raw.parse::<f64>().ok().and_then(serde_json::Number::from_f64).map(Value::Number).unwrap_or_else(text)
        }
        Some("boolean") => match raw {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => text(),
        },
        _ => text(),
    }
}

fn parse_template(template: &str) -> Vec<Segment> {
    template
        .split('/')
        .map(|segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => Segment::Parameter(name.to_owned()),
            None => Segment::Literal(segment.to_owned()),
        })
        .collect()
}

/// Decodes `%XX` escapes (e.g. `contact%3A12`); invalid escapes are kept as they are.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Compiles schemas of the (normalised) spec. A schema that refers to
/// `#/components/schemas/...` is compiled inside a small root document that carries the
/// component schemas, so that those references resolve.
struct Compiler<'a> {
    spec: &'a Value,
    components: Value,
}

impl<'a> Compiler<'a> {
    fn new(spec: &'a Value) -> Self {
        let schemas = spec.pointer("/components/schemas").cloned().unwrap_or_else(|| json!({}));
        Self { spec, components: json!({ "schemas": schemas }) }
    }

    fn operation(&self, method: &str, operation: &Value) -> Result<Operation, String> {
        let mut parameters = Vec::new();
        for parameter in operation.get("parameters").and_then(Value::as_array).into_iter().flatten() {
            parameters.push(self.parameter(self.resolve(parameter)?)?);
        }
        let body = match operation.get("requestBody") {
            Some(body) => Some(self.request_body(self.resolve(body)?)?),
            None => None,
        };
        Ok(Operation { method: method.to_ascii_uppercase(), parameters, body })
    }

    fn parameter(&self, parameter: &Value) -> Result<Parameter, String> {
        let name = parameter.get("name").and_then(Value::as_str).ok_or("a parameter has no name")?;
        let location = match parameter.get("in").and_then(Value::as_str) {
            Some("path") => Location::Path,
            Some("query") => Location::Query,
            _ => Location::Other,
        };
        let schema = parameter.get("schema").cloned().unwrap_or_else(|| json!({}));
        let description = parameter.get("description").and_then(Value::as_str).unwrap_or_default();
        Ok(Parameter {
            name: name.to_owned(),
            required: location == Location::Path || parameter.get("required") == Some(&Value::Bool(true)),
            location,
            scalar_type: schema.get("type").and_then(Value::as_str).map(str::to_owned),
            schema: self.compile(&schema).map_err(|e| format!("parameter {name}: {e}"))?,
            fields: (name == "fields").then(|| FieldList::from_description(description)).flatten(),
        })
    }

    fn request_body(&self, body: &Value) -> Result<RequestBody, String> {
        let required = body.get("required") == Some(&Value::Bool(true));
        let json_schema = body.pointer("/content/application~1json/schema");
        let schema = json_schema.map(|schema| self.compile(schema)).transpose()?;
        let fields = json_schema
            .and_then(|schema| schema.pointer("/properties/fields/description"))
            .and_then(Value::as_str)
            .and_then(FieldList::from_description);
        let multipart = body.pointer("/content/multipart~1form-data").is_some();
        Ok(RequestBody { required, schema, fields, multipart })
    }

    /// Follows a local `$ref` (parameters and request bodies may be references).
    fn resolve<'v>(&'v self, value: &'v Value) -> Result<&'v Value, String> {
        match value.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let pointer = reference.strip_prefix('#').ok_or_else(|| format!("non-local $ref {reference}"))?;
                self.spec.pointer(pointer).ok_or_else(|| format!("unresolved $ref {reference}"))
            }
            None => Ok(value),
        }
    }

    fn compile(&self, schema: &Value) -> Result<jsonschema::Validator, String> {
        let root = if mentions_ref(schema) {
            let mut root = Map::new();
            root.insert("allOf".to_owned(), Value::Array(vec![schema.clone()]));
            root.insert("components".to_owned(), self.components.clone());
            Value::Object(root)
        } else {
            schema.clone()
        };
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&root)
            .map_err(|e| format!("schema does not compile: {e}"))
    }
}

fn mentions_ref(schema: &Value) -> bool {
    match schema {
        Value::Object(map) => map.contains_key("$ref") || map.values().any(mentions_ref),
        Value::Array(items) => items.iter().any(mentions_ref),
        _ => false,
    }
}
