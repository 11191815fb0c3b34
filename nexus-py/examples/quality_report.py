"""Check the quality of mapped orders, cleanse them, and write the HTML report.

Run from anywhere, after installing the wheel (``pip install nexus-commerce``):

    python nexus-py/examples/quality_report.py [report.html]

The orders are the platforms' own documented examples, kept in ``tests/fixtures``. The
HTML report goes to the path given, or to a temporary file.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Tuple

import nexus

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures"


def main() -> None:
    # Orders of three stores, mapped to the unified form; one check scores them together
    # and store by store.
    sources: List[Tuple[nexus.Platform, str, str]] = [
        ("woocommerce", "woocommerce/orders_list.json", "shop-us"),
        ("shopify", "shopify/orders.json", "main"),
        ("magento", "magento/order.json", "eu"),
    ]
    orders: List[Dict[str, Any]] = []
    for platform, fixture, store in sources:
        mapped = nexus.map_orders(platform, (FIXTURES / fixture).read_bytes(), store=store)
        orders.extend(mapped.raise_for_errors().records)

    before = nexus.check_quality(orders, entity="orders")
    report = nexus.check_quality(orders, entity="orders", cleanse=True, previous=before)
    print(f"before cleansing: {before}")
    print(f"after cleansing:  {report}")
    print(f"score {report.score:.2f}, grade {report.grade}, {len(report.cleansing)} changes")
    for part in report.stores:
        print(
            f"  {part['platform']:<12} {part['store']:<8} {part['grade']:<3} "
            f"{part['score']:6.2f}"
        )

    print("\nWhat to fix first:")
    for rec in report.recommendations[:3]:
        print(f"  {rec['rank']}. [{rec['severity']}] {rec['problem']}")
        print(f"     fix: {rec['fix']}")

    if len(sys.argv) > 1:
        path = Path(sys.argv[1])
    else:
        fd, name = tempfile.mkstemp(prefix="nexus-quality-", suffix=".html")
        os.close(fd)
        path = Path(name)
    report.to_html(path)
    print(f"\nHTML report: {path}")


if __name__ == "__main__":
    main()
