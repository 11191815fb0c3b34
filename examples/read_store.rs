//! Reading a store with the connectors: a fake WooCommerce store and a fake Shopify store
//! start on 127.0.0.1 (no account, nothing leaves the machine), each is checked, its orders
//! are read page by page with progress and a running checkpoint, then a few orders change
//! and an incremental read from the checkpoint returns exactly those.
//!
//! Run it with `cargo run --example read_store`.

use std::time::{Duration, Instant};

use nexus_core::model::{EntityKind, Order, PlatformKind};
use nexus_core::platform::{Platform, ReadOptions, Reader, Shopify, SyncCursor, WooCommerce};
use nexus_fake::{FakeConfig, FakeStore};

/// Reads every order after `since`, printing a line per page; returns the checkpoint.
async fn read_orders(
    store: &dyn Platform,
    since: Option<SyncCursor>,
) -> Result<Option<SyncCursor>, nexus_core::Error> {
    let started = Instant::now();
    let options = ReadOptions {
        // A real store's clock and late writes need a look-back; the fake needs none.
        overlap: Duration::ZERO,
        ..ReadOptions::default()
    };
    let mut reader = Reader::<Order>::new(store, since.clone(), &options);
    let (mut records, mut checkpoint) = (0usize, since);
    while let Some(batch) = reader.next_batch().await {
        let batch = batch?;
        records += batch.records.len();
        checkpoint = batch.checkpoint;
        let total = batch.total.map_or(String::new(), |t| format!(" of {t}"));
        println!(
            "    page {:>3}: {:>4} orders{total}, {} refused, checkpoint {}",
            batch.page,
            records,
            batch.errors.len(),
            checkpoint
                .as_ref()
                .map_or("-".into(), |c| format!("{} #{}", c.updated_at, c.id)),
        );
    }
    println!(
        "    {records} orders in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    Ok(checkpoint)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    for platform in [PlatformKind::WooCommerce, PlatformKind::Shopify] {
        let fake = FakeStore::start(platform, FakeConfig::with_orders(1_200)).await?;
        let creds = fake.credentials();
        // Over plain http WooCommerce signs with OAuth 1.0a; over https it would use Basic.
        let store: Box<dyn Platform> = match platform {
            PlatformKind::WooCommerce => Box::new(
                WooCommerce::builder(fake.url())
                    .consumer_key(creds.consumer_key.as_str())
                    .consumer_secret(creds.consumer_secret.as_str())
                    // 300 a minute by default; the fake store has no limit.
                    .requests_per_minute(3_000)
                    .build()?,
            ),
            _ => Box::new(
                Shopify::builder(fake.url())
                    .access_token(creds.access_token.as_str())
                    .build()?,
            ),
        };
        let info = store.check().await?;
        println!(
            "{platform}: {} ({}), currency {}, time zone {}",
            info.name.as_deref().unwrap_or("?"),
            info.api_version.as_deref().unwrap_or("?"),
            info.currency.map_or("?".into(), |c| c.to_string()),
            info.timezone.as_deref().unwrap_or("?"),
        );
        println!("  full read");
        let checkpoint = read_orders(store.as_ref(), None).await?;
        let changed = fake.mutate(3, 2);
        // Stores keep modification times to the second, and a read leaves records changed
        // in the second it starts for the next read: let that second pass.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        println!(
            "  {} orders changed in the store; incremental read",
            changed.len()
        );
        read_orders(store.as_ref(), checkpoint).await?;
        assert_eq!(fake.ids(EntityKind::Order).len(), 1_202);
    }
    Ok(())
}
