//! toro's Lock example: shut a server down gracefully, finishing the request in progress.
//!
//! ```text
//! cargo run --example graceful_shutdown
//! cargo run --example graceful_shutdown --features tokio   # or smol, async-std
//! ```
//!
//! A small HTTP server on 127.0.0.1 (an ephemeral port) hands each request to an async
//! handler through a toro [`Queue`]. The handler holds a toro [`Lock`] for as long as it
//! works on a request: the lock is taken exactly while a request is in progress. Six
//! clients call it, a few milliseconds apart; while the third request is being handled,
//! the server shuts down gracefully:
//!
//! 1. `shutdown_immediate()` on the request queue: no request is accepted from now on (the
//!    server answers `503` at once), and the requests that were waiting, not yet started,
//!    come back to the caller, which answers each one `503` too: none is left hanging;
//! 2. `lock.acquire().deadline(d)`: wait, with a deadline, until the request in progress
//!    is finished (the handler releases the lock when its answer is sent);
//! 3. the handler's `recv()` has ended with the shutdown, so it leaves; the server stops.
//!
//! Every client gets an answer: `200` for the requests handled before and during the
//! shutdown, `503` for the rest. The run takes well under a second.

use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use toro::{AsyncResult, Lock, LoopHandle, Queue};

/// How long the handler works on one request.
const WORK: Duration = Duration::from_millis(120);
/// Clients, and the gap between their requests.
const CLIENTS: usize = 6;
const CLIENT_GAP: Duration = Duration::from_millis(15);
/// When the shutdown starts: while the third request is in progress.
const SHUTDOWN_AT: Duration = Duration::from_millis(300);

/// A request handed from the server thread to the async handler.
struct Job {
    path: String,
    /// The answer: a status and a body.
    reply: Arc<AsyncResult<(u16, String)>>,
}

#[toro::main]
async fn main() {
    let jobs: Arc<Queue<Job>> = Arc::new(Queue::new(0));
    let server = Server::start(Arc::clone(&jobs), CLIENTS + 2);
    let base = format!("http://{}", server.addr);
    println!("serving on {base}; {CLIENTS} clients, one request each");
    let in_progress = Lock::new();
    let started = Instant::now();
    let clients = start_clients(&base, started);

    let handler = async {
        let mut handled = 0;
        // Ends when the queue is shut down.
        while let Ok(job) = jobs.recv().await {
            let _busy = in_progress.acquire().await; // held while the request is in progress
            println!("{:>5.0?}  handling {}", started.elapsed(), job.path);
            sleep(WORK).await;
            let _ = job.reply.set((200, format!("done: {}\n", job.path)));
            handled += 1;
            println!("{:>5.0?}  finished {}", started.elapsed(), job.path);
        }
        println!(
            "{:>5.0?}  handler: the queue is shut down, leaving",
            started.elapsed()
        );
        handled
    };

    let shutdown = async {
        sleep(SHUTDOWN_AT).await;
        println!(
            "{:>5.0?}  shutdown: refusing new requests",
            started.elapsed()
        );
        // 1. Refuse new requests; answer those still waiting, not yet started.
        for job in jobs.shutdown_immediate() {
            println!(
                "{:>5.0?}  shutdown: {} was waiting: 503",
                started.elapsed(),
                job.path
            );
            let _ = job.reply.set((503, "shutting down\n".to_owned()));
        }
        // 2. Wait for the request in progress: it holds the lock until it is answered.
        println!(
            "{:>5.0?}  shutdown: waiting for the request in progress",
            started.elapsed()
        );
        let idle = in_progress.acquire().deadline(Duration::from_secs(5)).await;
        let _idle = idle.expect("the request in progress finishes within 5 s");
        println!(
            "{:>5.0?}  shutdown: nothing in progress; stopping",
            started.elapsed()
        );
    };

    let (handled, ()) = futures::join!(handler, shutdown);
    let statuses: Vec<u16> = clients
        .into_iter()
        .map(|client| client.join().expect("a client thread panicked"))
        .collect();
    server.stop();

    println!("\nhandled {handled} requests; the clients got {statuses:?}");
    assert!(
        handled >= 1,
        "a request was in progress at the shutdown and was finished"
    );
    assert_eq!(statuses.iter().filter(|&&s| s == 200).count(), handled);
    assert!(
        statuses.iter().all(|&s| s == 200 || s == 503),
        "every client got an answer"
    );
    assert_eq!(statuses.len(), CLIENTS);
    println!("ok: the request in progress was finished, every other one was told 503");
}

/// Starts the clients on OS threads (a blocking HTTP client), `CLIENT_GAP` apart; each
/// returns the status it got.
fn start_clients(base: &str, started: Instant) -> Vec<JoinHandle<u16>> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false) // a 503 is an answer
        .proxy(None) // 127.0.0.1, whatever HTTP_PROXY says
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    (0..CLIENTS)
        .map(|i| {
            let (agent, url) = (agent.clone(), format!("{base}/job/{i}"));
            thread::spawn(move || {
                thread::sleep(CLIENT_GAP * i as u32 + Duration::from_millis(10));
                let status = match agent.get(&url).call() {
                    Ok(response) => response.status().as_u16(),
                    Err(error) => panic!("{url}: {error}"),
                };
                println!("{:>5.0?}  client {i}: {status}", started.elapsed());
                status
            })
        })
        .collect()
}

/// The HTTP side: tiny_http threads that pass each request to the handler's queue and
/// answer with what the handler (or the shutdown) replies.
struct Server {
    addr: std::net::SocketAddr,
    server: Arc<tiny_http::Server>,
    threads: Vec<JoinHandle<()>>,
}

impl Server {
    fn start(jobs: Arc<Queue<Job>>, threads: usize) -> Self {
        let server =
            Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1, any port"));
        let addr = server.server_addr().to_ip().expect("an IP address");
        let threads = (0..threads)
            .map(|_| {
                let (server, jobs) = (Arc::clone(&server), Arc::clone(&jobs));
                thread::spawn(move || {
                    for request in server.incoming_requests() {
                        let reply = Arc::new(AsyncResult::new());
                        let job = Job {
                            path: request.url().to_owned(),
                            reply: Arc::clone(&reply),
                        };
                        let (status, body) = match jobs.try_send(job) {
                            // A plain thread waits on toro with toro's built-in loop.
                            Ok(()) => {
                                match toro::block_on(reply.get().deadline(Duration::from_secs(5))) {
                                    Ok(answer) => answer.clone(),
                                    Err(_timeout) => (504, "no answer\n".to_owned()),
                                }
                            }
                            // Shut down: refused at once, the job (and its reply) handed back.
                            Err(_shut_down) => (503, "shutting down\n".to_owned()),
                        };
                        let response =
                            tiny_http::Response::from_string(body).with_status_code(status);
                        let _ = request.respond(response);
                    }
                })
            })
            .collect();
        Server {
            addr,
            server,
            threads,
        }
    }

    fn stop(self) {
        for _ in &self.threads {
            self.server.unblock(); // releases one thread from `incoming_requests`
        }
        for thread in self.threads {
            thread.join().expect("a server thread panicked");
        }
    }
}

/// Sleeps on the current loop's clock: works on every runtime and on toro's own loop.
async fn sleep(duration: Duration) {
    let handle = LoopHandle::current();
    let until: Instant = handle.now() + duration;
    handle.sleep_until(until).await;
}
