//! Crash safety: a sync killed (SIGKILL) at random moments and resumed ends in exactly the
//! state of an uninterrupted sync.
//!
//! The store is a fake in this process; the syncs run in child processes (the `nexus`
//! binary), so killing one is a real `kill -9` in the middle of HTTP reads and database
//! transactions.

use std::process::{Command, Stdio};
use std::time::Duration;

use nexus_core::model::PlatformKind;
use nexus_core::store::{self, ReadFilter, Store};
use nexus_fake::{FakeConfig, FakeStore, Fault};

use crate::store::tempdir;

fn registry(fake: &FakeStore) -> String {
    format!(
        "[defaults]\npage_size = 25\noverlap_seconds = 0\n\n[stores.shop]\nplatform = \"woocommerce\"\nurl = \"{}\"\n\
         consumer_key = \"env:NX_CRASH_KEY\"\nconsumer_secret = \"env:NX_CRASH_SECRET\"\nrate_limit = 100000\n",
        fake.url()
    )
}

fn nexus(dir: &std::path::Path, db: &str, fake: &FakeStore) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nexus"));
    c.args(["sync", "--quiet", "--config"])
        .arg(dir.join("nexus.toml"))
        .args(["--database", db])
        .env("NX_CRASH_KEY", &fake.credentials().consumer_key)
        .env("NX_CRASH_SECRET", &fake.credentials().consumer_secret)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

/// Everything a sync leaves, in a comparable form.
async fn state(db: &dyn Store) -> (String, String, String, String, Vec<String>, Vec<String>) {
    let all = ReadFilter::all();
    let j = |v: serde_json::Result<String>| v.expect("json");
    let quarantine = db
        .quarantined(&all)
        .await
        .expect("quarantine")
        .into_iter()
        .map(|q| format!("{} {} {} {:?}", q.entity, q.key, q.reason, q.raw))
        .collect();
    let mut checkpoints = Vec::new();
    for e in [
        nexus_core::model::EntityKind::Customer,
        nexus_core::model::EntityKind::Product,
        nexus_core::model::EntityKind::Order,
        nexus_core::model::EntityKind::Refund,
    ] {
        checkpoints.push(format!(
            "{e}: {:?}",
            db.checkpoint("shop", e).await.expect("checkpoint")
        ));
    }
    (
        j(serde_json::to_string(
            &db.orders(&all).await.expect("orders"),
        )),
        j(serde_json::to_string(
            &db.customers(&all).await.expect("customers"),
        )),
        j(serde_json::to_string(
            &db.products(&all).await.expect("products"),
        )),
        j(serde_json::to_string(
            &db.refunds(&all).await.expect("refunds"),
        )),
        quarantine,
        checkpoints,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_killed_at_random_points_resumes_to_the_uninterrupted_state() {
    let mut config = FakeConfig::with_orders(1500);
    config.dirt = 0.03;
    // Slow answers stretch the run so that the kills land in the middle of it.
    config.faults = (1..2000)
        .map(|n| (n, Fault::Slow(Duration::from_millis(4))))
        .collect();
    let fake = FakeStore::start(PlatformKind::WooCommerce, config)
        .await
        .expect("fake");
    let dir = tempdir::Dir::new();
    std::fs::write(dir.path().join("nexus.toml"), registry(&fake)).expect("registry");

    // The reference: one uninterrupted run.
    let reference = dir.path().join("reference.db").display().to_string();
    let status = nexus(dir.path(), &reference, &fake)
        .status()
        .expect("run nexus");
    assert!(status.success(), "the uninterrupted sync succeeds");

    // The same sync, killed at pseudo-random moments, then run to the end.
    let crashed = dir.path().join("crashed.db").display().to_string();
    let mut seed: u64 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(7)
        | 1;
    let mut kills = Vec::new();
    for _ in 0..5 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = Duration::from_millis(120 + seed % 500);
        let mut child = nexus(dir.path(), &crashed, &fake).spawn().expect("spawn");
        std::thread::sleep(delay);
        let finished = child.try_wait().expect("wait").is_some();
        child.kill().ok(); // SIGKILL: no destructor, no rollback, nothing flushed
        child.wait().expect("reap");
        kills.push((delay.as_millis(), finished));
    }
    let status = nexus(dir.path(), &crashed, &fake)
        .status()
        .expect("run nexus");
    assert!(
        status.success(),
        "the resumed sync succeeds after kills at {kills:?}"
    );
    assert!(
        kills.iter().any(|(_, finished)| !finished),
        "at least one kill landed mid-sync: {kills:?}"
    );

    let a = state(store::open(&reference).await.expect("reference").as_ref()).await;
    let b = state(store::open(&crashed).await.expect("crashed").as_ref()).await;
    assert!(
        !a.0.is_empty() && !a.4.is_empty(),
        "orders synced and dirt quarantined"
    );
    assert_eq!(a.0, b.0, "orders (kills at {kills:?} ms)");
    assert_eq!(a.1, b.1, "customers");
    assert_eq!(a.2, b.2, "products");
    assert_eq!(a.3, b.3, "refunds");
    assert_eq!(a.4, b.4, "quarantine");
    assert_eq!(a.5, b.5, "checkpoints");
}
