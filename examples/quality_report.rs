//! Checks and cleanses the bundled store payloads with a rule file, prints the grade and
//! what to fix first, and writes the HTML report.
//!
//! Run it with `cargo run --example quality_report -- [report.html]` (default: a file in
//! the system's temporary directory).

use std::path::{Path, PathBuf};

use nexus_core::mapping::Mapper;
use nexus_core::model::{Currency, PlatformKind};
use nexus_core::quality::{Dataset, QualityEngine, RuleSet};

fn read(rel: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn main() -> Result<(), nexus_core::Error> {
    let rules = RuleSet::from_file(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/quality_rules.yaml"),
    )?;
    let mut data = Dataset::default();
    for (platform, orders, customers, products) in [
        (
            PlatformKind::WooCommerce,
            "woocommerce/orders_list.json",
            "woocommerce/customers_list.json",
            "woocommerce/products_list.json",
        ),
        (
            PlatformKind::Shopify,
            "shopify/orders.json",
            "shopify/customers.json",
            "shopify/products.json",
        ),
        (
            PlatformKind::Magento,
            "magento/order.json",
            "magento/customer.json",
            "magento/product_configurable.json",
        ),
    ] {
        let mapper = Mapper::new(platform)
            .store(format!("demo-{platform}"))
            .currency(Currency::parse("USD")?);
        data.orders.extend(mapper.map_orders(&read(orders)).records);
        data.customers
            .extend(mapper.map_customers(&read(customers)).records);
        data.products
            .extend(mapper.map_products(&read(products)).records);
    }
    let engine = QualityEngine::new(rules);
    let report = engine.check_and_cleanse_dataset(&mut data);

    println!(
        "Data quality: {} ({:.1} / 100), {} records",
        report.grade, report.score, report.records
    );
    for (dimension, s) in &report.dimensions {
        if let Some(score) = s.score {
            println!(
                "  {dimension:<13} {score:>6.1}  ({} of {} records with a problem)",
                s.records_failed, s.records_checked
            );
        }
    }
    for s in &report.stores {
        println!(
            "  store {:<22} {:>6.1}  {}",
            s.store.as_deref().unwrap_or(""),
            s.score,
            s.grade
        );
    }
    println!(
        "Cleansing made {} changes; {} problems remain.",
        report.cleansing.changes.len(),
        report.violations.len()
    );
    println!("What to fix first:");
    for r in report.recommendations.iter().take(5) {
        println!("  {}. {} [{}]", r.rank, r.problem, r.rule);
        println!("     {}", r.fix);
        if let Some(e) = r.examples.first() {
            println!(
                "     e.g. {} {} in {}: {}",
                r.entity.as_str(),
                e.record_id,
                e.store,
                e.message
            );
        }
    }
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("nexus-quality-report.html"));
    std::fs::write(&out, report.to_html()).map_err(|e| nexus_core::Error::InvalidArgument {
        name: "path",
        message: format!("cannot write {}: {e}", out.display()),
    })?;
    println!("HTML report: {}", out.display());
    Ok(())
}
