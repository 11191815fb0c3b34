//! The WooCommerce connector against the fake store on loopback.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use nexus_core::model::{Customer, EntityKind, Order, PlatformKind, Refund};
use nexus_core::platform::{PageToken, Pager, Platform, ReadOptions, WooCommerce, read_all};
use nexus_fake::{FakeConfig, FakeRate, FakeStore, Fault, Mutation};

use crate::fakes::{ids, woo, woo_basic};

const WOO: PlatformKind = PlatformKind::WooCommerce;

async fn start(config: FakeConfig) -> FakeStore {
    FakeStore::start(WOO, config).await.expect("fake store")
}

fn orders(n: usize) -> FakeConfig {
    let mut c = FakeConfig::default();
    c.sizes.orders = n;
    c
}

#[tokio::test]
async fn full_read_over_oauth1_returns_exactly_the_store() {
    let fake = start(FakeConfig::default()).await;
    let woo = woo(&fake, 20);
    let info = woo.check().await.expect("check");
    assert_eq!(info.currency.map(|c| c.to_string()).as_deref(), Some("EUR"));
    assert_eq!(info.platform_version.as_deref(), Some("9.4.2"));
    let read = read_all::<Order>(&woo, None, &ReadOptions::default())
        .await
        .expect("read");
    assert!(read.errors.is_empty(), "{:?}", read.errors);
    assert_eq!(read.records.len(), fake.ids(EntityKind::Order).len());
    assert_eq!(
        ids(&read.records, |o| &o.source.id),
        fake.ids(EntityKind::Order)
    );
    assert!(
        read.duplicates > 0,
        "tie groups are re-read across pages and dropped"
    );
    assert!(read.checkpoint.is_some());
}

#[tokio::test]
async fn basic_auth_over_http_only_when_allowed() {
    let fake = start(orders(30)).await;
    let woo = woo_basic(&fake);
    let read = read_all::<Order>(&woo, None, &ReadOptions::default())
        .await
        .expect("read");
    assert_eq!(read.records.len(), 30);
}

#[tokio::test]
async fn incremental_read_returns_exactly_the_changes() {
    let fake = start(FakeConfig::default()).await;
    let woo = woo(&fake, 25);
    let first = read_all::<Order>(&woo, None, &ReadOptions::default())
        .await
        .unwrap();
    let changed = fake.mutate(6, 4);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let second = read_all::<Order>(
        &woo,
        first.checkpoint.clone(),
        &ReadOptions {
            overlap: Duration::ZERO,
            ..ReadOptions::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(ids(&second.records, |o| &o.source.id), changed);
    assert!(second.checkpoint > first.checkpoint);
    // Nothing changed since: a third read is empty.
    let third = read_all::<Order>(
        &woo,
        second.checkpoint.clone(),
        &ReadOptions {
            overlap: Duration::ZERO,
            ..ReadOptions::default()
        },
    )
    .await
    .unwrap();
    assert!(
        third.records.is_empty(),
        "{:?}",
        ids(&third.records, |o| &o.source.id)
    );
}

#[tokio::test]
async fn records_edited_while_paging_are_not_lost() {
    let fake = start(FakeConfig {
        mutation: Some(Mutation {
            after_lists: 3,
            modify: 12,
            insert: 3,
        }),
        ..FakeConfig::default()
    })
    .await;
    let before = fake.ids(EntityKind::Order);
    let woo = woo(&fake, 20);
    let first = read_all::<Order>(&woo, None, &ReadOptions::default())
        .await
        .unwrap();
    let got_first = ids(&first.records, |o| &o.source.id);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let second = read_all::<Order>(&woo, first.checkpoint.clone(), &ReadOptions::default())
        .await
        .unwrap();
    let all: HashSet<String> = got_first
        .union(&ids(&second.records, |o| &o.source.id))
        .cloned()
        .collect();
    assert_eq!(
        all,
        fake.ids(EntityKind::Order),
        "every order is read by the first run or the next one"
    );
    assert!(before.is_subset(&all));
    assert!(
        fake.ids(EntityKind::Order).len() > before.len(),
        "orders were inserted mid-run"
    );
}

#[tokio::test]
async fn faults_are_retried_and_nothing_is_lost() {
    let faults: BTreeMap<u64, Fault> = [
        (3, Fault::Status(503)),
        (5, Fault::Html),
        (7, Fault::Truncated),
        (9, Fault::RateLimited(0.2)),
        (10, Fault::Status(502)),
        (12, Fault::Slow(Duration::from_secs(3))),
        (14, Fault::Drop),
    ]
    .into_iter()
    // A storm: four 429s in a row.
    .chain((16..20).map(|n| (n, Fault::RateLimited(0.05))))
    .collect();
    let fake = start(FakeConfig {
        faults,
        ..FakeConfig::default()
    })
    .await;
    let woo = woo(&fake, 20);
    let read = read_all::<Order>(&woo, None, &ReadOptions::default())
        .await
        .expect("read through faults");
    assert_eq!(
        ids(&read.records, |o| &o.source.id),
        fake.ids(EntityKind::Order)
    );
    assert_eq!(fake.stats().rate_limited, 5);
}

#[tokio::test]
async fn customers_without_a_change_filter_are_read_in_full_and_filtered() {
    let fake = start(FakeConfig::default()).await;
    let woo = woo(&fake, 15);
    let all = read_all::<Customer>(&woo, None, &ReadOptions::default())
        .await
        .unwrap();
    assert_eq!(
        ids(&all.records, |c| &c.source.id),
        fake.ids(EntityKind::Customer)
    );
    // From a checkpoint in the middle: only customers modified after it (minus the overlap).
    let mut stamps: Vec<_> = all.records.iter().map(|c| c.updated_at.unwrap()).collect();
    stamps.sort();
    let mid = stamps[stamps.len() / 2];
    let since = nexus_core::platform::SyncCursor {
        updated_at: mid,
        id: "0".into(),
    };
    let part = read_all::<Customer>(
        &woo,
        Some(since),
        &ReadOptions {
            overlap: Duration::ZERO,
            ..ReadOptions::default()
        },
    )
    .await
    .unwrap();
    assert!(part.records.iter().all(|c| c.updated_at.unwrap() >= mid));
    assert_eq!(
        part.records.len(),
        stamps.iter().filter(|t| **t >= mid).count()
    );
}

#[tokio::test]
async fn stores_without_modified_after_fall_back_to_full_reads() {
    let fake = start(FakeConfig {
        woo_modified_filter: false,
        ..FakeConfig::default()
    })
    .await;
    let woo = woo(&fake, 30);
    let all = read_all::<Order>(&woo, None, &ReadOptions::default())
        .await
        .unwrap();
    assert_eq!(
        ids(&all.records, |o| &o.source.id),
        fake.ids(EntityKind::Order)
    );
    let changed = fake.mutate(3, 2);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let next = read_all::<Order>(
        &woo,
        all.checkpoint.clone(),
        &ReadOptions {
            overlap: Duration::ZERO,
            ..ReadOptions::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(ids(&next.records, |o| &o.source.id), changed);
}

#[tokio::test]
async fn refunds_are_read_per_changed_order() {
    let fake = start(FakeConfig::default()).await;
    let woo = woo(&fake, 50);
    woo.check().await.unwrap();
    let read = read_all::<Refund>(&woo, None, &ReadOptions::default())
        .await
        .unwrap();
    assert!(read.errors.is_empty(), "{:?}", read.errors);
    assert_eq!(
        ids(&read.records, |r| &r.source.id),
        fake.ids(EntityKind::Refund)
    );
    assert!(
        read.records
            .iter()
            .all(|r| r.order_id.is_some() && r.amount.currency.as_str() == "EUR")
    );
}

#[tokio::test]
async fn a_server_that_ignores_the_cursor_is_detected() {
    let fake = start(FakeConfig {
        ignore_cursor: true,
        ..orders(60)
    })
    .await;
    let woo = woo(&fake, 20);
    let err = read_all::<Order>(&woo, None, &ReadOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.code(), "cursor_stuck", "{err}");
}

#[tokio::test]
async fn wrong_credentials_are_auth_errors_without_the_secret() {
    let fake = start(orders(5)).await;
    let c = fake.credentials();
    for (key, secret) in [
        ("ck_wrong", c.consumer_secret.as_str()),
        (c.consumer_key.as_str(), "cs_wrong_secret"),
    ] {
        let woo = WooCommerce::builder(fake.url())
            .consumer_key(key)
            .consumer_secret(secret)
            .build()
            .unwrap();
        let err = woo.check().await.unwrap_err();
        assert_eq!(err.code(), "auth_failed", "{err}");
        assert!(!err.is_retryable());
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(secret) && !shown.contains(key), "{shown}");
    }
}

#[tokio::test]
async fn a_replayed_or_stale_oauth_request_is_refused() {
    let fake = start(orders(5)).await;
    let url = format!("{}/wp-json/wc/v3/orders", fake.url());
    let c = fake.credentials();
    let signed = |nonce: &str, ts: i64| {
        let mut params: Vec<(String, String)> = vec![
            ("oauth_consumer_key".into(), c.consumer_key.clone()),
            ("oauth_nonce".into(), nonce.into()),
            ("oauth_signature_method".into(), "HMAC-SHA256".into()),
            ("oauth_timestamp".into(), ts.to_string()),
        ];
        let base = nexus_core::platform::oauth1::base_string("GET", &url, &params);
        let sig = nexus_core::platform::oauth1::sign(
            nexus_core::platform::oauth1::SignatureMethod::HmacSha256,
            &base,
            &c.consumer_secret,
            "",
        );
        params.push(("oauth_signature".into(), sig));
        let mut u = url::Url::parse(&url).unwrap();
        u.query_pairs_mut().extend_pairs(params);
        u
    };
    let client = reqwest::Client::new();
    let now = chrono::Utc::now().timestamp();
    let u = signed("nonce-one-0001", now);
    assert_eq!(client.get(u.clone()).send().await.unwrap().status(), 200);
    let replay = client.get(u).send().await.unwrap();
    assert_eq!(replay.status(), 401);
    assert!(
        replay
            .text()
            .await
            .unwrap()
            .contains("nonce has already been used")
    );
    let stale = client
        .get(signed("nonce-two-0002", now - 3600))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 401);
    let mut tampered = signed("nonce-three-003", now);
    tampered.query_pairs_mut().append_pair("page", "2");
    assert_eq!(client.get(tampered).send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn the_rate_is_paced_not_only_reacted_to() {
    let fake = start(FakeConfig {
        rate: Some(FakeRate::PerMinute(40)),
        ..orders(60)
    })
    .await;
    let c = fake.credentials();
    let woo = WooCommerce::builder(fake.url())
        .consumer_key(c.consumer_key.as_str())
        .consumer_secret(c.consumer_secret.as_str())
        .page_size(10)
        .requests_per_minute(1200)
        .build()
        .unwrap();
    let read = read_all::<Order>(&woo, None, &ReadOptions::default())
        .await
        .unwrap();
    assert_eq!(read.records.len(), 60);
    assert_eq!(
        fake.stats().rate_limited,
        0,
        "pacing at 20 a second stays under the store's 40 a minute for 9 requests"
    );
}

#[tokio::test]
async fn an_edit_inside_a_tie_group_does_not_hide_its_neighbours() {
    // 40 orders of every 100 share one modification second; pages of 10 read such a group
    // by offset, and editing a record the read has passed moves the rest of the group up.
    let fake = start(FakeConfig::default()).await;
    let woo = woo(&fake, 10);
    let mapper = woo.mapper();
    let mut pager = Pager::new(&woo, EntityKind::Order, None, &ReadOptions::default());
    let mut got = HashSet::new();
    let mut touched = None;
    while let Some(page) = pager.next_page().await {
        let page = page.expect("page");
        let orders = mapper.map_orders(&page.body).records;
        got.extend(orders.iter().map(|o| o.source.id.clone()));
        if touched.is_none() {
            if let Some(PageToken::Keyset { skip, .. }) = &page.next {
                if *skip >= 20 {
                    // Two edits: more than the one record each request reads twice.
                    let edited = [orders[0].source.id.as_str(), orders[1].source.id.as_str()];
                    assert_eq!(fake.touch(&edited).len(), 2);
                    touched = Some(edited.map(str::to_owned));
                }
            }
        }
    }
    assert!(touched.is_some(), "the read went through a tie group");
    assert_eq!(got, fake.ids(EntityKind::Order), "no neighbour was skipped");
}
