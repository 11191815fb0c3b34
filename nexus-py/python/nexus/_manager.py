"""The manager: a registry of stores (a TOML file), one database, and what is done with
them: check, sync, health, alerts, the stored records and a customer view across stores
(re-exported as ``nexus.Manager`` and the result classes below).

The work is the Rust core's (``nexus_core::manager``): this module turns the JSON text the
native module returns into the dataclasses below, and Python callables into the callbacks
the core calls.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.util
import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import (
    Any,
    Callable,
    Dict,
    List,
    Literal,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    Type,
    TypeVar,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

from . import _nexus
from ._connectors import Checkpoint, StoreInfo
from ._quality import QualityReport, _optional
from ._result import Record

__all__ = [
    "Alert",
    "Cancel",
    "CheckResult",
    "CrossStoreCustomer",
    "EntityReport",
    "ErrorInfo",
    "HealthReport",
    "Manager",
    "Progress",
    "Quarantined",
    "QualitySummary",
    "RequestStats",
    "StoreEntry",
    "StoreHealth",
    "StoreReport",
    "SyncReport",
]

T = TypeVar("T")

_ENTITY_FIELDS = frozenset(["entity", "entities"])
"""Fields holding entity names, which the core writes singular (``"order"``): Python says
``"orders"``, as everywhere else in this package."""

TRANSACTION_COLUMNS = [
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
"""The columns of :meth:`Manager.transactions`, in order."""

_FRACTION = re.compile(r"\.(\d+)")


def _time(text: str) -> datetime:
    """An RFC 3339 timestamp of the core (``Z``, up to nanoseconds) as an aware datetime,
    on every Python version ``fromisoformat`` reads."""
    text = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), text, count=1)
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


_HINTS: Dict[type, Dict[str, Any]] = {}


def _build(cls: Type[T], data: Mapping[str, Any]) -> T:
    """A dataclass from the core's JSON form of the same type: nested dataclasses, lists,
    optional values, timestamps and decimals converted by the field's annotation; keys the
    class does not know are left out."""
    hook = getattr(cls, "_from_json", None)
    if hook is not None:
        built: T = hook(data)
        return built
    hints = _HINTS.get(cls)
    if hints is None:
        # This module's names: the classes' __module__ is set to "nexus" for display.
        hints = _HINTS[cls] = get_type_hints(cls, globalns=globals())
    values = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.init:
            value = _convert(hints[f.name], data.get(f.name))
            if f.name in _ENTITY_FIELDS:
                value = _plural(value)
            values[f.name] = value
    return cls(**values)


def _convert(tp: Any, value: Any) -> Any:
    """``value`` (parsed JSON) as the type ``tp``."""
    if value is None:
        return None
    origin, args = get_origin(tp), get_args(tp)
    if origin is Union:
        return _convert(next(a for a in args if a is not type(None)), value)
    if origin is list:
        return [_convert(args[0], v) for v in value]
    if origin is tuple:
        return tuple(_convert(a, v) for a, v in zip(args, value))
    if origin is dict:
        return {k: _convert(args[1], v) for k, v in value.items()}
    if tp is datetime:
        return _time(value)
    if tp is Decimal:
        return Decimal(value)
    if tp is float:
        return float(value)
    if dataclasses.is_dataclass(tp):
        return _build(tp, value)  # type: ignore[arg-type]
    return value


def _plural(entity: Any) -> Any:
    """``"order"`` as ``"orders"`` (the names the rest of the package uses), in a list too;
    anything else (an entity's report) as it is."""
    if isinstance(entity, list):
        return [_plural(e) for e in entity]
    if isinstance(entity, str) and not entity.endswith("s"):
        return entity + "s"
    return entity


@dataclass(frozen=True)
class ErrorInfo:
    """An error as the reports keep it.

    Attributes:
        code: The error's stable code (``"auth_failed"``, ``"rate_limited"``,
            ``"cancelled"``, ...), the ``code`` of the exception it would have raised.
        message: What happened (never a secret).
        retryable: Whether a later run can succeed without a change.
    """

    code: str
    message: str
    retryable: bool


@dataclass(frozen=True)
class QualitySummary:
    """The quality of the records a sync received.

    Attributes:
        records: Records checked.
        score: The score, 0 to 100.
        grade: The grade (``"A+"`` to ``"F"``).
        rules: Violations per rule id, the most broken rule first.
    """

    records: int
    score: float
    grade: str
    rules: Dict[str, int]

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> QualitySummary:
        rules = {r["rule"]: int(r["violations"]) for r in data.get("rules", [])}
        return cls(int(data["records"]), float(data["score"]), str(data["grade"]), rules)


@dataclass(frozen=True)
class RequestStats:
    """The requests a store's connector sent during a sync.

    Attributes:
        requests: Requests sent, retries included.
        retries: Requests retried.
        rate_limited: Answers of 429 (rate limit reached).
        throttled_seconds: Time held back by the client-side rate limit and the store's
            ``Retry-After``.
    """

    requests: int
    retries: int
    rate_limited: int
    throttled_seconds: float

    @classmethod
    def _from_json(cls, data: Mapping[str, Any]) -> RequestStats:
        return cls(
            int(data["requests"]),
            int(data["retries"]),
            int(data["rate_limited"]),
            int(data["throttled"]) / 1000.0,
        )


@dataclass(frozen=True)
class Progress:
    """Where a sync stands: sent to the ``progress`` callback after every page, and once
    more when an entity is finished (``done``).

    ``fetched``, ``written`` and ``quarantined`` count from the start of the entity's read,
    so with a progress bar per ``(store, entity)``::

        bar.total = event.total
        bar.update(event.fetched - bar.n)

    Attributes:
        run_id: The run.
        store: The store's name.
        platform: Its platform.
        entity: The entity being read (``"orders"``, ...).
        pages: Pages read so far.
        fetched: Records received so far.
        written: Records written so far.
        quarantined: Records quarantined so far.
        total: How many records the read covers, when the platform says (an estimate for
            keyset reads); on the ``done`` event of a complete read, the exact count.
        rate: Records per second so far.
        eta_seconds: Time to the end at the current rate, when the total is known.
        elapsed_seconds: Seconds since the entity's read started.
        done: Whether the entity is finished (its last event).
    """

    run_id: str
    store: str
    platform: str
    entity: str
    pages: int
    fetched: int
    written: int
    quarantined: int
    total: Optional[int]
    rate: float
    eta_seconds: Optional[float]
    elapsed_seconds: float
    done: bool


@dataclass(frozen=True)
class EntityReport:
    """How one entity of one store synced.

    Attributes:
        entity: The entity (``"orders"``, ...).
        pages: Pages read.
        fetched: Records received (mapped or not).
        written: Records written (inserted or replaced).
        stale: Records dropped because a newer version was already stored.
        quarantined: Records quarantined (they did not map, or broke an error rule).
        released: Records that arrived clean and left quarantine.
        duplicates: Records the store sent twice in the read (dropped).
        unmappable: Records that did not map (quarantined with the mapping error).
        seconds: Seconds the entity took.
        checkpoint: Where the next sync of the entity starts.
        complete: Whether the read reached the end.
        error: What stopped it, if something did.
        quality: The quality of the records received.
    """

    entity: str
    pages: int
    fetched: int
    written: int
    stale: int
    quarantined: int
    released: int
    duplicates: int
    unmappable: int
    seconds: float
    checkpoint: Optional[Checkpoint]
    complete: bool
    error: Optional[ErrorInfo]
    quality: QualitySummary


@dataclass(frozen=True)
class StoreReport:
    """How one store synced.

    Attributes:
        store: The store's name.
        platform: Its platform.
        started_at: When its sync started (UTC).
        finished_at: When it finished (UTC).
        ok: Whether every entity synced to the end without error.
        entities: Per entity, in the order synced.
        quality: The quality of everything received.
        requests: The connector's requests during the sync.
        error: The first error, if any (``code`` ``"auth_failed"`` for refused
            credentials, ``"invalid_settings"`` for a variable that is not set, ...).
    """

    store: str
    platform: str
    started_at: datetime
    finished_at: datetime
    ok: bool
    entities: List[EntityReport]
    quality: QualitySummary
    requests: RequestStats
    error: Optional[ErrorInfo]

    @property
    def fetched(self) -> int:
        """Records received, all entities."""
        return sum(e.fetched for e in self.entities)

    @property
    def written(self) -> int:
        """Records written, all entities."""
        return sum(e.written for e in self.entities)

    @property
    def quarantined(self) -> int:
        """Records quarantined, all entities."""
        return sum(e.quarantined for e in self.entities)

    def entity(self, name: str) -> Optional[EntityReport]:
        """The report of one entity (``"orders"`` or ``"order"``), if it was synced."""
        wanted = _plural(name)
        return next((e for e in self.entities if e.entity == wanted), None)


@dataclass(frozen=True)
class SyncReport:
    """A sync run over some stores: ``str(report)`` is the plain-text table.

    Attributes:
        run_id: The run's id.
        started_at: When it started (UTC).
        finished_at: When it finished (UTC).
        stores: Per store, in the order given.
        cancelled: Whether it was cancelled (what was written before stays, checkpoints
            included: the next sync resumes there).
    """

    run_id: str
    started_at: datetime
    finished_at: datetime
    stores: List[StoreReport]
    cancelled: bool
    _json: str = field(default="", init=False, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """Whether every store synced without error."""
        return all(s.ok for s in self.stores)

    def store(self, name: str) -> Optional[StoreReport]:
        """The report of one store, if it was synced."""
        return next((s for s in self.stores if s.store == name), None)

    def to_text(self) -> str:
        """The report as a plain-text table: one line per store and entity with pages,
        records fetched, written, stale and quarantined, seconds and quality."""
        return _nexus.sync_report_text(self._json)

    def to_json(self) -> str:
        """The report as the core's JSON text (entities singular, as in the Rust and Node
        APIs)."""
        return self._json

    def __str__(self) -> str:
        """:meth:`to_text`."""
        return self.to_text()

    @classmethod
    def _from_text(cls, text: str) -> SyncReport:
        report = _build(cls, json.loads(text))
        object.__setattr__(report, "_json", text)
        return report


@dataclass(frozen=True)
class CheckResult:
    """What checking one store found.

    Attributes:
        store: The store's name.
        platform: Its platform.
        ok: Whether it answered and accepted the credentials.
        info: What it said about itself.
        error: What went wrong.
        seconds: Seconds the check took.
    """

    store: str
    platform: str
    ok: bool
    info: Optional[StoreInfo]
    error: Optional[ErrorInfo]
    seconds: float


@dataclass(frozen=True)
class StoreHealth:
    """The health of one store, from its sync history.

    ``status`` is ``"failing"`` when the store never synced successfully, its last run
    could not authenticate or its last three runs failed; ``"degraded"`` when the last run
    failed, the data is older than the freshness limit or the grade fell since the previous
    run; ``"ok"`` otherwise.

    Attributes:
        store: The store's name.
        platform: Its platform.
        status: ``"ok"``, ``"degraded"`` or ``"failing"``.
        reasons: Why it is not ``"ok"``.
        last_success: When it last synced without error.
        freshness_seconds: Seconds since then.
        last_run: When it last ran.
        error_rate: The share of its recent runs (up to 20) that failed, 0 to 1.
        recent_runs: Recent runs looked at.
        consecutive_failures: Failed runs in a row up to the last one.
        last_error: The last run's error.
        quarantined: Records in quarantine.
        quality_score: The last run's quality score.
        quality_grade: The last run's grade.
        quality_change: The score's change since the previous run.
        grade_steps_lost: Grade steps lost since the previous run (negative: improved).
        rate_limited_share: The share of the last run's requests answered 429.
        throttled_share: The share of the last run's time held back by rate limits.
    """

    store: str
    platform: str
    status: Literal["ok", "degraded", "failing"]
    reasons: List[str]
    last_success: Optional[datetime]
    freshness_seconds: Optional[float]
    last_run: Optional[datetime]
    error_rate: float
    recent_runs: int
    consecutive_failures: int
    last_error: Optional[ErrorInfo]
    quarantined: int
    quality_score: Optional[float]
    quality_grade: Optional[str]
    quality_change: Optional[float]
    grade_steps_lost: Optional[int]
    rate_limited_share: float
    throttled_share: float


@dataclass(frozen=True)
class HealthReport:
    """The health of every registered store.

    Attributes:
        checked_at: When it was computed (UTC).
        status: The worst status of any store.
        stores: Per store.
    """

    checked_at: datetime
    status: Literal["ok", "degraded", "failing"]
    stores: List[StoreHealth]

    def store(self, name: str) -> Optional[StoreHealth]:
        """The health of one store."""
        return next((s for s in self.stores if s.store == name), None)


@dataclass(frozen=True)
class Alert:
    """An alert a rule raised (the rules are ``[[alerts]]`` in the registry file; by
    default stale data, failing runs, a falling grade and refused credentials).

    Attributes:
        rule: The rule's name (``"freshness"``, ``"auth_failing"``, ...).
        store: The store's name.
        severity: ``"warning"`` or ``"critical"``.
        message: What is wrong, in a sentence.
        value: The measured value.
        threshold: The rule's threshold.
        raised_at: When it was raised (UTC).
    """

    rule: str
    store: str
    severity: Literal["warning", "critical"]
    message: str
    value: Optional[float]
    threshold: Optional[float]
    raised_at: datetime


@dataclass(frozen=True)
class StoreEntry:
    """A registered store (no credentials).

    Attributes:
        name: Its name.
        platform: Its platform.
        url: Its address.
        entities: The entities it syncs (``"orders"``, ...).
    """

    name: str
    platform: str
    url: str
    entities: List[str]


@dataclass(frozen=True)
class Quarantined:
    """A record kept out of the data tables: it did not map, or broke an error-severity
    quality rule. It leaves quarantine when it later arrives clean.

    Attributes:
        store: The store's name.
        platform: Its platform.
        entity: The record's entity (``"orders"``, ...).
        key: The key it is kept under (its id, or a digest for a record without one).
        source_id: Its platform id, when readable.
        reason: Why it is quarantined.
        rules: The quality rules it broke (empty for mapping errors).
        raw: Its raw payload, as the store sent it.
        first_seen: When it was first quarantined (UTC).
        last_seen: When it last arrived (UTC).
        times_seen: How many times it arrived bad.
    """

    store: str
    platform: str
    entity: str
    key: str
    source_id: Optional[str]
    reason: str
    rules: List[str]
    raw: Optional[str]
    first_seen: datetime
    last_seen: datetime
    times_seen: int


@dataclass(frozen=True)
class CrossStoreCustomer:
    """A customer matched across stores and platforms by normalized email.

    Attributes:
        email: The email, trimmed and lower-cased.
        records: The customer records it matches, as ``(platform, store, id)``.
        stores: The stores with orders from this email.
        orders: Orders across all stores (guest orders with the email included; cancelled,
            failed and draft orders left out).
        revenue: Revenue per currency (order totals, refunds deducted), exact.
        first_order: The first order (UTC).
        last_order: The latest order (UTC).
    """

    email: str
    records: List[Tuple[str, str, str]]
    stores: List[str]
    orders: int
    revenue: Dict[str, Decimal]
    first_order: Optional[datetime]
    last_order: Optional[datetime]


class Cancel:
    """A token that stops a sync cleanly from another thread: the pages being written are
    finished, nothing after them starts, and :meth:`Manager.sync` returns a report with
    ``cancelled`` set. A token stays triggered: use a new one for the next sync."""

    __slots__ = ("_native",)

    _native: _nexus._Cancel

    def __init__(self) -> None:
        """A new, untriggered token."""
        self._native = _nexus._Cancel()

    def cancel(self) -> None:
        """Triggers the token."""
        self._native.cancel()

    @property
    def cancelled(self) -> bool:
        """Whether the token was triggered."""
        return self._native.cancelled

    def __repr__(self) -> str:
        """Whether the token was triggered."""
        return f"<Cancel{' (cancelled)' if self.cancelled else ''}>"


Stores = Union[str, Sequence[str], None]
"""Which stores: one name, several, or ``None`` for all."""

Secrets = Union[Callable[[str], Optional[str]], Mapping[str, str], None]
"""Resolves ``secret:NAME`` references: a callable ``name -> str | None`` or a mapping."""


def _stores_arg(stores: Stores) -> Optional[List[str]]:
    if stores is None:
        return None
    if isinstance(stores, str):
        return [stores]
    return [str(s) for s in stores]


def _secrets_arg(secrets: Secrets) -> Optional[Callable[[str], Optional[str]]]:
    if secrets is None or callable(secrets):
        return secrets
    if isinstance(secrets, Mapping):
        table = dict(secrets)
        return table.get
    raise TypeError(
        f"secrets must be a callable, a mapping or None, not {type(secrets).__name__}"
    )


class Manager:
    """A registry of stores (a TOML file) with its database, and everything done with
    them: check, sync, health, alerts, and the records synced.

    ::

        m = nexus.Manager.from_toml("nexus.toml", secrets={"shopify/us": token})
        report = m.sync(progress=print)          # every store, concurrently
        print(report)                            # the plain-text table
        print(m.health().status)                 # "ok", "degraded" or "failing"
        frame = m.transactions()                 # a polars DataFrame of the sales

    The registry names each store's platform, address and options; credentials are never
    written in it, only references: ``"env:NAME"`` (an environment variable) or
    ``"secret:NAME"`` (resolved by ``secrets``). See ``nexus_core::manager`` for the
    file's keys.

    Network and database work runs in Rust with the GIL released. Callbacks (``progress``,
    ``on_alert``, ``secrets``) are called from Nexus's threads, one at a time; an exception
    one raises is raised by the call that invoked it, once that call has stopped. They must
    not call the manager themselves.
    """

    __slots__ = ("_native", "_path")

    _native: _nexus._Manager
    _path: str

    def __init__(self, native: _nexus._Manager, path: str) -> None:
        """Wraps a native manager (use :meth:`from_toml`)."""
        if not isinstance(native, _nexus._Manager):
            raise TypeError("open a manager with nexus.Manager.from_toml(path)")
        self._native = native
        self._path = path

    @classmethod
    def from_toml(
        cls,
        path: Union[str, os.PathLike[str]],
        *,
        database: Optional[str] = None,
        secrets: Secrets = None,
        on_alert: Optional[Callable[[Alert], None]] = None,
    ) -> Manager:
        """Reads a registry file and opens its database (created and migrated when
        needed).

        Args:
            path: The registry file (TOML).
            database: The database, overriding the file's ``database``: a SQLite file or a
                ``postgres://`` URL. Relative paths are taken from the file's folder.
            secrets: Resolves ``secret:NAME`` references: a callable ``name -> str |
                None`` (a vault, a keyring, Django settings) or a mapping of names to
                secrets. It is asked once per store, when the store is first used.
            on_alert: Called with each :class:`Alert` the rules raise after a sync.

        Raises:
            SettingsError: the file cannot be read or has a mistake (a credential in plain
                text, an unknown key or platform); the error names the file and the key.
            DatabaseError: the database cannot be opened.
        """
        resolve = _secrets_arg(secrets)
        alert_callback: Optional[Callable[[str], None]] = None
        if on_alert is not None:
            handler = on_alert

            def alert_callback(text: str) -> None:
                handler(_build(Alert, json.loads(text)))

        native = _nexus._Manager.from_toml(
            os.fspath(path), database=database, secrets=resolve, on_alert=alert_callback
        )
        return cls(native, os.fspath(path))

    def __repr__(self) -> str:
        """The registry file and the stores' names (no credential, no database URL)."""
        names = [s.name for s in self.stores()]
        return f"Manager({self._path!r}, stores={names!r})"

    def stores(self) -> List[StoreEntry]:
        """The registered stores, by name (no credentials)."""
        return [_build(StoreEntry, s) for s in json.loads(self._native.stores())]

    def check(self, stores: Stores = None) -> List[CheckResult]:
        """Checks the connection and credentials of some stores (all by default),
        concurrently. A store that fails is reported (``ok=False`` and its ``error``), not
        raised.

        Raises:
            InvalidArgumentError: a store name is not registered.
        """
        text = self._native.check(_stores_arg(stores))
        return [_build(CheckResult, r) for r in json.loads(text)]

    async def async_check(self, stores: Stores = None) -> List[CheckResult]:
        """:meth:`check`, run in a worker thread so the event loop keeps running."""
        return await asyncio.to_thread(self.check, stores)

    def sync(
        self,
        stores: Stores = None,
        *,
        progress: Optional[Callable[[Progress], Any]] = None,
        cancel: Optional[Cancel] = None,
    ) -> SyncReport:
        """Syncs some stores (all by default) into the database, concurrently, each from
        its checkpoint; then evaluates the alert rules (raised alerts go to ``on_alert``).

        Every page is mapped, checked with the store's quality rules and written with its
        checkpoint in one transaction; records that do not map or break an error rule are
        quarantined. A store that fails (refused credentials, a store that is down) is
        reported in its :class:`StoreReport` and does not stop the others.

        Ctrl-C stops the sync cleanly: the pages being written are finished, then
        ``KeyboardInterrupt`` is raised; the next sync resumes from the checkpoints. A
        second Ctrl-C stops at once (still safe: each page is one transaction).

        Args:
            stores: A store's name, several, or ``None`` for all.
            progress: Called with a :class:`Progress` after every page of every store,
                one call at a time (a ``tqdm`` bar's ``update`` can be called from it).
                An exception it raises cancels the sync and is raised from ``sync``.
            cancel: A :class:`Cancel` token to stop the sync from another thread.

        Raises:
            InvalidArgumentError: a store name is not registered.
            DatabaseError: the database failed.
            KeyboardInterrupt: Ctrl-C, once the sync stopped.
        """
        callback: Optional[Callable[[str], None]] = None
        if progress is not None:
            handler = progress

            def callback(text: str) -> None:
                handler(_build(Progress, json.loads(text)))

        text = self._native.sync(
            _stores_arg(stores),
            progress=callback,
            cancel=None if cancel is None else cancel._native,
        )
        return SyncReport._from_text(text)

    async def async_sync(
        self,
        stores: Stores = None,
        *,
        progress: Optional[Callable[[Progress], Any]] = None,
        cancel: Optional[Cancel] = None,
    ) -> SyncReport:
        """:meth:`sync`, run in a worker thread so the event loop keeps running.

        Cancelling the awaiting task (``task.cancel()``, a timeout, Ctrl-C under
        ``asyncio.run``) stops the sync cleanly, waits until it has stopped, and then
        raises :class:`asyncio.CancelledError`. ``progress`` is called from Nexus's threads,
        not the event loop's: use ``loop.call_soon_threadsafe`` to reach the loop.
        """
        token = cancel if cancel is not None else Cancel()
        work = asyncio.ensure_future(
            asyncio.to_thread(self.sync, stores, progress=progress, cancel=token)
        )
        try:
            return await asyncio.shield(work)
        except asyncio.CancelledError:
            token.cancel()
            await asyncio.wait([work])
            raise

    def health(self) -> HealthReport:
        """The health of every registered store, from the sync history: freshness, error
        rate, quarantine, quality and its trend, rate-limit pressure, and a status."""
        return _build(HealthReport, json.loads(self._native.health()))

    def alerts(self) -> List[Alert]:
        """The alerts the rules raise now (``[[alerts]]`` in the registry, or the default
        rules). They are not passed to ``on_alert``: that happens after each sync."""
        return [_build(Alert, a) for a in json.loads(self._native.alerts())]

    def report(self) -> List[StoreReport]:
        """The latest sync of each store that has synced, from the history."""
        return [_build(StoreReport, r) for r in json.loads(self._native.report())]

    def quality_report(self, store: Optional[str] = None) -> QualityReport:
        """A quality report over the stored records: one store's, checked with that store's
        rules, or every store's with the default rules (cross-entity rules included).
        Quarantined records are not in it: see :meth:`quarantined`.

        Raises:
            InvalidArgumentError: ``store`` is not registered.
            RuleError: the store's rule file has a mistake.
        """
        return QualityReport(json.loads(self._native.quality_report(store)))

    def customers_across(self) -> List[CrossStoreCustomer]:
        """Customers matched across stores and platforms by normalized email, with their
        combined orders and revenue."""
        text = self._native.customers_across()
        return [_build(CrossStoreCustomer, c) for c in json.loads(text)]

    def _records(self, kind: str, store: Stores, platform: Optional[str]) -> Any:
        return json.loads(
            self._native.records(kind, stores=_stores_arg(store), platform=platform)
        )

    def orders(self, store: Stores = None, *, platform: Optional[str] = None) -> List[Record]:
        """The stored orders, as unified records (the dicts :func:`nexus.map_orders`
        returns), of some stores (all by default) and optionally one platform.

        Raises:
            UnknownPlatformError: ``platform`` is not a platform Nexus knows.
        """
        orders: List[Record] = self._records("orders", store, platform)
        return orders

    def customers(self, store: Stores = None, *, platform: Optional[str] = None) -> List[Record]:
        """The stored customers, as unified records (see :meth:`orders`)."""
        customers: List[Record] = self._records("customers", store, platform)
        return customers

    def products(self, store: Stores = None, *, platform: Optional[str] = None) -> List[Record]:
        """The stored products with their variants, as unified records (see
        :meth:`orders`)."""
        products: List[Record] = self._records("products", store, platform)
        return products

    def refunds(self, store: Stores = None, *, platform: Optional[str] = None) -> List[Record]:
        """The stored refunds, as unified records (see :meth:`orders`)."""
        refunds: List[Record] = self._records("refunds", store, platform)
        return refunds

    def quarantined(
        self, store: Stores = None, *, platform: Optional[str] = None
    ) -> List[Quarantined]:
        """The records in quarantine, with their reasons and raw payloads."""
        return [_build(Quarantined, q) for q in self._records("quarantined", store, platform)]

    def counts(self, store: Stores = None, *, platform: Optional[str] = None) -> Dict[str, int]:
        """Stored records per kind: ``orders``, ``customers``, ``products``, ``refunds`` and
        ``quarantined``."""
        counts: Dict[str, int] = self._records("counts", store, platform)
        return counts

    def transactions(
        self,
        store: Stores = None,
        *,
        platform: Optional[str] = None,
        kind: Optional[Literal["polars", "pandas"]] = None,
    ) -> Any:
        """The analytics-ready sales table, oldest first: one row per order that counts as
        a sale (not cancelled, failed, draft or pending).

        Columns: ``platform``, ``store``, ``customer_id`` (``"email:<address>"`` for a guest
        order), ``order_id``, ``date`` (UTC datetime), ``amount`` (the order total),
        ``refunded``, ``currency`` and ``status``. Amounts are exact decimals: a polars
        ``Decimal`` column, or Python ``Decimal`` objects in pandas (``.astype(float)``
        for float math).

        Args:
            store: A store's name, several, or ``None`` for all.
            platform: Only this platform.
            kind: ``"polars"`` or ``"pandas"``. By default a polars DataFrame when polars
                is installed, else a pandas DataFrame.

        Raises:
            ImportError: the library asked for (or, by default, both) is not installed.
            ValueError: ``kind`` is neither ``"polars"`` nor ``"pandas"``.
        """
        if kind is None:
            kind = "polars" if importlib.util.find_spec("polars") is not None else "pandas"
        if kind not in ("polars", "pandas"):
            raise ValueError(f"kind must be 'polars', 'pandas' or None, not {kind!r}")
        rows: List[Dict[str, Any]] = self._records("transactions", store, platform)
        columns: Dict[str, List[Any]] = {c: [r.get(c) for r in rows] for c in TRANSACTION_COLUMNS}
        for money in ("amount", "refunded"):
            columns[money] = [Decimal(v) for v in columns[money]]
        scale = max((-int(d.as_tuple().exponent) for d in columns["amount"] + columns["refunded"]), default=2)
        text = [c for c in TRANSACTION_COLUMNS if c not in ("date", "amount", "refunded")]
        if kind == "polars":
            pl = _optional("polars", "transactions(kind='polars') needs polars")
            schema = {c: pl.String for c in TRANSACTION_COLUMNS}
            schema["date"] = pl.Datetime("us", "UTC")
            schema["amount"] = schema["refunded"] = pl.Decimal(scale=max(scale, 2))
            columns["date"] = [_time(t) for t in columns["date"]]
            return pl.DataFrame(columns, schema=schema)
        pd = _optional("pandas", "transactions() needs polars or pandas: pip install polars")
        data: Dict[str, Any] = {c: pd.Series(columns[c], dtype="string") for c in text}
        data["date"] = pd.to_datetime(pd.Series(columns["date"], dtype=object), utc=True, format="ISO8601")
        data["amount"] = pd.Series(columns["amount"], dtype=object)
        data["refunded"] = pd.Series(columns["refunded"], dtype=object)
        return pd.DataFrame({c: data[c] for c in TRANSACTION_COLUMNS})
