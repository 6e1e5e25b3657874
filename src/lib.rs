//! `bcos-taskdef` changes a live Amazon ECS task definition safely.
//!
//! The [`taskdef`] module is the pure transform core: it turns the output of
//! `aws ecs describe-task-definition` into input for
//! `aws ecs register-task-definition --cli-input-json`, applying edits and
//! validating the result on the way.
//!
//! ```
//! use bcos_taskdef::taskdef::{transform, AddSecrets, Edit, SecretToAdd};
//!
//! let describe = br#"{"taskDefinition": {
//!     "family": "web", "revision": 3, "status": "ACTIVE",
//!     "executionRoleArn": "arn:aws:iam::123456789012:role/web-exec",
//!     "containerDefinitions": [{"name": "app", "image": "web:1"}]}}"#;
//! let add = AddSecrets {
//!     secrets: vec![SecretToAdd::parse_reference("API_TOKEN=/web/api-token").unwrap()],
//!     ..AddSecrets::default()
//! };
//!
//! let result = transform(describe, &[Edit::AddSecrets(add)]).unwrap();
//!
//! assert!(result.request.get("revision").is_none());
//! assert_eq!(result.request["containerDefinitions"][0]["secrets"][0]["name"], "API_TOKEN");
//! ```

pub mod atomic_file;
pub mod aws;
pub mod cli;
pub mod deploy;
pub mod exit_code;
pub mod masking;
pub mod pipe;
pub mod rollout;
pub mod taskdef;
