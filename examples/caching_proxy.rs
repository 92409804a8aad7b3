//! toro's Event example: a caching proxy. The first request for a URL fetches it; the
//! requests for the same URL that come while it is being fetched wait on an [`Event`]
//! instead of fetching it again.
//!
//! ```text
//! cargo run --example caching_proxy
//! cargo run --example caching_proxy --features tokio   # or smol, async-std
//! ```
//!
//! Two HTTP servers run on 127.0.0.1 (ephemeral ports):
//!
//! - the origin, which answers slowly and counts how often each path is asked for;
//! - the proxy. Its server threads hand each request to the async side through a toro
//!   [`Queue`] and answer with what comes back in the request's [`AsyncResult`]. The async
//!   side serves the requests concurrently, like a Tornado server: its cache is a toro
//!   [`Lock`] over a `HashMap` from path to entry. The first request for a path puts in an
//!   entry holding a new [`Event`], fetches the page from the origin (with the cache
//!   unlocked), stores the page in the entry and `set()`s the Event; a request that finds
//!   the entry still being fetched waits on its Event (with a deadline), then reads the
//!   page from the cache.
//!
//! Twelve clients (OS threads with a blocking HTTP client) ask the proxy for three URLs
//! while the first requests are being fetched, then three more once the pages are cached:
//! the origin is asked exactly once per URL, which the program checks before it exits.
//! Each client prints how the proxy got its page (`fetched`, `waited` or `cached`). The
//! run takes well under a second.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use futures::StreamExt;
use toro::{AsyncResult, Event, Lock, Queue};

/// How long the origin takes to answer.
const ORIGIN_DELAY: Duration = Duration::from_millis(150);
const PATHS: [&str; 3] = ["/a", "/b", "/c"];
/// Between the requests of the burst.
const CLIENT_GAP: Duration = Duration::from_millis(4);
/// How long anyone waits for an answer before giving up.
const PATIENCE: Duration = Duration::from_secs(5);

/// A path in the proxy's cache.
enum Entry {
    /// Being fetched; the requests for it wait on the Event.
    Fetching(Arc<Event>),
    Cached(String),
}

struct Proxy {
    origin: String,
    agent: ureq::Agent,
    cache: Lock<HashMap<String, Entry>>,
}

impl Proxy {
    /// The page at `path` and how the proxy got it: fetched by the first request for it,
    /// waited for by those that come during the fetch, cached for the later ones.
    async fn get(&self, path: &str) -> Result<(String, &'static str), String> {
        let (ready, first) = {
            let mut cache = self.cache.acquire().await;
            match cache.get(path) {
                Some(Entry::Cached(page)) => return Ok((page.clone(), "cached")),
                Some(Entry::Fetching(ready)) => (Arc::clone(ready), false),
                None => {
                    let ready = Arc::new(Event::new());
                    cache.insert(path.to_owned(), Entry::Fetching(Arc::clone(&ready)));
                    (ready, true)
                }
            }
        }; // unlocked while the page is fetched or waited for
        if first {
            let page = fetch(&self.agent, format!("{}{path}", self.origin)).await;
            let mut cache = self.cache.acquire().await;
            match &page {
                Ok(page) => cache.insert(path.to_owned(), Entry::Cached(page.clone())),
                Err(_) => cache.remove(path), // the next request tries again
            };
            drop(cache);
            ready.set(); // every request waiting for this path goes on
            page.map(|page| (page, "fetched"))
        } else {
            let fetched = ready.wait().deadline(PATIENCE).await;
            fetched.map_err(|_| format!("{path}: no page within {PATIENCE:?}"))?;
            match self.cache.acquire().await.get(path) {
                Some(Entry::Cached(page)) => Ok((page.clone(), "waited")),
                _ => Err(format!("{path}: the fetch it waited for failed")),
            }
        }
    }
}

/// A request, handed from a proxy server thread to the async side.
struct Job {
    path: String,
    reply: Arc<AsyncResult<Result<(String, &'static str), String>>>,
}

#[toro::main]
async fn main() {
    let origin = Origin::start(4);
    let requests = Arc::new(Queue::new(0));
    let server = ProxyServer::start(Arc::clone(&requests), 16);
    let proxy = Proxy {
        origin: format!("http://{}", origin.addr),
        agent: agent(),
        cache: Lock::with_value(HashMap::new()),
    };
    let proxy_url = format!("http://{}", server.addr);
    println!("origin on {}, proxy on {proxy_url}", proxy.origin);
    let started = Instant::now();

    // The proxy's async side: every request served concurrently, until the shutdown.
    let serve = requests.stream().for_each_concurrent(None, |job: Job| {
        let proxy = &proxy;
        async move {
            let _ = job.reply.set(proxy.get(&job.path).await);
        }
    });

    // A client on an OS thread: after `delay`, one GET through the proxy.
    let client = |n: usize, path: &'static str, delay: Duration| {
        let (agent, url) = (agent(), format!("{proxy_url}{path}"));
        async move {
            let (page, how) = on_thread(move || {
                thread::sleep(delay);
                http_get(&agent, &url)
            })
            .await
            .and_then(|answer| answer)
            .expect("the proxy answers");
            let took = started.elapsed();
            println!(
                "{took:>6.0?}  client {n:>2}, {path}, {how:>7}: {}",
                page.trim()
            );
            how
        }
    };
    let clients = async {
        // Twelve requests for three URLs, while the first ones are fetched: one fetch per
        // URL. (A few milliseconds apart: tiny_http's pool of connection threads grows one
        // thread per connection that finds no idle one, and a burst that comes faster than
        // its idle threads wake up would queue behind the first requests.)
        let burst = (0..12).map(|n| client(n, PATHS[n % 3], CLIENT_GAP * n as u32));
        let burst = futures::future::join_all(burst).await;
        // Three more, now that every page is cached: no fetch at all.
        let later = (12..15).map(|n| client(n, PATHS[n % 3], Duration::ZERO));
        let later = futures::future::join_all(later).await;
        requests.shutdown(); // the proxy takes no more requests, and `serve` ends
        (burst, later)
    };
    let ((), (burst, later)) = futures::join!(serve, clients);
    server.stop();
    let hits = origin.stop();

    println!("\nthe origin was asked {hits:?} (per path)");
    for path in PATHS {
        assert_eq!(hits.get(path), Some(&1), "{path} was fetched once");
    }
    assert_eq!(burst.iter().filter(|&&how| how == "fetched").count(), 3);
    assert!(later.iter().all(|&how| how == "cached"));
    println!(
        "ok: {} requests through the proxy, {} origin fetches, in {:.0?}",
        burst.len() + later.len(),
        PATHS.len(),
        started.elapsed()
    );
}

/// An HTTP client for 127.0.0.1, whatever `HTTP_PROXY` says.
fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .proxy(None)
        .timeout_global(Some(PATIENCE))
        .build()
        .into()
}

/// Fetches `url` with the blocking client on an OS thread.
async fn fetch(agent: &ureq::Agent, url: String) -> Result<String, String> {
    let agent = agent.clone();
    on_thread(move || http_get(&agent, &url).map(|(page, _)| page)).await?
}

/// A blocking GET: the body, and the `X-Cache` header by which the proxy says how it got
/// the page (`-` from the origin, which sends none).
fn http_get(agent: &ureq::Agent, url: &str) -> Result<(String, &'static str), String> {
    let mut response = agent.get(url).call().map_err(|e| format!("{url}: {e}"))?;
    let how = match response.headers().get("x-cache").map(|h| h.to_str()) {
        Some(Ok("fetched")) => "fetched",
        Some(Ok("waited")) => "waited",
        Some(Ok("cached")) => "cached",
        _ => "-",
    };
    let page = response.body_mut().read_to_string();
    page.map(|page| (page, how))
        .map_err(|e| format!("{url}: {e}"))
}

/// Runs blocking `work` on an OS thread; the answer comes back through a toro
/// [`AsyncResult`], so any runtime (or none) can wait for it.
async fn on_thread<T>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, String>
where
    T: Clone + Send + Sync + 'static,
{
    let reply = Arc::new(AsyncResult::new());
    let to = Arc::clone(&reply);
    thread::spawn(move || {
        let _ = to.set(work());
    });
    match reply.get().deadline(PATIENCE).await {
        Ok(answer) => Ok(answer.clone()),
        Err(_timeout) => Err(format!("no answer within {PATIENCE:?}")),
    }
}

/// The proxy's HTTP side: tiny_http threads that pass each request to the async side and
/// answer with its reply (`X-Cache` says how the proxy got the page).
struct ProxyServer {
    addr: std::net::SocketAddr,
    server: Arc<tiny_http::Server>,
    threads: Vec<JoinHandle<()>>,
}

impl ProxyServer {
    fn start(requests: Arc<Queue<Job>>, threads: usize) -> Self {
        let server =
            Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1, any port"));
        let addr = server.server_addr().to_ip().expect("an IP address");
        let threads = (0..threads)
            .map(|_| {
                let (server, requests) = (Arc::clone(&server), Arc::clone(&requests));
                thread::spawn(move || {
                    for request in server.incoming_requests() {
                        let reply = Arc::new(AsyncResult::new());
                        let job = Job {
                            path: request.url().to_owned(),
                            reply: Arc::clone(&reply),
                        };
                        let answer = match requests.try_send(job) {
                            // A plain thread waits on toro with toro's built-in loop.
                            Ok(()) => match toro::block_on(reply.get().deadline(PATIENCE)) {
                                Ok(answer) => answer.clone().map_err(|why| (502, why)),
                                Err(_timeout) => Err((504, "no answer".to_owned())),
                            },
                            Err(_shut_down) => Err((503, "shutting down".to_owned())),
                        };
                        let response = match answer {
                            Ok((page, how)) => tiny_http::Response::from_string(page)
                                .with_header(header("X-Cache", how)),
                            Err((status, why)) => {
                                tiny_http::Response::from_string(why).with_status_code(status)
                            }
                        };
                        let _ = request.respond(response);
                    }
                })
            })
            .collect();
        ProxyServer {
            addr,
            server,
            threads,
        }
    }

    fn stop(self) {
        stop(&self.server, self.threads);
    }
}

/// The origin: tiny_http threads answering every path slowly, counting the requests.
struct Origin {
    addr: std::net::SocketAddr,
    server: Arc<tiny_http::Server>,
    threads: Vec<JoinHandle<()>>,
    hits: Arc<Mutex<HashMap<String, usize>>>,
}

impl Origin {
    fn start(threads: usize) -> Self {
        let server =
            Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1, any port"));
        let addr = server.server_addr().to_ip().expect("an IP address");
        let hits = Arc::new(Mutex::new(HashMap::new()));
        let total = Arc::new(AtomicUsize::new(0));
        let threads = (0..threads)
            .map(|_| {
                let (server, hits, total) =
                    (Arc::clone(&server), Arc::clone(&hits), Arc::clone(&total));
                thread::spawn(move || {
                    for request in server.incoming_requests() {
                        let path = request.url().to_owned();
                        *lock(&hits).entry(path.clone()).or_insert(0) += 1;
                        let n = total.fetch_add(1, Ordering::SeqCst) + 1;
                        thread::sleep(ORIGIN_DELAY);
                        let body = format!("page {path} (origin request #{n})\n");
                        let _ = request.respond(tiny_http::Response::from_string(body));
                    }
                })
            })
            .collect();
        Origin {
            addr,
            server,
            threads,
            hits,
        }
    }

    /// Stops the origin; returns how often each path was asked for.
    fn stop(self) -> HashMap<String, usize> {
        stop(&self.server, self.threads);
        lock(&self.hits).clone()
    }
}

/// Stops a tiny_http server: releases each thread from `incoming_requests`, then joins it.
fn stop(server: &tiny_http::Server, threads: Vec<JoinHandle<()>>) {
    for _ in &threads {
        server.unblock();
    }
    for thread in threads {
        thread.join().expect("a server thread panicked");
    }
}

fn header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name, value).expect("a valid header")
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
