//! The store's read connections (`read_connections`): a few connections to the same
//! file, opened when first needed, each lent to one call at a time. A read takes a free
//! one, and waits only when every one is in use by another read, never for a write.

use crate::error::Result;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, TryLockError};

pub(crate) struct Pool<T> {
    slots: Vec<Mutex<Option<T>>>,
    /// Which slot a read waits for when none is free: each in turn.
    next: AtomicUsize,
}

impl<T> Pool<T> {
    /// A pool of `size` (at least 1) slots, none open yet.
    pub fn new(size: usize) -> Pool<T> {
        Pool { slots: (0..size.max(1)).map(|_| Mutex::new(None)).collect(), next: AtomicUsize::new(0) }
    }

    /// Runs `f` on a free connection, opened by `open` if its slot has none yet.
    pub fn with<R>(
        &self,
        open: impl FnOnce() -> Result<T>,
        f: impl FnOnce(&mut T) -> Result<R>,
    ) -> Result<R> {
        let mut slot = self.slots.iter().find_map(free).unwrap_or_else(|| {
            let i = self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len();
            // A panic during an earlier read leaves the connection usable: the
            // transaction it held was rolled back when the panic dropped it.
            self.slots[i].lock().unwrap_or_else(|e| e.into_inner())
        });
        if slot.is_none() {
            *slot = Some(open()?);
        }
        f(slot.as_mut().expect("opened above"))
    }

    /// How many slots hold an open connection.
    #[cfg(test)]
    pub fn opened(&self) -> usize {
        self.slots.iter().filter(|slot| slot.lock().map_or(true, |s| s.is_some())).count()
    }
}

fn free<T>(slot: &Mutex<T>) -> Option<MutexGuard<'_, T>> {
    match slot.try_lock() {
        Ok(guard) => Some(guard),
        Err(TryLockError::Poisoned(e)) => Some(e.into_inner()),
        Err(TryLockError::WouldBlock) => None,
    }
}
