//! Mapping throughput: platform order pages (bytes) to unified orders.
//!
//! Run with `cargo bench -p nexus-core --bench mapping`. Pages are generated, realistic
//! payloads shaped like the platforms' documented examples (100 and 250 orders a page, one to six
//! lines an order, addresses, taxes, shipping, coupons, metadata and links).

#![recursion_limit = "512"]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use nexus_core::mapping::Mapper;
use nexus_core::model::PlatformKind;
use serde_json::{Value, json};

#[path = "rng.rs"]
mod rng;
use rng::Rng;

fn money(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

const NAMES: [&str; 8] = [
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken",
];
const CITIES: [&str; 5] = ["Lisbon", "Leeds", "Lyon", "Leipzig", "Louisville"];

fn woo_order(rng: &mut Rng, id: u64) -> Value {
    let n_lines = 1 + rng.below(6);
    let mut lines = Vec::new();
    let mut items_total = 0;
    let mut tax_total = 0;
    for l in 0..n_lines {
        let qty = 1 + rng.below(3);
        let price = rng.cents(3, 120);
        let total = price * qty;
        let tax = total * 8 / 100;
        items_total += total;
        tax_total += tax;
        lines.push(json!({
            "id": id * 10 + l, "name": format!("Product {}", rng.below(500)), "product_id": 10 + rng.below(500),
            "variation_id": if rng.below(3) == 0 { 1000 + rng.below(900) } else { 0 }, "quantity": qty, "tax_class": "",
            "subtotal": money(total), "subtotal_tax": money(tax), "total": money(total), "total_tax": money(tax),
            "taxes": [{"id": 75, "total": money(tax), "subtotal": money(tax)}],
            "meta_data": [{"id": id * 100 + l, "key": "pa_color", "value": "black"}],
            "sku": format!("SKU-{}", rng.below(10_000)), "price": (price as f64) / 100.0,
        }));
    }
    let shipping = rng.cents(0, 15);
    let name = NAMES[rng.below(8) as usize];
    let city = CITIES[rng.below(5) as usize];
    let day = 1 + rng.below(28);
    let status = ["completed", "processing", "on-hold", "refunded"][rng.below(4) as usize];
    json!({
        "id": id, "parent_id": 0, "number": id.to_string(), "order_key": format!("wc_order_{id:x}"), "created_via": "checkout",
        "version": "8.5.1", "status": status, "currency": "EUR",
        "date_created": format!("2024-03-{day:02}T10:{:02}:00", rng.below(60)), "date_created_gmt": format!("2024-03-{day:02}T09:{:02}:00", rng.below(60)),
        "date_modified": format!("2024-03-{day:02}T11:00:00"), "date_modified_gmt": format!("2024-03-{day:02}T10:00:00"),
        "discount_total": "0.00", "discount_tax": "0.00", "shipping_total": money(shipping), "shipping_tax": "0.00",
        "cart_tax": money(tax_total), "total": money(items_total + shipping + tax_total), "total_tax": money(tax_total),
        "prices_include_tax": false, "customer_id": rng.below(20_000), "customer_ip_address": "203.0.113.7",
        "customer_user_agent": "Mozilla/5.0 (X11; Linux x86_64)", "customer_note": "",
        "billing": {"first_name": name, "last_name": "Doe", "company": "", "address_1": "1 Main Street", "address_2": "",
            "city": city, "state": "", "postcode": "1000-001", "country": "PT", "email": format!("{}{}@example.com", name.to_lowercase(), id), "phone": "+351 912 345 678"},
        "shipping": {"first_name": name, "last_name": "Doe", "company": "", "address_1": "1 Main Street", "address_2": "",
            "city": city, "state": "", "postcode": "1000-001", "country": "PT"},
        "payment_method": "stripe", "payment_method_title": "Credit card", "transaction_id": format!("ch_{id:x}"),
        "date_paid": format!("2024-03-{day:02}T10:05:00"), "date_paid_gmt": format!("2024-03-{day:02}T09:05:00"),
        "date_completed": null, "date_completed_gmt": null, "cart_hash": "5040ce7273261e31d8bcf79f9be3d279",
        "meta_data": [{"id": id, "key": "_wc_order_attribution_source_type", "value": "organic"}],
        "line_items": lines,
        "tax_lines": [{"id": id * 7, "rate_code": "PT-IVA", "rate_id": 1, "label": "IVA", "compound": false,
            "tax_total": money(tax_total), "shipping_tax_total": "0.00", "meta_data": []}],
        "shipping_lines": [{"id": id * 9, "method_title": "Flat rate", "method_id": "flat_rate", "total": money(shipping),
            "total_tax": "0.00", "taxes": [], "meta_data": []}],
        "fee_lines": [], "coupon_lines": [], "refunds": [],
        "_links": {"self": [{"href": format!("https://shop.example/wp-json/wc/v3/orders/{id}")}],
            "collection": [{"href": "https://shop.example/wp-json/wc/v3/orders"}]}
    })
}

fn set(amount: &str) -> Value {
    json!({"shop_money": {"amount": amount, "currency_code": "USD"}, "presentment_money": {"amount": amount, "currency_code": "USD"}})
}

fn shopify_order(rng: &mut Rng, id: u64) -> Value {
    let n_lines = 1 + rng.below(6);
    let mut lines = Vec::new();
    let mut items_total = 0;
    let mut tax_total = 0;
    for l in 0..n_lines {
        let qty = 1 + rng.below(3);
        let price = rng.cents(3, 120);
        let tax = price * qty * 6 / 100;
        items_total += price * qty;
        tax_total += tax;
        lines.push(json!({
            "id": id * 10 + l, "admin_graphql_api_id": format!("gid://shopify/LineItem/{}", id * 10 + l),
            "fulfillable_quantity": qty, "fulfillment_service": "manual", "fulfillment_status": null, "gift_card": false,
            "grams": 200, "name": format!("Product {} - Blue", rng.below(500)), "price": money(price), "price_set": set(&money(price)),
            "product_exists": true, "product_id": 632_910_392 + rng.below(500), "properties": [], "quantity": qty,
            "requires_shipping": true, "sku": format!("SKU-{}", rng.below(10_000)), "taxable": true, "title": "Product",
            "total_discount": "0.00", "total_discount_set": set("0.00"), "variant_id": 39_072_856 + rng.below(900),
            "variant_inventory_management": "shopify", "variant_title": "Blue", "vendor": "Acme",
            "tax_lines": [{"channel_liable": null, "price": money(tax), "price_set": set(&money(tax)), "rate": 0.06, "title": "State Tax"}],
            "duties": [], "discount_allocations": []
        }));
    }
    let total = money(items_total + tax_total);
    let day = 1 + rng.below(28);
    let name = NAMES[rng.below(8) as usize];
    let address = json!({"first_name": name, "address1": "Chestnut Street 92", "phone": "+1(502)-459-2181", "city": "Louisville",
        "zip": "40202", "province": "Kentucky", "country": "United States", "last_name": "Norman", "address2": "", "company": null,
        "latitude": 45.41634, "longitude": -75.6868, "name": format!("{name} Norman"), "country_code": "US", "province_code": "KY"});
    json!({
        "id": 5_000_000_000_000u64 + id, "admin_graphql_api_id": format!("gid://shopify/Order/{id}"), "app_id": null,
        "browser_ip": "0.0.0.0", "buyer_accepts_marketing": false, "cancel_reason": null, "cancelled_at": null,
        "cart_token": "68778783ad298f1c80c3bafcddeea02f", "checkout_id": 901_414_060, "confirmed": true,
        "contact_email": format!("{}{}@example.com", name.to_lowercase(), id),
        "created_at": format!("2024-03-{day:02}T11:00:00-05:00"), "currency": "USD",
        "current_subtotal_price": money(items_total), "current_subtotal_price_set": set(&money(items_total)),
        "current_total_price": total, "current_total_price_set": set(&total), "current_total_tax": money(tax_total),
        "email": format!("{}{}@example.com", name.to_lowercase(), id), "financial_status": "paid", "fulfillment_status": null,
        "name": format!("#{}", 1000 + id), "note": null, "note_attributes": [], "number": id, "order_number": 1000 + id,
        "payment_gateway_names": ["shopify_payments"], "presentment_currency": "USD",
        "processed_at": format!("2024-03-{day:02}T11:00:00-05:00"), "source_name": "web",
        "subtotal_price": money(items_total), "subtotal_price_set": set(&money(items_total)), "tags": "",
        "tax_lines": [{"price": money(tax_total), "rate": 0.06, "title": "State Tax", "price_set": set(&money(tax_total)), "channel_liable": null}],
        "taxes_included": false, "test": false, "total_discounts": "0.00", "total_discounts_set": set("0.00"),
        "total_line_items_price": money(items_total), "total_line_items_price_set": set(&money(items_total)),
        "total_outstanding": "0.00", "total_price": total, "total_price_set": set(&total),
        "total_shipping_price_set": set("0.00"), "total_tax": money(tax_total), "total_tax_set": set(&money(tax_total)),
        "total_tip_received": "0.00", "total_weight": 0, "updated_at": format!("2024-03-{day:02}T12:00:00-05:00"),
        "billing_address": address.clone(), "shipping_address": address,
        "customer": {"id": 207_119_551 + rng.below(20_000), "email": "bob@example.com", "first_name": name, "last_name": "Norman",
            "state": "enabled", "tags": "", "currency": "USD"},
        "discount_applications": [], "discount_codes": [], "fulfillments": [], "line_items": lines, "refunds": [],
        "shipping_lines": [{"id": id * 3, "code": "Standard", "discounted_price": "0.00", "price": "0.00", "price_set": set("0.00"),
            "source": "shopify", "title": "Standard", "tax_lines": [], "discount_allocations": []}]
    })
}

fn magento_order(rng: &mut Rng, id: u64) -> Value {
    let n_lines = 1 + rng.below(6);
    let mut items = Vec::new();
    let mut subtotal = 0;
    for l in 0..n_lines {
        let qty = 1 + rng.below(3);
        let price = rng.cents(3, 120);
        subtotal += price * qty;
        let p = (price as f64) / 100.0;
        items.push(json!({"item_id": id * 10 + l, "order_id": id, "product_id": 1500 + rng.below(500), "product_type": "simple",
            "sku": format!("SKU-{}", rng.below(10_000)), "name": "Radiant Tee", "qty_ordered": qty, "price": p, "base_price": p,
            "original_price": p, "row_total": (price * qty) as f64 / 100.0, "base_row_total": (price * qty) as f64 / 100.0,
            "tax_amount": 0, "discount_amount": 0, "created_at": "2024-03-01 10:00:00", "updated_at": "2024-03-01 10:00:00"}));
    }
    let address = json!({"address_type": "shipping", "city": "Purchase", "country_id": "US", "email": "jdoe@example.com",
        "firstname": "Jane", "lastname": "Doe", "postcode": "10577", "region": "New York", "region_code": "NY", "street": ["123 Oak Ave"],
        "telephone": "512-555-1111"});
    json!({"entity_id": id, "increment_id": format!("{id:09}"), "state": "processing", "status": "processing",
        "order_currency_code": "USD", "base_currency_code": "USD", "created_at": "2024-03-01 10:00:00", "updated_at": "2024-03-01 10:05:00",
        "customer_id": 1 + rng.below(20_000), "customer_email": "jdoe@example.com", "customer_is_guest": 0,
        "grand_total": (subtotal + 500) as f64 / 100.0, "subtotal": subtotal as f64 / 100.0, "shipping_amount": 5,
        "tax_amount": 0, "discount_amount": 0, "items": items, "billing_address": address.clone(),
        "payment": {"method": "checkmo"}, "extension_attributes": {"shipping_assignments": [{"shipping": {"address": address, "method": "flatrate_flatrate"}}]}})
}

fn page(platform: PlatformKind, n: u64, seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed);
    let orders: Vec<Value> = (1..=n)
        .map(|i| match platform {
            PlatformKind::WooCommerce => woo_order(&mut rng, seed * 1000 + i),
            PlatformKind::Shopify => shopify_order(&mut rng, seed * 1000 + i),
            PlatformKind::Magento => magento_order(&mut rng, seed * 1000 + i),
        })
        .collect();
    let body = match platform {
        PlatformKind::WooCommerce => Value::Array(orders),
        PlatformKind::Shopify => json!({ "orders": orders }),
        PlatformKind::Magento => json!({ "items": orders, "total_count": n }),
    };
    serde_json::to_vec(&body).unwrap()
}

fn bench_mapping(c: &mut Criterion) {
    let mut group = c.benchmark_group("map_orders");
    for platform in PlatformKind::ALL {
        for n in [100u64, 250] {
            let bytes = page(platform, n, 7 + n);
            // The default keeps every unmapped platform field in `metadata`; the second
            // line measures the mapper with that turned off.
            for (label, keep) in [("", true), (" unmapped dropped", false)] {
                let mapper = Mapper::new(platform).keep_unmapped(keep);
                let check = mapper.map_orders(&bytes);
                assert_eq!(
                    check.records.len() as u64,
                    n,
                    "{platform}: {:?}",
                    check.errors.first()
                );
                group.throughput(Throughput::Elements(n));
                let id = BenchmarkId::new(
                    format!("{platform}{label}"),
                    format!("{n} orders, {} KiB", bytes.len() / 1024),
                );
                group.bench_with_input(id, &bytes, |b, bytes| {
                    b.iter(|| mapper.map_orders(std::hint::black_box(bytes)))
                });
            }
        }
    }
    group.finish();
}

criterion_group!(benches, bench_mapping);
criterion_main!(benches);
