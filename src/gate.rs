//! A lock that serves waiting threads in the order they came. `std::sync::Mutex` lets
//! the thread that just released it take it again ahead of those already waiting, so a
//! thread writing in a loop can keep another writer of the same store waiting for tens
//! of milliseconds; behind a `Gate` each waits for at most the calls that came before it.

use std::sync::{Condvar, Mutex, MutexGuard};

pub(crate) struct Gate<T> {
    value: Mutex<T>,
    tickets: Mutex<Tickets>,
    turn: Condvar,
}

/// The ticket the next arrival takes, and the ticket whose turn it is.
#[derive(Default)]
struct Tickets {
    next: u64,
    serving: u64,
}

/// A turn at the gate's value; the next ticket's turn comes when it is dropped.
pub(crate) struct Turn<'g, T> {
    value: Option<MutexGuard<'g, T>>,
    gate: &'g Gate<T>,
}

impl<T> Gate<T> {
    pub fn new(value: T) -> Gate<T> {
        Gate { value: Mutex::new(value), tickets: Mutex::default(), turn: Condvar::new() }
    }

    /// Waits for this thread's turn, after every thread that asked before it.
    pub fn lock(&self) -> Turn<'_, T> {
        // Nothing panics while a ticket lock is held, but a poisoned lock stays usable.
        let mut tickets = self.tickets.lock().unwrap_or_else(|e| e.into_inner());
        let ticket = tickets.next;
        tickets.next += 1;
        while tickets.serving != ticket {
            tickets = self.turn.wait(tickets).unwrap_or_else(|e| e.into_inner());
        }
        drop(tickets);
        // Uncontended: only the thread whose turn it is gets here. A panic during an
        // earlier turn leaves the value usable (see `Store::lock`).
        Turn { value: Some(self.value.lock().unwrap_or_else(|e| e.into_inner())), gate: self }
    }
}

impl<T> std::ops::Deref for Turn<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.value.as_ref().expect("a turn holds its value until dropped")
    }
}

impl<T> std::ops::DerefMut for Turn<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.value.as_mut().expect("a turn holds its value until dropped")
    }
}

impl<T> Drop for Turn<'_, T> {
    fn drop(&mut self) {
        // The value first, so that the next ticket finds it free.
        drop(self.value.take());
        let mut tickets = self.gate.tickets.lock().unwrap_or_else(|e| e.into_inner());
        tickets.serving += 1;
        let waiting = tickets.next > tickets.serving;
        drop(tickets);
        // Only when a thread waits: a notification is a system call even with no
        // waiter, and most turns (a UI thread's calls) have none.
        if waiting {
            self.gate.turn.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    /// Threads that queue up while the gate is held get it in the order they queued,
    /// also when the holder asks again at once.
    #[test]
    fn turns_go_in_arrival_order() {
        let gate = Arc::new(Gate::new(Vec::new()));
        let first = gate.lock();
        let mut threads = Vec::new();
        for i in 0..6 {
            let queued = gate.clone();
            threads.push(std::thread::spawn(move || queued.lock().push(i)));
            // Each thread is waiting before the next starts: the ticket count says so.
            while gate.tickets.lock().unwrap().next != i + 2 {
                std::thread::sleep(Duration::from_micros(50));
            }
        }
        drop(first);
        gate.lock().push(99);
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(*gate.lock(), vec![0, 1, 2, 3, 4, 5, 99]);
    }
}
