"""Customer analytics over a transactions table (re-exported as ``nexus.summary_data``,
``nexus.rfm``, ``nexus.rfm_segments``, ``nexus.kpis`` and ``nexus.cohorts``).

A transactions table has one row per order: a customer id, an order id, a date and an
amount, under names given as keyword arguments (the defaults are those of
:meth:`nexus.Manager.transactions`: ``customer_id``, ``order_id``, ``date``, ``amount``).
Any pandas, polars or pyarrow table will do, and any other object with the Arrow
PyCapsule interface (``__arrow_c_stream__``); it is read without a copy where the column
types allow, and the result comes back as the same kind of table (pandas in, pandas out;
polars in, polars out; pyarrow in, pyarrow out; other Arrow producers get a pyarrow
table, or a polars one without pyarrow).

Dates may be dates, datetimes (with or without a time zone: the UTC day counts) or text
(``2024-05-01``, ``20240501``, RFC 3339). Amounts may be floats, integers, decimals or
decimal text, never negative: refunds belong in their own column.

The computations are the Rust core's (``nexus_core::analytics``), run with the GIL
released; bad input raises :class:`nexus.InvalidDataError` naming the column and row.
"""

from __future__ import annotations

import importlib
import importlib.util
from datetime import date, datetime, timezone
from typing import Any, Iterable, List, Literal, Mapping, Optional, Sequence, Tuple, Union

from . import _nexus
from ._errors import InvalidArgumentError

__all__ = [
    "DateLike",
    "SegmentRule",
    "Segments",
    "Table",
    "cohorts",
    "kpis",
    "rfm",
    "rfm_segments",
    "summary_data",
]

Table = Any
"""A table: a pandas, polars or pyarrow table, or any object with ``__arrow_c_stream__``."""

DateLike = Union[date, datetime, str]
"""A day: a :class:`datetime.date`, a :class:`datetime.datetime` (its UTC day when it has a
time zone) or ISO text (``"2024-05-01"``, ``"2024-05-01T10:00:00Z"``)."""

SegmentRule = Mapping[str, Any]
"""One named RFM segment: ``{"name": "Champions", "r": (4, 5), "f": (4, 5), "m": (1, 5)}``.
Each range is inclusive, within 1..5; a missing range means 1..5, a single score ``5``
means ``(5, 5)``."""

Segments = Union[Literal["rf_grid", "rfm_rules"], Sequence[SegmentRule]]
"""How RFM scores are named: ``"rf_grid"`` (the 10-segment grid on R and F),
``"rfm_rules"`` (rules on all three scores), or a list of rules, tried in order (the
first match wins; customers matching none are ``"Others"``)."""

Period = Literal["day", "week", "month", "quarter", "year"]
Unit = Literal["days", "weeks"]

_RULE_KEYS = frozenset(["name", "r", "f", "m"])


# --- Tables in and out -------------------------------------------------------------------


def _kind(table: Any) -> str:
    """``"pandas"``, ``"polars"``, ``"pyarrow"`` or ``"arrow"`` (another producer)."""
    cls = type(table)
    library = cls.__module__.split(".", 1)[0]
    if library == "polars" and cls.__name__ == "LazyFrame":
        raise TypeError("a polars LazyFrame cannot be read as it is: call .collect() first")
    if library in ("pandas", "polars", "pyarrow") and hasattr(table, "__arrow_c_stream__"):
        return library
    if library == "pandas" and hasattr(table, "columns"):
        return "pandas"  # pandas before 2.2: read through the fallback
    if hasattr(table, "__arrow_c_stream__"):
        return "arrow"
    raise TypeError(
        "transactions must be a pandas, polars or pyarrow table, or an object with "
        f"__arrow_c_stream__ (the Arrow PyCapsule interface), not {cls.__module__}.{cls.__name__}"
    )


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _read(table: Any, columns: Iterable[Optional[str]]) -> Tuple[_nexus._Table, str]:
    """The table's columns named in ``columns`` (the others only by name), and its kind."""
    kind = _kind(table)
    wanted = list(dict.fromkeys(c for c in columns if c is not None))
    if kind == "pandas":
        labels = {str(c): c for c in table.columns}
        names = list(labels)
        selected = table[[labels[c] for c in wanted if c in labels]]
        if not hasattr(table, "__arrow_c_stream__") or not _has("pyarrow"):
            return _from_pandas(selected, names), kind
        return _nexus._Table.from_arrow(selected, names), kind
    if kind == "polars" and hasattr(table, "select"):
        names = [str(c) for c in table.columns]
        return _nexus._Table.from_arrow(table.select([c for c in wanted if c in names]), names), kind
    if kind == "pyarrow" and hasattr(table, "select") and hasattr(table, "column_names"):
        names = [str(c) for c in table.column_names]
        return _nexus._Table.from_arrow(table.select([c for c in wanted if c in names]), names), kind
    return _nexus._Table.from_arrow(table, []), kind


def _write(result: _nexus._Table, kind: str) -> Any:
    """The result as the kind of table the user passed in."""
    if kind == "polars":
        return importlib.import_module("polars").DataFrame(result)
    if kind == "pandas":
        if _has("pyarrow"):
            table = importlib.import_module("pyarrow").table(result)
            return table.to_pandas(date_as_object=False)
        return _to_pandas(result)
    if kind == "pyarrow" or _has("pyarrow"):
        return importlib.import_module("pyarrow").table(result)
    if _has("polars"):
        return importlib.import_module("polars").DataFrame(result)
    return result


def _text(value: Any) -> str:
    """A value of a pandas object column as text the core reads (ISO dates, numbers)."""
    if isinstance(value, datetime):
        moment: datetime = value
        if moment.tzinfo is not None:
            moment = moment.astimezone(timezone.utc)
        return moment.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _pandas_column(series: Any) -> Tuple[str, Any, Optional[bytes]]:
    """One pandas column as ``(kind, data, mask)`` for ``_Table.from_columns``."""
    np = importlib.import_module("numpy")
    pd = importlib.import_module("pandas")
    types = pd.api.types
    missing = series.isna().to_numpy(dtype=bool)
    mask = missing.astype(np.uint8).tobytes() if missing.any() else None
    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        dtype = series.dtype
    if types.is_datetime64_dtype(dtype):
        values = series.to_numpy(dtype="datetime64[us]").view("int64")
        return "datetime_us", values.astype("<i8").tobytes(), mask
    if types.is_bool_dtype(dtype) or types.is_integer_dtype(dtype):
        unsigned = types.is_unsigned_integer_dtype(dtype)
        kind, numpy_type = ("u64", "uint64") if unsigned else ("i64", "int64")
        values = series.to_numpy(dtype=numpy_type, na_value=0)
        return kind, values.astype("<" + kind[0] + "8").tobytes(), mask
    if types.is_float_dtype(dtype):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        return "f64", values.astype("<f8").tobytes(), mask
    text = [None if m else _text(v) for v, m in zip(series.tolist(), missing)]
    return "str", text, None


def _from_pandas(frame: Any, names: List[str]) -> _nexus._Table:
    """A pandas DataFrame read without pyarrow: column by column, as bytes or text."""
    columns = []
    for i, label in enumerate(frame.columns):
        kind, data, mask = _pandas_column(frame.iloc[:, i])
        columns.append((str(label), kind, data, mask))
    return _nexus._Table.from_columns(names, columns)


def _to_pandas(result: _nexus._Table) -> Any:
    """A result as a pandas DataFrame without pyarrow."""
    np = importlib.import_module("numpy")
    pd = importlib.import_module("pandas")
    data = {}
    for name, kind, values in result.columns():
        if kind == "f64":
            data[name] = np.frombuffer(values, dtype="<f8").astype("float64")
        elif kind in ("i64", "u64"):
            code = "<i8" if kind == "i64" else "<u8"
            data[name] = np.frombuffer(values, dtype=code).astype(code.replace("<", "="))
        elif kind == "date":
            days = np.frombuffer(values, dtype="<i8").astype("int64")
            data[name] = days.view("datetime64[D]").astype("datetime64[ms]")
        else:
            data[name] = pd.Series(values)
    return pd.DataFrame(data)


# --- Arguments ---------------------------------------------------------------------------


def _date_arg(name: str, value: Optional[DateLike]) -> Optional[str]:
    """A day argument as ISO text for the native module."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(
        f"{name} must be a datetime.date, a datetime.datetime or ISO text, "
        f"not {type(value).__name__}"
    )


def _score_range(index: int, key: str, value: Any) -> Tuple[int, int]:
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    try:
        lo, hi = value
        return (int(lo), int(hi))
    except (TypeError, ValueError):
        raise InvalidArgumentError(
            f"invalid argument `segments`: rule {index}: {key} must be a score or a "
            f"(low, high) pair of scores, not {value!r}"
        ) from None


def _segments_arg(segments: Segments) -> Union[str, List[Tuple[str, Tuple[int, int], Tuple[int, int], Tuple[int, int]]]]:
    """A segment map's name, or the rules as ``(name, r, f, m)`` tuples."""
    if isinstance(segments, str):
        return segments
    rules = []
    for i, rule in enumerate(segments):
        if not isinstance(rule, Mapping):
            raise InvalidArgumentError(
                f"invalid argument `segments`: rule {i} must be a dict with a name and "
                f"r, f, m score ranges, not {type(rule).__name__}"
            )
        unknown = sorted(str(k) for k in rule if k not in _RULE_KEYS)
        if unknown:
            raise InvalidArgumentError(
                f"invalid argument `segments`: rule {i} has unknown keys {', '.join(unknown)} "
                "(expected name, r, f, m)"
            )
        if not isinstance(rule.get("name"), str):
            raise InvalidArgumentError(
                f"invalid argument `segments`: rule {i} needs a name (a str)"
            )
        r, f, m = (_score_range(i, k, rule.get(k, (1, 5))) for k in ("r", "f", "m"))
        rules.append((rule["name"], r, f, m))
    return rules


# --- The analytics -----------------------------------------------------------------------


def summary_data(
    transactions: Table,
    *,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    observation_end: Optional[DateLike] = None,
    calibration_end: Optional[DateLike] = None,
    unit: Unit = "days",
) -> Any:
    """The per-customer summary the lifetime-value models take (as ``lifetimes``'
    ``summary_data_from_transaction_data``).

    Purchases are grouped by UTC day (several orders on one day are one purchase):
    ``frequency`` is the number of repeat purchase days, ``recency`` the time from the
    first to the last purchase day, ``T`` the time from the first purchase day to the end of
    the observation period, ``monetary_value`` the mean amount of the repeat purchase days
    (0 without repeats).

    Args:
        transactions: The transactions table.
        customer: The customer id column (integers, text or categories).
        date: The date column.
        amount: The amount column.
        observation_end: The last day observed (inclusive); later transactions are left
            out. Default: the day of the last transaction.
        calibration_end: The last day of the calibration period: the summary covers the
            days up to it, and ``frequency_holdout``, ``monetary_value_holdout`` and
            ``duration_holdout`` columns describe the days after it, up to
            ``observation_end``.
        unit: ``"days"`` or ``"weeks"`` (days / 7, unrounded) for ``recency``, ``T`` and
            the hold-out duration.

    Returns:
        One row per customer with a purchase by the end of the (calibration) period, sorted
        by customer: the customer column (named as in the input), ``frequency``,
        ``recency``, ``T``, ``monetary_value`` (and the hold-out columns); the same kind of
        table as ``transactions``.

    Raises:
        InvalidDataError: a column is missing or has a bad value (the error's ``column``
            and ``row`` say which).
        InvalidArgumentError: a bad ``unit``, a date that is not one, a calibration end at
            or after the observation end.
    """
    table, kind = _read(transactions, [customer, date, amount])
    result = _nexus.summary_data(
        table,
        customer=customer,
        date=date,
        amount=amount,
        observation_end=_date_arg("observation_end", observation_end),
        calibration_end=_date_arg("calibration_end", calibration_end),
        unit=unit,
    )
    return _write(result, kind)


def rfm(
    transactions: Table,
    *,
    customer: str = "customer_id",
    order: Optional[str] = "order_id",
    date: str = "date",
    amount: str = "amount",
    as_of: Optional[DateLike] = None,
    segments: Segments = "rf_grid",
) -> Any:
    """Recency, frequency and monetary value of every customer, scored 1 to 5 by quintiles
    (as the common pandas ``qcut`` recipe does), with a named segment.

    ``recency`` is the days from the last purchase to ``as_of``, ``frequency`` the distinct
    orders, ``monetary`` their total.

    Args:
        transactions: The transactions table.
        customer: The customer id column.
        order: The order id column; ``None``: every row is one order.
        date: The date column.
        amount: The amount column.
        as_of: The day recency is measured to. Default: the day after the last transaction.
        segments: ``"rf_grid"`` (the 10-segment grid on R and F), ``"rfm_rules"``, or a
            list of rules such as ``{"name": "Big spenders", "m": (5, 5)}`` (see
            :data:`Segments`).

    Returns:
        One row per customer, sorted: the customer column, ``recency``, ``frequency``,
        ``monetary``, ``r_score``, ``f_score``, ``m_score``, ``rfm_cell`` (``"545"``),
        ``rfm_score`` (R + F + M) and ``segment``; the same kind of table as
        ``transactions``.

    Raises:
        InvalidDataError: a column is missing or has a bad value.
        InvalidArgumentError: an unknown segment map, a rule with a range outside 1..5,
            an ``as_of`` before a customer's last purchase.
    """
    table, kind = _read(transactions, [customer, order, date, amount])
    result = _nexus.rfm(
        table,
        customer=customer,
        order=order,
        date=date,
        amount=amount,
        as_of=_date_arg("as_of", as_of),
        segments=_segments_arg(segments),
    )
    return _write(result, kind)


def customer_table(
    transactions: Table,
    *,
    customer: str = "customer_id",
    order: Optional[str] = "order_id",
    date: str = "date",
    amount: str = "amount",
    as_of: Optional[DateLike] = None,
    segments: Segments = "rf_grid",
    observation_end: Optional[DateLike] = None,
    calibration_end: Optional[DateLike] = None,
    unit: Unit = "days",
) -> Any:
    """:func:`rfm` and :func:`summary_data` in one table, the rows read once (faster than
    the two calls on a large table).

    Arguments are those of :func:`rfm` and :func:`summary_data`.

    Returns:
        The columns of :func:`rfm`, then the summary's as ``btyd_frequency``,
        ``btyd_recency``, ``T`` and ``monetary_value`` (and the hold-out ones with a
        ``calibration_end``), null for customers with no purchase by the end of the
        (calibration) period; the same kind of table as ``transactions``.
    """
    table, kind = _read(transactions, [customer, order, date, amount])
    result = _nexus.customer_table(
        table,
        customer=customer,
        order=order,
        date=date,
        amount=amount,
        as_of=_date_arg("as_of", as_of),
        segments=_segments_arg(segments),
        observation_end=_date_arg("observation_end", observation_end),
        calibration_end=_date_arg("calibration_end", calibration_end),
        unit=unit,
    )
    return _write(result, kind)


def rfm_segments(
    transactions: Table,
    *,
    customer: str = "customer_id",
    order: Optional[str] = "order_id",
    date: str = "date",
    amount: str = "amount",
    as_of: Optional[DateLike] = None,
    segments: Segments = "rf_grid",
) -> Any:
    """The RFM segments of :func:`rfm` summed up: one row per segment with customers, in
    the map's order (segments without customers are left out).

    Arguments and exceptions are those of :func:`rfm`.

    Returns:
        ``segment``, ``customers``, ``customer_share`` (0..1), ``revenue``,
        ``revenue_share`` (0..1), and the mean ``recency``, ``frequency`` and ``monetary``
        of the segment's customers; the same kind of table as ``transactions``.
    """
    table, kind = _read(transactions, [customer, order, date, amount])
    result = _nexus.rfm_segments(
        table,
        customer=customer,
        order=order,
        date=date,
        amount=amount,
        as_of=_date_arg("as_of", as_of),
        segments=_segments_arg(segments),
    )
    return _write(result, kind)


def kpis(
    transactions: Table,
    *,
    period: Period = "month",
    by: Optional[str] = None,
    customer: str = "customer_id",
    order: Optional[str] = "order_id",
    date: str = "date",
    amount: str = "amount",
    items: Optional[str] = None,
    refunded: Optional[str] = None,
) -> Any:
    """Business KPIs by period (and by the values of a ``by`` column).

    Per period: ``revenue``, ``orders`` (distinct), ``customers`` (distinct), ``aov``
    (revenue per order), ``items_per_order`` (with ``items``), ``new_customers`` (first
    purchase ever, within the ``by`` group) and ``returning_customers`` with their revenue,
    ``repeat_rate`` (share of the period's customers with two or more orders in it),
    ``refund_rate`` (with ``refunded``: refunded amount / revenue) and
    ``revenue_per_customer`` (revenue to the end of the period per customer so far).
    Periods without a sale between the first and the last are listed with zeros (ratios
    are then missing). Weeks start on Monday; a period is named by its first day.

    Args:
        transactions: The transactions table.
        period: ``"day"``, ``"week"``, ``"month"``, ``"quarter"`` or ``"year"``.
        by: A column to break the KPIs down by (``"store"``, ``"platform"``).
        customer: The customer id column.
        order: The order id column; ``None``: every row is one order.
        date: The date column.
        amount: The amount column.
        items: The column of items per order, for ``items_per_order``.
        refunded: The column of refunded amounts, for ``refund_rate``.

    Returns:
        One row per (group and) period, in order: the ``by`` column when given, ``period``
        (a date), then the KPIs; the same kind of table as ``transactions``.

    Raises:
        InvalidDataError: a column is missing or has a bad value.
        InvalidArgumentError: an unknown ``period``.
    """
    table, kind = _read(transactions, [by, customer, order, date, amount, items, refunded])
    result = _nexus.kpis(
        table,
        period=period,
        by=by,
        customer=customer,
        order=order,
        date=date,
        amount=amount,
        items=items,
        refunded=refunded,
    )
    return _write(result, kind)


def cohorts(
    transactions: Table,
    *,
    period: Period = "month",
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
) -> Any:
    """Cohort retention: customers grouped by the period of their first purchase, each
    cohort followed to the last period of the table.

    Args:
        transactions: The transactions table.
        period: ``"day"``, ``"week"``, ``"month"``, ``"quarter"`` or ``"year"``.
        customer: The customer id column.
        date: The date column.
        amount: The amount column.

    Returns:
        The cohort table in long form, one row per cohort and period: ``cohort`` (a date),
        ``offset`` (periods since the cohort's first), ``period`` (a date), ``size``,
        ``active`` (the cohort's customers who bought in the period), ``retention``
        (active / size), ``revenue`` and ``revenue_per_customer``; the same kind of table
        as ``transactions``. Pivot ``retention`` on ``cohort`` and ``offset`` for the
        usual triangle.

    Raises:
        InvalidDataError: a column is missing or has a bad value.
        InvalidArgumentError: an unknown ``period``.
    """
    table, kind = _read(transactions, [customer, date, amount])
    result = _nexus.cohorts(table, period=period, customer=customer, date=date, amount=amount)
    return _write(result, kind)
