//! The Shopify connector against the fake store on loopback.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use nexus_core::model::{Customer, EntityKind, Order, PlatformKind, Product, Refund};
use nexus_core::platform::{Platform, ReadOptions, Shopify, read_all};
use nexus_fake::{FakeConfig, FakeRate, FakeStore, Fault, Mutation};

use crate::fakes::{ids, quick_http, shopify};

async fn start(config: FakeConfig) -> FakeStore {
    FakeStore::start(PlatformKind::Shopify, config)
        .await
        .expect("fake store")
}

fn no_overlap() -> ReadOptions {
    ReadOptions {
        overlap: Duration::ZERO,
        ..ReadOptions::default()
    }
}

#[tokio::test]
async fn full_reads_return_exactly_the_store() {
    let fake = start(FakeConfig::default()).await;
    let shop = shopify(&fake, 40);
    let info = shop.check().await.expect("check");
    assert_eq!(info.currency.map(|c| c.to_string()).as_deref(), Some("EUR"));
    assert_eq!(info.timezone.as_deref(), Some("America/New_York"));
    assert_eq!(info.api_version.as_deref(), Some(shop.api_version()));
    let orders = read_all::<Order>(&shop, None, &ReadOptions::default())
        .await
        .unwrap();
    assert!(orders.errors.is_empty(), "{:?}", orders.errors);
    assert_eq!(
        ids(&orders.records, |o| &o.source.id),
        fake.ids(EntityKind::Order),
        "closed and cancelled orders too (status=any)"
    );
    assert_eq!(orders.records.len(), fake.ids(EntityKind::Order).len());
    let customers = read_all::<Customer>(&shop, None, &ReadOptions::default())
        .await
        .unwrap();
    assert_eq!(
        ids(&customers.records, |c| &c.source.id),
        fake.ids(EntityKind::Customer)
    );
    let products = read_all::<Product>(&shop, None, &ReadOptions::default())
        .await
        .unwrap();
    assert_eq!(
        ids(&products.records, |p| &p.source.id),
        fake.ids(EntityKind::Product)
    );
    let variants: HashSet<String> = products
        .records
        .iter()
        .flat_map(|p| p.variants.iter().map(|v| v.source.id.clone()))
        .collect();
    assert_eq!(variants, fake.ids(EntityKind::Variant));
    let refunds = read_all::<Refund>(&shop, None, &ReadOptions::default())
        .await
        .unwrap();
    assert!(refunds.errors.is_empty(), "{:?}", refunds.errors);
    assert_eq!(
        ids(&refunds.records, |r| &r.source.id),
        fake.ids(EntityKind::Refund)
    );
}

#[tokio::test]
async fn incremental_read_returns_exactly_the_changes() {
    let fake = start(FakeConfig::default()).await;
    let shop = shopify(&fake, 30);
    let first = read_all::<Order>(&shop, None, &ReadOptions::default())
        .await
        .unwrap();
    let changed = fake.mutate(5, 3);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let second = read_all::<Order>(&shop, first.checkpoint.clone(), &no_overlap())
        .await
        .unwrap();
    assert_eq!(ids(&second.records, |o| &o.source.id), changed);
    let third = read_all::<Order>(&shop, second.checkpoint.clone(), &no_overlap())
        .await
        .unwrap();
    assert!(third.records.is_empty());
}

#[tokio::test]
async fn records_edited_while_paging_are_not_lost() {
    let fake = start(FakeConfig {
        mutation: Some(Mutation {
            after_lists: 2,
            modify: 10,
            insert: 4,
        }),
        ..FakeConfig::default()
    })
    .await;
    let before = fake.ids(EntityKind::Order);
    let shop = shopify(&fake, 25);
    let first = read_all::<Order>(&shop, None, &ReadOptions::default())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let second = read_all::<Order>(&shop, first.checkpoint.clone(), &ReadOptions::default())
        .await
        .unwrap();
    let all: HashSet<String> = ids(&first.records, |o| &o.source.id)
        .union(&ids(&second.records, |o| &o.source.id))
        .cloned()
        .collect();
    assert_eq!(all, fake.ids(EntityKind::Order));
    assert!(all.len() > before.len());
}

#[tokio::test]
async fn faults_are_retried_and_nothing_is_lost() {
    let faults: BTreeMap<u64, Fault> = [
        (2, Fault::Status(503)),
        (4, Fault::Html),
        (6, Fault::Truncated),
        (8, Fault::RateLimited(0.25)),
        (9, Fault::Drop),
        (11, Fault::Slow(Duration::from_secs(3))),
        (12, Fault::Status(500)),
    ]
    .into_iter()
    // A storm: four 429s in a row.
    .chain((14..18).map(|n| (n, Fault::RateLimited(0.05))))
    .collect();
    let fake = start(FakeConfig {
        faults,
        ..FakeConfig::default()
    })
    .await;
    let shop = shopify(&fake, 20);
    let read = read_all::<Order>(&shop, None, &ReadOptions::default())
        .await
        .expect("read through faults");
    assert_eq!(
        ids(&read.records, |o| &o.source.id),
        fake.ids(EntityKind::Order)
    );
    assert_eq!(fake.stats().rate_limited, 5);
}

#[tokio::test]
async fn the_bucket_is_paced_and_corrected_by_the_store() {
    // A small, fast bucket keeps the test short: 8 requests, leaking 20 a second.
    let rate = FakeRate::Bucket {
        capacity: 8,
        leak_per_second: 20.0,
    };
    let fake = start(FakeConfig {
        rate: Some(rate),
        ..FakeConfig::default()
    })
    .await;
    let paced = Shopify::builder(fake.url())
        .access_token(fake.credentials().access_token.as_str())
        .page_size(10)
        .bucket(8, 20.0, 1)
        .http(quick_http())
        .build()
        .unwrap();
    let read = read_all::<Order>(&paced, None, &ReadOptions::default())
        .await
        .unwrap();
    assert_eq!(read.records.len(), 250);
    assert_eq!(
        fake.stats().rate_limited,
        0,
        "pacing stays under the bucket"
    );
    // A client that believes the bucket is five times larger is corrected by the store's
    // call-limit header and by 429s with fractional Retry-After, and loses nothing.
    let fake = start(FakeConfig {
        rate: Some(rate),
        ..FakeConfig::default()
    })
    .await;
    let wrong = Shopify::builder(fake.url())
        .access_token(fake.credentials().access_token.as_str())
        .page_size(10)
        .bucket(40, 20.0, 0)
        .http(quick_http())
        .build()
        .unwrap();
    let read = read_all::<Order>(&wrong, None, &ReadOptions::default())
        .await
        .unwrap();
    assert_eq!(
        ids(&read.records, |o| &o.source.id),
        fake.ids(EntityKind::Order)
    );
    assert!(fake.stats().rate_limited <= 3, "{:?}", fake.stats());
}

#[tokio::test]
async fn deletions_are_reported_as_tombstones() {
    let fake = start(FakeConfig::default()).await;
    let shop = shopify(&fake, 50);
    let gone = fake.delete(EntityKind::Order, 4);
    let gone_products = fake.delete(EntityKind::Product, 2);
    let t = shop.tombstones(EntityKind::Order, None).await.unwrap();
    assert_eq!(t.iter().map(|t| t.id.clone()).collect::<HashSet<_>>(), gone);
    let p = shop.tombstones(EntityKind::Product, None).await.unwrap();
    assert_eq!(
        p.iter().map(|t| t.id.clone()).collect::<HashSet<_>>(),
        gone_products
    );
    let later = chrono::Utc::now() + chrono::Duration::hours(1);
    assert!(
        shop.tombstones(EntityKind::Order, Some(later))
            .await
            .unwrap()
            .is_empty()
    );
    let read = read_all::<Order>(&shop, None, &ReadOptions::default())
        .await
        .unwrap();
    assert!(read.records.iter().all(|o| !gone.contains(&o.source.id)));
}

#[tokio::test]
async fn a_wrong_token_is_an_auth_error_without_the_token() {
    let fake = start(FakeConfig::default()).await;
    let shop = Shopify::builder(fake.url())
        .access_token("shpat_wrong_token_42")
        .build()
        .unwrap();
    let err = shop.check().await.unwrap_err();
    assert_eq!(err.code(), "auth_failed", "{err}");
    assert!(!err.is_retryable());
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("shpat_wrong_token_42"), "{shown}");
}

#[tokio::test]
async fn a_server_that_ignores_the_cursor_is_detected() {
    let fake = start(FakeConfig {
        ignore_cursor: true,
        ..FakeConfig::default()
    })
    .await;
    let shop = shopify(&fake, 50);
    let err = read_all::<Order>(&shop, None, &ReadOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "cursor_stuck", "{err}");
}
