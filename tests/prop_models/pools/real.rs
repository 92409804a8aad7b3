//! The real side of the token-pool model: the primitive under test, its wait futures and
//! guards, each kind behind one enum (borrowed and owned forms, mapped guards).

use std::sync::Arc;

use super::*;
use toro::{
    AcquireRead, AcquireUpgradable, AcquireWrite, BoundedSemaphore, Lock, LockAcquire, LockGuard,
    MappedLockGuard, MappedReadGuard, MappedWriteGuard, OwnedAcquireRead, OwnedAcquireUpgradable,
    OwnedAcquireWrite, OwnedLockAcquire, OwnedLockGuard, OwnedMappedLockGuard,
    OwnedMappedReadGuard, OwnedMappedWriteGuard, OwnedReadGuard, OwnedSemaphoreAcquire,
    OwnedSemaphoreGuard, OwnedUpgradableReadGuard, OwnedUpgrade, OwnedWriteGuard, ReadGuard,
    RwLock, Semaphore, SemaphoreAcquire, SemaphoreGuard, SemaphoreWait, UpgradableReadGuard,
    Upgrade, WriteGuard,
};

/// The primitive under test, in an `Arc` for the owned forms.
pub(super) enum Pool {
    Lock(Arc<Lock>),
    Semaphore(Arc<Semaphore>),
    Bounded(Arc<BoundedSemaphore>),
    RwLock(Arc<RwLock>),
}

pub(super) enum PoolFuture<'a> {
    Lock(LockAcquire<'a>),
    OwnedLock(OwnedLockAcquire),
    Acquire(SemaphoreAcquire<'a>),
    OwnedAcquire(OwnedSemaphoreAcquire),
    Watch(SemaphoreWait<'a>),
    Read(AcquireRead<'a>),
    OwnedRead(OwnedAcquireRead),
    Write(AcquireWrite<'a>),
    OwnedWrite(OwnedAcquireWrite),
    Upgradable(AcquireUpgradable<'a>),
    OwnedUpgradable(OwnedAcquireUpgradable),
    Upgrade(Upgrade<'a>),
    OwnedUpgrade(OwnedUpgrade),
}

#[allow(dead_code)] // the guards are held for their `Drop`
pub(super) enum PoolGuard<'a> {
    Lock(LockGuard<'a>),
    OwnedLock(OwnedLockGuard),
    Semaphore(SemaphoreGuard<'a>),
    OwnedSemaphore(OwnedSemaphoreGuard),
    Read(ReadGuard<'a>),
    OwnedRead(OwnedReadGuard),
    Write(WriteGuard<'a>),
    OwnedWrite(OwnedWriteGuard),
    Upgradable(UpgradableReadGuard<'a>),
    OwnedUpgradable(OwnedUpgradableReadGuard),
    MappedLock(MappedLockGuard<'a, ()>),
    OwnedMappedLock(OwnedMappedLockGuard<()>),
    MappedRead(MappedReadGuard<'a, ()>),
    OwnedMappedRead(OwnedMappedReadGuard<()>),
    MappedWrite(MappedWriteGuard<'a, ()>),
    OwnedMappedWrite(OwnedMappedWriteGuard<()>),
}

/// `Ok(changed)` or `Err(unchanged)`, as whether it changed and the guard it is now.
pub(super) fn changed<'a>(result: Result<PoolGuard<'a>, PoolGuard<'a>>) -> (bool, PoolGuard<'a>) {
    match result {
        Ok(guard) => (true, guard),
        Err(guard) => (false, guard),
    }
}

impl<'a> PoolGuard<'a> {
    pub(super) fn hold(&self) -> Hold {
        match self {
            PoolGuard::Lock(_) | PoolGuard::OwnedLock(_) => Hold::Lock,
            PoolGuard::Semaphore(_) | PoolGuard::OwnedSemaphore(_) => Hold::Semaphore,
            PoolGuard::Read(_) | PoolGuard::OwnedRead(_) => Hold::Read,
            PoolGuard::Write(_) | PoolGuard::OwnedWrite(_) => Hold::Write,
            PoolGuard::Upgradable(_) | PoolGuard::OwnedUpgradable(_) => Hold::Upgradable,
            PoolGuard::MappedLock(_)
            | PoolGuard::OwnedMappedLock(_)
            | PoolGuard::MappedRead(_)
            | PoolGuard::OwnedMappedRead(_)
            | PoolGuard::MappedWrite(_)
            | PoolGuard::OwnedMappedWrite(_) => Hold::Mapped,
        }
    }

    /// `forget()`, for the guards that have it.
    pub(super) fn forget(self) -> Result<(), Self> {
        match self {
            PoolGuard::Lock(g) => g.forget(),
            PoolGuard::OwnedLock(g) => g.forget(),
            PoolGuard::Semaphore(g) => g.forget(),
            PoolGuard::OwnedSemaphore(g) => g.forget(),
            PoolGuard::Read(g) => g.forget(),
            PoolGuard::OwnedRead(g) => g.forget(),
            PoolGuard::Write(g) => g.forget(),
            PoolGuard::OwnedWrite(g) => g.forget(),
            other => return Err(other),
        }
        Ok(())
    }

    /// An upgradable read's or a write's `downgrade`, into a read.
    pub(super) fn downgrade(self) -> Result<Self, Self> {
        Ok(match self {
            PoolGuard::Upgradable(g) => PoolGuard::Read(UpgradableReadGuard::downgrade(g)),
            PoolGuard::OwnedUpgradable(g) => {
                PoolGuard::OwnedRead(OwnedUpgradableReadGuard::downgrade(g))
            }
            PoolGuard::Write(g) => PoolGuard::Read(g.downgrade()),
            PoolGuard::OwnedWrite(g) => PoolGuard::OwnedRead(g.downgrade()),
            other => return Err(other),
        })
    }

    /// `map` (`try_map`, with `Some(found)`) of a data lock's guard, mapped or not: the
    /// `()` data to itself, since what matters is what the guard holds.
    pub(super) fn map(self, how: Option<bool>) -> Result<Self, Self> {
        macro_rules! map {
            ($g:ident: $from:ident as $guard:ident => $to:ident) => {
                match how {
                    None => Ok(PoolGuard::$to($guard::map($g, |data| data))),
                    Some(found) => $guard::try_map($g, |data| found.then_some(data))
                        .map(PoolGuard::$to)
                        .map_err(PoolGuard::$from),
                }
            };
        }
        match self {
            PoolGuard::Lock(g) => map!(g: Lock as LockGuard => MappedLock),
            PoolGuard::OwnedLock(g) => map!(g: OwnedLock as OwnedLockGuard => OwnedMappedLock),
            PoolGuard::Read(g) => map!(g: Read as ReadGuard => MappedRead),
            PoolGuard::OwnedRead(g) => map!(g: OwnedRead as OwnedReadGuard => OwnedMappedRead),
            PoolGuard::Write(g) => map!(g: Write as WriteGuard => MappedWrite),
            PoolGuard::OwnedWrite(g) => {
                map!(g: OwnedWrite as OwnedWriteGuard => OwnedMappedWrite)
            }
            PoolGuard::MappedLock(g) => map!(g: MappedLock as MappedLockGuard => MappedLock),
            PoolGuard::OwnedMappedLock(g) => {
                map!(g: OwnedMappedLock as OwnedMappedLockGuard => OwnedMappedLock)
            }
            PoolGuard::MappedRead(g) => map!(g: MappedRead as MappedReadGuard => MappedRead),
            PoolGuard::OwnedMappedRead(g) => {
                map!(g: OwnedMappedRead as OwnedMappedReadGuard => OwnedMappedRead)
            }
            PoolGuard::MappedWrite(g) => map!(g: MappedWrite as MappedWriteGuard => MappedWrite),
            PoolGuard::OwnedMappedWrite(g) => {
                map!(g: OwnedMappedWrite as OwnedMappedWriteGuard => OwnedMappedWrite)
            }
            other => Err(other),
        }
    }

    /// `upgrade(guard)` of an upgradable read: the upgrade's future.
    pub(super) fn upgrade(self) -> PoolFuture<'a> {
        match self {
            PoolGuard::Upgradable(g) => PoolFuture::Upgrade(UpgradableReadGuard::upgrade(g)),
            PoolGuard::OwnedUpgradable(g) => {
                PoolFuture::OwnedUpgrade(OwnedUpgradableReadGuard::upgrade(g))
            }
            _ => panic!("upgrade of a guard that is not an upgradable read"),
        }
    }

    /// `try_upgrade(guard)` of an upgradable read: the write, or the guard back.
    pub(super) fn try_upgrade(self) -> Result<Self, Self> {
        match self {
            PoolGuard::Upgradable(g) => UpgradableReadGuard::try_upgrade(g)
                .map(PoolGuard::Write)
                .map_err(PoolGuard::Upgradable),
            PoolGuard::OwnedUpgradable(g) => OwnedUpgradableReadGuard::try_upgrade(g)
                .map(PoolGuard::OwnedWrite)
                .map_err(PoolGuard::OwnedUpgradable),
            _ => panic!("try_upgrade of a guard that is not an upgradable read"),
        }
    }
}

/// What an expired deadline gave: the guard of a wait that completed first (none for a
/// semaphore's `wait()`), or what a timed-out wait hands back (an upgrade's upgradable
/// read).
pub(super) type Expired<'a> = Result<Option<PoolGuard<'a>>, Option<PoolGuard<'a>>>;

impl<'a> PoolFuture<'a> {
    pub(super) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Option<PoolGuard<'a>>> {
        match self {
            PoolFuture::Lock(f) => poll_unpin(f, cx).map(|g| Some(PoolGuard::Lock(g))),
            PoolFuture::OwnedLock(f) => poll_unpin(f, cx).map(|g| Some(PoolGuard::OwnedLock(g))),
            PoolFuture::Acquire(f) => poll_unpin(f, cx).map(|g| Some(PoolGuard::Semaphore(g))),
            PoolFuture::OwnedAcquire(f) => {
                poll_unpin(f, cx).map(|g| Some(PoolGuard::OwnedSemaphore(g)))
            }
            PoolFuture::Watch(f) => poll_unpin(f, cx).map(|()| None),
            PoolFuture::Read(f) => poll_unpin(f, cx).map(|g| Some(PoolGuard::Read(g))),
            PoolFuture::OwnedRead(f) => poll_unpin(f, cx).map(|g| Some(PoolGuard::OwnedRead(g))),
            PoolFuture::Write(f) => poll_unpin(f, cx).map(|g| Some(PoolGuard::Write(g))),
            PoolFuture::OwnedWrite(f) => poll_unpin(f, cx).map(|g| Some(PoolGuard::OwnedWrite(g))),
            PoolFuture::Upgradable(f) => poll_unpin(f, cx).map(|g| Some(PoolGuard::Upgradable(g))),
            PoolFuture::OwnedUpgradable(f) => {
                poll_unpin(f, cx).map(|g| Some(PoolGuard::OwnedUpgradable(g)))
            }
            PoolFuture::Upgrade(f) => poll_unpin(f, cx).map(|g| Some(PoolGuard::Write(g))),
            PoolFuture::OwnedUpgrade(f) => {
                poll_unpin(f, cx).map(|g| Some(PoolGuard::OwnedWrite(g)))
            }
        }
    }

    pub(super) fn expire(self, clock: &LoopHandle) -> Expired<'a> {
        /// Expires `f`: its output or what it carried, each through its closure.
        macro_rules! expire {
            ($f:ident, $done:expr, $carried:expr) => {
                expire($f.deadline_on(clock, Duration::ZERO))
                    .map($done)
                    .map_err(|timeout| $carried(timeout.into_inner()))
            };
            ($f:ident, $done:expr) => {
                expire!($f, $done, |()| None)
            };
        }
        match self {
            PoolFuture::Lock(f) => expire!(f, |g| Some(PoolGuard::Lock(g))),
            PoolFuture::OwnedLock(f) => expire!(f, |g| Some(PoolGuard::OwnedLock(g))),
            PoolFuture::Acquire(f) => expire!(f, |g| Some(PoolGuard::Semaphore(g))),
            PoolFuture::OwnedAcquire(f) => expire!(f, |g| Some(PoolGuard::OwnedSemaphore(g))),
            PoolFuture::Watch(f) => expire!(f, |()| None),
            PoolFuture::Read(f) => expire!(f, |g| Some(PoolGuard::Read(g))),
            PoolFuture::OwnedRead(f) => expire!(f, |g| Some(PoolGuard::OwnedRead(g))),
            PoolFuture::Write(f) => expire!(f, |g| Some(PoolGuard::Write(g))),
            PoolFuture::OwnedWrite(f) => expire!(f, |g| Some(PoolGuard::OwnedWrite(g))),
            PoolFuture::Upgradable(f) => expire!(f, |g| Some(PoolGuard::Upgradable(g))),
            PoolFuture::OwnedUpgradable(f) => {
                expire!(f, |g| Some(PoolGuard::OwnedUpgradable(g)))
            }
            PoolFuture::Upgrade(f) => expire!(f, |g| Some(PoolGuard::Write(g)), |g| Some(
                PoolGuard::Upgradable(g)
            )),
            PoolFuture::OwnedUpgrade(f) => {
                expire!(f, |g| Some(PoolGuard::OwnedWrite(g)), |g| Some(
                    PoolGuard::OwnedUpgradable(g)
                ))
            }
        }
    }
}

impl Pool {
    pub(super) fn new(kind: PoolKind) -> Self {
        match kind {
            PoolKind::Lock => Pool::Lock(Arc::new(Lock::new())),
            PoolKind::Semaphore(n) => Pool::Semaphore(Arc::new(Semaphore::new(n))),
            PoolKind::Bounded(n) => Pool::Bounded(Arc::new(BoundedSemaphore::new(n))),
            PoolKind::RwLock(n) => Pool::RwLock(Arc::new(RwLock::new(n))),
        }
    }

    pub(super) fn rwlock(&self) -> Option<&Arc<RwLock>> {
        match self {
            Pool::RwLock(rw) => Some(rw),
            _ => None,
        }
    }

    pub(super) fn acquire(&self, write: bool) -> PoolFuture<'_> {
        match self {
            Pool::Lock(l) => PoolFuture::Lock(l.acquire()),
            Pool::Semaphore(s) => PoolFuture::Acquire(s.acquire()),
            Pool::Bounded(s) => PoolFuture::Acquire(s.acquire()),
            Pool::RwLock(rw) if write => PoolFuture::Write(rw.acquire_write()),
            Pool::RwLock(rw) => PoolFuture::Read(rw.acquire_read()),
        }
    }

    pub(super) fn acquire_owned(&self, write: bool) -> PoolFuture<'static> {
        match self {
            Pool::Lock(l) => PoolFuture::OwnedLock(l.acquire_owned()),
            Pool::Semaphore(s) => PoolFuture::OwnedAcquire(s.acquire_owned()),
            Pool::Bounded(s) => PoolFuture::OwnedAcquire(s.acquire_owned()),
            Pool::RwLock(rw) if write => PoolFuture::OwnedWrite(rw.acquire_write_owned()),
            Pool::RwLock(rw) => PoolFuture::OwnedRead(rw.acquire_read_owned()),
        }
    }

    pub(super) fn wait(&self) -> PoolFuture<'_> {
        match self {
            Pool::Semaphore(s) => PoolFuture::Watch(s.wait()),
            Pool::Bounded(s) => PoolFuture::Watch(s.wait()),
            _ => self.acquire(false),
        }
    }

    pub(super) fn try_acquire(&self, write: bool) -> Option<PoolGuard<'_>> {
        match self {
            Pool::Lock(l) => l.try_acquire().map(PoolGuard::Lock),
            Pool::Semaphore(s) => s.try_acquire().map(PoolGuard::Semaphore),
            Pool::Bounded(s) => s.try_acquire().map(PoolGuard::Semaphore),
            Pool::RwLock(rw) if write => rw.try_acquire_write().map(PoolGuard::Write),
            Pool::RwLock(rw) => rw.try_acquire_read().map(PoolGuard::Read),
        }
    }

    pub(super) fn try_acquire_owned(&self, write: bool) -> Option<PoolGuard<'static>> {
        match self {
            Pool::Lock(l) => l.try_acquire_owned().map(PoolGuard::OwnedLock),
            Pool::Semaphore(s) => s.try_acquire_owned().map(PoolGuard::OwnedSemaphore),
            Pool::Bounded(s) => s.try_acquire_owned().map(PoolGuard::OwnedSemaphore),
            Pool::RwLock(rw) if write => rw.try_acquire_write_owned().map(PoolGuard::OwnedWrite),
            Pool::RwLock(rw) => rw.try_acquire_read_owned().map(PoolGuard::OwnedRead),
        }
    }

    pub(super) fn release(&self, write: bool) -> Result<(), ()> {
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

    pub(super) fn locked(&self) -> bool {
        match self {
            Pool::Lock(l) => l.locked(),
            Pool::Semaphore(s) => s.locked(),
            Pool::Bounded(s) => s.locked(),
            Pool::RwLock(rw) => rw.locked(),
        }
    }

    pub(super) fn counter(&self) -> Option<usize> {
        match self {
            Pool::Semaphore(s) => Some(s.counter()),
            Pool::Bounded(s) => Some(s.counter()),
            Pool::Lock(_) | Pool::RwLock(_) => None,
        }
    }

    pub(super) fn debug(&self) -> String {
        match self {
            Pool::Lock(l) => format!("{l:?}"),
            Pool::Semaphore(s) => format!("{s:?}"),
            Pool::Bounded(s) => format!("{s:?}"),
            Pool::RwLock(rw) => format!("{rw:?}"),
        }
    }
}
