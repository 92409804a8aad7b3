//! [`Condition`]: a rendezvous of four tasks, and a state change waited on with a deadline.
//!
//! ```text
//! cargo run --example condition
//! cargo run --example condition --features tokio   # or smol, async-std
//! ```
//!
//! A toro `Condition` stores nothing: `notify` wakes whoever waits at that moment and is
//! forgotten otherwise. So the state lives beside it (here in a `Mutex`), the condition
//! is only the doorbell, and a waiter always follows the same steps:
//!
//! 1. `let wakeup = cond.wait();` -- take a place in line first. toro's waits are eager:
//!    the waiter is registered when `wait()` is called, not when it is first polled;
//! 2. check the state, and stop if it is what we wait for (dropping `wakeup` leaves the
//!    line and takes nothing from anyone);
//! 3. otherwise `wakeup.await` (with a deadline if we have one), and go back to 1.
//!
//! Registering before checking is what makes it race-free even on a multi-threaded
//! runtime: a change made after our check notifies a waiter that is already in line.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use futures::future::join_all;
use toro::{Condition, LoopHandle};

#[toro::main]
async fn main() {
    rendezvous().await;
    println!();
    oven().await;
}

// ==== 1. A rendezvous: nobody leaves until everybody has arrived ====

struct Meeting {
    expected: usize,
    /// The state: who has arrived, and the event log.
    state: Mutex<MeetingState>,
    everyone_here: Condition,
}

#[derive(Default)]
struct MeetingState {
    arrived: usize,
    log: Vec<String>,
}

async fn rendezvous() {
    println!("1. rendezvous: four travellers, released together when the last arrives");
    let travellers = [("Ana", 30), ("Bo", 10), ("Cy", 50), ("Di", 20)];
    let meeting = Meeting {
        expected: travellers.len(),
        state: Mutex::default(),
        everyone_here: Condition::new(),
    };
    let start = Instant::now();
    join_all(travellers.map(|(name, ms)| arrive(&meeting, name, Duration::from_millis(ms), start)))
        .await;

    // Every departure comes after the last arrival.
    let log = lock(&meeting.state).log.clone();
    let last_arrival = log
        .iter()
        .rposition(|event| event.starts_with("arrive"))
        .unwrap();
    let first_departure = log
        .iter()
        .position(|event| event.starts_with("leave"))
        .unwrap();
    assert!(
        last_arrival < first_departure,
        "somebody left early: {log:?}"
    );
    assert_eq!(log.len(), 2 * travellers.len());
    println!("   ok: {log:?}");
}

async fn arrive(meeting: &Meeting, name: &str, travel: Duration, start: Instant) {
    sleep(travel).await;
    // 1. In line first...
    let wakeup = meeting.everyone_here.wait();
    // 2. ...then update and check the state.
    let arrived = {
        let mut state = lock(&meeting.state);
        state.arrived += 1;
        state.log.push(format!("arrive {name}"));
        state.arrived
    };
    println!(
        "   +{:>3} ms  {name} arrives ({arrived} of {})",
        start.elapsed().as_millis(),
        meeting.expected
    );
    if arrived == meeting.expected {
        drop(wakeup); // we wait for nobody
        println!(
            "   +{:>3} ms  {name}: everyone is here",
            start.elapsed().as_millis()
        );
        meeting.everyone_here.notify_all();
    } else {
        // 3. Wait. No deadline: the example knows everyone comes.
        wakeup.await;
    }
    lock(&meeting.state).log.push(format!("leave {name}"));
    println!("   +{:>3} ms  {name} leaves", start.elapsed().as_millis());
}

// ==== 2. A state change, waited on with a deadline ====

struct Oven {
    temperature: Mutex<u32>,
    changed: Condition,
}

const TARGET: u32 = 180;

async fn oven() {
    println!("2. an oven heats up; two cooks wait for {TARGET} degrees, one of them impatient");
    let oven = Oven {
        temperature: Mutex::new(20),
        changed: Condition::new(),
    };
    let start = Instant::now();
    let heater = async {
        while *lock(&oven.temperature) < 220 {
            sleep(Duration::from_millis(10)).await;
            *lock(&oven.temperature) += 20;
            oven.changed.notify_all(); // forgotten if nobody waits: the state is the truth
        }
    };
    let patient = wait_for(&oven, "patient cook", Duration::from_secs(2), start);
    let impatient = wait_for(&oven, "impatient cook", Duration::from_millis(30), start);
    let ((), patient, impatient) = futures::join!(heater, patient, impatient);

    assert!(
        patient.is_ok_and(|t| t >= TARGET),
        "the patient cook gets {TARGET} degrees"
    );
    // The impatient cook's 30 ms are about 3 steps of 20 degrees: well short of the target.
    println!("   patient: {patient:?}; impatient: {impatient:?} (the temperature it saw last)");
}

/// Waits until the oven reaches [`TARGET`], at most `patience` in all.
///
/// The deadline is an `Instant` computed once: each wake-up starts a new wait, and a
/// `Duration` would restart the clock every time.
async fn wait_for(oven: &Oven, who: &str, patience: Duration, start: Instant) -> Result<u32, u32> {
    let deadline = toro::now() + patience;
    loop {
        let wakeup = oven.changed.wait();
        let now = *lock(&oven.temperature);
        if now >= TARGET {
            println!(
                "   +{:>3} ms  {who}: {now} degrees, baking",
                start.elapsed().as_millis()
            );
            return Ok(now);
        }
        if wakeup.deadline(deadline).await.is_err() {
            let now = *lock(&oven.temperature);
            println!(
                "   +{:>3} ms  {who}: gave up after {patience:?} at {now} degrees",
                start.elapsed().as_millis()
            );
            return Err(now);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Sleeps on the current loop's clock: works on every runtime and on toro's own loop.
async fn sleep(duration: Duration) {
    let handle = LoopHandle::current();
    handle.sleep_until(handle.now() + duration).await;
}
