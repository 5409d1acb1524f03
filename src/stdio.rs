//! The stdio transport: newline-delimited JSON-RPC on stdin/stdout.
//!
//! rmcp ships a stdio transport, but it drops a line it cannot parse without
//! a word, and discards an oversized line, so the client is left waiting
//! forever for a response that never comes. An MCP client deserves an answer to
//! every line it sends. This transport answers:
//!
//! - a line that is not JSON with `-32700 Parse error` (id `null`);
//! - JSON that is not a JSON-RPC message with `-32600 Invalid Request`,
//!   echoing its `id` when it has one;
//! - a line over [`MAX_LINE`] bytes with `-32600`, echoing the request's id
//!   when it can be read from the line's first bytes, without ever holding
//!   more than that prefix in memory.
//!
//! It must never write anything but JSON-RPC to stdout: every byte it writes
//! is a serialized message followed by `\n`, written whole by one writer task.
//!
//! rmcp polls `receive` inside a `select!` and may drop it half-way, so
//! nothing in flight may live in the future: a line being read is kept in the
//! transport, and writes go through a channel to the writer task, so a
//! cancelled future can neither lose input nor leave half a line on stdout.
//!
//! Memory stays bounded however the client behaves. rmcp starts a task for
//! every request it reads and queues every answer, so a client that pipes
//! thousands of requests without reading its stdin would otherwise make the
//! server hold them all. Here at most [`MAX_IN_FLIGHT`] requests are between
//! being read and having their answer written: past that, the transport
//! stops reading stdin until an answer goes out, and the client's writes
//! block in the pipe — backpressure, not loss. Answers wait in a queue of at
//! most [`OUT_QUEUE`] messages for stdout.
//!
//! On Linux the stdout pipe is widened to hold a full page of records
//! ([`PIPE_BYTES`]), so such an answer goes out in one `write`.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

use rmcp::RoleServer;
use rmcp::model::{
    CallToolRequest, CallToolRequestParams, ClientNotification, ClientRequest, JsonObject,
    JsonRpcMessage, JsonRpcRequest, JsonRpcVersion2_0, RequestId,
};
use rmcp::service::{RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use serde_json::{Value, json};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;

use crate::escape::{escaped_char, hex4};

/// The largest message accepted: far above any real tool call (100 contact
/// ids are ~4 KiB), far below what would hurt the process.
pub const MAX_LINE: usize = 4 * 1024 * 1024;

/// How much of an oversized line is kept to find its `id`.
const ID_PREFIX: usize = 1024;

/// The most requests read but not yet answered on stdout.
pub const MAX_IN_FLIGHT: usize = 64;

/// The most messages waiting to be written to stdout.
pub const OUT_QUEUE: usize = 64;

/// JSON-RPC over a reader and a writer, one message per line.
#[derive(Debug)]
pub struct LineTransport<R> {
    reader: BufReader<R>,
    partial: Partial,
    /// A request read and waiting for an in-flight slot.
    held: Option<RxJsonRpcMessage<RoleServer>>,
    /// The answer to a line rmcp cannot take, waiting for room in the queue.
    reply: Option<Vec<u8>>,
    out: Option<mpsc::Sender<Frame>>,
    flight: Arc<InFlight>,
    writer: Option<JoinHandle<()>>,
}

/// One message for stdout; writing it ends the request `answers`.
#[derive(Debug)]
struct Frame {
    bytes: Vec<u8>,
    answers: Option<RequestId>,
}

/// The requests between being read and having their answer written.
#[derive(Debug)]
struct InFlight {
    slots: Semaphore,
    ids: Mutex<HashSet<RequestId>>,
}

impl InFlight {
    /// Count `id`, whose slot was taken. A duplicate id is not counted twice.
    fn admit(&self, id: RequestId) {
        if !self
            .ids
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id)
        {
            self.slots.add_permits(1);
        }
    }

    /// `id` was answered (or cancelled): free its slot, once.
    fn finish(&self, id: &RequestId) {
        if self
            .ids
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id)
        {
            self.slots.add_permits(1);
        }
    }
}

impl<R: AsyncRead + Unpin> LineTransport<R> {
    /// Must be called inside a tokio runtime: it spawns the writer task.
    pub fn new<W: AsyncWrite + Unpin + Send + 'static>(reader: R, mut writer: W) -> Self {
        let (tx, mut rx) = mpsc::channel::<Frame>(OUT_QUEUE);
        let flight = Arc::new(InFlight {
            slots: Semaphore::new(MAX_IN_FLIGHT),
            ids: Mutex::new(HashSet::new()),
        });
        let done = flight.clone();
        let task = tokio::spawn(async move {
            while let Some(Frame { bytes, answers }) = rx.recv().await {
                let written = async {
                    writer.write_all(&bytes).await?;
                    writer.flush().await
                };
                if let Err(e) = written.await {
                    tracing::error!("writing stdout failed: {e}");
                    return;
                }
                // An answer's line is answer-sized: kept for the next one.
                crate::buffers::give(bytes);
                if let Some(id) = &answers {
                    done.finish(id);
                }
            }
        });
        Self {
            reader: BufReader::new(reader),
            partial: Partial::default(),
            held: None,
            reply: None,
            out: Some(tx),
            flight,
            writer: Some(task),
        }
    }
}

/// One message as a line: serialized, with any tool answer spliced in
/// ([`crate::splice`]), then `\n`.
fn line(message: &impl serde::Serialize) -> std::io::Result<Vec<u8>> {
    let bytes = serde_json::to_vec(message).map_err(std::io::Error::other)?;
    let mut bytes = crate::splice::splice(bytes);
    bytes.push(b'\n');
    Ok(bytes)
}

fn closed() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::BrokenPipe, "stdout is closed")
}

/// The process's stdin and stdout (non-blocking pipes where the platform
/// allows, as MCP clients launch servers), stdout widened to [`PIPE_BYTES`]
/// where it is a pipe that can be.
pub fn stdio() -> LineTransport<rmcp::transport::io::StdioReader> {
    #[cfg(target_os = "linux")]
    widen(std::io::stdout());
    let (r, w) = rmcp::transport::stdio_pipes();
    LineTransport::new(r, w)
}

/// How much the pipe to the client is asked to hold: a full page.
///
/// Linux gives a pipe 64 KiB, and a 100-contact page (the most a list
/// returns) is a 96 KB answer: written to a full pipe, the rest waits for
/// the client to read, which costs the server a second `write`, a wait for
/// the pipe to drain and a wake-up, and the client a second read, on every
/// such call. 256 KiB holds that answer twice over. Not more, though a
/// result may be larger (up to [`crate::truncate::MAX_RESULT_BYTES`] of
/// JSON, sent as it is and escaped again as text; that goes in pieces, as
/// before): a pipe's size counts against its user's share of pipe memory
/// (`/proc/sys/fs/pipe-user-pages-soft`, 64 MiB by default), past which
/// every new pipe the user opens gets the smallest size: at 256 KiB a
/// pipe, 256 servers would reach it; at 1 MiB, 64. The kernel still gives
/// the pipe its pages only as they are written. (Clients on Node launch a
/// server over a socket pair, not a pipe: its default buffer,
/// `net.core.wmem_default`, 208 KiB, takes the page in one `write` already.
/// Python's and Rust's clients, and shells, use pipes.)
pub const PIPE_BYTES: usize = 256 * 1024;

/// Ask for `pipe` to hold [`PIPE_BYTES`] if it holds less; the size it
/// holds afterwards, or `None` when it is not a pipe. A pipe that cannot
/// grow (the user is past their share of pipe memory) stays as it was:
/// the answers are written in pieces, as before.
#[cfg(target_os = "linux")]
pub fn widen(pipe: impl std::os::fd::AsFd) -> Option<usize> {
    use rustix::pipe::{fcntl_getpipe_size, fcntl_setpipe_size};
    let now = fcntl_getpipe_size(&pipe).ok()?;
    if now >= PIPE_BYTES {
        return Some(now);
    }
    match fcntl_setpipe_size(&pipe, PIPE_BYTES) {
        Ok(size) => Some(size),
        Err(e) => {
            tracing::debug!("stdout pipe left at {now} bytes: {e}");
            Some(now)
        }
    }
}

/// The line being read, kept across cancelled reads.
#[derive(Debug, Default)]
struct Partial {
    line: Vec<u8>,
    len: usize,
}

/// One line read from the peer.
#[derive(Debug, PartialEq)]
enum Line {
    Complete(Vec<u8>),
    /// Longer than [`MAX_LINE`]: its first bytes and its total length.
    Oversized {
        prefix: Vec<u8>,
        len: usize,
    },
    Eof,
}

/// Read up to and including `\n`, holding at most `MAX_LINE` bytes.
///
/// Cancel-safe: the only await is `fill_buf`, and every byte consumed is
/// first recorded in `partial`.
async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    partial: &mut Partial,
) -> std::io::Result<Line> {
    loop {
        let buf = reader.fill_buf().await?;
        if buf.is_empty() {
            let Partial { line, len } = std::mem::take(partial);
            return Ok(match len {
                0 => Line::Eof,
                len if len > MAX_LINE => Line::Oversized { prefix: line, len },
                _ => Line::Complete(line),
            });
        }
        let (chunk, done) = match buf.iter().position(|b| *b == b'\n') {
            Some(i) => (&buf[..i], Some(i + 1)),
            None => (buf, None),
        };
        partial.len += chunk.len();
        if partial.len <= MAX_LINE {
            partial.line.extend_from_slice(chunk);
        } else {
            // Over the limit: keep only the prefix where the id is.
            partial.line.truncate(ID_PREFIX);
            let room = ID_PREFIX
                .saturating_sub(partial.line.len())
                .min(chunk.len());
            partial.line.extend_from_slice(&chunk[..room]);
        }
        let consumed = done.unwrap_or(buf.len());
        reader.consume(consumed);
        if done.is_some() {
            let Partial { line, len } = std::mem::take(partial);
            return Ok(if len > MAX_LINE {
                Line::Oversized { prefix: line, len }
            } else {
                Line::Complete(line)
            });
        }
    }
}

/// The request id near the start of a (possibly cut) message, if any.
fn id_in_prefix(prefix: &[u8]) -> Value {
    let text = String::from_utf8_lossy(prefix);
    let Some(at) = text.find("\"id\"") else {
        return Value::Null;
    };
    let rest = text[at + 4..].trim_start();
    let Some(rest) = rest.strip_prefix(':') else {
        return Value::Null;
    };
    let rest = rest.trim_start();
    if let Some(s) = rest.strip_prefix('"') {
        return s
            .find('"')
            .map_or(Value::Null, |end| Value::String(s[..end].to_owned()));
    }
    let digits: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    digits.parse::<i64>().map_or(Value::Null, Value::from)
}

/// A line read as rmcp reads it, with the common case made cheap.
///
/// rmcp reads a message by buffering it whole into a tree of serde's
/// `Content`, checking its members through two flattened views of that
/// buffer, and only then reading the request out of it again; on the line
/// of every tool call that was 6% of a 25-contact call's CPU in a profile,
/// more than checking the answer's phone numbers. Here one pass reads which
/// members the message has (allocating only for a method with escapes),
/// and a message rmcp would take as a request (`id` and `method`, neither
/// `result` nor `error`) is read straight as one. Anything else, and a
/// request that does not read, goes through rmcp's own reader, so what it
/// accepts and every error it reports are rmcp's.
fn parse(line: &[u8]) -> Result<RxJsonRpcMessage<RoleServer>, serde_json::Error> {
    match as_request(line) {
        Some(request) => Ok(JsonRpcMessage::Request(request)),
        None => serde_json::from_slice(line),
    }
}

/// A `tools/call` as clients send nearly every one: the envelope, the
/// method, and `params` holding the tool's name and perhaps its arguments,
/// with nothing else anywhere (no `_meta`, no task, no other member).
/// Read in one pass; anything more goes the long way ([`as_request`]).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PlainCall<'a> {
    jsonrpc: JsonRpcVersion2_0,
    id: RequestId,
    #[serde(borrow)]
    method: Cow<'a, str>,
    params: PlainCallParams,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PlainCallParams {
    name: String,
    arguments: Option<JsonObject>,
}

/// `line` read as a [`PlainCall`], if it is one.
fn plain_call(line: &[u8]) -> Option<PlainCall<'_>> {
    serde_json::from_slice::<PlainCall<'_>>(line)
        .ok()
        .filter(|call| call.method == "tools/call")
}

/// `line` read straight as a request, if rmcp would take it as one.
///
/// rmcp's `ClientRequest` is an untagged union of 22 request types: reading
/// one means buffering the message and trying each type in turn, and
/// `tools/call` is the fourteenth. A `tools/call` line is read as that type
/// alone (what any type before it would have said is "wrong method"), in
/// one pass when it is a [`PlainCall`]; if it does not read, the union
/// decides as before.
fn as_request(line: &[u8]) -> Option<JsonRpcRequest<ClientRequest>> {
    /// Which members the message has, whatever their values (`null` too,
    /// as rmcp counts them), and its method when that is a string.
    #[derive(serde::Deserialize)]
    struct Members<'a> {
        #[serde(default, deserialize_with = "present")]
        id: bool,
        #[serde(default, borrow, deserialize_with = "named")]
        method: Option<Option<Cow<'a, str>>>,
        #[serde(default, deserialize_with = "present")]
        result: bool,
        #[serde(default, deserialize_with = "present")]
        error: bool,
    }
    fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        <serde::de::IgnoredAny as serde::Deserialize>::deserialize(d).map(|_| true)
    }
    fn named<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<Cow<'de, str>>>, D::Error> {
        <Option<Cow<'de, str>> as serde::Deserialize>::deserialize(d).map(Some)
    }
    /// The members of a request that are not the request itself.
    #[derive(serde::Deserialize)]
    struct Envelope {
        jsonrpc: JsonRpcVersion2_0,
        id: RequestId,
    }
    if let Some(call) = plain_call(line) {
        let mut params = CallToolRequestParams::new(call.params.name);
        params.arguments = call.params.arguments;
        return Some(JsonRpcRequest {
            jsonrpc: call.jsonrpc,
            id: call.id,
            request: ClientRequest::CallToolRequest(CallToolRequest::new(params)),
        });
    }
    let members: Members<'_> = serde_json::from_slice(line).ok()?;
    if !members.id || members.method.is_none() || members.result || members.error {
        return None;
    }
    if members.method == Some(Some(Cow::Borrowed("tools/call")))
        && let Ok(Envelope { jsonrpc, id }) = serde_json::from_slice(line)
        && let Ok(call) = serde_json::from_slice::<CallToolRequest>(line)
    {
        return Some(JsonRpcRequest {
            jsonrpc,
            id,
            request: ClientRequest::CallToolRequest(call),
        });
    }
    serde_json::from_slice(line).ok()
}

fn error(id: Value, code: i64, message: String) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

/// What to answer for a line that is not a message rmcp can take.
fn reject(line: &[u8], parse_error: &serde_json::Error) -> Value {
    match serde_json::from_slice::<Value>(line) {
        Err(e) => match lone_surrogate(line) {
            Some(half) => error(
                half.id,
                -32700,
                format!(
                    "Parse error: {} at column {} is half of a UTF-16 surrogate pair, with no other half; send the whole character, or both halves",
                    half.escape, half.column
                ),
            ),
            None => error(Value::Null, -32700, format!("Parse error: {e}")),
        },
        Ok(v) => {
            let id = v.get("id").cloned().unwrap_or(Value::Null);
            let why = if v.is_array() {
                "batches are not supported; send one message per line".to_owned()
            } else {
                parse_error.to_string()
            };
            error(id, -32600, format!("Invalid Request: {why}"))
        }
    }
}

/// A `\uXXXX` escape naming half of a UTF-16 surrogate pair whose other half
/// is not next to it, in a line that is JSON but for it.
#[derive(Debug)]
struct LoneSurrogate {
    /// The request's id, when the line has one that is not itself broken.
    id: Value,
    /// The first such escape, as it stands in the line.
    escape: String,
    /// Where it starts in the line: its byte, counted from 1.
    column: usize,
}

/// RFC 8259's grammar allows any `\uXXXX` in a string, but a string holds
/// characters, and half a surrogate pair is none: serde_json refuses the
/// line. A JavaScript client writes exactly that for a string cut inside an
/// emoji (`JSON.stringify` escapes the lone half), so the line is read again
/// with each such half as U+FFFD, only to find the request's id: its client
/// then gets an error for its request, rather than waiting for an answer
/// that a parse error with no id never gives it.
fn lone_surrogate(line: &[u8]) -> Option<LoneSurrogate> {
    let mut fixed = Vec::with_capacity(line.len());
    let mut first = None;
    let mut in_string = false;
    let mut i = 0;
    while let Some(&c) = line.get(i) {
        if !in_string || c != b'\\' {
            in_string ^= c == b'"';
            fixed.push(c);
            i += 1;
            continue;
        }
        let len = match escaped_char(line, i + 1) {
            Ok((_, len)) => 1 + len,
            Err(_)
                if line.get(i + 1) == Some(&b'u')
                    && matches!(hex4(line, i + 2), Ok(0xD800..=0xDFFF)) =>
            {
                first.get_or_insert(i);
                fixed.extend_from_slice(b"\\ufffd");
                i += 6;
                continue;
            }
            // Broken some other way: not the line this is for.
            Err(_) => return None,
        };
        fixed.extend_from_slice(&line[i..i + len]);
        i += len;
    }
    let at = first?;
    let message: Value = serde_json::from_slice(&fixed).ok()?;
    let id = match message.get("id") {
        Some(id @ Value::Number(_)) => id.clone(),
        Some(Value::String(id)) if !id.contains('\u{FFFD}') => Value::String(id.clone()),
        _ => Value::Null,
    };
    Some(LoneSurrogate {
        id,
        escape: String::from_utf8_lossy(&line[at..at + 6]).into_owned(),
        column: at + 1,
    })
}

impl<R> Transport<RoleServer> for LineTransport<R>
where
    R: AsyncRead + Unpin + Send + 'static,
{
    type Error = std::io::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let answers = match &item {
            JsonRpcMessage::Response(r) => Some(r.id.clone()),
            JsonRpcMessage::Error(e) => e.id.clone(),
            _ => None,
        };
        let frame = line(&item).map(|bytes| Frame { bytes, answers });
        let out = self.out.clone();
        async move {
            let frame = frame?;
            let out = out.ok_or_else(closed)?;
            out.send(frame).await.map_err(|_| closed())
        }
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleServer>> {
        loop {
            // Each await below is cancel-safe, and what it waits to deliver
            // stays in `self` until it is delivered.
            if self.reply.is_some() {
                let out = self.out.as_ref()?;
                let Ok(permit) = out.reserve().await else {
                    tracing::error!("{}", closed());
                    return None;
                };
                let bytes = self.reply.take().unwrap_or_default();
                permit.send(Frame {
                    bytes,
                    answers: None,
                });
            }
            if let Some(JsonRpcMessage::Request(request)) = &self.held {
                let id = request.id.clone();
                let Ok(slot) = self.flight.slots.acquire().await else {
                    return None;
                };
                slot.forget();
                self.flight.admit(id);
                return self.held.take();
            }
            let reply = match read_line(&mut self.reader, &mut self.partial).await {
                Err(e) => {
                    tracing::error!("reading stdin failed: {e}");
                    return None;
                }
                Ok(Line::Eof) => return None,
                Ok(Line::Oversized { prefix, len }) => {
                    tracing::warn!(bytes = len, "discarded an oversized message");
                    error(
                        id_in_prefix(&prefix),
                        -32600,
                        format!(
                            "Invalid Request: the message is {len} bytes; this server accepts at most {MAX_LINE} bytes per message"
                        ),
                    )
                }
                Ok(Line::Complete(line)) => {
                    if line.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    match parse(&line) {
                        Ok(message @ JsonRpcMessage::Request(_)) => {
                            self.held = Some(message);
                            continue;
                        }
                        Ok(message) => {
                            if let JsonRpcMessage::Notification(n) = &message
                                && let ClientNotification::CancelledNotification(c) =
                                    &n.notification
                                && let Some(id) = &c.params.request_id
                            {
                                // rmcp answers nothing for a cancelled request.
                                self.flight.finish(id);
                            }
                            return Some(message);
                        }
                        Err(e) => {
                            tracing::warn!("rejected a line that is not a JSON-RPC message: {e}");
                            reject(&line, &e)
                        }
                    }
                }
            };
            match line(&reply) {
                Ok(bytes) => self.reply = Some(bytes),
                Err(e) => {
                    tracing::error!("{e}");
                    return None;
                }
            }
        }
    }

    /// Stop accepting messages and wait until everything queued is written.
    async fn close(&mut self) -> Result<(), Self::Error> {
        self.out = None;
        if let Some(task) = self.writer.take() {
            task.await.map_err(std::io::Error::other)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn lines(input: &[u8]) -> Vec<Line> {
        let mut r = BufReader::with_capacity(64, input);
        let mut partial = Partial::default();
        let mut out = Vec::new();
        loop {
            let l = read_line(&mut r, &mut partial).await.unwrap();
            let eof = l == Line::Eof;
            out.push(l);
            if eof {
                return out;
            }
        }
    }

    #[tokio::test]
    async fn splits_lines_and_bounds_oversized_ones() {
        let mut input = b"{\"a\":1}\n".to_vec();
        input.extend(b"{\"jsonrpc\":\"2.0\",\"id\":42,\"params\":\"");
        input.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
        input.extend(b"\"}\nlast");
        let got = lines(&input).await;
        assert_eq!(got[0], Line::Complete(b"{\"a\":1}".to_vec()));
        let Line::Oversized { prefix, len } = &got[1] else {
            panic!("{:?}", got[1])
        };
        assert!(prefix.len() <= ID_PREFIX && *len > MAX_LINE);
        assert_eq!(id_in_prefix(prefix), json!(42));
        assert_eq!(got[2], Line::Complete(b"last".to_vec()));
        assert_eq!(got[3], Line::Eof);
    }

    #[test]
    fn finds_string_and_number_ids() {
        assert_eq!(
            id_in_prefix(br#"{"jsonrpc":"2.0","id":"abc","method""#),
            json!("abc")
        );
        assert_eq!(id_in_prefix(br#"{"id" : 7,"#), json!(7));
        assert_eq!(id_in_prefix(br#"{"method":"x""#), Value::Null);
    }

    #[test]
    fn reads_every_line_as_rmcp_reads_it() {
        let lines = [
            // Calls of the one-pass shape, and calls a member away from it.
            r#"{"jsonrpc":"2.0","id":31,"method":"tools/call","params":{"name":"x","arguments":null}}"#,
            r#"{"jsonrpc":"2.0","id":"s","method":"tools/call","params":{"name":"n\u0061me","arguments":{}}}"#,
            r#" { "jsonrpc" : "2.0" , "id" : 32 , "method" : "tools/call" , "params" : { "arguments" : { "a" : [ 1 , { } ] , "big" : 18446744073709551615 , "dup" : 1 , "dup" : 2 } , "name" : "x" } } "#,
            r#"{"jsonrpc":"2.0","id":33,"method":"tools/call","params":{"name":"x","extra":1}}"#,
            r#"{"jsonrpc":"2.0","id":34,"method":"tools/call","params":{"name":"x","name":"y"}}"#,
            r#"{"jsonrpc":"2.0","id":35,"method":"tools/call","params":{"name":"x","requestState":"s"}}"#,
            r#"{"jsonrpc":"2.0","id":36,"method":"tools/list","params":{"name":"x"}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"smartalex_list_contacts","arguments":{"per_page":25}}}"#,
            r#"{"jsonrpc":"2.0","id":"a-1","method":"tools/call","params":{"name":"x","arguments":{"n":1.5,"s":"\u00e9\"","l":[null,true]},"_meta":{"progressToken":7}}}"#,
            r#"{"params":{"name":"x"},"method":"tools/call","id":-3,"jsonrpc":"2.0"}"#,
            r#"{"jsonrpc":"2.0","id":2,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}"#,
            r#"{"jsonrpc":"2.0","id":3,"method":"tools/list","params":{"cursor":"abc"}}"#,
            r#"{"jsonrpc":"2.0","id":4,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":5,"method":"resources/read","params":{"uri":"smartalex://platform/status"}}"#,
            r#"{"jsonrpc":"2.0","id":6,"method":"prompts/get","params":{"name":"p","arguments":{"a":"b"}}}"#,
            r#"{"jsonrpc":"2.0","id":7,"method":"no/such/method","params":{}}"#,
            r#"{"jsonrpc":"2.0","id":21,"method":"tools\/call","extra":[1],"params":{"name":"x","arguments":{"big":18446744073709551615,"neg":-9223372036854775808,"e":1e300,"dup":1,"dup":2},"task":{"ttl":5},"_meta":{"progressToken":"t","k":{"x":1}}}}"#,
            r#"{"jsonrpc":"2.0","id":22,"method":"tools/call","params":{"name":5}}"#,
            r#"{"jsonrpc":"2.0","id":23,"method":"tools/call","params":{"name":"x","arguments":[1]}}"#,
            r#"{"jsonrpc":"2.0","id":24,"method":"tools/call"}"#,
            r#"{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"arguments":{}}}"#,
            r#"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"x"},"result":null}"#,
            r#"{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"x"},"error":{}}"#,
            r#"{"jsonrpc":"2.0","id":null,"method":"tools/call","params":{"name":"x"}}"#,
            r#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#,
            r#"{"jsonrpc":"1.0","id":11,"method":"ping"}"#,
            r#"{"id":12,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":13,"id":14,"method":"ping"}"#,
            r#"{"jsonrpc":"2.0","id":15,"method":"ping"} trailing"#,
            r#"{"jsonrpc":"2.0","id":16,"method":7}"#,
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}"#,
            r#"{"jsonrpc":"2.0","id":17,"result":{}}"#,
            r#"{"jsonrpc":"2.0","id":18,"error":{"code":-1,"message":"m"}}"#,
            r#"[{"jsonrpc":"2.0","id":19,"method":"ping"}]"#,
            r#""just a string""#,
            r#"{"jsonrpc":"2.0","id":20,"method":"ping""#,
        ];
        // The first three take the one pass; the next four are a member
        // away from its shape.
        for (n, line) in lines[..7].iter().enumerate() {
            assert_eq!(plain_call(line.as_bytes()).is_some(), n < 3, "{line}");
        }
        // The first 21 read as requests both ways (an unknown method, calls
        // without a name or with one of the wrong type too), and are read
        // the short way.
        for (n, line) in lines.iter().enumerate() {
            assert_eq!(as_request(line.as_bytes()).is_some(), n < 21, "{line}");
            let ours = parse(line.as_bytes());
            let rmcp = serde_json::from_slice::<RxJsonRpcMessage<RoleServer>>(line.as_bytes());
            match (ours, rmcp) {
                // rmcp's results have no `PartialEq`; their `Debug` shows
                // every field, extensions included.
                (Ok(a), Ok(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}"), "{line}"),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{line}"),
                (a, b) => panic!("{line}: ours {a:?}, rmcp's {b:?}"),
            }
        }
    }

    #[test]
    fn rejects_with_the_right_code() {
        let e = serde_json::from_str::<Value>("{").unwrap_err();
        assert_eq!(reject(b"not json", &e)["error"]["code"], -32700);
        let r = reject(br#"{"jsonrpc":"2.0","id":9}"#, &e);
        assert_eq!(
            (r["error"]["code"].clone(), r["id"].clone()),
            (json!(-32600), json!(9))
        );
        assert!(
            reject(b"[1]", &e)["error"]["message"]
                .as_str()
                .unwrap()
                .contains("batches")
        );
    }

    #[test]
    fn half_a_surrogate_pair_is_refused_with_the_requests_id() {
        let e = serde_json::from_str::<Value>("{").unwrap_err();
        for (args, escape) in [
            (r#"{"id":"\ud800"}"#, r"\ud800"),
            (r#"{"id":"ab\uDBFFcd"}"#, r"\uDBFF"),
            (r#"{"id":"\udc00\ud83d\ude00"}"#, r"\udc00"),
            (r#"{"id":"\ud83d\ude00 \ud83d"}"#, r"\ud83d"),
            (r#"{"id":"\ud83d\u0041"}"#, r"\ud83d"),
            (r#"{"id":"\\\ud83d"}"#, r"\ud83d"),
        ] {
            let line = format!(
                r#"{{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{{"name":"smartalex_get_contact","arguments":{args}}}}}"#
            );
            assert!(serde_json::from_str::<Value>(&line).is_err(), "{line}");
            let r = reject(line.as_bytes(), &e);
            assert_eq!(
                (r["id"].clone(), r["error"]["code"].clone()),
                (json!(5), json!(-32700)),
                "{line}: {r}"
            );
            let column = line.rfind(escape).unwrap() + 1;
            assert_eq!(
                r["error"]["message"],
                format!(
                    "Parse error: {escape} at column {column} is half of a UTF-16 surrogate pair, with no other half; send the whole character, or both halves"
                ),
                "{line}"
            );
        }
        // An escaped backslash before `u` is no escape, and a whole pair is a
        // character: in a line broken otherwise, neither is half of anything.
        for line in [r#"{"id":7,"x":"\\ud800"#, r#"{"id":7,"x":"\ud83d\ude00"#] {
            let r = reject(line.as_bytes(), &e);
            assert_eq!(r["id"], Value::Null, "{line}: {r}");
            let message = r["error"]["message"].as_str().unwrap();
            assert!(!message.contains("surrogate"), "{r}");
        }
        // An id that is itself broken is not echoed, mended or not.
        for (line, id) in [
            (
                r#"{"jsonrpc":"2.0","id":"a\ud800","method":"ping"}"#,
                Value::Null,
            ),
            (
                r#"{"jsonrpc":"2.0","id":"r-\ud800","method":"x","params":{"s":"\ud800"}}"#,
                Value::Null,
            ),
            (
                r#"{"jsonrpc":"2.0","id":"r-1","method":"x","params":{"s":"\ud800"}}"#,
                json!("r-1"),
            ),
        ] {
            let r = reject(line.as_bytes(), &e);
            assert_eq!(
                (&r["id"], &r["error"]["code"]),
                (&id, &json!(-32700)),
                "{r}"
            );
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_pipe_is_widened_to_hold_an_answer_once() {
        let (read, write) = rustix::pipe::pipe().unwrap();
        assert!(rustix::pipe::fcntl_getpipe_size(&write).unwrap() < PIPE_BYTES);
        assert_eq!(widen(&write), Some(PIPE_BYTES));
        // Both ends are the one pipe.
        assert_eq!(rustix::pipe::fcntl_getpipe_size(&read).unwrap(), PIPE_BYTES);
        // Already wide enough: left as it is.
        assert_eq!(widen(&write), Some(PIPE_BYTES));
        // Not a pipe: nothing to widen.
        let file = tempfile::tempfile().unwrap();
        assert_eq!(widen(&file), None);
    }
}
