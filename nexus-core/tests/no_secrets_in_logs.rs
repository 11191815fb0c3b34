//! No credential reaches the logs: every tracing event of a read (retries, rate limits and
//! a refused login included) is captured and searched. A binary of its own, so that its
//! global subscriber sees every event.

#[allow(dead_code)]
#[path = "it/fakes.rs"]
mod fakes;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use nexus_core::model::{Order, PlatformKind};
use nexus_core::platform::{Platform, ReadOptions, WooCommerce, read_all};
use nexus_fake::{FakeConfig, FakeStore, Fault};

/// Collects everything the library logs.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn credentials_never_reach_the_logs() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .finish();
    // This binary holds this one test, so a global subscriber sees every event.
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    {
        runtime.block_on(async {
            let faults: BTreeMap<u64, Fault> =
                [(2, Fault::Status(503)), (4, Fault::RateLimited(0.05))]
                    .into_iter()
                    .collect();
            let mut config = FakeConfig {
                faults,
                ..FakeConfig::default()
            };
            config.sizes.orders = 40;
            let fake = FakeStore::start(PlatformKind::WooCommerce, config)
                .await
                .unwrap();
            let woo = fakes::woo(&fake, 10);
            read_all::<Order>(&woo, None, &ReadOptions::default())
                .await
                .unwrap();
            let basic = fakes::woo_basic(&fake);
            read_all::<Order>(&basic, None, &ReadOptions::default())
                .await
                .unwrap();
            let bad = WooCommerce::builder(fake.url())
                .consumer_key(fake.credentials().consumer_key.as_str())
                .consumer_secret("cs_bad_one")
                .build()
                .unwrap();
            let _ = bad.check().await;

            let shop = FakeStore::start(PlatformKind::Shopify, FakeConfig::default())
                .await
                .unwrap();
            shop.set_faults([(2, Fault::Status(502))]);
            read_all::<Order>(&fakes::shopify(&shop, 100), None, &ReadOptions::default())
                .await
                .unwrap();
            let wrong = nexus_core::platform::Shopify::builder(shop.url())
                .access_token("shpat_wrong_one_77")
                .build()
                .unwrap();
            let _ = wrong.check().await;

            let mg = FakeStore::start(PlatformKind::Magento, FakeConfig::default())
                .await
                .unwrap();
            let c = mg.credentials();
            mg.set_faults([(3, Fault::Status(503))]);
            let admin = nexus_core::platform::Magento::builder(mg.url())
                .admin_credentials(c.username.as_str(), c.password.as_str())
                .allow_plain_http(true)
                .http(fakes::quick_http())
                .build()
                .unwrap();
            read_all::<Order>(&admin, None, &ReadOptions::default())
                .await
                .unwrap();
            let oauth = nexus_core::platform::Magento::builder(mg.url())
                .oauth1(
                    c.oauth_consumer_key.as_str(),
                    c.oauth_consumer_secret.as_str(),
                    c.oauth_token.as_str(),
                    "mg_wrong_token_secret_5",
                )
                .build()
                .unwrap();
            let _ = oauth.check().await;

            // The manager and the sync engine: credentials by reference, a store refusing
            // them, alerts raised and logged.
            let dir = std::env::temp_dir().join(format!("nexus-logs-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let woo_c = fake.credentials();
            // SAFETY: set before the manager reads them; this binary runs one test.
            unsafe {
                std::env::set_var("NX_LOG_WOO_KEY", &woo_c.consumer_key);
                std::env::set_var("NX_LOG_WOO_SECRET", &woo_c.consumer_secret);
            }
            let registry = format!(
                "[stores.woo]\nplatform = \"woocommerce\"\nurl = \"{}\"\nconsumer_key = \"env:NX_LOG_WOO_KEY\"\n\
                 consumer_secret = \"env:NX_LOG_WOO_SECRET\"\nrate_limit = 100000\n\n[stores.shop]\nplatform = \"shopify\"\nurl = \"{}\"\n\
                 access_token = \"secret:shop\"\n",
                fake.url(),
                shop.url()
            );
            std::fs::write(dir.join("nexus.toml"), registry).unwrap();
            let manager = nexus_core::manager::Manager::from_toml(
                dir.join("nexus.toml"),
                nexus_core::manager::ManagerOptions {
                    secrets: Some(Arc::new(|_: &str| Some("shpat_wrong_one_77".to_owned()))),
                    http: Some(fakes::quick_http()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            let report = manager.sync_all().await.unwrap();
            assert!(report.store("woo").is_some_and(|s| s.ok));
            assert!(report.store("shop").is_some_and(|s| !s.ok));
            let _ = std::fs::remove_dir_all(&dir);
        })
    }
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains("nexus.http"),
        "the requests were traced: {}",
        &text[..text.len().min(2000)]
    );
    assert!(text.contains("retrying request"));
    assert!(
        text.contains("nexus.sync") && text.contains("sync finished"),
        "the syncs were traced"
    );
    assert!(text.contains("nexus::alert"), "the alerts were logged");
    for secret in [
        "cs_fake_secret_0123456789",
        "ck_fake_key_0123456789",
        "cs_bad_one",
        "shpat_fake_token_0123456789",
        "shpat_wrong_one_77",
        "fake-admin-password-1",
        "mg_consumer_secret_0123456789",
        "mg_token_secret_0123456789",
        "mg_wrong_token_secret_5",
        "oauth_signature=",
        "Basic ",
    ] {
        let leaked = if secret == "oauth_signature=" {
            text.lines().any(|l| {
                l.contains("oauth_signature=") && !l.contains("oauth_signature=%5Bredacted%5D")
            })
        } else {
            text.contains(secret)
        };
        assert!(!leaked, "{secret:?} leaked into the logs");
    }
}
