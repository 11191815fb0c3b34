"""Customer segments by k-means and purchase propensity (re-exported as
``nexus.segment_customers``, ``nexus.purchase_propensity`` and their results
:class:`nexus.CustomerSegments` and :class:`nexus.PurchasePropensity`).

Both take a transactions table as :func:`nexus.rfm` does (any pandas, polars or pyarrow
table, or another Arrow producer; the column names as keyword arguments) and return a
small frozen result object whose tables are the same kind of table as ``transactions``.

The computations are the Rust core's (``nexus_core::analytics::segments``), run with the
GIL released; they are deterministic for a given ``seed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, List, Literal, Mapping, Optional, Tuple

from . import _nexus
from ._analytics import DateLike, Table, _date_arg, _read, _write
from ._clv import ArrayLike, _floats
from ._errors import InvalidArgumentError

__all__ = [
    "CustomerSegments",
    "PurchasePropensity",
    "purchase_propensity",
    "segment_customers",
]

_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True, eq=False)
class CustomerSegments:
    """The k-means segments of :func:`segment_customers`.

    Compared by identity (tables have no plain ``==``); compare the fields instead.

    Attributes:
        k: The number of clusters (given, or chosen by silhouette).
        silhouettes: The mean silhouette of each k tried, as ``(k, score)`` in the order of
            ``k_range`` (empty when ``k`` was given). The chosen ``k`` has the best score.
        customers: One row per customer, sorted by customer: the customer column (named as
            in the input) and ``cluster`` (0 to k - 1).
        clusters: One row per cluster, ordered (and numbered) by revenue share, largest
            first: ``cluster``, ``size`` (customers), the mean ``recency`` (days),
            ``frequency`` (orders) and ``monetary`` (total spend) of its customers, the mean
            of each ``extra`` feature under its name, ``revenue_share`` (0..1) and
            ``rfm_segment`` (the ``"rf_grid"`` segment most of its customers are in).
    """

    k: int
    silhouettes: List[Tuple[int, float]]
    customers: Any = field(repr=False)
    clusters: Any = field(repr=False)


@dataclass(frozen=True, eq=False)
class PurchasePropensity:
    """The purchase-propensity model of :func:`purchase_propensity`, validated.

    Compared by identity (tables have no plain ``==``); compare the fields instead.

    Attributes:
        auc: ROC AUC of the model's probabilities against what the customers did in the
            validation window (NaN when all of them bought, or none did).
        baseline_auc: ROC AUC of the BG/NBD baseline on the same window.
        model: ``"logistic"`` or ``"random_forest"``.
        features: The features' names, in the model's order (``days_since_last``,
            ``tenure_days``, ``orders``, ``purchase_days``, ``total_spend``,
            ``mean_spend``, ``days_last_30``, ``days_last_90``, ``mean_gap_days``).
        calibration_end: The last day of the calibration period (inclusive): the scores
            use the history up to it and predict the ``horizon_days`` after it.
        training_cutoff: The day the training features were taken at; their labels are the
            purchases in ``(training_cutoff, calibration_end]``.
        scores: One row per customer with a purchase by ``calibration_end``, sorted: the
            customer column, ``probability`` (of a purchase in the window), ``baseline``
            (the BG/NBD probability of the same) and ``purchased`` (whether they did buy
            in the window, as far as the data goes).
    """

    auc: float
    baseline_auc: float
    model: str
    features: List[str]
    calibration_end: date
    training_cutoff: date
    scores: Any = field(repr=False)


def _k_range(value: Any) -> Tuple[int, int]:
    """``k_range`` as a pair of ints for the native module (checked there)."""
    try:
        lo, hi = value
        pair = (int(lo), int(hi))
        if pair != (lo, hi) or isinstance(lo, bool) or isinstance(hi, bool):
            raise ValueError
        return pair
    except (TypeError, ValueError):
        raise InvalidArgumentError(
            f"invalid argument `k_range`: must be a (low, high) pair of whole numbers, "
            f"not {value!r}"
        ) from None


def _extra(extra: Optional[Mapping[str, ArrayLike]]) -> List[Tuple[str, bytes]]:
    """The extra features as ``(name, float64 bytes)`` for the native module."""
    if extra is None:
        return []
    if not isinstance(extra, Mapping):
        raise TypeError(
            "extra must be a mapping of feature names to arrays (one number per customer), "
            f"not {type(extra).__name__}"
        )
    return [(str(name), _floats(str(name), values)) for name, values in extra.items()]


def segment_customers(
    transactions: Table,
    *,
    customer: str = "customer_id",
    order: Optional[str] = "order_id",
    date: str = "date",
    amount: str = "amount",
    k: Optional[int] = None,
    k_range: Tuple[int, int] = (2, 8),
    seed: int = 42,
    as_of: Optional[DateLike] = None,
    extra: Optional[Mapping[str, ArrayLike]] = None,
) -> CustomerSegments:
    """Clusters the customers by k-means on their recency, frequency and monetary value.

    The features (those of :func:`nexus.rfm`, and any ``extra`` ones) are standardized
    after ``ln(1 + x)`` (when all of a feature's values are non-negative). Without ``k``,
    every k of ``k_range`` is tried and the one with the best mean silhouette wins (the
    silhouette is computed on a seeded sample of at most 2,000 customers). The same table
    and ``seed`` always give the same segments.

    Args:
        transactions: The transactions table.
        customer: The customer id column.
        order: The order id column; ``None``: every row is one order.
        date: The date column.
        amount: The amount column.
        k: The number of clusters. Default: chosen by silhouette over ``k_range``.
        k_range: The k tried when ``k`` is not given: ``(low, high)``, both inclusive, with
            ``2 <= low <= high``.
        seed: The seed of the k-means initialization and of the silhouette sample.
        as_of: The day recency is measured to. Default: the day after the last transaction.
        extra: More features to cluster on, such as a lifetime value: by name, one number
            per customer **in the order of the customers sorted by id**, which is the order
            of the rows of :func:`nexus.rfm` and of the result's ``customers`` (and of
            :func:`nexus.summary_data` without a calibration end). Any array of numbers
            (a numpy array, a list, a pandas or polars Series). Each cluster's mean of
            each feature is a column of ``clusters``, under the feature's name.

    Returns:
        The segments: ``k``, ``silhouettes`` and the ``customers`` and ``clusters`` tables,
        the same kind of table as ``transactions``.

    Raises:
        InvalidDataError: a column is missing or has a bad value; an ``extra`` array of
            the wrong length or with a value that is not a finite number.
        InvalidArgumentError: a bad ``k``, ``k_range`` or ``seed``, an ``extra`` feature
            named as a column of ``clusters``, an ``as_of`` that is not a date or falls
            before a customer's last purchase.
        FitError: fewer customers than clusters.
    """
    table, kind = _read(transactions, [customer, order, date, amount])
    k_chosen, silhouettes, customers, clusters = _nexus.segment_customers(
        table,
        customer=customer,
        order=order,
        date=date,
        amount=amount,
        k=k,
        k_range=_k_range(k_range),
        seed=seed,
        extra=_extra(extra),
        as_of=_date_arg("as_of", as_of),
    )
    return CustomerSegments(
        k=k_chosen,
        silhouettes=list(silhouettes),
        customers=_write(customers, kind),
        clusters=_write(clusters, kind),
    )


def purchase_propensity(
    transactions: Table,
    *,
    customer: str = "customer_id",
    order: Optional[str] = "order_id",
    date: str = "date",
    amount: str = "amount",
    calibration_end: Optional[DateLike] = None,
    horizon_days: int = 90,
    training_horizon_days: Optional[int] = None,
    model: Literal["logistic", "random_forest"] = "logistic",
    seed: int = 42,
    trees: int = 100,
) -> PurchasePropensity:
    """Scores each customer's probability of buying in the ``horizon_days`` after
    ``calibration_end``, with a classifier validated against the BG/NBD baseline.

    Each customer's features are taken from the history up to a day (days since the last
    purchase, tenure, orders, purchase days, total and mean spend, purchase days in the
    last 30 and 90 days, mean days between purchase days). The model is trained within the
    calibration period: features at ``calibration_end - training_horizon_days``, labels
    from the days after, up to ``calibration_end``. It then scores the features at
    ``calibration_end``, and its ROC AUC is measured on the purchases of the window
    ``(calibration_end, calibration_end + horizon_days]``, next to the AUC of the BG/NBD
    model fitted on the calibration period (its probability of at least one purchase in
    the window).

    Args:
        transactions: The transactions table.
        customer: The customer id column.
        order: The order id column; ``None``: every row is one order.
        date: The date column.
        amount: The amount column.
        calibration_end: The last day of the calibration period (inclusive). Default:
            ``horizon_days`` before the last transaction, so that the validation window
            ends with the data.
        horizon_days: The prediction (and validation) window, in days.
        training_horizon_days: The training label window, in days. Default:
            ``horizon_days``, or half the calibration period when that is shorter.
        model: ``"logistic"`` (logistic regression on standardized ``ln(1 + x)``
            features) or ``"random_forest"`` (``trees`` depth-8 trees on bootstrap samples
            and random feature subsets, their probabilities averaged).
        seed: The seed of the random forest.
        trees: The random forest's number of trees (1 to 65535).

    Returns:
        The validated model: ``auc``, ``baseline_auc``, ``model``, ``features``,
        ``calibration_end``, ``training_cutoff`` and the ``scores`` table, the same kind of
        table as ``transactions``.

    Raises:
        InvalidDataError: a column is missing or has a bad value; no transactions.
        InvalidArgumentError: an unknown ``model``, a ``horizon_days``,
            ``training_horizon_days``, ``seed`` or ``trees`` out of range, a calibration
            period too short for the training window.
        FitError: every training customer bought in the training window, or none did; the
            model could not be fitted.
    """
    table, kind = _read(transactions, [customer, order, date, amount])
    auc, baseline_auc, name, features, cal_end, cutoff, scores = _nexus.purchase_propensity(
        table,
        customer=customer,
        order=order,
        date=date,
        amount=amount,
        horizon_days=horizon_days,
        model=model,
        seed=seed,
        trees=trees,
        calibration_end=_date_arg("calibration_end", calibration_end),
        training_horizon_days=training_horizon_days,
    )
    return PurchasePropensity(
        auc=auc,
        baseline_auc=baseline_auc,
        model=name,
        features=list(features),
        calibration_end=_EPOCH + timedelta(days=cal_end),
        training_cutoff=_EPOCH + timedelta(days=cutoff),
        scores=_write(scores, kind),
    )
