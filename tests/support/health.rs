//! `HealthServer`: a minimal HTTP/1.1 server on 127.0.0.1 that serves as the
//! health check endpoint a rollout is verified against. Tests choose its
//! status and body, change them while it runs, count the requests it received,
//! or make it hang to exercise a client's timeout.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// How long the server waits for a request head. Requests are served one at
/// a time, so a client that connects and sends nothing stalls the others this long.
const READ_TIMEOUT: Duration = Duration::from_secs(2);
/// Upper bound on the request head and body; a health check sends far less.
const MAX_REQUEST_BYTES: usize = 64 * 1024;
/// Path in [`HealthServer::url`]. The server responds to every path the same way.
const HEALTH_PATH: &str = "/health";

/// What the server does with each request.
#[derive(Clone)]
enum Behaviour {
    Respond {
        status: u16,
        body: String,
    },
    /// Reads the request and keeps the connection open without responding.
    Hang,
}

/// State the test thread and the server thread both use.
struct Shared {
    behaviour: Mutex<Behaviour>,
    requests: AtomicUsize,
    stopping: AtomicBool,
}

/// An HTTP server on a free port of 127.0.0.1, serving from a background
/// thread. Dropping it stops the thread, closes the listening socket and any
/// connections a hanging server kept open.
pub struct HealthServer {
    address: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl HealthServer {
    /// Starts a server that responds to every request with `status` and `body`
    /// as `text/plain`. Panics when `status` is not a three-digit code.
    pub fn start(status: u16, body: &str) -> HealthServer {
        HealthServer::start_with(response(status, body))
    }

    /// Starts a server that accepts connections and reads each request but
    /// never responds, so a client waits until its own timeout.
    pub fn hanging() -> HealthServer {
        HealthServer::start_with(Behaviour::Hang)
    }

    fn start_with(behaviour: Behaviour) -> HealthServer {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
        let address = listener.local_addr().expect("read the bound address");
        let shared = Arc::new(Shared {
            behaviour: Mutex::new(behaviour),
            requests: AtomicUsize::new(0),
            stopping: AtomicBool::new(false),
        });
        let thread_shared = Arc::clone(&shared);
        let thread = thread::Builder::new()
            .name(format!("health-server-{}", address.port()))
            .spawn(move || serve(listener, &thread_shared))
            .expect("spawn the health server thread");
        HealthServer {
            address,
            shared,
            thread: Some(thread),
        }
    }

    /// Returns `http://127.0.0.1:PORT/health`.
    pub fn url(&self) -> String {
        format!("http://{}{HEALTH_PATH}", self.address)
    }

    /// Responds to later requests with `status` and `body`, also after `hanging`.
    pub fn set_response(&self, status: u16, body: &str) {
        *self.behaviour() = response(status, body);
    }

    /// Stops responding to later requests, as [`HealthServer::hanging`] does.
    pub fn set_hanging(&self) {
        *self.behaviour() = Behaviour::Hang;
    }

    /// Counts the requests whose head arrived complete, with a response or not.
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }

    fn behaviour(&self) -> std::sync::MutexGuard<'_, Behaviour> {
        // A panic elsewhere cannot leave a Behaviour half-written.
        self.shared
            .behaviour
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for HealthServer {
    fn drop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // The server thread blocks in accept; a connection wakes it so it
        // can see the flag. It fails only when the thread has already ended.
        let _ = TcpStream::connect_timeout(&self.address, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Returns an `http://127.0.0.1:PORT/health` URL whose port had no listener
/// a moment ago, so connecting to it is refused. Another process could bind
/// the port in between, which is unlikely within a test.
pub fn refused_url() -> String {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    let address = listener.local_addr().expect("read the bound address");
    drop(listener);
    format!("http://{address}{HEALTH_PATH}")
}

#[track_caller]
fn response(status: u16, body: &str) -> Behaviour {
    assert!(
        (100..=999).contains(&status),
        "HTTP status {status} is not a three-digit code"
    );
    Behaviour::Respond {
        status,
        body: body.to_string(),
    }
}

/// Accepts and serves connections one at a time until `stopping` is set.
fn serve(listener: TcpListener, shared: &Shared) {
    // Connections of requests left unanswered, open until the thread ends.
    let mut unanswered = Vec::new();
    for stream in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            break;
        }
        let Ok(mut stream) = stream else {
            continue;
        };
        // A client that closed or sent no complete request gets no response.
        if read_request(&mut stream).is_err() {
            continue;
        }
        shared.requests.fetch_add(1, Ordering::SeqCst);

        let behaviour = shared
            .behaviour
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        match behaviour {
            Behaviour::Respond { status, body } => {
                // The client may have given up already; that is its business.
                let _ = write_response(&mut stream, status, &body);
            }
            Behaviour::Hang => unanswered.push(stream),
        }
    }
}

/// Reads one request head and the body its Content-Length announces. Reading
/// the body matters: closing a socket with unread input sends a reset, which
/// can reach the client before the response does.
fn read_request(stream: &mut TcpStream) -> io::Result<()> {
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(position) = find(&received, b"\r\n\r\n") {
            break position + 4;
        }
        if received.len() > MAX_REQUEST_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "request head too large",
            ));
        }
        let count = stream.read(&mut chunk)?;
        if count == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        received.extend_from_slice(&chunk[..count]);
    };

    let head = String::from_utf8_lossy(&received[..head_end]);
    let body_length = content_length(&head).min(MAX_REQUEST_BYTES);
    let mut remaining = body_length.saturating_sub(received.len() - head_end);
    while remaining > 0 {
        let count = stream.read(&mut chunk[..remaining.min(4096)])?;
        if count == 0 {
            break;
        }
        remaining -= count;
    }
    Ok(())
}

fn content_length(head: &str) -> usize {
    head.lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn write_response(stream: &mut TcpStream, status: u16, body: &str) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        reason_phrase(status),
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    stream.flush()
}

/// Returns the usual reason phrase, or an empty one, which HTTP/1.1 allows.
fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        400 => "Bad Request",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}
