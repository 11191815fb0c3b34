"""Read a (fake) WooCommerce store page by page, then read only what changed.

Run from anywhere, after installing the wheel (``pip install nexus-commerce``):

    python nexus-py/examples/fake_store_read.py

No store account is needed: ``nexus.testing.FakeStore`` serves WooCommerce's REST API on
127.0.0.1. To read a real store, replace ``fake.connector()`` with
``nexus.WooCommerce("https://your.shop", consumer_key=..., consumer_secret=...)``.
"""

from __future__ import annotations

import time
from typing import Optional

import nexus
from nexus.testing import FakeStore


def main() -> None:
    with FakeStore("woocommerce", orders=300, faults={3: "503"}) as fake:
        shop = fake.connector(page_size=100)
        print(f"nexus {nexus.__version__}: {shop!r}")
        info = shop.check()
        print(f"store {info.name!r}: {info.platform} {info.platform_version}, {info.currency}")

        # A first, full read, page by page. The 503 injected on the third request is
        # retried by the connector: nothing is lost.
        checkpoint: Optional[nexus.Checkpoint] = None
        seen = 0
        for page in shop.pages("orders"):
            seen += len(page)
            checkpoint = page.checkpoint
            print(
                f"  page {page.number}: {len(page)} orders ({seen} in all), "
                f"{page.duplicates} seen before, {len(page.errors)} errors; checkpoint {checkpoint}"
            )

        # The store changes: 3 orders are edited and 2 are placed. Modification times are
        # kept to the second, so let the changes' second end before reading them.
        changed = fake.mutate(3, 2)
        time.sleep(1.1)

        # An incremental read from the saved checkpoint returns exactly the changes
        # (overlap=0; in production keep the default overlap against clock skew).
        update = shop.read("orders", since=checkpoint, overlap=0)
        print(f"\nincremental read: {len(update)} orders in {update.pages} page(s)")
        for order in update:
            total = order["total"]
            print(
                f"  #{order['source']['id']} {order['status']:<10} "
                f"{total['amount']} {total['currency']} updated {order['updated_at']}"
            )
        assert {o["source"]["id"] for o in update} == changed
        requests = fake.stats()["requests"]
        print(f"\nthe next run starts after {update.checkpoint}; the store saw {requests} requests")


if __name__ == "__main__":
    main()
