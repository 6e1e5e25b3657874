//! The input and output contract that every command shares. It covers FILE, `-`
//! and stdin, pretty and `--compact` JSON, key order, the register-ready
//! conversion, atomic `-o` and exit codes. It also covers the bad inputs, which
//! must leave stdout empty and the output file untouched.

#[path = "cli_common/mod.rs"]
mod support;

use std::path::Path;

use serde_json::{Value, json};

use support::{
    C01_REGISTER_INPUT, assert_bad_input, assert_stderr_has, assert_success, case_input, corpus,
    dir_entries, fixture, keys_of, parse, run, run_in, stdout_json, to_bytes,
};

const ORIGINAL_OUTPUT: &[u8] = b"previous revision, must survive\n";

/// The expected output for `cases/C02.json`, pretty-printed with two spaces and
/// a final newline. It is written out by hand to pin the layout, not only the data.
const C02_PRETTY: &str = r#"{
  "family": "web-app",
  "containerDefinitions": [
    {
      "name": "app",
      "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/web-app:1.4.2",
      "essential": true
    }
  ],
  "requiresCompatibilities": [
    "EC2"
  ],
  "memory": "512",
  "tags": [
    {
      "key": "team",
      "value": "payments"
    }
  ]
}
"#;

fn c01_bytes() -> Vec<u8> {
    to_bytes(&case_input("C01"))
}

fn c01_line() -> String {
    format!("{C01_REGISTER_INPUT}\n")
}

/// Writes the C01 input into `dir` and returns its file name.
fn write_c01(dir: &Path) -> &'static str {
    std::fs::write(dir.join("td.json"), c01_bytes()).unwrap();
    "td.json"
}

fn minimal_task(extra: Value) -> Value {
    let mut task = json!({
        "family": "web-app",
        "containerDefinitions": [{"name": "app", "image": "web-app:1"}]
    });
    for (key, value) in extra.as_object().unwrap() {
        task[key] = value.clone();
    }
    task
}

#[test]
fn strip_reads_file_argument() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_c01(dir.path());

    let result = run_in(dir.path(), &["strip", "--compact", file], None);

    assert_success(&result);
    assert_eq!(result.stdout, c01_line());
}

#[test]
fn strip_reads_stdin_without_file() {
    let result = run(&["strip", "--compact"], Some(&c01_bytes()));

    assert_success(&result);
    assert_eq!(result.stdout, c01_line());
}

#[test]
fn strip_reads_stdin_for_dash() {
    let result = run(&["strip", "--compact", "-"], Some(&c01_bytes()));

    assert_success(&result);
    assert_eq!(result.stdout, c01_line());
}

#[test]
fn strip_file_wins_over_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_c01(dir.path());
    let other = to_bytes(&case_input("C06"));

    let result = run_in(dir.path(), &["strip", "--compact", file], Some(&other));

    assert_success(&result);
    assert_eq!(result.stdout, c01_line());
}

#[test]
fn strip_pretty_prints_two_spaces() {
    let result = run(&["strip"], Some(&to_bytes(&case_input("C02"))));

    assert_success(&result);
    assert_eq!(result.stdout, C02_PRETTY);
}

#[test]
fn compact_is_one_line() {
    let result = run(&["strip", "--compact"], Some(&to_bytes(&case_input("C02"))));

    assert_success(&result);
    assert!(result.stdout.ends_with('\n'), "no final newline");
    assert_eq!(result.stdout.matches('\n').count(), 1, "{}", result.stdout);
    assert_eq!(parse(&result.stdout), parse(C02_PRETTY));
}

#[test]
fn every_command_pretty_prints() {
    let input = to_bytes(&case_input("C08"));
    let runs = [
        run(&["strip"], Some(&input)),
        run(
            &["add-secrets", "--secret", "API_TOKEN=/web-app/api-token"],
            Some(&input),
        ),
        run(&["remove-secrets", "DB_PASSWORD"], Some(&input)),
    ];

    for result in &runs {
        assert_success(result);
        assert!(
            result.stdout.starts_with("{\n  \"family\": "),
            "{}",
            result.stdout
        );
        assert!(result.stdout.ends_with("}\n"), "{}", result.stdout);
    }
}

#[test]
fn strip_keeps_fixture_key_order() {
    let path = fixture("bcos-production.describe.json");

    let result = run(&["strip", path.to_str().unwrap()], None);
    let output = stdout_json(&result);

    // The describe output's order, minus the read-only keys, with the
    // describe output's tags appended.
    assert_eq!(
        keys_of(&output),
        [
            "containerDefinitions",
            "family",
            "taskRoleArn",
            "executionRoleArn",
            "networkMode",
            "volumes",
            "placementConstraints",
            "requiresCompatibilities",
            "cpu",
            "memory",
            "runtimePlatform",
            "enableFaultInjection",
            "tags",
        ]
    );
    assert_eq!(
        keys_of(&output["runtimePlatform"]),
        ["cpuArchitecture", "operatingSystemFamily"]
    );
}

#[test]
fn strip_keeps_container_key_order() {
    let path = fixture("bcos-production.describe.json");
    let input = parse(&std::fs::read_to_string(&path).unwrap());

    let result = run(&["strip", path.to_str().unwrap()], None);
    let output = stdout_json(&result);

    for index in 0..2 {
        assert_eq!(
            keys_of(&output["containerDefinitions"][index]),
            keys_of(&input["taskDefinition"]["containerDefinitions"][index]),
            "container {index}"
        );
    }
}

#[test]
fn strip_keeps_unusual_key_order() {
    let input = br#"{"volumes":[],"memory":"512","containerDefinitions":[{"image":"web-app:1","name":"app","essential":true}],"family":"web-app","cpu":"256"}"#;

    let result = run(&["strip", "--compact"], Some(input));

    assert_success(&result);
    assert_eq!(
        result.stdout,
        concat!(
            r#"{"volumes":[],"memory":"512","containerDefinitions":[{"image":"web-app:1","name":"app","essential":true}],"family":"web-app","cpu":"256"}"#,
            "\n"
        )
    );
}

#[test]
fn strip_removes_all_read_only_keys() {
    let input = minimal_task(json!({
        "taskDefinitionArn": "arn:aws:ecs:us-east-1:123456789012:task-definition/web-app:7",
        "revision": 7,
        "status": "INACTIVE",
        "requiresAttributes": [{"name": "com.amazonaws.ecs.capability.ecr-auth"}],
        "compatibilities": ["EC2", "FARGATE"],
        "registeredAt": "2026-11-30T09:12:44.120000+00:00",
        "registeredBy": "arn:aws:sts::123456789012:assumed-role/ci/session",
        "deregisteredAt": "2026-12-01T09:12:44.120000+00:00",
        "deleteRequestedAt": "2026-12-02T09:12:44.120000+00:00"
    }));

    let result = run(&["strip"], Some(&to_bytes(&input)));
    let output = stdout_json(&result);

    assert_eq!(keys_of(&output), ["family", "containerDefinitions"]);
}

#[test]
fn strip_removes_nulls_at_every_depth() {
    let input = json!({
        "family": "web-app",
        "taskRoleArn": null,
        "containerDefinitions": [{
            "name": "app",
            "image": "web-app:1",
            "command": null,
            "linuxParameters": {"initProcessEnabled": true, "tmpfs": null},
            "logConfiguration": {"logDriver": null, "options": null},
            "healthCheck": {"command": ["CMD", "true"], "startPeriod": null}
        }],
        "runtimePlatform": {"operatingSystemFamily": "LINUX", "cpuArchitecture": null}
    });

    let result = run(&["strip", "--compact"], Some(&to_bytes(&input)));

    assert_success(&result);
    assert_eq!(
        result.stdout,
        concat!(
            r#"{"family":"web-app","containerDefinitions":[{"name":"app","image":"web-app:1","linuxParameters":{"initProcessEnabled":true},"healthCheck":{"command":["CMD","true"]}}],"runtimePlatform":{"operatingSystemFamily":"LINUX"}}"#,
            "\n"
        )
    );
}

#[test]
fn strip_keeps_empty_arrays_and_objects() {
    let input = minimal_task(json!({
        "volumes": [{"name": "scratch", "host": {}}],
        "placementConstraints": []
    }));

    let result = run(&["strip"], Some(&to_bytes(&input)));
    let output = stdout_json(&result);

    assert_eq!(output["volumes"], json!([{"name": "scratch", "host": {}}]));
    assert_eq!(output["placementConstraints"], json!([]));
}

#[test]
fn strip_drops_empty_tag_lists() {
    let input = json!({
        "taskDefinition": minimal_task(json!({"tags": []})),
        "tags": []
    });

    let result = run(&["strip"], Some(&to_bytes(&input)));
    let output = stdout_json(&result);

    assert_eq!(keys_of(&output), ["family", "containerDefinitions"]);
}

#[test]
fn strip_drops_aws_prefixed_tags() {
    let input = json!({
        "taskDefinition": minimal_task(json!({})),
        "tags": [
            {"key": "aws:cloudformation:stack-name", "value": "BCOS-AppStack-staging"},
            {"key": "Project", "value": "bcos"}
        ]
    });

    let result = run(&["strip"], Some(&to_bytes(&input)));
    let output = stdout_json(&result);

    assert_eq!(output["tags"], json!([{"key": "Project", "value": "bcos"}]));
    assert_stderr_has(&result, "aws:cloudformation:stack-name");
}

#[test]
fn strip_drops_tags_that_are_all_aws() {
    let input = json!({
        "taskDefinition": minimal_task(json!({})),
        "tags": [{"key": "aws:cloudformation:stack-name", "value": "BCOS-AppStack-staging"}]
    });

    let result = run(&["strip"], Some(&to_bytes(&input)));
    let output = stdout_json(&result);

    assert_eq!(keys_of(&output), ["family", "containerDefinitions"]);
}

#[test]
fn strip_fixture_tags_moved_last() {
    let path = fixture("bcos-staging.describe.json");

    let result = run(&["strip", path.to_str().unwrap()], None);
    let output = stdout_json(&result);

    assert_eq!(
        output["tags"],
        json!([
            {"key": "Project", "value": "bcos"},
            {"key": "Environment", "value": "staging"},
            {"key": "ManagedBy", "value": "cloudformation"}
        ])
    );
}

#[test]
fn strip_merges_inner_and_outer_tags() {
    let input = json!({
        "taskDefinition": minimal_task(json!({"tags": [{"key": "team", "value": "payments"}]})),
        "tags": [
            {"key": "team", "value": "payments"},
            {"key": "env", "value": "prod"}
        ]
    });

    let result = run(&["strip"], Some(&to_bytes(&input)));
    let output = stdout_json(&result);

    assert_eq!(
        output["tags"],
        json!([
            {"key": "team", "value": "payments"},
            {"key": "env", "value": "prod"}
        ])
    );
}

#[test]
fn conflicting_tag_values_rejected() {
    let input = json!({
        "taskDefinition": minimal_task(json!({"tags": [{"key": "env", "value": "staging"}]})),
        "tags": [{"key": "env", "value": "prod"}]
    });

    let result = run(&["strip"], Some(&to_bytes(&input)));

    assert_bad_input(&result);
    assert_stderr_has(&result, "env");
    assert_stderr_has(&result, "staging");
    assert_stderr_has(&result, "prod");
}

#[test]
fn describe_extra_key_dropped_with_warning() {
    let input = json!({
        "taskDefinition": minimal_task(json!({})),
        "ResponseMetadata": {"RequestId": "0a1b2c3d"}
    });

    let result = run(&["strip"], Some(&to_bytes(&input)));
    let output = stdout_json(&result);

    assert_eq!(keys_of(&output), ["family", "containerDefinitions"]);
    assert_stderr_has(&result, "warning");
    assert_stderr_has(&result, "ResponseMetadata");
}

#[test]
fn strip_accepts_utf8_bom_on_stdin() {
    let mut input = b"\xEF\xBB\xBF".to_vec();
    input.extend(c01_bytes());

    let result = run(&["strip", "--compact"], Some(&input));

    assert_success(&result);
    assert_eq!(result.stdout, c01_line());
}

#[test]
fn strip_accepts_powershell_bom_file() {
    let path = corpus("17-describe-powershell-bom-plaintext.json");

    let result = run(&["strip", path.to_str().unwrap()], None);

    assert_success(&result);
    assert!(
        result.stdout.starts_with('{'),
        "output starts with a BOM or junk"
    );
    let output = parse(&result.stdout);
    assert_eq!(output["family"], "app-backend-staging");
    assert!(output.get("taskDefinitionArn").is_none());
}

#[test]
fn unknown_key_kept_in_place_and_warned() {
    let input = br#"{"family":"web-app","futureSetting":{"on":true},"containerDefinitions":[{"name":"app","image":"web-app:1"}]}"#;

    let result = run(&["strip", "--compact"], Some(input));

    assert_success(&result);
    assert_eq!(
        result.stdout,
        format!("{}\n", std::str::from_utf8(input).unwrap())
    );
    assert_stderr_has(&result, "warning");
    assert_stderr_has(&result, "futureSetting");
}

#[test]
fn unknown_key_warned_when_quiet() {
    let input = minimal_task(json!({"futureSetting": true}));

    let result = run(&["--quiet", "strip"], Some(&to_bytes(&input)));

    assert_success(&result);
    assert_stderr_has(&result, "futureSetting");
}

#[test]
fn output_file_created_with_json() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_c01(dir.path());

    let result = run_in(
        dir.path(),
        &["strip", file, "--compact", "-o", "new.json"],
        None,
    );

    assert_success(&result);
    assert_eq!(result.stdout, "", "with -o nothing goes to stdout");
    let written = std::fs::read_to_string(dir.path().join("new.json")).unwrap();
    assert_eq!(written, c01_line());
}

#[test]
fn output_file_pretty_by_default() {
    let dir = tempfile::tempdir().unwrap();

    let result = run_in(
        dir.path(),
        &["strip", "--output", "new.json"],
        Some(&to_bytes(&case_input("C02"))),
    );

    assert_success(&result);
    let written = std::fs::read_to_string(dir.path().join("new.json")).unwrap();
    assert_eq!(written, C02_PRETTY);
}

#[test]
fn output_file_replaced_leaves_no_temp() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_c01(dir.path());
    std::fs::write(dir.path().join("new.json"), ORIGINAL_OUTPUT).unwrap();

    let result = run_in(
        dir.path(),
        &["strip", file, "--compact", "-o", "new.json"],
        None,
    );

    assert_success(&result);
    let written = std::fs::read_to_string(dir.path().join("new.json")).unwrap();
    assert_eq!(written, c01_line());
    assert_eq!(dir_entries(dir.path()), ["new.json", "td.json"]);
}

#[test]
fn output_may_replace_its_input() {
    let dir = tempfile::tempdir().unwrap();
    let file = write_c01(dir.path());

    let result = run_in(dir.path(), &["strip", file, "--compact", "-o", file], None);

    assert_success(&result);
    let written = std::fs::read_to_string(dir.path().join(file)).unwrap();
    assert_eq!(written, c01_line());
}

/// Runs `args` in a directory whose `out.json` contains [`ORIGINAL_OUTPUT`], and
/// checks the bad-input contract plus an untouched `out.json`.
#[track_caller]
fn assert_output_file_untouched(args: &[&str], stdin: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.json");
    std::fs::write(&target, ORIGINAL_OUTPUT).unwrap();
    let modified_before = std::fs::metadata(&target).unwrap().modified().unwrap();

    let result = run_in(dir.path(), args, Some(stdin));

    assert_bad_input(&result);
    assert_eq!(std::fs::read(&target).unwrap(), ORIGINAL_OUTPUT);
    assert_eq!(
        std::fs::metadata(&target).unwrap().modified().unwrap(),
        modified_before
    );
    assert_eq!(
        dir_entries(dir.path()),
        ["out.json"],
        "a file was left behind"
    );
}

#[test]
fn malformed_input_keeps_output_file() {
    assert_output_file_untouched(&["strip", "-o", "out.json"], b"{\"family\": ");
}

#[test]
fn failed_validation_keeps_output_file() {
    assert_output_file_untouched(&["strip", "-o", "out.json"], &to_bytes(&case_input("C11")));
}

#[test]
fn secret_conflict_keeps_output_file() {
    assert_output_file_untouched(
        &[
            "add-secrets",
            "-o",
            "out.json",
            "--secret",
            "DB_PASSWORD=/web-app/other-password",
        ],
        &to_bytes(&case_input("C08")),
    );
}

#[test]
fn unknown_secret_keeps_output_file() {
    assert_output_file_untouched(
        &["remove-secrets", "-o", "out.json", "NOT_THERE"],
        &to_bytes(&case_input("C08")),
    );
}

#[test]
fn bad_input_creates_no_output_file() {
    let dir = tempfile::tempdir().unwrap();

    let result = run_in(dir.path(), &["strip", "-o", "out.json"], Some(b"[]"));

    assert_bad_input(&result);
    assert_eq!(dir_entries(dir.path()), Vec::<String>::new());
}

#[test]
fn output_into_missing_directory_exits_1() {
    let dir = tempfile::tempdir().unwrap();

    let result = run_in(
        dir.path(),
        &["strip", "-o", "no-such-dir/out.json"],
        Some(&c01_bytes()),
    );

    assert_eq!(result.code, Some(1), "stderr:\n{}", result.stderr);
    assert_eq!(result.stdout, "");
    assert_stderr_has(&result, "no-such-dir/out.json");
    assert_eq!(dir_entries(dir.path()), Vec::<String>::new());
}

#[test]
fn output_onto_directory_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("out")).unwrap();

    let result = run_in(dir.path(), &["strip", "-o", "out"], Some(&c01_bytes()));

    assert_eq!(result.code, Some(1), "stderr:\n{}", result.stderr);
    assert_eq!(result.stdout, "");
    assert_eq!(dir_entries(dir.path()), ["out"]);
    assert_eq!(dir_entries(&dir.path().join("out")), Vec::<String>::new());
}

#[test]
fn empty_stdin_is_bad_input() {
    let result = run(&["strip"], Some(b""));

    assert_bad_input(&result);
    assert_stderr_has(&result, "empty");
}

#[test]
fn blank_file_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("blank.json"), " \n\t\n").unwrap();

    let result = run_in(dir.path(), &["strip", "blank.json"], None);

    assert_bad_input(&result);
    assert_stderr_has(&result, "blank.json");
    assert_stderr_has(&result, "empty");
}

#[test]
fn missing_file_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();

    let result = run_in(dir.path(), &["strip", "no-such.json"], None);

    assert_bad_input(&result);
    assert_stderr_has(&result, "no-such.json");
}

#[test]
fn malformed_json_names_line() {
    let result = run(
        &["strip"],
        Some(b"{\n  \"family\": \"web-app\",\n  \"cpu\": 256,,\n}"),
    );

    assert_bad_input(&result);
    assert_stderr_has(&result, "JSON");
    assert_stderr_has(&result, "line 3");
}

#[test]
fn template_corpus_file_is_bad_input() {
    let path = corpus("47-template-invalid-otel-placeholders.json");

    let result = run(&["strip", path.to_str().unwrap()], None);

    assert_bad_input(&result);
    assert_stderr_has(&result, "47-template-invalid-otel-placeholders.json");
    assert_stderr_has(&result, "line 45");
}

#[test]
fn duplicate_key_is_named() {
    let path = corpus("46-register-duplicate-key.json");

    let result = run(&["strip", path.to_str().unwrap()], None);

    assert_bad_input(&result);
    assert_stderr_has(&result, "requiresCompatibilities");
}

#[test]
fn json_array_is_bad_input() {
    let result = run(&["strip"], Some(b"[{\"family\": \"web-app\"}]"));

    assert_bad_input(&result);
    assert_stderr_has(&result, "array");
}

#[test]
fn non_object_task_definition_is_bad_input() {
    let result = run(&["strip"], Some(br#"{"taskDefinition": "web-app:7"}"#));

    assert_bad_input(&result);
    assert_stderr_has(&result, "taskDefinition");
    assert_stderr_has(&result, "string");
}

#[test]
fn null_array_element_is_named() {
    let input =
        br#"{"family":"web-app","containerDefinitions":[{"name":"app","command":["serve",null]}]}"#;

    let result = run(&["strip"], Some(input));

    assert_bad_input(&result);
    assert_stderr_has(&result, "containerDefinitions[0].command[1]");
}

#[test]
fn missing_container_definitions_says_missing() {
    let result = run(&["strip"], Some(br#"{"family": "web-app"}"#));

    assert_bad_input(&result);
    assert_stderr_has(&result, "containerDefinitions");
    assert_stderr_has(&result, "missing");
}

#[test]
fn non_array_container_definitions_named() {
    let input = br#"{"family":"web-app","containerDefinitions":{"name":"app"}}"#;

    let result = run(&["strip"], Some(input));

    assert_bad_input(&result);
    assert_stderr_has(&result, "containerDefinitions");
    assert_stderr_has(&result, "array");
}

#[test]
fn non_object_container_named() {
    let input = br#"{"family":"web-app","containerDefinitions":["app"]}"#;

    let result = run(&["strip"], Some(input));

    assert_bad_input(&result);
    assert_stderr_has(&result, "containerDefinitions[0]");
    assert_stderr_has(&result, "object");
}

#[test]
fn every_command_rejects_malformed_json() {
    let input = b"{\"family\": \"web-app\",";
    let commands: [&[&str]; 4] = [
        &["strip"],
        &["add-secrets", "--secret", "API_TOKEN=/web-app/api-token"],
        &["remove-secrets", "DB_PASSWORD"],
        &["validate"],
    ];

    for args in commands {
        let result = run(args, Some(input));

        assert_bad_input(&result);
        assert_stderr_has(&result, "JSON");
    }
}

#[test]
fn every_command_rejects_empty_stdin() {
    let commands: [&[&str]; 4] = [
        &["strip", "-"],
        &[
            "add-secrets",
            "-",
            "--secret",
            "API_TOKEN=/web-app/api-token",
        ],
        &["remove-secrets", "-", "DB_PASSWORD"],
        &["validate", "-"],
    ];

    for args in commands {
        let result = run(args, Some(b""));

        assert_bad_input(&result);
        assert_stderr_has(&result, "empty");
    }
}

#[test]
fn unknown_flag_is_usage_error() {
    let result = run(&["strip", "--no-such-flag"], Some(&c01_bytes()));

    assert_bad_input(&result);
    assert_stderr_has(&result, "--no-such-flag");
}

#[test]
fn verbose_and_quiet_conflict() {
    let result = run(&["--verbose", "--quiet", "strip"], Some(&c01_bytes()));

    assert_bad_input(&result);
}

#[test]
fn quiet_hides_change_report() {
    let input = to_bytes(&case_input("C08"));

    let result = run(
        &[
            "--quiet",
            "add-secrets",
            "--secret",
            "API_TOKEN=/web-app/api-token",
        ],
        Some(&input),
    );

    assert_success(&result);
    assert_eq!(result.stderr, "");
}
