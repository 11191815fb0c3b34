"""The manager: a TOML registry of fake stores synced into SQLite, with progress, health,
alerts, the stored records, secrets kept out of sight, Ctrl-C and asyncio cancellation."""

from __future__ import annotations

import _thread
import asyncio
import os
import threading
import time
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pandas as pd
import polars as pl
import pytest

import nexus
from nexus.testing import FakeStore

_SALE_EXCLUDED = {"cancelled", "failed", "draft", "pending"}


class Shops:
    """Three fake stores (one per platform) and a registry file naming them."""

    def __init__(self, tmp: Path, tag: str, orders: Tuple[int, int, int], dirt: float) -> None:
        self.tmp = tmp
        self.tag = tag
        self.woo = FakeStore("woocommerce", orders=orders[0], dirt=dirt)
        self.shop = FakeStore("shopify", orders=orders[1], dirt=dirt)
        self.mage = FakeStore("magento", orders=orders[2], dirt=dirt)
        self.token = self.shop.credentials["access_token"]
        self.env = {
            f"NX_{tag}_WOO_KEY": self.woo.credentials["consumer_key"],
            f"NX_{tag}_WOO_SECRET": self.woo.credentials["consumer_secret"],
            f"NX_{tag}_MAGE_TOKEN": self.mage.credentials["access_token"],
        }
        os.environ.update(self.env)

    @property
    def secrets(self) -> List[str]:
        """Every credential the registry resolves."""
        return [*self.env.values(), self.token]

    def registry(self, extra: str = "", *, page_size: int = 50) -> Path:
        """Writes the registry file (stores eu, us and de) and returns its path."""
        path = self.tmp / "nexus.toml"
        path.write_text(
            f"""
database = "nexus.db"
concurrency = 3

[defaults]
page_size = {page_size}
overlap_seconds = 0

[stores.eu]
platform = "woocommerce"
url = "{self.woo.url}"
consumer_key = "env:NX_{self.tag}_WOO_KEY"
consumer_secret = "env:NX_{self.tag}_WOO_SECRET"
rate_limit = 100000

[stores.us]
platform = "shopify"
url = "{self.shop.url}"
access_token = "secret:shopify/us"
rate_limit = 100000

[stores.de]
platform = "magento"
url = "{self.mage.url}"
access_token = "env:NX_{self.tag}_MAGE_TOKEN"
allow_plain_http = true
rate_limit = 100000
{extra}
""",
            encoding="utf-8",
        )
        return path

    def manager(self, extra: str = "", *, page_size: int = 50, **options: Any) -> nexus.Manager:
        """A manager of the registry, the Shopify token given as a secret."""
        options.setdefault("secrets", {"shopify/us": self.token})
        return nexus.Manager.from_toml(self.registry(extra, page_size=page_size), **options)

    def orders(self) -> Dict[str, int]:
        """The fakes' order counts, by store name."""
        return {
            "eu": len(self.woo.ids("orders")),
            "us": len(self.shop.ids("orders")),
            "de": len(self.mage.ids("orders")),
        }

    def close(self) -> None:
        """Stops the fakes and forgets the variables."""
        for fake in (self.woo, self.shop, self.mage):
            fake.close()
        for name in self.env:
            os.environ.pop(name, None)


@pytest.fixture
def shops(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Shops]:
    tag = request.node.name.upper().replace("[", "_").replace("]", "")[-30:]
    s = Shops(tmp_path, tag, (240, 180, 150), dirt=0.05)
    yield s
    s.close()


def entity(report: nexus.StoreReport, name: str) -> nexus.EntityReport:
    """The report's entity, which must be there."""
    found = report.entity(name)
    assert found is not None, (report.store, name)
    return found


class Bar:
    """What a tqdm bar does with the events (``total``, ``n``, ``update``, ``close``)."""

    def __init__(self) -> None:
        self.total: Optional[int] = None
        self.n = 0
        self.closed = False

    def update(self, n: int) -> None:
        self.n += n

    def close(self) -> None:
        self.closed = True


def test_syncs_every_store_with_progress_and_writes_or_quarantines_every_order(
    shops: Shops,
) -> None:
    m = shops.manager()
    assert [s.name for s in m.stores()] == ["de", "eu", "us"]
    assert {s.name: s.platform for s in m.stores()}["us"] == "shopify"
    assert "orders" in m.stores()[0].entities

    events: List[nexus.Progress] = []
    bars: Dict[Tuple[str, str], Bar] = defaultdict(Bar)
    active = [0]

    def progress(p: nexus.Progress) -> None:
        active[0] += 1
        assert active[0] == 1, "progress events come one at a time"
        time.sleep(0.001)
        events.append(p)
        bar = bars[(p.store, p.entity)]
        bar.total = p.total
        bar.update(p.fetched - bar.n)
        if p.done:
            bar.close()
        active[0] -= 1

    report = m.sync(progress=progress)
    assert isinstance(report, nexus.SyncReport)
    assert report.ok and not report.cancelled, str(report)
    assert [s.store for s in report.stores] == ["de", "eu", "us"]

    expected = shops.orders()
    for s in report.stores:
        orders = s.entity("orders")
        assert orders is not None and orders.complete
        assert orders.fetched == expected[s.store]
        assert orders.written + orders.quarantined == expected[s.store], s
        assert s.requests.requests > 0
        assert 0 <= s.quality.score <= 100 and s.quality.grade
    assert sum(s.quarantined for s in report.stores) > 0, "the dirt is quarantined"
    stored = m.counts()
    assert stored["orders"] == sum(entity(s, "orders").written for s in report.stores)
    assert stored["quarantined"] == len(m.quarantined())

    # Progress: per store and entity, fetched never goes back, the last event is `done`
    # and matches the report; a tqdm-style bar ends full.
    by_key: Dict[Tuple[str, str], List[nexus.Progress]] = defaultdict(list)
    for e in events:
        by_key[(e.store, e.entity)].append(e)
    for s in report.stores:
        for ent in s.entities:
            seen = by_key[(s.store, ent.entity)]
            assert seen, (s.store, ent.entity)
            fetched = [e.fetched for e in seen]
            assert fetched == sorted(fetched)
            assert seen[-1].done and not any(e.done for e in seen[:-1])
            assert seen[-1].fetched == ent.fetched and seen[-1].total == ent.fetched
            bar = bars[(s.store, ent.entity)]
            assert bar.closed and bar.n == bar.total == ent.fetched
    assert {e.platform for e in events} == {"woocommerce", "shopify", "magento"}

    text = str(report)
    assert text == report.to_text()
    assert "woocommerce" in text and "orders" in text and "quality" in text.splitlines()[0]

    # The history keeps the latest report of each store.
    latest = {r.store: r for r in m.report()}
    assert latest["eu"].written == report.store("eu").written  # type: ignore[union-attr]

    # A second sync starts from the checkpoints: nothing new is written.
    again = m.sync("eu")
    assert [s.store for s in again.stores] == ["eu"]
    assert entity(again.stores[0], "orders").written == 0


def test_stored_records_frames_quality_and_customers_across(shops: Shops) -> None:
    m = shops.manager()
    m.sync()
    orders = m.orders()
    assert orders and {o["source"]["store"] for o in orders} == {"eu", "us", "de"}
    assert len(m.orders("eu")) + len(m.orders(["us", "de"])) == len(orders)
    assert {o["source"]["platform"] for o in m.orders(platform="magento")} == {"magento"}
    assert m.customers("us") and m.products("de") and m.refunds()
    with pytest.raises(nexus.UnknownPlatformError):
        m.orders(platform="bigcommerce")

    sales = [o for o in orders if o["status"] not in _SALE_EXCLUDED]
    frame = m.transactions()
    assert isinstance(frame, pl.DataFrame)
    assert frame.columns == [
        "platform",
        "store",
        "customer_id",
        "order_id",
        "date",
        "amount",
        "refunded",
        "currency",
        "status",
    ]
    assert frame.height == len(sales)
    assert frame.schema["date"] == pl.Datetime("us", "UTC")
    assert isinstance(frame.schema["amount"], pl.Decimal)
    total = sum(Decimal(o["total"]["amount"]) for o in sales)
    assert frame["amount"].sum() == total, "amounts stay exact"
    assert m.transactions("eu")["store"].unique().to_list() == ["eu"]

    pdf = m.transactions(kind="pandas")
    assert isinstance(pdf, pd.DataFrame) and list(pdf.columns) == frame.columns
    assert len(pdf) == len(sales) and str(pdf["date"].dtype).startswith("datetime64")
    assert sum(pdf["amount"]) == total
    with pytest.raises(ValueError):
        m.transactions(kind="arrow")  # type: ignore[arg-type]

    q = m.quarantined()
    assert q and all(r.reason and r.raw for r in q)
    assert {r.entity for r in q} <= {"orders", "customers", "products", "refunds"}
    assert all(r.times_seen >= 1 and r.first_seen <= r.last_seen for r in q)

    quality = m.quality_report("eu")
    assert isinstance(quality, nexus.QualityReport)
    assert quality.records_checked > 0 and quality.grade
    assert "<html" in m.quality_report().to_html().lower()

    across = m.customers_across()
    both = [c for c in across if len(c.stores) > 1]
    assert both, "the fakes share one seeded customer list"
    for c in both[:5]:
        assert c.email == c.email.strip().lower()
        assert c.orders > 0 and all(isinstance(v, Decimal) for v in c.revenue.values())
        assert c.first_order is not None and c.last_order is not None
        assert c.first_order <= c.last_order


def test_health_alerts_and_check(shops: Shops) -> None:
    raised: List[nexus.Alert] = []
    rules = """
[[alerts]]
when = "quarantine"
above = 0
severity = "critical"

[[alerts]]
when = "freshness"
above_minutes = 60
"""
    m = shops.manager(rules, on_alert=raised.append)
    before = m.health()
    assert before.status == "failing", "never synced"
    assert all(s.status == "failing" and s.reasons for s in before.stores)

    checks = m.check()
    assert [c.store for c in checks] == ["de", "eu", "us"]
    assert all(c.ok and c.error is None and c.info is not None for c in checks), checks
    assert {c.info.platform for c in checks if c.info} == {"woocommerce", "shopify", "magento"}
    assert [c.store for c in m.check("us")] == ["us"]

    m.sync()
    health = m.health()
    assert health.status in ("ok", "degraded")
    for s in health.stores:
        assert s.status != "failing", s
        assert s.freshness_seconds is not None and s.freshness_seconds < 60
        assert s.last_success is not None and s.last_success <= datetime.now(timezone.utc)
        assert s.error_rate == 0.0 and s.quality_grade is not None
    assert health.store("eu") is not None and health.store("nope") is None

    alerts = m.alerts()
    assert {(a.rule, a.store) for a in alerts} == {
        ("quarantine", s.store) for s in health.stores if s.quarantined > 0
    }
    assert all(a.severity == "critical" and a.message for a in alerts)
    assert [(a.rule, a.store) for a in raised] == [(a.rule, a.store) for a in alerts]
    assert all(isinstance(a.raised_at, datetime) for a in raised)


def test_a_store_with_wrong_credentials_fails_alone(shops: Shops) -> None:
    m = shops.manager()
    os.environ[f"NX_{shops.tag}_WOO_SECRET"] = "cs_wrong_secret_0000"
    checks = {c.store: c for c in m.check()}
    assert not checks["eu"].ok and checks["eu"].error is not None
    assert checks["eu"].error.code == "auth_failed"
    assert checks["us"].ok and checks["de"].ok

    report = m.sync()
    assert not report.ok
    eu, us, de = (report.store(n) for n in ("eu", "us", "de"))
    assert eu is not None and not eu.ok and eu.error is not None
    assert eu.error.code == "auth_failed" and eu.written == 0
    assert us is not None and us.ok and us.written > 0
    assert de is not None and de.ok and de.written > 0
    assert "auth_failed" in str(report)

    health = m.health()
    assert health.status == "failing"
    failing = health.store("eu")
    assert failing is not None and failing.status == "failing"
    assert failing.last_error is not None and failing.last_error.code == "auth_failed"
    assert any(a.rule == "auth_failing" and a.store == "eu" and a.severity == "critical"
               for a in m.alerts())


def test_missing_secrets_and_variables_are_named_in_the_store_report(shops: Shops) -> None:
    asked: List[str] = []

    def vault(name: str) -> Optional[str]:
        asked.append(name)
        return None

    m = shops.manager(secrets=vault)
    os.environ.pop(f"NX_{shops.tag}_MAGE_TOKEN")
    report = m.sync()
    us, de, eu = report.store("us"), report.store("de"), report.store("eu")
    assert asked == ["shopify/us"]
    assert us is not None and us.error is not None and us.error.code == "invalid_settings"
    assert "shopify/us" in us.error.message
    assert de is not None and de.error is not None
    assert f"NX_{shops.tag}_MAGE_TOKEN" in de.error.message and "stores.de" in de.error.message
    assert eu is not None and eu.ok

    # Without any secrets callback, the reference is named too.
    bare = nexus.Manager.from_toml(shops.registry())
    problem = bare.check("us")[0].error
    assert problem is not None and "secrets callback" in problem.message


def test_a_plain_text_secret_is_refused_naming_the_key(tmp_path: Path) -> None:
    path = tmp_path / "nexus.toml"
    path.write_text(
        '[stores.shop1]\nplatform = "woocommerce"\nurl = "https://shop.example.com"\n'
        'consumer_key = "env:SHOP1_KEY"\nconsumer_secret = "cs_live_0123456789abcdef"\n',
        encoding="utf-8",
    )
    with pytest.raises(nexus.SettingsError) as caught:
        nexus.Manager.from_toml(path)
    err = caught.value
    assert isinstance(err, nexus.NexusError) and isinstance(err, ValueError)
    assert err.code == "invalid_settings"
    assert err.key == "stores.shop1.consumer_secret"
    assert err.file == str(path)
    assert "stores.shop1.consumer_secret" in str(err) and "env:" in str(err)
    assert "cs_live_0123456789abcdef" not in str(err), "the error does not repeat the secret"

    path.write_text('[stores.a]\nplatform = "woocommerce"\nurl = "https://a.example"\nkey = 1\n')
    with pytest.raises(nexus.SettingsError, match="line 4"):
        nexus.Manager.from_toml(path)
    with pytest.raises(nexus.SettingsError, match="cannot read"):
        nexus.Manager.from_toml(tmp_path / "missing.toml")


def test_secrets_never_show(shops: Shops) -> None:
    m = shops.manager()
    report = m.sync()
    checks = m.check()
    texts = [
        repr(m),
        str(report),
        repr(report),
        report.to_json(),
        repr(m.report()),
        repr(checks),
        repr(m.health()),
        repr(m.stores()),
        shops.registry().read_text(),
    ]
    for text in texts:
        for secret in shops.secrets:
            assert secret not in text, f"a secret leaked into {text[:200]!r}"
    assert repr(m) == f"Manager({str(shops.registry())!r}, stores=['de', 'eu', 'us'])"


def test_async_sync_runs_from_asyncio(shops: Shops) -> None:
    m = shops.manager()

    async def main() -> Tuple[nexus.SyncReport, List[nexus.CheckResult], int]:
        ticks = 0

        async def tick() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.001)

        ticker = asyncio.create_task(tick())
        checks = await m.async_check()
        report = await m.async_sync(["eu", "de"])
        ticker.cancel()
        return report, checks, ticks

    report, checks, ticks = asyncio.run(main())
    assert report.ok and [s.store for s in report.stores] == ["eu", "de"]
    assert all(c.ok for c in checks)
    assert ticks > 1, "the event loop kept running during the sync"
    assert m.counts("eu")["orders"] + len(m.quarantined("eu")) >= shops.orders()["eu"]


def test_cancelling_the_asyncio_task_stops_the_sync_cleanly(shops: Shops) -> None:
    m = shops.manager(page_size=10)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        started = asyncio.Event()

        def progress(p: nexus.Progress) -> None:
            if not started.is_set():
                loop.call_soon_threadsafe(started.set)
                time.sleep(0.2)  # the task is cancelled while this page is in hand

        task = asyncio.ensure_future(m.async_sync(progress=progress))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    latest = m.report()
    assert latest and any(r.error is not None and r.error.code == "cancelled" for r in latest)
    assert m.counts()["orders"] < sum(shops.orders().values())
    # The next sync resumes from the checkpoints and completes.
    done = m.sync()
    assert done.ok
    assert m.counts()["orders"] + m.counts()["quarantined"] >= sum(shops.orders().values())


def test_ctrl_c_stops_the_sync_cleanly_and_the_next_sync_resumes(shops: Shops) -> None:
    m = shops.manager(page_size=10)
    pages = [0]

    def progress(p: nexus.Progress) -> None:
        pages[0] += 1
        if pages[0] == 1:
            _thread.interrupt_main()  # what Ctrl-C does
            time.sleep(0.3)  # the main thread sees it while this page is in hand

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        m.sync(progress=progress)
    assert time.monotonic() - started < 5
    latest = m.report()
    assert len(latest) == 3 and not all(r.ok for r in latest)
    assert any(r.error is not None and r.error.code == "cancelled" for r in latest)
    written = m.counts()
    assert written["customers"] + written["quarantined"] >= 10, "the page in hand was written"
    assert written["orders"] < sum(shops.orders().values())

    report = m.sync()
    assert report.ok
    customers = sum(entity(s, "customers").fetched for s in report.stores)
    assert customers < 3 * 60, "the next sync starts from the checkpoints"
    final = m.counts()
    assert final["orders"] + sum(
        1 for q in m.quarantined() if q.entity == "orders"
    ) == sum(shops.orders().values())


def test_a_cancel_token_stops_a_sync_from_another_thread(shops: Shops) -> None:
    m = shops.manager(page_size=10)
    token = nexus.Cancel()
    assert repr(token) == "<Cancel>"

    started = [False]

    def progress(p: nexus.Progress) -> None:
        # The first write of customers (pages fetched ahead may be written together).
        if p.entity == "customers" and not started[0]:
            started[0] = True
            threading.Thread(target=token.cancel).start()
            time.sleep(0.1)

    report = m.sync(progress=progress, cancel=token)
    assert token.cancelled and repr(token) == "<Cancel (cancelled)>"
    assert report.cancelled and not report.ok
    assert any(s.error is not None and s.error.code == "cancelled" for s in report.stores)


def test_exceptions_in_callbacks_are_raised_by_the_call(shops: Shops) -> None:
    m = shops.manager()

    def broken(p: nexus.Progress) -> None:
        raise ZeroDivisionError("progress bar broke")

    with pytest.raises(ZeroDivisionError, match="progress bar broke"):
        m.sync(progress=broken)
    assert any(r.error is not None and r.error.code == "cancelled" for r in m.report())

    def reenter(p: nexus.Progress) -> None:
        m.health()

    with pytest.raises(RuntimeError, match="inside a Nexus callback"):
        m.sync(progress=reenter)

    def failing_vault(name: str) -> Optional[str]:
        raise KeyError(name)

    m2 = nexus.Manager.from_toml(shops.registry(), secrets=failing_vault, database="other.db")
    with pytest.raises(KeyError, match="shopify/us"):
        m2.check()

    m3 = nexus.Manager.from_toml(
        shops.registry(), secrets=lambda name: 42, database="third.db"  # type: ignore[arg-type,return-value]
    )
    with pytest.raises(TypeError, match="str or None"):
        m3.sync("us")

    def bad_alert(a: nexus.Alert) -> None:
        raise LookupError("pager is down")

    m4 = nexus.Manager.from_toml(
        shops.registry(), secrets={"shopify/us": shops.token}, on_alert=bad_alert,
        database="fourth.db",
    )
    with pytest.raises(LookupError, match="pager is down"):
        m4.sync("eu")  # the default rules raise freshness alerts for us and de


def test_bad_arguments(shops: Shops, tmp_path: Path) -> None:
    m = shops.manager()
    with pytest.raises(nexus.InvalidArgumentError, match="nope"):
        m.sync("nope")
    with pytest.raises(nexus.InvalidArgumentError):
        m.check(["eu", "nope"])
    with pytest.raises(TypeError):
        nexus.Manager.from_toml(shops.registry(), secrets=42)  # type: ignore[arg-type]
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(nexus.DatabaseError) as caught:
        nexus.Manager.from_toml(shops.registry(), database=str(tmp_path / "a-file" / "x.db"))
    assert caught.value.code == "store_error" and caught.value.backend == "sqlite"
    with pytest.raises(nexus.InvalidArgumentError, match="dirt"):
        FakeStore("woocommerce", dirt=1.5)


def test_the_database_can_be_given_and_relative_paths_follow_the_file(shops: Shops) -> None:
    m = shops.manager(database="elsewhere.db")
    m.sync("us")
    assert (shops.tmp / "elsewhere.db").exists() and not (shops.tmp / "nexus.db").exists()
    assert m.counts()["orders"] > 0
    first = m.report()[0]
    assert first.started_at <= first.finished_at <= datetime.now(timezone.utc) + timedelta(seconds=1)
