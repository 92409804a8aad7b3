//! What an [`RwLock`] hands out: read and write guards, borrowing the lock or holding an
//! `Arc` of it, each giving its tokens back when dropped.

use std::sync::Arc;

use super::RwLock;
use crate::cell::{ReadHold, WriteHold, data_guards};

data_guards! {
    /// A read token of an [`RwLock`], given back when dropped. Derefs to the data.
    ///
    /// Made by [`RwLock::acquire_read`] and [`RwLock::try_acquire_read`]; keep it for the
    /// read section. Up to `max_readers` read guards exist at once; dropping one hands its
    /// token to the head of the line (a waiting writer collects it). To give it back from
    /// elsewhere, [`forget`](Self::forget) it and call [`RwLock::release_read`].
    ///
    /// # Examples
    ///
    /// ```
    /// use toro_core::{ReadGuard, RwLock};
    /// # toro_core::block_on(async {
    /// let rw = RwLock::with_value(7, 2);
    /// let a: ReadGuard<'_, i32> = rw.acquire_read().await;
    /// let b: ReadGuard<'_, i32> = rw.acquire_read().await; // readers share the lock
    /// assert_eq!(*a + *b, 14);
    /// assert!(rw.locked());
    /// drop(a);
    /// assert!(!rw.locked()); // one token free again
    /// # drop(b);
    /// # });
    /// ```
    #[must_use = "the read lock is released as soon as the guard is dropped"]
    pub struct ReadGuard<'a, T = ()> { pub(crate) hold: ReadHold<&'a RwLock<T>> }

    /// Every token of an [`RwLock`], given back when dropped. Derefs mutably to the data.
    ///
    /// Made by [`RwLock::acquire_write`] and [`RwLock::try_acquire_write`]; while it lives,
    /// no reader or other writer holds the lock. Dropping it hands the tokens to the head of
    /// the line, so one release can admit several queued readers at once. To give them back
    /// from elsewhere, [`forget`](Self::forget) it and call [`RwLock::release_write`].
    ///
    /// # Examples
    ///
    /// ```
    /// use toro_core::{RwLock, WriteGuard};
    /// # toro_core::block_on(async {
    /// let rw = RwLock::with_value(0, 2);
    /// let mut writer: WriteGuard<'_, i32> = rw.acquire_write().await;
    /// *writer = 5;
    /// let (r1, r2) = (rw.acquire_read(), rw.acquire_read()); // both wait
    /// drop(writer); // both readers are admitted by this one release
    /// let (r1, r2) = (r1.await, r2.await);
    /// assert_eq!((*r1, *r2), (5, 5));
    /// assert!(rw.try_acquire_write().is_none());
    /// # });
    /// ```
    #[must_use = "the write lock is released as soon as the guard is dropped"]
    pub struct WriteGuard<'a, T = ()> { pub(crate) hold: WriteHold<&'a RwLock<T>> }

    /// A read token of an [`RwLock`] in an `Arc`: an [`OwnedReadGuard`] borrows nothing, so it
    /// is `'static` and can move into a spawned task. Otherwise like [`ReadGuard`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use toro_core::{OwnedReadGuard, RwLock};
    /// let rw = Arc::new(RwLock::with_value(1, 2));
    /// let guard: OwnedReadGuard<i32> = rw.try_acquire_read_owned().unwrap();
    /// std::thread::spawn(move || assert_eq!(*guard, 1)).join().unwrap();
    /// assert!(!rw.locked());
    /// ```
    #[must_use = "the read lock is released as soon as the guard is dropped"]
    pub struct OwnedReadGuard<T = ()> { pub(crate) hold: ReadHold<Arc<RwLock<T>>> }

    /// Every token of an [`RwLock`] in an `Arc`: an [`OwnedWriteGuard`] borrows nothing, so it
    /// is `'static` and can move into a spawned task. Otherwise like [`WriteGuard`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// use toro_core::{OwnedWriteGuard, RwLock};
    /// let rw = Arc::new(RwLock::with_value(1, 2));
    /// let mut guard: OwnedWriteGuard<i32> = rw.try_acquire_write_owned().unwrap();
    /// std::thread::spawn(move || *guard += 1).join().unwrap();
    /// assert_eq!(*rw.try_acquire_read().unwrap(), 2);
    /// ```
    #[must_use = "the write lock is released as soon as the guard is dropped"]
    pub struct OwnedWriteGuard<T = ()> { pub(crate) hold: WriteHold<Arc<RwLock<T>>> }
}

impl<'a, T> ReadGuard<'a, T> {
    /// Keeps the token taken; give it back with [`RwLock::release_read`].
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = toro_core::RwLock::new(1);
    /// rw.try_acquire_read().unwrap().forget();
    /// assert!(rw.locked());
    /// rw.release_read().unwrap();
    /// ```
    pub fn forget(self) {
        self.hold.forget()
    }
}

impl<T> OwnedReadGuard<T> {
    /// Keeps the token taken (the `Arc` is dropped); give it back with
    /// [`RwLock::release_read`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let rw = Arc::new(toro_core::RwLock::new(1));
    /// rw.try_acquire_read_owned().unwrap().forget();
    /// rw.release_read().unwrap();
    /// ```
    pub fn forget(self) {
        self.hold.forget()
    }
}

impl<'a, T> WriteGuard<'a, T> {
    /// Keeps the tokens taken; give them back with [`RwLock::release_write`].
    ///
    /// # Examples
    ///
    /// ```
    /// let rw = toro_core::RwLock::new(3);
    /// rw.try_acquire_write().unwrap().forget();
    /// rw.release_write().unwrap();
    /// assert!(!rw.locked());
    /// ```
    pub fn forget(self) {
        self.hold.forget()
    }

    /// Turns the write lock into a read lock without letting anyone in between: keeps one
    /// token and hands the rest to the head of the line, in FIFO order.
    ///
    /// Readers at the head of the line enter at once; a writer at the head still waits
    /// for this reader (and for the readers that entered before it), and readers behind
    /// that writer stay behind it.
    ///
    /// # Examples
    ///
    /// ```
    /// # toro_core::block_on(async {
    /// let rw = toro_core::RwLock::with_value(0, 2);
    /// let mut w = rw.acquire_write().await;
    /// *w = 1;
    /// let reader = rw.acquire_read();
    /// let r = w.downgrade(); // the waiting reader enters
    /// let other = reader.await;
    /// assert_eq!((*r, *other), (1, 1));
    /// # });
    /// ```
    pub fn downgrade(self) -> ReadGuard<'a, T> {
        ReadGuard {
            hold: self.hold.downgrade(),
        }
    }
}

impl<T> OwnedWriteGuard<T> {
    /// Keeps the tokens taken (the `Arc` is dropped); give them back with
    /// [`RwLock::release_write`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let rw = Arc::new(toro_core::RwLock::new(2));
    /// rw.try_acquire_write_owned().unwrap().forget();
    /// rw.release_write().unwrap();
    /// ```
    pub fn forget(self) {
        self.hold.forget()
    }

    /// [`WriteGuard::downgrade`] for an owned guard.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let rw = Arc::new(toro_core::RwLock::with_value(1, 2));
    /// let r = rw.try_acquire_write_owned().unwrap().downgrade();
    /// assert!(rw.try_acquire_read().is_some()); // one token is free again
    /// assert_eq!(*r, 1);
    /// ```
    pub fn downgrade(self) -> OwnedReadGuard<T> {
        OwnedReadGuard {
            hold: self.hold.downgrade(),
        }
    }
}
