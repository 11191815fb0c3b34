-- Nexus schema 1 (PostgreSQL). Keys are (platform, store, source id); money is NUMERIC, times
-- TIMESTAMPTZ, `version` microseconds since the epoch of the record's last change (the newer
-- version wins), JSON as JSON (kept verbatim), raw payloads LZ4-compressed BYTEA.
CREATE TABLE orders (
  platform TEXT NOT NULL, store TEXT NOT NULL, source_id TEXT NOT NULL,
  version BIGINT NOT NULL,
  number TEXT, status TEXT NOT NULL, platform_status TEXT NOT NULL,
  payment_status TEXT, platform_payment_status TEXT,
  fulfillment_status TEXT, platform_fulfillment_status TEXT,
  currency TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL, updated_at TIMESTAMPTZ, paid_at TIMESTAMPTZ, completed_at TIMESTAMPTZ, cancelled_at TIMESTAMPTZ,
  customer_id TEXT, email TEXT,
  subtotal NUMERIC NOT NULL, discount_total NUMERIC NOT NULL, shipping_total NUMERIC NOT NULL,
  fee_total NUMERIC NOT NULL, tax_total NUMERIC NOT NULL, total NUMERIC NOT NULL, refunded_total NUMERIC NOT NULL,
  prices_include_tax BOOLEAN NOT NULL, payment_method TEXT, note TEXT,
  tags JSON NOT NULL, metadata JSON NOT NULL,
  raw BYTEA, synced_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (platform, store, source_id)
);
CREATE INDEX orders_created ON orders (created_at);
CREATE INDEX orders_customer ON orders (platform, store, customer_id);
CREATE TABLE order_lines (
  platform TEXT NOT NULL, store TEXT NOT NULL, order_id TEXT NOT NULL, position INTEGER NOT NULL,
  source_id TEXT NOT NULL, product_id TEXT, variant_id TEXT, sku TEXT, name TEXT NOT NULL,
  quantity NUMERIC NOT NULL, currency TEXT NOT NULL, unit_price NUMERIC NOT NULL, subtotal NUMERIC NOT NULL,
  discount NUMERIC NOT NULL, tax NUMERIC NOT NULL, total NUMERIC NOT NULL,
  components JSON NOT NULL, metadata JSON NOT NULL,
  PRIMARY KEY (platform, store, order_id, position)
);
CREATE INDEX order_lines_product ON order_lines (platform, store, product_id);
CREATE TABLE order_tax_lines (
  platform TEXT NOT NULL, store TEXT NOT NULL, order_id TEXT NOT NULL, position INTEGER NOT NULL,
  source_id TEXT, title TEXT NOT NULL, rate_code TEXT, rate NUMERIC,
  currency TEXT NOT NULL, amount NUMERIC NOT NULL, shipping_amount NUMERIC NOT NULL,
  PRIMARY KEY (platform, store, order_id, position)
);
CREATE TABLE order_shipping_lines (
  platform TEXT NOT NULL, store TEXT NOT NULL, order_id TEXT NOT NULL, position INTEGER NOT NULL,
  source_id TEXT, method TEXT, title TEXT NOT NULL,
  currency TEXT NOT NULL, amount NUMERIC NOT NULL, discount NUMERIC NOT NULL, tax NUMERIC NOT NULL,
  PRIMARY KEY (platform, store, order_id, position)
);
CREATE TABLE order_fee_lines (
  platform TEXT NOT NULL, store TEXT NOT NULL, order_id TEXT NOT NULL, position INTEGER NOT NULL,
  source_id TEXT, name TEXT NOT NULL, currency TEXT NOT NULL, amount NUMERIC NOT NULL, tax NUMERIC NOT NULL,
  PRIMARY KEY (platform, store, order_id, position)
);
CREATE TABLE order_discount_lines (
  platform TEXT NOT NULL, store TEXT NOT NULL, order_id TEXT NOT NULL, position INTEGER NOT NULL,
  source_id TEXT, code TEXT, kind TEXT, currency TEXT NOT NULL, amount NUMERIC NOT NULL,
  PRIMARY KEY (platform, store, order_id, position)
);
CREATE TABLE order_refunds (
  platform TEXT NOT NULL, store TEXT NOT NULL, order_id TEXT NOT NULL, position INTEGER NOT NULL,
  source_id TEXT NOT NULL, currency TEXT NOT NULL, amount NUMERIC NOT NULL, reason TEXT, created_at TIMESTAMPTZ,
  PRIMARY KEY (platform, store, order_id, position)
);
CREATE TABLE addresses (
  platform TEXT NOT NULL, store TEXT NOT NULL, owner TEXT NOT NULL, owner_id TEXT NOT NULL,
  role TEXT NOT NULL, position INTEGER NOT NULL,
  first_name TEXT, last_name TEXT, company TEXT, line1 TEXT, line2 TEXT, city TEXT, region TEXT,
  region_code TEXT, postal_code TEXT, country_code TEXT, country TEXT, phone TEXT, email TEXT,
  PRIMARY KEY (platform, store, owner, owner_id, role, position)
);
CREATE TABLE customers (
  platform TEXT NOT NULL, store TEXT NOT NULL, source_id TEXT NOT NULL,
  version BIGINT NOT NULL,
  email TEXT, email_normalized TEXT, first_name TEXT, last_name TEXT, phone TEXT,
  created_at TIMESTAMPTZ, updated_at TIMESTAMPTZ, orders_count BIGINT,
  total_spent NUMERIC, total_spent_currency TEXT, accepts_marketing BOOLEAN, state TEXT,
  tags JSON NOT NULL, metadata JSON NOT NULL,
  raw BYTEA, synced_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (platform, store, source_id)
);
CREATE INDEX customers_email ON customers (email_normalized);
CREATE TABLE products (
  platform TEXT NOT NULL, store TEXT NOT NULL, source_id TEXT NOT NULL,
  version BIGINT NOT NULL,
  name TEXT NOT NULL, kind TEXT NOT NULL, platform_type TEXT, status TEXT NOT NULL,
  platform_status TEXT, sku TEXT, handle TEXT, vendor TEXT,
  price NUMERIC, regular_price NUMERIC, currency TEXT, inventory_quantity BIGINT,
  categories JSON NOT NULL, tags JSON NOT NULL, variant_ids JSON NOT NULL,
  created_at TIMESTAMPTZ, updated_at TIMESTAMPTZ, metadata JSON NOT NULL,
  raw BYTEA, synced_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (platform, store, source_id)
);
CREATE TABLE variants (
  platform TEXT NOT NULL, store TEXT NOT NULL, parent_id TEXT NOT NULL, position INTEGER NOT NULL,
  source_id TEXT NOT NULL, product_id TEXT, sku TEXT, title TEXT,
  price NUMERIC, regular_price NUMERIC, currency TEXT, inventory_quantity BIGINT,
  options JSON NOT NULL, status TEXT, created_at TIMESTAMPTZ, updated_at TIMESTAMPTZ, metadata JSON NOT NULL,
  PRIMARY KEY (platform, store, parent_id, position)
);
CREATE INDEX variants_source ON variants (platform, store, source_id);
CREATE TABLE refunds (
  platform TEXT NOT NULL, store TEXT NOT NULL, source_id TEXT NOT NULL,
  version BIGINT NOT NULL,
  order_id TEXT, created_at TIMESTAMPTZ NOT NULL, processed_at TIMESTAMPTZ,
  currency TEXT NOT NULL, amount NUMERIC NOT NULL, shipping NUMERIC NOT NULL,
  reason TEXT, restock BOOLEAN, metadata JSON NOT NULL,
  raw BYTEA, synced_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (platform, store, source_id)
);
CREATE INDEX refunds_order ON refunds (platform, store, order_id);
CREATE TABLE refund_lines (
  platform TEXT NOT NULL, store TEXT NOT NULL, refund_id TEXT NOT NULL, position INTEGER NOT NULL,
  source_id TEXT, line_item_id TEXT, product_id TEXT, variant_id TEXT, sku TEXT, name TEXT,
  quantity NUMERIC NOT NULL, currency TEXT NOT NULL, subtotal NUMERIC NOT NULL, tax NUMERIC NOT NULL,
  total NUMERIC NOT NULL,
  PRIMARY KEY (platform, store, refund_id, position)
);
CREATE TABLE quarantine (
  platform TEXT NOT NULL, store TEXT NOT NULL, entity TEXT NOT NULL, record_key TEXT NOT NULL,
  source_id TEXT, reason TEXT NOT NULL, rules JSON NOT NULL, raw BYTEA,
  first_seen TIMESTAMPTZ NOT NULL, last_seen TIMESTAMPTZ NOT NULL, times_seen BIGINT NOT NULL,
  PRIMARY KEY (platform, store, entity, record_key)
);
CREATE TABLE checkpoints (
  store TEXT NOT NULL, entity TEXT NOT NULL, platform TEXT NOT NULL,
  cursor_updated_at TIMESTAMPTZ, cursor_id TEXT, saved_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (store, entity)
);
CREATE TABLE sync_runs (
  run_id TEXT NOT NULL, store TEXT NOT NULL, platform TEXT NOT NULL,
  started_at TIMESTAMPTZ NOT NULL, finished_at TIMESTAMPTZ NOT NULL, ok BOOLEAN NOT NULL, report JSON NOT NULL,
  PRIMARY KEY (run_id, store)
);
CREATE INDEX sync_runs_store ON sync_runs (store, started_at);
CREATE VIEW transactions AS
  SELECT o.platform, o.store, COALESCE(o.customer_id, 'email:' || lower(trim(o.email))) AS customer_id,
         o.source_id AS order_id, o.created_at AS date, o.total AS amount,
         o.refunded_total AS refunded, o.currency, o.status
  FROM orders o
  WHERE o.status NOT IN ('cancelled', 'failed', 'draft', 'pending');
