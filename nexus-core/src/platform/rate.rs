//! Client-side rate limiting: requests are paced before they are sent, not only slowed
//! down after the store refuses them.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How fast a connector may send requests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RateLimit {
    /// No client-side limit (429 responses are still honoured).
    Unlimited,
    /// At most this many requests a minute, spread evenly (WooCommerce, Magento).
    PerMinute(u32),
    /// A leaky bucket of `capacity` requests that drains `leak_per_second` (Shopify's REST
    /// limit: 40 and 2/s on standard plans). The bucket level reported by the store's
    /// headers corrects the client's estimate; `reserve` slots are kept free.
    LeakyBucket {
        /// Requests the bucket holds.
        capacity: u32,
        /// Requests drained each second.
        leak_per_second: f64,
        /// Slots left free, as a margin for other clients of the same store.
        reserve: u32,
    },
}

#[derive(Debug)]
struct State {
    /// The earliest moment the next request may go (pacing).
    next_slot: Instant,
    /// Estimated bucket level and when it was estimated.
    level: f64,
    at: Instant,
    /// No request before this moment (after a 429 with `Retry-After`).
    paused_until: Instant,
    /// The bucket capacity the store reports, when it differs from the configured one.
    capacity: Option<u32>,
}

/// The limiter a connector consults before each request.
#[derive(Debug)]
pub(crate) struct Limiter {
    limit: RateLimit,
    state: Mutex<State>,
}

impl Limiter {
    pub fn new(limit: RateLimit) -> Self {
        let now = Instant::now();
        Limiter {
            limit,
            state: Mutex::new(State {
                next_slot: now,
                level: 0.0,
                at: now,
                paused_until: now,
                capacity: None,
            }),
        }
    }

    /// How long to wait before sending a request now; reserves the slot it returns.
    pub fn reserve(&self, now: Instant) -> Duration {
        let Ok(mut s) = self.state.lock() else {
            return Duration::ZERO;
        };
        let mut wait = s.paused_until.saturating_duration_since(now);
        match self.limit {
            RateLimit::Unlimited => {}
            RateLimit::PerMinute(n) => {
                let interval = Duration::from_secs_f64(60.0 / f64::from(n.max(1)));
                let slot = s.next_slot.max(now + wait);
                wait = slot.saturating_duration_since(now);
                s.next_slot = slot + interval;
            }
            RateLimit::LeakyBucket {
                capacity,
                leak_per_second,
                reserve,
            } => {
                let leak = leak_per_second.max(0.001);
                // Requests already reserved for later go first.
                let start = (now + wait).max(s.at);
                // Drain the bucket up to the moment the request would go.
                let drained = start.saturating_duration_since(s.at).as_secs_f64() * leak;
                let mut level = (s.level - drained).max(0.0);
                let capacity = s.capacity.unwrap_or(capacity);
                let room = f64::from(capacity.saturating_sub(reserve).max(1));
                let mut go = start;
                if level + 1.0 > room {
                    let extra = Duration::from_secs_f64((level + 1.0 - room) / leak);
                    go = start + extra;
                    level = room - 1.0;
                }
                s.level = level + 1.0;
                s.at = go;
                wait = go.saturating_duration_since(now);
            }
        }
        wait
    }

    /// Takes in the bucket level and capacity a store reports
    /// (`X-Shopify-Shop-Api-Call-Limit: 32/40`).
    pub fn observe_bucket(&self, used: u32, capacity: u32, now: Instant) {
        if let Ok(mut s) = self.state.lock() {
            if capacity > 0 {
                s.capacity = Some(capacity);
            }
            let drained = now.saturating_duration_since(s.at).as_secs_f64()
                * match self.limit {
                    RateLimit::LeakyBucket {
                        leak_per_second, ..
                    } => leak_per_second,
                    _ => 0.0,
                };
            let estimate = (s.level - drained).max(0.0);
            // The store knows best, but a response may be older than later reservations.
            if f64::from(used) > estimate {
                s.level = f64::from(used);
                s.at = now;
            }
        }
    }

    /// Holds every request back until `until` (a 429 with `Retry-After`).
    pub fn pause_until(&self, until: Instant) {
        if let Ok(mut s) = self.state.lock() {
            s.paused_until = s.paused_until.max(until);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_minute_spreads_requests_evenly() {
        let l = Limiter::new(RateLimit::PerMinute(600));
        let t0 = Instant::now();
        let waits: Vec<Duration> = (0..5).map(|_| l.reserve(t0)).collect();
        assert_eq!(waits[0], Duration::ZERO);
        assert_eq!(waits[1], Duration::from_millis(100));
        assert_eq!(waits[4], Duration::from_millis(400));
        // Time passing frees the slots.
        assert_eq!(l.reserve(t0 + Duration::from_secs(10)), Duration::ZERO);
    }

    #[test]
    fn leaky_bucket_allows_a_burst_then_the_leak_rate() {
        let l = Limiter::new(RateLimit::LeakyBucket {
            capacity: 40,
            leak_per_second: 2.0,
            reserve: 0,
        });
        let t0 = Instant::now();
        for i in 0..40 {
            assert_eq!(l.reserve(t0), Duration::ZERO, "request {i} of the burst");
        }
        let w = l.reserve(t0);
        assert!((w.as_secs_f64() - 0.5).abs() < 1e-6, "{w:?}");
        let w = l.reserve(t0);
        assert!((w.as_secs_f64() - 1.0).abs() < 1e-6, "{w:?}");
    }

    #[test]
    fn store_reported_level_and_pauses_win() {
        let l = Limiter::new(RateLimit::LeakyBucket {
            capacity: 40,
            leak_per_second: 2.0,
            reserve: 0,
        });
        let t0 = Instant::now();
        l.observe_bucket(40, 40, t0);
        assert!(l.reserve(t0) > Duration::ZERO);
        // A store with a smaller bucket than configured: its capacity wins.
        let small = Limiter::new(RateLimit::LeakyBucket {
            capacity: 40,
            leak_per_second: 2.0,
            reserve: 0,
        });
        let t1 = Instant::now();
        small.observe_bucket(1, 10, t1);
        let waits: Vec<Duration> = (0..10).map(|_| small.reserve(t1)).collect();
        assert_eq!(waits[8], Duration::ZERO);
        assert!(waits[9] > Duration::ZERO, "{waits:?}");
        let u = Limiter::new(RateLimit::Unlimited);
        u.pause_until(t0 + Duration::from_secs(2));
        assert_eq!(u.reserve(t0), Duration::from_secs(2));
    }
}
