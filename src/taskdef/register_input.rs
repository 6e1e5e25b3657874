//! Conversion of describe output into input that `register-task-definition
//! --cli-input-json` accepts: read-only keys, `null`s and unusable tags go,
//! describe's top-level tags move into the request, everything else stays in
//! its original order.

use serde_json::{Map, Value};

use super::document::{Document, json_type};
use super::error::TaskDefError;

/// Keys that `DescribeTaskDefinition` returns but `RegisterTaskDefinition`
/// rejects, found by diffing the two shapes in botocore 1.43.11's ECS model.
pub const READ_ONLY_KEYS: [&str; 9] = [
    "taskDefinitionArn",
    "revision",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "registeredBy",
    "deregisteredAt",
    "deleteRequestedAt",
];

/// The members of `RegisterTaskDefinitionRequest` in botocore 1.43.11's ECS
/// model. A key outside this list and [`READ_ONLY_KEYS`] is kept and reported,
/// because it may be a parameter AWS added after that release.
pub const REGISTER_PARAMETERS: [&str; 18] = [
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "containerDefinitions",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "tags",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "ephemeralStorage",
    "runtimePlatform",
    "enableFaultInjection",
];

/// The members of `ContainerDefinition` in botocore 1.43.11's ECS model. A
/// container key outside this list is kept and reported.
pub const CONTAINER_PARAMETERS: [&str; 42] = [
    "name",
    "image",
    "repositoryCredentials",
    "cpu",
    "memory",
    "memoryReservation",
    "links",
    "portMappings",
    "essential",
    "restartPolicy",
    "entryPoint",
    "command",
    "environment",
    "environmentFiles",
    "mountPoints",
    "volumesFrom",
    "linuxParameters",
    "secrets",
    "dependsOn",
    "startTimeout",
    "stopTimeout",
    "versionConsistency",
    "hostname",
    "user",
    "workingDirectory",
    "disableNetworking",
    "privileged",
    "readonlyRootFilesystem",
    "dnsServers",
    "dnsSearchDomains",
    "extraHosts",
    "dockerSecurityOptions",
    "interactive",
    "pseudoTerminal",
    "dockerLabels",
    "ulimits",
    "logConfiguration",
    "healthCheck",
    "systemControls",
    "resourceRequirements",
    "firelensConfiguration",
    "credentialSpecs",
];

/// The report of a conversion: what it removed or could not place.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conversion {
    /// Read-only keys that were present and removed (expected, so debug-level).
    pub removed_read_only: Vec<String>,
    /// Top-level keys that are neither read-only nor register parameters; kept.
    pub unknown_keys: Vec<String>,
    /// Container keys that the container definition does not have, as
    /// `container.key`; kept.
    pub unknown_container_keys: Vec<String>,
    /// Keys of tags dropped because AWS reserves the `aws:` prefix.
    pub dropped_reserved_tags: Vec<String>,
    /// Keys of the describe output other than `taskDefinition` and `tags`.
    pub ignored_wrapper_keys: Vec<String>,
}

/// Converts a parsed input into a register request.
///
/// Fails when a `null` sits inside an array (dropping it would shift the
/// elements after it, and keeping it makes register fail) or when the describe
/// output and the task definition give one tag key two values.
pub fn to_register_input(
    document: Document,
) -> Result<(Map<String, Value>, Conversion), TaskDefError> {
    let Document {
        task_definition: mut request,
        outer_tags,
        ignored_wrapper_keys,
    } = document;
    let mut conversion = Conversion {
        ignored_wrapper_keys,
        ..Conversion::default()
    };

    for key in READ_ONLY_KEYS {
        if request.shift_remove(key).is_some() {
            conversion.removed_read_only.push(key.to_string());
        }
    }

    remove_nulls_from_object(&mut request, &String::new)?;

    let outer_tags = match outer_tags {
        Some(Value::Null) | None => None,
        Some(mut tags) => {
            remove_nulls(&mut tags, &|| "tags".to_string())?;
            Some(tags)
        }
    };
    merge_tags(&mut request, outer_tags, &mut conversion)?;

    conversion.unknown_container_keys = unknown_container_keys(&request);
    conversion.unknown_keys = request
        .keys()
        .filter(|key| !REGISTER_PARAMETERS.contains(&key.as_str()))
        .cloned()
        .collect();

    Ok((request, conversion))
}

fn unknown_container_keys(request: &Map<String, Value>) -> Vec<String> {
    let containers = request
        .get("containerDefinitions")
        .and_then(Value::as_array);
    let mut unknown = Vec::new();
    for (index, container) in containers.into_iter().flatten().enumerate() {
        let Some(container) = container.as_object() else {
            continue;
        };
        let label = container
            .get("name")
            .and_then(Value::as_str)
            .map_or_else(|| format!("#{index}"), str::to_string);
        for key in container
            .keys()
            .filter(|key| !CONTAINER_PARAMETERS.contains(&key.as_str()))
        {
            unknown.push(format!("{label}.{key}"));
        }
    }
    unknown
}

/// Removes `null` members at every depth. An object that held only `null`s is
/// removed as well: the console's JSON export writes an unset structure as
/// `{"logDriver": null, "options": null}`, and an empty `{}` in its place would
/// fail register's required-member check. Objects that were empty in the input
/// (`"host": {}`) stay, since ECS accepts them.
fn remove_nulls_from_object(
    object: &mut Map<String, Value>,
    path: &dyn Fn() -> String,
) -> Result<(), TaskDefError> {
    let mut emptied = Vec::new();
    for (key, value) in object.iter_mut() {
        // The path is built only for an error, which keeps this walk cheap.
        let child_path = || join_path(&path(), key);
        let was_non_empty_object = matches!(value, Value::Object(map) if !map.is_empty());
        remove_nulls(value, &child_path)?;
        if was_non_empty_object && matches!(value, Value::Object(map) if map.is_empty()) {
            emptied.push(key.clone());
        }
    }

    if !emptied.is_empty() || object.values().any(Value::is_null) {
        object.retain(|key, value| !value.is_null() && !emptied.contains(key));
    }
    Ok(())
}

fn remove_nulls(value: &mut Value, path: &dyn Fn() -> String) -> Result<(), TaskDefError> {
    match value {
        Value::Object(object) => remove_nulls_from_object(object, path),
        Value::Array(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                let item_path = || format!("{}[{index}]", path());
                if item.is_null() {
                    return Err(TaskDefError::Shape(format!(
                        "{} is null; remove that element or give it a value",
                        item_path()
                    )));
                }
                remove_nulls(item, &item_path)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn join_path(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Puts the describe output's tags into the request after any tags the task
/// definition already carries, drops reserved `aws:` tags, and removes the key
/// when no tag is left, because register rejects `"tags": []`.
fn merge_tags(
    request: &mut Map<String, Value>,
    mut outer_tags: Option<Value>,
    conversion: &mut Conversion,
) -> Result<(), TaskDefError> {
    let inner = take_tag_list(request.get_mut("tags"), "taskDefinition.tags")?;
    let outer = take_tag_list(outer_tags.as_mut(), "tags")?;

    let mut merged = inner.unwrap_or_default();
    for tag in outer.unwrap_or_default() {
        match merged.iter().find(|kept| kept.get("key") == tag.get("key")) {
            Some(kept) if kept == &tag => {}
            Some(kept) => {
                return Err(TaskDefError::Shape(format!(
                    "tag {} is {} inside taskDefinition but {} in the describe output's tags; keep one",
                    compact(tag.get("key")),
                    compact(kept.get("value")),
                    compact(tag.get("value")),
                )));
            }
            None => merged.push(tag),
        }
    }

    merged.retain(|tag| match tag.get("key").and_then(Value::as_str) {
        Some(key) if key.to_ascii_lowercase().starts_with("aws:") => {
            conversion.dropped_reserved_tags.push(key.to_string());
            false
        }
        _ => true,
    });

    if merged.is_empty() {
        request.shift_remove("tags");
    } else {
        // `insert` keeps an existing key's position, and appends a new one.
        request.insert("tags".to_string(), Value::Array(merged));
    }
    Ok(())
}

fn take_tag_list(tags: Option<&mut Value>, path: &str) -> Result<Option<Vec<Value>>, TaskDefError> {
    match tags {
        None => Ok(None),
        Some(Value::Array(items)) => Ok(Some(std::mem::take(items))),
        Some(other) => Err(TaskDefError::Shape(format!(
            "{path} must be an array of {{\"key\", \"value\"}} objects, found {}",
            json_type(other)
        ))),
    }
}

fn compact(value: Option<&Value>) -> String {
    value.map_or_else(|| "(missing)".to_string(), Value::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taskdef::document::parse_document;
    use serde_json::json;

    fn convert(input: Value) -> (Value, Conversion) {
        let document = parse_document(input.to_string().as_bytes()).unwrap();
        let (request, conversion) = to_register_input(document).unwrap();
        (Value::Object(request), conversion)
    }

    #[test]
    fn read_only_keys_are_removed_and_listed() {
        let (request, conversion) = convert(json!({
            "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/web:3",
            "family": "web", "revision": 3, "status": "ACTIVE",
            "requiresAttributes": [], "compatibilities": ["EC2"],
            "registeredAt": "2026-01-01T00:00:00Z", "registeredBy": "arn:aws:iam::123456789012:root",
            "deregisteredAt": "2026-01-02T00:00:00Z", "deleteRequestedAt": "2026-01-03T00:00:00Z",
            "containerDefinitions": []
        }));

        assert_eq!(
            request,
            json!({"family": "web", "containerDefinitions": []})
        );
        assert_eq!(conversion.removed_read_only.len(), 9);
    }

    #[test]
    fn nulls_are_removed_at_every_depth() {
        let (request, _) = convert(json!({
            "family": "web", "cpu": null,
            "containerDefinitions": [{"name": "app", "entryPoint": null, "cpu": 0,
                                      "linuxParameters": {"initProcessEnabled": true, "tmpfs": null}}]
        }));

        assert_eq!(
            request,
            json!({
                "family": "web",
                "containerDefinitions": [{"name": "app", "cpu": 0,
                                          "linuxParameters": {"initProcessEnabled": true}}]
            })
        );
    }

    #[test]
    fn all_null_object_removed() {
        let (request, _) = convert(json!({
            "family": "web",
            "volumes": [{"name": "data", "host": {}}],
            "containerDefinitions": [{"name": "app", "logConfiguration": {"logDriver": null, "options": null}}]
        }));

        assert_eq!(
            request,
            json!({
                "family": "web",
                "volumes": [{"name": "data", "host": {}}],
                "containerDefinitions": [{"name": "app"}]
            })
        );
    }

    #[test]
    fn null_inside_array_is_rejected_with_its_path() {
        let document =
            parse_document(br#"{"containerDefinitions":[{"command":["a",null]}]}"#).unwrap();

        let err = to_register_input(document).unwrap_err();

        assert_eq!(
            err,
            TaskDefError::Shape(
                "containerDefinitions[0].command[1] is null; remove that element or give it a value".into()
            )
        );
    }

    #[test]
    fn outer_tags_move_into_request_at_the_end() {
        let (request, _) = convert(json!({
            "taskDefinition": {"family": "web", "containerDefinitions": []},
            "tags": [{"key": "team", "value": "payments"}]
        }));

        let keys: Vec<&str> = request
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["family", "containerDefinitions", "tags"]);
        assert_eq!(
            request["tags"],
            json!([{"key": "team", "value": "payments"}])
        );
    }

    #[test]
    fn empty_tag_lists_are_removed() {
        let (request, _) =
            convert(json!({"taskDefinition": {"family": "web", "tags": []}, "tags": []}));

        assert_eq!(request, json!({"family": "web"}));
    }

    #[test]
    fn reserved_aws_tags_are_dropped_in_any_case() {
        let (request, conversion) = convert(json!({
            "taskDefinition": {"family": "web"},
            "tags": [{"key": "aws:cloudformation:stack-name", "value": "s"},
                     {"key": "AWS:Other", "value": "x"},
                     {"key": "env", "value": "prod"}]
        }));

        assert_eq!(request["tags"], json!([{"key": "env", "value": "prod"}]));
        assert_eq!(
            conversion.dropped_reserved_tags,
            ["aws:cloudformation:stack-name", "AWS:Other"]
        );
    }

    #[test]
    fn inner_and_outer_tags_merge_without_repeats() {
        let (request, _) = convert(json!({
            "taskDefinition": {"family": "web", "tags": [{"key": "a", "value": "1"}]},
            "tags": [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]
        }));

        assert_eq!(
            request["tags"],
            json!([{"key": "a", "value": "1"}, {"key": "b", "value": "2"}])
        );
    }

    #[test]
    fn conflicting_tag_values_are_rejected() {
        let document = parse_document(
            br#"{"taskDefinition":{"tags":[{"key":"a","value":"1"}]},"tags":[{"key":"a","value":"2"}]}"#,
        )
        .unwrap();

        let err = to_register_input(document).unwrap_err().to_string();

        assert!(
            err.contains(r#"tag "a" is "1" inside taskDefinition but "2""#),
            "{err}"
        );
    }

    #[test]
    fn unknown_top_level_key_is_kept_and_reported() {
        let (request, conversion) =
            convert(json!({"family": "web", "futureSetting": {"on": true}}));

        assert_eq!(request["futureSetting"], json!({"on": true}));
        assert_eq!(conversion.unknown_keys, ["futureSetting"]);
    }
}
