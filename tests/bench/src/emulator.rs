//! The local moto server the benchmark runs against, and the one flaw of
//! it that shapes the benchmark.
//!
//! moto's TransactWriteItems deep-copies the whole table once per write in
//! the transaction (to roll back on failure), and every copy stays
//! referenced by moto's model registry until the server is reset. A class
//! of 30 is 91 writes, so each log copies the table 91 times: time grows
//! with the table's size and memory grows by gigabytes over a run. The
//! benchmark therefore gives every lesson a fresh table and, when it owns
//! the emulator, resets it between lessons.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What the report says about the emulator's share of the latency.
pub const COST_NOTE: &str = "moto deep-copies the whole table once per write of a transaction \
     (91 copies for a class of 30, 121 for 40), so TransactWriteItems time is mostly the \
     emulator's and grows with the table; read the latencies as our code plus moto, not as \
     what DynamoDB would take.";

/// Set (to anything) by `bench.sh`, which starts an emulator for the
/// benchmark alone: only then may the benchmark wipe it.
pub const MAY_RESET_VARIABLE: &str = "BENCH_MAY_RESET_EMULATOR";

/// The emulator's process id, if `bench.sh` started it, for its peak memory.
pub const PID_VARIABLE: &str = "BENCH_EMULATOR_PID";

pub fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL points at the emulator")
}

pub fn may_reset() -> bool {
    std::env::var_os(MAY_RESET_VARIABLE).is_some_and(|v| !v.is_empty())
}

/// Empties the emulator (every table and queue) and frees what it held.
pub async fn reset() -> std::io::Result<()> {
    let endpoint = endpoint();
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    if host.contains('/') || endpoint.starts_with("https://") {
        return Err(std::io::Error::other(format!(
            "cannot reset {endpoint}: expected http://host:port"
        )));
    }
    let mut stream = TcpStream::connect(host).await?;
    let request = format!(
        "POST /moto-api/reset HTTP/1.1\r\nhost: {host}\r\n\
         content-length: 0\r\nconnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    if answer.starts_with(b"HTTP/1.1 200") || answer.starts_with(b"HTTP/1.0 200") {
        Ok(())
    } else {
        let head = String::from_utf8_lossy(&answer[..answer.len().min(80)]).into_owned();
        Err(std::io::Error::other(format!(
            "the emulator refused to reset: {head}"
        )))
    }
}

/// The emulator's peak resident memory so far, in KiB, when its pid is known.
pub fn peak_rss_kib() -> Option<u64> {
    let pid = std::env::var(PID_VARIABLE).ok()?;
    crate::cold_start::peak_rss(pid.trim().parse().ok()?)
}
