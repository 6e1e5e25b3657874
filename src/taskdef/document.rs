//! Reading the input: either the whole `describe-task-definition` output
//! (`{"taskDefinition": …, "tags": […]}`) or a bare task definition, as bytes.
//!
//! Parsing rejects duplicate object keys, which serde_json would otherwise
//! resolve silently by keeping the last one: in a task definition that hides
//! a conflict the user has to settle, so the tool names the key instead.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::error::TaskDefError;

/// A parsed input: the task definition and the tags that `describe-task-definition
/// --include TAGS` returns beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub task_definition: Map<String, Value>,
    /// The describe output's top-level `tags`; `None` for a bare task definition.
    pub outer_tags: Option<Value>,
    /// Keys of the describe output other than `taskDefinition` and `tags`.
    pub ignored_wrapper_keys: Vec<String>,
}

/// Parses `input` as JSON and recognises its shape.
///
/// A UTF-8 byte-order mark is skipped, as jq does. Fails on empty input,
/// invalid JSON, duplicate keys, and JSON that is neither a task definition nor
/// a describe output.
pub fn parse_document(input: &[u8]) -> Result<Document, TaskDefError> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    if input.iter().all(u8::is_ascii_whitespace) {
        return Err(TaskDefError::EmptyInput);
    }

    let StrictValue(value) = serde_json::from_slice(input).map_err(|err| {
        let message = err.to_string();
        if message.starts_with(DUPLICATE_KEY) {
            TaskDefError::DuplicateKey(message)
        } else {
            TaskDefError::Json(message)
        }
    })?;
    let Value::Object(object) = value else {
        return Err(TaskDefError::Shape(format!(
            "expected a JSON object, found {}",
            json_type(&value)
        )));
    };

    split_describe_output(object)
}

fn split_describe_output(mut object: Map<String, Value>) -> Result<Document, TaskDefError> {
    if object.contains_key("containerDefinitions") || !object.contains_key("taskDefinition") {
        return Ok(Document {
            task_definition: object,
            outer_tags: None,
            ignored_wrapper_keys: Vec::new(),
        });
    }

    let task_definition = match object.shift_remove("taskDefinition") {
        Some(Value::Object(task_definition)) => task_definition,
        Some(other) => {
            return Err(TaskDefError::Shape(format!(
                "taskDefinition must be an object, found {}",
                json_type(&other)
            )));
        }
        None => unreachable!("checked by contains_key above"),
    };
    let outer_tags = object.shift_remove("tags");
    let ignored_wrapper_keys = object.keys().cloned().collect();

    Ok(Document {
        task_definition,
        outer_tags,
        ignored_wrapper_keys,
    })
}

/// Names a JSON value's type as jq's `type` does.
pub fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

const DUPLICATE_KEY: &str = "duplicate key";

/// A JSON value whose objects are checked for duplicate keys while parsing.
struct StrictValue(Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(StrictValue(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(de::Error::custom(format_args!("{DUPLICATE_KEY} \"{key}\"")));
            }
            let StrictValue(value) = map.next_value()?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_task_definition_is_kept_whole() {
        let document = parse_document(br#"{"family":"web","containerDefinitions":[]}"#).unwrap();

        assert_eq!(document.task_definition["family"], "web");
        assert_eq!(document.outer_tags, None);
    }

    #[test]
    fn describe_output_is_unwrapped_with_its_tags() {
        let input = br#"{"taskDefinition":{"family":"web"},"tags":[{"key":"a","value":"b"}]}"#;

        let document = parse_document(input).unwrap();

        assert_eq!(document.task_definition["family"], "web");
        assert_eq!(document.outer_tags.unwrap()[0]["key"], "a");
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let document = parse_document(b"\xEF\xBB\xBF{\"family\":\"web\"}").unwrap();

        assert_eq!(document.task_definition["family"], "web");
    }

    #[test]
    fn empty_and_blank_input_is_rejected() {
        assert_eq!(parse_document(b""), Err(TaskDefError::EmptyInput));
        assert_eq!(parse_document(b" \n\t"), Err(TaskDefError::EmptyInput));
    }

    #[test]
    fn duplicate_key_rejected_with_line() {
        let err = parse_document(b"{\"a\": 1,\n \"a\": 2}").unwrap_err();

        let message = err.to_string();
        assert!(message.contains("duplicate key \"a\""), "{message}");
        assert!(message.contains("line 2"), "{message}");
    }

    #[test]
    fn non_object_input_is_rejected_with_its_type() {
        let err = parse_document(b"[1]").unwrap_err();

        assert_eq!(
            err,
            TaskDefError::Shape("expected a JSON object, found array".into())
        );
    }

    #[test]
    fn key_order_is_preserved() {
        let document = parse_document(br#"{"z":1,"a":2,"m":3}"#).unwrap();

        let keys: Vec<&str> = document
            .task_definition
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["z", "a", "m"]);
    }
}
