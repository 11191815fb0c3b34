"""Connectors: read a WooCommerce, Shopify or Magento 2 store page by page.

A connector is created with the store's address and credentials (checked at once: a missing
key or a bad setting raises :class:`ConfigError`); nothing is sent before the first call::

    import nexus

    shop = nexus.Shopify("my-shop", access_token=token)
    print(shop.check())                      # StoreInfo(platform='shopify', name=..., ...)
    checkpoint = None
    for page in shop.pages("orders", since=checkpoint):
        save(page.records)
        checkpoint = page.checkpoint         # persist it: the next run starts there

The network calls run in Rust on a shared I/O runtime with the GIL released (other Python
threads keep running; Ctrl-C interrupts a read). Each blocking method has an ``async`` twin
(:meth:`Connector.acheck`, :meth:`Connector.apages`, ...) that runs it in a worker thread,
so an event loop is never blocked.

Secrets are handed to the native connector and kept there only: they are not attributes of
these objects, and appear in no ``repr``, log line or exception message.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import (
    Any,
    AsyncIterator,
    Dict,
    Iterator,
    List,
    Optional,
    Tuple,
    Union,
)

from . import _nexus
from ._errors import InvalidArgumentError, MappingError
from ._result import MappingResult, Record

__all__ = [
    "Capabilities",
    "Checkpoint",
    "Connector",
    "Magento",
    "Page",
    "ReadResult",
    "Shopify",
    "StoreInfo",
    "Tombstone",
    "WooCommerce",
]


def _parse_time(text: str) -> datetime:
    """A timestamp from the native module (RFC 3339 in UTC) as an aware datetime."""
    return datetime.fromisoformat(text)


def _time_arg(name: str, value: datetime) -> str:
    """An aware datetime as RFC 3339 text in UTC, for the native module."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidArgumentError(
            f"invalid argument `{name}`: the datetime has no time zone; give an aware "
            "datetime such as datetime(2024, 5, 1, tzinfo=timezone.utc)"
        )
    return value.astimezone(timezone.utc).isoformat()


@dataclass(frozen=True)
class Checkpoint:
    """Where the next incremental read starts: the newest record a read took in.

    Pass it as ``since`` to the next read; persist it between runs with :meth:`to_dict` and
    :meth:`from_dict`.

    Attributes:
        updated_at: The record's last modification time (UTC, timezone-aware).
        id: The record's platform id (records updated in the same second are ordered by
            id).
    """

    updated_at: datetime
    id: str

    def __str__(self) -> str:
        """``"2024-05-01T10:00:01+00:00 #42"``."""
        return f"{self.updated_at.isoformat()} #{self.id}"

    def to_dict(self) -> Dict[str, str]:
        """The checkpoint as JSON-ready values: ``{"updated_at": "<RFC 3339>", "id": ...}``."""
        return {"updated_at": self.updated_at.isoformat(), "id": self.id}

    @classmethod
    def from_dict(cls, data: Dict[str, str]) -> Checkpoint:
        """The checkpoint :meth:`to_dict` wrote."""
        updated_at = datetime.fromisoformat(data["updated_at"].replace("Z", "+00:00"))
        if updated_at.tzinfo is None:
            raise InvalidArgumentError("invalid argument `updated_at`: no time zone")
        return cls(updated_at.astimezone(timezone.utc), str(data["id"]))


Since = Union[Checkpoint, datetime, None]
"""Where a read starts: after a :class:`Checkpoint`, from an aware ``datetime`` (records
updated at or after it), or ``None`` for everything."""

Seconds = Union[float, int, timedelta]
"""A duration: seconds or a ``timedelta``."""


def _since_arg(since: Since) -> Optional[Tuple[str, str]]:
    if since is None:
        return None
    if isinstance(since, Checkpoint):
        return (_time_arg("since", since.updated_at), since.id)
    if isinstance(since, datetime):
        return (_time_arg("since", since), "")
    raise TypeError(f"since must be a Checkpoint, a datetime or None, not {type(since).__name__}")


def _seconds_arg(name: str, value: Seconds) -> float:
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise TypeError(f"{name} must be seconds or a timedelta, not {type(value).__name__}")


@dataclass(frozen=True)
class StoreInfo:
    """Facts about a store, as :meth:`Connector.check` finds them.

    Attributes:
        platform: ``"woocommerce"``, ``"shopify"`` or ``"magento"``.
        name: The store's name or title.
        currency: The store's three-letter currency code.
        timezone: The store's time zone (an IANA name or an offset), where it says.
        api_version: The API version in use.
        platform_version: The platform's software version, where it says.
    """

    platform: str
    name: Optional[str]
    currency: Optional[str]
    timezone: Optional[str]
    api_version: Optional[str]
    platform_version: Optional[str]


@dataclass(frozen=True)
class Capabilities:
    """What a connector can do.

    Attributes:
        entities: The entities it reads (``"orders"``, ``"customers"``, ...).
        incremental_field: The platform's filter for changed records.
        max_page_size: The largest page the platform serves.
        default_page_size: The page size used unless configured.
        sees_deletes: Whether :meth:`Connector.tombstones` reports deletions.
    """

    entities: Tuple[str, ...]
    incremental_field: str
    max_page_size: int
    default_page_size: int
    sees_deletes: bool


@dataclass(frozen=True)
class Tombstone:
    """A record deleted in the store.

    Attributes:
        entity: The entity of the deleted record (``"orders"``, ...).
        id: The platform's id of the deleted record.
        deleted_at: When it was deleted (UTC, timezone-aware).
    """

    entity: str
    id: str
    deleted_at: datetime


class Page(MappingResult):
    """One page of a read: its records (mapped, de-duplicated) and where the read stands.

    Iterating over a page, or taking its ``len``, works on the records, as for any
    :class:`MappingResult`.

    Attributes:
        records: The page's records not already returned earlier in the read.
        errors: Records of the page that could not be mapped.
        checkpoint: Where a later read can resume with nothing lost, after this page.
        total: The record count the store announced with this page, when it says. With
            keyset paging (WooCommerce and Magento incremental reads) each request asks
            for the records from the last one seen on, so this counts what is left.
        duplicates: Records of the page already returned earlier in the read (dropped;
            keyset pages overlap where several records share one second).
        number: The page's number in the read, from 1.
    """

    __slots__ = ("checkpoint", "duplicates", "number", "total")

    checkpoint: Optional[Checkpoint]
    total: Optional[int]
    duplicates: int
    number: int

    def __init__(
        self,
        records: List[Record],
        errors: List[MappingError],
        *,
        checkpoint: Optional[Checkpoint],
        total: Optional[int],
        duplicates: int,
        number: int,
    ) -> None:
        """Wraps one page's records, errors and position."""
        super().__init__(records, errors)
        self.checkpoint = checkpoint
        self.total = total
        self.duplicates = duplicates
        self.number = number

    def __repr__(self) -> str:
        """The page's number, counts and checkpoint."""
        n, e = len(self.records), len(self.errors)
        return (
            f"<Page {self.number}: {n} record{'' if n == 1 else 's'}, "
            f"{e} error{'' if e == 1 else 's'}, checkpoint={self.checkpoint!r}>"
        )


class ReadResult(MappingResult):
    """Every page of a read, collected (:meth:`Connector.read`).

    Attributes:
        records: The records of every page, once each, in the order read.
        errors: The records that could not be mapped.
        checkpoint: Where the next incremental read starts (after the last page read).
        total: The record count the store announced with the last page, when it says
            (see :attr:`Page.total`).
        duplicates: Records returned more than once (dropped).
        pages: Pages fetched.
        complete: Whether the read reached the end (``False`` when ``max_pages`` stopped
            it; the next read from :attr:`checkpoint` takes the rest).
    """

    __slots__ = ("checkpoint", "complete", "duplicates", "pages", "total")

    checkpoint: Optional[Checkpoint]
    total: Optional[int]
    duplicates: int
    pages: int
    complete: bool

    def __init__(
        self,
        records: List[Record],
        errors: List[MappingError],
        *,
        checkpoint: Optional[Checkpoint],
        total: Optional[int],
        duplicates: int,
        pages: int,
        complete: bool,
    ) -> None:
        """Wraps the records, errors and position of a whole read."""
        super().__init__(records, errors)
        self.checkpoint = checkpoint
        self.total = total
        self.duplicates = duplicates
        self.pages = pages
        self.complete = complete

    def __repr__(self) -> str:
        """Counts of records, errors and pages, and the checkpoint."""
        n, e = len(self.records), len(self.errors)
        return (
            f"<ReadResult: {n} record{'' if n == 1 else 's'}, "
            f"{e} error{'' if e == 1 else 's'}, {self.pages} page{'' if self.pages == 1 else 's'}"
            f"{'' if self.complete else ' (incomplete)'}, checkpoint={self.checkpoint!r}>"
        )


def _page(raw: _nexus._PageTuple) -> Page:
    records, _count, errors, checkpoint, total, duplicates, number = raw
    return Page(
        json.loads(records),
        [MappingError(*e) for e in errors],
        checkpoint=None if checkpoint is None else Checkpoint(_parse_time(checkpoint[0]), checkpoint[1]),
        total=total,
        duplicates=duplicates,
        number=number,
    )


def _iterate(native: _nexus._PageIter) -> Iterator[Page]:
    for raw in native:
        yield _page(raw)


class _AsyncPages:
    """The async iterator :meth:`Connector.apages` returns."""

    __slots__ = ("_native",)

    def __init__(self, native: _nexus._PageIter) -> None:
        self._native = native

    def __aiter__(self) -> _AsyncPages:
        return self

    async def __anext__(self) -> Page:
        # `next(it, None)`: a StopIteration cannot travel through a future.
        raw = await asyncio.to_thread(next, self._native, None)
        if raw is None:
            raise StopAsyncIteration
        return _page(raw)


def _start(since: Since) -> Optional[Checkpoint]:
    """The checkpoint a read that finds nothing keeps: the one it started from."""
    if isinstance(since, datetime):
        return Checkpoint(since.astimezone(timezone.utc), "")
    return since


def _collect(pages: Iterator[Page], start: Optional[Checkpoint], max_pages: Optional[int]) -> ReadResult:
    records: List[Record] = []
    errors: List[MappingError] = []
    checkpoint = start
    total: Optional[int] = None
    duplicates = 0
    number = 0
    complete = True
    for page in pages:
        records.extend(page.records)
        errors.extend(page.errors)
        duplicates += page.duplicates
        checkpoint, total, number = page.checkpoint, page.total, page.number
        if max_pages is not None and number >= max_pages:
            complete = False
            break
    return ReadResult(
        records,
        errors,
        checkpoint=checkpoint,
        total=total,
        duplicates=duplicates,
        pages=number,
        complete=complete,
    )


class Connector:
    """A connector to one store: the methods :class:`WooCommerce`, :class:`Shopify` and
    :class:`Magento` share.

    Entities are named as in the mapping functions: ``"orders"``, ``"customers"``,
    ``"products"``, ``"refunds"`` (singular names work too).
    """

    __slots__ = ("_native", "_shown")

    _native: _nexus._Connector
    _shown: str

    def __init__(self, native: _nexus._Connector, shown: str) -> None:
        """Wraps a native connector; ``shown`` is what ``repr`` says (no secret)."""
        self._native = native
        self._shown = shown

    @property
    def platform(self) -> str:
        """``"woocommerce"``, ``"shopify"`` or ``"magento"``."""
        return self._native.platform

    def __repr__(self) -> str:
        """The class, the store's address and the settings that are not secret."""
        return f"{type(self).__name__}({self._shown})"

    def check(self) -> StoreInfo:
        """Authenticates and returns facts about the store (one or two requests).

        Raises:
            AuthError: the store refused the credentials.
            NetworkError, NexusTimeoutError, PlatformError, RateLimitedError: the store
                could not be read (after the retries).
        """
        return StoreInfo(*self._native.check())

    async def acheck(self) -> StoreInfo:
        """:meth:`check`, run in a worker thread so the event loop keeps running."""
        return await asyncio.to_thread(self.check)

    def capabilities(self) -> Capabilities:
        """What the connector can do (no request is sent)."""
        entities, field, max_page, default_page, deletes = self._native.capabilities()
        return Capabilities(tuple(entities), field, max_page, default_page, deletes)

    def _pages(
        self, entity: str, since: Since, overlap: Seconds, until: Optional[datetime]
    ) -> _nexus._PageIter:
        return self._native.pages(
            entity,
            since=_since_arg(since),
            overlap=_seconds_arg("overlap", overlap),
            until=None if until is None else _time_arg("until", until),
        )

    def pages(
        self,
        entity: str,
        *,
        since: Since = None,
        overlap: Seconds = 300.0,
        until: Optional[datetime] = None,
    ) -> Iterator[Page]:
        """Reads the records of ``entity`` updated after ``since``, page by page.

        Each page is fetched when the iterator is advanced, with the GIL released; a failed
        request is retried by the connector's policy (5xx, 429 with ``Retry-After``,
        timeouts, broken or non-JSON pages) before an exception ends the read.

        Args:
            entity: ``"orders"``, ``"customers"``, ``"products"`` or ``"refunds"``.
            since: A :class:`Checkpoint` from an earlier read, an aware ``datetime``, or
                ``None`` to read everything.
            overlap: How far before ``since`` the read starts (seconds or a
                ``timedelta``), to absorb clock skew and late writes; records read again
                are returned again. ``0`` returns exactly what changed after a checkpoint.
            until: Records updated before this aware ``datetime`` (default: the moment
                the read starts; later changes are left for the next read).

        Raises:
            UnknownEntityError: ``entity`` is not an entity Nexus knows.
            UnsupportedError: the platform cannot read ``entity``.
            InvalidArgumentError: a naive ``datetime`` or a negative ``overlap``.
        """
        return _iterate(self._pages(entity, since, overlap, until))

    def apages(
        self,
        entity: str,
        *,
        since: Since = None,
        overlap: Seconds = 300.0,
        until: Optional[datetime] = None,
    ) -> AsyncIterator[Page]:
        """:meth:`pages` as an async iterator (``async for page in shop.apages(...)``);
        each page is fetched in a worker thread so the event loop keeps running.

        Bad arguments raise at once, as for :meth:`pages`.
        """
        return _AsyncPages(self._pages(entity, since, overlap, until))

    def read(
        self,
        entity: str,
        *,
        since: Since = None,
        overlap: Seconds = 300.0,
        until: Optional[datetime] = None,
        max_pages: Optional[int] = None,
    ) -> ReadResult:
        """Reads every page of :meth:`pages` and returns the records together, with the
        checkpoint after the last page.

        Args:
            max_pages: Stop after this many pages (the result says it is not
                ``complete``; the next read from its checkpoint takes the rest).

        Other arguments and exceptions are those of :meth:`pages`.
        """
        if max_pages is not None and max_pages < 1:
            raise InvalidArgumentError(
                f"invalid argument `max_pages`: must be at least 1, not {max_pages}"
            )
        pages = self.pages(entity, since=since, overlap=overlap, until=until)
        return _collect(pages, _start(since), max_pages)

    async def aread(
        self,
        entity: str,
        *,
        since: Since = None,
        overlap: Seconds = 300.0,
        until: Optional[datetime] = None,
        max_pages: Optional[int] = None,
    ) -> ReadResult:
        """:meth:`read`, run in a worker thread so the event loop keeps running."""
        return await asyncio.to_thread(
            self.read, entity, since=since, overlap=overlap, until=until, max_pages=max_pages
        )

    def tombstones(self, entity: str, since: Optional[datetime] = None) -> List[Tombstone]:
        """Records of ``entity`` deleted since ``since`` (an aware ``datetime``; all known
        deletions when ``None``).

        Only Shopify reports deletions (its events); the other platforms return an empty
        list (see :attr:`Capabilities.sees_deletes`).
        """
        raw = self._native.tombstones(entity, None if since is None else _time_arg("since", since))
        return [Tombstone(e, i, _parse_time(t)) for e, i, t in raw]

    async def atombstones(self, entity: str, since: Optional[datetime] = None) -> List[Tombstone]:
        """:meth:`tombstones`, run in a worker thread so the event loop keeps running."""
        return await asyncio.to_thread(self.tombstones, entity, since)


def _shown(**settings: Any) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in settings.items() if v is not None)


class WooCommerce(Connector):
    """A WooCommerce store, through its REST API v3 (``/wp-json/wc/v3``).

    Over HTTPS the consumer key and secret are sent with HTTP Basic; over plain HTTP
    requests are signed with OAuth 1.0a and no secret is sent (``auth="auto"``).

    Args:
        url: The site's address (``https://shop.example``).
        consumer_key: The REST API consumer key (``ck_...``).
        consumer_secret: The REST API consumer secret (``cs_...``).
        auth: ``"auto"`` (Basic over HTTPS, OAuth 1.0a over HTTP), ``"basic"`` or
            ``"oauth1"``.
        allow_basic_over_http: Allow Basic over plain HTTP (the secret travels readable).
        store: The store's name in Nexus (``source.store`` of its records).
        currency: The store's currency, for payloads without one (``check()`` finds it).
        page_size: Records per page, 1 to 100.
        requests_per_minute: Requests a minute, paced evenly.
        timeout: Seconds allowed for one request.
        connect_timeout: Seconds allowed to open a connection.
        max_attempts: Attempts per request, the first included (1: no retry).
        user_agent: The ``User-Agent`` header (default ``nexus/<version>``).

    Raises:
        ConfigError: a setting is missing or not usable.
        InvalidArgumentError: ``currency``, a duration or a count is not acceptable.
    """

    __slots__ = ()

    def __init__(
        self,
        url: str,
        *,
        consumer_key: str,
        consumer_secret: str,
        auth: str = "auto",
        allow_basic_over_http: bool = False,
        store: Optional[str] = None,
        currency: Optional[str] = None,
        page_size: int = 100,
        requests_per_minute: int = 300,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        max_attempts: int = 6,
        user_agent: Optional[str] = None,
    ) -> None:
        """Checks the settings and creates the connector (no request is sent)."""
        native = _nexus._Connector.woocommerce(
            url,
            consumer_key=consumer_key,
            consumer_secret=consumer_secret,
            auth=auth,
            allow_basic_over_http=allow_basic_over_http,
            store=store,
            currency=currency,
            page_size=page_size,
            requests_per_minute=requests_per_minute,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_attempts=max_attempts,
            user_agent=user_agent,
        )
        super().__init__(native, _shown(url=url, auth=auth, store=store, page_size=page_size))


class Shopify(Connector):
    """A Shopify shop, through its Admin REST API.

    Args:
        shop: The shop's name (``my-shop``), its ``myshopify.com`` host or its address.
        access_token: The Admin API access token (``shpat_...``).
        api_version: The Admin API version (``YYYY-MM``; default: the one Nexus is
            tested with).
        store: The store's name in Nexus (default: the shop's host name).
        currency: The shop's currency, for payloads without one (``check()`` finds it).
        page_size: Records per page, 1 to 250.
        bucket: The shop's leaky bucket as ``(capacity, leak_per_second, reserve)``
            (default ``(40, 2.0, 2)``; Shopify Plus has ``(400, 20.0, ...)``).
        timeout: Seconds allowed for one request.
        connect_timeout: Seconds allowed to open a connection.
        max_attempts: Attempts per request, the first included (1: no retry).
        user_agent: The ``User-Agent`` header (default ``nexus/<version>``).

    Raises:
        ConfigError: a setting is missing or not usable.
        InvalidArgumentError: ``currency``, a duration or a count is not acceptable.
    """

    __slots__ = ()

    def __init__(
        self,
        shop: str,
        *,
        access_token: str,
        api_version: Optional[str] = None,
        store: Optional[str] = None,
        currency: Optional[str] = None,
        page_size: int = 250,
        bucket: Optional[Tuple[int, float, int]] = None,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        max_attempts: int = 6,
        user_agent: Optional[str] = None,
    ) -> None:
        """Checks the settings and creates the connector (no request is sent)."""
        native = _nexus._Connector.shopify(
            shop,
            access_token=access_token,
            api_version=api_version,
            store=store,
            currency=currency,
            page_size=page_size,
            bucket=bucket,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_attempts=max_attempts,
            user_agent=user_agent,
        )
        super().__init__(
            native, _shown(shop=shop, api_version=api_version, store=store, page_size=page_size)
        )


class Magento(Connector):
    """A Magento 2 / Adobe Commerce store, through its REST API (``/rest/<store>/V1``).

    Give one kind of credentials:

    - ``token``: an integration's access token, sent as a bearer token;
    - ``username`` and ``password``: an admin user's, exchanged for an admin token that
      is renewed when it expires;
    - ``consumer_key``, ``consumer_secret``, ``access_token`` and ``access_token_secret``:
      an integration's OAuth 1.0a credentials; requests are signed and no secret is sent.

    A token or a password is refused over plain HTTP unless ``allow_plain_http=True``.

    Args:
        url: The site's address (``https://shop.example``), with or without
            ``/rest/<store_code>/V1``.
        store_code: The store view code in the URL (default: the code in ``url``, else
            ``"default"``; ``"all"`` reads across views).
        store: The store's name in Nexus (``source.store`` of its records).
        currency: The store's currency, for payloads without one (``check()`` finds it).
        page_size: Records per page, 1 to 300.
        requests_per_minute: Requests a minute, paced evenly.
        timeout: Seconds allowed for one request.
        connect_timeout: Seconds allowed to open a connection.
        max_attempts: Attempts per request, the first included (1: no retry).
        user_agent: The ``User-Agent`` header (default ``nexus/<version>``).

    Raises:
        ConfigError: no credentials, several kinds, an incomplete kind, or another
            setting that is not usable.
        InvalidArgumentError: ``currency``, a duration or a count is not acceptable.
    """

    __slots__ = ()

    def __init__(
        self,
        url: str,
        *,
        token: Optional[str] = None,
        username: Optional[str] = None,
        password: Optional[str] = None,
        consumer_key: Optional[str] = None,
        consumer_secret: Optional[str] = None,
        access_token: Optional[str] = None,
        access_token_secret: Optional[str] = None,
        allow_plain_http: bool = False,
        store_code: Optional[str] = None,
        store: Optional[str] = None,
        currency: Optional[str] = None,
        page_size: int = 100,
        requests_per_minute: int = 600,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        max_attempts: int = 6,
        user_agent: Optional[str] = None,
    ) -> None:
        """Checks the settings and creates the connector (no request is sent)."""
        native = _nexus._Connector.magento(
            url,
            token=token,
            username=username,
            password=password,
            consumer_key=consumer_key,
            consumer_secret=consumer_secret,
            access_token=access_token,
            access_token_secret=access_token_secret,
            allow_plain_http=allow_plain_http,
            store_code=store_code,
            store=store,
            currency=currency,
            page_size=page_size,
            requests_per_minute=requests_per_minute,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_attempts=max_attempts,
            user_agent=user_agent,
        )
        auth = "token" if token else "oauth1" if consumer_key else "password"
        super().__init__(
            native, _shown(url=url, auth=auth, store_code=store_code, store=store, page_size=page_size)
        )
