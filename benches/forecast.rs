//! Forecasting speed: AutoETS on AirPassengers (the median of repeated fits), and a batch of
//! 10,000 monthly series of 60 to 144 points forecast 12 ahead on all cores.
//!
//! `cargo bench -p nexus-core --profile dev --bench forecast` (the profile the bindings are
//! built in). `NEXUS_BENCH_SERIES` changes the batch size.

use std::time::{Duration, Instant};

use nexus_core::analytics::forecast::{AutoEts, forecast_series};

const AIR: &str = include_str!("../tests/data/AirPassengers.csv");

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// A seasonal series with trend and noise from a small deterministic generator.
fn series(seed: u64, n: usize) -> Vec<f64> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let level = 50.0 + 200.0 * next();
    let slope = (next() - 0.3) * 2.0;
    let amplitude = 0.05 + 0.3 * next();
    let phase = next() * 12.0;
    (0..n)
        .map(|t| {
            let season = 1.0 + amplitude * ((t as f64 + phase) * std::f64::consts::PI / 6.0).sin();
            let noise = 1.0 + 0.08 * (next() - 0.5);
            ((level + slope * t as f64) * season * noise).max(1.0)
        })
        .collect()
}

fn main() {
    let y: Vec<f64> = AIR
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap().trim().parse().unwrap())
        .collect();
    let train = &y[..132];
    let model = AutoEts::new().season_length(12);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let _ = model.fit(train).unwrap();
    let mut one_thread = Vec::new();
    let mut all_threads = Vec::new();
    for _ in 0..30 {
        let t = Instant::now();
        pool.install(|| model.fit(train).unwrap());
        one_thread.push(t.elapsed());
        let t = Instant::now();
        let fit = model.fit(train).unwrap();
        all_threads.push(t.elapsed());
        std::hint::black_box(fit);
    }
    let fit = model.fit(train).unwrap();
    println!(
        "AutoETS on AirPassengers[:132] -> {} (AICc {:.2}): median {:.2} ms on one thread, {:.2} ms on {} threads",
        fit.model(),
        fit.aicc(),
        median(one_thread).as_secs_f64() * 1e3,
        median(all_threads).as_secs_f64() * 1e3,
        rayon::current_num_threads()
    );

    let count: usize = std::env::var("NEXUS_BENCH_SERIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let batch: Vec<(String, Vec<f64>)> = (0..count)
        .map(|i| {
            let n = 60 + (i * 37) % 85;
            (format!("s{i}"), series(i as u64 + 1, n))
        })
        .collect();
    let points: usize = batch.iter().map(|s| s.1.len()).sum();
    let t = Instant::now();
    let (ok, failed) = forecast_series(&batch, &model, 12, &[80.0, 95.0]).unwrap();
    let elapsed = t.elapsed();
    println!(
        "{count} monthly series ({points} points, 60-144 each), AutoETS + 12-step forecasts with 80/95% intervals: {:.2} s on {} threads ({} ok, {} failed)",
        elapsed.as_secs_f64(),
        rayon::current_num_threads(),
        ok.len(),
        failed.len()
    );
}
