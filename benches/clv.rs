//! Lifetime-value model fits on the CDNOW sample (2357 customers, 946 repeat buyers), the data
//! of the published estimates (`tests/data`, from lifetimes 0.11.3).
//!
//! Run with `cargo bench -p nexus-core --bench clv`; its Python peer, `benches/clv_peers.py`,
//! times lifetimes 0.11.3 on the same fits. Each fit includes everything `fit` does: input
//! validation, grouping identical customers, the optimization, the Hessian for the standard
//! errors and the log-likelihood. The predictions over all customers (the 39-week conditional
//! expectation, P(alive), and a 12-month CLV) are timed too. All on one core.

use criterion::{Criterion, criterion_group, criterion_main};
use nexus_core::analytics::clv::{BetaGeo, GammaGamma, ModifiedBetaGeo, ParetoNbd};

const SUMMARY: &str = include_str!("../tests/data/cdnow_customers_summary.csv");
const WITH_VALUE: &str =
    include_str!("../tests/data/cdnow_customers_summary_with_transactions.csv");

/// The numeric columns after the id of a CSV with a header line.
fn columns(text: &str, n: usize) -> Vec<Vec<f64>> {
    let mut cols = vec![Vec::new(); n];
    for line in text.lines().skip(1) {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        for (k, field) in line.split(',').skip(1).take(n).enumerate() {
            cols[k].push(field.trim().parse().expect("a number"));
        }
    }
    cols
}

fn bench(c: &mut Criterion) {
    let s = columns(SUMMARY, 3);
    let (f, r, t) = (&s[0], &s[1], &s[2]);
    let v = columns(WITH_VALUE, 4);
    let (x, tx, age, zbar) = (&v[0], &v[1], &v[2], &v[3]);

    let mut group = c.benchmark_group("clv_fit_cdnow");
    group.bench_function("bg_nbd", |b| {
        b.iter(|| BetaGeo::default().fit(f, r, t).expect("fits"))
    });
    group.bench_function("mbg_nbd", |b| {
        b.iter(|| ModifiedBetaGeo::default().fit(f, r, t).expect("fits"))
    });
    group.bench_function("pareto_nbd", |b| {
        b.iter(|| ParetoNbd::default().fit(f, r, t).expect("fits"))
    });
    group.bench_function("gamma_gamma", |b| {
        b.iter(|| GammaGamma::default().fit(x, zbar).expect("fits"))
    });
    group.finish();

    let bg = BetaGeo::default().fit(f, r, t).expect("fits");
    let pn = ParetoNbd::default().fit(f, r, t).expect("fits");
    let gg = GammaGamma::default().fit(x, zbar).expect("fits");
    let mut group = c.benchmark_group("clv_predict_cdnow");
    group.bench_function("bg_nbd_expected_39w", |b| {
        b.iter(|| bg.expected_purchases(39.0, f, r, t).expect("predicts"))
    });
    group.bench_function("bg_nbd_p_alive", |b| {
        b.iter(|| bg.probability_alive(f, r, t).expect("predicts"))
    });
    group.bench_function("pareto_nbd_expected_39w", |b| {
        b.iter(|| pn.expected_purchases(39.0, f, r, t).expect("predicts"))
    });
    group.bench_function("clv_12_months_bg_nbd", |b| {
        b.iter(|| {
            gg.clv(&bg, x, tx, age, zbar, 12, 0.01, 7.0)
                .expect("predicts")
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
