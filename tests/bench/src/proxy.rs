//! A counting HTTP proxy in front of the emulator, for a function that runs
//! in its own process, where no SDK interceptor of ours can see its
//! requests. It forwards each request unchanged and notes its
//! `X-Amz-Target` (`DynamoDB_20120810.BatchWriteItem`,
//! `secretsmanager.GetSecretValue`, ...) and, for a DynamoDB write, the
//! partition of every item it writes, so a reader can tell the roster's
//! writes from the sync's own bookkeeping.

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::runtime_api::{read_chunked, read_exact};

/// One DynamoDB write request: its operation, and the partition key of
/// each item it puts, updates or deletes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableWrite {
    pub operation: String,
    pub partitions: Vec<String>,
    /// Items a BatchWriteItem left unprocessed (to be sent again).
    pub unprocessed: usize,
}

/// What went through the proxy since the last `take`.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    /// Requests by target, such as `DynamoDB_20120810.Query`.
    pub requests: BTreeMap<String, u32>,
    /// Requests the emulator answered with a 4xx or 5xx, by target.
    pub refused: BTreeMap<String, u32>,
    pub table_writes: Vec<TableWrite>,
    /// Time from forwarding a request to its whole answer, by target,
    /// summed: the emulator's share of a run.
    pub time: BTreeMap<String, Duration>,
    /// Bytes of the answers' bodies, by target.
    pub answer_bytes: BTreeMap<String, u64>,
}

impl Seen {
    /// Requests of one operation of a service, such as `DynamoDB` /
    /// `BatchWriteItem`.
    pub fn count(&self, service: &str, operation: &str) -> u32 {
        of(&self.requests, service, operation)
    }

    /// Bytes of the answers to one operation of a service.
    pub fn answer_bytes_of(&self, service: &str, operation: &str) -> u64 {
        of(&self.answer_bytes, service, operation)
    }
}

fn of<T: Copy + std::iter::Sum<T>>(
    by_target: &BTreeMap<String, T>,
    service: &str,
    operation: &str,
) -> T {
    by_target
        .iter()
        .filter(|(target, _)| split_target(target) == (service, operation))
        .map(|(_, n)| *n)
        .sum()
}

/// `DynamoDB_20120810.Query` as (`DynamoDB`, `Query`); SQS's `AmazonSQS`
/// and Secrets Manager's `secretsmanager` as they are.
pub fn split_target(target: &str) -> (&str, &str) {
    let (service, operation) = target.split_once('.').unwrap_or(("unknown", target));
    let service = service.split('_').next().unwrap_or(service);
    (service, operation)
}

/// A running proxy; dropping it closes every connection.
pub struct CountingProxy {
    pub address: SocketAddr,
    seen: Arc<Mutex<Seen>>,
    _server: JoinSet<()>,
}

impl CountingProxy {
    /// Listens on a free port of 127.0.0.1 and forwards to `upstream`
    /// (`http://host:port`).
    pub async fn start(upstream: &str) -> io::Result<Self> {
        let upstream = upstream
            .strip_prefix("http://")
            .map(|rest| rest.trim_end_matches('/').to_owned())
            .filter(|host| !host.contains('/'))
            .ok_or_else(|| {
                io::Error::other(format!("cannot proxy {upstream}: not http://host:port"))
            })?;
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let seen = Arc::new(Mutex::new(Seen::default()));

        let mut server = JoinSet::new();
        let tally = Arc::clone(&seen);
        server.spawn(async move {
            let mut connections = JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                let (tally, upstream) = (Arc::clone(&tally), upstream.clone());
                connections.spawn(async move {
                    let _ = serve(stream, &upstream, &tally).await;
                });
            }
        });
        Ok(Self {
            address,
            seen,
            _server: server,
        })
    }

    /// The endpoint to give a function instead of the emulator's.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Everything seen since the last call.
    pub fn take(&self) -> Seen {
        std::mem::take(
            &mut *self
                .seen
                .lock()
                .expect("the proxy's tally is never poisoned"),
        )
    }
}

/// A request or response: its first line, headers and body.
struct Message {
    start: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Message {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The message with its own length and `connection` header: framing is
    /// per hop, so the proxy sets it for each side.
    fn encode(&self, connection: &str) -> Vec<u8> {
        let mut out = format!("{}\r\n", self.start);
        for (name, value) in &self.headers {
            let hop = [
                "connection",
                "keep-alive",
                "content-length",
                "transfer-encoding",
                "expect",
            ]
            .iter()
            .any(|h| name.eq_ignore_ascii_case(h));
            if !hop {
                out.push_str(&format!("{name}: {value}\r\n"));
            }
        }
        out.push_str(&format!(
            "content-length: {}\r\nconnection: {connection}\r\n\r\n",
            self.body.len()
        ));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

async fn serve(stream: TcpStream, upstream: &str, seen: &Mutex<Seen>) -> io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    loop {
        let Some(head) = read_head(&mut reader).await? else {
            return Ok(());
        };
        if head
            .header("expect")
            .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
        {
            writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
        }
        let request = read_body(&mut reader, head).await?;

        // One upstream connection per request, closed by the emulator after
        // its answer, so the answer's end is the connection's.
        let sent = Instant::now();
        let mut moto = TcpStream::connect(upstream).await?;
        moto.write_all(&request.encode("close")).await?;
        let mut raw = Vec::new();
        moto.read_to_end(&mut raw).await?;
        let took = sent.elapsed();
        let response = parse_response(&raw).await?;

        note(seen, &request, &response, took);
        writer.write_all(&response.encode("keep-alive")).await?;
        writer.flush().await?;
    }
}

/// The first line and headers, or none when the client closed the
/// connection.
async fn read_head<R: AsyncBufReadExt + Unpin>(reader: &mut R) -> io::Result<Option<Message>> {
    let mut line = String::new();
    if reader.read_line(&mut line).await? == 0 {
        return Ok(None);
    }
    let start = line.trim_end().to_owned();
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Err(io::Error::other("the connection closed inside a head"));
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    Ok(Some(Message {
        start,
        headers,
        body: Vec::new(),
    }))
}

/// The body the head announces: by `content-length`, chunked, or (for a
/// response without either) everything that is left.
async fn read_body<R: AsyncBufReadExt + Unpin>(
    reader: &mut R,
    mut message: Message,
) -> io::Result<Message> {
    let chunked = message
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    let length = message
        .header("content-length")
        .map(|v| v.parse::<usize>())
        .transpose()
        .map_err(|_| io::Error::other("a malformed content-length"))?;
    message.body = match (chunked, length) {
        (true, _) => read_chunked(reader).await?,
        (false, Some(length)) => read_exact(reader, length).await?,
        (false, None) if message.start.starts_with("HTTP/") => {
            let mut rest = Vec::new();
            reader.read_to_end(&mut rest).await?;
            rest
        }
        (false, None) => Vec::new(),
    };
    Ok(message)
}

async fn parse_response(raw: &[u8]) -> io::Result<Message> {
    let mut reader = BufReader::new(raw);
    loop {
        let head = read_head(&mut reader)
            .await?
            .ok_or_else(|| io::Error::other("the emulator closed without answering"))?;
        // An interim 100 Continue is followed by the real answer.
        if head.start.split_whitespace().nth(1) == Some("100") {
            continue;
        }
        return read_body(&mut reader, head).await;
    }
}

fn note(seen: &Mutex<Seen>, request: &Message, response: &Message, took: Duration) {
    let Some(target) = request.header("x-amz-target").map(str::to_owned) else {
        return;
    };
    let status: u16 = response
        .start
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let write = table_write(&target, &request.body, &response.body);

    let mut seen = seen.lock().expect("the proxy's tally is never poisoned");
    *seen.requests.entry(target.clone()).or_default() += 1;
    *seen.time.entry(target.clone()).or_default() += took;
    *seen.answer_bytes.entry(target.clone()).or_default() += response.body.len() as u64;
    if status >= 400 {
        *seen.refused.entry(target).or_default() += 1;
    }
    if let Some(write) = write.filter(|_| status < 400) {
        seen.table_writes.push(write);
    }
}

/// The items a DynamoDB write request touches, by partition key.
fn table_write(target: &str, request: &[u8], response: &[u8]) -> Option<TableWrite> {
    let (service, operation) = split_target(target);
    if service != "DynamoDB" {
        return None;
    }
    let body: Value = serde_json::from_slice(request).ok()?;
    let pk = |item: &Value| item["pk"]["S"].as_str().unwrap_or_default().to_owned();
    let partitions = match operation {
        "PutItem" => vec![pk(&body["Item"])],
        "UpdateItem" | "DeleteItem" => vec![pk(&body["Key"])],
        "BatchWriteItem" => batch_items(&body["RequestItems"])
            .map(|w| match w.get("PutRequest") {
                Some(put) => pk(&put["Item"]),
                None => pk(&w["DeleteRequest"]["Key"]),
            })
            .collect(),
        "TransactWriteItems" => body["TransactItems"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| match (t.get("Put"), t.get("Update"), t.get("Delete")) {
                (Some(put), _, _) => pk(&put["Item"]),
                (_, Some(update), _) => pk(&update["Key"]),
                (_, _, Some(delete)) => pk(&delete["Key"]),
                _ => String::new(),
            })
            .collect(),
        _ => return None,
    };
    let unprocessed = match operation {
        "BatchWriteItem" => serde_json::from_slice::<Value>(response)
            .map(|answer| batch_items(&answer["UnprocessedItems"]).count())
            .unwrap_or(0),
        _ => 0,
    };
    Some(TableWrite {
        operation: operation.to_owned(),
        partitions,
        unprocessed,
    })
}

/// The write requests of a BatchWriteItem's `RequestItems` (or
/// `UnprocessedItems`), over every table.
fn batch_items(by_table: &Value) -> impl Iterator<Item = &Value> {
    by_table
        .as_object()
        .into_iter()
        .flat_map(|tables| tables.values())
        .filter_map(Value::as_array)
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_name_their_service_and_operation() {
        assert_eq!(
            split_target("DynamoDB_20120810.BatchWriteItem"),
            ("DynamoDB", "BatchWriteItem")
        );
        assert_eq!(
            split_target("secretsmanager.GetSecretValue"),
            ("secretsmanager", "GetSecretValue")
        );
    }

    #[test]
    fn a_batch_write_names_the_partition_of_each_item() {
        let request = br#"{"RequestItems": {"t": [
            {"PutRequest": {"Item": {"pk": {"S": "S#a#PUPIL#1"}, "sk": {"S": "PUPIL"}}}},
            {"DeleteRequest": {"Key": {"pk": {"S": "S#a#ROSTER"}, "sk": {"S": "GROUP#g"}}}}
        ]}}"#;
        let response = br#"{"UnprocessedItems": {}}"#;
        let write = table_write("DynamoDB_20120810.BatchWriteItem", request, response).unwrap();
        assert_eq!(write.partitions, ["S#a#PUPIL#1", "S#a#ROSTER"]);
        assert_eq!(write.unprocessed, 0);
    }
}
