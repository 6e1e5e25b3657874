//! The secret-editing rules of the core, through its public API: upsert,
//! replace, removal, ARN inference and the environment clash.

use bcos_taskdef::taskdef::{
    AddSecrets, RemoveSecrets, SecretChange, SecretToAdd, TaskDefError, add_secrets, remove_secrets,
};
use serde_json::{Map, Value, json};

const SECRET: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:bcos/staging/app-Q7rT2x";
const OTHER_SECRET: &str =
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:bcos/shared-Zz9Yy8";

fn task(bcos: Value) -> Map<String, Value> {
    let task = json!({
        "family": "bcos-staging",
        "executionRoleArn": "arn:aws:iam::123456789012:role/exec",
        "containerDefinitions": [{"name": "envoy", "image": "envoy:1"}, bcos]
    });
    task.as_object().unwrap().clone()
}

fn bcos_with_secrets(secrets: Value) -> Value {
    json!({"name": "bcos", "image": "bcos:1", "secrets": secrets})
}

fn secrets_of(task: &Map<String, Value>) -> Value {
    task["containerDefinitions"][1]["secrets"].clone()
}

fn keys(names: &[&str]) -> Vec<SecretToAdd> {
    names
        .iter()
        .map(|name| SecretToAdd::parse_json_key(name).unwrap())
        .collect()
}

#[test]
fn json_keys_use_the_inferred_secret_arn() {
    let mut task = task(bcos_with_secrets(
        json!([{"name": "DB", "valueFrom": format!("{SECRET}:DB::")}]),
    ));
    let request = AddSecrets {
        secrets: keys(&["WEBAUTHN_RP_ID", "MFA_TEMP_TOKEN_SECRET"]),
        ..AddSecrets::default()
    };

    let changes = add_secrets(&mut task, &request).unwrap();

    assert_eq!(changes.container, "bcos");
    assert_eq!(
        secrets_of(&task),
        json!([
            {"name": "DB", "valueFrom": format!("{SECRET}:DB::")},
            {"name": "WEBAUTHN_RP_ID", "valueFrom": format!("{SECRET}:WEBAUTHN_RP_ID::")},
            {"name": "MFA_TEMP_TOKEN_SECRET", "valueFrom": format!("{SECRET}:MFA_TEMP_TOKEN_SECRET::")},
        ])
    );
}

#[test]
fn secret_key_with_name_uses_the_name() {
    let mut task = task(bcos_with_secrets(json!([])));
    let request = AddSecrets {
        secrets: vec![SecretToAdd::parse_json_key("RP_ID=webauthn_rp_id").unwrap()],
        secret_arn: Some(SECRET.into()),
        ..AddSecrets::default()
    };

    add_secrets(&mut task, &request).unwrap();

    assert_eq!(
        secrets_of(&task),
        json!([{"name": "RP_ID", "valueFrom": format!("{SECRET}:webauthn_rp_id::")}])
    );
}

#[test]
fn same_name_and_value_is_unchanged() {
    let existing = json!([{"name": "A", "valueFrom": "/bcos/a"}]);
    let mut task = task(bcos_with_secrets(existing.clone()));
    let request = AddSecrets {
        secrets: vec![SecretToAdd::parse_reference("A=/bcos/a").unwrap()],
        ..AddSecrets::default()
    };

    let changes = add_secrets(&mut task, &request).unwrap();

    assert_eq!(changes.changes, [SecretChange::Unchanged("A".into())]);
    assert!(!changes.is_change());
    assert_eq!(secrets_of(&task), existing);
}

#[test]
fn same_name_other_value_needs_replace() {
    let mut task = task(bcos_with_secrets(
        json!([{"name": "A", "valueFrom": "/bcos/a"}]),
    ));
    let mut request = AddSecrets {
        secrets: vec![SecretToAdd::parse_reference("A=/bcos/b").unwrap()],
        ..AddSecrets::default()
    };

    let err = add_secrets(&mut task.clone(), &request).unwrap_err();
    assert_eq!(
        err.to_string(),
        "secret A: container bcos already has it with valueFrom /bcos/a, not /bcos/b; pass --replace to change it"
    );

    request.replace = true;
    let changes = add_secrets(&mut task, &request).unwrap();
    assert_eq!(changes.changes, [SecretChange::Replaced("A".into())]);
    assert_eq!(
        secrets_of(&task),
        json!([{"name": "A", "valueFrom": "/bcos/b"}])
    );
}

#[test]
fn duplicate_names_in_source_are_rejected() {
    let mut task = task(bcos_with_secrets(json!([
        {"name": "A", "valueFrom": "/bcos/a"}, {"name": "A", "valueFrom": "/bcos/a"}
    ])));
    let request = AddSecrets {
        secrets: vec![SecretToAdd::parse_reference("B=/bcos/b").unwrap()],
        ..AddSecrets::default()
    };

    let err = add_secrets(&mut task, &request).unwrap_err();

    assert_eq!(
        err.to_string(),
        "container bcos already has duplicate secret A; fix the source task definition"
    );
}

#[test]
fn conflicting_names_within_one_request_are_rejected() {
    let mut task = task(bcos_with_secrets(json!([])));
    let request = AddSecrets {
        secrets: vec![
            SecretToAdd::parse_reference("A=/a").unwrap(),
            SecretToAdd::parse_reference("A=/b").unwrap(),
        ],
        ..AddSecrets::default()
    };

    let err = add_secrets(&mut task, &request).unwrap_err();

    assert!(
        err.to_string()
            .contains("A is already requested with valueFrom /a"),
        "{err}"
    );
}

#[test]
fn arn_inference_fails_without_any_secret() {
    let mut task = task(bcos_with_secrets(
        json!([{"name": "P", "valueFrom": "/bcos/p"}]),
    ));
    let request = AddSecrets {
        secrets: keys(&["K"]),
        ..AddSecrets::default()
    };

    let err = add_secrets(&mut task, &request).unwrap_err();

    assert!(matches!(err, TaskDefError::SecretArnNotInferred(_)));
    assert!(
        err.to_string()
            .contains("references no Secrets Manager secret"),
        "{err}"
    );
}

#[test]
fn two_secrets_block_inference() {
    let mut task = task(bcos_with_secrets(json!([
        {"name": "A", "valueFrom": format!("{SECRET}:A::")},
        {"name": "B", "valueFrom": OTHER_SECRET},
    ])));
    let request = AddSecrets {
        secrets: keys(&["K"]),
        ..AddSecrets::default()
    };

    let err = add_secrets(&mut task, &request).unwrap_err().to_string();

    assert!(
        err.contains("references 2 Secrets Manager secrets"),
        "{err}"
    );
    assert!(err.contains(SECRET), "{err}");
    assert!(err.contains(OTHER_SECRET), "{err}");
}

#[test]
fn secret_arn_with_json_key_is_rejected() {
    let mut task = task(bcos_with_secrets(json!([])));
    let request = AddSecrets {
        secrets: keys(&["K"]),
        secret_arn: Some(format!("{SECRET}:K::")),
        ..AddSecrets::default()
    };

    let err = add_secrets(&mut task, &request).unwrap_err();

    assert!(
        matches!(err, TaskDefError::InvalidRequest { ref option, .. } if option == "--secret-arn"),
        "{err}"
    );
}

#[test]
fn malformed_value_from_names_the_flag_and_value() {
    let mut task = task(bcos_with_secrets(json!([])));
    let partial = "arn:aws:secretsmanager:us-east-1:123456789012:secret:bcos/app";
    let request = AddSecrets {
        secrets: vec![SecretToAdd::parse_reference(&format!("A={partial}")).unwrap()],
        ..AddSecrets::default()
    };

    let err = add_secrets(&mut task, &request).unwrap_err().to_string();

    assert!(
        err.starts_with(&format!(
            "invalid --secret A={partial}: valueFrom is a partial ARN"
        )),
        "{err}"
    );
}

#[test]
fn environment_clash_is_rejected_unless_moved() {
    let bcos = json!({"name": "bcos", "environment": [{"name": "DB_USER", "value": "u"}, {"name": "X", "value": "1"}]});
    let mut request = AddSecrets {
        secrets: vec![SecretToAdd::parse_reference("DB_USER=/bcos/db-user").unwrap()],
        ..AddSecrets::default()
    };

    let err = add_secrets(&mut task(bcos.clone()), &request).unwrap_err();
    assert!(
        matches!(err, TaskDefError::SecretSharesEnvironment { .. }),
        "{err}"
    );

    request.move_from_environment = true;
    let mut moved = task(bcos);
    let changes = add_secrets(&mut moved, &request).unwrap();
    assert_eq!(
        changes.changes,
        [SecretChange::MovedFromEnvironment("DB_USER".into())]
    );
    assert_eq!(
        moved["containerDefinitions"][1]["environment"],
        json!([{"name": "X", "value": "1"}])
    );
    assert_eq!(
        secrets_of(&moved),
        json!([{"name": "DB_USER", "valueFrom": "/bcos/db-user"}])
    );
}

#[test]
fn sidecar_is_never_touched() {
    let mut task = task(bcos_with_secrets(json!([])));
    let request = AddSecrets {
        secrets: vec![SecretToAdd::parse_reference("A=/a").unwrap()],
        ..AddSecrets::default()
    };

    add_secrets(&mut task, &request).unwrap();

    assert_eq!(
        task["containerDefinitions"][0],
        json!({"name": "envoy", "image": "envoy:1"})
    );
}

#[test]
fn flag_forms_are_checked() {
    for text in ["A", "=x", "A=", ""] {
        assert!(
            SecretToAdd::parse_reference(text).is_err(),
            "--secret {text:?}"
        );
    }
    for text in ["", "A=", "=k", "a:b"] {
        assert!(
            SecretToAdd::parse_json_key(text).is_err(),
            "--secret-key {text:?}"
        );
    }
}

#[test]
fn remove_deletes_only_named_secrets() {
    let mut task = task(bcos_with_secrets(json!([
        {"name": "A", "valueFrom": "/a"}, {"name": "B", "valueFrom": "/b"}, {"name": "C", "valueFrom": "/c"}
    ])));
    let request = RemoveSecrets {
        container: None,
        names: vec!["A".into(), "C".into()],
    };

    let changes = remove_secrets(&mut task, &request).unwrap();

    assert_eq!(changes.to_string(), "container bcos: removed A, removed C");
    assert_eq!(secrets_of(&task), json!([{"name": "B", "valueFrom": "/b"}]));
}

#[test]
fn remove_unknown_name_lists_existing_secrets() {
    let mut task = task(bcos_with_secrets(json!([{"name": "A", "valueFrom": "/a"}])));
    let request = RemoveSecrets {
        container: Some("bcos".into()),
        names: vec!["A".into(), "Z".into()],
    };

    let err = remove_secrets(&mut task, &request).unwrap_err();

    assert_eq!(
        err.to_string(),
        "secret Z not found in container bcos (secrets: A)"
    );
    assert_eq!(secrets_of(&task), json!([{"name": "A", "valueFrom": "/a"}]));
}
