//! Quality-check throughput: the default order pack over generated unified orders.
//!
//! Run with `cargo bench -p nexus-core --bench quality`. The orders are generated
//! deterministically: one to six lines, billing and shipping addresses, a shipping line,
//! taxes, discounts on some lines; about 6% carry one planted defect each (a malformed or
//! placeholder e-mail, a total that does not add up, a line without a SKU, a date in the
//! future, a lower-case currency, an unknown country, a duplicate id), the rest are clean.
//! All on one core (the engine is single-threaded per call). 250 orders is a page as the
//! connectors read it (checked while it is still in cache during a sync); 10,000 orders are
//! mostly out of cache, so that figure is bound by memory.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use nexus_core::model::{Currency, Order};
use nexus_core::quality::{QualityEngine, RuleSet};
use rust_decimal::Decimal;
use serde_json::{Value, json};

#[path = "rng.rs"]
mod rng;
use rng::Rng;

fn money(cents: u64) -> Value {
    json!({"amount": format!("{}.{:02}", cents / 100, cents % 100), "currency": "USD"})
}

const NAMES: [&str; 8] = [
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken",
];
const PLACES: [(&str, &str, &str, &str); 4] = [
    ("Springfield", "97477", "US", "+1 541 555 0143"),
    ("Leeds", "LS1 4AP", "GB", "+44 113 496 0123"),
    ("Leipzig", "04109", "DE", "+49 341 1234567"),
    ("Lyon", "69002", "FR", "+33 4 78 12 34 56"),
];

fn order(rng: &mut Rng, id: u64) -> Order {
    let name = NAMES[rng.below(8) as usize];
    let (city, postal, country, phone) = PLACES[rng.below(4) as usize];
    let address = json!({"first_name": name, "last_name": "Lovelace", "company": null,
        "line1": format!("{} High Street", 1 + rng.below(200)), "line2": null, "city": city,
        "region": null, "region_code": null, "postal_code": postal, "country_code": country,
        "country": null, "phone": phone, "email": format!("{}.{id}@mail.shop", name.to_lowercase())});
    let mut lines = Vec::new();
    let (mut subtotal, mut discount, mut tax) = (0, 0, 0);
    for l in 0..1 + rng.below(6) {
        let qty = 1 + rng.below(3);
        let price = 300 + rng.below(11_700);
        let line_sub = price * qty;
        let line_disc = if rng.below(4) == 0 { line_sub / 10 } else { 0 };
        let line_tax = (line_sub - line_disc) * 8 / 100;
        subtotal += line_sub;
        discount += line_disc;
        tax += line_tax;
        lines.push(json!({"source_id": format!("{id}-{l}"), "product_id": format!("{}", 10 + rng.below(500)),
            "variant_id": null, "sku": format!("SKU-{}", rng.below(10_000)), "name": format!("Product {l}"),
            "quantity": qty, "unit_price": money(price), "subtotal": money(line_sub),
            "discount": money(line_disc), "tax": money(line_tax), "total": money(line_sub - line_disc),
            "components": [], "metadata": {}}));
    }
    let shipping = 500 + rng.below(1_000);
    let day = 1 + rng.below(28);
    let value = json!({
        "source": {"platform": "woocommerce", "store": "bench", "entity": "order", "id": id.to_string()},
        "number": id.to_string(), "status": "completed", "platform_status": "completed",
        "payment_status": null, "platform_payment_status": null, "fulfillment_status": null,
        "platform_fulfillment_status": null, "currency": "USD",
        "created_at": format!("2024-03-{day:02}T10:00:00Z"), "updated_at": format!("2024-03-{day:02}T11:00:00Z"),
        "paid_at": format!("2024-03-{day:02}T10:01:00Z"), "completed_at": format!("2024-03-{day:02}T12:00:00Z"),
        "cancelled_at": null, "customer_id": (1 + rng.below(5_000)).to_string(),
        "email": format!("{}.{id}@mail.shop", name.to_lowercase()),
        "billing_address": address.clone(), "shipping_address": address,
        "line_items": lines, "tax_lines": [], "fee_lines": [], "discount_lines": [], "refunds": [],
        "shipping_lines": [{"source_id": null, "method": "flat_rate", "title": "Flat rate",
            "amount": money(shipping), "discount": money(0), "tax": money(0)}],
        "subtotal": money(subtotal), "discount_total": money(discount), "shipping_total": money(shipping),
        "fee_total": money(0), "tax_total": money(tax), "total": money(subtotal - discount + shipping + tax),
        "refunded_total": money(0), "prices_include_tax": false, "payment_method": "card",
        "note": null, "tags": [], "metadata": {}
    });
    serde_json::from_value(value).expect("a generated order is in the unified form")
}

fn orders(n: u64) -> Vec<Order> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out: Vec<Order> = (0..n).map(|i| order(&mut rng, 100_000 + i)).collect();
    for i in 0..out.len() {
        let defect = rng.below(100);
        let previous = if i > 0 {
            out[i - 1].source.id.clone()
        } else {
            String::new()
        };
        let o = &mut out[i];
        match defect {
            0 => o.email = Some("jane.doe@mail".into()),
            1 => o.email = Some("test@example.com".into()),
            2 => o.total.amount += Decimal::ONE,
            3 => o.line_items[0].sku = None,
            4 => o.created_at = "2031-01-01T00:00:00Z".parse().unwrap(),
            5 => {
                let c = Currency::new("usd").unwrap();
                o.currency = c;
            }
            6 if i > 0 => o.source.id = previous,
            7 => o.billing_address.as_mut().unwrap().country_code = Some("Germany".into()),
            _ => {}
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let engine =
        QualityEngine::new(RuleSet::default_pack()).as_of("2024-06-01T00:00:00Z".parse().unwrap());
    let mut group = c.benchmark_group("quality_check");
    for n in [250u64, 1_000, 10_000] {
        let batch = orders(n);
        let report = engine.check(&batch);
        eprintln!(
            "{n} orders: {} violations on {} orders with a defect, score {} ({})",
            report.violations.len(),
            report
                .violations
                .iter()
                .map(|v| v.index)
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            report.score,
            report.grade
        );
        group.throughput(Throughput::Elements(n));
        group.bench_with_input(
            BenchmarkId::new("default_order_pack", n),
            &batch,
            |b, batch| b.iter(|| engine.check(batch)),
        );
    }
    let batch = orders(10_000);
    group.throughput(Throughput::Elements(10_000));
    group.bench_function("cleanse_then_check/10000", |b| {
        b.iter_batched(
            || batch.clone(),
            |mut orders| engine.check_and_cleanse(&mut orders),
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
