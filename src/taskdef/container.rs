//! Choosing the container an edit applies to, always by `name`: position 0 is a
//! sidecar in many real task definitions, so an index is never used.

use serde_json::{Map, Value};

use super::document::json_type;
use super::error::TaskDefError;

/// The container chosen when `--container` is absent and the task definition
/// has more than one container.
pub const DEFAULT_CONTAINER: &str = "bcos";

/// Returns the container definition named `requested`; without a name, the one
/// named [`DEFAULT_CONTAINER`], else the only container.
///
/// Fails when the name is not found, or when no name is given and the choice is
/// ambiguous; both errors list the container names.
pub fn select_container<'a>(
    task_definition: &'a mut Map<String, Value>,
    requested: Option<&str>,
) -> Result<&'a mut Map<String, Value>, TaskDefError> {
    let family = family_name(task_definition);
    let names = container_names(task_definition)?;
    if names.is_empty() {
        return Err(TaskDefError::Shape(format!(
            "containerDefinitions of {family} is empty; a task definition needs at least one container"
        )));
    }

    let index =
        match requested {
            Some(name) => names.iter().position(|n| n == name).ok_or_else(|| {
                TaskDefError::ContainerNotFound {
                    family: family.clone(),
                    name: name.to_string(),
                    available: names.clone(),
                }
            })?,
            None => match names.iter().position(|n| n == DEFAULT_CONTAINER) {
                Some(index) => index,
                None if names.len() == 1 => 0,
                None => {
                    return Err(TaskDefError::ContainerAmbiguous { family, names });
                }
            },
        };

    Ok(containers_mut(task_definition)?[index]
        .as_object_mut()
        .expect("container_names checked every element is an object"))
}

/// Returns the task definition's `family`, or a stand-in for messages when it
/// has none.
pub fn family_name(task_definition: &Map<String, Value>) -> String {
    match task_definition.get("family").and_then(Value::as_str) {
        Some(family) if !family.is_empty() => family.to_string(),
        _ => "the task definition".to_string(),
    }
}

/// Returns the names of all containers in order.
///
/// Fails when `containerDefinitions` is missing, not an array of objects, or a
/// container has no string `name`.
pub fn container_names(task_definition: &Map<String, Value>) -> Result<Vec<String>, TaskDefError> {
    let containers = match task_definition.get("containerDefinitions") {
        Some(Value::Array(containers)) => containers,
        Some(other) => {
            return Err(TaskDefError::Shape(format!(
                "containerDefinitions must be an array, found {}",
                json_type(other)
            )));
        }
        None => {
            return Err(TaskDefError::Shape(
                "containerDefinitions is missing; expected describe-task-definition output or a task definition".into(),
            ));
        }
    };

    containers
        .iter()
        .enumerate()
        .map(|(index, container)| match container.get("name") {
            Some(Value::String(name)) if container.is_object() => Ok(name.clone()),
            _ if !container.is_object() => Err(TaskDefError::Shape(format!(
                "containerDefinitions[{index}] must be an object, found {}",
                json_type(container)
            ))),
            _ => Err(TaskDefError::Shape(format!(
                "containerDefinitions[{index}] has no string \"name\""
            ))),
        })
        .collect()
}

fn containers_mut(
    task_definition: &mut Map<String, Value>,
) -> Result<&mut Vec<Value>, TaskDefError> {
    match task_definition.get_mut("containerDefinitions") {
        Some(Value::Array(containers)) => Ok(containers),
        _ => Err(TaskDefError::Shape(
            "containerDefinitions must be an array".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn task(names: &[&str]) -> Map<String, Value> {
        let containers: Vec<Value> = names.iter().map(|name| json!({"name": name})).collect();
        json!({"family": "web-app", "containerDefinitions": containers})
            .as_object()
            .unwrap()
            .clone()
    }

    fn selected(names: &[&str], requested: Option<&str>) -> Result<String, TaskDefError> {
        let mut task_definition = task(names);
        let container = select_container(&mut task_definition, requested)?;
        Ok(container["name"].as_str().unwrap().to_string())
    }

    #[test]
    fn requested_name_wins_over_position() {
        assert_eq!(
            selected(&["otel-collector", "app"], Some("app")).unwrap(),
            "app"
        );
    }

    #[test]
    fn default_container_is_bcos() {
        assert_eq!(selected(&["envoy", "bcos"], None).unwrap(), "bcos");
    }

    #[test]
    fn only_container_is_chosen_without_a_name() {
        assert_eq!(selected(&["app"], None).unwrap(), "app");
    }

    #[test]
    fn several_containers_without_a_name_is_an_error() {
        let err = selected(&["otel-collector", "app"], None).unwrap_err();

        assert_eq!(
            err.to_string(),
            "web-app has 2 containers (otel-collector, app); pass --container NAME"
        );
    }

    #[test]
    fn unknown_name_lists_the_containers() {
        let err = selected(&["otel-collector", "app"], Some("web")).unwrap_err();

        assert_eq!(
            err.to_string(),
            "container 'web' not found in web-app (containers: otel-collector, app)"
        );
    }

    #[test]
    fn missing_container_definitions_is_a_shape_error() {
        let mut task_definition = json!({"family": "web"}).as_object().unwrap().clone();

        let err = select_container(&mut task_definition, None).unwrap_err();

        assert!(
            err.to_string().contains("containerDefinitions is missing"),
            "{err}"
        );
    }

    #[test]
    fn container_without_name_is_a_shape_error() {
        let mut task_definition = json!({"containerDefinitions": [{"image": "x"}]})
            .as_object()
            .unwrap()
            .clone();

        let err = select_container(&mut task_definition, None).unwrap_err();

        assert!(
            err.to_string()
                .contains("containerDefinitions[0] has no string \"name\""),
            "{err}"
        );
    }
}
