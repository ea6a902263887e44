//! Tables and queues of one's own on the local emulator.

use std::path::PathBuf;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType,
};
use serde_norway::Value;
use store::Store;

/// The SDK configuration for the emulator. Fails with a clear message when
/// the emulator is not configured, rather than reaching for real AWS.
pub async fn config() -> aws_config::SdkConfig {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| {
        panic!("AWS_ENDPOINT_URL is not set: run the tests with `make test`, which starts the local emulator")
    });
    // SAFETY: tests set the same fake values from every thread, before any
    // SDK client reads them.
    unsafe {
        for (name, value) in [
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_REGION", "eu-west-2"),
        ] {
            if std::env::var_os(name).is_none() {
                std::env::set_var(name, value);
            }
        }
    }
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .load()
        .await
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", ulid::Ulid::new().to_string().to_lowercase())
}

/// The SAM template the stack is deployed from.
pub fn template() -> Value {
    let path = std::env::var("CLASSLIGHTS_TEMPLATE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../infra/template.yaml")
        });
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_norway::from_str(&text).expect("the template is valid YAML")
}

fn resources_of_type<'a>(template: &'a Value, kind: &str) -> Vec<&'a Value> {
    template["Resources"]
        .as_mapping()
        .expect("the template has resources")
        .values()
        .filter(|resource| resource["Type"].as_str() == Some(kind))
        .collect()
}

fn key_schema(value: &Value) -> Vec<KeySchemaElement> {
    value
        .as_sequence()
        .expect("a key schema")
        .iter()
        .map(|k| {
            let kind = if k["KeyType"].as_str() == Some("HASH") {
                KeyType::Hash
            } else {
                KeyType::Range
            };
            KeySchemaElement::builder()
                .attribute_name(k["AttributeName"].as_str().expect("a key name"))
                .key_type(kind)
                .build()
                .expect("a complete key")
        })
        .collect()
}

/// A table of one's own, shaped like the template's.
pub struct TestTable {
    pub store: Store,
    pub name: String,
}

impl TestTable {
    pub async fn create() -> Self {
        let config = config().await;
        let client = aws_sdk_dynamodb::Client::new(&config);
        let template = template();
        let table = resources_of_type(&template, "AWS::DynamoDB::Table")
            .into_iter()
            .next()
            .expect("the template defines the table");
        let properties = &table["Properties"];

        let attributes = properties["AttributeDefinitions"]
            .as_sequence()
            .expect("attribute definitions")
            .iter()
            .map(|a| {
                AttributeDefinition::builder()
                    .attribute_name(a["AttributeName"].as_str().expect("a name"))
                    .attribute_type(ScalarAttributeType::from(
                        a["AttributeType"].as_str().expect("a type"),
                    ))
                    .build()
                    .expect("a complete attribute")
            })
            .collect();
        let indexes = properties["GlobalSecondaryIndexes"]
            .as_sequence()
            .map(|all| {
                all.iter()
                    .map(|index| {
                        let projection = index["Projection"]["ProjectionType"]
                            .as_str()
                            .unwrap_or("ALL");
                        GlobalSecondaryIndex::builder()
                            .index_name(index["IndexName"].as_str().expect("an index name"))
                            .set_key_schema(Some(key_schema(&index["KeySchema"])))
                            .projection(
                                Projection::builder()
                                    .projection_type(ProjectionType::from(projection))
                                    .build(),
                            )
                            .build()
                            .expect("a complete index")
                    })
                    .collect()
            });

        let name = unique("classlights");
        client
            .create_table()
            .table_name(&name)
            .billing_mode(BillingMode::PayPerRequest)
            .set_attribute_definitions(Some(attributes))
            .set_key_schema(Some(key_schema(&properties["KeySchema"])))
            .set_global_secondary_indexes(indexes)
            .send()
            .await
            .expect("the emulator creates the table");
        Self {
            store: Store::new(client, &name),
            name,
        }
    }

    pub fn client(&self) -> &aws_sdk_dynamodb::Client {
        self.store.client()
    }
}

/// A queue of one's own.
pub struct TestQueue {
    pub client: aws_sdk_sqs::Client,
    pub url: String,
}

impl TestQueue {
    pub async fn create() -> Self {
        let config = config().await;
        let client = aws_sdk_sqs::Client::new(&config);
        let output = client
            .create_queue()
            .queue_name(unique("behaviour-events"))
            .send()
            .await
            .expect("the emulator creates the queue");
        Self {
            client,
            url: output.queue_url.expect("a queue url"),
        }
    }

    /// A queue with a dead-letter queue, as the template gives every
    /// queue: a message received `max_receives` times without being deleted
    /// moves there. Its messages are visible again at once, so a test need
    /// not wait out a visibility timeout between tries.
    pub async fn with_dead_letters(max_receives: u32) -> (Self, Self) {
        let dead_letters = Self::create().await;
        let arn = dead_letters
            .client
            .get_queue_attributes()
            .queue_url(&dead_letters.url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .expect("the emulator answers")
            .attributes
            .and_then(|a| {
                a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                    .cloned()
            })
            .expect("a queue arn");
        let redrive =
            format!(r#"{{"deadLetterTargetArn":"{arn}","maxReceiveCount":{max_receives}}}"#);
        let output = dead_letters
            .client
            .create_queue()
            .queue_name(unique("with-dead-letters"))
            .attributes(
                aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy,
                redrive,
            )
            .attributes(
                aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout,
                "0",
            )
            .send()
            .await
            .expect("the emulator creates the queue");
        let queue = Self {
            client: dead_letters.client.clone(),
            url: output.queue_url.expect("a queue url"),
        };
        (queue, dead_letters)
    }

    pub async fn send(&self, body: &str) {
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .send()
            .await
            .expect("the emulator takes the message");
    }

    /// Up to ten messages, as Lambda's poller receives them: they stay on
    /// the queue until deleted.
    pub async fn receive(&self) -> Vec<aws_sdk_sqs::types::Message> {
        self.client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(10)
            .send()
            .await
            .expect("the emulator answers")
            .messages
            .unwrap_or_default()
    }

    /// Deletes a received message, as Lambda's poller does when the
    /// function did not name it as a failure.
    pub async fn delete(&self, message: &aws_sdk_sqs::types::Message) {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(message.receipt_handle.clone().unwrap_or_default())
            .send()
            .await
            .expect("the emulator deletes");
    }

    /// Every message waiting on the queue, removed from it.
    pub async fn drain(&self) -> Vec<String> {
        let mut bodies = Vec::new();
        loop {
            let output = self
                .client
                .receive_message()
                .queue_url(&self.url)
                .max_number_of_messages(10)
                .send()
                .await
                .expect("the emulator answers");
            let messages = output.messages.unwrap_or_default();
            if messages.is_empty() {
                return bodies;
            }
            for message in messages {
                bodies.push(message.body.unwrap_or_default());
                self.client
                    .delete_message()
                    .queue_url(&self.url)
                    .receipt_handle(message.receipt_handle.unwrap_or_default())
                    .send()
                    .await
                    .expect("the emulator deletes");
            }
        }
    }
}
