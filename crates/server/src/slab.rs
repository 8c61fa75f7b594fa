//! A slab of connections: stable slot numbers (mio tokens), generations against reuse.

/// One slot: its current generation and, if occupied, the value.
struct Slot<T> {
    generation: u32,
    value: Option<T>,
}

/// Vector of slots with a free list. Slot numbers are stable while occupied.
pub(crate) struct Slab<T> {
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
    len: usize,
}

impl<T> Slab<T> {
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

    /// Stores a value made from its (slot, generation); returns them.
    pub(crate) fn insert_with(&mut self, make: impl FnOnce(u32, u32) -> T) -> (u32, u32) {
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(Slot {
                    generation: 0,
                    value: None,
                });
                u32::try_from(self.slots.len() - 1).unwrap_or(u32::MAX)
            }
        };
        let Some(entry) = self.slots.get_mut(slot as usize) else {
            return (slot, 0);
        };
        entry.generation = entry.generation.wrapping_add(1);
        entry.value = Some(make(slot, entry.generation));
        self.len += 1;
        (slot, entry.generation)
    }

    pub(crate) fn get_mut(&mut self, slot: u32) -> Option<&mut T> {
        self.slots.get_mut(slot as usize)?.value.as_mut()
    }

    /// The value in `slot` if its generation is `generation`.
    pub(crate) fn get_mut_checked(&mut self, slot: u32, generation: u32) -> Option<&mut T> {
        let entry = self.slots.get_mut(slot as usize)?;
        if entry.generation == generation {
            entry.value.as_mut()
        } else {
            None
        }
    }

    pub(crate) fn generation(&self, slot: u32) -> Option<u32> {
        let entry = self.slots.get(slot as usize)?;
        entry.value.as_ref().map(|_| entry.generation)
    }

    pub(crate) fn remove(&mut self, slot: u32) -> Option<T> {
        let value = self.slots.get_mut(slot as usize)?.value.take()?;
        self.free.push(slot);
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

    #[test]
    fn reuse_bumps_generation() {
        let mut slab = Slab::new();
        let (a, ga) = slab.insert_with(|_, _| "a");
        assert_eq!(slab.remove(a), Some("a"));
        let (b, gb) = slab.insert_with(|_, _| "b");
        assert_eq!(a, b);
        assert_ne!(ga, gb);
        assert!(slab.get_mut_checked(a, ga).is_none());
        assert_eq!(slab.get_mut_checked(b, gb), Some(&mut "b"));
        assert_eq!(slab.len(), 1);
    }
}
