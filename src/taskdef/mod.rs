//! The pure core: task definitions in, register-ready task definitions or typed
//! errors out. No I/O, no processes, no clock.

mod container;
mod document;
mod error;
mod register_input;
mod secrets;
mod transform;
mod validate;
mod value_from;

pub use container::{DEFAULT_CONTAINER, container_names, family_name, select_container};
pub use document::{Document, parse_document};
pub use error::{Finding, TaskDefError};
pub use register_input::{
    CONTAINER_PARAMETERS, Conversion, READ_ONLY_KEYS, REGISTER_PARAMETERS, to_register_input,
};
pub use secrets::{
    AddSecrets, ContainerChanges, RemoveSecrets, SecretChange, SecretSource, SecretToAdd,
    add_secrets, remove_secrets,
};
pub use transform::{Edit, Transformed, transform};
pub use validate::{MAX_CONTAINERS, MAX_JSON_BYTES, MAX_TAGS, validate};
pub use value_from::{SecretReference, SecretVersion, parse_value_from, parse_whole_secret};
