"""Fake stores for tests and demos: try Nexus, and test code that uses it, without a store.

A :class:`FakeStore` is a WooCommerce, Shopify or Magento 2 store served on 127.0.0.1 by
the native module, on its own thread. It speaks the platform's real REST protocol
(authentication checked for real, the platform's paging, filters and rate limits) from a
generated catalog that the same ``seed`` always generates the same way::

    from nexus.testing import FakeStore

    with FakeStore("woocommerce", orders=500) as fake:
        shop = fake.connector()
        result = shop.read("orders")
        assert {o["source"]["id"] for o in result} == fake.ids("orders")

        fake.mutate(3, 2)                    # 3 orders modified, 2 new ones
        time.sleep(1.1)                      # let the changes' second end
        changed = shop.read("orders", since=result.checkpoint, overlap=0)

Faults are injected by request number (1-based, counting every request the store gets)::

    FakeStore("shopify", faults={2: "503", 4: "html", 5: "429:0.2"})

A fault is an HTTP status (``"503"``, ``"404"``: the platform's error body), ``"429"`` or
``"429:<seconds>"`` (a rate-limit answer with that ``Retry-After``, 1 s by default),
``"html"`` (a firewall page with status 200), ``"truncated"`` (the answer cut in half),
``"drop"`` (the connection dropped mid-body), or ``"slow"`` / ``"slow:<seconds>"`` (the
answer after a delay, 2 s by default).
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Dict, Mapping, Optional, Set, Type, Union

from . import _nexus
from ._connectors import Connector, Magento, Shopify, WooCommerce

__all__ = ["FakeStore", "Fault"]

Fault = Union[str, int]
"""A fault to inject: ``"503"`` (or ``503``), ``"429"``, ``"429:0.5"``, ``"html"``,
``"truncated"``, ``"drop"``, ``"slow"``, ``"slow:1.5"``."""

_MAGENTO_CREDENTIALS = (
    "token",
    "username",
    "password",
    "consumer_key",
    "consumer_secret",
    "access_token",
    "access_token_secret",
)


def _faults_arg(faults: Optional[Mapping[int, Fault]]) -> Optional[Dict[int, str]]:
    if faults is None:
        return None
    return {int(n): str(f) for n, f in faults.items()}


class FakeStore:
    """A fake WooCommerce, Shopify or Magento 2 store on 127.0.0.1; stops on :meth:`close`
    (or at the end of a ``with`` block).

    Args:
        platform: ``"woocommerce"``, ``"shopify"`` or ``"magento"``.
        orders: Orders in the generated catalog.
        customers: Customers in the generated catalog.
        products: Products in the generated catalog.
        seed: The catalog's seed (the same seed, the same catalog).
        rate_per_minute: The store's rate limit: at most this many requests in any 60
            seconds, then 429 with ``Retry-After`` (none by default).
        shopify_bucket: Shopify's leaky bucket (40 requests, leaking 2 a second) instead.
        faults: Faults to inject, by request number (see the module's documentation).
        dirt: The share of records (0 to 1) with the dirt real stores have: customer
            emails typed with ``(at)`` and a few orders whose email is not an address
            (both quarantined by the default quality rules when synced), and order emails
            in mixed case with stray spaces (fixed by cleansing). None by default.

    Raises:
        UnknownPlatformError: ``platform`` is not a platform Nexus knows.
        InvalidArgumentError: an unknown fault, both rate limits, or ``dirt`` outside 0
            to 1.
        OSError: no port could be opened on 127.0.0.1.
    """

    __slots__ = ("_native", "_rate_per_minute")

    _native: _nexus._FakeStore
    _rate_per_minute: Optional[int]

    def __init__(
        self,
        platform: str,
        *,
        orders: int = 250,
        customers: int = 60,
        products: int = 40,
        seed: int = 7,
        rate_per_minute: Optional[int] = None,
        shopify_bucket: bool = False,
        faults: Optional[Mapping[int, Fault]] = None,
        dirt: float = 0.0,
    ) -> None:
        """Starts the store on a free port of 127.0.0.1."""
        self._native = _nexus._FakeStore(
            platform,
            orders=orders,
            customers=customers,
            products=products,
            seed=seed,
            rate_per_minute=rate_per_minute,
            shopify_bucket=shopify_bucket,
            faults=_faults_arg(faults),
            dirt=dirt,
        )
        self._rate_per_minute = rate_per_minute

    @property
    def platform(self) -> str:
        """The platform served."""
        return self._native.platform

    @property
    def url(self) -> str:
        """The store's address, ``http://127.0.0.1:<port>``: the site URL for WooCommerce
        and Magento, the shop address for Shopify."""
        return self._native.url

    @property
    def credentials(self) -> Dict[str, str]:
        """The credentials the store accepts: ``consumer_key`` and ``consumer_secret``
        (WooCommerce), ``access_token`` (Shopify; Magento's integration token),
        ``username`` and ``password`` (Magento admin), ``oauth_consumer_key``,
        ``oauth_consumer_secret``, ``oauth_token`` and ``oauth_token_secret`` (Magento
        OAuth 1.0a)."""
        return self._native.credentials()

    @property
    def closed(self) -> bool:
        """Whether the store was closed."""
        return self._native.closed

    def ids(self, entity: str) -> Set[str]:
        """The ids of every record of ``entity`` the store holds now."""
        return self._native.ids(entity)

    def mutate(self, modify: int, insert: int = 0) -> Set[str]:
        """Modifies ``modify`` orders and inserts ``insert`` new ones, all modified now;
        returns their ids.

        Modification times are kept to the second, and a read leaves records modified in
        the second it starts in for the next read: wait a second after mutating before an
        incremental read is expected to return the changes.
        """
        return self._native.mutate(modify, insert)

    def delete(self, entity: str, n: int) -> Set[str]:
        """Deletes ``n`` records of ``entity`` (orders, customers, products); returns their
        ids. Shopify reports them as tombstones."""
        return self._native.delete(entity, n)

    def stats(self) -> Dict[str, int]:
        """What the store has seen: ``requests``, ``rate_limited`` (429 answers sent),
        ``auth_failures`` and ``tokens_issued`` (Magento admin tokens)."""
        return self._native.stats()

    def set_faults(self, faults: Mapping[int, Fault]) -> None:
        """Replaces the faults to inject, numbered from the next request (``{1: "503"}``
        fails the very next one)."""
        self._native.set_faults(_faults_arg(faults) or {})

    def expire_tokens(self) -> None:
        """Expires every Magento admin token issued so far: the next request is refused
        and the connector fetches a new token."""
        self._native.expire_tokens()

    def close(self) -> None:
        """Stops the store. Closing twice is harmless; other methods then raise
        ``ValueError``."""
        self._native.close()

    def __enter__(self) -> FakeStore:
        """Returns the store itself."""
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        """Closes the store."""
        self.close()

    def __repr__(self) -> str:
        """The platform and the address."""
        state = " (closed)" if self.closed else ""
        return f"<FakeStore {self.platform} at {self.url}{state}>"

    def connector(self, **options: Any) -> Connector:
        """A connector for this store: :class:`~nexus.WooCommerce`, :class:`~nexus.Shopify`
        or :class:`~nexus.Magento`, with the store's address and credentials.

        ``options`` are passed on to the connector's constructor and override the
        defaults: the store's credentials; for WooCommerce OAuth 1.0a over the loopback
        HTTP (``auth="auto"``); requests paced to the store's ``rate_per_minute``, not slower.
        For Magento, ``auth`` picks the credentials: ``"token"`` (the default, with
        ``allow_plain_http=True``), ``"password"`` (admin user name and password, with
        ``allow_plain_http=True``) or ``"oauth1"``.
        """
        creds = self.credentials
        # Pace the client to the store's own limit, or not at all (it is local).
        pace = self._rate_per_minute or 60_000
        settings: Dict[str, Any]
        if self.platform == "woocommerce":
            settings = {
                "consumer_key": creds["consumer_key"],
                "consumer_secret": creds["consumer_secret"],
                "requests_per_minute": pace,
            }
            settings.update(options)
            return WooCommerce(self.url, **settings)
        if self.platform == "shopify":
            settings = {"access_token": creds["access_token"]}
            settings.update(options)
            return Shopify(self.url, **settings)
        options = dict(options)
        auth = options.pop("auth", "token")
        settings = {"requests_per_minute": pace}
        if not any(k in options for k in _MAGENTO_CREDENTIALS):
            if auth == "token":
                settings.update(token=creds["access_token"], allow_plain_http=True)
            elif auth == "password":
                settings.update(
                    username=creds["username"], password=creds["password"], allow_plain_http=True
                )
            elif auth == "oauth1":
                settings.update(
                    consumer_key=creds["oauth_consumer_key"],
                    consumer_secret=creds["oauth_consumer_secret"],
                    access_token=creds["oauth_token"],
                    access_token_secret=creds["oauth_token_secret"],
                )
            else:
                raise ValueError(f'auth must be "token", "password" or "oauth1", not {auth!r}')
        else:
            settings["allow_plain_http"] = True
        settings.update(options)
        return Magento(self.url, **settings)
