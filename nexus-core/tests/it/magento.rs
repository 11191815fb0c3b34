//! The Magento 2 connector against the fake store on loopback.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use nexus_core::model::{Customer, EntityKind, Order, PlatformKind, Product, Refund};
use nexus_core::platform::magento::MagentoAuth;
use nexus_core::platform::oauth1::{self, SignatureMethod};
use nexus_core::platform::{Magento, MagentoBuilder, Pager, Platform, ReadOptions, read_all};
use nexus_fake::{FakeConfig, FakeRate, FakeStore, Fault, Mutation};

use crate::fakes::{ids, quick_http};

const MAGENTO: PlatformKind = PlatformKind::Magento;

async fn start(config: FakeConfig) -> FakeStore {
    FakeStore::start(MAGENTO, config).await.expect("fake store")
}

fn orders(n: usize) -> FakeConfig {
    let mut c = FakeConfig::default();
    c.sizes.orders = n;
    c
}

/// A builder for the fake store: quick retries, no pacing, the page size given.
fn builder(fake: &FakeStore, page_size: u32) -> MagentoBuilder {
    Magento::builder(fake.url())
        .page_size(page_size)
        .requests_per_minute(100_000)
        .http(quick_http())
}

/// A connector to a fake store with the integration bearer token.
fn magento_token(fake: &FakeStore, page_size: u32) -> Magento {
    builder(fake, page_size)
        .access_token(fake.credentials().access_token.as_str())
        .allow_plain_http(true)
        .build()
        .expect("connector")
}

/// A connector to a fake store with the admin user name and password.
fn magento_admin(fake: &FakeStore, page_size: u32) -> Magento {
    let c = fake.credentials();
    builder(fake, page_size)
        .admin_credentials(c.username.as_str(), c.password.as_str())
        .allow_plain_http(true)
        .build()
        .expect("connector")
}

/// A connector to a fake store with OAuth 1.0a integration credentials.
fn magento_oauth(fake: &FakeStore, page_size: u32) -> Magento {
    let c = fake.credentials();
    builder(fake, page_size)
        .oauth1(
            c.oauth_consumer_key.as_str(),
            c.oauth_consumer_secret.as_str(),
            c.oauth_token.as_str(),
            c.oauth_token_secret.as_str(),
        )
        .build()
        .expect("connector")
}

fn zero_overlap() -> ReadOptions {
    ReadOptions {
        overlap: Duration::ZERO,
        ..ReadOptions::default()
    }
}

#[tokio::test]
async fn full_reads_return_exactly_the_store_for_each_auth() {
    let fake = start(FakeConfig::default()).await;
    let connectors = [
        magento_token(&fake, 15),
        magento_admin(&fake, 15),
        magento_oauth(&fake, 15),
    ];
    let kinds: Vec<MagentoAuth> = connectors.iter().map(Magento::auth).collect();
    assert_eq!(
        kinds,
        [
            MagentoAuth::Token,
            MagentoAuth::AdminPassword,
            MagentoAuth::OAuth1
        ]
    );
    for m in &connectors {
        let info = m.check().await.expect("check");
        assert_eq!(info.currency.map(|c| c.to_string()).as_deref(), Some("EUR"));
        assert_eq!(info.timezone.as_deref(), Some("Europe/Lisbon"));
        assert_eq!(info.api_version.as_deref(), Some("V1"));
        assert_eq!(info.name.as_deref(), Some("default"));

        let o = read_all::<Order>(m, None, &ReadOptions::default())
            .await
            .expect("orders");
        assert!(o.errors.is_empty(), "{:?}", o.errors);
        assert_eq!(o.records.len(), fake.ids(EntityKind::Order).len());
        assert_eq!(
            ids(&o.records, |r| &r.source.id),
            fake.ids(EntityKind::Order)
        );
        // Groups of 40 orders share one second (a bulk update) with pages of 15: the exact
        // keyset crosses them without reading a record twice.
        assert_eq!(o.duplicates, 0, "{:?}", m.auth());
        assert!(o.checkpoint.is_some());
        assert!(
            o.records
                .iter()
                .all(|r| r.currency.as_str() == "EUR" && !r.line_items.is_empty())
        );

        let c = read_all::<Customer>(m, None, &ReadOptions::default())
            .await
            .expect("customers");
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        assert_eq!(
            ids(&c.records, |r| &r.source.id),
            fake.ids(EntityKind::Customer)
        );
        assert!(c.records.iter().all(|r| r.email.is_some()));

        let p = read_all::<Product>(m, None, &ReadOptions::default())
            .await
            .expect("products");
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(
            ids(&p.records, |r| &r.source.id),
            fake.ids(EntityKind::Product)
        );

        let r = read_all::<Refund>(m, None, &ReadOptions::default())
            .await
            .expect("refunds");
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(
            ids(&r.records, |x| &x.source.id),
            fake.ids(EntityKind::Refund)
        );
        assert!(
            r.records
                .iter()
                .all(|x| x.order_id.is_some() && x.amount.currency.as_str() == "EUR")
        );
    }
    assert_eq!(
        fake.stats().tokens_issued,
        1,
        "one admin token serves the whole run"
    );
}

#[tokio::test]
async fn amounts_match_the_catalog() {
    let fake = start(orders(40)).await;
    let m = magento_token(&fake, 100);
    let read = read_all::<Order>(&m, None, &ReadOptions::default())
        .await
        .unwrap();
    for o in &read.records {
        let lines: rust_decimal::Decimal = o.line_items.iter().map(|l| l.subtotal.amount).sum();
        assert_eq!(
            lines + o.shipping_total.amount,
            o.total.amount,
            "order {}",
            o.source.id
        );
        assert_eq!(o.subtotal.amount, lines);
        assert!(o.billing_address.is_some() && o.shipping_address.is_some());
    }
}

#[tokio::test]
async fn the_url_may_carry_the_rest_path_and_the_store_code() {
    let fake = start(orders(12)).await;
    for url in [
        format!("{}/rest/default/V1", fake.url()),
        format!("{}/rest/all/V1/", fake.url()),
    ] {
        let m = Magento::builder(url)
            .access_token(fake.credentials().access_token.as_str())
            .allow_plain_http(true)
            .http(quick_http())
            .build()
            .unwrap();
        let read = read_all::<Order>(&m, None, &ReadOptions::default())
            .await
            .unwrap();
        assert_eq!(read.records.len(), 12, "{}", m.base_url());
    }
    let unknown = Magento::builder(fake.url())
        .store_code("nope")
        .access_token(fake.credentials().access_token.as_str())
        .allow_plain_http(true)
        .http(quick_http())
        .build()
        .unwrap();
    let err = unknown.check().await.unwrap_err();
    assert_eq!(err.code(), "platform_error", "{err}");
    assert!(
        err.to_string().contains("store that was requested"),
        "{err}"
    );
}

#[tokio::test]
async fn incremental_read_returns_exactly_the_changes() {
    let fake = start(FakeConfig::default()).await;
    let m = magento_oauth(&fake, 25);
    let first = read_all::<Order>(&m, None, &ReadOptions::default())
        .await
        .unwrap();
    let changed = fake.mutate(6, 4);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let second = read_all::<Order>(&m, first.checkpoint.clone(), &zero_overlap())
        .await
        .unwrap();
    assert_eq!(ids(&second.records, |o| &o.source.id), changed);
    assert!(second.checkpoint > first.checkpoint);
    let third = read_all::<Order>(&m, second.checkpoint.clone(), &zero_overlap())
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
    // Edits early in the run, then edits while the read pages through the groups of 40
    // orders that share one second (after 150 orders read 15 at a time).
    for (after_lists, modify) in [(3, 12), (12, 30)] {
        let fake = start(FakeConfig {
            mutation: Some(Mutation {
                after_lists,
                modify,
                insert: 3,
            }),
            ..FakeConfig::default()
        })
        .await;
        let before = fake.ids(EntityKind::Order);
        let m = magento_token(&fake, 15);
        let first = read_all::<Order>(&m, None, &ReadOptions::default())
            .await
            .unwrap();
        assert_eq!(first.duplicates, 0);
        assert!(first.pages > after_lists as u32);
        let got_first = ids(&first.records, |o| &o.source.id);
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let second = read_all::<Order>(&m, first.checkpoint.clone(), &ReadOptions::default())
            .await
            .unwrap();
        let all: HashSet<String> = got_first
            .union(&ids(&second.records, |o| &o.source.id))
            .cloned()
            .collect();
        assert_eq!(
            all,
            fake.ids(EntityKind::Order),
            "every order is read by the first run or the next one (edits after {after_lists})"
        );
        assert!(before.is_subset(&all));
        assert!(fake.ids(EntityKind::Order).len() > before.len());
    }
}

#[tokio::test]
async fn faults_are_retried_and_nothing_is_lost() {
    let faults: BTreeMap<u64, Fault> = [
        (2, Fault::Status(503)),
        (4, Fault::Html),
        (6, Fault::Truncated),
        (8, Fault::RateLimited(0.2)),
        (9, Fault::Status(502)),
        (11, Fault::Slow(Duration::from_secs(3))),
        (13, Fault::Drop),
    ]
    .into_iter()
    .collect();
    let fake = start(FakeConfig {
        faults,
        ..FakeConfig::default()
    })
    .await;
    // Admin credentials: the token request (the first) goes through the faults too.
    let m = magento_admin(&fake, 20);
    let read = read_all::<Order>(&m, None, &ReadOptions::default())
        .await
        .expect("read through faults");
    assert_eq!(
        ids(&read.records, |o| &o.source.id),
        fake.ids(EntityKind::Order)
    );
    assert_eq!(read.duplicates, 0);
    assert_eq!(fake.stats().rate_limited, 1);
}

#[tokio::test]
async fn an_expired_admin_token_is_renewed_without_losing_the_page() {
    let fake = start(orders(60)).await;
    let m = magento_admin(&fake, 20);
    let mapper = m.mapper();
    let mut pager = Pager::new(&m, EntityKind::Order, None, &ReadOptions::default());
    let mut got = HashSet::new();
    while let Some(page) = pager.next_page().await {
        let page = page.expect("page");
        got.extend(
            mapper
                .map_orders(&page.body)
                .records
                .into_iter()
                .map(|o| o.source.id),
        );
        if pager.pages() == 1 {
            assert_eq!(page.total, Some(60));
            fake.expire_tokens();
        }
    }
    assert_eq!(pager.pages(), 3);
    assert_eq!(got, fake.ids(EntityKind::Order));
    let stats = fake.stats();
    assert_eq!(stats.tokens_issued, 2);
    assert_eq!(
        stats.auth_failures, 1,
        "one refused request, then the renewal"
    );
}

#[tokio::test]
async fn a_token_refused_again_after_renewal_is_an_auth_error() {
    let fake = start(FakeConfig {
        admin_token_ttl: Duration::ZERO,
        ..orders(10)
    })
    .await;
    let m = magento_admin(&fake, 20);
    let err = m.check().await.unwrap_err();
    assert_eq!(err.code(), "auth_failed", "{err}");
    assert_eq!(fake.stats().tokens_issued, 2, "renewed once, not in a loop");
}

#[tokio::test]
async fn wrong_credentials_are_auth_errors_without_the_secret() {
    let fake = start(orders(5)).await;
    let c = fake.credentials().clone();
    let base = || Magento::builder(fake.url()).http(quick_http());
    let cases: Vec<(Magento, Vec<String>, &str)> = vec![
        (
            base()
                .access_token("wrong_token_0123456789")
                .allow_plain_http(true)
                .build()
                .unwrap(),
            vec!["wrong_token_0123456789".into()],
            "isn't authorized to access Magento_Backend::store",
        ),
        (
            base()
                .admin_credentials(c.username.as_str(), "wrong-password-42")
                .allow_plain_http(true)
                .build()
                .unwrap(),
            vec!["wrong-password-42".into()],
            "sign-in was incorrect",
        ),
        (
            base()
                .oauth1(
                    c.oauth_consumer_key.as_str(),
                    "wrong_consumer_secret_1",
                    c.oauth_token.as_str(),
                    c.oauth_token_secret.as_str(),
                )
                .build()
                .unwrap(),
            vec![
                "wrong_consumer_secret_1".into(),
                c.oauth_token_secret.clone(),
                c.oauth_consumer_key.clone(),
                c.oauth_token.clone(),
            ],
            "signature is invalid",
        ),
        (
            base()
                .oauth1(
                    c.oauth_consumer_key.as_str(),
                    c.oauth_consumer_secret.as_str(),
                    c.oauth_token.as_str(),
                    "wrong_token_secret_1",
                )
                .build()
                .unwrap(),
            vec![
                "wrong_token_secret_1".into(),
                c.oauth_consumer_secret.clone(),
            ],
            "signature is invalid",
        ),
    ];
    for (m, secrets, says) in cases {
        let err = m.check().await.unwrap_err();
        assert_eq!(err.code(), "auth_failed", "{err}");
        assert!(!err.is_retryable());
        let shown = format!("{err} {err:?} {m:?}");
        assert!(err.to_string().contains(says), "{err}");
        for s in secrets {
            assert!(!shown.contains(&s), "{s} in {shown}");
        }
    }
    assert_eq!(fake.stats().tokens_issued, 0);
}

/// An `Authorization: OAuth` header for `url`, signed with the fake's credentials.
fn oauth_header(fake: &FakeStore, url: &url::Url, nonce: &str, ts: i64) -> String {
    let c = fake.credentials();
    let oauth: Vec<(String, String)> = vec![
        ("oauth_consumer_key".into(), c.oauth_consumer_key.clone()),
        ("oauth_nonce".into(), nonce.into()),
        ("oauth_signature_method".into(), "HMAC-SHA256".into()),
        ("oauth_timestamp".into(), ts.to_string()),
        ("oauth_token".into(), c.oauth_token.clone()),
        ("oauth_version".into(), "1.0".into()),
    ];
    let mut bare = url.clone();
    bare.set_query(None);
    let mut params: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    params.extend(oauth.iter().cloned());
    let base = oauth1::base_string("GET", bare.as_str(), &params);
    let sig = oauth1::sign(
        SignatureMethod::HmacSha256,
        &base,
        &c.oauth_consumer_secret,
        &c.oauth_token_secret,
    );
    let fields: Vec<String> = oauth
        .iter()
        .cloned()
        .chain([("oauth_signature".to_owned(), sig)])
        .map(|(k, v)| format!("{k}=\"{}\"", oauth1::encode(&v)))
        .collect();
    format!("OAuth {}", fields.join(", "))
}

#[tokio::test]
async fn a_replayed_stale_or_tampered_oauth_request_is_refused() {
    let fake = start(orders(5)).await;
    let url = url::Url::parse(&format!(
        "{}/rest/default/V1/orders?searchCriteria[pageSize]=2",
        fake.url()
    ))
    .unwrap();
    let client = reqwest::Client::new();
    let send = |u: url::Url, header: String| client.get(u).header("authorization", header).send();
    let now = chrono::Utc::now().timestamp();
    let header = oauth_header(&fake, &url, "nonce-one-0001", now);
    let ok = send(url.clone(), header.clone()).await.unwrap();
    assert_eq!(ok.status(), 200);
    let body: serde_json::Value = serde_json::from_slice(&ok.bytes().await.unwrap()).unwrap();
    assert_eq!(body["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(body["total_count"], 5);

    let replay = send(url.clone(), header).await.unwrap();
    assert_eq!(replay.status(), 401);
    assert!(
        replay
            .text()
            .await
            .unwrap()
            .contains("nonce is already being used")
    );

    let stale = send(
        url.clone(),
        oauth_header(&fake, &url, "nonce-two-0002", now - 3600),
    )
    .await
    .unwrap();
    assert_eq!(stale.status(), 401);

    let header = oauth_header(&fake, &url, "nonce-three-003", now);
    let mut tampered = url.clone();
    tampered
        .query_pairs_mut()
        .append_pair("searchCriteria[currentPage]", "2");
    assert_eq!(send(tampered, header).await.unwrap().status(), 401);
}

#[tokio::test]
async fn a_full_last_page_ends_the_read_without_duplicates() {
    let fake = start(orders(60)).await;
    let m = magento_token(&fake, 20);
    let read = read_all::<Order>(&m, None, &ReadOptions::default())
        .await
        .unwrap();
    assert_eq!(read.records.len(), 60);
    assert_eq!(read.duplicates, 0);
    assert_eq!(
        read.pages, 3,
        "total_count ends the read on the full last page"
    );
    assert_eq!(fake.stats().requests, 3);
}

#[tokio::test]
async fn the_fake_serves_the_last_page_again_past_the_end() {
    let fake = start(orders(50)).await;
    let client = reqwest::Client::new();
    let get = |page: u32| {
        let u = format!(
            "{}/rest/default/V1/orders?searchCriteria[pageSize]=20&searchCriteria[currentPage]={page}\
             &searchCriteria[sortOrders][0][field]=entity_id&searchCriteria[sortOrders][0][direction]=ASC",
            fake.url()
        );
        let req = client
            .get(u)
            .bearer_auth(fake.credentials().access_token.as_str());
        async move {
            let bytes = req.send().await.unwrap().bytes().await.unwrap();
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            let ids: Vec<String> = v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["entity_id"].to_string())
                .collect();
            (ids, v["total_count"].clone())
        }
    };
    let (last, total) = get(3).await;
    assert_eq!(last.len(), 10);
    assert_eq!(total, 50);
    assert_eq!(get(4).await.0, last);
    assert_eq!(get(99).await.0, last);
    // Without searchCriteria, Magento refuses the search.
    let bare = client
        .get(format!("{}/rest/default/V1/orders", fake.url()))
        .bearer_auth(fake.credentials().access_token.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 400);
}

#[tokio::test]
async fn a_server_that_ignores_the_filters_is_detected() {
    let fake = start(FakeConfig {
        ignore_cursor: true,
        ..orders(60)
    })
    .await;
    let m = magento_token(&fake, 20);
    let err = tokio::time::timeout(
        Duration::from_secs(20),
        read_all::<Order>(&m, None, &ReadOptions::default()),
    )
    .await
    .expect("no endless loop")
    .unwrap_err();
    assert_eq!(err.code(), "cursor_stuck", "{err}");
}

#[tokio::test]
async fn the_rate_is_paced_not_only_reacted_to() {
    let fake = start(FakeConfig {
        rate: Some(FakeRate::PerMinute(40)),
        ..orders(60)
    })
    .await;
    let m = Magento::builder(fake.url())
        .access_token(fake.credentials().access_token.as_str())
        .allow_plain_http(true)
        .page_size(10)
        .requests_per_minute(1200)
        .build()
        .unwrap();
    let read = read_all::<Order>(&m, None, &ReadOptions::default())
        .await
        .unwrap();
    assert_eq!(read.records.len(), 60);
    assert_eq!(fake.stats().rate_limited, 0);
}
