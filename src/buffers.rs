//! Answer-sized byte buffers, kept from one call for the next.
//!
//! A tool answer passes through buffers the size of the answer: the shaped
//! JSON and its text block's form ([`crate::written`]), and the message
//! they are spliced into ([`crate::splice`]). glibc's malloc gives the top of its heap back to the
//! system once more than 128 KiB is free there, so with a 100-contact page
//! (96 KB on the wire) every call grew the heap with `brk`, faulted the new
//! pages in, and gave them back at the end: `strace` counted 4,409 `brk`s
//! over 2,200 calls. A buffer given back here is handed out again instead.
//!
//! At most [`KEPT`] buffers are kept, none over [`MAX_KEPT`] bytes, so what
//! the pool holds stays bounded whatever the answers; buffers too small to
//! matter are not kept at all.

use std::sync::{Mutex, PoisonError};

/// The most buffers kept.
const KEPT: usize = 4;
/// Larger buffers (a huge answer's) are freed, not kept.
const MAX_KEPT: usize = 1 << 20;
/// Smaller ones cost malloc nothing worth saving.
const MIN_KEPT: usize = 16 * 1024;

static POOL: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// An empty buffer with room for at least `capacity` bytes: a kept one if
/// one is large enough.
pub(crate) fn take(capacity: usize) -> Vec<u8> {
    if capacity <= MAX_KEPT {
        let mut pool = POOL.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(at) = pool.iter().position(|b| b.capacity() >= capacity) {
            return pool.swap_remove(at);
        }
    }
    Vec::with_capacity(capacity)
}

/// Keep `buffer` for a later [`take`], if it is worth keeping and there is
/// room; its contents are dropped either way.
pub(crate) fn give(mut buffer: Vec<u8>) {
    if !(MIN_KEPT..=MAX_KEPT).contains(&buffer.capacity()) {
        return;
    }
    buffer.clear();
    let mut pool = POOL.lock().unwrap_or_else(PoisonError::into_inner);
    if pool.len() < KEPT {
        pool.push(buffer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_come_back_empty_and_the_pool_stays_bounded() {
        for _ in 0..2 * KEPT {
            give(vec![7u8; MIN_KEPT]);
        }
        give(Vec::with_capacity(MAX_KEPT + 1));
        give(Vec::with_capacity(MIN_KEPT - 1));
        {
            let pool = POOL.lock().unwrap();
            assert!(pool.len() <= KEPT);
            assert!(
                pool.iter()
                    .all(|b| b.is_empty() && (MIN_KEPT..=MAX_KEPT).contains(&b.capacity()))
            );
        }
        let reused = take(MIN_KEPT);
        assert!(reused.is_empty() && reused.capacity() >= MIN_KEPT);
        assert!(take(MAX_KEPT + 1).capacity() > MAX_KEPT);
    }
}
