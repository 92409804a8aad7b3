//! [`Slab`]: a `Vec` with a free list, so that inserting and removing are O(1) and, once
//! it has grown to the most values held at once, allocate nothing; it gives its memory back
//! when it empties or is mostly vacant (see [`Slab::compact`]).

/// Where a waiter stands in its [`WaiterList`]'s slab.
pub(crate) type Key = usize;

/// A link between slab entries: an index, or [`NIL`]. 32 bits keep each waiter's node and
/// every empty line small (a line longer than `u32::MAX - 1` waiters panics).
pub(super) type Link = u32;
pub(super) const NIL: Link = Link::MAX;

#[inline]
pub(super) fn link_to(key: Option<Key>) -> Link {
    key.map_or(NIL, |key| {
        Link::try_from(key)
            .ok()
            .filter(|&l| l != NIL)
            .expect("toro: more than u32::MAX - 1 waiters in one line")
    })
}

#[inline]
pub(super) fn key_at(link: Link) -> Option<Key> {
    (link != NIL).then_some(link as Key)
}

enum Entry<V> {
    Occupied(V),
    Vacant { next_free: Link },
}

/// Above this many bytes of slab (or of a timer heap), a slab that empties gives its memory
/// back, and one that is mostly vacant is compacted: a burst of waiters does not keep its
/// peak allocation for good, and small slabs (most of them) never reallocate.
pub(crate) const KEEP_BYTES: usize = 4096;

/// A slab of values addressed by [`Key`]: a `Vec` with a free list, so inserting and
/// removing are O(1) and, once it has grown to the most values held at once, allocate
/// nothing. It gives its memory back when it empties (above [`KEEP_BYTES`]).
pub(crate) struct Slab<V> {
    entries: Vec<Entry<V>>,
    free: Link,
    /// Occupied entries.
    pub(super) occupied: u32,
}

impl<V> Slab<V> {
    pub(crate) const fn new() -> Self {
        Slab {
            entries: Vec::new(),
            free: NIL,
            occupied: 0,
        }
    }

    #[inline]
    pub(crate) fn insert(&mut self, value: V) -> Key {
        self.occupied += 1;
        match key_at(self.free) {
            Some(key) => {
                let Entry::Vacant { next_free } = self.entries[key] else {
                    unreachable!("free list points at an occupied entry")
                };
                self.free = next_free;
                self.entries[key] = Entry::Occupied(value);
                key
            }
            None => {
                // Checked before the push, so every key fits in a link.
                let key = self.entries.len();
                let _ = link_to(Some(key));
                self.entries.push(Entry::Occupied(value));
                key
            }
        }
    }

    /// Takes the value at `key` out; its key is free for the next insert.
    #[inline]
    pub(crate) fn remove(&mut self, key: Key) -> V {
        let entry = std::mem::replace(
            &mut self.entries[key],
            Entry::Vacant {
                next_free: self.free,
            },
        );
        let Entry::Occupied(value) = entry else {
            unreachable!("removed a vacant entry")
        };
        self.free = link_to(Some(key));
        self.occupied -= 1;
        if self.occupied == 0 && self.bytes() > KEEP_BYTES {
            // Every entry is vacant (nothing of the user's left to drop): give it back.
            self.entries = Vec::new();
            self.free = NIL;
        }
        value
    }

    pub(super) fn bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<Entry<V>>()
    }

    #[inline]
    pub(crate) fn get(&self, key: Key) -> Option<&V> {
        match self.entries.get(key) {
            Some(Entry::Occupied(value)) => Some(value),
            _ => None,
        }
    }

    #[inline]
    pub(super) fn at(&self, key: Key) -> &V {
        self.get(key)
            .unwrap_or_else(|| unreachable!("key points at a vacant entry"))
    }

    #[inline]
    pub(crate) fn at_mut(&mut self, key: Key) -> &mut V {
        match &mut self.entries[key] {
            Entry::Occupied(value) => value,
            Entry::Vacant { .. } => unreachable!("key points at a vacant entry"),
        }
    }

    /// Whether at most a quarter of a large slab is occupied: then
    /// [`compact`](Self::compact) pays for itself. After a compaction the slab is full,
    /// so the next one comes only after at least three removals per value it moved: no
    /// thrash.
    pub(crate) fn is_sparse(&self) -> bool {
        self.occupied as usize * 4 <= self.entries.len() && self.bytes() > KEEP_BYTES
    }

    /// Moves every value to the front, in key order, and gives the rest of the memory
    /// back (keeping room to grow to twice as many values). Returns where each old key
    /// went. Moves only: no value is dropped, so no user code runs.
    pub(crate) fn compact(&mut self) -> Remap {
        let old = std::mem::take(&mut self.entries);
        let mut new_link = vec![NIL; old.len()];
        let mut entries = Vec::with_capacity(self.occupied as usize * 2);
        for (key, entry) in old.into_iter().enumerate() {
            if let Entry::Occupied(value) = entry {
                new_link[key] = link_to(Some(entries.len()));
                entries.push(Entry::Occupied(value));
            }
        }
        self.entries = entries;
        self.free = NIL;
        Remap(new_link)
    }

    /// Every value with its key.
    pub(super) fn iter_mut(&mut self) -> impl Iterator<Item = (Key, &mut V)> {
        self.entries
            .iter_mut()
            .enumerate()
            .filter_map(|(key, entry)| match entry {
                Entry::Occupied(value) => Some((key, value)),
                Entry::Vacant { .. } => None,
            })
    }
}

/// Where [`Slab::compact`] moved each value: the new link by old key ([`NIL`] for a
/// vacant one).
pub(crate) struct Remap(Vec<Link>);

impl Remap {
    pub(super) fn link(&self, old: Link) -> Link {
        key_at(old).map_or(NIL, |key| self.0[key])
    }
}
