//! Reading one JSON object of a `describe-*` output field by field, remembering which
//! fields were read, so that every field the converter did not use is reported (never
//! dropped silently) and every field of the wrong type is an error naming the file and the
//! field's path.

use std::cell::RefCell;
use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::report::Report;
use crate::TrainerError;

/// One JSON object and the path it sits at (`solution.solutionConfig`).
#[derive(Debug)]
pub struct Fields<'a> {
    file: &'a str,
    path: String,
    map: &'a Map<String, Value>,
    used: RefCell<BTreeSet<String>>,
}

/// Values in AWS outputs that are numbers in the service model but written as strings in
/// some documented examples (`"minProvisionedTPS": "1"`), or the other way round.
fn number_of(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

impl<'a> Fields<'a> {
    /// The top-level object of a file.
    pub fn root(file: &'a str, value: &'a Value) -> Result<Fields<'a>, TrainerError> {
        match value {
            Value::Object(map) => Ok(Fields::new(file, String::new(), map)),
            other => Err(TrainerError::Manifest {
                file: file.to_string(),
                message: format!(
                    "expected a JSON object (the output of an AWS CLI describe command), found {}",
                    kind_of(other)
                ),
            }),
        }
    }

    fn new(file: &'a str, path: String, map: &'a Map<String, Value>) -> Fields<'a> {
        Fields { file, path, map, used: RefCell::new(BTreeSet::new()) }
    }

    /// The file these fields come from.
    pub fn file(&self) -> &'a str {
        self.file
    }

    /// `path.key`, as errors and notes name a field.
    pub fn path_of(&self, key: &str) -> String {
        if self.path.is_empty() { key.to_string() } else { format!("{}.{key}", self.path) }
    }

    /// The keys of the object, in file order (serde_json keeps them sorted; good enough).
    pub fn keys(&self) -> impl Iterator<Item = &'a String> {
        self.map.keys()
    }

    pub fn has(&self, key: &str) -> bool {
        self.map.get(key).is_some_and(|v| !v.is_null())
    }

    /// An error about one field.
    pub fn error(&self, key: &str, message: impl std::fmt::Display) -> TrainerError {
        TrainerError::Manifest { file: self.file.to_string(), message: format!("{}: {message}", self.path_of(key)) }
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.used.borrow_mut().insert(key.to_string());
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn wrong(&self, key: &str, expected: &str, found: &Value) -> TrainerError {
        self.error(key, format!("expected {expected}, found {}", kind_of(found)))
    }

    /// Marks a field as read without using it (state of the AWS resource, such as `status`).
    pub fn skip(&self, key: &str) {
        self.used.borrow_mut().insert(key.to_string());
    }

    pub fn raw(&self, key: &str) -> Option<&'a Value> {
        self.get(key)
    }

    pub fn string(&self, key: &str) -> Result<Option<&'a str>, TrainerError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(other) => Err(self.wrong(key, "a string", other)),
        }
    }

    pub fn required_string(&self, key: &str) -> Result<&'a str, TrainerError> {
        self.string(key)?.ok_or_else(|| self.error(key, "missing (every describe output has it)"))
    }

    pub fn boolean(&self, key: &str) -> Result<Option<bool>, TrainerError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(other) => Err(self.wrong(key, "true or false", other)),
        }
    }

    pub fn number(&self, key: &str) -> Result<Option<f64>, TrainerError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => number_of(v).map(Some).ok_or_else(|| self.wrong(key, "a number", v)),
        }
    }

    /// A whole number that fits an `i32` (horizons, windows, TPS).
    pub fn integer(&self, key: &str) -> Result<Option<i32>, TrainerError> {
        match self.number(key)? {
            None => Ok(None),
            Some(n) if n.fract() == 0.0 && n >= f64::from(i32::MIN) && n <= f64::from(i32::MAX) => Ok(Some(n as i32)),
            Some(n) => Err(self.error(key, format!("expected a whole number, found {n}"))),
        }
    }

    pub fn object(&self, key: &str) -> Result<Option<Fields<'a>>, TrainerError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Fields::new(self.file, self.path_of(key), map))),
            Some(other) => Err(self.wrong(key, "an object", other)),
        }
    }

    pub fn list(&self, key: &str) -> Result<Vec<&'a Value>, TrainerError> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => Ok(items.iter().collect()),
            Some(other) => Err(self.wrong(key, "a list", other)),
        }
    }

    /// A list of objects, each as fields at `key[i]`.
    pub fn objects(&self, key: &str) -> Result<Vec<Fields<'a>>, TrainerError> {
        let mut out = Vec::new();
        for (i, item) in self.list(key)?.into_iter().enumerate() {
            match item {
                Value::Object(map) => out.push(Fields::new(self.file, format!("{}[{i}]", self.path_of(key)), map)),
                other => {
                    return Err(
                        self.error(&format!("{key}[{i}]"), format!("expected an object, found {}", kind_of(other)))
                    );
                }
            }
        }
        Ok(out)
    }

    pub fn strings(&self, key: &str) -> Result<Vec<&'a str>, TrainerError> {
        let mut out = Vec::new();
        for (i, item) in self.list(key)?.into_iter().enumerate() {
            match item {
                Value::String(s) => out.push(s.as_str()),
                other => {
                    return Err(
                        self.error(&format!("{key}[{i}]"), format!("expected a string, found {}", kind_of(other)))
                    );
                }
            }
        }
        Ok(out)
    }

    /// A map of string values (`algorithmHyperParameters`, `Transformations`); numbers and
    /// booleans are taken as their text.
    pub fn string_map(&self, key: &str) -> Result<Vec<(&'a str, String)>, TrainerError> {
        let Some(obj) = self.object(key)? else { return Ok(Vec::new()) };
        let mut out = Vec::new();
        for (k, v) in obj.map {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                other => return Err(obj.wrong(k, "a string", other)),
            };
            out.push((k.as_str(), text));
        }
        obj.used.borrow_mut().extend(obj.map.keys().cloned());
        Ok(out)
    }

    /// Reports every field that was not read as one without a Seer equivalent.
    pub fn finish(&self, report: &mut Report, subject: &str) {
        let used = self.used.borrow();
        for (key, value) in self.map {
            if !used.contains(key) && !value.is_null() {
                report.unsupported(
                    self.file,
                    subject,
                    &self.path_of(key),
                    "no Seer equivalent (a field this converter does not know)",
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_and_names_the_wrong_ones() {
        let v: Value = serde_json::json!({"a": {"n": "1", "b": "yes", "x": 1.5}, "l": [1], "extra": true});
        let f = Fields::root("f.json", &v).unwrap();
        let a = f.object("a").unwrap().unwrap();
        assert_eq!(a.integer("n").unwrap(), Some(1), "numbers written as strings are read");
        assert_eq!(a.boolean("b").unwrap_err().to_string(), "f.json: a.b: expected true or false, found a string");
        assert_eq!(a.integer("x").unwrap_err().to_string(), "f.json: a.x: expected a whole number, found 1.5");
        assert_eq!(f.strings("l").unwrap_err().to_string(), "f.json: l[0]: expected a string, found a number");
        let mut report = Report::default();
        f.finish(&mut report, "thing");
        let lines: Vec<String> = report.notes().iter().map(|n| n.field.clone()).collect();
        assert_eq!(lines, ["extra"], "only the unread field is reported");
        assert!(
            Fields::root("g.json", &serde_json::json!([1]))
                .unwrap_err()
                .to_string()
                .starts_with("g.json: expected a JSON object")
        );
    }
}
