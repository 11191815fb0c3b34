-- Nexus schema 1 (SQLite). Keys are (platform, store, source id); money is kept as exact
-- decimal text, times as RFC 3339 UTC text, `version` as microseconds since the epoch of the
-- record's last change (the newer version wins), JSON as text, raw payloads LZ4-compressed.
CREATE TABLE orders (
  platform TEXT NOT NULL, store TEXT NOT NULL, source_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  number TEXT, status TEXT NOT NULL, platform_status TEXT NOT NULL,
  payment_status TEXT, platform_payment_status TEXT,
  fulfillment_status TEXT, platform_fulfillment_status TEXT,
  currency TEXT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT, paid_at TEXT, completed_at TEXT, cancelled_at TEXT,
  customer_id TEXT, email TEXT,
  subtotal TEXT NOT NULL, discount_total TEXT NOT NULL, shipping_total TEXT NOT NULL,
  fee_total TEXT NOT NULL, tax_total TEXT NOT NULL, total TEXT NOT NULL, refunded_total TEXT NOT NULL,
  prices_include_tax INTEGER NOT NULL, payment_method TEXT, note TEXT,
  tags TEXT NOT NULL, metadata TEXT NOT NULL,
  raw BLOB, synced_at TEXT NOT NULL,
  PRIMARY KEY (platform, store, source_id)
);
CREATE INDEX orders_created ON orders (created_at);
CREATE INDEX orders_customer ON orders (platform, store, customer_id);
CREATE TABLE order_lines (
  platform TEXT NOT NULL, store TEXT NOT NULL, order_id TEXT NOT NULL, position INTEGER NOT NULL,
  source_id TEXT NOT NULL, product_id TEXT, variant_id TEXT, sku TEXT, name TEXT NOT NULL,
  quantity TEXT NOT NULL, currency TEXT NOT NULL, unit_price TEXT NOT NULL, subtotal TEXT NOT NULL,
  discount TEXT NOT NULL, tax TEXT NOT NULL, total TEXT NOT NULL,
  components TEXT NOT NULL, metadata TEXT NOT NULL,
  PRIMARY KEY (platform, store, order_id, position)
) WITHOUT ROWID;
CREATE INDEX order_lines_product ON order_lines (platform, store, product_id);
CREATE TABLE order_tax_lines (
  platform TEXT NOT NULL, store TEXT NOT NULL, order_id TEXT NOT NULL, position INTEGER NOT NULL,
  source_id TEXT, title TEXT NOT NULL, rate_code TEXT, rate TEXT,
  currency TEXT NOT NULL, amount TEXT NOT NULL, shipping_amount TEXT NOT NULL,
  PRIMARY KEY (platform, store, order_id, position)
) WITHOUT ROWID;
CREATE TABLE order_shipping_lines (
  platform TEXT NOT NULL, store TEXT NOT NULL, order_id TEXT NOT NULL, position INTEGER NOT NULL,
  source_id TEXT, method TEXT, title TEXT NOT NULL,
  currency TEXT NOT NULL, amount TEXT NOT NULL, discount TEXT NOT NULL, tax TEXT NOT NULL,
  PRIMARY KEY (platform, store, order_id, position)
) WITHOUT ROWID;
CREATE TABLE order_fee_lines (
  platform TEXT NOT NULL, store TEXT NOT NULL, order_id TEXT NOT NULL, position INTEGER NOT NULL,
  source_id TEXT, name TEXT NOT NULL, currency TEXT NOT NULL, amount TEXT NOT NULL, tax TEXT NOT NULL,
  PRIMARY KEY (platform, store, order_id, position)
) WITHOUT ROWID;
CREATE TABLE order_discount_lines (
  platform TEXT NOT NULL, store TEXT NOT NULL, order_id TEXT NOT NULL, position INTEGER NOT NULL,
  source_id TEXT, code TEXT, kind TEXT, currency TEXT NOT NULL, amount TEXT NOT NULL,
  PRIMARY KEY (platform, store, order_id, position)
) WITHOUT ROWID;
CREATE TABLE order_refunds (
  platform TEXT NOT NULL, store TEXT NOT NULL, order_id TEXT NOT NULL, position INTEGER NOT NULL,
  source_id TEXT NOT NULL, currency TEXT NOT NULL, amount TEXT NOT NULL, reason TEXT, created_at TEXT,
  PRIMARY KEY (platform, store, order_id, position)
) WITHOUT ROWID;
CREATE TABLE addresses (
  platform TEXT NOT NULL, store TEXT NOT NULL, owner TEXT NOT NULL, owner_id TEXT NOT NULL,
  role TEXT NOT NULL, position INTEGER NOT NULL,
  first_name TEXT, last_name TEXT, company TEXT, line1 TEXT, line2 TEXT, city TEXT, region TEXT,
  region_code TEXT, postal_code TEXT, country_code TEXT, country TEXT, phone TEXT, email TEXT,
  PRIMARY KEY (platform, store, owner, owner_id, role, position)
) WITHOUT ROWID;
CREATE TABLE customers (
  platform TEXT NOT NULL, store TEXT NOT NULL, source_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  email TEXT, email_normalized TEXT, first_name TEXT, last_name TEXT, phone TEXT,
  created_at TEXT, updated_at TEXT, orders_count INTEGER,
  total_spent TEXT, total_spent_currency TEXT, accepts_marketing INTEGER, state TEXT,
  tags TEXT NOT NULL, metadata TEXT NOT NULL,
  raw BLOB, synced_at TEXT NOT NULL,
  PRIMARY KEY (platform, store, source_id)
);
CREATE INDEX customers_email ON customers (email_normalized);
CREATE TABLE products (
  platform TEXT NOT NULL, store TEXT NOT NULL, source_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  name TEXT NOT NULL, kind TEXT NOT NULL, platform_type TEXT, status TEXT NOT NULL,
  platform_status TEXT, sku TEXT, handle TEXT, vendor TEXT,
  price TEXT, regular_price TEXT, currency TEXT, inventory_quantity INTEGER,
  categories TEXT NOT NULL, tags TEXT NOT NULL, variant_ids TEXT NOT NULL,
  created_at TEXT, updated_at TEXT, metadata TEXT NOT NULL,
  raw BLOB, synced_at TEXT NOT NULL,
  PRIMARY KEY (platform, store, source_id)
);
CREATE TABLE variants (
  platform TEXT NOT NULL, store TEXT NOT NULL, parent_id TEXT NOT NULL, position INTEGER NOT NULL,
  source_id TEXT NOT NULL, product_id TEXT, sku TEXT, title TEXT,
  price TEXT, regular_price TEXT, currency TEXT, inventory_quantity INTEGER,
  options TEXT NOT NULL, status TEXT, created_at TEXT, updated_at TEXT, metadata TEXT NOT NULL,
  PRIMARY KEY (platform, store, parent_id, position)
) WITHOUT ROWID;
CREATE INDEX variants_source ON variants (platform, store, source_id);
CREATE TABLE refunds (
  platform TEXT NOT NULL, store TEXT NOT NULL, source_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  order_id TEXT, created_at TEXT NOT NULL, processed_at TEXT,
  currency TEXT NOT NULL, amount TEXT NOT NULL, shipping TEXT NOT NULL,
  reason TEXT, restock INTEGER, metadata TEXT NOT NULL,
  raw BLOB, synced_at TEXT NOT NULL,
  PRIMARY KEY (platform, store, source_id)
);
CREATE INDEX refunds_order ON refunds (platform, store, order_id);
CREATE TABLE refund_lines (
  platform TEXT NOT NULL, store TEXT NOT NULL, refund_id TEXT NOT NULL, position INTEGER NOT NULL,
  source_id TEXT, line_item_id TEXT, product_id TEXT, variant_id TEXT, sku TEXT, name TEXT,
  quantity TEXT NOT NULL, currency TEXT NOT NULL, subtotal TEXT NOT NULL, tax TEXT NOT NULL,
  total TEXT NOT NULL,
  PRIMARY KEY (platform, store, refund_id, position)
) WITHOUT ROWID;
CREATE TABLE quarantine (
  platform TEXT NOT NULL, store TEXT NOT NULL, entity TEXT NOT NULL, record_key TEXT NOT NULL,
  source_id TEXT, reason TEXT NOT NULL, rules TEXT NOT NULL, raw BLOB,
  first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, times_seen INTEGER NOT NULL,
  PRIMARY KEY (platform, store, entity, record_key)
) WITHOUT ROWID;
CREATE TABLE checkpoints (
  store TEXT NOT NULL, entity TEXT NOT NULL, platform TEXT NOT NULL,
  cursor_updated_at TEXT, cursor_id TEXT, saved_at TEXT NOT NULL,
  PRIMARY KEY (store, entity)
) WITHOUT ROWID;
CREATE TABLE sync_runs (
  run_id TEXT NOT NULL, store TEXT NOT NULL, platform TEXT NOT NULL,
  started_at TEXT NOT NULL, finished_at TEXT NOT NULL, ok INTEGER NOT NULL, report TEXT NOT NULL,
  PRIMARY KEY (run_id, store)
) WITHOUT ROWID;
CREATE INDEX sync_runs_store ON sync_runs (store, started_at);
CREATE VIEW transactions AS
  SELECT o.platform, o.store, COALESCE(o.customer_id, 'email:' || lower(trim(o.email))) AS customer_id,
         o.source_id AS order_id, o.created_at AS date, o.total AS amount,
         o.refunded_total AS refunded, o.currency, o.status
  FROM orders o
  WHERE o.status NOT IN ('cancelled', 'failed', 'draft', 'pending');
