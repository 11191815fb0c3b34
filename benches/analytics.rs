//! Customer analytics benchmark: the BTYD summary and RFM scores and segments of 10 million
//! transactions (about a million customers), read from a polars DataFrame.
//!
//! Run with `cargo bench -p nexus-core --bench analytics`. The rows (`NEXUS_BENCH_ROWS`,
//! default 10,000,000) are generated here, or read from `NEXUS_BENCH_DATA`: a folder of
//! raw little-endian columns (`customer.i64`, `order.i64`, `micros.i64`, `amount.f64`)
//! written by `benches/analytics_peers.py`, so the Rust and Python figures are measured on
//! the same table. Five runs, the median of each stage and of the whole call.

use std::time::Instant;

use nexus_core::analytics::rfm::{RfmOptions, SummaryOptions, rfm, summary_data};
use nexus_core::analytics::{Columns, Transactions};

use polars::prelude::*;

fn read_column<T: Copy>(dir: &str, name: &str, from: fn([u8; 8]) -> T) -> Vec<T> {
    let bytes = std::fs::read(format!("{dir}/{name}")).expect("bench data column");
    bytes
        .chunks_exact(8)
        .map(|c| from(c.try_into().expect("8 bytes")))
        .collect()
}

fn table() -> DataFrame {
    let (customer, order, micros, amount) = match std::env::var("NEXUS_BENCH_DATA") {
        Ok(dir) => (
            read_column(&dir, "customer.i64", i64::from_le_bytes),
            read_column(&dir, "order.i64", i64::from_le_bytes),
            read_column(&dir, "micros.i64", i64::from_le_bytes),
            read_column(&dir, "amount.f64", f64::from_le_bytes),
        ),
        Err(_) => {
            let rows: usize = std::env::var("NEXUS_BENCH_ROWS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(10_000_000);
            let customers = (rows / 10).max(1) as u64;
            let mut state = 0x9e37_79b9_7f4a_7c15u64;
            let mut next = move || {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state
            };
            let start = 1_640_995_200_000_000i64; // 2022-01-01
            let span = 730 * 86_400_000_000i64;
            let (mut c, mut o, mut m, mut a) = (vec![], vec![], vec![], vec![]);
            for i in 0..rows {
                c.push((next() % customers) as i64);
                o.push(i as i64);
                m.push(start + (next() % span as u64) as i64);
                a.push((next() % 50_000) as f64 / 100.0 + 1.0);
            }
            (c, o, m, a)
        }
    };
    let date = Int64Chunked::from_vec("date".into(), micros)
        .into_datetime(TimeUnit::Microseconds, None)
        .into_series()
        .into_column();
    DataFrame::new_infer_height(vec![
        Column::new("customer_id".into(), customer),
        Column::new("order_id".into(), order),
        date,
        Column::new("amount".into(), amount),
    ])
    .expect("bench table")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported by this harness.
    let frame = table();
    println!("{} transactions", frame.height());
    let (mut read, mut group, mut summary, mut scores, mut total) =
        (vec![], vec![], vec![], vec![], vec![]);
    let mut separate = vec![];
    let mut customers = 0;
    for _ in 0..5 {
        let t0 = Instant::now();
        let tx = Transactions::from_frame(&frame, &Columns::default()).expect("table");
        let t1 = Instant::now();
        tx.prepare();
        let tg = Instant::now();
        let s = summary_data(&tx, &SummaryOptions::default()).expect("summary");
        let t2 = Instant::now();
        let r = rfm(&tx, &RfmOptions::default()).expect("rfm");
        let (_, _) = (
            s.to_frame("customer_id").expect("frame"),
            r.to_frame("customer_id").expect("frame"),
        );
        let t3 = Instant::now();
        customers = r.len();
        // The same work as two separate calls, each reading the table afresh, as the
        // Python binding's `summary_data` and `rfm` do.
        let t4 = Instant::now();
        let tx = Transactions::from_frame(&frame, &Columns::default()).expect("table");
        let s = summary_data(&tx, &SummaryOptions::default()).expect("summary");
        let tx = Transactions::from_frame(&frame, &Columns::default()).expect("table");
        let r = rfm(&tx, &RfmOptions::default()).expect("rfm");
        let _ = (s.to_frame("customer_id"), r.to_frame("customer_id"));
        separate.push(t4.elapsed().as_secs_f64());
        read.push((t1 - t0).as_secs_f64());
        group.push((tg - t1).as_secs_f64());
        summary.push((t2 - tg).as_secs_f64());
        scores.push((t3 - t2).as_secs_f64());
        total.push((t3 - t0).as_secs_f64());
    }
    println!("{customers} customers; medians of 5 runs:");
    println!("  read and check the table   {:>8.3} s", median(read));
    println!("  group rows by customer     {:>8.3} s", median(group));
    println!("  BTYD summary               {:>8.3} s", median(summary));
    println!("  RFM scores and segments    {:>8.3} s", median(scores));
    println!("  summary + RFM, in all      {:>8.3} s", median(total));
    println!("  as two calls (summary, RFM) {:>7.3} s", median(separate));
}
