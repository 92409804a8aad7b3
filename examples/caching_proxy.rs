//! toro's Event example: a caching proxy. The first request for a URL fetches it; the
//! requests for the same URL that come while it is being fetched wait on an [`Event`]
//! instead of fetching it again.
//!
//! ```text
//! cargo run --example caching_proxy
//! cargo run --example caching_proxy --features tokio   # or smol, async-std
//! ```
//!
//! An origin server runs on 127.0.0.1 (an ephemeral port) and answers slowly, counting how
//! often each path is asked for. The proxy keeps one cache entry per URL: an [`Event`] and
//! the page. A request for a URL that is not cached creates its entry and fetches the page
//! (over real HTTP, on an OS thread: a blocking client), stores it and `set()`s the Event;
//! a request that finds the entry waits on the Event (with a deadline) and reads the page.
//!
//! Twelve requests for three URLs arrive at once, then three more after the pages are
//! cached: the origin is asked exactly once per URL, and the requests that waited finish
//! right after the fetch they waited for. The run takes well under a second.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use toro::{AsyncResult, Event};

/// How long the origin takes to answer.
const ORIGIN_DELAY: Duration = Duration::from_millis(150);
const PATHS: [&str; 3] = ["/a", "/b", "/c"];

/// One cached URL: the page, once fetched, and the Event that says it is there.
struct Entry {
    ready: Event,
    page: Mutex<Option<Result<String, String>>>,
}

struct Proxy {
    origin: String,
    agent: ureq::Agent,
    cache: Mutex<HashMap<String, Arc<Entry>>>,
}

impl Proxy {
    /// The page at `path`: fetched by the first request for it, waited for by the rest.
    async fn get(&self, path: &str) -> Result<String, String> {
        let (entry, first) = {
            let mut cache = lock(&self.cache);
            match cache.get(path) {
                Some(entry) => (Arc::clone(entry), false),
                None => {
                    let entry = Arc::new(Entry {
                        ready: Event::new(),
                        page: Mutex::new(None),
                    });
                    cache.insert(path.to_owned(), Arc::clone(&entry));
                    (entry, true)
                }
            }
        };
        if first {
            let page = self.fetch(path).await;
            *lock(&entry.page) = Some(page.clone());
            entry.ready.set(); // every request waiting for this URL goes on
            page
        } else {
            // Ready at once if the page is cached; otherwise wait for the first request.
            entry
                .ready
                .wait()
                .deadline(Duration::from_secs(5))
                .await
                .map_err(|_| format!("{path}: no page within 5 s"))?;
            lock(&entry.page)
                .clone()
                .expect("the page is set before the Event")
        }
    }

    /// Fetches `path` from the origin on an OS thread; the answer comes back through a
    /// toro [`AsyncResult`], so any runtime (or none) can wait for it.
    async fn fetch(&self, path: &str) -> Result<String, String> {
        let reply = Arc::new(AsyncResult::new());
        let (agent, url, to) = (
            self.agent.clone(),
            format!("{}{path}", self.origin),
            Arc::clone(&reply),
        );
        thread::spawn(move || {
            let page = agent
                .get(&url)
                .call()
                .and_then(|mut response| response.body_mut().read_to_string())
                .map_err(|e| format!("{url}: {e}"));
            let _ = to.set(page);
        });
        match reply.get().deadline(Duration::from_secs(5)).await {
            Ok(page) => page.clone(),
            Err(_timeout) => Err(format!("{path}: the origin did not answer within 5 s")),
        }
    }
}

#[toro::main]
async fn main() {
    let origin = Origin::start(4);
    let proxy = Proxy {
        origin: format!("http://{}", origin.addr),
        agent: ureq::Agent::config_builder()
            .proxy(None) // 127.0.0.1, whatever HTTP_PROXY says
            .timeout_global(Some(Duration::from_secs(5)))
            .build()
            .into(),
        cache: Mutex::default(),
    };
    println!(
        "origin on {}; the proxy caches what it fetches",
        proxy.origin
    );
    let started = Instant::now();

    let request = |n: usize, path: &'static str| {
        let proxy = &proxy;
        async move {
            let page = proxy.get(path).await.expect("the origin answers");
            let took = started.elapsed();
            println!("{took:>6.0?}  request {n:>2} for {path}: {}", page.trim());
            (path, took)
        }
    };
    // Twelve requests for three URLs, all at once: one fetch per URL.
    let burst = futures::future::join_all((0..12).map(|n| request(n, PATHS[n % 3]))).await;
    // Three more, now that every page is cached: no fetch at all.
    let after = started.elapsed();
    let cached = futures::future::join_all((12..15).map(|n| request(n, PATHS[n % 3]))).await;

    let hits = origin.stop();
    println!("\nthe origin was asked {hits:?} (per path)");
    for path in PATHS {
        assert_eq!(hits.get(path), Some(&1), "{path} was fetched once");
    }
    let slowest = burst
        .iter()
        .map(|&(_, took)| took)
        .max()
        .unwrap_or_default();
    let cached_slowest = cached
        .iter()
        .map(|&(_, took)| took - after)
        .max()
        .unwrap_or_default();
    println!(
        "the burst took {slowest:.0?} (one origin answer takes {ORIGIN_DELAY:?}); \
         the cached requests {cached_slowest:.0?}"
    );
    println!(
        "ok: {} requests, {} fetches",
        burst.len() + cached.len(),
        PATHS.len()
    );
}

/// The origin: tiny_http threads answering every path slowly, counting the requests.
struct Origin {
    addr: std::net::SocketAddr,
    server: Arc<tiny_http::Server>,
    threads: Vec<JoinHandle<()>>,
    hits: Arc<Mutex<HashMap<String, usize>>>,
    total: Arc<AtomicUsize>,
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
            total,
        }
    }

    /// Stops the origin; returns how often each path was asked for.
    fn stop(self) -> HashMap<String, usize> {
        for _ in &self.threads {
            self.server.unblock();
        }
        for thread in self.threads {
            thread.join().expect("an origin thread panicked");
        }
        assert_eq!(
            self.total.load(Ordering::SeqCst),
            lock(&self.hits).values().sum::<usize>()
        );
        Arc::try_unwrap(self.hits)
            .map(|hits| hits.into_inner().unwrap_or_else(PoisonError::into_inner))
            .unwrap_or_else(|hits| lock(&hits).clone())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
