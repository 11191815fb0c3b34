"""Sync three stores into one database: the Python twin of the Rust quickstart.

It starts three fake stores on 127.0.0.1 (WooCommerce, Shopify and Magento 2, speaking their
real APIs, with a few thousand orders each and some realistic dirt), registers them in a
``nexus.toml`` (credentials from environment variables and a secrets callback, as in
production), syncs them concurrently into a SQLite file with a progress display, and prints
the sync report, each store's health and quality grade. It writes the HTML quality report
to the path given as the first argument.

Run it from anywhere, after installing the wheel (``pip install nexus-commerce``):

    python nexus-py/examples/sync_stores.py [nexus-quality.html]

The progress display is a tqdm bar when tqdm is installed, plain text otherwise. To sync
real stores, write their addresses in the registry and their credentials in the
environment (``env:NAME``) or your vault (``secret:NAME``).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import nexus
from nexus.testing import FakeStore

# The three stores: name, platform, orders. (WooCommerce refunds take one request per
# order, so its store is the one that sets the pace.)
STORES: List[Tuple[str, str, int]] = [
    ("eu-woo", "woocommerce", 3000),
    ("us-shopify", "shopify", 3500),
    ("de-magento", "magento", 3000),
]


def registry(fakes: List[FakeStore], vault: Dict[str, str]) -> str:
    """The registry of the fake stores. Credentials are references: the WooCommerce and
    Magento ones are put in the environment, the Shopify token in ``vault``."""
    lines = [
        "# Written by nexus-py/examples/sync_stores.py: three fake stores on 127.0.0.1.",
        'database = "nexus.db"',
        "concurrency = 3",
        "",
        "[defaults]",
        "page_size = 100",
        "rate_limit = 60000  # requests a minute: local fake stores, no limit to respect",
    ]
    for (name, platform, _), fake in zip(STORES, fakes):
        creds = fake.credentials
        var = name.upper().replace("-", "_")
        lines += ["", f"[stores.{name}]", f'platform = "{platform}"', f'url = "{fake.url}"']
        if platform == "woocommerce":
            for field in ("consumer_key", "consumer_secret"):
                os.environ[f"{var}_{field.upper()}"] = creds[field]
                lines.append(f'{field} = "env:{var}_{field.upper()}"')
        elif platform == "shopify":
            vault[f"shopify/{name}"] = creds["access_token"]
            lines.append(f'access_token = "secret:shopify/{name}"')
        else:
            os.environ[f"{var}_TOKEN"] = creds["access_token"]
            lines.append(f'access_token = "env:{var}_TOKEN"')
            lines.append("allow_plain_http = true  # a local fake store")
    return "\n".join(lines) + "\n"


def progress_display() -> Tuple[Callable[[nexus.Progress], None], Callable[[], None]]:
    """A progress callback showing records fetched out of the totals the stores announce,
    all stores together, and a function that ends the display."""
    seen: Dict[Tuple[str, str], Tuple[int, int]] = {}

    def counts(p: nexus.Progress) -> Tuple[int, int]:
        seen[(p.store, p.entity)] = (p.fetched, max(p.total or p.fetched, p.fetched))
        return sum(f for f, _ in seen.values()), sum(t for _, t in seen.values())

    try:
        tqdm: Any = importlib.import_module("tqdm").tqdm
    except ImportError:
        tqdm = None
    if tqdm is not None:
        bar = tqdm(total=0, unit=" records", file=sys.stderr)

        def update(p: nexus.Progress) -> None:
            done, total = counts(p)
            bar.total = total
            bar.set_postfix_str(f"{p.store} {p.entity}", refresh=False)
            bar.update(done - bar.n)

        return update, bar.close

    live = sys.stderr.isatty()

    def line(p: nexus.Progress) -> None:
        done, total = counts(p)
        width = 30
        filled = done * width // total if total else 0
        text = f"  [{'#' * filled}{'.' * (width - filled)}] {done:>6}/{total:<6} records"
        if live:
            print(f"\r{text}  {p.store:<11} {p.entity:<9}", end="", file=sys.stderr, flush=True)
        elif p.done:
            print(f"{text}  {p.store} {p.entity} done", file=sys.stderr)

    return line, lambda: print(file=sys.stderr) if live else None


def main() -> int:
    html = Path(sys.argv[1] if len(sys.argv) > 1 else "nexus-quality.html")
    out = Path(tempfile.gettempdir()) / "nexus-py-sync-stores"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    print(f"Nexus {nexus.__version__}: three stores -> one SQLite database\n")

    fakes = [FakeStore(platform, orders=orders, dirt=0.02) for _, platform, orders in STORES]
    try:
        for (name, platform, orders), fake in zip(STORES, fakes):
            print(f"  fake {platform:<11} store {name:<11} at {fake.url} ({orders} orders)")
        vault: Dict[str, str] = {}
        config = out / "nexus.toml"
        config.write_text(registry(fakes, vault), encoding="utf-8")
        # `secrets` may be any callable name -> str | None: a vault client, a keyring, ...
        manager = nexus.Manager.from_toml(config, secrets=vault.get)
        print(f"  registry {config}\n")

        for check in manager.check():
            info = check.info
            state = "ok" if check.ok else f"FAILED {check.error}"
            detail = f"({info.name}, {info.currency})" if info else ""
            print(f"  check {check.store:<11} {state} {detail}")

        print("\nSyncing...")
        show, end = progress_display()
        started = time.monotonic()
        report = manager.sync(progress=show)
        seconds = time.monotonic() - started
        end()
        fetched = sum(s.fetched for s in report.stores)
        print(f"\n{fetched} records in {seconds:.1f}s ({fetched / seconds:.0f} records/s)\n")
        print(report)

        print("Health")
        health = manager.health()
        for s in health.stores:
            score = f"{s.quality_score:5.1f}" if s.quality_score is not None else "    -"
            print(
                f"  {s.store:<11} {s.status:<9} quality {s.quality_grade or '-':<3} ({score})"
                f"  quarantine {s.quarantined:>3}  {'; '.join(s.reasons)}"
            )
        for alert in manager.alerts():
            print(f"  alert {alert.severity} {alert.rule}: {alert.message}")

        quarantined = manager.quarantined()
        if quarantined:
            q = quarantined[0]
            print(
                f"\nQuarantine ({len(quarantined)} records), for example {q.store} {q.entity}:"
                f"\n  {q.reason}"
            )
        across = manager.customers_across()
        several = sum(1 for c in across if len(c.stores) > 1)
        print(f"\n{len(across)} customers, {several} of them buying in more than one store")
        frames = [m for m in ("polars", "pandas") if importlib.util.find_spec(m) is not None]
        if frames:
            sales = manager.transactions(kind="polars" if "polars" in frames else "pandas")
            print(f"{len(sales)} transactions ready for analytics ({frames[0]} DataFrame)")

        quality = manager.quality_report()
        quality.to_html(html)
        for name, _, _ in STORES:
            grade = manager.quality_report(name)
            print(f"  stored data of {name:<11} quality {grade.grade:<3} ({grade.score:.1f})")
        if quality.recommendations:
            top = quality.recommendations[0]
            print(
                f"Stored data quality {quality.grade} ({quality.score:.1f}/100); "
                f"fix first: {top['problem']} [{top['rule']}]"
            )
        print(f"\nDatabase {out / 'nexus.db'}\nQuality report {html.resolve()}")
        return 0 if report.ok else 1
    finally:
        for fake in fakes:
            fake.close()


if __name__ == "__main__":
    sys.exit(main())
