//! Time for the wait loops, and Ctrl-C. A replay runs on a virtual clock so
//! that a recorded fifteen-minute wait replays at once with the same outcome.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A request to stop, set from the SIGINT handler.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// Returns the flag to hand to a signal handler.
    pub fn flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.0)
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Elapsed time and sleeping, real or virtual.
pub trait Clock {
    /// Returns the time since the clock was made.
    fn elapsed(&self) -> Duration;

    /// Sleeps for `duration`, waking early when `cancel` is set. Returns false
    /// when it was cancelled.
    fn sleep(&self, duration: Duration, cancel: &Cancel) -> bool;
}

/// The wall clock.
pub struct RealClock {
    start: Instant,
}

impl RealClock {
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
        }
    }
}

impl Default for RealClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for RealClock {
    fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    fn sleep(&self, duration: Duration, cancel: &Cancel) -> bool {
        // Short slices keep Ctrl-C responsive during a long poll interval.
        const SLICE: Duration = Duration::from_millis(100);
        let deadline = Instant::now() + duration;
        while !cancel.is_cancelled() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return true;
            }
            std::thread::sleep(left.min(SLICE));
        }
        false
    }
}

/// A clock that advances when slept on, and to the recorded time of each
/// replayed call when it shares that time with the runner.
#[derive(Default)]
pub struct VirtualClock {
    now: Rc<Cell<Duration>>,
}

impl VirtualClock {
    /// Returns a clock whose time is `now`, which a replaying runner moves.
    pub fn following(now: Rc<Cell<Duration>>) -> Self {
        Self { now }
    }
}

impl Clock for VirtualClock {
    fn elapsed(&self) -> Duration {
        self.now.get()
    }

    fn sleep(&self, duration: Duration, cancel: &Cancel) -> bool {
        self.now.set(self.now.get() + duration);
        !cancel.is_cancelled()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_clock_advances_by_sleeps() {
        let clock = VirtualClock::default();

        assert!(clock.sleep(Duration::from_secs(5), &Cancel::default()));
        assert!(clock.sleep(Duration::from_secs(5), &Cancel::default()));

        assert_eq!(clock.elapsed(), Duration::from_secs(10));
    }

    #[test]
    fn cancelled_sleep_returns_early() {
        let cancel = Cancel::default();
        cancel.flag().store(true, Ordering::SeqCst);
        let clock = RealClock::new();

        assert!(!clock.sleep(Duration::from_secs(60), &cancel));
        assert!(clock.elapsed() < Duration::from_secs(1));
    }
}
