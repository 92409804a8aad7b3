//! [`LazyBox`]: a primitive's waiter line, made on first contention and freed with the
//! primitive. One of toro-core's four modules with `unsafe` code.
//!
//! An uncontended primitive is its state word and this one word: the line (a mutex, the
//! waiters, the handed-over counter) is allocated only when a waiter first has to wait,
//! as async-lock does. A `Lock` is 16 bytes, not 112; a map of a million locks takes 16
//! MB, not 112.
//!
//! Until the box is made, the word holds a small number instead of a pointer, the
//! *seed* (a lock's or a semaphore's bound), tagged by its low bit (boxes are aligned to
//! at least 2, so a pointer's low bit is 0): the primitive keeps that number in no other
//! field, and the box, once made, takes it over. The seed never changes; the pointer,
//! once set, never changes either, until the box is dropped with its owner.

#![allow(unsafe_code)]

use std::marker::PhantomData;
use std::ptr;

use crate::sync::{AtomicPtr, Ordering};

/// A box of `T`, made at most once, on first use; a seed in its place until then.
pub(crate) struct LazyBox<T> {
    word: AtomicPtr<T>,
    /// Owns a `T` (drop check, auto traits).
    _owns: PhantomData<Box<T>>,
}

/// The low bit of a seed word.
const SEED: usize = 1;

/// The word of `seed`: a tagged number, not a pointer (no provenance: never dereferenced).
const fn seed_word<T>(seed: usize) -> *mut T {
    ptr::without_provenance_mut((seed << 1) | SEED)
}

/// The seed in `word`, if it is one.
#[inline]
fn seed_of<T>(word: *mut T) -> Option<usize> {
    let bits = word.addr();
    (bits & SEED != 0).then_some(bits >> 1)
}

impl<T> LazyBox<T> {
    /// Boxes must leave a pointer's low bit free for the seed's tag.
    const ALIGNED: () = assert!(std::mem::align_of::<T>() >= 2, "LazyBox needs alignment 2");

    crate::sync::const_fn! {
        /// No box yet, and `seed` in its place (at most `usize::MAX >> 1`).
        pub(crate) fn new(seed: usize) -> Self {
            let () = Self::ALIGNED;
            LazyBox {
                word: AtomicPtr::new(seed_word(seed)),
                _owns: PhantomData,
            }
        }
    }

    /// The box, if made.
    #[inline]
    pub(crate) fn get(&self) -> Option<&T> {
        // Acquire: the box's contents, written before it was published, are seen.
        let word = self.word.load(Ordering::Acquire);
        if seed_of(word).is_some() {
            return None;
        }
        // SAFETY: not a seed, so a pointer from `Box::into_raw` published by
        // `get_or_make`; the box is freed only when `self` is dropped, so it outlives
        // `&self`, and it is only ever shared.
        Some(unsafe { &*word })
    }

    /// The seed, while the box is not made.
    #[inline]
    pub(crate) fn seed(&self) -> Option<usize> {
        seed_of(self.word.load(Ordering::Relaxed))
    }

    /// The box, made now from the seed (`make(seed)`) if it was not made yet. Two threads
    /// may both make one: the first to publish wins, and the other frees its own.
    #[inline]
    pub(crate) fn get_or_make(&self, make: impl FnOnce(usize) -> T) -> &T {
        match self.get() {
            Some(made) => made,
            None => self.make(make),
        }
    }

    #[cold]
    #[inline(never)]
    fn make(&self, make: impl FnOnce(usize) -> T) -> &T {
        let word = self.word.load(Ordering::Acquire);
        let Some(seed) = seed_of(word) else {
            // SAFETY: as in `get`.
            return unsafe { &*word };
        };
        let made = Box::into_raw(Box::new(make(seed)));
        // Release: the contents are seen by whoever sees the pointer (Acquire).
        match self
            .word
            .compare_exchange(word, made, Ordering::AcqRel, Ordering::Acquire)
        {
            // SAFETY: just published; freed only with `self`.
            Ok(_) => unsafe { &*made },
            Err(theirs) => {
                // SAFETY: `made` was never published: this thread owns it alone.
                drop(unsafe { Box::from_raw(made) });
                // The seed never changes, so the word changed to another thread's box.
                // SAFETY: as in `get`.
                unsafe { &*theirs }
            }
        }
    }
}

impl<T> Drop for LazyBox<T> {
    fn drop(&mut self) {
        // `&mut self`: nobody else reads or writes the word now.
        let word = self.word.load(Ordering::Relaxed);
        if seed_of(word).is_none() {
            // SAFETY: a box published by `get_or_make` (as in `get`), dropped once, here,
            // with its owner: nobody can reach it any more.
            drop(unsafe { Box::from_raw(word) });
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

    #[test]
    fn a_seed_until_made_then_the_box_once() {
        let lazy: LazyBox<(u64, usize)> = LazyBox::new(41);
        assert_eq!(lazy.seed(), Some(41));
        assert!(lazy.get().is_none());
        let made = lazy.get_or_make(|seed| (7, seed + 1));
        assert_eq!(*made, (7, 42));
        assert_eq!(lazy.seed(), None);
        assert_eq!(lazy.get_or_make(|_| unreachable!("made once")), &(7, 42));
        let largest: LazyBox<u64> = LazyBox::new(usize::MAX >> 1);
        assert_eq!(largest.seed(), Some(usize::MAX >> 1));
    }

    #[test]
    fn racing_makers_leave_one_box_and_free_the_other() {
        let drops = Arc::new(AtomicUsize::new(0));
        struct Counted(Arc<AtomicUsize>);
        impl Drop for Counted {
            fn drop(&mut self) {
                self.0.fetch_add(1, SeqCst);
            }
        }
        for _ in 0..100 {
            let lazy = Arc::new(LazyBox::<Counted>::new(0));
            let before = drops.load(SeqCst);
            let threads: Vec<_> = (0..2)
                .map(|_| {
                    let (lazy, drops) = (lazy.clone(), drops.clone());
                    std::thread::spawn(move || {
                        let made = lazy.get_or_make(|_| Counted(drops));
                        made as *const Counted as usize
                    })
                })
                .collect();
            let seen: Vec<usize> = threads.into_iter().map(|t| t.join().unwrap()).collect();
            assert_eq!(seen[0], seen[1], "both see the one published box");
            let lost = drops.load(SeqCst) - before;
            assert!(lost <= 1, "the losing box is freed, the winner kept");
            drop(lazy);
            assert_eq!(
                drops.load(SeqCst) - before,
                lost + 1,
                "the box dies with its owner"
            );
        }
    }
}
