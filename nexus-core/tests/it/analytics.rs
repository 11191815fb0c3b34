//! Customer analytics on the CDNOW sample: the BTYD summary equals the published one.

use nexus_core::analytics::rfm::{RfmOptions, SummaryOptions, Unit, day_of, rfm, summary_data};
use nexus_core::analytics::{Columns, CustomerKey, Transactions};
use polars::prelude::*;

const CDNOW: &str = include_str!("../../../tests/data/CDNOW_sample.txt");
const SUMMARY: &str =
    include_str!("../../../tests/data/cdnow_customers_summary_with_transactions.csv");

/// The CDNOW sample as a transactions table: sample customer id, date, dollar value.
pub fn cdnow() -> DataFrame {
    let (mut customer, mut date, mut amount) = (Vec::new(), Vec::new(), Vec::new());
    for line in CDNOW.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        customer.push(f[1].parse::<i64>().unwrap());
        date.push(f[2].to_string());
        amount.push(f[4].parse::<f64>().unwrap());
    }
    df!("customer_id" => customer, "date" => date, "amount" => amount).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> i64 {
    day_of(chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap())
}

#[test]
fn cdnow_summary_equals_the_published_one() {
    let tx = Transactions::from_frame(&cdnow(), &Columns::default().order(None)).unwrap();
    assert_eq!(tx.len(), 6919);
    let s = summary_data(
        &tx,
        &SummaryOptions {
            calibration_end: Some(date(1997, 9, 30)),
            observation_end: Some(date(1998, 6, 30)),
            unit: Unit::Weeks,
        },
    )
    .unwrap();
    let CustomerKey::Int(ids) = &s.customers else {
        panic!("integer ids")
    };
    let rows: Vec<Vec<f64>> = SUMMARY
        .lines()
        .skip(1)
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    assert_eq!(ids.len(), rows.len(), "customers");
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(ids[i], row[0] as i64);
        let close = |ours: f64, theirs: f64| (ours - theirs).abs() <= 0.005 + 1e-9;
        assert_eq!(s.frequency[i], row[1], "x of customer {}", ids[i]);
        assert!(
            close(s.recency[i], row[2]),
            "t_x of {}: {} vs {}",
            ids[i],
            s.recency[i],
            row[2]
        );
        assert!(
            close(s.t[i], row[3]),
            "T of {}: {} vs {}",
            ids[i],
            s.t[i],
            row[3]
        );
        assert!(
            close(s.monetary_value[i], row[4]),
            "zbar of {}: {} vs {}",
            ids[i],
            s.monetary_value[i],
            row[4]
        );
    }
    let h = s.holdout.as_ref().unwrap();
    assert!((h.duration - 273.0 / 7.0).abs() < 1e-12);
    let total: f64 = h.frequency.iter().sum();
    assert!(total > 0.0);
    let frame = s.to_frame("customer_id").unwrap();
    assert_eq!(frame.shape(), (2357, 8));
}

#[test]
fn rfm_on_cdnow_segments_everyone() {
    let tx = Transactions::from_frame(&cdnow(), &Columns::default().order(None)).unwrap();
    let r = rfm(&tx, &RfmOptions::default()).unwrap();
    assert_eq!(r.len(), 2357);
    assert_eq!(r.as_of, date(1998, 7, 1));
    // Quintiles: each score holds about a fifth of the customers for F (ranks).
    for s in 1..=5u8 {
        let n = r.f_score.iter().filter(|&&x| x == s).count();
        assert!((471..=472).contains(&n), "F={s}: {n}");
    }
    let summary = r.segment_summary();
    let customers: usize = summary.iter().map(|s| s.customers).sum();
    assert_eq!(customers, 2357);
    let share: f64 = summary.iter().map(|s| s.revenue_share).sum();
    assert!((share - 1.0).abs() < 1e-9);
    assert!(summary.iter().all(|s| s.segment != "Others"));
}
