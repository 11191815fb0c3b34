"""Native part of the ``nexus`` package (private: import ``nexus`` instead).

Checked against the compiled module by ``python -m mypy.stubtest nexus``.
"""

import os
from typing import Callable, final

from typing_extensions import CapsuleType

__all__ = [
    "_Cancel",
    "_Connector",
    "_FakeStore",
    "_FittedEts",
    "_GammaGamma",
    "_Manager",
    "_PageIter",
    "_PurchaseModel",
    "_RuleSet",
    "_Table",
    "check_quality",
    "cohorts",
    "cross_validate",
    "forecast_many",
    "forecast_sales",
    "intermittent_forecast",
    "json_schema",
    "kpis",
    "map_json",
    "product_performance",
    "purchase_propensity",
    "report_from_json",
    "report_html",
    "rfm",
    "rfm_segments",
    "rule_catalog",
    "segment_customers",
    "summary_data",
    "sync_report_text",
    "verify_webhook",
    "__version__",
    "customer_table",
]

__version__: str

def map_json(
    platform: str,
    entity: str,
    payload: str | bytes | bytearray,
    *,
    store: str | None = None,
    currency: str | None = None,
    keep_unmapped: bool = True,
) -> tuple[str, list[tuple[int | None, str | None, str, str, str]]]:
    """Maps a platform payload to the unified JSON form.

    Returns ``(records, errors)``: ``records`` is the JSON text of an array of unified
    records, ``errors`` a list of ``(index, id, path, code, message)`` tuples.

    Raises the ``nexus.NexusError`` subclass that matches the core error.
    """

def json_schema() -> str:
    """The JSON Schema of the unified records, as JSON text."""

def verify_webhook(
    platform: str,
    secret: str,
    headers: list[tuple[str, str]],
    body: str | bytes | bytearray,
    *,
    store: str | None = None,
) -> tuple[
    str,
    str | None,
    str,
    str | None,
    str | None,
    str | None,
    str,
    list[tuple[int | None, str | None, str, str, str]],
]:
    """Verifies a webhook's signature and maps its body.

    Returns ``(topic, entity, event, source, delivery_id, deleted_id, records, errors)``.
    """

# --- Connectors (wrapped by nexus.WooCommerce, nexus.Shopify, nexus.Magento) ---

_ErrorTuple = tuple[int | None, str | None, str, str, str]

_PageTuple = tuple[str, int, list[_ErrorTuple], tuple[str, str] | None, int | None, int, int]
"""One page: records' JSON text, their count, the mapping errors, the checkpoint
``(updated_at, id)``, the total the store announced, duplicates dropped, the page number."""

@final
class _Connector:
    """A connector to one store (private: use ``nexus.WooCommerce``, ``nexus.Shopify`` or
    ``nexus.Magento``)."""

    @staticmethod
    def woocommerce(
        url: str,
        *,
        consumer_key: str,
        consumer_secret: str,
        auth: str = "auto",
        allow_basic_over_http: bool = False,
        store: str | None = None,
        currency: str | None = None,
        page_size: int | None = None,
        requests_per_minute: int | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        max_attempts: int | None = None,
        user_agent: str | None = None,
    ) -> _Connector:
        """A WooCommerce connector."""

    @staticmethod
    def shopify(
        shop: str,
        *,
        access_token: str,
        api_version: str | None = None,
        store: str | None = None,
        currency: str | None = None,
        page_size: int | None = None,
        bucket: tuple[int, float, int] | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        max_attempts: int | None = None,
        user_agent: str | None = None,
    ) -> _Connector:
        """A Shopify connector."""

    @staticmethod
    def magento(
        url: str,
        *,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        consumer_key: str | None = None,
        consumer_secret: str | None = None,
        access_token: str | None = None,
        access_token_secret: str | None = None,
        allow_plain_http: bool = False,
        store_code: str | None = None,
        store: str | None = None,
        currency: str | None = None,
        page_size: int | None = None,
        requests_per_minute: int | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
        max_attempts: int | None = None,
        user_agent: str | None = None,
    ) -> _Connector:
        """A Magento 2 connector."""

    @property
    def platform(self) -> str:
        """The platform's name."""

    def check(self) -> tuple[str, str | None, str | None, str | None, str | None, str | None]:
        """``(platform, name, currency, timezone, api_version, platform_version)``."""

    def capabilities(self) -> tuple[list[str], str, int, int, bool]:
        """``(entities, incremental_field, max_page_size, default_page_size, sees_deletes)``."""

    def pages(
        self,
        entity: str,
        *,
        since: tuple[str, str] | None = None,
        overlap: float = 300.0,
        until: str | None = None,
    ) -> _PageIter:
        """Starts a read; ``since`` is ``(updated_at, id)`` in RFC 3339, ``until`` RFC 3339."""

    def tombstones(self, entity: str, since: str | None = None) -> list[tuple[str, str, str]]:
        """``(entity, id, deleted_at)`` of records deleted since ``since`` (RFC 3339)."""

@final
class _PageIter:
    """One read in progress (private)."""

    def __iter__(self) -> _PageIter: ...
    def __next__(self) -> _PageTuple:
        """The next page, fetched with the GIL released."""

# --- Fake stores (wrapped by nexus.testing.FakeStore) ---

@final
class _FakeStore:
    """A fake store on 127.0.0.1 (private: use ``nexus.testing.FakeStore``)."""

    def __new__(
        cls,
        platform: str,
        *,
        orders: int = 250,
        customers: int = 60,
        products: int = 40,
        seed: int = 7,
        rate_per_minute: int | None = None,
        shopify_bucket: bool = False,
        faults: dict[int, str] | None = None,
        dirt: float = 0.0,
    ) -> _FakeStore: ...
    @property
    def platform(self) -> str:
        """The platform served."""
    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
    def credentials(self) -> dict[str, str]:
        """The credentials the store accepts, by name."""
    def ids(self, entity: str) -> set[str]:
        """The ids of every record of ``entity``."""
    def mutate(self, modify: int, insert: int = 0) -> set[str]:
        """Modifies and inserts orders; returns their ids."""
    def delete(self, entity: str, n: int) -> set[str]:
        """Deletes ``n`` records of ``entity``; returns their ids."""
    def stats(self) -> dict[str, int]:
        """``requests``, ``rate_limited``, ``auth_failures``, ``tokens_issued``."""
    def set_faults(self, faults: dict[int, str]) -> None:
        """Replaces the faults to inject, counted from the next request."""
    def expire_tokens(self) -> None:
        """Expires every Magento admin token issued so far."""
    def close(self) -> None:
        """Stops the store."""

# --- Quality (wrapped by nexus.RuleSet, nexus.check_quality, nexus.QualityReport) ---

@final
class _RuleSet:
    """A rule set (private: use ``nexus.RuleSet``)."""

    @staticmethod
    def default() -> _RuleSet:
        """The default pack."""
    @staticmethod
    def from_file(path: str | os.PathLike[str]) -> _RuleSet:
        """Reads a ``.yaml``, ``.yml`` or ``.json`` rule file."""
    @staticmethod
    def from_yaml(text: str) -> _RuleSet:
        """Reads rules from YAML text."""
    @staticmethod
    def from_json(text: str) -> _RuleSet:
        """Reads rules from JSON text."""
    def rules(self) -> str:
        """The rules of the set as the JSON text of a list of objects."""

def rule_catalog() -> str:
    """Every built-in rule as documented, as the JSON text of a list of objects."""

def check_quality(
    entity: str | None,
    records: str | bytes | bytearray,
    *,
    rules: _RuleSet | None = None,
    cleanse: bool = False,
    previous: str | None = None,
    as_of: str | None = None,
) -> tuple[str, str | None]:
    """Checks records in the unified JSON form; ``entity=None`` for a dataset object.

    Returns ``(report, records)``: the report's JSON text, and the cleansed records' JSON
    text when ``cleanse`` is set.
    """

def report_from_json(text: str) -> str:
    """Reads a report's JSON text and writes it again; raises ``InvalidArgumentError`` when
    the text is not a quality report."""

def report_html(report_json: str) -> str:
    """The HTML page of a report given as JSON text."""

# --- Manager (wrapped by nexus.Manager and nexus.Cancel) ---

@final
class _Cancel:
    """A token that stops a sync cleanly (private: use ``nexus.Cancel``)."""

    def __new__(cls) -> _Cancel: ...
    def cancel(self) -> None:
        """Triggers it."""
    @property
    def cancelled(self) -> bool:
        """Whether it was triggered."""

@final
class _Manager:
    """A registry of stores and its database (private: use ``nexus.Manager``). Results are
    the JSON text of the core's types."""

    @staticmethod
    def from_toml(
        path: str | os.PathLike[str],
        *,
        database: str | None = None,
        secrets: Callable[[str], str | None] | None = None,
        on_alert: Callable[[str], object] | None = None,
    ) -> _Manager:
        """Opens a registry file and its database; ``on_alert`` gets each alert's JSON."""
    def stores(self) -> str:
        """A list of ``StoreEntry``."""
    def check(self, stores: list[str] | None = None) -> str:
        """A list of ``CheckResult``."""
    def sync(
        self,
        stores: list[str] | None = None,
        *,
        progress: Callable[[str], object] | None = None,
        cancel: _Cancel | None = None,
    ) -> str:
        """A ``SyncReport``; ``progress`` gets each event's JSON."""
    def health(self) -> str:
        """A ``HealthReport``."""
    def alerts(self) -> str:
        """A list of ``Alert``."""
    def report(self) -> str:
        """A list of ``StoreReport``: the latest run of each store."""
    def quality_report(self, store: str | None = None) -> str:
        """A ``QualityReport`` of the stored records."""
    def customers_across(self) -> str:
        """A list of ``CrossStoreCustomer``."""
    def records(
        self, kind: str, *, stores: list[str] | None = None, platform: str | None = None
    ) -> str:
        """Stored ``orders``, ``customers``, ``products``, ``refunds``, ``transactions``,
        ``quarantined`` or ``counts``."""

def sync_report_text(report_json: str) -> str:
    """The plain-text table of a sync report given as JSON text."""

# --- Analytics (wrapped by nexus.summary_data, nexus.rfm, nexus.kpis, nexus.cohorts, ...) ---

_FallbackColumn = tuple[str, str, bytes | list[str | None], bytes | None]
"""``(name, kind, data, mask)``: ``kind`` ``f64``, ``i64``, ``u64`` or ``datetime_us`` with
``data`` little-endian bytes, or ``str`` with ``data`` a list; ``mask`` one byte per row,
non-zero for a missing value."""

@final
class _Table:
    """A table held in Rust (private: the analytics functions take and return the user's
    own kind of table)."""

    @staticmethod
    def from_arrow(table: object, names: list[str]) -> _Table:
        """Reads ``table.__arrow_c_stream__()``; ``names`` are all the column names of the
        user's table (those not in the stream become empty placeholders)."""
    @staticmethod
    def from_columns(names: list[str], columns: list[_FallbackColumn]) -> _Table:
        """Builds a table from plain columns (pandas without pyarrow)."""
    def __arrow_c_stream__(self, requested_schema: object | None = None) -> CapsuleType:
        """The table as an Arrow C stream (the Arrow PyCapsule interface)."""
    def columns(self) -> list[tuple[str, str, bytes | list[str | None]]]:
        """The columns as ``(name, kind, data)``: ``f64``, ``i64``, ``u64``, ``date``
        (``i64`` days) as little-endian bytes, ``str`` as a list."""
    @property
    def names(self) -> list[str]:
        """The column names."""
    @property
    def height(self) -> int:
        """The number of rows."""

def summary_data(
    transactions: _Table,
    *,
    customer: str,
    date: str,
    amount: str,
    observation_end: str | None = None,
    calibration_end: str | None = None,
    unit: str = "days",
) -> _Table:
    """The per-customer BTYD summary; dates as ISO text."""

def rfm(
    transactions: _Table,
    *,
    customer: str,
    order: str | None,
    date: str,
    amount: str,
    as_of: str | None = None,
    segments: str | list[tuple[str, tuple[int, int], tuple[int, int], tuple[int, int]]],
) -> _Table:
    """RFM values, scores and segments of every customer."""

def customer_table(
    transactions: _Table,
    *,
    customer: str,
    order: str | None,
    date: str,
    amount: str,
    as_of: str | None = None,
    segments: str | list[tuple[str, tuple[int, int], tuple[int, int], tuple[int, int]]],
    observation_end: str | None = None,
    calibration_end: str | None = None,
    unit: str = "days",
) -> _Table:
    """RFM and the BTYD summary of every customer in one table."""

def rfm_segments(
    transactions: _Table,
    *,
    customer: str,
    order: str | None,
    date: str,
    amount: str,
    as_of: str | None = None,
    segments: str | list[tuple[str, tuple[int, int], tuple[int, int], tuple[int, int]]],
) -> _Table:
    """The per-segment RFM summary."""

def kpis(
    transactions: _Table,
    *,
    period: str,
    by: str | None,
    customer: str,
    order: str | None,
    date: str,
    amount: str,
    items: str | None,
    refunded: str | None,
) -> _Table:
    """KPIs by period (and group)."""

def cohorts(
    transactions: _Table, *, period: str, customer: str, date: str, amount: str
) -> _Table:
    """Cohort retention in long form."""

# --- Segments and propensity (wrapped by nexus.segment_customers and
# nexus.purchase_propensity); extra features as little-endian float64 bytes ---

def segment_customers(
    transactions: _Table,
    *,
    customer: str,
    order: str | None,
    date: str,
    amount: str,
    k: int | None,
    k_range: tuple[int, int],
    seed: int,
    extra: list[tuple[str, bytes]],
    as_of: str | None = None,
) -> tuple[int, list[tuple[int, float]], _Table, _Table]:
    """k-means segments: ``(k, silhouettes, customers, clusters)``."""

def purchase_propensity(
    transactions: _Table,
    *,
    customer: str,
    order: str | None,
    date: str,
    amount: str,
    horizon_days: int,
    model: str,
    seed: int,
    trees: int,
    calibration_end: str | None = None,
    training_horizon_days: int | None = None,
) -> tuple[float, float, str, list[str], int, int, _Table]:
    """A validated propensity model: ``(auc, baseline_auc, model, features,
    calibration_end, training_cutoff, scores)``, the days as days since 1970-01-01."""

# --- Lifetime value (wrapped by nexus.BetaGeo, nexus.ModifiedBetaGeo, nexus.ParetoNBD,
# nexus.GammaGamma and their fitted types); arrays as little-endian float64 bytes ---

@final
class _PurchaseModel:
    """A fitted BG/NBD, MBG/NBD or Pareto/NBD model (private)."""

    @staticmethod
    def fit(
        kind: str,
        frequency: bytes,
        recency: bytes,
        age: bytes,
        *,
        penalizer: float,
        weights: bytes | None = None,
    ) -> _PurchaseModel:
        """Fits ``kind`` (``BetaGeo``, ``ModifiedBetaGeo`` or ``ParetoNbd``)."""
    @staticmethod
    def from_params(kind: str, params: str) -> _PurchaseModel:
        """A model from parameters given as the JSON text of a dict."""
    @property
    def name(self) -> str:
        """The model's name."""
    def params(self) -> list[tuple[str, float]]:
        """The parameters by name."""
    def standard_errors(self) -> list[tuple[str, float]] | None:
        """The standard errors by name, when the fit has them."""
    @property
    def log_likelihood(self) -> float | None:
        """The total log-likelihood at the estimate."""
    @property
    def n_customers(self) -> int:
        """The number of customers fitted."""
    def expected_purchases(
        self, t: float, frequency: bytes, recency: bytes, age: bytes
    ) -> bytearray:
        """Expected purchases of each customer in the next ``t``."""
    def expected_purchases_new(self, t: bytes) -> bytearray:
        """Expected repeat purchases of a new customer in ``(0, t]``."""
    def probability_alive(self, frequency: bytes, recency: bytes, age: bytes) -> bytearray:
        """The probability that each customer is alive."""
    def probability_of_purchases(self, n: list[int], t: float) -> bytearray:
        """The probability of exactly ``n`` repeat purchases in ``(0, t]``."""

@final
class _GammaGamma:
    """A fitted Gamma-Gamma model (private)."""

    @staticmethod
    def fit(
        frequency: bytes,
        monetary_value: bytes,
        *,
        penalizer: float,
        weights: bytes | None = None,
    ) -> _GammaGamma:
        """Fits the model to the repeat buyers."""
    @staticmethod
    def from_params(params: str) -> _GammaGamma:
        """A model from parameters given as the JSON text of a dict."""
    def params(self) -> list[tuple[str, float]]:
        """The parameters by name."""
    def standard_errors(self) -> list[tuple[str, float]] | None:
        """The standard errors by name, when the fit has them."""
    @property
    def log_likelihood(self) -> float | None:
        """The total log-likelihood at the estimate."""
    @property
    def n_customers(self) -> int:
        """The number of repeat buyers fitted."""
    @property
    def population_mean(self) -> float:
        """The population mean transaction value."""
    def expected_average_value(self, frequency: bytes, monetary_value: bytes) -> bytearray:
        """The expected mean transaction value of each customer."""
    def clv(
        self,
        model: _PurchaseModel,
        frequency: bytes,
        recency: bytes,
        age: bytes,
        monetary_value: bytes,
        *,
        months: int,
        discount_rate: float,
        unit: str,
    ) -> bytearray:
        """Customer lifetime value of each customer."""

# --- Forecasting (wrapped by nexus.AutoETS, nexus.ETS, nexus.FittedETS,
# nexus.cross_validate, nexus.forecast_many, nexus.forecast_sales,
# nexus.product_performance and nexus.croston); series as little-endian float64 bytes ---

@final
class _FittedEts:
    """A fitted ETS model (private)."""

    @staticmethod
    def auto(
        y: bytes,
        *,
        season_length: int | None = None,
        models: list[str] | None = None,
        damped: bool | None = None,
        ic: str = "aicc",
    ) -> _FittedEts:
        """Selects and fits the best ETS model by an information criterion."""
    @staticmethod
    def fixed(y: bytes, *, model: str, season_length: int) -> _FittedEts:
        """Fits one model given by its code."""
    @property
    def model(self) -> str:
        """The model's printed name (``"ETS(M,Ad,M)"``)."""
    @property
    def code(self) -> str:
        """The model's compact code (``"MAdM"``)."""
    @property
    def season_length(self) -> int:
        """The seasonal period (1 without a season)."""
    def params(self) -> list[tuple[str, float]]:
        """The smoothing parameters the model has, by name."""
    @property
    def aic(self) -> float:
        """Akaike's information criterion."""
    @property
    def aicc(self) -> float:
        """AIC corrected for small samples."""
    @property
    def bic(self) -> float:
        """Schwarz's Bayesian criterion."""
    @property
    def loglik(self) -> float:
        """The log-likelihood."""
    @property
    def sigma2(self) -> float:
        """The innovation variance."""
    @property
    def mse(self) -> float:
        """The mean squared one-step error."""
    @property
    def n_params(self) -> int:
        """The number of estimated parameters."""
    @property
    def initial_level(self) -> float:
        """The estimated initial level."""
    @property
    def initial_trend(self) -> float | None:
        """The estimated initial trend."""
    def initial_seasons(self) -> bytearray:
        """The estimated initial seasonal states."""
    def fitted(self) -> bytearray:
        """The one-step fitted values."""
    def residuals(self) -> bytearray:
        """The residuals."""
    def candidates(self) -> list[tuple[str, float]]:
        """Every candidate's code and criterion value."""
    def predict(self, h: int, *, level: list[float]) -> _Table:
        """The forecast as a table of ``mean``, ``lo-{level}`` and ``hi-{level}``."""

_Accuracy = tuple[float, float, float | None, float, float | None]
"""``(mae, rmse, mape, smape, mase)``."""

def cross_validate(
    y: bytes, *, h: int, windows: int, step: int | None = None, season_length: int
) -> tuple[list[tuple[int, bytearray, bytearray, _Accuracy]], _Accuracy]:
    """Cross-validation of AutoETS: ``(windows, mean accuracy)``, each window
    ``(cutoff, actual, forecast, accuracy)``."""

def forecast_many(
    frame: _Table,
    *,
    id: str,
    ds: str,
    y: str,
    h: int,
    season_length: int | None = None,
    level: list[float],
) -> tuple[_Table, list[tuple[str, str, str]]]:
    """AutoETS on every series: ``(forecasts, failed)``, each failure ``(id, code,
    message)``."""

def forecast_sales(
    transactions: _Table,
    *,
    freq: str,
    by: str | None,
    customer: str,
    order: str | None,
    date: str,
    amount: str,
    items: str | None,
    measure: str,
    h: int,
    level: list[float],
    season_length: int | None = None,
    start: str | None = None,
    end: str | None = None,
) -> tuple[_Table, list[tuple[str | None, str, str]]]:
    """Sales forecasts: ``(forecasts, failed)``, each failure ``(group, code, message)``."""

def product_performance(
    lines: _Table,
    *,
    product: str,
    date: str,
    quantity: str,
    amount: str,
    order: str | None,
    refunded: str | None,
    name: str | None,
    window_days: int,
    as_of: str | None = None,
    period: str,
    abc: tuple[float, float],
    xyz: tuple[float, float],
    trend_periods: int,
    trend_alpha: float,
    dead_days: int,
    h: int,
    level: list[float],
    top: int,
) -> tuple[
    _Table,
    _Table,
    int,
    tuple[int, int],
    int,
    list[str],
    list[str],
    list[str],
    list[str],
]:
    """``(products, summary, as_of, (window_start, window_end), forecast_start,
    top_sellers, rising, declining, dead_stock)``, the days as days since 1970-01-01."""

def intermittent_forecast(
    y: bytes,
    *,
    method: str,
    h: int,
    level: list[float],
    alpha: float,
    alpha_probability: float,
) -> tuple[str, _Table, tuple[float, float, int, str], tuple[bytearray, bytearray] | None]:
    """``(method, forecast, (adi, cv2, nonzero, class), (fitted, residuals) or None)``."""
