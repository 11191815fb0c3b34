"""The connectors and the fake stores, end to end over 127.0.0.1 (never the internet)."""

from __future__ import annotations

import _thread
import asyncio
import dataclasses
import pickle
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterator, List, Set

import pytest

import nexus
from nexus.testing import FakeStore, Fault

PLATFORMS = ["woocommerce", "shopify", "magento"]

# Small pages, so that every read below spans several of them.
SMALL_PAGES = {"woocommerce": 40, "shopify": 50, "magento": 60}


@pytest.fixture(params=PLATFORMS)
def fake(request: pytest.FixtureRequest) -> Iterator[FakeStore]:
    with FakeStore(request.param, orders=150) as store:
        yield store


def ids_of(records: Any) -> List[str]:
    return [r["source"]["id"] for r in records]


def test_paged_read_returns_every_order_once(fake: FakeStore) -> None:
    shop = fake.connector(page_size=SMALL_PAGES[fake.platform])
    pages = list(shop.pages("orders"))
    assert len(pages) >= 3
    assert [p.number for p in pages] == list(range(1, len(pages) + 1))
    seen = [i for p in pages for i in ids_of(p)]
    assert len(seen) == len(set(seen))
    assert set(seen) == fake.ids("orders")
    assert all(not p.errors for p in pages)
    last = pages[-1].checkpoint
    assert last is not None and last.updated_at.tzinfo is not None
    assert all(r["source"]["platform"] == fake.platform for p in pages for r in p)


def test_incremental_read_returns_exactly_the_changes(fake: FakeStore) -> None:
    shop = fake.connector(page_size=SMALL_PAGES[fake.platform])
    first = shop.read("orders")
    assert first.complete and set(ids_of(first)) == fake.ids("orders")
    changed = fake.mutate(3, 2)
    assert len(changed) == 5
    # Modification times are kept to the second, and a read leaves the second it starts in
    # for the next read: let the changes' second end.
    time.sleep(1.1)
    again = shop.read("orders", since=first.checkpoint, overlap=0)
    assert sorted(ids_of(again)) == sorted(changed)
    assert again.checkpoint is not None and first.checkpoint is not None
    assert again.checkpoint.updated_at > first.checkpoint.updated_at
    # Nothing changed since: an empty read that keeps the checkpoint.
    idle = shop.read("orders", since=again.checkpoint, overlap=0)
    assert idle.records == [] and idle.checkpoint == again.checkpoint


def test_check_describes_the_store(fake: FakeStore) -> None:
    info = fake.connector().check()
    assert isinstance(info, nexus.StoreInfo)
    assert info.platform == fake.platform
    assert info.currency is not None and len(info.currency) == 3
    caps = fake.connector().capabilities()
    assert "orders" in caps.entities and caps.max_page_size >= caps.default_page_size


@pytest.mark.parametrize("platform", PLATFORMS)
def test_wrong_credentials_raise_auth_error_without_the_secret(platform: str) -> None:
    wrong = "wrong_secret_value_0987654321"
    with FakeStore(platform, orders=10) as fake:
        if platform == "woocommerce":
            shop = fake.connector(consumer_secret=wrong)
        elif platform == "shopify":
            shop = fake.connector(access_token=wrong)
        else:
            shop = fake.connector(token=wrong)
        with pytest.raises(nexus.AuthError) as info:
            shop.check()
        with pytest.raises(nexus.AuthError):
            list(shop.pages("orders"))
        secrets = [wrong, *fake.credentials.values()]
    err = info.value
    assert err.code == "auth_failed" and err.platform == platform and err.status in (401, 403)
    text = f"{err} {err!r} {err.args}"
    assert not [s for s in secrets if s in text and len(s) > 8], text


def test_magento_wrong_admin_password() -> None:
    with FakeStore("magento", orders=5) as fake:
        shop = fake.connector(username="admin", password="not-the-password-123")
        with pytest.raises(nexus.AuthError) as info:
            shop.check()
    assert "not-the-password-123" not in str(info.value)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_injected_fault_is_retried_and_nothing_is_lost(platform: str) -> None:
    with FakeStore(platform, orders=120, faults={2: "503"}) as fake:
        shop = fake.connector(page_size=SMALL_PAGES[platform])
        result = shop.read("orders")
        assert set(ids_of(result)) == fake.ids("orders")
        assert len(result.records) == len(fake.ids("orders"))
        assert fake.stats()["requests"] >= result.pages + 1


def test_many_kinds_of_fault_are_retried() -> None:
    faults: Dict[int, Fault] = {
        2: "503",
        4: "html",
        6: "truncated",
        8: "429:0.05",
        10: "drop",
        12: 502,
    }
    with FakeStore("woocommerce", orders=300, faults=faults) as fake:
        shop = fake.connector(page_size=25)
        result = shop.read("orders")
        assert set(ids_of(result)) == fake.ids("orders")
        assert len(result.records) == 300
        assert fake.stats()["rate_limited"] == 1


def test_errors_when_retries_run_out() -> None:
    with FakeStore("woocommerce", orders=10) as fake:
        shop = fake.connector(max_attempts=1)
        fake.set_faults({1: "503"})
        with pytest.raises(nexus.PlatformError) as platform_error:
            shop.check()
        assert platform_error.value.status == 503 and platform_error.value.platform == "woocommerce"
        assert platform_error.value.code == "platform_error"

        fake.set_faults({1: "html"})
        with pytest.raises(nexus.InvalidPageError):
            shop.check()

        # WooCommerce hosts send `Retry-After` in whole seconds (and the connector then waits
        # that long before its next request: this comes last).
        fake.set_faults({1: "429:0.3"})
        with pytest.raises(nexus.RateLimited) as limited:
            shop.check()
        assert limited.value.retry_after == pytest.approx(1.0)
        assert limited.value.code == "rate_limited"

        fake.set_faults({1: "slow:1"})
        with pytest.raises(nexus.NexusTimeoutError) as timeout:
            fake.connector(max_attempts=1, timeout=0.2).check()
        assert isinstance(timeout.value, TimeoutError) and timeout.value.timeout == pytest.approx(0.2)
        assert timeout.value.code == "timeout"

    closed = FakeStore("shopify", orders=1)
    shop = closed.connector(max_attempts=1)
    closed.close()
    with pytest.raises(nexus.NetworkError) as network:
        shop.check()
    assert isinstance(network.value, ConnectionError) and network.value.code == "network_error"


def test_async_twins_do_not_block_the_event_loop() -> None:
    async def main(fake: FakeStore) -> None:
        shop = fake.connector(page_size=50)
        ticks = 0
        stop = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not stop.is_set():
                ticks += 1
                await asyncio.sleep(0.01)

        task = asyncio.ensure_future(ticker())
        info = await shop.acheck()
        assert info.platform == "shopify"
        seen: Set[str] = set()
        numbers = []
        async for page in shop.apages("orders"):
            seen.update(ids_of(page))
            numbers.append(page.number)
        collected = await shop.aread("orders")
        stop.set()
        await task
        assert seen == fake.ids("orders") == set(ids_of(collected))
        assert numbers == [1, 2, 3]
        # The slow request (0.4 s) ran in a worker thread while the loop kept ticking.
        assert ticks >= 10

    with FakeStore("shopify", orders=120, faults={3: "slow:0.4"}) as fake:
        asyncio.run(main(fake))


def test_apages_checks_its_arguments_at_once() -> None:
    with FakeStore("magento", orders=5) as fake:
        with pytest.raises(nexus.UnknownEntityError):
            fake.connector().apages("shipments")


def test_reads_in_threads_run_in_parallel() -> None:
    with FakeStore("woocommerce", orders=100, faults={2: "slow:0.5", 3: "slow:0.5"}) as fake:
        shop = fake.connector(max_attempts=1)
        results: List[nexus.ReadResult] = []
        threads = [
            threading.Thread(target=lambda: results.append(shop.read("orders"))) for _ in range(2)
        ]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
    assert len(results) == 2 and all(len(r) == 100 for r in results)
    assert elapsed < 0.95, elapsed  # two slow answers at once, not one after the other


def test_ctrl_c_interrupts_a_slow_request() -> None:
    with FakeStore("woocommerce", orders=5, faults={1: "slow:5"}) as fake:
        shop = fake.connector()
        timer = threading.Timer(0.2, _thread.interrupt_main)
        started = time.monotonic()
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            shop.check()
        timer.join()
        assert time.monotonic() - started < 2.0


def test_repr_hides_secrets() -> None:
    secrets = ["ck_visible_key_123456", "cs_visible_secret_123456", "shpat_token_123456"]
    woo = nexus.WooCommerce(
        "https://shop.example", consumer_key=secrets[0], consumer_secret=secrets[1]
    )
    shopify = nexus.Shopify("my-shop", access_token=secrets[2])
    magentos = [
        nexus.Magento("https://m.example", token="mg_token_123456"),
        nexus.Magento("https://m.example", username="admin", password="pw_123456"),
        nexus.Magento(
            "https://m.example",
            consumer_key="mg_ck_123456",
            consumer_secret="mg_cs_123456",
            access_token="mg_at_123456",
            access_token_secret="mg_ats_123456",
        ),
    ]
    secrets += ["mg_token_123456", "pw_123456", "mg_ck_123456", "mg_cs_123456", "mg_at_123456"]
    for shop in [woo, shopify, *magentos]:
        shown = f"{shop!r} {shop!s} {shop._native!r} {getattr(shop, '__dict__', {})}"
        assert not [s for s in secrets if s in shown], shown
    assert repr(woo) == "WooCommerce(url='https://shop.example', auth='auto', page_size=100)"
    with FakeStore("woocommerce", orders=1) as fake:
        assert fake.credentials["consumer_secret"] not in repr(fake.connector())


def test_bad_arguments_raise_clear_errors() -> None:
    with pytest.raises(nexus.ConfigError, match="page_size must be 1 to 100, not 0") as info:
        nexus.WooCommerce("https://s.example", consumer_key="ck", consumer_secret="cs", page_size=0)
    assert isinstance(info.value, ValueError) and info.value.platform == "woocommerce"
    with pytest.raises(nexus.ConfigError, match="consumer key is required"):
        nexus.WooCommerce("https://s.example", consumer_key=" ", consumer_secret="cs")
    with pytest.raises(TypeError):
        nexus.WooCommerce("https://s.example", consumer_secret="cs")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        nexus.Shopify("s", access_token="t", page_sise=5)  # type: ignore[call-arg]
    with pytest.raises(nexus.ConfigError, match="plain HTTP"):
        nexus.WooCommerce("http://s.example", consumer_key="ck", consumer_secret="cs", auth="basic")
    with pytest.raises(nexus.InvalidArgumentError, match="auth"):
        nexus.WooCommerce("https://s.example", consumer_key="ck", consumer_secret="cs", auth="x")
    with pytest.raises(nexus.InvalidArgumentError, match="page_size"):
        nexus.Shopify("s", access_token="t", page_size=-1)
    with pytest.raises(nexus.ConfigError, match="1 to 250"):
        nexus.Shopify("s", access_token="t", page_size=251)
    with pytest.raises(nexus.InvalidArgumentError, match="timeout"):
        nexus.Shopify("s", access_token="t", timeout=0)
    with pytest.raises(nexus.InvalidArgumentError, match="currency"):
        nexus.Shopify("s", access_token="t", currency="EURO")
    with pytest.raises(nexus.ConfigError, match="credentials are required"):
        nexus.Magento("https://m.example")
    with pytest.raises(nexus.ConfigError, match="not several"):
        nexus.Magento("https://m.example", token="t", username="u", password="p")
    with pytest.raises(nexus.ConfigError, match="user name and a password"):
        nexus.Magento("https://m.example", username="u")
    with pytest.raises(nexus.ConfigError, match="OAuth 1.0a needs"):
        nexus.Magento("https://m.example", consumer_key="k", consumer_secret="s")
    with pytest.raises(nexus.ConfigError, match="plain HTTP"):
        nexus.Magento("http://m.example", token="t")

    shop = nexus.Shopify("s", access_token="t")
    with pytest.raises(nexus.UnknownEntityError, match="shipments"):
        shop.pages("shipments")
    with pytest.raises(nexus.UnsupportedError):
        shop.pages("variants")
    with pytest.raises(nexus.InvalidArgumentError, match="time zone"):
        shop.pages("orders", since=datetime(2024, 1, 1))
    with pytest.raises(nexus.InvalidArgumentError, match="overlap"):
        shop.pages("orders", overlap=-1)
    with pytest.raises(TypeError):
        shop.pages("orders", since="2024-01-01")  # type: ignore[arg-type]
    with pytest.raises(nexus.InvalidArgumentError, match="max_pages"):
        shop.read("orders", max_pages=0)

    with pytest.raises(nexus.UnknownPlatformError):
        FakeStore("ebay")
    with pytest.raises(nexus.InvalidArgumentError, match="unknown fault"):
        FakeStore("shopify", faults={1: "teapot"})


def test_since_a_datetime_and_until() -> None:
    with FakeStore("magento", orders=60) as fake:
        shop = fake.connector()
        everything = shop.read("orders")
        stamps = sorted(
            datetime.fromisoformat(r["updated_at"].replace("Z", "+00:00")) for r in everything
        )
        middle = stamps[len(stamps) // 2]
        later = shop.read("orders", since=middle, overlap=timedelta(0))
        assert 0 < len(later) < len(everything)
        assert all(
            datetime.fromisoformat(r["updated_at"].replace("Z", "+00:00")) >= middle for r in later
        )
        before = shop.read("orders", until=middle)
        assert len(before) + len(later) == len(everything)


def test_max_pages_then_resume_from_the_checkpoint() -> None:
    with FakeStore("woocommerce", orders=100) as fake:
        shop = fake.connector(page_size=30)
        head = shop.read("orders", max_pages=2)
        assert (head.pages, head.complete) == (2, False)
        # Keyset pages overlap where records share a second: those are dropped as duplicates.
        assert len(head) + head.duplicates == 60
        rest = shop.read("orders", since=head.checkpoint, overlap=0)
        assert rest.complete and rest.pages >= 2
        assert len(head) + len(rest) == 100
        assert set(ids_of(head)) | set(ids_of(rest)) == fake.ids("orders")


def test_magento_admin_token_is_renewed_and_oauth1_signs() -> None:
    with FakeStore("magento", orders=50) as fake:
        shop = fake.connector(auth="password")
        assert len(shop.read("orders")) == 50
        fake.expire_tokens()
        assert len(shop.read("orders")) == 50
        assert fake.stats()["tokens_issued"] == 2
        assert len(fake.connector(auth="oauth1").read("orders")) == 50


def test_shopify_tombstones() -> None:
    with FakeStore("shopify", orders=30) as fake:
        shop = fake.connector()
        assert shop.tombstones("orders") == []
        deleted = fake.delete("orders", 2)
        stones = shop.tombstones("orders", since=datetime.now(timezone.utc) - timedelta(hours=1))
        assert {t.id for t in stones} == deleted
        assert all(t.entity == "orders" and t.deleted_at.tzinfo is not None for t in stones)
        assert fake.ids("orders").isdisjoint(deleted)


def test_other_entities() -> None:
    with FakeStore("woocommerce", orders=20, customers=15, products=12) as fake:
        shop = fake.connector()
        assert set(ids_of(shop.read("customers"))) == fake.ids("customers")
        assert set(ids_of(shop.read("product"))) == fake.ids("products")


def test_fake_store_lifecycle() -> None:
    fake = FakeStore("shopify", orders=3, seed=11)
    assert fake.url.startswith("http://127.0.0.1:")
    assert "127.0.0.1" in repr(fake) and "closed" not in repr(fake)
    assert len(fake.ids("orders")) == 3
    assert FakeStore("shopify", orders=3, seed=11).ids("orders") == fake.ids("orders")
    assert fake.stats()["requests"] == 0
    fake.close()
    fake.close()
    assert fake.closed and "closed" in repr(fake)
    with pytest.raises(ValueError, match="closed"):
        fake.ids("orders")


def test_checkpoint_round_trip() -> None:
    cp = nexus.Checkpoint(datetime(2024, 5, 1, 10, 0, 1, tzinfo=timezone.utc), "42")
    assert nexus.Checkpoint.from_dict(cp.to_dict()) == cp
    assert pickle.loads(pickle.dumps(cp)) == cp
    with pytest.raises(dataclasses.FrozenInstanceError):
        cp.id = "43"  # type: ignore[misc]


def test_connector_exception_hierarchy() -> None:
    assert nexus.RateLimited is nexus.RateLimitedError
    classes = [
        nexus.AuthError,
        nexus.ConfigError,
        nexus.RateLimitedError,
        nexus.PlatformError,
        nexus.NetworkError,
        nexus.NexusTimeoutError,
        nexus.InvalidPageError,
        nexus.CursorStuckError,
    ]
    for cls in classes:
        assert issubclass(cls, nexus.NexusError) and cls.__module__ == "nexus"
        err = cls("made by hand")
        assert err.code == cls.default_code
        copy = pickle.loads(pickle.dumps(err))
        assert (type(copy), str(copy), copy.code) == (cls, "made by hand", err.code)
    assert issubclass(nexus.ConfigError, ValueError)
    assert issubclass(nexus.NexusTimeoutError, TimeoutError)
    assert issubclass(nexus.NetworkError, ConnectionError)
    err = nexus.PlatformError("x", platform="woocommerce", status=404, platform_code="rest_no_route")
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.status, copy.platform_code, copy.platform) == (404, "rest_no_route", "woocommerce")
