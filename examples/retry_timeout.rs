//! Retry with a timeout: try an operation up to N times, each attempt under a deadline,
//! pausing between attempts (twice as long each time), on toro's deadlines only. `main`
//! runs it against a flaky service on the real clock, in milliseconds; the tests run it
//! on a `toro::ManualClock` on two runtimes, where ten-second timeouts take microseconds
//! and every instant is exact.
//!
//! ```text
//! cargo run --example retry_timeout
//! cargo test --example retry_timeout --features tokio   # the tests on tokio and builtin
//! ```

use std::future::Future;
use std::time::{Duration, Instant};

use toro::LoopHandle;

/// How often to try, how long each attempt may take, and the first pause after a failure
/// (each later pause is twice the one before).
#[derive(Clone, Copy, Debug)]
struct Retry {
    attempts: u32,
    timeout: Duration,
    backoff: Duration,
}

/// Why an attempt, the last one for a routine that gave up, did not succeed.
#[derive(Debug, PartialEq)]
enum Failure<E> {
    /// Its deadline passed first.
    TimedOut,
    /// It answered with an error.
    Failed(E),
}

/// Runs `attempt(1)`, `attempt(2)`, ... until one succeeds within `retry.timeout`, for at
/// most `retry.attempts` attempts. An attempt cut off by its deadline is dropped, which
/// cancels it. Every deadline and pause is on the current toro clock: the runtime's in
/// `main`, the test's manual clock in the tests.
///
/// # Errors
///
/// The last attempt's failure, when every attempt failed or timed out.
async fn fetch_with_retry<T, E, F, Fut>(retry: Retry, mut attempt: F) -> Result<T, Failure<E>>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut pause = retry.backoff;
    let mut n = 1;
    loop {
        let outcome = toro::with!(answer = attempt(n), deadline = retry.timeout => answer);
        let failure = match outcome {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(error)) => Failure::Failed(error),
            Err(_timeout) => Failure::TimedOut,
        };
        if n >= retry.attempts {
            return Err(failure);
        }
        sleep(pause).await;
        pause *= 2;
        n += 1;
    }
}

/// Waits for `time` on the current toro clock.
async fn sleep(time: Duration) {
    let clock = LoopHandle::current();
    clock.sleep_until(clock.now() + time).await;
}

#[toro::main]
async fn main() {
    let retry = Retry {
        attempts: 4,
        timeout: Duration::from_millis(20),
        backoff: Duration::from_millis(5),
    };
    let start = Instant::now();
    let note = |what: String| println!("{:>8.1?}  {what}", start.elapsed());

    // A flaky service: the first call hangs, the second is refused, the third answers.
    let answer = fetch_with_retry(retry, |attempt| {
        note(format!("attempt {attempt}"));
        async move {
            match attempt {
                1 => std::future::pending().await,
                2 => Err("503 Service Unavailable"),
                _ => {
                    sleep(Duration::from_millis(1)).await;
                    Ok(format!("200 OK, on attempt {attempt}"))
                }
            }
        }
    })
    .await;
    note(format!("flaky service: {answer:?}"));
    assert_eq!(answer, Ok("200 OK, on attempt 3".to_string()));

    // A service that is down: every attempt hangs, and the routine gives up.
    let start = Instant::now();
    let given_up = fetch_with_retry(retry, |_| std::future::pending::<Result<(), ()>>()).await;
    println!("{:>8.1?}  service down: {given_up:?}", start.elapsed());
    assert_eq!(given_up, Err(Failure::TimedOut));
    // Four timeouts of 20 ms and pauses of 5, 10 and 20 ms, at least.
    assert!(start.elapsed() >= Duration::from_millis(115));
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::pin::pin;
    use std::task::Poll;

    use toro::ManualClock;

    use super::*;

    /// Ten-second attempts, pauses of 1 s then 2 s: minutes of waiting on a real clock.
    const RETRY: Retry = Retry {
        attempts: 3,
        timeout: Duration::from_secs(10),
        backoff: Duration::from_secs(1),
    };

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    /// Moves the clock to `at` after `start`, then polls `fetch` once, as its runtime would
    /// after the wake-up: everything due by then has happened, and nothing else.
    async fn poll_at<F: Future + Unpin>(
        clock: &ManualClock,
        start: Instant,
        at: Duration,
        fetch: &mut F,
    ) -> Poll<F::Output> {
        clock.advance_to(start + at);
        futures::poll!(fetch)
    }

    #[toro::test(clock = "manual", runtimes(tokio, builtin))]
    async fn an_answer_in_time_needs_no_retry(clock: ManualClock) {
        let start = clock.now();
        let answer = fetch_with_retry(RETRY, |attempt| async move { Ok::<_, ()>(attempt) }).await;
        assert_eq!(answer, Ok(1));
        assert_eq!(clock.now(), start, "no time passed");
        assert_eq!(clock.sleepers(), 0);
    }

    /// Each attempt is cut off at exactly 10 s; the pauses are 1 s then 2 s; the routine
    /// gives up at 10 + 1 + 10 + 2 + 10 = 33 s, and not a microsecond before.
    #[toro::test(clock = "manual", runtimes(tokio, builtin))]
    async fn gives_up_when_every_attempt_hangs(clock: ManualClock) {
        let start = clock.now();
        let started = RefCell::new(Vec::new());
        let mut fetch = pin!(fetch_with_retry(RETRY, |_| {
            started.borrow_mut().push(clock.now() - start);
            std::future::pending::<Result<(), ()>>()
        }));
        let just_before = |at: Duration| at - Duration::from_micros(1);

        assert!(
            poll_at(&clock, start, secs(0), &mut fetch)
                .await
                .is_pending()
        );
        assert!(
            poll_at(&clock, start, just_before(secs(10)), &mut fetch)
                .await
                .is_pending()
        );
        assert_eq!(*started.borrow(), [secs(0)], "still on the first attempt");
        assert!(
            poll_at(&clock, start, secs(10), &mut fetch)
                .await
                .is_pending()
        );
        assert_eq!(clock.sleepers(), 1, "pausing before the second attempt");
        assert!(
            poll_at(&clock, start, secs(11), &mut fetch)
                .await
                .is_pending()
        );
        assert!(
            poll_at(&clock, start, secs(21), &mut fetch)
                .await
                .is_pending()
        );
        assert!(
            poll_at(&clock, start, secs(23), &mut fetch)
                .await
                .is_pending()
        );
        assert_eq!(*started.borrow(), [secs(0), secs(11), secs(23)]);
        let last = just_before(secs(33));
        assert!(poll_at(&clock, start, last, &mut fetch).await.is_pending());
        let given_up = poll_at(&clock, start, secs(33), &mut fetch).await;
        assert_eq!(given_up, Poll::Ready(Err(Failure::TimedOut)));
        assert_eq!(clock.sleepers(), 0, "nothing left armed");
    }

    /// Too slow (cut off at 10 s), then refused (after 2 s), then an answer just inside
    /// the deadline: the third attempt's, at 15 s + 9.999999 s.
    #[toro::test(clock = "manual", runtimes(tokio, builtin))]
    async fn a_slow_then_refusing_service_answers_on_the_third_attempt(clock: ManualClock) {
        let start = clock.now();
        let started = RefCell::new(Vec::new());
        let answer_time = RETRY.timeout - Duration::from_micros(1);
        let mut fetch = pin!(fetch_with_retry(RETRY, |attempt| {
            started.borrow_mut().push(clock.now() - start);
            async move {
                match attempt {
                    1 => {
                        sleep(secs(15)).await;
                        Ok("too late")
                    }
                    2 => {
                        sleep(secs(2)).await;
                        Err("refused")
                    }
                    _ => {
                        sleep(answer_time).await;
                        Ok("answer")
                    }
                }
            }
        }));

        assert!(
            poll_at(&clock, start, secs(0), &mut fetch)
                .await
                .is_pending()
        );
        assert_eq!(
            clock.sleepers(),
            2,
            "the attempt's deadline and its service's sleep"
        );
        assert!(
            poll_at(&clock, start, secs(10), &mut fetch)
                .await
                .is_pending()
        );
        assert!(
            poll_at(&clock, start, secs(11), &mut fetch)
                .await
                .is_pending()
        );
        assert!(
            poll_at(&clock, start, secs(13), &mut fetch)
                .await
                .is_pending()
        );
        assert!(
            poll_at(&clock, start, secs(15), &mut fetch)
                .await
                .is_pending()
        );
        assert_eq!(*started.borrow(), [secs(0), secs(11), secs(15)]);
        let answered = poll_at(&clock, start, secs(15) + answer_time, &mut fetch).await;
        assert_eq!(answered, Poll::Ready(Ok("answer")));
    }
}
