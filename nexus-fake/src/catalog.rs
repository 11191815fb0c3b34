//! The seeded catalog a fake store serves: customers, products with variants, orders with
//! lines and refunds, and deletions. Platform modules render it in their own JSON.
//!
//! Records are kept compact (no JSON) so a store can hold hundreds of thousands of orders;
//! each response renders only the records it returns. Modification times are whole seconds,
//! as WordPress and Magento store them, and imports give many records the same second (tie
//! groups larger than a page), which is what breaks naive keyset paging.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Timelike, Utc};
use nexus_core::model::EntityKind;

/// A customer.
#[derive(Debug, Clone)]
pub struct Customer {
    pub id: u64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub country: &'static str,
    pub city: &'static str,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
}

/// A product variant (every product has at least one).
#[derive(Debug, Clone)]
pub struct Variant {
    pub id: u64,
    pub sku: String,
    /// Price in cents.
    pub price: i64,
    pub option: &'static str,
}

/// A product.
#[derive(Debug, Clone)]
pub struct Product {
    pub id: u64,
    pub title: String,
    pub variants: Vec<Variant>,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
}

/// An order line.
#[derive(Debug, Clone)]
pub struct Line {
    pub id: u64,
    pub product: u64,
    pub variant: u64,
    pub sku: String,
    pub title: String,
    pub quantity: u32,
    /// Unit price in cents.
    pub price: i64,
    /// Whether the product has several variants (WooCommerce sends `variation_id` 0 for a
    /// line of a simple product).
    pub variable: bool,
}

/// A refund of part of an order.
#[derive(Debug, Clone)]
pub struct Refund {
    pub id: u64,
    pub created: DateTime<Utc>,
    /// Amount in cents.
    pub amount: i64,
    pub reason: &'static str,
}

/// An order.
#[derive(Debug, Clone)]
pub struct Order {
    pub id: u64,
    pub number: u64,
    pub customer: u64,
    pub email: String,
    pub created: DateTime<Utc>,
    pub modified: DateTime<Utc>,
    /// `pending`, `processing`, `completed`, `cancelled` or `refunded`.
    pub status: &'static str,
    pub lines: Vec<Line>,
    /// Shipping in cents.
    pub shipping: i64,
    pub refunds: Vec<Refund>,
}

impl Order {
    /// Lines plus shipping, in cents.
    pub fn total(&self) -> i64 {
        self.lines
            .iter()
            .map(|l| l.price * i64::from(l.quantity))
            .sum::<i64>()
            + self.shipping
    }
}

/// A record deleted from the store.
#[derive(Debug, Clone)]
pub struct Deletion {
    pub entity: EntityKind,
    pub id: u64,
    pub at: DateTime<Utc>,
    pub event_id: u64,
}

/// Money in cents as `"12.34"`.
pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

/// Something with an id and a modification time.
pub trait Stamped {
    fn id(&self) -> u64;
    fn modified(&self) -> DateTime<Utc>;
}

macro_rules! stamped {
    ($($t:ty),*) => {$(
        impl Stamped for $t {
            fn id(&self) -> u64 { self.id }
            fn modified(&self) -> DateTime<Utc> { self.modified }
        }
    )*};
}
stamped!(Customer, Product, Order);

/// Sizes and seed of a generated catalog.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub orders: usize,
    pub customers: usize,
    pub products: usize,
    pub seed: u64,
}

const FIRST: &[&str] = &[
    "Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken", "Frances", "Linus",
];
const LAST: &[&str] = &[
    "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Thompson", "Allen",
    "Torvalds",
];
const PLACES: &[(&str, &str)] = &[
    ("PT", "Lisboa"),
    ("US", "Portland"),
    ("DE", "Berlin"),
    ("FR", "Lyon"),
    ("GB", "Leeds"),
    ("NL", "Utrecht"),
];
const OPTIONS: &[&str] = &["Small", "Medium", "Large"];
const MAIL_DOMAINS: &[&str] = &[
    "inbox.nexusdemo.net",
    "mail.nexusdemo.org",
    "post.nexusdemo.eu",
];
const REASONS: &[&str] = &["damaged", "wrong size", "changed mind"];

/// The whole store.
#[derive(Debug)]
pub struct Catalog {
    pub customers: Vec<Customer>,
    pub products: Vec<Product>,
    pub orders: Vec<Order>,
    pub deletions: Vec<Deletion>,
    next_id: u64,
    rng: u64,
    /// Index of each order by id.
    order_at: BTreeMap<u64, usize>,
    /// Orders by `(modified, id)`, rebuilt after changes.
    order_sorted: Option<Vec<usize>>,
}

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

impl Catalog {
    /// Generates a catalog; the same sizes and seed give the same catalog.
    pub fn generate(sizes: Sizes) -> Self {
        let mut c = Catalog {
            customers: Vec::with_capacity(sizes.customers),
            products: Vec::with_capacity(sizes.products),
            orders: Vec::with_capacity(sizes.orders),
            deletions: Vec::new(),
            next_id: 0,
            rng: sizes.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
            order_at: BTreeMap::new(),
            order_sorted: None,
        };
        let t0 = base();
        for i in 0..sizes.customers.max(1) as u64 {
            let id = 1 + i;
            let created = t0 + chrono::Duration::minutes(90 * i as i64);
            // Customers imported together share a modification second.
            let modified = if i % 5 < 2 {
                t0 + chrono::Duration::days(30 + (i / 50) as i64)
            } else {
                created + chrono::Duration::hours(c.below(4000) as i64)
            };
            let (country, city) = PLACES[c.below(PLACES.len() as u64) as usize];
            let first = FIRST[c.below(FIRST.len() as u64) as usize];
            let last = LAST[c.below(LAST.len() as u64) as usize];
            c.customers.push(Customer {
                id,
                // Invented mail domains: `example.com` would be flagged as a placeholder
                // address by the quality rules, on every record.
                email: format!(
                    "{}.{}{id}@{}",
                    first.to_lowercase(),
                    last.to_lowercase(),
                    MAIL_DOMAINS[(id % MAIL_DOMAINS.len() as u64) as usize]
                ),
                first_name: first.into(),
                last_name: last.into(),
                country,
                city,
                created,
                modified,
            });
        }
        for i in 0..sizes.products.max(1) as u64 {
            let id = 5000 + i;
            let created = t0 + chrono::Duration::hours(7 * i as i64);
            let modified = if i % 4 == 0 {
                t0 + chrono::Duration::days(10 + (i / 40) as i64)
            } else {
                created + chrono::Duration::hours(c.below(3000) as i64)
            };
            let price = 500 + 100 * c.below(95) as i64 + 99;
            let n = if i % 3 == 0 { 3 } else { 1 };
            let variants = (0..n)
                .map(|v| Variant {
                    id: id * 10 + v,
                    sku: format!("SKU-{id}-{v}"),
                    price: price + 200 * v as i64,
                    option: OPTIONS[v as usize],
                })
                .collect();
            c.products.push(Product {
                id,
                title: format!("Product {id}"),
                variants,
                created,
                modified,
            });
        }
        c.next_id = 100_000;
        // Orders spread evenly over a year, so a store's sales have months and its
        // customers a history the analytics can read.
        let spacing = 525_600 / (sizes.orders as i64).max(1);
        for i in 0..sizes.orders as u64 {
            let created = t0 + chrono::Duration::minutes(spacing.max(1) * i as i64);
            // Orders touched by a bulk status update share a modification second.
            let modified = if i % 10 < 4 {
                t0 + chrono::Duration::days(400) + chrono::Duration::seconds((i / 100) as i64)
            } else {
                created + chrono::Duration::minutes(c.below(60 * 24 * 30) as i64)
            };
            let o = c.new_order(created, modified);
            c.push_order(o);
        }
        c
    }

    /// Gives about `share` of the records the dirt real stores have, deterministically:
    /// customer emails typed with `(at)` (invalid: quarantined by the default rules), order
    /// emails in mixed case with stray spaces (fixable by cleansing), and a few orders
    /// whose email is not an address at all (quarantined).
    pub fn soil(&mut self, share: f64) {
        if share.is_nan() || share <= 0.0 {
            return;
        }
        let every = (1.0 / share.min(1.0)).round().max(1.0) as u64;
        for c in &mut self.customers {
            if c.id % every == every / 2 {
                c.email = c.email.replacen('@', "(at)", 1);
            }
        }
        for (i, o) in self.orders.iter_mut().enumerate() {
            let i = i as u64;
            if i % every == 1 {
                o.email = format!("  {}", o.email.to_uppercase());
            } else if i % (every * 3) == every / 2 + 2 {
                o.email = o.email.replace('@', " at ");
            }
        }
    }

    /// A pseudo-random number below `n` (xorshift; deterministic per seed).
    pub fn below(&mut self, n: u64) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng % n.max(1)
    }

    fn fresh_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn new_order(&mut self, created: DateTime<Utc>, modified: DateTime<Utc>) -> Order {
        let id = self.fresh_id();
        let k = self.below(self.customers.len() as u64) as usize;
        let customer = &self.customers[k];
        let (customer_id, email) = (customer.id, customer.email.clone());
        let n = 1 + self.below(4);
        let mut lines = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let p = self.below(self.products.len() as u64) as usize;
            let v = self.below(self.products[p].variants.len() as u64) as usize;
            let quantity = 1 + self.below(3) as u32;
            let product = &self.products[p];
            let variant = &product.variants[v];
            let line = Line {
                id: 0,
                product: product.id,
                variant: variant.id,
                sku: variant.sku.clone(),
                title: product.title.clone(),
                quantity,
                price: variant.price,
                variable: product.variants.len() > 1,
            };
            lines.push(Line {
                id: self.fresh_id(),
                ..line
            });
        }
        let roll = self.below(100);
        let status = match roll {
            0..=69 => "completed",
            70..=84 => "processing",
            85..=91 => "pending",
            92..=95 => "cancelled",
            _ => "refunded",
        };
        let mut order = Order {
            id,
            number: id - 99_000,
            customer: customer_id,
            email,
            created,
            modified,
            status,
            lines,
            shipping: 500,
            refunds: Vec::new(),
        };
        if status == "refunded" || roll % 13 == 0 {
            let amount = if status == "refunded" {
                order.total()
            } else {
                order.lines[0].price
            };
            order.refunds.push(Refund {
                id: self.fresh_id(),
                created: modified,
                amount,
                reason: REASONS[self.below(REASONS.len() as u64) as usize],
            });
        }
        order
    }

    /// Indexes of the orders inside the bounds (see [`by_modified`]), by `(modified, id)`;
    /// fast on large stores (the order is cached between changes).
    pub fn orders_by_modified(
        &mut self,
        lo: Option<(DateTime<Utc>, bool)>,
        hi: Option<(DateTime<Utc>, bool)>,
    ) -> Vec<usize> {
        let orders = &self.orders;
        let sorted = self
            .order_sorted
            .get_or_insert_with(|| by_modified(orders, None, None));
        let start = match lo {
            None => 0,
            Some((t, incl)) => sorted.partition_point(|&i| {
                let m = orders[i].modified;
                if incl { m < t } else { m <= t }
            }),
        };
        let end = match hi {
            None => sorted.len(),
            Some((t, incl)) => sorted.partition_point(|&i| {
                let m = orders[i].modified;
                if incl { m <= t } else { m < t }
            }),
        };
        sorted[start..end.max(start)].to_vec()
    }

    fn push_order(&mut self, o: Order) {
        self.order_sorted = None;
        self.order_at.insert(o.id, self.orders.len());
        self.orders.push(o);
    }

    /// The order with this id.
    pub fn order(&self, id: u64) -> Option<&Order> {
        self.order_at.get(&id).map(|&i| &self.orders[i])
    }

    /// Modifies `modify` existing orders and inserts `insert` new ones, all modified now
    /// (to the second); returns their ids.
    pub fn mutate(&mut self, modify: usize, insert: usize) -> Vec<u64> {
        let now = now_second();
        let mut changed = Vec::new();
        for _ in 0..modify.min(self.orders.len()) {
            let k = self.below(self.orders.len() as u64) as usize;
            self.order_sorted = None;
            let o = &mut self.orders[k];
            o.modified = now;
            o.status = if o.status == "completed" {
                "refunded"
            } else {
                "completed"
            };
            changed.push(o.id);
        }
        for _ in 0..insert {
            let o = self.new_order(now, now);
            changed.push(o.id);
            self.push_order(o);
        }
        changed.sort_unstable();
        changed.dedup();
        changed
    }

    /// Marks the orders with these ids modified now (status unchanged); returns the ids
    /// found.
    pub fn touch(&mut self, ids: &[u64]) -> Vec<u64> {
        let now = now_second();
        let mut found = Vec::new();
        for id in ids {
            if let Some(&k) = self.order_at.get(id) {
                self.orders[k].modified = now;
                found.push(*id);
            }
        }
        self.order_sorted = None;
        found
    }

    /// Deletes `n` records of `entity` (orders, customers or products) and records the
    /// deletions; returns their ids.
    pub fn delete(&mut self, entity: EntityKind, n: usize) -> Vec<u64> {
        let now = now_second();
        let mut gone = Vec::new();
        for _ in 0..n {
            let id = match entity {
                EntityKind::Order if !self.orders.is_empty() => {
                    let k = self.below(self.orders.len() as u64) as usize;
                    let id = self.orders.remove(k).id;
                    self.order_sorted = None;
                    self.order_at = self
                        .orders
                        .iter()
                        .enumerate()
                        .map(|(i, o)| (o.id, i))
                        .collect();
                    id
                }
                EntityKind::Customer if self.customers.len() > 1 => {
                    let k = self.below(self.customers.len() as u64) as usize;
                    self.customers.remove(k).id
                }
                EntityKind::Product if self.products.len() > 1 => {
                    let k = self.below(self.products.len() as u64) as usize;
                    self.products.remove(k).id
                }
                _ => break,
            };
            let event_id = self.fresh_id();
            self.deletions.push(Deletion {
                entity,
                id,
                at: now,
                event_id,
            });
            gone.push(id);
        }
        gone
    }

    /// The ids of every record of `entity` the store holds (refunds included).
    pub fn ids(&self, entity: EntityKind) -> Vec<u64> {
        match entity {
            EntityKind::Order => self.orders.iter().map(|o| o.id).collect(),
            EntityKind::Customer => self.customers.iter().map(|c| c.id).collect(),
            EntityKind::Product => self.products.iter().map(|p| p.id).collect(),
            EntityKind::Variant => self
                .products
                .iter()
                .flat_map(|p| p.variants.iter().map(|v| v.id))
                .collect(),
            EntityKind::Refund => self
                .orders
                .iter()
                .flat_map(|o| o.refunds.iter().map(|r| r.id))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Now, to the second (WordPress and Magento keep no fractions).
pub fn now_second() -> DateTime<Utc> {
    let now = Utc::now();
    now.with_nanosecond(0).unwrap_or(now)
}

/// Indexes of `recs` with `lo < modified < hi` (bounds optional, `lo` inclusive when asked),
/// ordered by `(modified, id)`.
pub fn by_modified<T: Stamped>(
    recs: &[T],
    lo: Option<(DateTime<Utc>, bool)>,
    hi: Option<(DateTime<Utc>, bool)>,
) -> Vec<usize> {
    let mut idx: Vec<usize> = recs
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            let m = r.modified();
            lo.is_none_or(|(t, incl)| if incl { m >= t } else { m > t })
                && hi.is_none_or(|(t, incl)| if incl { m <= t } else { m < t })
        })
        .map(|(i, _)| i)
        .collect();
    idx.sort_unstable_by_key(|&i| (recs[i].modified(), recs[i].id()));
    idx
}
