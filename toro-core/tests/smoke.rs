use futures::task::noop_waker_ref;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll};
use std::time::Duration;
use toro_core::*;

fn poll<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    std::pin::Pin::new(f).poll(&mut Context::from_waker(noop_waker_ref()))
}

#[test]
fn lock_handoff() {
    let lock = Lock::new();
    let g = lock.acquire();
    assert!(lock.locked());
    let mut w1 = lock.acquire();
    let mut w2 = lock.acquire();
    assert!(poll(&mut w1).is_pending());
    let g = block_on(g);
    drop(g);
    assert!(lock.locked());
    let g1 = match poll(&mut w1) {
        Poll::Ready(g) => g,
        _ => panic!(),
    };
    assert!(poll(&mut w2).is_pending());
    drop(w2);
    drop(g1);
    assert!(!lock.locked());
}

#[test]
fn rwlock_writer_timeout_returns_tokens() {
    let rw = RwLock::new(3);
    let r = rw.try_acquire_read().unwrap();
    let w = rw.acquire_write();
    assert_eq!(
        format!("{rw:?}"),
        "RwLock { max_readers: 3, counter: 0, waiters: 1, data: <locked> }"
    );
    let res = block_on(w.deadline(Duration::from_millis(5)));
    assert!(res.is_err());
    assert_eq!(
        format!("{rw:?}"),
        "RwLock { max_readers: 3, counter: 2, waiters: 0, data: () }"
    );
    drop(r);
    assert!(rw.try_acquire_write().is_some());
}

#[test]
fn queue_disciplines_admit_putter() {
    let q = Queue::with_items(2, [5, 3]);
    let mut p = q.put(1);
    assert!(poll(&mut p).is_pending());
    assert_eq!(q.get_nowait(), Ok(5));
    assert!(poll(&mut p).is_ready());
    let q = LifoQueue::with_items(2, [5, 3]);
    let _p = q.put(1);
    assert_eq!(q.get_nowait(), Ok(1));
    let q = PriorityQueue::with_items(2, [5, 3]);
    let _p = q.put(1);
    assert_eq!(q.get_nowait(), Ok(1));
}

#[test]
fn dropped_getter_returns_item() {
    let q = Queue::new(0);
    let g1 = q.get();
    let mut g2 = q.get();
    q.put_nowait(1).unwrap();
    drop(g1);
    assert_eq!(poll(&mut g2), Poll::Ready(1));
    let g3 = q.get();
    q.put_nowait(2).unwrap();
    drop(g3);
    assert_eq!(q.get_nowait(), Ok(2));
}

#[test]
fn semaphore_two_releases_wake_two() {
    let s = Semaphore::new(0);
    let mut a = pin!(s.acquire());
    let mut b = pin!(s.acquire());
    let mut w = s.wait();
    let cx = &mut Context::from_waker(noop_waker_ref());
    assert!(a.as_mut().poll(cx).is_pending());
    s.release();
    s.release();
    assert!(poll(&mut w).is_pending());
    assert!(a.as_mut().poll(cx).is_ready());
    assert!(b.as_mut().poll(cx).is_ready());
    s.release();
    assert!(poll(&mut w).is_ready());
}

#[tokio::test(start_paused = true)]
async fn paused_clock_exact() {
    let c = Condition::new();
    let start = tokio::time::Instant::now();
    let r = c
        .wait()
        .deadline_on(&toro_core::LoopHandle::runtime_free(), Duration::ZERO)
        .await;
    assert!(r.is_err());
    let _ = start;
}
