"""Map a few real platform payloads with Nexus and print what came out.

Run from anywhere, after installing the wheel (``pip install nexus-commerce``):

    python nexus-py/examples/map_fixtures.py

The payloads are the platforms' own documented examples, kept in ``tests/fixtures``.
"""

from __future__ import annotations

from pathlib import Path

import nexus

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures"


def main() -> None:
    print(f"nexus {nexus.__version__}")

    # Bytes exactly as the store's REST API sent them: money stays exact.
    orders = nexus.map_orders(
        "woocommerce", (FIXTURES / "woocommerce" / "orders_list.json").read_bytes(), store="shop-us"
    )
    print(f"\nWooCommerce orders: {orders!r}")
    for order in orders:
        total = order["total"]
        print(
            f"  #{order['number']} {order['status']:<10} {order['created_at']}"
            f"  {total['amount']:>8} {total['currency']}  {len(order['line_items'])} line(s)"
        )

    # Shopify's envelope ({"products": [...]}) is understood as it is; variants come along.
    products = nexus.map_products("shopify", (FIXTURES / "shopify" / "products.json").read_text())
    print(f"\nShopify products: {products!r}")
    for product in products:
        prices = sorted({v["price"] for v in product["variants"] if v["price"] is not None})
        print(f"  {product['name']!r}: {len(product['variants'])} variant(s), prices {prices}")

    # Magento product payloads carry no currency: name the store's.
    magento = nexus.map_products(
        "magento", (FIXTURES / "magento" / "product_simple.json").read_bytes(), currency="EUR"
    )
    for product in magento:
        print(f"\nMagento product {product['sku']}: {product['price']} {product['currency']}")

    # A bad record does not sink the batch: it is reported with its JSON path.
    mixed = nexus.map_customers(
        "shopify",
        {"customers": [{"id": 1, "email": "a@example.com"}, {"email": "no-id@example.com"}]},
    )
    print(f"\nMixed batch: {mixed!r}")
    for error in mixed.errors:
        print(f"  record {error.index}: {error.path}: {error.message} [{error.code}]")
    try:
        mixed.raise_for_errors()
    except nexus.DataError as err:
        print(f"  raise_for_errors() -> {type(err).__name__} (code {err.code!r})")


if __name__ == "__main__":
    main()
