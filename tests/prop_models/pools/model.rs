//! The sequential model of a token pool, its rules as the parent module states them.

use super::*;

/// What a guard is: what it may do next (forget, downgrade, map, upgrade).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Hold {
    Lock,
    Semaphore,
    Read,
    Write,
    Upgradable,
    /// Any mapped guard: it maps further, and has no `forget`.
    Mapped,
}

impl Hold {
    fn can_forget(self) -> bool {
        !matches!(self, Hold::Upgradable | Hold::Mapped)
    }

    fn can_map(self) -> bool {
        matches!(self, Hold::Lock | Hold::Read | Hold::Write | Hold::Mapped)
    }
}

#[derive(Clone, Copy, Debug)]
struct GuardModel {
    tokens: usize,
    hold: Hold,
}

/// What a future waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wants {
    /// Tokens, for a guard of this kind.
    Tokens(Hold),
    /// A semaphore's `wait()`: a free token, taking none.
    Watch,
    /// An upgradable read: a token and the upgradable slot.
    Upgradable,
    /// An upgrade: every other token, for the upgradable read it carries.
    Upgrade,
}

/// A waiter in the model's line (or the upgrade ahead of it): tokens still missing,
/// tokens already handed to it.
struct Request {
    id: usize,
    missing: usize,
    held: usize,
    /// An upgradable read: it also waits for the slot.
    slot: bool,
}

impl Request {
    /// Gives `k` of its tokens up to an upgrade, which goes ahead of the line: it misses
    /// them again (an upgradable read misses one token, whatever surplus it absorbed).
    fn lose(&mut self, k: usize) {
        self.held -= k;
        if self.slot {
            self.missing = usize::from(self.held == 0);
        } else {
            self.missing += k;
        }
    }
}

struct PoolFutureModel {
    id: usize,
    /// Tokens it holds once granted; 0 for a semaphore's `wait()`.
    tokens: usize,
    wants: Wants,
    stand: Stand,
}

/// toro's bounded token pool: FIFO hand-off inside the releasing call, a writer claiming
/// every free token at once and the rest at one place in line, nothing lost when a waiter
/// leaves; an RwLock's upgradable slot and the upgrade served ahead of the line.
pub(super) struct PoolModel {
    kind: PoolKind,
    pub(super) free: usize,
    pub(super) bound: usize,
    line: VecDeque<Request>,
    watchers: Vec<usize>,
    /// The upgrade waiting ahead of the line (at most one: only the slot's holder
    /// upgrades). Granted, it leaves this place and holds the slot until collected.
    upgrade: Option<Request>,
    /// An RwLock's upgradable slot is taken: by an upgradable read (a guard, or a future
    /// granted it), or by the upgrade it turned into until the upgrade is whole and
    /// collected.
    slot: bool,
    futures: Vec<PoolFutureModel>,
    guards: Vec<GuardModel>,
    /// Tokens of guards given up with `forget()`: the only ones a manual release of a
    /// `Lock`, `RwLock` or `BoundedSemaphore` may give back.
    pub(super) forgotten: usize,
    next_id: usize,
}

impl PoolModel {
    pub(super) fn new(kind: PoolKind) -> Self {
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
            upgrade: None,
            slot: false,
            futures: Vec::new(),
            guards: Vec::new(),
            forgotten: 0,
            next_id: 0,
        }
    }

    pub(super) fn tokens(&self, write: bool) -> usize {
        match self.kind {
            PoolKind::RwLock(n) if write => n,
            _ => 1,
        }
    }

    pub(super) fn hold(&self, write: bool) -> Hold {
        match self.kind {
            PoolKind::Lock => Hold::Lock,
            PoolKind::Semaphore(_) | PoolKind::Bounded(_) => Hold::Semaphore,
            PoolKind::RwLock(_) if write => Hold::Write,
            PoolKind::RwLock(_) => Hold::Read,
        }
    }

    pub(super) fn has_watch(&self) -> bool {
        matches!(self.kind, PoolKind::Semaphore(_) | PoolKind::Bounded(_))
    }

    /// Nobody in any line: a token may show free, and an acquire may take it at the call.
    fn nobody_waits(&self) -> bool {
        self.line.is_empty() && self.watchers.is_empty() && self.upgrade.is_none()
    }

    fn push_future(&mut self, tokens: usize, wants: Wants, stand: Stand) -> usize {
        let id = self.next_id;
        self.next_id += 1;
        self.futures.push(PoolFutureModel {
            id,
            tokens,
            wants,
            stand,
        });
        id
    }

    fn set_stand(&mut self, id: usize, stand: Stand) {
        self.futures.iter_mut().find(|f| f.id == id).unwrap().stand = stand;
    }

    pub(super) fn acquire(&mut self, n: usize, hold: Hold) {
        if self.nobody_waits() && self.free >= n {
            self.free -= n;
            self.push_future(n, Wants::Tokens(hold), Stand::Ready);
        } else {
            // Only an acquirer at the head of an empty line finds free tokens: it claims
            // them all and waits for the rest.
            let take = self.free.min(n);
            self.free -= take;
            let id = self.push_future(n, Wants::Tokens(hold), Stand::Queued);
            self.line.push_back(Request {
                id,
                missing: n - take,
                held: take,
                slot: false,
            });
        }
    }

    pub(super) fn watch(&mut self) {
        if self.free > 0 {
            self.push_future(0, Wants::Watch, Stand::Ready);
        } else {
            let id = self.push_future(0, Wants::Watch, Stand::Queued);
            self.watchers.push(id);
        }
    }

    pub(super) fn try_acquire(&mut self, n: usize, hold: Hold) -> bool {
        let ok = self.nobody_waits() && self.free >= n;
        if ok {
            self.free -= n;
            self.guards.push(GuardModel { tokens: n, hold });
        }
        ok
    }

    /// Whether an upgradable read can be had at the call: a free token, the slot free,
    /// nobody in line.
    fn upgradable_now(&self) -> bool {
        self.nobody_waits() && !self.slot && self.free >= 1
    }

    pub(super) fn acquire_upgradable(&mut self) {
        if self.upgradable_now() {
            self.free -= 1;
            self.slot = true;
            self.push_future(1, Wants::Upgradable, Stand::Ready);
        } else {
            // It joins the line holding every free token (a line holds them all): some
            // only when the slot, not a token, is what it waits for.
            let held = std::mem::take(&mut self.free);
            let id = self.push_future(1, Wants::Upgradable, Stand::Queued);
            self.line.push_back(Request {
                id,
                missing: usize::from(held == 0),
                held,
                slot: true,
            });
        }
    }

    pub(super) fn try_acquire_upgradable(&mut self) -> bool {
        let ok = self.upgradable_now();
        if ok {
            self.free -= 1;
            self.slot = true;
            self.guards.push(GuardModel {
                tokens: 1,
                hold: Hold::Upgradable,
            });
        }
        ok
    }

    /// The upgradable read's guard, if one is held (at most one is).
    pub(super) fn upgradable_guard(&self) -> Option<usize> {
        self.guards.iter().position(|g| g.hold == Hold::Upgradable)
    }

    fn line_holds(&self) -> usize {
        self.line.iter().map(|r| r.held).sum()
    }

    /// Takes up to `want` tokens from the waiters in line, oldest first (an upgrade goes
    /// ahead of them); says how many.
    fn take_from_line(&mut self, want: usize) -> usize {
        let mut got = 0;
        for request in &mut self.line {
            let k = request.held.min(want - got);
            request.lose(k);
            got += k;
        }
        got
    }

    /// `upgrade(guard)`: every other token now (from the line, then the free ones), or
    /// all there are and a place ahead of the line for the rest.
    pub(super) fn upgrade(&mut self, guard: usize) {
        let upgradable = self.guards.remove(guard);
        assert_eq!((upgradable.hold, upgradable.tokens), (Hold::Upgradable, 1));
        let want = self.bound - 1;
        let from_line = self.take_from_line(want);
        let from_free = self.free.min(want - from_line);
        self.free -= from_free;
        let got = from_line + from_free;
        if got == want {
            self.slot = false;
            self.push_future(self.bound, Wants::Upgrade, Stand::Ready);
        } else {
            let id = self.push_future(self.bound, Wants::Upgrade, Stand::Queued);
            self.upgrade = Some(Request {
                id,
                missing: want - got,
                held: got + 1,
                slot: false,
            });
        }
    }

    /// `try_upgrade(guard)`: every other token now, taken from the free ones and from the
    /// line, or nothing changes.
    pub(super) fn try_upgrade(&mut self, guard: usize) -> bool {
        assert_eq!(self.guards[guard].hold, Hold::Upgradable);
        let want = self.bound - 1;
        if self.free + self.line_holds() < want {
            return false;
        }
        let from_free = self.free.min(want);
        self.free -= from_free;
        assert_eq!(self.take_from_line(want - from_free), want - from_free);
        self.slot = false;
        self.guards[guard] = GuardModel {
            tokens: self.bound,
            hold: Hold::Write,
        };
        true
    }

    /// `downgrade` of an upgradable read (the slot goes to the head of the line) or of a
    /// write (all but one token do); `false` for other guards.
    pub(super) fn downgrade(&mut self, guard: usize) -> bool {
        let GuardModel { tokens, hold } = self.guards[guard];
        match hold {
            Hold::Upgradable => {
                self.slot = false;
                self.hand_out(0);
            }
            Hold::Write if tokens > 1 => {
                self.release(tokens - 1);
            }
            Hold::Write => {}
            _ => return false,
        }
        self.guards[guard] = GuardModel {
            tokens: 1,
            hold: Hold::Read,
        };
        true
    }

    /// `map` (`try_map` with `Some(found)`): the guard, still holding what it held,
    /// becomes a mapped one if the closure found its part.
    pub(super) fn map(&mut self, guard: usize, how: Option<bool>) -> bool {
        let mapped = self.guards[guard].hold.can_map() && how != Some(false);
        if mapped {
            self.guards[guard].hold = Hold::Mapped;
        }
        mapped
    }

    /// A manual `release()` of `n` tokens: a plain semaphore takes any (refused only past
    /// its bound); the others give back only forgotten guards' tokens.
    pub(super) fn manual_release(&mut self, n: usize) -> bool {
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

    /// Hands `n` tokens out: to the upgrade ahead of the line first, then to the line,
    /// oldest first; what is left is free (and wakes the watchers).
    fn hand_out(&mut self, mut n: usize) {
        if let Some(upgrade) = &mut self.upgrade {
            let give = n.min(upgrade.missing);
            upgrade.missing -= give;
            upgrade.held += give;
            n -= give;
            if upgrade.missing == 0 {
                let id = upgrade.id;
                self.upgrade = None;
                self.set_stand(id, Stand::Granted);
            }
        }
        while let Some(front) = self.line.front_mut() {
            let give = n.min(front.missing);
            front.missing -= give;
            front.held += give;
            n -= give;
            if front.missing > 0 {
                break;
            }
            if front.slot {
                if self.slot {
                    // Its token is there, the slot is not: it stays at the head and holds
                    // every token that comes.
                    front.held += n;
                    n = 0;
                    break;
                }
                n += front.held - 1;
                front.held = 1;
                self.slot = true;
            }
            let id = front.id;
            self.line.pop_front();
            self.set_stand(id, Stand::Granted);
        }
        if n > 0 {
            for id in std::mem::take(&mut self.watchers) {
                self.set_stand(id, Stand::Granted);
            }
        }
        self.free += n;
    }

    /// A queued future leaves its line (timed out or dropped): what it was handed goes on
    /// to the next in line. `true` if it carries an upgradable read back (an upgrade).
    fn leave(&mut self, index: usize) -> bool {
        let fut = self.futures.remove(index);
        assert_eq!(fut.stand, Stand::Queued);
        match fut.wants {
            Wants::Watch => {
                self.watchers.retain(|&id| id != fut.id);
                false
            }
            Wants::Upgrade => {
                let request = self.upgrade.take().unwrap();
                assert_eq!(request.id, fut.id);
                self.hand_out(request.held - 1);
                true
            }
            Wants::Tokens(_) | Wants::Upgradable => {
                let at = self.line.iter().position(|r| r.id == fut.id).unwrap();
                let request = self.line.remove(at).unwrap();
                self.hand_out(request.held);
                false
            }
        }
    }

    /// What a granted future turns into when it is collected (polled, or at its
    /// deadline): its guard; an upgrade granted after its call frees the slot here.
    fn collect(&mut self, fut: &PoolFutureModel) {
        let hold = match fut.wants {
            Wants::Watch => return,
            Wants::Tokens(hold) => hold,
            Wants::Upgradable => Hold::Upgradable,
            Wants::Upgrade => {
                if fut.stand == Stand::Granted {
                    self.slot = false;
                }
                Hold::Write
            }
        };
        self.guards.push(GuardModel {
            tokens: fut.tokens,
            hold,
        });
    }

    /// Polls future `index`: `true` if it completes.
    pub(super) fn poll(&mut self, index: usize) -> bool {
        match self.futures[index].stand {
            Stand::Queued => false,
            Stand::Ready | Stand::Granted => {
                let fut = self.futures.remove(index);
                self.collect(&fut);
                true
            }
        }
    }

    /// Drops future `index`: it leaves the line, or gives back what it was handed, as a
    /// guard's drop would (a release that the bound may refuse). An upgrade dropped in
    /// line gives back the upgradable read it carried, slot and token.
    pub(super) fn drop_future(&mut self, index: usize) {
        match self.futures[index].stand {
            Stand::Queued => {
                if self.leave(index) {
                    self.slot = false;
                    self.release(1);
                }
            }
            stand @ (Stand::Ready | Stand::Granted) => {
                let fut = self.futures.remove(index);
                match fut.wants {
                    Wants::Upgradable => self.slot = false,
                    Wants::Upgrade if stand == Stand::Granted => self.slot = false,
                    _ => {}
                }
                if fut.tokens > 0 {
                    self.release(fut.tokens);
                }
            }
        }
    }

    /// An expired deadline: `Ok` if the future had completed or been granted; otherwise
    /// it leaves the line, `Err(true)` handing an upgradable read back.
    pub(super) fn expire(&mut self, index: usize) -> Result<(), bool> {
        match self.futures[index].stand {
            Stand::Queued => {
                let carried = self.leave(index);
                if carried {
                    self.guards.push(GuardModel {
                        tokens: 1,
                        hold: Hold::Upgradable,
                    });
                }
                Err(carried)
            }
            Stand::Ready | Stand::Granted => {
                self.poll(index);
                Ok(())
            }
        }
    }

    pub(super) fn drop_guard(&mut self, index: usize) {
        let guard = self.guards.remove(index);
        if guard.hold == Hold::Upgradable {
            self.slot = false;
        }
        self.release(guard.tokens);
    }

    /// `forget()` of guard `index`, if it has one.
    pub(super) fn forget(&mut self, index: usize) -> bool {
        let ok = self.guards[index].hold.can_forget();
        if ok {
            self.forgotten += self.guards.remove(index).tokens;
        }
        ok
    }

    pub(super) fn debug(&self) -> String {
        let waiters = self.line.len() + usize::from(self.upgrade.is_some());
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

    /// The model's own invariants: no token free while anyone waits; every token of a
    /// bounded pool somewhere (free, in line, with a granted future, a guard, or
    /// forgotten); the slot taken by exactly one holder or by none.
    fn check_self(&self) {
        if !self.nobody_waits() {
            assert_eq!(self.free, 0, "model: a token free while someone waits");
        }
        if !matches!(self.kind, PoolKind::Semaphore(_)) {
            let waiting: usize = self.line_holds() + self.upgrade.as_ref().map_or(0, |r| r.held);
            let granted: usize = self
                .futures
                .iter()
                .filter(|f| f.stand != Stand::Queued)
                .map(|f| f.tokens)
                .sum();
            let guarded: usize = self.guards.iter().map(|g| g.tokens).sum();
            assert_eq!(
                self.free + waiting + granted + guarded + self.forgotten,
                self.bound,
                "model: tokens lost or made"
            );
        }
        let holders = self
            .guards
            .iter()
            .filter(|g| g.hold == Hold::Upgradable)
            .count()
            + self
                .futures
                .iter()
                .filter(|f| match (f.wants, f.stand) {
                    (Wants::Upgradable, stand) => stand != Stand::Queued,
                    (Wants::Upgrade, stand) => stand != Stand::Ready,
                    _ => false,
                })
                .count();
        assert_eq!(holders, usize::from(self.slot), "model: upgradable holders");
    }

    pub(super) fn check(
        &self,
        pool: &Pool,
        slots: &[Slot<PoolFuture<'_>>],
        guards: &[PoolGuard<'_>],
    ) {
        self.check_self();
        assert_eq!(pool.debug(), self.debug());
        assert_eq!(pool.locked(), self.free == 0);
        if let Some(counter) = pool.counter() {
            assert_eq!(counter, self.free);
        }
        // Whether the upgradable slot is free, as an upgradable read taken and given back
        // at once sees it (only while a token is free to take with it).
        if let (Some(rw), true) = (pool.rwlock(), self.free > 0 && self.nobody_waits()) {
            assert_eq!(
                rw.try_acquire_upgradable().is_some(),
                !self.slot,
                "the upgradable slot"
            );
        }
        assert_eq!(slots.len(), self.futures.len());
        let real: Vec<Hold> = guards.iter().map(PoolGuard::hold).collect();
        let model: Vec<Hold> = self.guards.iter().map(|g| g.hold).collect();
        assert_eq!(real, model, "guards");
        check_wakes(slots, self.futures.iter().map(|f| f.stand));
    }
}
