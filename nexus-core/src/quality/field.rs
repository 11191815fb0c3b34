//! User field rules: a path into the unified JSON form and one check on what it finds.

use serde_json::Value;

use super::config::FieldCheck;

#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    Index(usize),
    Each,
}

#[derive(Debug, Clone)]
enum Compiled {
    Required,
    Pattern(regex_lite::Regex),
    Range(Option<f64>, Option<f64>),
    Allowed(Vec<String>),
    Length(Option<usize>, Option<usize>),
}

/// A field rule's path and check, compiled.
#[derive(Debug, Clone)]
pub(crate) struct FieldPath {
    segs: Vec<Seg>,
    check: Compiled,
}

/// What a field rule found wrong at one place.
pub(crate) struct Finding {
    pub path: String,
    pub value: Option<String>,
    pub message: String,
}

impl FieldPath {
    /// Parses `a.b[].c`, `a[2].b`, `metadata.tier` and compiles the check.
    pub fn compile(field: &str, check: &FieldCheck) -> Result<FieldPath, String> {
        let mut segs = Vec::new();
        if field.trim().is_empty() {
            return Err("the field path is empty".into());
        }
        for part in field.split('.') {
            let (name, mut rest) = match part.find('[') {
                Some(i) => (&part[..i], &part[i..]),
                None => (part, ""),
            };
            if name.is_empty() && segs.is_empty() {
                return Err(format!("`{field}`: a path starts with a field name"));
            }
            if !name.is_empty() {
                segs.push(Seg::Key(name.to_owned()));
            }
            while !rest.is_empty() {
                let close = rest
                    .find(']')
                    .ok_or_else(|| format!("`{field}`: a `[` is not closed"))?;
                let inner = &rest[1..close];
                segs.push(match inner {
                    "" | "*" => Seg::Each,
                    n => Seg::Index(n.parse().map_err(|_| {
                        format!("`{field}`: `[{n}]` is neither `[]` nor a position")
                    })?),
                });
                rest = &rest[close + 1..];
                if !rest.is_empty() && !rest.starts_with('[') {
                    return Err(format!("`{field}`: unexpected text after `]`"));
                }
            }
        }
        let check = match check {
            FieldCheck::Required => Compiled::Required,
            FieldCheck::Pattern(p) => Compiled::Pattern(
                regex_lite::Regex::new(p)
                    .map_err(|e| format!("pattern {p:?} is not a valid regular expression: {e}"))?,
            ),
            FieldCheck::Range { min, max } => {
                if let (Some(a), Some(b)) = (min, max)
                    && a > b
                {
                    return Err(format!("the range's min ({a}) is above its max ({b})"));
                }
                Compiled::Range(*min, *max)
            }
            FieldCheck::Allowed(v) => Compiled::Allowed(v.clone()),
            FieldCheck::Length { min, max } => {
                if let (Some(a), Some(b)) = (min, max)
                    && a > b
                {
                    return Err(format!("the length's min ({a}) is above its max ({b})"));
                }
                Compiled::Length(*min, *max)
            }
        };
        Ok(FieldPath { segs, check })
    }

    /// Checks one record (its unified JSON form).
    pub fn check(&self, record: &Value, out: &mut Vec<Finding>) {
        let mut places = Vec::new();
        resolve(record, &self.segs, String::new(), &mut places);
        for (path, value) in places {
            if let Some(f) = self.check_value(value) {
                out.push(Finding {
                    path,
                    value: value.map(text),
                    message: f,
                });
            }
        }
    }

    fn check_value(&self, value: Option<&Value>) -> Option<String> {
        let v = match value {
            None | Some(Value::Null) => {
                return matches!(self.check, Compiled::Required).then(|| "is missing".to_owned());
            }
            Some(v) => v,
        };
        match &self.check {
            Compiled::Required => {
                let empty = match v {
                    Value::String(s) => s.trim().is_empty(),
                    Value::Array(a) => a.is_empty(),
                    Value::Object(o) => o.is_empty(),
                    _ => false,
                };
                empty.then(|| "is empty".to_owned())
            }
            Compiled::Pattern(re) => match scalar(v) {
                Some(s) if re.is_match(&s) => None,
                Some(s) => Some(format!(
                    "{s:?} does not match the pattern {:?}",
                    re.as_str()
                )),
                None => Some(format!("expected text, got {}", kind(v))),
            },
            Compiled::Range(min, max) => {
                let n = match v {
                    Value::Number(n) => n.to_string().parse::<f64>().ok(),
                    Value::String(s) => s.trim().parse::<f64>().ok(),
                    _ => None,
                };
                match n {
                    None => Some(format!("expected a number, got {}", text(v))),
                    Some(n) if min.is_some_and(|m| n < m) => Some(format!(
                        "{} is below the minimum {}",
                        text(v),
                        min.unwrap_or_default()
                    )),
                    Some(n) if max.is_some_and(|m| n > m) => Some(format!(
                        "{} is above the maximum {}",
                        text(v),
                        max.unwrap_or_default()
                    )),
                    Some(_) => None,
                }
            }
            Compiled::Allowed(list) => match scalar(v) {
                Some(s) if list.contains(&s) => None,
                Some(s) => Some(format!(
                    "{s:?} is not one of the allowed values ({})",
                    list.join(", ")
                )),
                None => Some(format!(
                    "expected one of {}, got {}",
                    list.join(", "),
                    kind(v)
                )),
            },
            Compiled::Length(min, max) => {
                let len = match v {
                    Value::String(s) => s.chars().count(),
                    Value::Array(a) => a.len(),
                    _ => return Some(format!("expected text or a list, got {}", kind(v))),
                };
                if min.is_some_and(|m| len < m) {
                    Some(format!(
                        "has length {len}, below the minimum {}",
                        min.unwrap_or_default()
                    ))
                } else if max.is_some_and(|m| len > m) {
                    Some(format!(
                        "has length {len}, above the maximum {}",
                        max.unwrap_or_default()
                    ))
                } else {
                    None
                }
            }
        }
    }
}

fn resolve<'v>(
    v: &'v Value,
    segs: &[Seg],
    path: String,
    out: &mut Vec<(String, Option<&'v Value>)>,
) {
    let Some((first, rest)) = segs.split_first() else {
        out.push((path, Some(v)));
        return;
    };
    match first {
        Seg::Key(k) => {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            match v.get(k) {
                Some(child) => resolve(child, rest, p, out),
                None => out.push((p, None)),
            }
        }
        Seg::Index(i) => {
            let p = format!("{path}[{i}]");
            match v.get(i) {
                Some(child) => resolve(child, rest, p, out),
                None => out.push((p, None)),
            }
        }
        Seg::Each => {
            if let Value::Array(items) = v {
                for (i, child) in items.iter().enumerate() {
                    resolve(child, rest, format!("{path}[{i}]"), out);
                }
            }
        }
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
