//! toro's "parallel web spider", in Rust: crawl a site with a bounded number of
//! concurrent requests, and know when it is done.
//!
//! ```text
//! cargo run --example web_spider                      # toro's built-in loop, no runtime
//! cargo run --example web_spider --features tokio     # the same crawl on tokio
//! cargo run --example web_spider --features smol      # ... on smol
//! cargo run --example web_spider --features async-std # ... on async-std
//! cargo run --example web_spider -- --pages 1000 --concurrency 32
//! cargo run --example web_spider -- --deadline-ms 100 # watch the deadline fire
//! ```
//!
//! What it shows:
//! - A [`JoinableQueue`] of URLs and `q.join().deadline(d)`: the crawl is finished when
//!   every URL put in the queue has been marked `task_done()`, and a deadline bounds the
//!   whole crawl.
//! - N worker tasks bound the concurrency; a set of seen URLs keeps each page to one visit.
//! - The end is a queue shutdown, not sentinels: once `join()` returns, `shutdown()` ends
//!   every worker's `recv()`; if the deadline fires first, `shutdown_immediate()` hands the
//!   URLs not yet visited back (and refuses the links still being found), so the workers
//!   finish what they hold and leave.
//! - An [`AsyncResult`] per request and a toro [`Queue`] of requests bridge async workers
//!   and plain OS threads: toro's primitives work from any thread, with or without a
//!   runtime.
//!
//! It first serves a generated site over real HTTP on 127.0.0.1 (an ephemeral port): a few
//! hundred pages, each linking to a handful of others, deterministic from a seed, with a
//! few dead links (404) and one off-site link the spider must not follow. The server adds
//! a small per-page latency so that concurrency matters. Then it crawls the site from `/`,
//! shows progress (a bar in a terminal, plain lines otherwise), and ends with a summary:
//! pages, bytes, elapsed time and the highest concurrency seen. It exits 0 when every
//! page was fetched exactly once, 1 if the deadline fired first, 2 on a bad argument.
//!
//! Why these crates, and why threads for the HTTP client: the example must run with no
//! runtime at all (`toro::block_on`, toro's built-in loop) as well as on tokio, smol or
//! async-std. The ready-made async HTTP clients bring a runtime's I/O with them (reqwest
//! needs tokio, surf async-std; hyper needs an I/O adapter written for each runtime), so
//! the honest, simple choice is one fetch path for every case: `tiny_http` (a small,
//! blocking, well-kept server) serves the site from its own threads, and `ureq` (a
//! blocking client) fetches on a small pool of OS threads, one per worker so that no
//! request waits for a thread. The async side -- the
//! queue, the workers, the seen set, the deadline, the part toro is about -- runs on the
//! runtime the features pick (or on the built-in loop), and worker tasks are spawned on it.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use toro::{AsyncResult, JoinableQueue, LoopHandle, Queue};

/// Where the async workers run: what `#[toro::main]` picked (tokio, then smol, then
/// async-std, else the built-in loop).
const RUNTIME: &str = if cfg!(feature = "tokio") {
    "tokio"
} else if cfg!(feature = "smol") {
    "smol"
} else if cfg!(feature = "async-std") {
    "async-std"
} else {
    "toro's built-in loop (no runtime)"
};

/// Seed of the generated site: the same site every run.
const SEED: u64 = 0x746f_726f; // "toro"

/// The link to another site, on the front page: the spider stays on its own site.
const OFF_SITE: &str = "https://example.invalid/elsewhere";

#[toro::main]
async fn main() -> ExitCode {
    if std::env::args().any(|arg| arg == "-h" || arg == "--help") {
        println!("toro's parallel web spider\n\n{USAGE}");
        return ExitCode::SUCCESS;
    }
    let options = match Options::from_args() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };

    let site = Arc::new(Site::generate(options.pages, SEED));
    let server = SiteServer::start(Arc::clone(&site), options.concurrency + 2);
    let base = format!("http://{}", server.addr);
    let fetchers = FetchPool::start(options.concurrency);
    println!(
        "serving {} pages ({} dead links) on {base}; crawling with {} workers on {RUNTIME} \
         (deadlines on the {} clock)",
        site.pages.len(),
        site.dead_links,
        options.concurrency,
        LoopHandle::current().name(),
    );

    let crawl = Arc::new(Crawl::new(base, Arc::clone(&fetchers.requests)));
    let start = Instant::now();
    crawl.discover(crawl.root());

    // Supervise: wait until every URL ever put in the queue is done, or the deadline.
    // Then shut the queue down: each worker's `recv()` ends and it leaves its loop.
    let supervise = async {
        let finished = crawl.queue.join().deadline(options.deadline).await;
        match finished {
            Ok(()) => crawl.queue.shutdown(),
            Err(_) => {
                // Out of time: take back what no worker has started on.
                let skipped = crawl.queue.shutdown_immediate();
                crawl.progress.println(&format!(
                    "deadline: {} queued URLs handed back unvisited",
                    skipped.len()
                ));
            }
        }
        finished
    };
    let (finished, ()) = futures::join!(supervise, run_workers(options.concurrency, &crawl));
    let elapsed = start.elapsed();
    crawl.progress.finish();

    fetchers.stop();
    let server_peak = server.stop();

    let stats = crawl.stats();
    println!();
    println!("crawled {}/ in {:.2?}", crawl.base, elapsed);
    println!("  URLs fetched         {:>7}", stats.fetched);
    println!("    pages (200 OK)     {:>7}", stats.ok);
    println!("    dead links (404)   {:>7}", stats.not_found);
    println!("  errors               {:>7}", stats.errors);
    println!("  off-site skipped     {:>7}", stats.off_site);
    println!("  bytes                {:>7}", stats.bytes);
    println!(
        "  highest concurrency  {:>7} requests in flight (limit {}; the server handled \
         {server_peak} at once)",
        stats.peak, options.concurrency
    );

    if finished.is_err() {
        println!(
            "\nthe crawl did not finish within its deadline of {:?}: {} URLs seen, {} fetched; \
             the workers were told to stop",
            options.deadline, stats.seen, stats.fetched
        );
        return ExitCode::FAILURE;
    }
    // Like toro's `assert fetching == fetched`: every URL seen was fetched, once.
    assert_eq!(stats.fetched, stats.seen, "every URL seen is fetched");
    assert_eq!(stats.ok, site.pages.len(), "every page is reachable from /");
    assert_eq!(
        stats.not_found, site.dead_links,
        "every dead link answers 404"
    );
    assert_eq!(stats.errors, 0, "no request failed");
    println!("\nok: every page of the site was fetched exactly once");
    ExitCode::SUCCESS
}

// ==== The crawl: the async side, on toro's primitives ====

/// What the workers share.
struct Crawl {
    /// `http://127.0.0.1:PORT`, without the trailing slash.
    base: String,
    /// URLs to visit; shut down when the crawl is over.
    queue: JoinableQueue<String>,
    /// Every URL ever put in the queue. A std mutex, not a toro `Lock`: it is held for a
    /// few instructions and never across an `.await`.
    seen: Mutex<HashSet<String>>,
    /// URLs fetched, to check that none was fetched twice.
    fetched: Mutex<HashSet<String>>,
    /// Where requests go: the fetch threads take them from here.
    requests: Arc<Queue<FetchJob>>,
    in_flight: AtomicUsize,
    peak: AtomicUsize,
    ok: AtomicUsize,
    not_found: AtomicUsize,
    errors: AtomicUsize,
    off_site: AtomicUsize,
    bytes: AtomicU64,
    progress: Progress,
}

/// The counts at the end of a crawl.
struct Stats {
    seen: usize,
    fetched: usize,
    ok: usize,
    not_found: usize,
    errors: usize,
    off_site: usize,
    bytes: u64,
    peak: usize,
}

impl Crawl {
    fn new(base: String, requests: Arc<Queue<FetchJob>>) -> Self {
        Crawl {
            base,
            queue: JoinableQueue::new(0),
            seen: Mutex::default(),
            fetched: Mutex::default(),
            requests,
            in_flight: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            ok: AtomicUsize::new(0),
            not_found: AtomicUsize::new(0),
            errors: AtomicUsize::new(0),
            off_site: AtomicUsize::new(0),
            bytes: AtomicU64::new(0),
            progress: Progress::new(),
        }
    }

    fn root(&self) -> String {
        format!("{}/", self.base)
    }

    /// Queues `url` unless it was seen before. The queue is unbounded, so this never
    /// waits; once the crawl is shut down (its deadline fired), new links are refused.
    fn discover(&self, url: String) {
        let new = lock(&self.seen).insert(url.clone());
        if new && self.queue.try_send(url).is_ok() {
            self.progress.discovered();
        }
    }

    /// Fetches one page and queues the on-site links it has.
    async fn visit(&self, url: String) {
        assert!(
            lock(&self.fetched).insert(url.clone()),
            "{url} fetched twice"
        );

        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        let reply = Arc::new(AsyncResult::new());
        let job = FetchJob {
            url: url.clone(),
            reply: Arc::clone(&reply),
        };
        self.requests
            .put_nowait(job)
            .expect("the request queue is unbounded and open while workers run");
        // A deadline per request as well as the one on the whole crawl.
        let outcome = reply.get().deadline(Duration::from_secs(10)).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);

        match outcome {
            Ok(Ok(page)) if page.status == 200 => {
                self.ok.fetch_add(1, Ordering::Relaxed);
                self.bytes
                    .fetch_add(page.body.len() as u64, Ordering::Relaxed);
                for link in links(&page.body) {
                    match self.resolve(link) {
                        Some(next) => self.discover(next),
                        None => {
                            self.off_site.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
            Ok(Ok(page)) if page.status == 404 => {
                self.not_found.fetch_add(1, Ordering::Relaxed);
                self.bytes
                    .fetch_add(page.body.len() as u64, Ordering::Relaxed);
            }
            Ok(Ok(page)) => self.fail(&url, &format!("HTTP status {}", page.status)),
            Ok(Err(error)) => self.fail(&url, error),
            Err(_timeout) => self.fail(&url, "no answer within 10 s"),
        }
        self.progress.visited(self);
    }

    fn fail(&self, url: &str, why: &str) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        self.progress.println(&format!("error: {url}: {why}"));
    }

    /// The absolute URL of `href` if it is on this site; `None` for an off-site link.
    fn resolve(&self, href: &str) -> Option<String> {
        if href.starts_with('/') {
            Some(format!("{}{href}", self.base))
        } else if href.starts_with(&format!("{}/", self.base)) {
            Some(href.to_owned())
        } else {
            None
        }
    }

    fn stats(&self) -> Stats {
        let fetched = lock(&self.fetched).len();
        Stats {
            seen: lock(&self.seen).len(),
            fetched,
            ok: self.ok.load(Ordering::SeqCst),
            not_found: self.not_found.load(Ordering::SeqCst),
            errors: self.errors.load(Ordering::SeqCst),
            off_site: self.off_site.load(Ordering::SeqCst),
            bytes: self.bytes.load(Ordering::SeqCst),
            peak: self.peak.load(Ordering::SeqCst),
        }
    }
}

/// One worker: take a URL, visit it, mark it done; leave when the queue is shut down.
async fn worker(crawl: Arc<Crawl>) {
    while let Ok(url) = crawl.queue.recv().await {
        crawl.visit(url).await;
        // After `visit` has queued the page's links: had we called `task_done()` first,
        // the unfinished count could touch zero between this page and its links, and
        // `join()` would report a crawl that is not done.
        crawl.queue.task_done().expect("one task_done() per get()");
    }
}

/// Runs `n` workers to the end: spawned on the runtime that `#[toro::main]` runs, or
/// polled together by the built-in loop when no runtime feature is on.
async fn run_workers(n: usize, crawl: &Arc<Crawl>) {
    #[cfg(feature = "tokio")]
    {
        let tasks: Vec<_> = (0..n)
            .map(|_| tokio::spawn(worker(Arc::clone(crawl))))
            .collect();
        for task in tasks {
            task.await.expect("a worker panicked");
        }
    }
    #[cfg(all(feature = "smol", not(feature = "tokio")))]
    {
        let tasks: Vec<_> = (0..n)
            .map(|_| smol::spawn(worker(Arc::clone(crawl))))
            .collect();
        for task in tasks {
            task.await;
        }
    }
    #[cfg(all(feature = "async-std", not(feature = "tokio"), not(feature = "smol")))]
    {
        let tasks: Vec<_> = (0..n)
            .map(|_| async_std::task::spawn(worker(Arc::clone(crawl))))
            .collect();
        for task in tasks {
            task.await;
        }
    }
    #[cfg(not(any(feature = "tokio", feature = "smol", feature = "async-std")))]
    {
        futures::future::join_all((0..n).map(|_| worker(Arc::clone(crawl)))).await;
    }
}

/// The `href="..."` values of a page. The pages are our own, so a scan is enough.
fn links(html: &str) -> impl Iterator<Item = &str> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

// ==== Progress: a bar in a terminal, plain lines otherwise ====

enum Progress {
    Bar(ProgressBar),
    Lines { every: usize, visited: AtomicUsize },
}

impl Progress {
    fn new() -> Self {
        if std::io::stdout().is_terminal() {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stdout());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {elapsed_precise} [{bar:40}] {pos}/{len} URLs  {msg}",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            Progress::Bar(bar)
        } else {
            Progress::Lines {
                every: 50,
                visited: AtomicUsize::new(0),
            }
        }
    }

    /// A URL was queued: the bar's length is the URLs seen so far.
    fn discovered(&self) {
        if let Progress::Bar(bar) = self {
            bar.inc_length(1);
        }
    }

    fn visited(&self, crawl: &Crawl) {
        let in_flight = crawl.in_flight.load(Ordering::Relaxed);
        match self {
            Progress::Bar(bar) => {
                bar.set_message(format!("{in_flight} in flight"));
                bar.inc(1);
            }
            Progress::Lines { every, visited } => {
                let n = visited.fetch_add(1, Ordering::Relaxed) + 1;
                if n % every == 0 {
                    println!(
                        "  {n:>5} URLs visited, {:>4} queued, {in_flight} in flight",
                        crawl.queue.qsize()
                    );
                }
            }
        }
    }

    fn println(&self, line: &str) {
        match self {
            Progress::Bar(bar) => bar.println(line),
            Progress::Lines { .. } => println!("{line}"),
        }
    }

    fn finish(&self) {
        if let Progress::Bar(bar) = self {
            bar.finish();
        }
    }
}

// ==== The fetch pool: blocking HTTP on OS threads, answered through toro ====

/// One request: the URL, and where the answer goes.
struct FetchJob {
    url: String,
    reply: Arc<AsyncResult<Result<Page, String>>>,
}

struct Page {
    status: u16,
    body: String,
}

struct FetchPool {
    /// Shut down to tell the threads to leave.
    requests: Arc<Queue<FetchJob>>,
    threads: Vec<JoinHandle<()>>,
}

impl FetchPool {
    fn start(size: usize) -> Self {
        let requests = Arc::new(Queue::new(0));
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false) // a 404 is an answer, not an error
            .proxy(None) // 127.0.0.1, whatever HTTP_PROXY says
            .timeout_global(Some(Duration::from_secs(5)))
            .build()
            .into();
        let threads = (0..size)
            .map(|i| {
                let requests = Arc::clone(&requests);
                let agent = agent.clone();
                thread::Builder::new()
                    .name(format!("fetch-{i}"))
                    .spawn(move || {
                        // A plain thread waits on a toro queue with toro's built-in loop.
                        while let Ok(job) = toro::block_on(requests.recv()) {
                            let FetchJob { url, reply } = job;
                            // Nobody else sets it, so `set` cannot fail.
                            let _ = reply.set(fetch(&agent, &url));
                        }
                    })
                    .expect("spawn a fetch thread")
            })
            .collect();
        FetchPool { requests, threads }
    }

    fn stop(self) {
        self.requests.shutdown();
        for thread in self.threads {
            thread.join().expect("a fetch thread panicked");
        }
    }
}

fn fetch(agent: &ureq::Agent, url: &str) -> Result<Page, String> {
    let mut response = agent.get(url).call().map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .read_to_string()
        .map_err(|e| e.to_string())?;
    Ok(Page { status, body })
}

// ==== The site: generated pages, served by tiny_http ====

struct Site {
    /// The HTML of page `i`; page 0 is `/`, page `i` is `/page/i`.
    pages: Vec<String>,
    /// Distinct dead links (they answer 404).
    dead_links: usize,
}

impl Site {
    /// `n` pages. Page `i` links to page `i + 1` (so every page is reachable from `/`) and
    /// to four pages drawn from `seed`; about one page in forty also links to one of a few
    /// missing pages.
    fn generate(n: usize, seed: u64) -> Self {
        let mut rng = SplitMix64(seed);
        let mut dead = HashSet::new();
        let pages = (0..n)
            .map(|i| {
                let mut targets = Vec::new();
                if i + 1 < n {
                    targets.push(page_path(i + 1));
                }
                for _ in 0..4 {
                    targets.push(page_path(rng.below(n)));
                }
                if rng.below(40) == 0 {
                    let missing = format!("/missing/{}", rng.below(8));
                    dead.insert(missing.clone());
                    targets.push(missing);
                }
                if i == 0 {
                    targets.push(OFF_SITE.to_owned());
                }
                let list: String = targets
                    .iter()
                    .map(|href| format!("    <li><a href=\"{href}\">{href}</a></li>\n"))
                    .collect();
                format!(
                    "<!doctype html>\n<html><head><title>Page {i}</title></head><body>\n  \
                     <h1>Page {i}</h1>\n  <p>{}</p>\n  <ul>\n{list}  </ul>\n</body></html>\n",
                    "lorem ipsum ".repeat(1 + rng.below(20)),
                )
            })
            .collect();
        Site {
            pages,
            dead_links: dead.len(),
        }
    }

    /// The page at `path`, with its index.
    fn page(&self, path: &str) -> Option<(usize, &str)> {
        let index = match path {
            "/" => 0,
            _ => path.strip_prefix("/page/")?.parse().ok()?,
        };
        Some((index, self.pages.get(index)?.as_str()))
    }
}

fn page_path(i: usize) -> String {
    if i == 0 {
        "/".to_owned()
    } else {
        format!("/page/{i}")
    }
}

/// A tiny deterministic generator (SplitMix64), so the site is the same every run.
struct SplitMix64(u64);

impl SplitMix64 {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        ((z ^ (z >> 31)) % n as u64) as usize
    }
}

struct SiteServer {
    addr: std::net::SocketAddr,
    server: Arc<tiny_http::Server>,
    threads: Vec<JoinHandle<()>>,
    peak: Arc<AtomicUsize>,
}

impl SiteServer {
    /// Serves `site` on 127.0.0.1, an ephemeral port, from `threads` threads.
    fn start(site: Arc<Site>, threads: usize) -> Self {
        let server =
            Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind 127.0.0.1, any port"));
        let addr = server.server_addr().to_ip().expect("an IP address");
        let in_flight = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let threads = (0..threads)
            .map(|i| {
                let (server, site) = (Arc::clone(&server), Arc::clone(&site));
                let (in_flight, peak) = (Arc::clone(&in_flight), Arc::clone(&peak));
                thread::Builder::new()
                    .name(format!("serve-{i}"))
                    .spawn(move || {
                        // Ends when `stop` unblocks this thread.
                        for request in server.incoming_requests() {
                            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                            peak.fetch_max(now, Ordering::SeqCst);
                            let response = page_for(&site, request.url());
                            // Counted until the answer is ready, not until it is sent, so
                            // that each request's interval here lies inside the client's.
                            in_flight.fetch_sub(1, Ordering::SeqCst);
                            // The client may have given up (its deadline): nothing to do.
                            let _ = request.respond(response);
                        }
                    })
                    .expect("spawn a server thread")
            })
            .collect();
        SiteServer {
            addr,
            server,
            threads,
            peak,
        }
    }

    /// Stops the server; returns the most requests it handled at once.
    fn stop(self) -> usize {
        for _ in &self.threads {
            self.server.unblock(); // each call releases one thread from `incoming_requests`
        }
        for thread in self.threads {
            thread.join().expect("a server thread panicked");
        }
        self.peak.load(Ordering::SeqCst)
    }
}

/// The answer to a GET of `path`: the page, after a small delay, or a 404.
fn page_for(site: &Site, path: &str) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    let html = "Content-Type: text/html; charset=utf-8"
        .parse::<tiny_http::Header>()
        .expect("a valid header");
    match site.page(path) {
        Some((index, page)) => {
            // 5 to 24 ms, as if the page came from somewhere slow.
            thread::sleep(Duration::from_millis(5 + (index as u64 * 7) % 20));
            tiny_http::Response::from_string(page).with_header(html)
        }
        None => tiny_http::Response::from_string("<h1>404 Not Found</h1>\n")
            .with_status_code(404)
            .with_header(html),
    }
}

// ==== Command line ====

const USAGE: &str = "usage: web_spider [--pages N] [--concurrency N] [--deadline-ms N]
  --pages N        pages in the generated site (default 300)
  --concurrency N  worker tasks, and so requests in flight at most (default 8)
  --deadline-ms N  deadline for the whole crawl (default 20000)";

struct Options {
    pages: usize,
    concurrency: usize,
    deadline: Duration,
}

impl Options {
    fn from_args() -> Result<Self, String> {
        let mut options = Options {
            pages: 300,
            concurrency: 8,
            deadline: Duration::from_secs(20),
        };
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            let mut value = || -> Result<usize, String> {
                let value = args.next().ok_or(format!("{flag} needs a value"))?;
                value
                    .parse()
                    .map_err(|_| format!("{flag}: not a number: {value}"))
            };
            match flag.as_str() {
                "--pages" => options.pages = value()?.max(1),
                "--concurrency" => options.concurrency = value()?.max(1),
                "--deadline-ms" => options.deadline = Duration::from_millis(value()? as u64),
                _ => return Err(format!("unknown argument: {flag}")),
            }
        }
        Ok(options)
    }
}
