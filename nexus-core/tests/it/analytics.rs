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

#[test]
fn kmeans_segments_are_deterministic_and_described() {
    use nexus_core::analytics::segments::{SegmentOptions, segment_customers};
    let tx = Transactions::from_frame(&cdnow(), &Columns::default().order(None)).unwrap();
    let options = SegmentOptions {
        k_range: (2, 5),
        ..Default::default()
    };
    let a = segment_customers(&tx, &options).unwrap();
    let b = segment_customers(&tx, &options).unwrap();
    assert_eq!(a, b, "same seed, same segments");
    assert_eq!(a.silhouettes.len(), 4);
    let best = a.silhouettes.iter().map(|s| s.1).fold(f64::MIN, f64::max);
    assert_eq!(a.silhouettes.iter().find(|s| s.0 == a.k).unwrap().1, best);
    assert_eq!(a.clusters.iter().map(|c| c.size).sum::<usize>(), 2357);
    let share: f64 = a.clusters.iter().map(|c| c.revenue_share).sum();
    assert!((share - 1.0).abs() < 1e-9);
    // Numbered by revenue share: the first cluster carries the most revenue.
    assert!(
        a.clusters
            .windows(2)
            .all(|w| w[0].revenue_share >= w[1].revenue_share)
    );
    // The biggest spenders' cluster buys more often than the smallest one.
    assert!(a.clusters[0].frequency > a.clusters[a.k - 1].frequency);
    let fixed = segment_customers(
        &tx,
        &SegmentOptions {
            k: Some(3),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!((fixed.k, fixed.clusters.len()), (3, 3));
    assert!(fixed.silhouettes.is_empty());
    let err = segment_customers(
        &tx,
        &SegmentOptions {
            k_range: (1, 3),
            ..Default::default()
        },
    );
    assert_eq!(err.unwrap_err().code(), "invalid_argument");
}

#[test]
fn propensity_on_cdnow_beats_chance_and_reports_the_bgnbd_baseline() {
    use nexus_core::analytics::segments::{
        PropensityModel, PropensityOptions, purchase_propensity,
    };
    let tx = Transactions::from_frame(&cdnow(), &Columns::default().order(None)).unwrap();
    for model in [PropensityModel::Logistic, PropensityModel::RandomForest] {
        let p = purchase_propensity(
            &tx,
            &PropensityOptions {
                calibration_end: Some(date(1997, 9, 30)),
                horizon_days: 273,
                model,
                ..Default::default()
            },
        )
        .unwrap();
        eprintln!(
            "{model:?}: AUC {:.4}, BG/NBD baseline AUC {:.4}",
            p.auc, p.baseline_auc
        );
        assert_eq!(p.customers.len(), 2357);
        assert!(p.auc > 0.7 && p.auc <= 1.0, "{model:?} AUC {}", p.auc);
        assert!(p.baseline_auc > 0.7, "baseline AUC {}", p.baseline_auc);
        assert!(p.probability.iter().all(|v| (0.0..=1.0).contains(v)));
    }
}
