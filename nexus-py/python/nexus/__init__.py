"""Nexus: e-commerce data from WooCommerce, Shopify and Magento 2 in one unified schema.

The mapping functions take a payload exactly as a store's REST API sent it (one record, a
JSON list of records, or the platform's list envelope such as Shopify's
``{"orders": [...]}`` or Magento's ``{"items": [...]}``) and return the unified records as
plain dicts, together with one :class:`MappingError` per record that could not be mapped::

    import nexus

    result = nexus.map_orders("shopify", request.body, store="main")
    for order in result:
        print(order["source"]["id"], order["total"]["amount"], order["total"]["currency"])
    for error in result.errors:
        print(f"{error.path}: {error.message}")

The records have the unified JSON form described by :func:`json_schema`: money is
``{"amount": "12.50", "currency": "EUR"}`` with the amount an exact decimal string,
timestamps are UTC RFC 3339 strings ending in ``Z``, ids are strings.

Payloads may be given as ``str``, ``bytes``, ``bytearray`` or ``memoryview`` (the text the
store sent: money stays exact), or as an already parsed ``dict`` or ``list`` of dicts,
which is serialized again with :func:`json.dumps`. Note that a float in a parsed payload
(Magento sends money as JSON numbers) has already been rounded to a binary float by Python's
``json`` module; pass the raw text or bytes when exact amounts matter.

The mapping runs in Rust with the GIL released, so other Python threads keep running.

The connectors :class:`WooCommerce`, :class:`Shopify` and :class:`Magento` read a store
directly, page by page, with incremental reads from a :class:`Checkpoint`::

    shop = nexus.WooCommerce("https://shop.example", consumer_key=key, consumer_secret=secret)
    result = shop.read("orders", since=last_checkpoint)    # or shop.pages(...), shop.apages(...)
    last_checkpoint = result.checkpoint

:mod:`nexus.testing` has fake stores on 127.0.0.1 to try them, and to test code that uses
them, without a store account.

:func:`check_quality` scores unified records against a :class:`RuleSet` (the default pack
or a YAML or JSON rule file), cleanses them on request, and returns a
:class:`QualityReport` with a grade, every violation, recommendations and an HTML page::

    report = nexus.check_quality(result, entity="orders", cleanse=True)
    print(report)                        # <QualityReport B+ 87.50, 9 records, 12 violations>
    report.to_html("quality.html")

A :class:`Manager` keeps several stores in sync with one database, from a registry file
(TOML; credentials only as ``env:NAME`` or ``secret:NAME`` references)::

    m = nexus.Manager.from_toml("nexus.toml")
    print(m.sync(progress=lambda p: print(p.store, p.entity, p.fetched)))
    print(m.health().status, [a.message for a in m.alerts()])
    sales = m.transactions()             # a polars (or pandas) DataFrame

Customer analytics take any pandas, polars or pyarrow table of transactions (one row per
order) and return the same kind of table: :func:`summary_data` (the per-customer summary
of the lifetime-value models), :func:`rfm` and :func:`rfm_segments` (RFM scores and named
segments), :func:`kpis` (revenue, orders, new and returning customers by period) and
:func:`cohorts` (retention by first-purchase cohort)::

    scores = nexus.rfm(sales)                               # one row per customer
    monthly = nexus.kpis(sales, period="month", by="store")
    summary = nexus.summary_data(sales, unit="weeks")

The lifetime-value models :class:`BetaGeo`, :class:`ModifiedBetaGeo`, :class:`ParetoNBD`
and :class:`GammaGamma` fit that summary and predict purchases, the probability of being
alive and customer lifetime value::

    bg = nexus.BetaGeo().fit(summary["frequency"], summary["recency"], summary["T"])
    gg = nexus.GammaGamma().fit(summary["frequency"], summary["monetary_value"])
    clv = gg.clv(bg, summary["frequency"], summary["recency"], summary["T"],
                 summary["monetary_value"], months=12, unit="weeks")

:func:`segment_customers` clusters the customers by k-means on their RFM values (and any
extra feature, such as that CLV), and :func:`purchase_propensity` scores each customer's
probability of buying in the coming days, validated against the BG/NBD baseline::

    seg = nexus.segment_customers(sales)                   # seg.k, seg.clusters, seg.customers
    p = nexus.purchase_propensity(sales, horizon_days=90, model="random_forest")
    print(p.auc, p.baseline_auc)
    p.scores                                               # probability of each customer

Forecasting: :class:`AutoETS` picks and fits the best exponential-smoothing model of a
series (as R's ``forecast::ets`` and statsforecast's ``AutoETS``), :class:`ETS` fits a
given one, :func:`cross_validate` scores AutoETS by rolling origin, :func:`forecast_many`
forecasts every series of a long table in parallel, :func:`forecast_sales` forecasts the
transactions' revenue, orders or units per period, :func:`product_performance` ranks
products (ABC, XYZ, trends, dead stock) with a demand forecast each, and :func:`croston`
forecasts intermittent demand::

    fit = nexus.AutoETS(season_length=12).fit(monthly_revenue)
    print(fit.model, fit.aicc)                             # ETS(M,A,M) ...
    fit.predict(12, level=(80, 95))                        # mean, lo-80, hi-80, lo-95, hi-95
    nexus.forecast_sales(sales, freq="month", h=6, by="store")
    nexus.forecast_many(df, h=12)                          # unique_id, ds, y in, AutoETS out
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Literal, Mapping, Optional, Sequence, Tuple, Union

from . import _nexus
from ._analytics import (
    DateLike,
    SegmentRule,
    Segments,
    Table,
    cohorts,
    customer_table,
    kpis,
    rfm,
    rfm_segments,
    summary_data,
)
from ._clv import (
    ArrayLike,
    BetaGeo,
    FittedBetaGeo,
    FittedGammaGamma,
    FittedModifiedBetaGeo,
    FittedParetoNBD,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
)
from ._connectors import (
    Capabilities,
    Checkpoint,
    Connector,
    Magento,
    Page,
    ReadResult,
    Shopify,
    StoreInfo,
    Tombstone,
    WooCommerce,
)
from ._errors import (
    AuthError,
    ConfigError,
    CursorStuckError,
    DataError,
    DatabaseError,
    FitError,
    InvalidArgumentError,
    InvalidDataError,
    InvalidPageError,
    MappingError,
    NetworkError,
    NexusError,
    NexusTimeoutError,
    PlatformError,
    RateLimited,
    RateLimitedError,
    RuleError,
    SettingsError,
    UnknownEntityError,
    UnknownPlatformError,
    UnsupportedError,
)
from ._forecast import (
    ETS,
    Accuracy,
    AutoETS,
    CrossValidation,
    CVWindow,
    DemandProfile,
    FittedETS,
    IntermittentForecast,
    ProductPerformance,
    croston,
    cross_validate,
    forecast_many,
    forecast_sales,
    product_performance,
)
from ._manager import (
    Alert,
    Cancel,
    CheckResult,
    CrossStoreCustomer,
    EntityReport,
    ErrorInfo,
    HealthReport,
    Manager,
    Progress,
    Quarantined,
    QualitySummary,
    RequestStats,
    StoreEntry,
    StoreHealth,
    StoreReport,
    SyncReport,
)
from ._quality import QualityReport, RuleSet, check_quality
from ._result import MappingResult, Record
from ._segments import (
    CustomerSegments,
    PurchasePropensity,
    purchase_propensity,
    segment_customers,
)

__all__ = [
    "Accuracy",
    "Alert",
    "ArrayLike",
    "AuthError",
    "AutoETS",
    "BetaGeo",
    "CVWindow",
    "Cancel",
    "Capabilities",
    "CheckResult",
    "Checkpoint",
    "ConfigError",
    "Connector",
    "CrossStoreCustomer",
    "CrossValidation",
    "CursorStuckError",
    "CustomerSegments",
    "DataError",
    "DatabaseError",
    "DateLike",
    "DemandProfile",
    "ETS",
    "EntityReport",
    "ErrorInfo",
    "FitError",
    "FittedBetaGeo",
    "FittedETS",
    "FittedGammaGamma",
    "FittedModifiedBetaGeo",
    "FittedParetoNBD",
    "GammaGamma",
    "HealthReport",
    "IntermittentForecast",
    "InvalidArgumentError",
    "InvalidDataError",
    "InvalidPageError",
    "Magento",
    "Manager",
    "MappingError",
    "MappingResult",
    "ModifiedBetaGeo",
    "NetworkError",
    "NexusError",
    "NexusTimeoutError",
    "Page",
    "ParetoNBD",
    "Payload",
    "Platform",
    "PlatformError",
    "ProductPerformance",
    "Progress",
    "PurchasePropensity",
    "QualityReport",
    "QualitySummary",
    "Quarantined",
    "RateLimited",
    "RateLimitedError",
    "ReadResult",
    "RequestStats",
    "RuleError",
    "RuleSet",
    "SegmentRule",
    "Segments",
    "SettingsError",
    "Shopify",
    "StoreEntry",
    "StoreHealth",
    "StoreInfo",
    "StoreReport",
    "SyncReport",
    "Table",
    "Tombstone",
    "UnknownEntityError",
    "UnknownPlatformError",
    "UnsupportedError",
    "Webhook",
    "WooCommerce",
    "__version__",
    "check_quality",
    "cohorts",
    "cross_validate",
    "croston",
    "customer_table",
    "forecast_many",
    "forecast_sales",
    "json_schema",
    "kpis",
    "map_customers",
    "map_orders",
    "map_products",
    "map_refunds",
    "map_transactions",
    "map_variants",
    "product_performance",
    "purchase_propensity",
    "rfm",
    "rfm_segments",
    "segment_customers",
    "summary_data",
    "verify_webhook",
]

# Show the public classes as `nexus.X` in tracebacks and reprs (and pickle them under that
# name), wherever they are defined.
for _cls in (
    Accuracy,
    Alert,
    AuthError,
    AutoETS,
    BetaGeo,
    CVWindow,
    Cancel,
    Capabilities,
    CheckResult,
    Checkpoint,
    ConfigError,
    Connector,
    CrossStoreCustomer,
    CrossValidation,
    CursorStuckError,
    CustomerSegments,
    DataError,
    DatabaseError,
    DemandProfile,
    ETS,
    EntityReport,
    ErrorInfo,
    FitError,
    FittedBetaGeo,
    FittedETS,
    FittedGammaGamma,
    FittedModifiedBetaGeo,
    FittedParetoNBD,
    GammaGamma,
    HealthReport,
    IntermittentForecast,
    InvalidArgumentError,
    InvalidDataError,
    InvalidPageError,
    Magento,
    Manager,
    MappingError,
    MappingResult,
    ModifiedBetaGeo,
    NetworkError,
    NexusError,
    NexusTimeoutError,
    Page,
    ParetoNBD,
    PlatformError,
    ProductPerformance,
    Progress,
    PurchasePropensity,
    QualityReport,
    QualitySummary,
    Quarantined,
    RateLimitedError,
    ReadResult,
    RequestStats,
    RuleError,
    RuleSet,
    SettingsError,
    Shopify,
    StoreEntry,
    StoreHealth,
    StoreInfo,
    StoreReport,
    SyncReport,
    Tombstone,
    UnknownEntityError,
    UnknownPlatformError,
    UnsupportedError,
    WooCommerce,
):
    _cls.__module__ = __name__
del _cls

__version__: str = _nexus.__version__
"""The version of Nexus (the same for the Rust crates, this package and the npm package)."""

Platform = Literal["woocommerce", "shopify", "magento"]
"""The platforms Nexus reads. Any ``str`` is accepted at run time; an unknown name raises
:class:`UnknownPlatformError`."""

Payload = Union[str, bytes, bytearray, memoryview, Dict[str, Any], List[Dict[str, Any]]]
"""A platform payload: its JSON text (``str`` or bytes-like) or the parsed JSON (``dict`` or
``list`` of dicts)."""

def _payload_arg(payload: Payload) -> Union[str, bytes, bytearray]:
    """The payload as text or bytes, for the native module."""
    if isinstance(payload, (str, bytes, bytearray)):
        return payload
    if isinstance(payload, memoryview):
        return payload.tobytes()
    if isinstance(payload, (dict, list, tuple)):
        return json.dumps(payload, allow_nan=False)
    raise TypeError(
        "payload must be str, bytes, bytearray, memoryview, dict or list of dicts, "
        f"not {type(payload).__name__}"
    )


def _map(
    platform: str,
    entity: str,
    payload: Payload,
    store: Optional[str],
    currency: Optional[str],
    keep_unmapped: bool,
) -> MappingResult:
    records, errors = _nexus.map_json(
        platform,
        entity,
        _payload_arg(payload),
        store=store,
        currency=currency,
        keep_unmapped=keep_unmapped,
    )
    return MappingResult(json.loads(records), [MappingError(*e) for e in errors])


def map_orders(
    platform: Platform,
    payload: Payload,
    *,
    store: Optional[str] = None,
    currency: Optional[str] = None,
    keep_unmapped: bool = True,
) -> MappingResult:
    """Maps a payload of orders into unified ``Order`` records.

    Args:
        platform: ``"woocommerce"``, ``"shopify"`` or ``"magento"``.
        payload: One order, a list of orders or the platform's list envelope, as the store
            sent it (``str`` or bytes keep money exact) or parsed (``dict``/``list``).
        store: The store's name, recorded in every record's ``source.store``
            (``"default"`` when not given).
        currency: The store's three-letter currency code, used for prices the payload
            sends without a currency.
        keep_unmapped: Keep the platform's fields that have no home in the unified schema
            in each record's ``metadata``, verbatim (the default). ``False`` drops them and
            maps faster.

    Returns:
        The mapped records and one error per record that could not be mapped.

    Raises:
        UnknownPlatformError: ``platform`` is not a platform Nexus knows.
        InvalidArgumentError: ``currency`` is not a three-letter code.
        TypeError: ``payload`` is of an unsupported type.
    """
    return _map(platform, "orders", payload, store, currency, keep_unmapped)


def map_customers(
    platform: Platform,
    payload: Payload,
    *,
    store: Optional[str] = None,
    currency: Optional[str] = None,
    keep_unmapped: bool = True,
) -> MappingResult:
    """Maps a payload of customers into unified ``Customer`` records.

    Arguments, result and exceptions are those of :func:`map_orders`.
    """
    return _map(platform, "customers", payload, store, currency, keep_unmapped)


def map_products(
    platform: Platform,
    payload: Payload,
    *,
    store: Optional[str] = None,
    currency: Optional[str] = None,
    keep_unmapped: bool = True,
) -> MappingResult:
    """Maps a payload of products into unified ``Product`` records.

    Shopify products carry their variants. WooCommerce and Magento product payloads have no
    currency: pass ``currency`` to have prices tagged with the store's currency.
    Arguments, result and exceptions are otherwise those of :func:`map_orders`.
    """
    return _map(platform, "products", payload, store, currency, keep_unmapped)


def map_variants(
    platform: Platform,
    payload: Payload,
    *,
    store: Optional[str] = None,
    currency: Optional[str] = None,
    keep_unmapped: bool = True,
) -> MappingResult:
    """Maps a payload of variants into unified ``Variant`` records.

    Variants are WooCommerce product variations, Shopify variants and Magento configurable
    children. Arguments, result and exceptions are those of :func:`map_orders`.
    """
    return _map(platform, "variants", payload, store, currency, keep_unmapped)


def map_refunds(
    platform: Platform,
    payload: Payload,
    *,
    store: Optional[str] = None,
    currency: Optional[str] = None,
    keep_unmapped: bool = True,
) -> MappingResult:
    """Maps a payload of refunds into unified ``Refund`` records.

    Refunds are WooCommerce order refunds, Shopify refunds and Magento credit memos; refunded
    amounts and quantities are always positive. Arguments, result and exceptions are those
    of :func:`map_orders`.
    """
    return _map(platform, "refunds", payload, store, currency, keep_unmapped)


def map_transactions(
    platform: Platform,
    payload: Payload,
    *,
    store: Optional[str] = None,
    currency: Optional[str] = None,
    keep_unmapped: bool = True,
) -> MappingResult:
    """Maps a payload of payment transactions into unified ``Transaction`` records.

    Only Shopify has transaction payloads. Arguments and result are those of
    :func:`map_orders`.

    Raises:
        UnsupportedError: the platform has no transaction payloads (WooCommerce, Magento).
    """
    return _map(platform, "transactions", payload, store, currency, keep_unmapped)


def json_schema() -> Dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the unified records.

    One definition per record type (``Order``, ``Customer``, ``Product``, ``Variant``,
    ``Refund``, ``Transaction``) under ``"$defs"``. Each call returns a fresh dict.
    """
    schema: Dict[str, Any] = json.loads(_nexus.json_schema())
    return schema



class Webhook:
    """A webhook whose signature checked out, with its body mapped to unified records.

    Attributes:
        platform: ``"shopify"`` or ``"woocommerce"``.
        topic: The platform's topic (``"orders/create"``, ``"order.updated"``).
        entity: ``"orders"``, ``"customers"``, ``"products"``, ``"refunds"`` or ``None``.
        event: ``"create"``, ``"update"``, ``"delete"``, ``"ping"``, ...
        source: The shop domain (Shopify) or site URL (WooCommerce).
        delivery_id: The delivery's id, to drop retried deliveries.
        deleted_id: The deleted record's id, for deletion topics.
        records: The body's records in the unified JSON form (empty for pings and deletions).
        errors: Records of the body that could not be mapped.
    """

    __slots__ = (
        "platform",
        "topic",
        "entity",
        "event",
        "source",
        "delivery_id",
        "deleted_id",
        "records",
        "errors",
    )

    def __init__(
        self,
        platform: str,
        topic: str,
        entity: Optional[str],
        event: str,
        source: Optional[str],
        delivery_id: Optional[str],
        deleted_id: Optional[str],
        records: List[Record],
        errors: List[MappingError],
    ) -> None:
        self.platform = platform
        self.topic = topic
        self.entity = entity
        self.event = event
        self.source = source
        self.delivery_id = delivery_id
        self.deleted_id = deleted_id
        self.records = records
        self.errors = errors

    def __repr__(self) -> str:
        return (
            f"Webhook(platform={self.platform!r}, topic={self.topic!r}, "
            f"records={len(self.records)}, errors={len(self.errors)})"
        )


Webhook.__module__ = __name__


def verify_webhook(
    platform: Platform,
    secret: str,
    headers: Union[Mapping[str, str], Sequence[Tuple[str, str]]],
    body: Union[str, bytes, bytearray, memoryview],
    *,
    store: Optional[str] = None,
) -> Webhook:
    """Verifies a Shopify or WooCommerce webhook and maps its body.

    The signature (``X-Shopify-Hmac-Sha256`` or ``X-WC-Webhook-Signature``, base64 of the
    HMAC-SHA256 of the raw body) is checked in constant time; no request leaves the process.
    Pass the raw body exactly as received (in Django ``request.body``) and the request's
    headers (``request.headers``).

    Raises:
        AuthError: the signature is missing or does not match the body and secret.
        UnsupportedError: the platform does not sign webhooks this way (Magento).
    """
    pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
    raw = _payload_arg(body)
    topic, entity, event, source, delivery_id, deleted_id, records, errors = _nexus.verify_webhook(
        platform, secret, [(str(k), str(v)) for k, v in pairs], raw, store=store
    )
    return Webhook(
        platform,
        topic,
        entity,
        event,
        source,
        delivery_id,
        deleted_id,
        json.loads(records),
        [MappingError(*e) for e in errors],
    )
