//! Property tests: every primitive against a sequential model of its rules.
//!
//! Each test draws a random sequence of operations: calls (`acquire`, `try_acquire`,
//! `release`, `notify`, `set`, `clear`, a barrier's `wait`, `put`, `get`, `put_nowait`,
//! `get_nowait`, `task_done`, `shutdown`, `send`, `recv`, ...), polls of pending futures,
//! drops of pending futures and expired deadlines (the pending future gets a zero deadline
//! on a mock clock and is polled once: it times out unless it was granted). After every
//! step the primitive is compared with the model: its counters (`counter`, `locked`,
//! `qsize`, `waiters`, `Debug`), which futures are ready, what came out, and which pending
//! futures were woken (every future polled while pending carries a waker that records its
//! wake-up: a granted future must have been woken, a queued one must not).
//!
//! The seed is fixed, so a run is deterministic; set `PROPTEST_RNG_SEED` to explore others.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use toro::queue::order::{Fifo, Lifo, Order, Priority};
use toro::{
    AsyncResult, AsyncResultGet, AsyncResultGetOrTryInit, Barrier, BarrierWait, Condition,
    ConditionWait, Event, EventWait, JoinableQueue, LifoQueue, LoopHandle, PriorityQueue, Queue,
    QueueGet, QueueJoin, QueuePut, QueueRecv, QueueSend, Timeout, TryRecvError, TrySendError,
    WaitFuture, WithDeadline,
};

mod support;
use support::{WakeCount, expired_clock, poll, poll_unpin, wake_counter};

// ---------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        rng_seed: match std::env::var("PROPTEST_RNG_SEED") {
            Ok(seed) => RngSeed::Fixed(seed.parse().expect("PROPTEST_RNG_SEED: a u64")),
            Err(_) => RngSeed::Fixed(0x7070),
        },
        ..Config::default()
    }
}

/// Polls a wait with an expired deadline once: it must resolve at that poll.
fn expire<F: WaitFuture>(mut timed: WithDeadline<F>) -> Result<F::Output, Timeout<F::Carried>> {
    match poll(&mut timed) {
        Poll::Ready(result) => result,
        Poll::Pending => panic!("a wait with an expired deadline stayed pending"),
    }
}

/// A future under test and the waker that records whether it was woken since its last
/// poll.
struct Slot<F> {
    future: F,
    count: Arc<WakeCount>,
    waker: Waker,
    /// `count` when the future was last polled.
    seen: usize,
    polled: bool,
}

impl<F> Slot<F> {
    fn new(future: F) -> Self {
        let (count, waker) = wake_counter();
        Slot {
            future,
            count,
            waker,
            seen: 0,
            polled: false,
        }
    }

    fn poll<T>(&mut self, poll: impl FnOnce(&mut F, &mut Context<'_>) -> Poll<T>) -> Poll<T> {
        self.seen = self.count.get();
        self.polled = true;
        poll(&mut self.future, &mut Context::from_waker(&self.waker))
    }

    fn woken(&self) -> bool {
        self.count.get() > self.seen
    }
}

/// Where a future stands in the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stand {
    /// Completed inside the call that made it (eager fast path).
    Ready,
    /// In line.
    Queued,
    /// Handed its token, item or wake-up; not yet polled.
    Granted,
}

/// A future polled while it was pending has a waker: it must have been woken exactly
/// when it was granted.
fn check_wakes<F>(slots: &[Slot<F>], stands: impl Iterator<Item = Stand>) {
    for (i, (slot, stand)) in slots.iter().zip(stands).enumerate() {
        if slot.polled && stand != Stand::Ready {
            assert_eq!(
                slot.woken(),
                stand == Stand::Granted,
                "future #{i} ({stand:?}) woken: {}",
                slot.woken()
            );
        }
    }
}

fn pick(index: usize, len: usize) -> Option<usize> {
    (len > 0).then(|| index % len)
}

// ---------------------------------------------------------------------------------------
// Token pools: Lock, Semaphore, BoundedSemaphore, RwLock (prop_models/pools/)
// ---------------------------------------------------------------------------------------

#[path = "prop_models/pools/mod.rs"]
mod pools;

// ---------------------------------------------------------------------------------------
// Condition, Event, AsyncResult: lines of signals
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum SignalOp {
    /// `wait()` / `get()`.
    Wait,
    /// `notify(n)` / `set()` / `set(value)`.
    Signal(usize),
    /// `notify_all()` / `clear()` / `get_nowait()`.
    Other,
    Poll(usize),
    Drop(usize),
    Expire(usize),
}

fn signal_op() -> impl Strategy<Value = SignalOp> {
    prop_oneof![
        4 => Just(SignalOp::Wait),
        2 => (0..3usize).prop_map(SignalOp::Signal),
        1 => Just(SignalOp::Other),
        3 => any::<usize>().prop_map(SignalOp::Poll),
        2 => any::<usize>().prop_map(SignalOp::Drop),
        2 => any::<usize>().prop_map(SignalOp::Expire),
    ]
}

/// A line of waiters and their stands, shared by the signal models.
#[derive(Default)]
struct SignalLine {
    /// `(id, stand, passes the wake-up on if dropped)`
    futures: Vec<(usize, Stand, bool)>,
    line: VecDeque<usize>,
    next_id: usize,
}

impl SignalLine {
    fn push(&mut self, stand: Stand) {
        let id = self.next_id;
        self.next_id += 1;
        self.futures.push((id, stand, false));
        if stand == Stand::Queued {
            self.line.push_back(id);
        }
    }

    fn grant_front(&mut self, pass_on: bool) -> bool {
        let Some(id) = self.line.pop_front() else {
            return false;
        };
        let fut = self.futures.iter_mut().find(|f| f.0 == id).unwrap();
        fut.1 = Stand::Granted;
        fut.2 = pass_on;
        true
    }

    fn grant_all(&mut self) {
        while self.grant_front(false) {}
    }

    /// Removes future `index`; returns its stand and pass-on flag.
    fn remove(&mut self, index: usize) -> (Stand, bool) {
        let (id, stand, pass_on) = self.futures.remove(index);
        if stand == Stand::Queued {
            self.line.retain(|&x| x != id);
        }
        (stand, pass_on)
    }

    fn stands(&self) -> impl Iterator<Item = Stand> + '_ {
        self.futures.iter().map(|f| f.1)
    }
}

fn run_condition(ops: &[SignalOp]) {
    let clock = expired_clock();
    let cond = Condition::new();
    let mut model = SignalLine::default();
    let mut slots: Vec<Slot<ConditionWait<'_>>> = Vec::new();

    for op in ops {
        match *op {
            SignalOp::Wait => {
                slots.push(Slot::new(cond.wait()));
                model.push(Stand::Queued);
            }
            SignalOp::Signal(n) => {
                cond.notify(n);
                for _ in 0..n {
                    model.grant_front(true);
                }
            }
            SignalOp::Other => {
                cond.notify_all();
                model.grant_all();
            }
            SignalOp::Poll(i) => {
                if let Some(i) = pick(i, slots.len()) {
                    let real = slots[i].poll(poll_unpin);
                    let granted = model.futures[i].1 == Stand::Granted;
                    assert_eq!(real.is_ready(), granted, "poll of waiter #{i}");
                    if granted {
                        slots.remove(i);
                        model.remove(i);
                    }
                }
            }
            SignalOp::Drop(i) => {
                if let Some(i) = pick(i, slots.len()) {
                    drop(slots.remove(i));
                    if let (Stand::Granted, true) = model.remove(i) {
                        // A `notify(n)` wake-up goes on to the next waiter.
                        model.grant_front(true);
                    }
                }
            }
            SignalOp::Expire(i) => {
                if let Some(i) = pick(i, slots.len()) {
                    let real = expire(slots.remove(i).future.deadline_on(&clock, Duration::ZERO));
                    let (stand, _) = model.remove(i);
                    assert_eq!(real.is_ok(), stand == Stand::Granted, "expired waiter #{i}");
                }
            }
        }
        assert_eq!(cond.waiters(), model.line.len());
        assert_eq!(
            format!("{cond:?}"),
            format!("Condition {{ waiters: {} }}", model.line.len())
        );
        check_wakes(&slots, model.stands());
    }
}

fn run_event(ops: &[SignalOp]) {
    let clock = expired_clock();
    let event = Event::new();
    let mut flag = false;
    let mut model = SignalLine::default();
    let mut slots: Vec<Slot<EventWait<'_>>> = Vec::new();

    for op in ops {
        match *op {
            SignalOp::Wait => {
                slots.push(Slot::new(event.wait()));
                model.push(if flag { Stand::Ready } else { Stand::Queued });
            }
            SignalOp::Signal(_) => {
                event.set();
                flag = true;
                model.grant_all();
            }
            SignalOp::Other => {
                event.clear();
                flag = false;
            }
            SignalOp::Poll(i) => {
                if let Some(i) = pick(i, slots.len()) {
                    let real = slots[i].poll(poll_unpin);
                    let done = model.futures[i].1 != Stand::Queued;
                    assert_eq!(real.is_ready(), done, "poll of waiter #{i}");
                    if done {
                        slots.remove(i);
                        model.remove(i);
                    }
                }
            }
            SignalOp::Drop(i) => {
                if let Some(i) = pick(i, slots.len()) {
                    drop(slots.remove(i));
                    model.remove(i);
                }
            }
            SignalOp::Expire(i) => {
                if let Some(i) = pick(i, slots.len()) {
                    let real = expire(slots.remove(i).future.deadline_on(&clock, Duration::ZERO));
                    let (stand, _) = model.remove(i);
                    assert_eq!(real.is_ok(), stand != Stand::Queued, "expired waiter #{i}");
                }
            }
        }
        assert_eq!(event.is_set(), flag);
        assert_eq!(event.waiters(), model.line.len());
        check_wakes(&slots, model.stands());
    }
}

// AsyncResult: `get()`s and `get_or_try_init`s against a model of the value, the readers'
// line, the turn to initialise and the initialisers' line.

#[derive(Clone, Copy, Debug, PartialEq)]
enum InitOutcome {
    Ok(usize),
    Err,
    Panic,
}

#[derive(Clone, Debug)]
enum ResultOp {
    /// `get()`.
    Get,
    /// `get_or_try_init(f)`: `f`'s future is pending at its first poll and resolves to
    /// the outcome at its second.
    Init(InitOutcome),
    /// `set(v)`.
    Set(usize),
    /// `get_nowait()`.
    GetNowait,
    Poll(usize),
    Drop(usize),
    Expire(usize),
}

fn result_op() -> impl Strategy<Value = ResultOp> {
    let outcome = prop_oneof![
        2 => (0..100usize).prop_map(InitOutcome::Ok),
        2 => Just(InitOutcome::Err),
        1 => Just(InitOutcome::Panic),
    ];
    prop_oneof![
        2 => Just(ResultOp::Get),
        4 => outcome.prop_map(ResultOp::Init),
        1 => (100..200usize).prop_map(ResultOp::Set),
        1 => Just(ResultOp::GetNowait),
        5 => any::<usize>().prop_map(ResultOp::Poll),
        2 => any::<usize>().prop_map(ResultOp::Drop),
        2 => any::<usize>().prop_map(ResultOp::Expire),
    ]
}

/// An initialiser's future: pending at its first poll (waking nobody: the model says who
/// is woken), then its outcome; [`InitOutcome::Panic`] panics.
struct InitFut(Option<InitOutcome>, bool);

impl std::future::Future for InitFut {
    type Output = Result<usize, ()>;

    fn poll(mut self: std::pin::Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Result<usize, ()>> {
        if !std::mem::replace(&mut self.1, true) {
            return Poll::Pending;
        }
        match self.0.take().expect("InitFut polled after it completed") {
            InitOutcome::Ok(v) => Poll::Ready(Ok(v)),
            InitOutcome::Err => Poll::Ready(Err(())),
            InitOutcome::Panic => panic!("an initialiser's f panics (as the model said)"),
        }
    }
}

type InitFn<'a> = Box<dyn FnOnce() -> InitFut + 'a>;

enum ResultFuture<'a> {
    Get(AsyncResultGet<'a, usize>),
    Init(AsyncResultGetOrTryInit<'a, usize, InitFn<'a>, InitFut>),
}

/// What a future of the result model resolved to.
#[derive(Debug, PartialEq)]
enum ResultOut {
    Value(usize),
    Failed,
    Panicked,
}

impl ResultFuture<'_> {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<ResultOut> {
        let polled = catch(|| match self {
            ResultFuture::Get(f) => poll_unpin(f, cx).map(|v| Ok(*v)),
            ResultFuture::Init(f) => poll_unpin(f, cx).map(|r| r.copied()),
        });
        match polled {
            Ok(Poll::Ready(Ok(v))) => Poll::Ready(ResultOut::Value(v)),
            Ok(Poll::Ready(Err(()))) => Poll::Ready(ResultOut::Failed),
            Ok(Poll::Pending) => Poll::Pending,
            Err(()) => Poll::Ready(ResultOut::Panicked),
        }
    }

    /// Polled once with an expired deadline: `None` if it timed out.
    fn expire(self, clock: &LoopHandle) -> Option<ResultOut> {
        let zero = Duration::ZERO;
        let out = match self {
            ResultFuture::Get(f) => match expire(f.deadline_on(clock, zero)) {
                Ok(v) => Ok(Ok(*v)),
                Err(_) => return None,
            },
            ResultFuture::Init(f) => {
                let mut timed = f.deadline_on(clock, zero);
                match catch(|| poll(&mut timed)) {
                    Ok(Poll::Ready(Ok(r))) => Ok(r.copied()),
                    Ok(Poll::Ready(Err(_))) => return None,
                    Ok(Poll::Pending) => panic!("a wait with an expired deadline stayed pending"),
                    Err(()) => Err(()),
                }
            }
        };
        Some(match out {
            Ok(Ok(v)) => ResultOut::Value(v),
            Ok(Err(())) => ResultOut::Failed,
            Err(()) => ResultOut::Panicked,
        })
    }
}

/// Where a future of the result model stands.
#[derive(Clone, Copy, Debug, PartialEq)]
enum ResultStand {
    /// The value is there for it.
    Value,
    /// In the readers' or the initialisers' line.
    Queued,
    /// An initialiser holding the turn; `called`: its `f` has been called.
    Turn { called: bool },
}

#[derive(Debug)]
struct ResultModelFuture {
    id: usize,
    /// `None` for a `get()`.
    init: Option<InitOutcome>,
    stand: ResultStand,
    /// Granted (the value or the turn) since it was last polled: it must have been woken.
    owed_wake: bool,
}

#[derive(Default)]
struct ResultModel {
    value: Option<usize>,
    futures: Vec<ResultModelFuture>,
    readers: VecDeque<usize>,
    initialisers: VecDeque<usize>,
    turn_taken: bool,
    next_id: usize,
    /// The ids whose `f` was called, in order.
    called: Vec<usize>,
}

impl ResultModel {
    fn push(&mut self, init: Option<InitOutcome>) -> usize {
        let id = self.next_id;
        self.next_id += 1;
        let stand = if self.value.is_some() {
            ResultStand::Value
        } else if init.is_none() {
            self.readers.push_back(id);
            ResultStand::Queued
        } else if !self.turn_taken {
            self.turn_taken = true;
            ResultStand::Turn { called: false }
        } else {
            self.initialisers.push_back(id);
            ResultStand::Queued
        };
        self.futures.push(ResultModelFuture {
            id,
            init,
            stand,
            owed_wake: false,
        });
        id
    }

    fn find(&mut self, id: usize) -> &mut ResultModelFuture {
        self.futures.iter_mut().find(|f| f.id == id).unwrap()
    }

    /// A value is stored: every waiter in line gets it.
    fn store(&mut self, v: usize) {
        self.value = Some(v);
        self.turn_taken = false;
        let released: Vec<usize> = self
            .readers
            .drain(..)
            .chain(self.initialisers.drain(..))
            .collect();
        for id in released {
            let f = self.find(id);
            f.stand = ResultStand::Value;
            f.owed_wake = true;
        }
    }

    /// The turn holder gives the turn up.
    fn pass_turn(&mut self) {
        if self.value.is_some() {
            return;
        }
        match self.initialisers.pop_front() {
            Some(id) => {
                let f = self.find(id);
                f.stand = ResultStand::Turn { called: false };
                f.owed_wake = true;
            }
            None => self.turn_taken = false,
        }
    }

    /// Future `index` is polled: what it resolves to, if it does (then it is gone).
    fn poll(&mut self, index: usize) -> Option<ResultOut> {
        self.futures[index].owed_wake = false;
        let f = &self.futures[index];
        let (id, init) = (f.id, f.init);
        let out = match f.stand {
            ResultStand::Queued => return None,
            ResultStand::Value => ResultOut::Value(self.value.unwrap()),
            ResultStand::Turn { called: false } => match self.value {
                Some(v) => ResultOut::Value(v),
                None => {
                    self.called.push(id);
                    self.futures[index].stand = ResultStand::Turn { called: true };
                    return None;
                }
            },
            ResultStand::Turn { called: true } => match init.unwrap() {
                InitOutcome::Ok(v) => {
                    if self.value.is_none() {
                        self.store(v);
                    }
                    ResultOut::Value(self.value.unwrap())
                }
                InitOutcome::Err => {
                    self.pass_turn();
                    ResultOut::Failed
                }
                InitOutcome::Panic => {
                    self.pass_turn();
                    ResultOut::Panicked
                }
            },
        };
        self.futures.remove(index);
        Some(out)
    }

    /// Future `index` is dropped.
    fn drop_future(&mut self, index: usize) {
        let f = self.futures.remove(index);
        match f.stand {
            ResultStand::Queued => {
                self.readers.retain(|&id| id != f.id);
                self.initialisers.retain(|&id| id != f.id);
            }
            ResultStand::Turn { .. } => self.pass_turn(),
            ResultStand::Value => {}
        }
    }

    /// Future `index` is polled once with an expired deadline: what it resolves to, or
    /// `None` if it timed out (and left).
    fn expire(&mut self, index: usize) -> Option<ResultOut> {
        let out = self.poll(index);
        if out.is_none() {
            self.drop_future(index);
        }
        out
    }
}

fn run_async_result(ops: &[ResultOp]) {
    let clock = expired_clock();
    let result = AsyncResult::new();
    let calls = std::cell::RefCell::new(Vec::new());
    let mut model = ResultModel::default();
    let mut slots: Vec<Slot<ResultFuture<'_>>> = Vec::new();

    for op in ops {
        match *op {
            ResultOp::Get => {
                slots.push(Slot::new(ResultFuture::Get(result.get())));
                model.push(None);
            }
            ResultOp::Init(outcome) => {
                let id = model.next_id;
                let calls = &calls;
                let f: InitFn<'_> = Box::new(move || {
                    calls.borrow_mut().push(id);
                    InitFut(Some(outcome), false)
                });
                slots.push(Slot::new(ResultFuture::Init(result.get_or_try_init(f))));
                model.push(Some(outcome));
            }
            ResultOp::Set(v) => match model.value {
                None => {
                    assert!(result.set(v).is_ok());
                    model.store(v);
                }
                Some(_) => assert_eq!(result.set(v).unwrap_err().into_inner(), v),
            },
            ResultOp::GetNowait => assert_eq!(result.get_nowait().ok(), model.value.as_ref()),
            ResultOp::Poll(i) => {
                if let Some(i) = pick(i, slots.len()) {
                    let real = slots[i].poll(ResultFuture::poll);
                    let expected = model.poll(i);
                    match expected {
                        None => assert!(real.is_pending(), "poll of future #{i}"),
                        Some(out) => {
                            assert_eq!(real, Poll::Ready(out), "poll of future #{i}");
                            slots.remove(i);
                        }
                    }
                }
            }
            ResultOp::Drop(i) => {
                if let Some(i) = pick(i, slots.len()) {
                    drop(slots.remove(i));
                    model.drop_future(i);
                }
            }
            ResultOp::Expire(i) => {
                if let Some(i) = pick(i, slots.len()) {
                    let real = slots.remove(i).future.expire(&clock);
                    assert_eq!(real, model.expire(i), "expired future #{i}");
                }
            }
        }
        assert_eq!(result.ready(), model.value.is_some());
        let waiters = model.readers.len() + model.initialisers.len();
        assert_eq!(result.waiters(), waiters);
        if model.value.is_none() {
            assert_eq!(
                format!("{result:?}"),
                format!(
                    "AsyncResult {{ value: <unset>, initialising: {}, waiters: {waiters} }}",
                    model.turn_taken
                )
            );
        }
        assert_eq!(
            *calls.borrow(),
            model.called,
            "the initialisers whose f was called"
        );
        for (i, (slot, f)) in slots.iter().zip(&model.futures).enumerate() {
            if slot.polled {
                assert_eq!(slot.woken(), f.owed_wake, "future #{i} ({f:?}) woken");
            }
        }
    }
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn condition_follows_the_model(ops in prop::collection::vec(signal_op(), 1..60)) {
        run_condition(&ops);
    }

    #[test]
    fn event_follows_the_model(ops in prop::collection::vec(signal_op(), 1..60)) {
        run_event(&ops);
    }

    /// `get()`, `get_or_try_init` (`f` succeeding, failing or panicking), `set`, drops and
    /// expired deadlines against the model of the value, the turn and the two lines.
    #[test]
    fn async_result_follows_the_model(ops in prop::collection::vec(result_op(), 1..60)) {
        run_async_result(&ops);
    }
}

// ---------------------------------------------------------------------------------------
// Barrier: rounds of n arrivals, withdrawn ones not counted
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum BarrierOp {
    Wait,
    Poll(usize),
    Drop(usize),
    Expire(usize),
}

fn barrier_op() -> impl Strategy<Value = BarrierOp> {
    prop_oneof![
        5 => Just(BarrierOp::Wait),
        3 => any::<usize>().prop_map(BarrierOp::Poll),
        2 => any::<usize>().prop_map(BarrierOp::Drop),
        2 => any::<usize>().prop_map(BarrierOp::Expire),
    ]
}

/// The sequential model of a barrier: the line holds the live arrivals of the current
/// round; the `n`-th arrival leads (`Stand::Ready`: the one leader of its round) and
/// releases the line (`Granted`, as followers, each woken); a wait dropped or expired in
/// line leaves it and no longer counts, one released stays released.
fn run_barrier(n: usize, ops: &[BarrierOp]) {
    let clock = expired_clock();
    let barrier = Barrier::new(n);
    let n = n.max(1);
    let mut model = SignalLine::default();
    let mut slots: Vec<Slot<BarrierWait<'_>>> = Vec::new();

    for op in ops {
        match *op {
            BarrierOp::Wait => {
                slots.push(Slot::new(barrier.wait()));
                if model.line.len() + 1 == n {
                    model.grant_all();
                    model.push(Stand::Ready);
                } else {
                    model.push(Stand::Queued);
                }
            }
            BarrierOp::Poll(i) => {
                if let Some(i) = pick(i, slots.len()) {
                    let real = slots[i].poll(poll_unpin);
                    match model.futures[i].1 {
                        Stand::Queued => assert!(real.is_pending(), "poll of waiter #{i}"),
                        stand => {
                            let Poll::Ready(result) = real else {
                                panic!("waiter #{i} ({stand:?}) still pending")
                            };
                            assert_eq!(result.is_leader(), stand == Stand::Ready, "#{i}");
                            slots.remove(i);
                            model.remove(i);
                        }
                    }
                }
            }
            BarrierOp::Drop(i) => {
                if let Some(i) = pick(i, slots.len()) {
                    drop(slots.remove(i));
                    model.remove(i);
                }
            }
            BarrierOp::Expire(i) => {
                if let Some(i) = pick(i, slots.len()) {
                    let real = expire(slots.remove(i).future.deadline_on(&clock, Duration::ZERO));
                    match model.remove(i).0 {
                        Stand::Queued => assert!(real.is_err(), "expired waiter #{i}"),
                        stand => assert_eq!(
                            real.map(|r| r.is_leader()),
                            Ok(stand == Stand::Ready),
                            "expired waiter #{i}, released before its deadline"
                        ),
                    }
                }
            }
        }
        let arrived = model.line.len();
        assert!(
            arrived < n,
            "{arrived} arrivals in line of a barrier of {n}"
        );
        assert_eq!(barrier.waiters(), arrived);
        assert_eq!(
            format!("{barrier:?}"),
            format!("Barrier {{ n: {n}, arrived: {arrived}, waiters: {arrived} }}")
        );
        check_wakes(&slots, model.stands());
    }
}

proptest! {
    #![proptest_config(config(300))]

    #[test]
    fn barrier_follows_the_model(
        n in 0..5usize,
        ops in prop::collection::vec(barrier_op(), 1..80),
    ) {
        run_barrier(n, &ops);
    }
}

// ---------------------------------------------------------------------------------------
// Queues: Queue, LifoQueue, PriorityQueue, JoinableQueue
// ---------------------------------------------------------------------------------------

/// A queue item: ordered by `prio` alone (so a priority queue meets equal items), known
/// by its unique `id`.
#[derive(Clone, Copy, Debug)]
struct Job {
    prio: u8,
    id: u32,
}

impl PartialEq for Job {
    fn eq(&self, other: &Self) -> bool {
        self.prio == other.prio
    }
}

impl Eq for Job {}

impl PartialOrd for Job {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Job {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.prio.cmp(&other.prio)
    }
}

fn ids(jobs: impl IntoIterator<Item = Job>) -> Vec<u32> {
    jobs.into_iter().map(|j| j.id).collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum QueueKind {
    Fifo,
    Lifo,
    Priority,
    Joinable,
}

#[derive(Clone, Debug)]
enum QueueOp {
    /// `put(item)` with this priority.
    Put(u8),
    PutNowait(u8),
    /// `send(item)`, `try_send(item)`: the shutdown-aware forms.
    Send(u8),
    TrySend(u8),
    Get,
    GetNowait,
    Recv,
    TryRecv,
    TaskDone,
    Join,
    Shutdown,
    ShutdownImmediate,
    Poll(usize),
    PollAll,
    Drop(usize),
    Expire(usize),
}

fn queue_op() -> impl Strategy<Value = QueueOp> {
    prop_oneof![
        4 => (0..3u8).prop_map(QueueOp::Put),
        2 => (0..3u8).prop_map(QueueOp::PutNowait),
        2 => (0..3u8).prop_map(QueueOp::Send),
        1 => (0..3u8).prop_map(QueueOp::TrySend),
        4 => Just(QueueOp::Get),
        2 => Just(QueueOp::GetNowait),
        2 => Just(QueueOp::Recv),
        1 => Just(QueueOp::TryRecv),
        2 => Just(QueueOp::TaskDone),
        1 => Just(QueueOp::Join),
        1 => Just(QueueOp::Shutdown),
        1 => Just(QueueOp::ShutdownImmediate),
        3 => any::<usize>().prop_map(QueueOp::Poll),
        1 => Just(QueueOp::PollAll),
        2 => any::<usize>().prop_map(QueueOp::Drop),
        2 => any::<usize>().prop_map(QueueOp::Expire),
    ]
}

/// The calls a queue harness needs, over the four queue types.
trait QueueApi {
    type O: Order<Job>;
    const KIND: QueueKind;
    fn make(maxsize: usize) -> Self;
    fn put(&self, job: Job) -> QueuePut<'_, Job, Self::O>;
    fn put_nowait(&self, job: Job) -> Result<(), Job>;
    fn send(&self, job: Job) -> QueueSend<'_, Job, Self::O>;
    fn try_send(&self, job: Job) -> Result<(), TrySendError<Job>>;
    fn get(&self) -> QueueGet<'_, Job, Self::O>;
    fn get_nowait(&self) -> Option<Job>;
    fn recv(&self) -> QueueRecv<'_, Job, Self::O>;
    fn try_recv(&self) -> Result<Job, TryRecvError>;
    fn shutdown(&self);
    fn shutdown_immediate(&self) -> Vec<Job>;
    fn is_shutdown(&self) -> bool;
    fn qsize(&self) -> usize;
    fn empty(&self) -> bool;
    fn full(&self) -> bool;
    fn debug(&self) -> String;
    fn joinable(&self) -> Option<&JoinableQueue<Job>> {
        None
    }
}

macro_rules! queue_api {
    ($ty:ident, $order:ident, $kind:ident $(, $joinable:ident)?) => {
        impl QueueApi for $ty<Job> {
            type O = $order<Job>;
            const KIND: QueueKind = QueueKind::$kind;
            fn make(maxsize: usize) -> Self {
                $ty::new(maxsize)
            }
            fn put(&self, job: Job) -> QueuePut<'_, Job, Self::O> {
                $ty::put(self, job)
            }
            fn put_nowait(&self, job: Job) -> Result<(), Job> {
                $ty::put_nowait(self, job).map_err(|full| full.into_inner())
            }
            fn send(&self, job: Job) -> QueueSend<'_, Job, Self::O> {
                $ty::send(self, job)
            }
            fn try_send(&self, job: Job) -> Result<(), TrySendError<Job>> {
                $ty::try_send(self, job)
            }
            fn get(&self) -> QueueGet<'_, Job, Self::O> {
                $ty::get(self)
            }
            fn get_nowait(&self) -> Option<Job> {
                $ty::get_nowait(self).ok()
            }
            fn recv(&self) -> QueueRecv<'_, Job, Self::O> {
                $ty::recv(self)
            }
            fn try_recv(&self) -> Result<Job, TryRecvError> {
                $ty::try_recv(self)
            }
            fn shutdown(&self) {
                $ty::shutdown(self)
            }
            fn shutdown_immediate(&self) -> Vec<Job> {
                $ty::shutdown_immediate(self)
            }
            fn is_shutdown(&self) -> bool {
                $ty::is_shutdown(self)
            }
            fn qsize(&self) -> usize {
                $ty::qsize(self)
            }
            fn empty(&self) -> bool {
                $ty::empty(self)
            }
            fn full(&self) -> bool {
                $ty::full(self)
            }
            fn debug(&self) -> String {
                format!("{self:?}")
            }
            $(
                fn $joinable(&self) -> Option<&JoinableQueue<Job>> {
                    Some(self)
                }
            )?
        }
    };
}

queue_api!(Queue, Fifo, Fifo);
queue_api!(LifoQueue, Lifo, Lifo);
queue_api!(PriorityQueue, Priority, Priority);
queue_api!(JoinableQueue, Fifo, Joinable, joinable);

enum QueueFuture<'a, O: Order<Job> + 'a> {
    Get(QueueGet<'a, Job, O>),
    Put(QueuePut<'a, Job, O>),
    Recv(QueueRecv<'a, Job, O>),
    Send(QueueSend<'a, Job, O>),
    Join(QueueJoin<'a, Job>),
}

/// What a queue future gives when it completes.
#[derive(Debug, PartialEq)]
enum Out {
    /// The item of a get or recv.
    Item(u32),
    /// A put or send delivered its item; a join ended.
    Done,
    /// A send was refused by a shutdown: its item came back.
    Refused(u32),
    /// A recv ended by a shutdown.
    Ended,
    /// A plain get or put ended by a shutdown panicked (documented).
    Panicked,
}

fn catch<T>(f: impl FnOnce() -> T) -> Result<T, ()> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|_| ())
}

impl<'a, O: Order<Job> + 'a> QueueFuture<'a, O> {
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Out> {
        let polled = catch(|| match self {
            QueueFuture::Get(f) => poll_unpin(f, cx).map(|j| Out::Item(j.id)),
            QueueFuture::Put(f) => poll_unpin(f, cx).map(|()| Out::Done),
            QueueFuture::Recv(f) => poll_unpin(f, cx).map(recv_out),
            QueueFuture::Send(f) => poll_unpin(f, cx).map(send_out),
            QueueFuture::Join(f) => poll_unpin(f, cx).map(|()| Out::Done),
        });
        polled.unwrap_or(Poll::Ready(Out::Panicked))
    }

    /// `Ok(output)`, or `Err(item carried back)` (`None` for waits that carry nothing).
    fn expire(self, clock: &LoopHandle) -> Result<Out, Option<u32>> {
        let zero = Duration::ZERO;
        let expired = catch(|| match self {
            QueueFuture::Get(f) => expire(f.deadline_on(clock, zero))
                .map(|j| Out::Item(j.id))
                .map_err(|_| None),
            QueueFuture::Put(f) => expire(f.deadline_on(clock, zero))
                .map(|()| Out::Done)
                .map_err(|t| Some(t.into_inner().id)),
            QueueFuture::Recv(f) => expire(f.deadline_on(clock, zero))
                .map(recv_out)
                .map_err(|_| None),
            QueueFuture::Send(f) => expire(f.deadline_on(clock, zero))
                .map(send_out)
                .map_err(|t| Some(t.into_inner().id)),
            QueueFuture::Join(f) => expire(f.deadline_on(clock, zero))
                .map(|()| Out::Done)
                .map_err(|_| None),
        });
        expired.unwrap_or(Ok(Out::Panicked))
    }
}

fn recv_out(r: Result<Job, toro::Shutdown>) -> Out {
    r.map_or(Out::Ended, |j| Out::Item(j.id))
}

fn send_out(r: Result<(), toro::Shutdown<Job>>) -> Out {
    r.map_or_else(
        |refused| Out::Refused(refused.into_inner().id),
        |()| Out::Done,
    )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Getter,
    Putter,
    Joiner,
}

#[derive(Clone)]
struct QueueFutureModel {
    id: usize,
    role: Role,
    /// `get`/`put` (panic when a shutdown ends them) rather than `recv`/`send`.
    plain: bool,
    stand: Stand,
    /// A getter's item once it has one (none if a shutdown ended it); a blocked putter's
    /// item (still there if a shutdown refused it).
    item: Option<(u64, Job)>,
}

/// toro's queue engine: FIFO hand-off to getters, blocked putters admitted by gets, items
/// given back to their place, asyncio's shutdown, nothing lost.
struct QueueModel {
    kind: QueueKind,
    maxsize: usize,
    /// Next out first, each item with its arrival stamp.
    buffer: VecDeque<(u64, Job)>,
    next_stamp: u64,
    getters: VecDeque<usize>,
    putters: VecDeque<usize>,
    joiners: Vec<usize>,
    unfinished: usize,
    shutdown: bool,
    futures: Vec<QueueFutureModel>,
    next_id: usize,
}

impl QueueModel {
    fn new(kind: QueueKind, maxsize: usize) -> Self {
        QueueModel {
            kind,
            maxsize,
            buffer: VecDeque::new(),
            next_stamp: 0,
            getters: VecDeque::new(),
            putters: VecDeque::new(),
            joiners: Vec::new(),
            unfinished: 0,
            shutdown: false,
            futures: Vec::new(),
            next_id: 0,
        }
    }

    fn future(&mut self, id: usize) -> &mut QueueFutureModel {
        self.futures.iter_mut().find(|f| f.id == id).unwrap()
    }

    fn push_future(
        &mut self,
        role: Role,
        plain: bool,
        stand: Stand,
        item: Option<(u64, Job)>,
    ) -> usize {
        let id = self.next_id;
        self.next_id += 1;
        self.futures.push(QueueFutureModel {
            id,
            role,
            plain,
            stand,
            item,
        });
        id
    }

    fn stamp(&mut self) -> u64 {
        self.next_stamp += 1;
        self.next_stamp
    }

    /// Whether `a` comes out before `b` in the queue's order.
    fn before(&self, a: &(u64, Job), b: &(u64, Job)) -> bool {
        match self.kind {
            QueueKind::Fifo | QueueKind::Joinable => a.0 < b.0,
            QueueKind::Lifo => a.0 > b.0,
            QueueKind::Priority => (a.1.prio, a.0) < (b.1.prio, b.0),
        }
    }

    /// An item goes into the buffer where its stamp places it in the queue's order: a
    /// new one (the newest stamp), or one given back by a dropped getter (its own).
    fn insert(&mut self, entry: (u64, Job)) {
        let at = self.buffer.partition_point(|x| self.before(x, &entry));
        self.buffer.insert(at, entry);
    }

    /// An item enters the buffer.
    fn push(&mut self, job: Job) {
        self.unfinished += 1;
        let stamp = self.stamp();
        self.insert((stamp, job));
    }

    fn offer(&mut self, job: Job) -> Result<(), TrySendError<Job>> {
        if self.shutdown {
            Err(TrySendError::Shutdown(job))
        } else if let Some(id) = self.getters.pop_front() {
            self.unfinished += 1;
            let stamp = self.stamp();
            let getter = self.future(id);
            getter.item = Some((stamp, job));
            getter.stand = Stand::Granted;
            Ok(())
        } else if self.maxsize != 0 && self.buffer.len() >= self.maxsize {
            Err(TrySendError::Full(job))
        } else {
            self.push(job);
            Ok(())
        }
    }

    fn take(&mut self) -> Option<(u64, Job)> {
        if let Some(&id) = self.putters.front() {
            // Over-full only after a dropped getter gave its item back: no slot to free.
            if self.buffer.len() <= self.maxsize {
                self.putters.pop_front();
                let putter = self.future(id);
                putter.stand = Stand::Granted;
                let (_, job) = putter.item.take().unwrap();
                self.push(job);
            }
        }
        self.buffer.pop_front()
    }

    fn try_recv(&mut self) -> Result<Job, TryRecvError> {
        match self.take() {
            Some((_, job)) => Ok(job),
            None if self.shutdown => Err(TryRecvError::Shutdown),
            None => Err(TryRecvError::Empty),
        }
    }

    /// An item handed to a getter that was dropped: to the next getter, or back to its
    /// place in the buffer. Already counted as unfinished.
    fn give_back(&mut self, entry: (u64, Job)) {
        match self.getters.pop_front() {
            Some(id) => {
                let getter = self.future(id);
                getter.item = Some(entry);
                getter.stand = Stand::Granted;
            }
            None => self.insert(entry),
        }
    }

    fn put(&mut self, job: Job, plain: bool) {
        match self.offer(job) {
            Ok(()) => {
                self.push_future(Role::Putter, plain, Stand::Ready, None);
            }
            Err(TrySendError::Shutdown(job)) => {
                self.push_future(Role::Putter, plain, Stand::Ready, Some((0, job)));
            }
            Err(TrySendError::Full(job)) => {
                let id = self.push_future(Role::Putter, plain, Stand::Queued, Some((0, job)));
                self.putters.push_back(id);
            }
        }
    }

    fn get(&mut self, plain: bool) {
        match self.take() {
            Some(entry) => {
                self.push_future(Role::Getter, plain, Stand::Ready, Some(entry));
            }
            None if self.shutdown => {
                self.push_future(Role::Getter, plain, Stand::Ready, None);
            }
            None => {
                let id = self.push_future(Role::Getter, plain, Stand::Queued, None);
                self.getters.push_back(id);
            }
        }
    }

    fn task_done(&mut self) -> bool {
        if self.unfinished == 0 {
            return false;
        }
        self.unfinished -= 1;
        if self.unfinished == 0 {
            self.release_joiners();
        }
        true
    }

    fn release_joiners(&mut self) {
        for id in std::mem::take(&mut self.joiners) {
            self.future(id).stand = Stand::Granted;
        }
    }

    fn join(&mut self) {
        if self.unfinished == 0 {
            self.push_future(Role::Joiner, true, Stand::Ready, None);
        } else {
            let id = self.push_future(Role::Joiner, true, Stand::Queued, None);
            self.joiners.push(id);
        }
    }

    /// asyncio's `shutdown(immediate)`: every getter ends, every putter is refused; with
    /// `immediate`, the buffer is drained (next out first) and no longer counts as tasks.
    fn shutdown(&mut self, immediate: bool) -> Vec<Job> {
        self.shutdown = true;
        for id in std::mem::take(&mut self.getters) {
            self.future(id).stand = Stand::Granted;
        }
        for id in std::mem::take(&mut self.putters) {
            self.future(id).stand = Stand::Granted;
        }
        if !immediate {
            return Vec::new();
        }
        let drained: Vec<Job> = self.buffer.drain(..).map(|(_, j)| j).collect();
        self.unfinished = self.unfinished.saturating_sub(drained.len());
        if self.unfinished == 0 {
            self.release_joiners();
        }
        drained
    }

    /// Removes future `index`, leaving its line if it is queued.
    fn remove(&mut self, index: usize) -> QueueFutureModel {
        let fut = self.futures.remove(index);
        if fut.stand == Stand::Queued {
            let id = fut.id;
            match fut.role {
                Role::Getter => self.getters.retain(|&x| x != id),
                Role::Putter => self.putters.retain(|&x| x != id),
                Role::Joiner => self.joiners.retain(|&x| x != id),
            }
        }
        fut
    }

    fn output(fut: &QueueFutureModel) -> Out {
        match (fut.role, fut.item) {
            (Role::Getter, Some((_, job))) => Out::Item(job.id),
            (Role::Getter, None) if fut.plain => Out::Panicked,
            (Role::Getter, None) => Out::Ended,
            (Role::Putter, Some(_)) if fut.plain => Out::Panicked,
            (Role::Putter, Some((_, job))) => Out::Refused(job.id),
            (Role::Putter, None) | (Role::Joiner, _) => Out::Done,
        }
    }

    fn poll(&mut self, index: usize) -> Option<Out> {
        if self.futures[index].stand == Stand::Queued {
            return None;
        }
        let fut = self.remove(index);
        Some(Self::output(&fut))
    }

    /// Drops future `index`; returns the item it dropped with it (a blocked or refused
    /// putter's).
    fn drop_future(&mut self, index: usize) -> Option<Job> {
        let fut = self.remove(index);
        match (fut.role, fut.stand) {
            // A getter that holds an item, whether it took it at the call or was handed
            // it later, gives it back (nothing is lost).
            (Role::Getter, Stand::Ready | Stand::Granted) => {
                if let Some(entry) = fut.item {
                    self.give_back(entry);
                }
                None
            }
            // Documented: dropping a blocked (or refused) put drops its item.
            (Role::Putter, _) => fut.item.map(|(_, j)| j),
            _ => None,
        }
    }

    fn expire(&mut self, index: usize) -> Result<Out, Option<u32>> {
        let fut = self.remove(index);
        match fut.stand {
            Stand::Queued => Err(fut.item.map(|(_, j)| j.id)),
            Stand::Ready | Stand::Granted => Ok(Self::output(&fut)),
        }
    }

    fn debug(&self) -> String {
        let name = match self.kind {
            QueueKind::Fifo => "Queue",
            QueueKind::Lifo => "LifoQueue",
            QueueKind::Priority => "PriorityQueue",
            QueueKind::Joinable => "JoinableQueue",
        };
        let tasks = match self.kind {
            QueueKind::Joinable => format!(", tasks: {}", self.unfinished),
            _ => String::new(),
        };
        format!(
            "{name} {{ maxsize: {}, qsize: {}, getters: {}, putters: {}{tasks}, shutdown: {} }}",
            self.maxsize,
            self.buffer.len(),
            self.getters.len(),
            self.putters.len(),
            self.shutdown,
        )
    }
}

/// Where every item went, to check that none is lost or duplicated.
#[derive(Default)]
struct Ledger {
    issued: BTreeSet<u32>,
    out: Vec<u32>,
}

impl Ledger {
    fn settle(self) {
        let out: BTreeSet<u32> = self.out.iter().copied().collect();
        assert_eq!(out.len(), self.out.len(), "an item came out twice");
        assert_eq!(out, self.issued, "items lost");
    }
}

fn run_queue<Q: QueueApi>(maxsize: usize, ops: &[QueueOp]) {
    let clock = expired_clock();
    let queue = Q::make(maxsize);
    let mut model = QueueModel::new(Q::KIND, maxsize);
    let mut slots: Vec<Slot<QueueFuture<'_, Q::O>>> = Vec::new();
    let mut ledger = Ledger::default();
    let mut next_item = 0u32;
    let mut new_job = |prio: u8, ledger: &mut Ledger| {
        next_item += 1;
        ledger.issued.insert(next_item);
        Job {
            prio,
            id: next_item,
        }
    };

    // A future that completed or was dropped: which item left the queue with it. A plain
    // put that panicked on a shut-down queue dropped its item (documented).
    let settle = |fut: &QueueFutureModel, out: &Out, ledger: &mut Ledger| match out {
        Out::Item(id) | Out::Refused(id) => ledger.out.push(*id),
        Out::Panicked if fut.role == Role::Putter => ledger.out.push(fut.item.unwrap().1.id),
        _ => {}
    };

    let poll = |slots: &mut Vec<Slot<QueueFuture<'_, Q::O>>>,
                model: &mut QueueModel,
                ledger: &mut Ledger,
                i: usize| {
        let real = slots[i].poll(|f, cx| f.poll(cx));
        let held = model.futures[i].clone();
        let expected = model.poll(i);
        match real {
            Poll::Ready(out) => {
                assert_eq!(Some(&out), expected.as_ref(), "poll of future #{i}");
                slots.remove(i);
                settle(&held, &out, ledger);
            }
            Poll::Pending => assert_eq!(expected, None, "poll of future #{i}"),
        }
    };

    for op in ops {
        match *op {
            QueueOp::Put(prio) => {
                let job = new_job(prio, &mut ledger);
                slots.push(Slot::new(QueueFuture::Put(queue.put(job))));
                model.put(job, true);
            }
            QueueOp::Send(prio) => {
                let job = new_job(prio, &mut ledger);
                slots.push(Slot::new(QueueFuture::Send(queue.send(job))));
                model.put(job, false);
            }
            QueueOp::PutNowait(prio) => {
                let job = new_job(prio, &mut ledger);
                let expected = model.offer(job).map_err(|e| e.into_inner().id);
                if model.shutdown {
                    assert!(
                        catch(|| queue.put_nowait(job)).is_err(),
                        "put_nowait panics"
                    );
                    ledger.out.push(job.id);
                } else {
                    let real = queue.put_nowait(job).map_err(|j| j.id);
                    assert_eq!(real, expected);
                    if let Err(id) = real {
                        ledger.out.push(id);
                    }
                }
            }
            QueueOp::TrySend(prio) => {
                let job = new_job(prio, &mut ledger);
                let real = queue.try_send(job);
                let expected = model.offer(job);
                assert_eq!(real.is_ok(), expected.is_ok());
                assert_eq!(
                    real.as_ref()
                        .err()
                        .map(|e| (e.is_shutdown(), e.to_string())),
                    expected
                        .as_ref()
                        .err()
                        .map(|e| (e.is_shutdown(), e.to_string())),
                );
                if let Err(e) = real {
                    ledger.out.push(e.into_inner().id);
                }
            }
            QueueOp::Get => {
                slots.push(Slot::new(QueueFuture::Get(queue.get())));
                model.get(true);
            }
            QueueOp::Recv => {
                slots.push(Slot::new(QueueFuture::Recv(queue.recv())));
                model.get(false);
            }
            QueueOp::GetNowait => {
                let real = queue.get_nowait().map(|j| j.id);
                assert_eq!(real, model.take().map(|(_, j)| j.id), "get_nowait");
                ledger.out.extend(real);
            }
            QueueOp::TryRecv => {
                let real = queue.try_recv().map(|j| j.id);
                assert_eq!(real, model.try_recv().map(|j| j.id), "try_recv");
                ledger.out.extend(real);
            }
            QueueOp::TaskDone => {
                if let Some(q) = queue.joinable() {
                    assert_eq!(q.task_done().is_ok(), model.task_done());
                }
            }
            QueueOp::Join => {
                if let Some(q) = queue.joinable() {
                    slots.push(Slot::new(QueueFuture::Join(q.join())));
                    model.join();
                }
            }
            QueueOp::Shutdown => {
                queue.shutdown();
                model.shutdown(false);
            }
            QueueOp::ShutdownImmediate => {
                let real = ids(queue.shutdown_immediate());
                assert_eq!(real, ids(model.shutdown(true)), "shutdown_immediate");
                ledger.out.extend(real);
            }
            QueueOp::Poll(i) => {
                if let Some(i) = pick(i, slots.len()) {
                    poll(&mut slots, &mut model, &mut ledger, i);
                }
            }
            QueueOp::PollAll => {
                for i in (0..slots.len()).rev() {
                    poll(&mut slots, &mut model, &mut ledger, i);
                }
            }
            QueueOp::Drop(i) => {
                if let Some(i) = pick(i, slots.len()) {
                    drop(slots.remove(i));
                    if let Some(job) = model.drop_future(i) {
                        ledger.out.push(job.id);
                    }
                }
            }
            QueueOp::Expire(i) => {
                if let Some(i) = pick(i, slots.len()) {
                    let held = model.futures[i].clone();
                    let real = slots.remove(i).future.expire(&clock);
                    assert_eq!(real, model.expire(i), "expired future #{i}");
                    match &real {
                        Ok(out) => settle(&held, out, &mut ledger),
                        Err(Some(id)) => ledger.out.push(*id),
                        Err(None) => {}
                    }
                }
            }
        }
        assert_eq!(queue.debug(), model.debug());
        assert_eq!(queue.qsize(), model.buffer.len());
        assert_eq!(queue.empty(), model.buffer.is_empty());
        assert_eq!(queue.full(), maxsize != 0 && model.buffer.len() >= maxsize);
        assert_eq!(queue.is_shutdown(), model.shutdown);
        if let Some(q) = queue.joinable() {
            assert_eq!(q.unfinished_tasks(), model.unfinished);
        }
        check_wakes(&slots, model.futures.iter().map(|f| f.stand));
    }

    // Tear down, then drain: every item is accounted for exactly once.
    while !slots.is_empty() {
        drop(slots.remove(0));
        if let Some(job) = model.drop_future(0) {
            ledger.out.push(job.id);
        }
    }
    let rest: Vec<Job> = std::iter::from_fn(|| queue.get_nowait()).collect();
    let expected: Vec<Job> = std::iter::from_fn(|| model.take().map(|(_, j)| j)).collect();
    assert_eq!(ids(rest.iter().copied()), ids(expected));
    ledger.out.extend(ids(rest));
    ledger.settle();
}

fn queue_ops() -> impl Strategy<Value = (usize, Vec<QueueOp>)> {
    (0..4usize, prop::collection::vec(queue_op(), 1..60))
}

proptest! {
    #![proptest_config(config(250))]

    #[test]
    fn queue_follows_the_model((maxsize, ops) in queue_ops()) {
        run_queue::<Queue<Job>>(maxsize, &ops);
    }

    #[test]
    fn lifo_queue_follows_the_model((maxsize, ops) in queue_ops()) {
        run_queue::<LifoQueue<Job>>(maxsize, &ops);
    }

    #[test]
    fn priority_queue_follows_the_model((maxsize, ops) in queue_ops()) {
        run_queue::<PriorityQueue<Job>>(maxsize, &ops);
    }

    #[test]
    fn joinable_queue_follows_the_model((maxsize, ops) in queue_ops()) {
        run_queue::<JoinableQueue<Job>>(maxsize, &ops);
    }
}
