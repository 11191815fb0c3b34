//! Retry policy as data: which failures retry, how many times, and how long to wait.

use std::time::{Duration, SystemTime};

/// When and how often a request is tried again.
///
/// Waits grow exponentially from `base_delay` (doubling each attempt, capped at
/// `max_delay`) with full jitter; a server's `Retry-After` (seconds, fractional seconds or an
/// HTTP date) replaces the computed wait when it is longer, up to `max_retry_after`.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = no retry).
    pub max_attempts: u32,
    /// The first wait.
    pub base_delay: Duration,
    /// The longest computed wait.
    pub max_delay: Duration,
    /// The longest wait accepted from a `Retry-After` header.
    pub max_retry_after: Duration,
    /// HTTP statuses that are retried.
    pub retry_statuses: Vec<u16>,
    /// Whether connection failures and timeouts are retried.
    pub retry_network_errors: bool,
    /// Whether a page that is not the platform's JSON (an HTML error page served with 200,
    /// a body cut short) is fetched again.
    pub retry_invalid_pages: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            retry_statuses: vec![408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524],
            retry_network_errors: true,
            retry_invalid_pages: true,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Whether `status` is retried.
    pub fn retries_status(&self, status: u16) -> bool {
        self.retry_statuses.contains(&status)
    }

    /// The wait before attempt `attempt + 1` (attempt counts from 1), given a jitter
    /// sample in `[0, 1)` and the server's `Retry-After`, if any.
    pub fn delay(&self, attempt: u32, jitter: f64, retry_after: Option<Duration>) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(
                1u32.checked_shl(attempt.saturating_sub(1))
                    .unwrap_or(u32::MAX),
            )
            .min(self.max_delay);
        let computed = exp.mul_f64(jitter.clamp(0.0, 1.0));
        match retry_after {
            Some(ra) => ra.min(self.max_retry_after).max(computed),
            None => computed,
        }
    }
}

/// Parses a `Retry-After` value: seconds (possibly fractional, as Shopify sends them) or an
/// HTTP date, relative to `now`.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::from_secs_f64(secs.min(86_400.0)));
    }
    let when = httpdate::parse_http_date(v).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A jitter sample in `[0, 1)` from a small thread-local generator (no external state).
pub(crate) fn jitter() -> f64 {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<u64> = Cell::new(
            SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0x9E37_79B9_7F4A_7C15) | 1,
        );
    }
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        (x >> 11) as f64 / (1u64 << 53) as f64
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_and_are_capped() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(1, 1.0, None), Duration::from_millis(250));
        assert_eq!(p.delay(3, 1.0, None), Duration::from_secs(1));
        assert_eq!(p.delay(30, 1.0, None), Duration::from_secs(30));
        assert_eq!(p.delay(3, 0.0, None), Duration::ZERO);
        assert_eq!(
            p.delay(1, 0.5, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(
            p.delay(1, 0.5, Some(Duration::from_secs(999))),
            Duration::from_secs(120)
        );
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("2.0", now), Some(Duration::from_secs(2)));
        assert_eq!(
            parse_retry_after("0.5", now),
            Some(Duration::from_millis(500))
        );
        let date = httpdate::fmt_http_date(now + Duration::from_secs(7));
        assert_eq!(parse_retry_after(&date, now), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn jitter_is_in_range() {
        for _ in 0..1000 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j));
        }
    }
}
