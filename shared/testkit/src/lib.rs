//! Test support. Tests talk to the real DynamoDB and SQS APIs of the local
//! emulator (moto server, reached through `AWS_ENDPOINT_URL`): each test gets
//! a table and queues of its own, built from the same definitions as
//! `infra/template.yaml`, so tests run in parallel without meeting.

pub mod accounts;
pub mod api;
pub mod aws;
pub mod mail;
pub mod school;
pub mod tokens;
pub mod wonde;

pub use api::{Answer, ApiRequest};
pub use aws::{TestQueue, TestTable};
pub use school::{DemoSchool, seed_school};
pub use tokens::SigningKey;
