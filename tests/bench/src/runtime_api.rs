//! A stand-in for the Lambda Runtime API, just enough for one invocation:
//! the first `next` gets the event, the `response` (or `error`) is timed,
//! and any later `next` waits until the process is killed, as in Lambda
//! between invocations.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

const NEXT: &str = "/2018-06-01/runtime/invocation/next";
const INVOCATION: &str = "/2018-06-01/runtime/invocation/";
const INIT_ERROR: &str = "/2018-06-01/runtime/init/error";

/// How long the function may run, as told in the deadline header.
const DEADLINE_MS: u128 = 30_000;

/// Largest request head or body accepted from the function.
const MAX_BODY: usize = 16 * 1024 * 1024;

/// What the function did, when.
#[derive(Debug)]
pub enum Signal {
    /// Asked for its first event: initialisation is over.
    Polled(Instant),
    /// Posted the answer to the event.
    Answered { at: Instant, body: Vec<u8> },
    /// Reported an initialisation or invocation error.
    Failed { path: String, body: Vec<u8> },
}

struct Invocation {
    event: Vec<u8>,
    request_id: String,
    function_arn: String,
    handed_out: AtomicBool,
    signals: mpsc::UnboundedSender<Signal>,
}

/// A running stand-in; dropping it closes every connection.
pub struct FakeRuntimeApi {
    pub address: SocketAddr,
    pub signals: mpsc::UnboundedReceiver<Signal>,
    _server: JoinSet<()>,
}

impl FakeRuntimeApi {
    /// Listens on a free port of 127.0.0.1, holding one event.
    pub async fn start(event: Vec<u8>, request_id: &str, function: &str) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let (sender, signals) = mpsc::unbounded_channel();
        let invocation = Arc::new(Invocation {
            event,
            request_id: request_id.to_owned(),
            function_arn: format!("arn:aws:lambda:eu-west-2:123456789012:function:{function}"),
            handed_out: AtomicBool::new(false),
            signals: sender,
        });

        let mut server = JoinSet::new();
        server.spawn(async move {
            // Connections live in this set, so they end with the server.
            let mut connections = JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                let invocation = Arc::clone(&invocation);
                connections.spawn(async move {
                    let _ = serve(stream, &invocation).await;
                });
            }
        });
        Ok(Self {
            address,
            signals,
            _server: server,
        })
    }
}

struct HttpRequest {
    method: String,
    path: String,
    body: Vec<u8>,
}

async fn serve(stream: TcpStream, invocation: &Invocation) -> io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    while let Some(request) = read_request(&mut reader).await? {
        let now = Instant::now();
        match (request.method.as_str(), request.path.as_str()) {
            ("GET", NEXT) => {
                let _ = invocation.signals.send(Signal::Polled(now));
                if invocation.handed_out.swap(true, Ordering::SeqCst) {
                    std::future::pending::<()>().await;
                }
                let deadline = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_millis()
                    + DEADLINE_MS;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                     lambda-runtime-aws-request-id: {}\r\n\
                     lambda-runtime-deadline-ms: {deadline}\r\n\
                     lambda-runtime-invoked-function-arn: {}\r\n\
                     content-length: {}\r\n\r\n",
                    invocation.request_id,
                    invocation.function_arn,
                    invocation.event.len()
                );
                writer.write_all(head.as_bytes()).await?;
                writer.write_all(&invocation.event).await?;
            }
            ("POST", path) if path.starts_with(INVOCATION) && path.ends_with("/response") => {
                let _ = invocation.signals.send(Signal::Answered {
                    at: now,
                    body: request.body,
                });
                writer
                    .write_all(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n")
                    .await?;
            }
            ("POST", path)
                if path == INIT_ERROR
                    || (path.starts_with(INVOCATION) && path.ends_with("/error")) =>
            {
                let _ = invocation.signals.send(Signal::Failed {
                    path: path.to_owned(),
                    body: request.body,
                });
                writer
                    .write_all(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n")
                    .await?;
            }
            _ => {
                writer
                    .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
                    .await?
            }
        }
        writer.flush().await?;
    }
    Ok(())
}

fn invalid(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why.to_owned())
}

/// One HTTP/1.1 request, or none when the client closed the connection.
async fn read_request<R: AsyncBufReadExt + Unpin>(
    reader: &mut R,
) -> io::Result<Option<HttpRequest>> {
    let mut line = String::new();
    if reader.read_line(&mut line).await? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let (Some(method), Some(path)) = (parts.next(), parts.next()) else {
        return Err(invalid("a malformed request line"));
    };
    let (method, path) = (method.to_owned(), path.to_owned());

    let mut length = 0;
    let mut chunked = false;
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Err(invalid("the connection closed inside a request head"));
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value
                    .parse()
                    .map_err(|_| invalid("a malformed content-length"))?;
            } else if name.eq_ignore_ascii_case("transfer-encoding")
                && value.eq_ignore_ascii_case("chunked")
            {
                chunked = true;
            }
        }
    }

    let body = if chunked {
        read_chunked(reader).await?
    } else {
        read_exact(reader, length).await?
    };
    Ok(Some(HttpRequest { method, path, body }))
}

pub(crate) async fn read_exact<R: AsyncBufReadExt + Unpin>(
    reader: &mut R,
    length: usize,
) -> io::Result<Vec<u8>> {
    if length > MAX_BODY {
        return Err(invalid("a body larger than the stand-in accepts"));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).await?;
    Ok(body)
}

pub(crate) async fn read_chunked<R: AsyncBufReadExt + Unpin>(
    reader: &mut R,
) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line).await?;
        let size = line.trim().split(';').next().unwrap_or_default();
        let size =
            usize::from_str_radix(size, 16).map_err(|_| invalid("a malformed chunk size"))?;
        if size == 0 {
            // Trailers, if any, end with an empty line.
            loop {
                line.clear();
                if reader.read_line(&mut line).await? == 0 || line.trim_end().is_empty() {
                    return Ok(body);
                }
            }
        }
        body.extend(read_exact(reader, size).await?);
        if body.len() > MAX_BODY {
            return Err(invalid("a body larger than the stand-in accepts"));
        }
        line.clear();
        reader.read_line(&mut line).await?;
    }
}
