//! The reference part of `docs/http-api.md`: Markdown rendered from the OpenAPI document
//! ([`crate::openapi::document`]), so the page lists every route the server serves and
//! cannot drift from it. A test (`server/tests/http_api_doc.rs`) fails when the page's part
//! between [`BEGIN`] and [`END`] differs from [`render`]'s output, and rewrites it with
//! `SEER_BLESS=1`.
//!
//! One section per operation (method and path, summary, description, authentication,
//! parameters, request body fields, responses), then every component schema's fields, then the
//! security schemes. Everything is sorted here (operations by tag, path and method; fields and
//! schemas by name), so the output does not depend on the JSON maps' order.

use std::collections::BTreeSet;

use serde_json::Value;

/// The line before the generated part of `docs/http-api.md`.
pub const BEGIN: &str = "<!-- generated: openapi -->";
/// The line after it.
pub const END: &str = "<!-- end generated: openapi -->";
/// The page, from the repository root.
pub const DOC_PATH: &str = "docs/http-api.md";
/// The command that rewrites the generated part.
pub const BLESS_COMMAND: &str = "SEER_BLESS=1 cargo test -p seer-server --test http_api_doc";

/// Methods in the order operations of one path are listed.
const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// The Markdown of the whole document, without the markers.
pub fn render(doc: &Value) -> String {
    let r = Renderer { doc };
    let mut out = String::new();
    out.push_str(&format!(
        "<!-- Rendered from GET /openapi.json by server/src/openapi_markdown.rs; do not edit by hand: \
         `{BLESS_COMMAND}` rewrites this part. -->\n\n"
    ));
    out.push_str(&r.operations());
    out.push_str(&r.schemas());
    out.push_str(&r.security_schemes());
    // One blank line between blocks, and one before the end marker.
    while out.contains("\n\n\n") {
        out = out.replace("\n\n\n", "\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push_str("\n\n");
    out
}

/// The text between the markers of `page` (without the marker lines).
pub fn generated_part(page: &str) -> Result<&str, String> {
    let (start, end) = bounds(page)?;
    Ok(&page[start..end])
}

/// `page` with the text between its markers replaced by `generated`.
pub fn splice(page: &str, generated: &str) -> Result<String, String> {
    let (start, end) = bounds(page)?;
    Ok(format!("{}{}{}", &page[..start], generated, &page[end..]))
}

/// Byte range of the text between the line `BEGIN` and the line `END`.
fn bounds(page: &str) -> Result<(usize, usize), String> {
    if page.matches(BEGIN).count() != 1 || page.matches(END).count() != 1 {
        return Err(format!("{DOC_PATH} must have one line `{BEGIN}` and, after it, one line `{END}`"));
    }
    let begin = format!("{BEGIN}\n");
    let start = page.find(&begin).map(|i| i + begin.len()).ok_or_else(|| format!("no line `{BEGIN}`"))?;
    let stop = page[start..].find(END).map(|i| start + i).ok_or_else(|| format!("no line `{END}` after `{BEGIN}`"))?;
    if stop > start && !page[..stop].ends_with('\n') {
        return Err(format!("`{END}` must start a line"));
    }
    Ok((start, stop))
}

/// The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens.
pub fn anchor(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

struct Renderer<'a> {
    doc: &'a Value,
}

/// One operation: its tag's place, path, method and the operation object.
struct Operation<'a> {
    tag: usize,
    path: &'a str,
    method: &'a str,
    op: &'a Value,
}

impl Operation<'_> {
    fn title(&self) -> String {
        format!("{} {}", self.method.to_ascii_uppercase(), self.path)
    }
}

impl<'a> Renderer<'a> {
    /// Follows a local `$ref` (`#/components/...`); anything else is returned as it is.
    fn resolve(&self, value: &'a Value) -> &'a Value {
        match value.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
            Some(pointer) => self.doc.pointer(pointer).unwrap_or(value),
            None => value,
        }
    }

    fn list(&self) -> Vec<Operation<'a>> {
        let tags: Vec<&str> = array(&self.doc["tags"]).iter().filter_map(|t| t["name"].as_str()).collect();
        let mut ops = Vec::new();
        for (path, item) in object(&self.doc["paths"]) {
            for method in METHODS {
                if let Some(op) = item.get(method) {
                    let tag = array(&op["tags"])
                        .first()
                        .and_then(Value::as_str)
                        .and_then(|t| tags.iter().position(|known| *known == t))
                        .unwrap_or(tags.len());
                    ops.push(Operation { tag, path, method, op });
                }
            }
        }
        ops.sort_by(|a, b| {
            let order = |o: &Operation| METHODS.iter().position(|m| *m == o.method);
            (a.tag, a.path, order(a)).cmp(&(b.tag, b.path, order(b)))
        });
        ops
    }

    fn operations(&self) -> String {
        let ops = self.list();
        let mut out =
            String::from("## Operations\n\n| operation | summary | tag | authentication |\n|---|---|---|---|\n");
        for o in &ops {
            let title = o.title();
            out.push_str(&format!(
                "| [`{title}`](#{}) | {} | {} | {} |\n",
                anchor(&title),
                cell(o.op["summary"].as_str().unwrap_or("")),
                array(&o.op["tags"])
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                self.security_names(o.op),
            ));
        }
        for o in &ops {
            out.push('\n');
            out.push_str(&self.operation(o));
        }
        out
    }

    fn operation(&self, o: &Operation) -> String {
        let op = o.op;
        let mut out = format!("### `{}`\n\n", o.title());
        let summary = op["summary"].as_str().unwrap_or("");
        let description = op["description"].as_str().unwrap_or("");
        match (summary.is_empty(), description.is_empty()) {
            (false, false) => out.push_str(&format!("**{}** {description}\n\n", sentence(summary))),
            (false, true) => out.push_str(&format!("**{}**\n\n", sentence(summary))),
            (true, false) => out.push_str(&format!("{description}\n\n")),
            (true, true) => {}
        }
        let mut facts = Vec::new();
        if let Some(id) = op["operationId"].as_str() {
            facts.push(format!("Operation id `{id}`."));
        }
        facts.push(format!("Authentication: {}.", self.security_text(op)));
        out.push_str(&facts.join(" "));
        out.push_str("\n\n");
        out.push_str(&self.parameters(o));
        out.push_str(&self.request_body(op));
        out.push_str(&self.responses(op));
        out
    }

    /// The operation's security requirements, or the document's when it names none.
    fn requirements(&self, op: &'a Value) -> &'a [Value] {
        match op.get("security") {
            Some(s) => array(s),
            None => array(&self.doc["security"]),
        }
    }

    /// Scheme names for the index: alternatives joined by "or", `none` when open.
    fn security_names(&self, op: &Value) -> String {
        let alternatives: Vec<String> = self
            .requirements(op)
            .iter()
            .map(|req| keys(req).into_iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(" and "))
            .filter(|s| !s.is_empty())
            .collect();
        if alternatives.is_empty() { "none".to_string() } else { alternatives.join(" or ") }
    }

    /// What a client sends for the operation's security requirements.
    fn security_text(&self, op: &Value) -> String {
        let alternatives: Vec<String> = self
            .requirements(op)
            .iter()
            .map(|req| keys(req).into_iter().map(|k| self.scheme_text(k)).collect::<Vec<_>>().join(" and "))
            .filter(|s| !s.is_empty())
            .collect();
        if alternatives.is_empty() {
            "none".to_string()
        } else {
            format!("{} (see [Security schemes](#security-schemes))", alternatives.join(" or "))
        }
    }

    fn scheme_text(&self, name: &str) -> String {
        let scheme = self.resolve(&self.doc["components"]["securitySchemes"][name]);
        let key_name = scheme["name"].as_str().unwrap_or(name);
        match (scheme["type"].as_str(), scheme["in"].as_str(), scheme["scheme"].as_str()) {
            (Some("apiKey"), Some("header"), _) => format!("`{key_name}: <key>`"),
            (Some("apiKey"), Some("query"), _) => format!("`?{key_name}=<key>`"),
            (Some("apiKey"), Some("cookie"), _) => format!("cookie `{key_name}`"),
            (Some("http"), _, Some(s)) if s.eq_ignore_ascii_case("bearer") => {
                "`Authorization: Bearer <key>`".to_string()
            }
            (Some("http"), _, Some(s)) => format!("`Authorization: {s}`"),
            _ => format!("`{name}`"),
        }
    }

    fn parameters(&self, o: &Operation) -> String {
        // Path-level parameters apply unless the operation redefines them (same name and place).
        let mut params: Vec<&Value> = array(&o.op["parameters"]).iter().map(|p| self.resolve(p)).collect();
        for p in array(&self.doc["paths"][o.path]["parameters"]).iter().map(|p| self.resolve(p)) {
            if !params.iter().any(|q| q["name"] == p["name"] && q["in"] == p["in"]) {
                params.push(p);
            }
        }
        if params.is_empty() {
            return String::new();
        }
        let mut out =
            String::from("**Parameters**\n\n| name | in | type | required | description |\n|---|---|---|---|---|\n");
        for p in params {
            let place = p["in"].as_str().unwrap_or("");
            let mut kind = self.type_text(&p["schema"]);
            let style = p["style"].as_str().unwrap_or(if place == "query" { "form" } else { "simple" });
            let explode = p["explode"].as_bool().unwrap_or(style == "form");
            if place == "query" && style == "form" && explode && p["schema"]["type"] == "object" {
                kind.push_str(", sent as one `<key>=<value>` query parameter per entry");
            }
            out.push_str(&format!(
                "| `{}` | {place} | {} | {} | {} |\n",
                p["name"].as_str().unwrap_or(""),
                cell(&kind),
                yes_no(p["required"].as_bool().unwrap_or(false)),
                cell(p["description"].as_str().unwrap_or("")),
            ));
        }
        out.push('\n');
        out
    }

    fn request_body(&self, op: &Value) -> String {
        let Some(body) = op.get("requestBody").map(|b| self.resolve(b)) else {
            return String::new();
        };
        let mut out = String::new();
        for (media, content) in object(&body["content"]) {
            let schema = &content["schema"];
            out.push_str(&format!(
                "**Request body** (`{media}`, {}): {}\n\n",
                if body["required"].as_bool().unwrap_or(false) { "required" } else { "optional" },
                self.type_text(schema),
            ));
            out.push_str(&self.fields(schema));
        }
        out
    }

    fn responses(&self, op: &Value) -> String {
        let mut statuses = object(&op["responses"]);
        // Numeric codes first, in order; `1XX`-style ranges and `default` after them.
        statuses.sort_by_key(|(code, _)| (code.parse::<u16>().unwrap_or(u16::MAX), code.to_string()));
        let mut out = String::from("**Responses**\n\n| status | meaning | body | headers |\n|---|---|---|---|\n");
        let mut inline = String::new();
        for (code, response) in statuses {
            let response = self.resolve(response);
            let bodies: Vec<String> = object(&response["content"])
                .iter()
                .map(|(media, content)| {
                    let schema = self.resolve(&content["schema"]);
                    if content["schema"].get("$ref").is_none() && !object(&schema["properties"]).is_empty() {
                        inline.push_str(&format!("**{code} body** (`{media}`)\n\n{}", self.fields(schema)));
                        format!("`{media}`: object (fields below)")
                    } else {
                        format!("`{media}`: {}", self.type_text(&content["schema"]))
                    }
                })
                .collect();
            let headers: Vec<String> = keys(&response["headers"]).into_iter().map(|h| format!("`{h}`")).collect();
            out.push_str(&format!(
                "| {code} | {} | {} | {} |\n",
                cell(response["description"].as_str().unwrap_or("")),
                cell(&if bodies.is_empty() { "none".to_string() } else { bodies.join("; ") }),
                if headers.is_empty() { String::new() } else { headers.join(", ") },
            ));
        }
        out.push('\n');
        out.push_str(&inline);
        out
    }

    /// A field table of an object schema (after `$ref`), or nothing for other schemas.
    fn fields(&self, schema: &Value) -> String {
        let schema = self.resolve(schema);
        let properties = object(&schema["properties"]);
        if properties.is_empty() {
            return String::new();
        }
        let required: BTreeSet<&str> = array(&schema["required"]).iter().filter_map(Value::as_str).collect();
        let mut out = String::from("| field | type | required | description |\n|---|---|---|---|\n");
        for (name, property) in properties {
            let description = property["description"]
                .as_str()
                .or_else(|| self.resolve(property)["description"].as_str())
                .unwrap_or("");
            out.push_str(&format!(
                "| `{name}` | {} | {} | {} |\n",
                cell(&self.type_text(property)),
                yes_no(required.contains(name.as_str())),
                cell(description),
            ));
        }
        out.push('\n');
        out
    }

    fn schemas(&self) -> String {
        let schemas = object(&self.doc["components"]["schemas"]);
        if schemas.is_empty() {
            return String::new();
        }
        let mut out = String::from("## Schemas\n");
        for (name, schema) in schemas {
            out.push_str(&format!("\n### `{name}`\n\n"));
            if let Some(description) = schema["description"].as_str() {
                out.push_str(&format!("{}\n\n", one_line(description)));
            }
            let fields = self.fields(schema);
            if fields.is_empty() {
                out.push_str(&format!("{}\n\n", self.type_text(schema)));
            } else {
                out.push_str(&fields);
            }
        }
        out
    }

    fn security_schemes(&self) -> String {
        let schemes = object(&self.doc["components"]["securitySchemes"]);
        if schemes.is_empty() {
            return String::new();
        }
        let mut out =
            String::from("\n## Security schemes\n\n| scheme | type | sent as | description |\n|---|---|---|---|\n");
        for (name, scheme) in schemes {
            let scheme = self.resolve(scheme);
            out.push_str(&format!(
                "| `{name}` | {} | {} | {} |\n",
                scheme["type"].as_str().unwrap_or(""),
                cell(&self.scheme_text(name)),
                cell(scheme["description"].as_str().unwrap_or("")),
            ));
        }
        out
    }

    /// A schema in words: a link for a named schema, else its type with format and limits.
    fn type_text(&self, schema: &Value) -> String {
        if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
            let name = r.rsplit('/').next().unwrap_or(r);
            return if r.starts_with("#/components/schemas/") {
                format!("[`{name}`](#{})", anchor(name))
            } else {
                format!("`{name}`")
            };
        }
        if let Some(value) = schema.get("const") {
            return format!("`{value}`");
        }
        if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            let values: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
            return format!("one of {}", values.join(", "));
        }
        for (key, joint) in [("anyOf", " or "), ("oneOf", " or "), ("allOf", " and ")] {
            if let Some(parts) = schema.get(key).and_then(Value::as_array) {
                return parts.iter().map(|p| self.type_text(p)).collect::<Vec<_>>().join(joint);
            }
        }
        let types: Vec<&str> = match &schema["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let mut names: Vec<String> = types
            .iter()
            .filter(|t| **t != "null")
            .map(|t| match *t {
                "array" => match schema.get("items") {
                    Some(items) => format!("array of {}", self.type_text(items)),
                    None => "array".to_string(),
                },
                "object" => match schema.get("additionalProperties") {
                    Some(v @ Value::Object(_)) => format!("object: string → {}", self.type_text(v)),
                    _ => "object".to_string(),
                },
                other => other.to_string(),
            })
            .collect();
        if names.is_empty() {
            names.push("any".to_string());
        }
        if types.contains(&"null") {
            names.push("null".to_string());
        }
        let mut text = names.join(" or ");
        let mut notes = Vec::new();
        if types.contains(&"string")
            && let Some(format) = schema["format"].as_str()
        {
            notes.push(format.to_string());
        }
        notes.extend(limits(schema));
        if !notes.is_empty() {
            text.push_str(&format!(" ({})", notes.join(", ")));
        }
        text
    }
}

/// The schema's limits in words: ranges, sizes, pattern, key names, default.
fn limits(schema: &Value) -> Vec<String> {
    let mut out = Vec::new();
    match (&schema["minimum"], &schema["maximum"]) {
        (min, max) if min.is_number() && max.is_number() => out.push(format!("{} to {}", number(min), number(max))),
        (min, _) if min.is_number() => out.push(format!("≥ {}", number(min))),
        (_, max) if max.is_number() => out.push(format!("≤ {}", number(max))),
        _ => {}
    }
    if schema["exclusiveMinimum"].is_number() {
        out.push(format!("> {}", number(&schema["exclusiveMinimum"])));
    }
    if schema["exclusiveMaximum"].is_number() {
        out.push(format!("< {}", number(&schema["exclusiveMaximum"])));
    }
    out.extend(size(&schema["minItems"], &schema["maxItems"], "item"));
    out.extend(size(&schema["minLength"], &schema["maxLength"], "character"));
    if let Some(pattern) = schema["pattern"].as_str() {
        out.push(format!("pattern `{pattern}`"));
    }
    if let Some(names) = schema["propertyNames"]["not"]["enum"].as_array() {
        let names: Vec<String> = names.iter().filter_map(Value::as_str).map(|n| format!("`{n}`")).collect();
        out.push(format!("keys other than {}", names.join(", ")));
    }
    if let Some(default) = schema.get("default") {
        out.push(format!("default `{default}`"));
    }
    out
}

/// `1 to 10 items`, `at least 1 character`, ... for a pair of size limits.
fn size(min: &Value, max: &Value, unit: &str) -> Option<String> {
    let units = |n: u64| if n == 1 { unit.to_string() } else { format!("{unit}s") };
    match (min.as_u64(), max.as_u64()) {
        (Some(a), Some(b)) => Some(format!("{a} to {b} {}", units(b))),
        (Some(a), None) => Some(format!("at least {a} {}", units(a))),
        (None, Some(b)) => Some(format!("at most {b} {}", units(b))),
        (None, None) => None,
    }
}

/// A JSON number as people write it: integers plainly, large round floats as `1e15`.
fn number(value: &Value) -> String {
    if value.is_i64() || value.is_u64() {
        return value.to_string();
    }
    match value.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() >= 1e9 => format!("{f:e}"),
        Some(f) if f.fract() == 0.0 => format!("{f:.0}"),
        Some(f) => f.to_string(),
        None => value.to_string(),
    }
}

/// Text for a table cell: one line, `|` escaped.
fn cell(text: &str) -> String {
    one_line(text).replace('|', "\\|")
}

/// Line breaks (doc comments wrap) as spaces.
fn one_line(text: &str) -> String {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" ")
}

/// A summary as a sentence: with a final full stop.
fn sentence(text: &str) -> String {
    if text.ends_with(['.', '!', '?']) { text.to_string() } else { format!("{text}.") }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// The object's members sorted by key (serde_json's map order depends on a crate feature that
/// another crate of the workspace may turn on); none for a value that is not an object.
fn object(value: &Value) -> Vec<(&String, &Value)> {
    let mut members: Vec<(&String, &Value)> = value.as_object().map(|m| m.iter().collect()).unwrap_or_default();
    members.sort_by(|a, b| a.0.cmp(b.0));
    members
}

/// The object's keys, sorted.
fn keys(value: &Value) -> Vec<&String> {
    object(value).into_iter().map(|(k, _)| k).collect()
}

fn array(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}
