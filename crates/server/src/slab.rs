//! A slab of connections: stable slot numbers (mio tokens), generations against reuse.
//!
//! The generation lives in the value itself ([`Generation`]) while a slot is occupied and
//! in the free list while it is not, so a slot is just an `Option<T>`: the same size as
//! the connection it holds (the connection has a niche for `None`), 8 bytes less per
//! connection than a generation field beside it.

/// A value that carries the generation it was stored with.
pub(crate) trait Generation {
    fn generation(&self) -> u32;
}

/// Vector of slots with a free list. Slot numbers are stable while occupied.
pub(crate) struct Slab<T> {
    slots: Vec<Option<T>>,
    /// Vacant slots and the generation their last value had.
    free: Vec<(u32, u32)>,
    len: usize,
}

impl<T: Generation> Slab<T> {
    pub(crate) fn new() -> Self {
        Self {
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Stores a value made from its (slot, generation); returns them. `make` must give
    /// the value that generation ([`Generation::generation`]).
    pub(crate) fn insert_with(&mut self, make: impl FnOnce(u32, u32) -> T) -> (u32, u32) {
        let (slot, generation) = match self.free.pop() {
            Some((slot, last)) => (slot, last.wrapping_add(1)),
            None => {
                self.slots.push(None);
                (u32::try_from(self.slots.len() - 1).unwrap_or(u32::MAX), 1)
            }
        };
        let Some(entry) = self.slots.get_mut(slot as usize) else {
            return (slot, 0);
        };
        let value = make(slot, generation);
        debug_assert_eq!(value.generation(), generation);
        *entry = Some(value);
        self.len += 1;
        (slot, generation)
    }

    pub(crate) fn get_mut(&mut self, slot: u32) -> Option<&mut T> {
        self.slots.get_mut(slot as usize)?.as_mut()
    }

    /// The value in `slot` if its generation is `generation`.
    pub(crate) fn get_mut_checked(&mut self, slot: u32, generation: u32) -> Option<&mut T> {
        self.get_mut(slot).filter(|v| v.generation() == generation)
    }

    pub(crate) fn generation(&self, slot: u32) -> Option<u32> {
        self.slots
            .get(slot as usize)?
            .as_ref()
            .map(Generation::generation)
    }

    pub(crate) fn remove(&mut self, slot: u32) -> Option<T> {
        let value = self.slots.get_mut(slot as usize)?.take()?;
        self.free.push((slot, value.generation()));
        self.len -= 1;
        Some(value)
    }

    /// One past the highest slot number ever used: occupied slots are below it.
    pub(crate) fn slot_count(&self) -> u32 {
        u32::try_from(self.slots.len()).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct V(&'static str, u32);

    impl Generation for V {
        fn generation(&self) -> u32 {
            self.1
        }
    }

    #[test]
    fn reuse_bumps_generation() {
        let mut slab = Slab::new();
        let (a, ga) = slab.insert_with(|_, g| V("a", g));
        assert_eq!(slab.remove(a), Some(V("a", ga)));
        let (b, gb) = slab.insert_with(|_, g| V("b", g));
        assert_eq!(a, b);
        assert_ne!(ga, gb);
        assert!(slab.get_mut_checked(a, ga).is_none());
        assert_eq!(slab.get_mut_checked(b, gb), Some(&mut V("b", gb)));
        assert_eq!(slab.generation(b), Some(gb));
        assert_eq!(slab.len(), 1);
        let (c, gc) = slab.insert_with(|_, g| V("c", g));
        assert_ne!(c, b, "a new slot while the first is occupied");
        assert_eq!(slab.generation(c), Some(gc));
    }
}
