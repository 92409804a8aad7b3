//! Token pools: Lock, Semaphore, BoundedSemaphore and RwLock against one model of
//! toro's bounded token pool (FIFO hand-off inside the releasing call, a writer claiming
//! every free token at once, nothing lost when a waiter leaves).

use super::*;
use toro::{
    AcquireRead, AcquireWrite, BoundedSemaphore, Lock, LockAcquire, LockGuard, ReadGuard, RwLock,
    Semaphore, SemaphoreAcquire, SemaphoreGuard, SemaphoreWait, WriteGuard,
};

#[derive(Clone, Copy, Debug)]
enum PoolKind {
    Lock,
    Semaphore(usize),
    Bounded(usize),
    RwLock(usize),
}

#[derive(Clone, Debug)]
enum PoolOp {
    /// `acquire()` (`acquire_read()` on an RwLock).
    Acquire,
    /// `acquire_write()` on an RwLock, `acquire()` elsewhere.
    AcquireWrite,
    /// `wait()` on a semaphore, `acquire()` elsewhere.
    Wait,
    TryAcquire,
    TryAcquireWrite,
    /// A manual `release()` (`release_read()`).
    Release,
    /// `release_write()` on an RwLock, `release()` elsewhere.
    ReleaseWrite,
    Poll(usize),
    PollAll,
    Drop(usize),
    Expire(usize),
    DropGuard(usize),
    ForgetGuard(usize),
}

fn pool_op() -> impl Strategy<Value = PoolOp> {
    prop_oneof![
        4 => Just(PoolOp::Acquire),
        2 => Just(PoolOp::AcquireWrite),
        1 => Just(PoolOp::Wait),
        1 => Just(PoolOp::TryAcquire),
        1 => Just(PoolOp::TryAcquireWrite),
        2 => Just(PoolOp::Release),
        1 => Just(PoolOp::ReleaseWrite),
        3 => any::<usize>().prop_map(PoolOp::Poll),
        1 => Just(PoolOp::PollAll),
        2 => any::<usize>().prop_map(PoolOp::Drop),
        2 => any::<usize>().prop_map(PoolOp::Expire),
        4 => any::<usize>().prop_map(PoolOp::DropGuard),
        1 => any::<usize>().prop_map(PoolOp::ForgetGuard),
    ]
}

fn pool_kind() -> impl Strategy<Value = PoolKind> {
    prop_oneof![
        Just(PoolKind::Lock),
        (0..3usize).prop_map(PoolKind::Semaphore),
        (0..3usize).prop_map(PoolKind::Bounded),
        (1..4usize).prop_map(PoolKind::RwLock),
    ]
}

enum Pool {
    Lock(Lock),
    Semaphore(Semaphore),
    Bounded(BoundedSemaphore),
    RwLock(RwLock),
}

enum PoolFuture<'a> {
    Lock(LockAcquire<'a>),
    Acquire(SemaphoreAcquire<'a>),
    Watch(SemaphoreWait<'a>),
    Read(AcquireRead<'a>),
    Write(AcquireWrite<'a>),
}

#[allow(dead_code)] // the guards are held for their `Drop`
enum PoolGuard<'a> {
    Lock(LockGuard<'a>),
    Semaphore(SemaphoreGuard<'a>),
    Read(ReadGuard<'a>),
    Write(WriteGuard<'a>),
}

impl PoolGuard<'_> {
    fn forget(self) {
        match self {
            PoolGuard::Lock(g) => g.forget(),
            PoolGuard::Semaphore(g) => g.forget(),
            PoolGuard::Read(g) => g.forget(),
            PoolGuard::Write(g) => g.forget(),
        }
    }
}

impl<'a> PoolFuture<'a> {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Option<PoolGuard<'a>>> {
        match self {
            PoolFuture::Lock(f) => poll_unpin(f, cx).map(|g| Some(PoolGuard::Lock(g))),
            PoolFuture::Acquire(f) => poll_unpin(f, cx).map(|g| Some(PoolGuard::Semaphore(g))),
            PoolFuture::Watch(f) => poll_unpin(f, cx).map(|()| None),
            PoolFuture::Read(f) => poll_unpin(f, cx).map(|g| Some(PoolGuard::Read(g))),
            PoolFuture::Write(f) => poll_unpin(f, cx).map(|g| Some(PoolGuard::Write(g))),
        }
    }

    fn expire(self, clock: &LoopHandle) -> Result<Option<PoolGuard<'a>>, ()> {
        let zero = Duration::ZERO;
        match self {
            PoolFuture::Lock(f) => expire(f.deadline_on(clock, zero))
                .map(|g| Some(PoolGuard::Lock(g)))
                .map_err(Timeout::into_inner),
            PoolFuture::Acquire(f) => expire(f.deadline_on(clock, zero))
                .map(|g| Some(PoolGuard::Semaphore(g)))
                .map_err(Timeout::into_inner),
            PoolFuture::Watch(f) => expire(f.deadline_on(clock, zero))
                .map(|()| None)
                .map_err(Timeout::into_inner),
            PoolFuture::Read(f) => expire(f.deadline_on(clock, zero))
                .map(|g| Some(PoolGuard::Read(g)))
                .map_err(Timeout::into_inner),
            PoolFuture::Write(f) => expire(f.deadline_on(clock, zero))
                .map(|g| Some(PoolGuard::Write(g)))
                .map_err(Timeout::into_inner),
        }
    }
}

impl Pool {
    fn new(kind: PoolKind) -> Self {
        match kind {
            PoolKind::Lock => Pool::Lock(Lock::new()),
            PoolKind::Semaphore(n) => Pool::Semaphore(Semaphore::new(n)),
            PoolKind::Bounded(n) => Pool::Bounded(BoundedSemaphore::new(n)),
            PoolKind::RwLock(n) => Pool::RwLock(RwLock::new(n)),
        }
    }

    fn acquire(&self, write: bool) -> PoolFuture<'_> {
        match self {
            Pool::Lock(l) => PoolFuture::Lock(l.acquire()),
            Pool::Semaphore(s) => PoolFuture::Acquire(s.acquire()),
            Pool::Bounded(s) => PoolFuture::Acquire(s.acquire()),
            Pool::RwLock(rw) if write => PoolFuture::Write(rw.acquire_write()),
            Pool::RwLock(rw) => PoolFuture::Read(rw.acquire_read()),
        }
    }

    fn wait(&self) -> PoolFuture<'_> {
        match self {
            Pool::Semaphore(s) => PoolFuture::Watch(s.wait()),
            Pool::Bounded(s) => PoolFuture::Watch(s.wait()),
            _ => self.acquire(false),
        }
    }

    fn try_acquire(&self, write: bool) -> Option<PoolGuard<'_>> {
        match self {
            Pool::Lock(l) => l.try_acquire().map(PoolGuard::Lock),
            Pool::Semaphore(s) => s.try_acquire().map(PoolGuard::Semaphore),
            Pool::Bounded(s) => s.try_acquire().map(PoolGuard::Semaphore),
            Pool::RwLock(rw) if write => rw.try_acquire_write().map(PoolGuard::Write),
            Pool::RwLock(rw) => rw.try_acquire_read().map(PoolGuard::Read),
        }
    }

    fn release(&self, write: bool) -> Result<(), ()> {
        match self {
            Pool::Lock(l) => l.release().map_err(drop),
            Pool::Semaphore(s) => {
                s.release();
                Ok(())
            }
            Pool::Bounded(s) => s.release().map_err(drop),
            Pool::RwLock(rw) if write => rw.release_write().map_err(drop),
            Pool::RwLock(rw) => rw.release_read().map_err(drop),
        }
    }

    fn locked(&self) -> bool {
        match self {
            Pool::Lock(l) => l.locked(),
            Pool::Semaphore(s) => s.locked(),
            Pool::Bounded(s) => s.locked(),
            Pool::RwLock(rw) => rw.locked(),
        }
    }

    fn counter(&self) -> Option<usize> {
        match self {
            Pool::Semaphore(s) => Some(s.counter()),
            Pool::Bounded(s) => Some(s.counter()),
            Pool::Lock(_) | Pool::RwLock(_) => None,
        }
    }

    fn debug(&self) -> String {
        match self {
            Pool::Lock(l) => format!("{l:?}"),
            Pool::Semaphore(s) => format!("{s:?}"),
            Pool::Bounded(s) => format!("{s:?}"),
            Pool::RwLock(rw) => format!("{rw:?}"),
        }
    }
}

/// An acquirer in the model's line: tokens still missing, tokens already handed to it.
struct Request {
    id: usize,
    missing: usize,
    held: usize,
}

struct PoolFutureModel {
    id: usize,
    /// Tokens it asks for; 0 for a semaphore's `wait()`.
    tokens: usize,
    stand: Stand,
}

/// toro's bounded token pool: FIFO hand-off inside the releasing call, a writer claiming
/// every free token at once and the rest at one place in line, nothing lost when a waiter
/// leaves.
struct PoolModel {
    kind: PoolKind,
    free: usize,
    bound: usize,
    line: VecDeque<Request>,
    watchers: Vec<usize>,
    futures: Vec<PoolFutureModel>,
    /// Tokens held by each guard.
    guards: Vec<usize>,
    /// Tokens of guards given up with `forget()`: the only ones a manual release of a
    /// `Lock`, `RwLock` or `BoundedSemaphore` may give back.
    forgotten: usize,
    next_id: usize,
}

impl PoolModel {
    fn new(kind: PoolKind) -> Self {
        let (free, bound) = match kind {
            PoolKind::Lock => (1, 1),
            PoolKind::Semaphore(n) => (n, usize::MAX >> 1),
            PoolKind::Bounded(n) | PoolKind::RwLock(n) => (n, n),
        };
        PoolModel {
            kind,
            free,
            bound,
            line: VecDeque::new(),
            watchers: Vec::new(),
            futures: Vec::new(),
            guards: Vec::new(),
            forgotten: 0,
            next_id: 0,
        }
    }

    fn tokens(&self, write: bool) -> usize {
        match self.kind {
            PoolKind::RwLock(n) if write => n,
            _ => 1,
        }
    }

    fn has_watch(&self) -> bool {
        matches!(self.kind, PoolKind::Semaphore(_) | PoolKind::Bounded(_))
    }

    fn nobody_waits(&self) -> bool {
        self.line.is_empty() && self.watchers.is_empty()
    }

    fn push_future(&mut self, tokens: usize, stand: Stand) -> usize {
        let id = self.next_id;
        self.next_id += 1;
        self.futures.push(PoolFutureModel { id, tokens, stand });
        id
    }

    fn set_stand(&mut self, id: usize, stand: Stand) {
        self.futures.iter_mut().find(|f| f.id == id).unwrap().stand = stand;
    }

    fn acquire(&mut self, n: usize) {
        if self.nobody_waits() && self.free >= n {
            self.free -= n;
            self.push_future(n, Stand::Ready);
        } else {
            // Only an acquirer at the head of an empty line finds free tokens: it claims
            // them all and waits for the rest.
            let take = self.free.min(n);
            self.free -= take;
            let id = self.push_future(n, Stand::Queued);
            self.line.push_back(Request {
                id,
                missing: n - take,
                held: take,
            });
        }
    }

    fn watch(&mut self) {
        if self.free > 0 {
            self.push_future(0, Stand::Ready);
        } else {
            let id = self.push_future(0, Stand::Queued);
            self.watchers.push(id);
        }
    }

    fn try_acquire(&mut self, n: usize) -> bool {
        let ok = self.nobody_waits() && self.free >= n;
        if ok {
            self.free -= n;
            self.guards.push(n);
        }
        ok
    }

    /// A manual `release()` of `n` tokens: a plain semaphore takes any (refused only past
    /// its bound); the others give back only forgotten guards' tokens.
    fn manual_release(&mut self, n: usize) -> bool {
        if !matches!(self.kind, PoolKind::Semaphore(_)) {
            if self.forgotten < n {
                return false;
            }
            self.forgotten -= n;
        }
        let released = self.release(n);
        assert!(released || matches!(self.kind, PoolKind::Semaphore(_)));
        released
    }

    /// A release of `n` tokens: refused past the bound, else handed to the line.
    fn release(&mut self, n: usize) -> bool {
        if self.free + n > self.bound {
            return false;
        }
        self.hand_out(n);
        true
    }

    fn hand_out(&mut self, mut n: usize) {
        while n > 0 {
            let Some(front) = self.line.front_mut() else {
                break;
            };
            let give = n.min(front.missing);
            front.missing -= give;
            front.held += give;
            n -= give;
            if front.missing == 0 {
                let id = front.id;
                self.line.pop_front();
                self.set_stand(id, Stand::Granted);
            }
        }
        if n > 0 {
            for id in std::mem::take(&mut self.watchers) {
                self.set_stand(id, Stand::Granted);
            }
        }
        self.free += n;
    }

    /// A queued future leaves the line (timed out or dropped): what a writer was granted
    /// goes on to the next in line.
    fn leave(&mut self, index: usize) {
        let fut = self.futures.remove(index);
        assert_eq!(fut.stand, Stand::Queued);
        if fut.tokens == 0 {
            self.watchers.retain(|&id| id != fut.id);
        } else {
            let at = self.line.iter().position(|r| r.id == fut.id).unwrap();
            let request = self.line.remove(at).unwrap();
            self.hand_out(request.held);
        }
    }

    /// Polls future `index`: `Some(tokens)` if it completes.
    fn poll(&mut self, index: usize) -> Option<usize> {
        match self.futures[index].stand {
            Stand::Queued => None,
            Stand::Ready | Stand::Granted => {
                let fut = self.futures.remove(index);
                if fut.tokens > 0 {
                    self.guards.push(fut.tokens);
                }
                Some(fut.tokens)
            }
        }
    }

    /// Drops future `index`: it leaves the line, or gives back what it was handed, as a
    /// guard's drop would (a release that the bound may refuse).
    fn drop_future(&mut self, index: usize) {
        match self.futures[index].stand {
            Stand::Queued => self.leave(index),
            Stand::Ready | Stand::Granted => {
                let fut = self.futures.remove(index);
                if fut.tokens > 0 {
                    self.release(fut.tokens);
                }
            }
        }
    }

    /// An expired deadline: `true` (Ok) if the future had completed or been granted.
    fn expire(&mut self, index: usize) -> bool {
        match self.futures[index].stand {
            Stand::Queued => {
                self.leave(index);
                false
            }
            Stand::Ready | Stand::Granted => {
                self.poll(index);
                true
            }
        }
    }

    fn drop_guard(&mut self, index: usize) {
        let tokens = self.guards.remove(index);
        self.release(tokens);
    }

    fn debug(&self) -> String {
        let waiters = self.line.len();
        let (free, watchers) = (self.free, self.watchers.len());
        match self.kind {
            PoolKind::Lock => {
                let data = if free == 0 { "<locked>" } else { "()" };
                format!(
                    "Lock {{ locked: {}, waiters: {waiters}, data: {data} }}",
                    free == 0
                )
            }
            PoolKind::Semaphore(_) => {
                format!(
                    "Semaphore {{ counter: {free}, waiters: {waiters}, watchers: {watchers}, closed: false }}"
                )
            }
            PoolKind::Bounded(_) => format!(
                "BoundedSemaphore {{ counter: {free}, waiters: {waiters}, watchers: {watchers}, closed: false }}"
            ),
            PoolKind::RwLock(n) => {
                // `Debug` shows the data if it can take a read token at once.
                let data = if free > 0 && self.nobody_waits() {
                    "()"
                } else {
                    "<locked>"
                };
                format!(
                    "RwLock {{ max_readers: {n}, counter: {free}, waiters: {waiters}, data: {data} }}"
                )
            }
        }
    }

    fn check(&self, pool: &Pool, slots: &[Slot<PoolFuture<'_>>], guards: usize) {
        if !self.nobody_waits() {
            assert_eq!(self.free, 0, "model: a token free while someone waits");
        }
        assert_eq!(pool.debug(), self.debug());
        assert_eq!(pool.locked(), self.free == 0);
        if let Some(counter) = pool.counter() {
            assert_eq!(counter, self.free);
        }
        assert_eq!(slots.len(), self.futures.len());
        assert_eq!(guards, self.guards.len());
        check_wakes(slots, self.futures.iter().map(|f| f.stand));
    }
}

/// Polls future `i` and compares with the model; a completed future's guard is kept.
fn poll_pool<'a>(
    slots: &mut Vec<Slot<PoolFuture<'a>>>,
    guards: &mut Vec<PoolGuard<'a>>,
    model: &mut PoolModel,
    i: usize,
) {
    let real = slots[i].poll(|f, cx| f.poll(cx));
    match (real, model.poll(i)) {
        (Poll::Pending, None) => {}
        (Poll::Ready(guard), Some(tokens)) => {
            slots.remove(i);
            assert_eq!(guard.is_some(), tokens > 0);
            guards.extend(guard);
        }
        (real, expected) => panic!(
            "poll of future #{i}: ready {} but the model says {expected:?}",
            real.is_ready()
        ),
    }
}

fn run_pool(kind: PoolKind, ops: &[PoolOp]) {
    let clock = expired_clock();
    let pool = Pool::new(kind);
    let mut model = PoolModel::new(kind);
    let mut slots: Vec<Slot<PoolFuture<'_>>> = Vec::new();
    let mut guards: Vec<PoolGuard<'_>> = Vec::new();

    for op in ops {
        match *op {
            PoolOp::Acquire | PoolOp::AcquireWrite => {
                let write = matches!(op, PoolOp::AcquireWrite);
                slots.push(Slot::new(pool.acquire(write)));
                model.acquire(model.tokens(write));
            }
            PoolOp::Wait => {
                slots.push(Slot::new(pool.wait()));
                if model.has_watch() {
                    model.watch();
                } else {
                    model.acquire(1);
                }
            }
            PoolOp::TryAcquire | PoolOp::TryAcquireWrite => {
                let write = matches!(op, PoolOp::TryAcquireWrite);
                let real = pool.try_acquire(write);
                assert_eq!(real.is_some(), model.try_acquire(model.tokens(write)));
                guards.extend(real);
            }
            PoolOp::Release | PoolOp::ReleaseWrite => {
                let write = matches!(op, PoolOp::ReleaseWrite);
                let n = model.tokens(write);
                assert_eq!(pool.release(write).is_ok(), model.manual_release(n));
            }
            PoolOp::Poll(i) => {
                if let Some(i) = pick(i, slots.len()) {
                    poll_pool(&mut slots, &mut guards, &mut model, i);
                }
            }
            PoolOp::PollAll => {
                for i in (0..slots.len()).rev() {
                    poll_pool(&mut slots, &mut guards, &mut model, i);
                }
            }
            PoolOp::Drop(i) => {
                if let Some(i) = pick(i, slots.len()) {
                    drop(slots.remove(i));
                    model.drop_future(i);
                }
            }
            PoolOp::Expire(i) => {
                if let Some(i) = pick(i, slots.len()) {
                    let real = slots.remove(i).future.expire(&clock);
                    let expected = model.expire(i);
                    assert_eq!(real.is_ok(), expected, "expired future #{i}");
                    if let Ok(guard) = real {
                        guards.extend(guard);
                    }
                }
            }
            PoolOp::DropGuard(i) => {
                if let Some(i) = pick(i, guards.len()) {
                    drop(guards.remove(i));
                    model.drop_guard(i);
                }
            }
            PoolOp::ForgetGuard(i) => {
                if let Some(i) = pick(i, guards.len()) {
                    guards.remove(i).forget();
                    model.forgotten += model.guards.remove(i);
                }
            }
        }
        model.check(&pool, &slots, guards.len());
    }

    // Tear down oldest first: every token held by a future or a guard comes back.
    while !slots.is_empty() {
        drop(slots.remove(0));
        model.drop_future(0);
        model.check(&pool, &slots, guards.len());
    }
    while !guards.is_empty() {
        drop(guards.remove(0));
        model.drop_guard(0);
        model.check(&pool, &slots, guards.len());
    }
}

proptest! {
    #![proptest_config(config(400))]

    /// Lock, Semaphore, BoundedSemaphore and RwLock against the token-pool model.
    #[test]
    fn token_pools_follow_the_model(
        kind in pool_kind(),
        ops in prop::collection::vec(pool_op(), 1..60),
    ) {
        run_pool(kind, &ops);
    }
}
