//! Nexus quickstart: the whole pipeline on your machine, no account needed.
//!
//! It starts three fake stores on 127.0.0.1 (WooCommerce, Shopify and Magento 2, speaking
//! their real APIs, with a few thousand orders each and some realistic dirt), registers them
//! in a `nexus.toml` (credentials from environment variables, as in production), syncs them
//! concurrently into a SQLite file with a progress line, and prints the sync report, each
//! store's health and quality grade. It writes the HTML quality report beside the database.
//!
//! Run it with `cargo run --release --example quickstart [output-dir]`
//! (default output directory: `nexus-quickstart` under the system's temp directory).

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use nexus_core::manager::{Manager, ManagerOptions};
use nexus_core::model::PlatformKind;
use nexus_core::store::ReadFilter;
use nexus_core::sync::Progress;
use nexus_fake::{FakeConfig, FakeStore};

/// The three stores: name, platform, orders.
const STORES: [(&str, PlatformKind, usize); 3] = [
    ("eu-woo", PlatformKind::WooCommerce, 4000),
    ("us-shopify", PlatformKind::Shopify, 3500),
    ("de-magento", PlatformKind::Magento, 3000),
];

fn registry(fakes: &[FakeStore]) -> String {
    let mut toml = String::from(
        "# Written by the Nexus quickstart: three fake stores on 127.0.0.1.\n\
         database = \"nexus.db\"\nconcurrency = 3\n\n\
         # The fake stores have no rate limit: let the connectors go as fast as they can.\n\
         [defaults]\npage_size = 100\nrate_limit = 100000\n",
    );
    for ((name, platform, _), fake) in STORES.iter().zip(fakes) {
        let var = name.to_uppercase().replace('-', "_");
        let c = fake.credentials();
        toml.push_str(&format!(
            "\n[stores.{name}]\nplatform = \"{}\"\nurl = \"{}\"\n",
            platform.as_str(),
            fake.url()
        ));
        let creds: Vec<(&str, &str)> = match platform {
            PlatformKind::WooCommerce => vec![
                ("consumer_key", &c.consumer_key),
                ("consumer_secret", &c.consumer_secret),
            ],
            PlatformKind::Shopify => vec![("access_token", &c.access_token)],
            PlatformKind::Magento => {
                toml.push_str("allow_plain_http = true  # a local fake store\n");
                vec![("access_token", &c.access_token)]
            }
        };
        for (field, value) in creds {
            let env = format!("{var}_{}", field.to_uppercase());
            // SAFETY: set before the manager (or any other thread) reads the environment.
            unsafe { std::env::set_var(&env, value) };
            toml.push_str(&format!("{field} = \"env:{env}\"\n"));
        }
    }
    toml
}

/// Records fetched and announced, per (store, entity).
type Tally = Mutex<std::collections::BTreeMap<(String, String), (u64, u64)>>;

/// One progress line for all stores: records so far out of the totals the stores announce.
fn progress_line(state: &Tally, p: &Progress) {
    let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
    s.insert(
        (p.store.clone(), p.entity.plural().to_owned()),
        (p.fetched, p.total.unwrap_or(p.fetched).max(p.fetched)),
    );
    let (done, total) = s.values().fold((0, 0), |(a, b), (f, t)| (a + f, b + t));
    let width = 30;
    let filled = (done * width).checked_div(total).unwrap_or(0) as usize;
    eprint!(
        "\r  [{}{}] {done:>6}/{total:<6} records  {:<11} {:<9}",
        "#".repeat(filled),
        ".".repeat(width as usize - filled),
        p.store,
        p.entity.plural()
    );
    let _ = std::io::stderr().flush();
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out: PathBuf = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("nexus-quickstart"));
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out)?;
    println!(
        "Nexus {} quickstart: three stores -> one SQLite database\n",
        nexus_core::VERSION
    );

    let mut fakes = Vec::new();
    for (name, platform, orders) in STORES {
        let mut config = FakeConfig::with_orders(orders);
        config.dirt = 0.02;
        let fake = FakeStore::start(platform, config).await?;
        println!(
            "  fake {platform:<11} store {name:<11} at {} ({orders} orders)",
            fake.url()
        );
        fakes.push(fake);
    }
    let file = out.join("nexus.toml");
    std::fs::write(&file, registry(&fakes))?;
    let manager = Manager::from_toml(&file, ManagerOptions::default()).await?;
    println!("  registry {}\n", file.display());

    for c in manager.check_all().await {
        let info = c.info.as_ref();
        println!(
            "  check {:<11} {} ({}, {})",
            c.store,
            if c.ok { "ok" } else { "FAILED" },
            info.and_then(|i| i.name.clone()).unwrap_or_default(),
            info.and_then(|i| i.currency)
                .map(|c| c.to_string())
                .unwrap_or_default()
        );
    }
    println!("\nSyncing...");
    let state = Arc::new(Mutex::new(Default::default()));
    let st = state.clone();
    let started = std::time::Instant::now();
    let report = manager
        .sync(
            None,
            Some(Arc::new(move |p: &Progress| progress_line(&st, p))),
        )
        .await?;
    let seconds = started.elapsed().as_secs_f64();
    eprintln!();
    let fetched: u64 = report.stores.iter().map(|s| s.fetched()).sum();
    println!(
        "\n{} records in {seconds:.1}s ({:.0} records/s)\n\n{}",
        fetched,
        fetched as f64 / seconds,
        report.to_text()
    );

    println!("Health");
    let health = manager.health().await?;
    for s in &health.stores {
        println!(
            "  {:<11} {:<9} quality {:<3} ({:>5.1})  quarantine {:>3}  {}",
            s.store,
            format!("{:?}", s.status).to_lowercase(),
            s.quality_grade.as_deref().unwrap_or("-"),
            s.quality_score.unwrap_or(0.0),
            s.quarantined,
            s.reasons.join("; ")
        );
    }
    for a in manager.alerts().await? {
        println!("  alert {:?} {}: {}", a.severity, a.rule, a.message);
    }

    let db = manager.database();
    let quarantined = db.quarantined(&ReadFilter::all()).await?;
    if let Some(q) = quarantined.first() {
        println!(
            "\nQuarantine ({} records), for example {} {}:\n  {}",
            quarantined.len(),
            q.store,
            q.entity,
            q.reason
        );
    }
    let tx = db.transactions(&ReadFilter::all()).await?;
    let across = manager.customers_across().await?;
    println!(
        "\n{} transactions ready for analytics; {} customers, {} of them buying in more than one store",
        tx.len(),
        across.len(),
        across.iter().filter(|c| c.stores.len() > 1).count()
    );
    customer_insight(&tx)?;
    let quality = manager.quality_report(None).await?;
    let html = out.join("quality-report.html");
    std::fs::write(&html, quality.to_html())?;
    if let Some(top) = quality.recommendations.first() {
        println!(
            "Stored data quality {} ({:.1}/100); fix first: {} [{}]",
            quality.grade, quality.score, top.problem, top.rule
        );
    }
    println!(
        "\nDatabase {}\nQuality report {}",
        out.join("nexus.db").display(),
        html.display()
    );
    if !report.ok() {
        return Err("a store failed to sync".into());
    }
    Ok(())
}

/// RFM segments, the BG/NBD and Gamma-Gamma models and the most valuable customers, on the
/// transactions just synced.
fn customer_insight(
    rows: &[nexus_core::store::TransactionRow],
) -> Result<(), Box<dyn std::error::Error>> {
    use nexus_core::analytics::clv::{BetaGeo, GammaGamma};
    use nexus_core::analytics::kpi::{KpiOptions, Period, kpis};
    use nexus_core::analytics::rfm::{RfmOptions, SummaryOptions, Unit, rfm, summary_data};
    use nexus_core::analytics::{Columns, Transactions, transactions_frame};

    let frame = transactions_frame(rows)?;
    let tx = Transactions::from_frame(&frame, &Columns::default().by(Some("store")))?;
    let segments = rfm(&tx, &RfmOptions::default())?;
    println!(
        "\nRFM segments of {} customers (customers are counted per store):",
        segments.len()
    );
    let mut summary = segments.segment_summary();
    summary.sort_by(|a, b| b.revenue_share.total_cmp(&a.revenue_share));
    for s in summary.iter().take(5) {
        println!(
            "  {:<20} {:>5} customers  {:>5.1}% of revenue",
            s.segment,
            s.customers,
            100.0 * s.revenue_share
        );
    }
    let monthly = kpis(
        &tx,
        &KpiOptions {
            period: Period::Month,
        },
    )?;
    println!("Monthly KPIs:");
    for (store, _, _) in STORES {
        let rows: Vec<_> = monthly
            .rows
            .iter()
            .filter(|r| r.group.as_deref() == Some(store))
            .collect();
        if let Some(last) = rows.last() {
            println!(
                "  {store:<11} {} months; the last: revenue {:.2}, {} orders, {:.0}% of its customers returning",
                rows.len(),
                last.revenue,
                last.orders,
                100.0 * last.returning_customers as f64 / last.customers.max(1) as f64
            );
        }
    }
    let s = summary_data(
        &tx,
        &SummaryOptions {
            unit: Unit::Weeks,
            ..Default::default()
        },
    )?;
    let (bg, gg) = match (
        BetaGeo::default().fit(&s.frequency, &s.recency, &s.t),
        GammaGamma::default().fit(&s.frequency, &s.monetary_value),
    ) {
        (Ok(bg), Ok(gg)) => (bg, gg),
        (Err(e), _) | (_, Err(e)) => {
            println!("Lifetime value: not enough repeat buyers to fit the models ({e})");
            return Ok(());
        }
    };
    let value = gg.clv(
        &bg,
        &s.frequency,
        &s.recency,
        &s.t,
        &s.monetary_value,
        12,
        0.01,
        7.0,
    )?;
    let mut best: Vec<usize> = (0..s.len()).collect();
    best.sort_by(|&a, &b| value[b].total_cmp(&value[a]));
    let p = bg.params();
    println!(
        "BG/NBD fitted (r {:.3}, alpha {:.3}, a {:.3}, b {:.3}); most valuable customers over 12 months:",
        p.r, p.alpha, p.a, p.b
    );
    for &i in best.iter().take(3) {
        println!("  {:<28} {:>9.2}", s.customers.label(i), value[i]);
    }
    Ok(())
}
