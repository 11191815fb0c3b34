"""Customer analytics from Python: tables in and out (pandas, polars, pyarrow), the BTYD
summary on CDNOW, RFM, KPIs and cohorts by hand, errors, and the lifetime-value models."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import nexus
from nexus import _analytics

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"

Columns = Dict[str, List[Any]]


# --- Helpers -----------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A cell as a plain Python value: dates as dates, missing as None."""
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def columns_of(table: Any) -> Columns:
    """Any result table as a dict of plain lists."""
    if isinstance(table, pd.DataFrame):
        return {str(c): [_plain(v) for v in table[c].tolist()] for c in table.columns}
    if isinstance(table, pl.DataFrame):
        return {c: [_plain(v) for v in vals] for c, vals in table.to_dict(as_series=False).items()}
    assert isinstance(table, pa.Table), type(table)
    return {c: [_plain(v) for v in vals] for c, vals in table.to_pydict().items()}


def make(kind: str, data: Columns) -> Any:
    """A table of ``kind`` from plain columns."""
    if kind == "pandas":
        return pd.DataFrame(data)
    if kind == "polars":
        return pl.DataFrame(data)
    return pa.table(data)


KINDS = ["pandas", "polars", "pyarrow"]
TYPES: Dict[str, type] = {"pandas": pd.DataFrame, "polars": pl.DataFrame, "pyarrow": pa.Table}


def cdnow() -> Tuple[List[int], List[date], List[float]]:
    """The CDNOW sample: sample customer id, date, dollar value."""
    customer: List[int] = []
    day: List[date] = []
    amount: List[float] = []
    for line in (DATA / "CDNOW_sample.txt").read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if not fields:
            continue
        customer.append(int(fields[1]))
        day.append(datetime.strptime(fields[2], "%Y%m%d").date())
        amount.append(float(fields[4]))
    return customer, day, amount


def cdnow_table(kind: str) -> Any:
    """CDNOW as a table of ``kind`` with the library's own date type."""
    customer, day, amount = cdnow()
    if kind == "pandas":
        return pd.DataFrame(
            {"customer_id": customer, "date": pd.to_datetime(day), "amount": amount}
        )
    if kind == "polars":
        return pl.DataFrame(
            {"customer_id": customer, "date": day, "amount": amount},
            schema={"customer_id": pl.Int64, "date": pl.Date, "amount": pl.Float64},
        )
    return pa.table(
        {
            "customer_id": pa.array(customer, pa.int64()),
            "date": pa.array(day, pa.date32()),
            "amount": pa.array(amount, pa.float64()),
        }
    )


def read_csv(name: str) -> Columns:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    rows = [[float(v) for v in line.split(",")] for line in lines[1:] if line]
    return {h: [r[i] for r in rows] for i, h in enumerate(header)}


def close(ours: float, theirs: float, tol: float = 0.005) -> bool:
    return abs(ours - theirs) <= tol + 1e-9


# The 13-row table of the Rust tests in nexus-core/src/analytics/rfm.rs.
RFM_TABLE: Columns = {
    "customer_id": [1, 1, 1, 2, 3, 3, 4, 5, 5, 5, 5, 6, 7],
    "order_id": list(range(1, 14)),
    "date": [
        "2024-01-01", "2024-01-05", "2024-01-05", "2024-01-10", "2024-01-02", "2024-01-20",
        "2024-01-30", "2024-01-03", "2024-01-04", "2024-01-15", "2024-01-31", "2024-01-01",
        "2024-01-25",
    ],
    "amount": [10.0, 20.0, 30.0, 5.0, 8.0, 12.0, 100.0, 1.0, 2.0, 3.0, 4.0, 7.0, 50.0],
}

RFM_SEGMENTS = [
    "Can't Lose Them",
    "Hibernating",
    "Loyal Customers",
    "New Customers",
    "Champions",
    "Hibernating",
    "Potential Loyalist",
]

# The 7-row table of the Rust tests in nexus-core/src/analytics/kpi.rs.
KPI_TABLE: Columns = {
    "customer_id": ["alice", "alice", "bob", "bob", "alice", "cy", "cy"],
    "order_id": [1, 2, 3, 4, 5, 6, 6],
    "date": [
        "2024-01-05", "2024-01-20", "2024-01-10", "2024-02-02", "2024-03-01", "2024-03-15",
        "2024-03-15",
    ],
    "amount": [10.0, 30.0, 20.0, 5.0, 15.0, 8.0, 2.0],
    "items": [1.0, 3.0, 2.0, 1.0, 1.0, 1.0, 1.0],
    "refunded": [0.0, 10.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    "store": ["a", "a", "b", "a", "a", "b", "b"],
}


def rfm_days(kind: str) -> Any:
    """RFM_TABLE with the dates as the library's date type."""
    data = dict(RFM_TABLE)
    data["date"] = [date.fromisoformat(d) for d in RFM_TABLE["date"]]
    if kind == "pandas":
        data["date"] = pd.to_datetime(data["date"])
    return make(kind, data)


# --- The BTYD summary on CDNOW -----------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_cdnow_summary_equals_the_published_one(kind: str) -> None:
    result = nexus.summary_data(
        cdnow_table(kind),
        calibration_end=date(1997, 9, 30),
        observation_end="1998-06-30",
        unit="weeks",
    )
    assert type(result) is TYPES[kind]
    ours = columns_of(result)
    assert list(ours) == [
        "customer_id",
        "frequency",
        "recency",
        "T",
        "monetary_value",
        "frequency_holdout",
        "monetary_value_holdout",
        "duration_holdout",
    ]
    theirs = read_csv("cdnow_customers_summary_with_transactions.csv")
    assert ours["customer_id"] == [int(i) for i in theirs["ID"]]
    assert ours["frequency"] == theirs["x"]
    for column, published in (("recency", "t_x"), ("T", "T"), ("monetary_value", "zbar")):
        bad = [
            (theirs["ID"][i], a, b)
            for i, (a, b) in enumerate(zip(ours[column], theirs[published]))
            if not close(a, b)
        ]
        assert not bad, f"{column}: {bad[:5]}"
    assert all(close(d, 273 / 7, 1e-12) for d in ours["duration_holdout"])
    assert sum(ours["frequency_holdout"]) > 0


def test_summary_in_days_without_calibration() -> None:
    s = columns_of(nexus.summary_data(pl.DataFrame(RFM_TABLE)))
    assert s["customer_id"] == [1, 2, 3, 4, 5, 6, 7]
    # Customer 1: days Jan 1 and Jan 5 (two orders on Jan 5): one repeat day worth 50.
    assert (s["frequency"][0], s["recency"][0], s["T"][0], s["monetary_value"][0]) == (
        1.0,
        4.0,
        30.0,
        50.0,
    )
    assert (s["frequency"][4], s["recency"][4], s["T"][4], s["monetary_value"][4]) == (
        3.0,
        28.0,
        28.0,
        3.0,
    )
    weeks = columns_of(nexus.summary_data(pl.DataFrame(RFM_TABLE), unit="weeks"))
    assert weeks["T"][0] == 30 / 7


def test_every_kind_of_date_gives_the_same_summary() -> None:
    days = [date.fromisoformat(d) for d in RFM_TABLE["date"]]
    noon = [datetime(d.year, d.month, d.day, 12, tzinfo=timezone.utc) for d in days]
    base = {k: v for k, v in RFM_TABLE.items() if k != "date"}
    expected = columns_of(nexus.summary_data(pl.DataFrame(RFM_TABLE)))

    def with_dates(kind: str, dates: Any) -> Any:
        return make(kind, {**base, "date": dates})

    tables = {
        "pandas datetime64": with_dates("pandas", pd.to_datetime(days)),
        "pandas datetime64[s]": with_dates("pandas", pd.to_datetime(days).astype("datetime64[s]")),
        "pandas tz-aware": with_dates(
            "pandas", pd.to_datetime(noon, utc=True).tz_convert("America/New_York")
        ),
        "pandas ISO text": with_dates("pandas", RFM_TABLE["date"]),
        "pandas date objects": with_dates("pandas", pd.Series(days, dtype=object)),
        "polars Date": with_dates("polars", pl.Series(days, dtype=pl.Date)),
        "polars Datetime UTC": with_dates(
            "polars", pl.Series(noon, dtype=pl.Datetime("us", "UTC"))
        ),
        "polars Datetime ms": with_dates(
            "polars", pl.Series([datetime(d.year, d.month, d.day) for d in days]).cast(pl.Datetime("ms"))
        ),
        "polars text": with_dates("polars", RFM_TABLE["date"]),
        "pyarrow date32": with_dates("pyarrow", pa.array(days, pa.date32())),
        "pyarrow timestamp tz": with_dates("pyarrow", pa.array(noon, pa.timestamp("ns", "Asia/Tokyo"))),
        "pyarrow text": with_dates("pyarrow", pa.array(RFM_TABLE["date"], pa.string())),
        "pyarrow large text": with_dates("pyarrow", pa.array(RFM_TABLE["date"], pa.large_string())),
        "RFC 3339 text": with_dates("pyarrow", [t.isoformat() for t in noon]),
    }
    for name, table in tables.items():
        assert columns_of(nexus.summary_data(table)) == expected, name


def test_ids_amounts_and_categories_of_every_type() -> None:
    expected = columns_of(nexus.rfm(pl.DataFrame(RFM_TABLE)))
    text = {**RFM_TABLE, "customer_id": [f"c{c}" for c in RFM_TABLE["customer_id"]]}
    text_expected = columns_of(nexus.rfm(pl.DataFrame(text)))
    assert text_expected["customer_id"][0] == "c1"
    assert text_expected["segment"] == expected["segment"]
    decimals = [Decimal(str(a)) for a in RFM_TABLE["amount"]]
    cases = {
        "polars Decimal": (pl.DataFrame({**RFM_TABLE, "amount": pl.Series(decimals, dtype=pl.Decimal(10, 2))}), expected),
        "pyarrow decimal128": (pa.table({**RFM_TABLE, "amount": pa.array(decimals, pa.decimal128(10, 2))}), expected),
        "pandas Decimal objects": (pd.DataFrame({**RFM_TABLE, "amount": pd.Series(decimals, dtype=object)}), expected),
        "integer amounts": (pl.DataFrame({**RFM_TABLE, "amount": [int(a) for a in RFM_TABLE["amount"]]}), None),
        "int32 ids": (pa.table({**RFM_TABLE, "customer_id": pa.array(RFM_TABLE["customer_id"], pa.int32())}), expected),
        "uint8 ids": (pl.DataFrame(RFM_TABLE).with_columns(pl.col("customer_id").cast(pl.UInt8)), expected),
        "polars Categorical ids": (pl.DataFrame(text).with_columns(pl.col("customer_id").cast(pl.Categorical)), text_expected),
        "pandas category ids": (pd.DataFrame(text).astype({"customer_id": "category"}), text_expected),
        "pyarrow dictionary ids": (pa.table({**text, "customer_id": pa.array(text["customer_id"]).dictionary_encode()}), text_expected),
        "text order ids": (pl.DataFrame({**RFM_TABLE, "order_id": [f"#{o}" for o in RFM_TABLE["order_id"]]}), expected),
    }
    for name, (table, want) in cases.items():
        got = columns_of(nexus.rfm(table))
        if want is None:
            assert got["segment"] == expected["segment"], name
        else:
            assert got == want, name


def test_columns_that_are_not_read_may_be_of_any_type() -> None:
    extra = pl.DataFrame(RFM_TABLE).with_columns(
        nested=pl.struct(pl.col("order_id"), pl.col("amount")),
        tags=pl.concat_list(pl.col("order_id")),
        note=pl.lit(None),
    )
    assert columns_of(nexus.rfm(extra)) == columns_of(nexus.rfm(pl.DataFrame(RFM_TABLE)))
    messy = pd.DataFrame(RFM_TABLE).assign(stuff=[object()] * 13, more=[{"a": 1}] * 13)
    assert columns_of(nexus.rfm(messy))["segment"] == RFM_SEGMENTS


def test_other_arrow_producers_get_a_pyarrow_table() -> None:
    class Producer:
        def __init__(self, table: pa.Table) -> None:
            self.table = table

        def __arrow_c_stream__(self, requested_schema: object = None) -> object:
            return self.table.__arrow_c_stream__(requested_schema)

    reader = pa.RecordBatchReader.from_batches(
        pa.table(RFM_TABLE).schema, pa.table(RFM_TABLE).to_batches(max_chunksize=4)
    )
    for source in (Producer(pa.table(RFM_TABLE)), reader):
        result = nexus.rfm(source)
        assert isinstance(result, pa.Table)
        assert columns_of(result)["segment"] == RFM_SEGMENTS
    # Several batches, chunked columns: the same result.
    chunked = pa.Table.from_batches(pa.table(RFM_TABLE).to_batches(max_chunksize=3))
    assert columns_of(nexus.rfm(chunked))["segment"] == RFM_SEGMENTS


def test_pandas_without_pyarrow_uses_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    days = [date.fromisoformat(d) for d in RFM_TABLE["date"]]
    noon = pd.to_datetime([datetime(d.year, d.month, d.day, 12) for d in days], utc=True)
    frames = [
        pd.DataFrame(RFM_TABLE),
        pd.DataFrame({**RFM_TABLE, "date": pd.to_datetime(days)}),
        pd.DataFrame({**RFM_TABLE, "date": noon.tz_convert("Europe/Paris")}),
        pd.DataFrame({**RFM_TABLE, "date": pd.Series(days, dtype=object)}),
        pd.DataFrame(RFM_TABLE).astype({"customer_id": "Int64", "amount": "Float64"}),
        pd.DataFrame(RFM_TABLE).astype({"customer_id": "uint16", "order_id": "str"}),
        pd.DataFrame({**RFM_TABLE, "amount": [Decimal(str(a)) for a in RFM_TABLE["amount"]]}),
    ]
    with_arrow = [
        (columns_of(nexus.rfm(f)), columns_of(nexus.kpis(f)), columns_of(nexus.cohorts(f)))
        for f in frames
    ]
    monkeypatch.setattr(_analytics, "_has", lambda module: module != "pyarrow")
    for frame, (rfm, kpis, cohorts) in zip(frames, with_arrow):
        out = nexus.rfm(frame)
        assert isinstance(out, pd.DataFrame)
        assert columns_of(out) == rfm
        assert columns_of(nexus.kpis(frame)) == kpis
        assert columns_of(nexus.cohorts(frame)) == cohorts
    summary = nexus.summary_data(cdnow_table("pandas"), calibration_end="1997-09-30", unit="weeks")
    assert len(summary) == 2357
    assert str(nexus.kpis(frames[0])["period"].dtype).startswith("datetime64")
    with pytest.raises(nexus.InvalidDataError) as err:
        nexus.rfm(pd.DataFrame({**RFM_TABLE, "amount": [1.0, math.nan] + [1.0] * 11}))
    assert (err.value.column, err.value.row) == ("amount", 1)


# --- RFM ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_rfm_scores_and_segments_by_hand(kind: str) -> None:
    result = nexus.rfm(rfm_days(kind))
    assert type(result) is TYPES[kind]
    r = columns_of(result)
    assert list(r) == [
        "customer_id",
        "recency",
        "frequency",
        "monetary",
        "r_score",
        "f_score",
        "m_score",
        "rfm_cell",
        "rfm_score",
        "segment",
    ]
    assert r["customer_id"] == [1, 2, 3, 4, 5, 6, 7]
    assert r["recency"] == [27, 22, 12, 2, 1, 31, 7]
    assert r["frequency"] == [3, 1, 2, 1, 4, 1, 1]
    assert r["monetary"] == [60.0, 5.0, 20.0, 100.0, 10.0, 7.0, 50.0]
    assert r["r_score"] == [1, 2, 3, 5, 5, 1, 4]
    assert r["f_score"] == [5, 1, 4, 1, 5, 2, 3]
    assert r["m_score"] == [5, 1, 3, 5, 2, 1, 4]
    assert r["rfm_cell"][0] == "155"
    assert r["rfm_score"][0] == 11
    assert r["segment"] == RFM_SEGMENTS

    summary = nexus.rfm_segments(rfm_days(kind))
    assert type(summary) is TYPES[kind]
    s = columns_of(summary)
    hib = s["segment"].index("Hibernating")
    assert s["customers"][hib] == 2
    assert math.isclose(s["revenue_share"][hib], 12 / 252, rel_tol=1e-12)
    assert s["recency"][hib] == 26.5
    assert sum(s["customers"]) == 7


def test_rfm_options() -> None:
    table = pl.DataFrame(RFM_TABLE)
    # Every row its own order: customer 1 has three.
    no_orders = columns_of(nexus.rfm(table.drop("order_id"), order=None))
    assert no_orders["frequency"] == [3, 1, 2, 1, 4, 1, 1]
    later = columns_of(nexus.rfm(table, as_of=date(2024, 2, 11)))
    assert later["recency"] == [37, 32, 22, 12, 11, 41, 17]
    assert columns_of(nexus.rfm(table, as_of=datetime(2024, 2, 11, 23, tzinfo=timezone.utc))) == later
    assert columns_of(nexus.rfm(table, as_of="2024-02-11T10:00:00Z")) == later
    rules = columns_of(nexus.rfm(table, segments="rfm_rules"))
    # Cells 155 211 343 515 552 121 434 under the rules on all three scores (515 and 552
    # match none: a recent high spender with one order, a frequent low spender).
    assert rules["segment"] == [
        "Can't Lose Them",
        "About To Sleep",
        "Loyal Customers",
        "Others",
        "Others",
        "Hibernating",
        "Loyal Customers",
    ]
    custom = columns_of(
        nexus.rfm(
            table,
            segments=[
                {"name": "Big", "m": (5, 5)},
                {"name": "Recent", "r": 5},
                {"name": "Lapsed", "r": (1, 2), "f": (1, 5), "m": (1, 5)},
            ],
        )
    )
    assert custom["segment"] == ["Big", "Lapsed", "Others", "Big", "Recent", "Lapsed", "Others"]
    seg = columns_of(nexus.rfm_segments(table, segments=[{"name": "Big", "m": (4, 5)}]))
    assert seg["segment"] == ["Big", "Others"]
    assert seg["customers"] == [3, 4]


def test_rfm_on_cdnow() -> None:
    customer, day, amount = cdnow()
    table = pl.DataFrame({"cust": customer, "when": day, "usd": amount})
    r = nexus.rfm(table, customer="cust", order=None, date="when", amount="usd")
    assert r.height == 2357
    assert set(r["r_score"].unique().to_list()) == {1, 2, 3, 4, 5}
    s = nexus.rfm_segments(table, customer="cust", order=None, date="when", amount="usd")
    assert s["customers"].sum() == 2357
    assert math.isclose(s["revenue"].sum(), sum(amount), rel_tol=1e-9)


def test_customer_table_joins_rfm_and_the_summary() -> None:
    customer, day, amount = cdnow()
    table = pl.DataFrame({"customer_id": customer, "date": day, "amount": amount})
    both = nexus.customer_table(
        table, order=None, calibration_end="1997-09-30", observation_end="1998-06-30", unit="weeks"
    )
    rfm = nexus.rfm(table, order=None)
    summary = nexus.summary_data(
        table, calibration_end="1997-09-30", observation_end="1998-06-30", unit="weeks"
    )
    assert both.height == rfm.height == 2357
    assert both["segment"].to_list() == rfm["segment"].to_list()
    assert both["btyd_frequency"].to_list() == summary["frequency"].to_list()
    assert both["T"].to_list() == summary["T"].to_list()
    assert both["frequency_holdout"].to_list() == summary["frequency_holdout"].to_list()


# --- KPIs and cohorts --------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_monthly_kpis_by_hand(kind: str) -> None:
    result = nexus.kpis(make(kind, KPI_TABLE), items="items", refunded="refunded")
    assert type(result) is TYPES[kind]
    k = columns_of(result)
    assert k["period"] == [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)]
    assert (k["revenue"][0], k["orders"][0], k["customers"][0]) == (60.0, 3, 2)
    assert k["aov"][0] == 20.0
    assert k["items_per_order"][0] == 2.0
    assert (k["new_customers"][0], k["returning_customers"][0]) == (2, 0)
    assert k["repeat_rate"][0] == 0.5
    assert k["refund_rate"][0] == 10 / 60
    assert k["revenue_per_customer"][0] == 30.0
    assert (k["revenue"][1], k["new_customers"][1], k["returning_customers"][1]) == (5.0, 0, 1)
    assert k["returning_revenue"][1] == 5.0
    assert (k["orders"][2], k["customers"][2], k["new_customers"][2]) == (2, 2, 1)
    assert (k["new_revenue"][2], k["returning_revenue"][2]) == (10.0, 15.0)
    assert k["revenue_per_customer"][2] == 30.0
    plain = columns_of(nexus.kpis(make(kind, KPI_TABLE)))
    assert "items_per_order" not in plain and "refund_rate" not in plain


@pytest.mark.parametrize("kind", KINDS)
def test_kpis_by_store_fill_empty_periods(kind: str) -> None:
    k = columns_of(nexus.kpis(make(kind, KPI_TABLE), by="store"))
    assert list(k)[:2] == ["store", "period"]
    rows = list(zip(k["store"], k["period"], k["revenue"], k["new_customers"]))
    assert rows == [
        ("a", date(2024, 1, 1), 40.0, 1),
        ("a", date(2024, 2, 1), 5.0, 1),
        ("a", date(2024, 3, 1), 15.0, 0),
        ("b", date(2024, 1, 1), 20.0, 1),
        ("b", date(2024, 2, 1), 0.0, 0),
        ("b", date(2024, 3, 1), 10.0, 1),
    ]
    assert k["aov"][4] is None
    weekly = columns_of(nexus.kpis(make(kind, KPI_TABLE), period="week"))
    assert weekly["period"][0] == date(2024, 1, 1)  # the Monday of 2024-01-05
    assert all(p.weekday() == 0 for p in weekly["period"])


@pytest.mark.parametrize("kind", KINDS)
def test_cohort_retention_by_hand(kind: str) -> None:
    result = nexus.cohorts(make(kind, KPI_TABLE))
    assert type(result) is TYPES[kind]
    c = columns_of(result)
    assert list(c) == [
        "cohort",
        "offset",
        "period",
        "size",
        "active",
        "retention",
        "revenue",
        "revenue_per_customer",
    ]
    jan = [
        (c["offset"][i], c["active"][i], c["retention"][i], c["revenue"][i])
        for i in range(len(c["cohort"]))
        if c["cohort"][i] == date(2024, 1, 1)
    ]
    assert jan == [(0, 2, 1.0, 60.0), (1, 1, 0.5, 5.0), (2, 1, 0.5, 15.0)]
    mar = [i for i in range(len(c["cohort"])) if c["cohort"][i] == date(2024, 3, 1)]
    assert len(mar) == 1
    assert (c["size"][mar[0]], c["revenue_per_customer"][mar[0]]) == (1, 10.0)
    assert len(c["cohort"]) == 4
    quarterly = columns_of(nexus.cohorts(make(kind, KPI_TABLE), period="quarter"))
    assert quarterly["size"] == [3]


def test_calls_run_in_parallel_threads() -> None:
    table = cdnow_table("polars")
    expected = columns_of(nexus.rfm(table, order=None))
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: columns_of(nexus.rfm(table, order=None)), range(8)))
    assert all(r == expected for r in results)


# --- Errors ------------------------------------------------------------------------------


def raises_invalid_data(call: Callable[[], Any]) -> nexus.InvalidDataError:
    with pytest.raises(nexus.InvalidDataError) as info:
        call()
    err = info.value
    assert isinstance(err, nexus.DataError) and isinstance(err, ValueError)
    assert err.code == "invalid_data"
    assert err.errors and err.errors[0].code == "invalid_data"
    return err


@pytest.mark.parametrize("kind", KINDS)
def test_bad_tables_name_the_column_and_row(kind: str) -> None:
    err = raises_invalid_data(lambda: nexus.rfm(make(kind, RFM_TABLE), amount="total"))
    assert (err.column, err.row) == ("total", None)
    assert "column `total`" in str(err)
    assert "customer_id, order_id, date, amount" in str(err)

    negative = {**RFM_TABLE, "amount": [1.0, -2.0] + RFM_TABLE["amount"][2:]}
    err = raises_invalid_data(lambda: nexus.rfm(make(kind, negative)))
    assert (err.column, err.row) == ("amount", 1)
    assert "negative" in str(err)
    assert (err.errors[0].path, err.errors[0].index) == ("amount", 1)

    bad_date = {**RFM_TABLE, "date": RFM_TABLE["date"][:2] + ["soon"] + RFM_TABLE["date"][3:]}
    err = raises_invalid_data(lambda: nexus.kpis(make(kind, bad_date)))
    assert (err.column, err.row) == ("date", 2)
    assert "soon" in str(err)

    nulls = {**RFM_TABLE, "customer_id": [1, None] + RFM_TABLE["customer_id"][2:]}
    err = raises_invalid_data(lambda: nexus.summary_data(make(kind, nulls)))
    assert (err.column, err.row) == ("customer_id", 1)
    assert "null" in str(err)

    wrong_type = {**RFM_TABLE, "amount": [True] * 13}
    err = raises_invalid_data(lambda: nexus.cohorts(make(kind, wrong_type)))
    assert err.column == "amount"


def test_unsupported_column_types_are_named() -> None:
    table = pl.DataFrame(RFM_TABLE).with_columns(date=pl.concat_list(pl.col("date")))
    err = raises_invalid_data(lambda: nexus.rfm(table))
    assert err.column == "date"
    assert "not supported" in str(err)
    err = raises_invalid_data(lambda: nexus.rfm(pl.DataFrame(RFM_TABLE).head(0)))
    assert err.column is None
    assert "no transactions" in str(err)


def test_bad_arguments() -> None:
    table = pl.DataFrame(RFM_TABLE)
    bad: List[Tuple[Callable[[], Any], str]] = [
        (lambda: nexus.summary_data(table, unit="months"), "unit"),  # type: ignore[arg-type]
        (lambda: nexus.summary_data(table, calibration_end="2024-02-01"), "calibration_end"),
        (lambda: nexus.summary_data(table, observation_end="31/01/2024"), "observation_end"),
        (lambda: nexus.kpis(table, period="fortnight"), "period"),  # type: ignore[arg-type]
        (lambda: nexus.cohorts(table, period="decade"), "period"),  # type: ignore[arg-type]
        (lambda: nexus.rfm(table, segments="grid"), "segments"),  # type: ignore[arg-type]
        (lambda: nexus.rfm(table, segments=[{"name": "x", "r": (0, 5)}]), "segments"),
        (lambda: nexus.rfm(table, segments=[{"name": "x", "r": (1, 500)}]), "segments"),
        (lambda: nexus.rfm(table, segments=[{"name": "x", "recency": (1, 5)}]), "segments"),
        (lambda: nexus.rfm(table, segments=[{"r": (1, 5)}]), "segments"),
        (lambda: nexus.rfm(table, segments=[{"name": "x", "r": "high"}]), "segments"),
        (lambda: nexus.rfm(table, as_of="2024-01-15"), "as_of"),
    ]
    for call, name in bad:
        with pytest.raises(nexus.InvalidArgumentError) as err:
            call()
        assert err.value.code == "invalid_argument"
        assert f"`{name}`" in str(err.value), str(err.value)
    with pytest.raises(TypeError, match="unexpected keyword"):
        nexus.rfm(table, segmnets="rf_grid")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="polars LazyFrame"):
        nexus.rfm(table.lazy())
    with pytest.raises(TypeError, match="pandas, polars or pyarrow"):
        nexus.rfm(RFM_TABLE)
    with pytest.raises(TypeError, match="as_of"):
        nexus.rfm(table, as_of=20240101)  # type: ignore[arg-type]


def test_error_classes() -> None:
    assert issubclass(nexus.InvalidDataError, nexus.DataError)
    assert issubclass(nexus.FitError, nexus.NexusError)
    assert not issubclass(nexus.FitError, ValueError)
    for cls in (nexus.InvalidDataError, nexus.FitError):
        assert cls.__module__ == "nexus"
        assert cls("made by hand").code == cls.default_code
    assert nexus.InvalidDataError("x").code == "invalid_data"
    assert nexus.FitError("x").code == "fit_failed"
    err = nexus.FitError("BetaGeo could not be fitted: ...", model="BetaGeo")
    assert err.model == "BetaGeo"


# --- Lifetime value ----------------------------------------------------------------------


def rel(a: float, b: float) -> float:
    return abs(a - b) / abs(b)


def cdnow_summary() -> Tuple[List[float], List[float], List[float]]:
    s = read_csv("cdnow_customers_summary.csv")
    return s["frequency"], s["recency"], s["T"]


@pytest.fixture(scope="module")
def bg() -> nexus.FittedBetaGeo:
    return nexus.BetaGeo().fit(*cdnow_summary())


def test_bg_nbd_on_cdnow_matches_the_published_estimates(bg: nexus.FittedBetaGeo) -> None:
    p = bg.params
    assert list(p) == ["r", "alpha", "a", "b"]
    for name, published in (("r", 0.243), ("alpha", 4.414), ("a", 0.793), ("b", 2.426)):
        assert rel(p[name], published) < 5e-3, p
    assert bg.log_likelihood is not None
    assert abs(bg.log_likelihood - -9582.4) < 0.05
    assert bg.n_customers == 2357
    se = bg.standard_errors
    assert se is not None and list(se) == list(p)
    assert all(math.isfinite(v) and v > 0 for v in se.values())
    assert repr(bg).startswith("<FittedBetaGeo r=0.24")


def test_bg_nbd_predictions(bg: nexus.FittedBetaGeo) -> None:
    f, r, t = cdnow_summary()
    arrays = np.array(f), np.array(r), np.array(t)
    expected = bg.expected_purchases(39, *arrays)
    assert isinstance(expected, np.ndarray) and expected.dtype == np.float64
    assert expected.shape == (2357,) and np.isfinite(expected).all()
    alive = bg.probability_alive(*arrays)
    assert ((alive >= 0) & (alive <= 1)).all()
    assert (alive[np.array(f) == 0] == 1.0).all()
    # The same from lists, tuples, pandas and polars Series.
    series = [pd.Series(f), pl.Series(r), tuple(t)]
    assert np.array_equal(bg.expected_purchases(39, *series), expected)
    assert np.array_equal(bg.expected_purchases(39, f, r, t), expected)
    # One customer: a float.
    one = bg.expected_purchases(39, f[0], r[0], t[0])
    assert isinstance(one, float) and one == expected[0]
    # FHL 2005, section 5: x = 2, t_x = 30.43, T = 38.86 expects 1.226 purchases in 39 weeks.
    assert abs(bg.expected_purchases(39, 2, 30.43, 38.86) - 1.226) < 1e-3
    # A new customer, as in Hardie's BG/NBD spreadsheet.
    new = bg.expected_purchases_new([0.0, 1.0, 31.8571, 78.0])
    assert new[0] == 0.0
    assert np.allclose(new[1:], [0.0532, 1.0405, 1.8576], atol=5e-4)
    assert isinstance(bg.expected_purchases_new(39.0), float)
    pmf = bg.probability_of_purchases(list(range(60)), 39.0)
    assert abs(pmf.sum() - 1.0) < 1e-4  # the tail past 59 purchases is about 7e-6
    assert bg.probability_of_purchases(0, 39.0) == pmf[0]
    assert bg.probability_of_purchases(np.int64(0), 39.0) == pmf[0]
    assert np.array_equal(bg.probability_of_purchases(np.arange(3), 39.0), pmf[:3])
    # The result is a writable array of its own.
    expected[0] = -1.0
    assert bg.expected_purchases(39, f[:1], r[:1], t[:1])[0] != -1.0


def test_other_purchase_models_on_cdnow() -> None:
    f, r, t = cdnow_summary()
    mbg = nexus.ModifiedBetaGeo().fit(f, r, t)
    assert isinstance(mbg, nexus.FittedModifiedBetaGeo)
    assert list(mbg.params) == ["r", "alpha", "a", "b"]
    assert mbg.log_likelihood is not None and math.isfinite(mbg.log_likelihood)
    pareto = nexus.ParetoNBD().fit(f, r, t)
    assert isinstance(pareto, nexus.FittedParetoNBD)
    p = pareto.params
    for name, published in (("r", 0.553), ("alpha", 10.578), ("s", 0.606), ("beta", 11.669)):
        assert rel(p[name], published) < 5e-3, p
    assert pareto.log_likelihood is not None
    assert abs(pareto.log_likelihood - -9595.0) < 0.05
    for model in (mbg, pareto):
        assert np.isfinite(model.expected_purchases(52, f, r, t)).all()
        assert np.isfinite(model.probability_alive(f, r, t)).all()
        assert np.isfinite(model.expected_purchases_new([1.0, 10.0])).all()
        assert np.isfinite(model.probability_of_purchases([0, 1, 2], 10.0)).all()
    # A penalizer shrinks the parameters.
    shrunk = nexus.BetaGeo(penalizer=0.1).fit(f, r, t).params
    assert sum(v * v for v in shrunk.values()) < sum(
        v * v for v in nexus.BetaGeo().fit(f, r, t).params.values()
    )


def test_gamma_gamma_and_clv_on_cdnow(bg: nexus.FittedBetaGeo) -> None:
    s = read_csv("cdnow_customers_summary_with_transactions.csv")
    x, zbar = np.array(s["x"]), np.array(s["zbar"])
    gg = nexus.GammaGamma().fit(x, zbar)
    assert isinstance(gg, nexus.FittedGammaGamma)
    p = gg.params
    assert list(p) == ["p", "q", "v"]
    for name, published in (("p", 6.25), ("q", 3.74), ("v", 15.44)):
        assert rel(p[name], published) < 5e-3, p
    assert gg.n_customers == 946
    assert gg.standard_errors is not None
    assert gg.log_likelihood is not None and math.isfinite(gg.log_likelihood)
    assert math.isclose(gg.population_mean, p["p"] * p["v"] / (p["q"] - 1))
    value = gg.expected_average_value(x, zbar)
    assert np.isfinite(value).all()
    assert math.isclose(value[x == 0][0], gg.population_mean)
    clv = gg.clv(bg, x, np.array(s["t_x"]), np.array(s["T"]), zbar, months=12, unit="weeks")
    assert clv.shape == (2357,) and np.isfinite(clv).all() and (clv >= 0).all()
    longer = gg.clv(bg, x, s["t_x"], s["T"], zbar, months=24, unit="weeks")
    assert (longer >= clv).all() and longer.sum() > clv.sum()
    undiscounted = gg.clv(bg, x, s["t_x"], s["T"], zbar, unit="weeks", discount_rate=0.0)
    assert undiscounted.sum() > clv.sum()
    pareto = nexus.ParetoNBD().fit(*cdnow_summary())
    assert np.isfinite(gg.clv(pareto, x, s["t_x"], s["T"], zbar, unit="weeks")).all()


def test_models_from_params(bg: nexus.FittedBetaGeo) -> None:
    f, r, t = cdnow_summary()
    again = nexus.FittedBetaGeo.from_params(bg.params)
    assert again.params == bg.params
    assert again.log_likelihood is None and again.standard_errors is None
    assert again.n_customers == 0
    assert np.array_equal(again.expected_purchases(10, f, r, t), bg.expected_purchases(10, f, r, t))
    gg = nexus.FittedGammaGamma.from_params({"p": 6.25, "q": 3.74, "v": 15.44})
    assert gg.params == {"p": 6.25, "q": 3.74, "v": 15.44}
    assert nexus.FittedParetoNBD.from_params({"r": 0.5, "alpha": 10, "s": 0.6, "beta": 12}).params["beta"] == 12
    assert nexus.FittedModifiedBetaGeo.from_params(bg.params).params == bg.params
    for bad in ({"r": 1.0}, {**bg.params, "z": 1.0}, {**bg.params, "r": -1.0}):
        with pytest.raises(nexus.InvalidArgumentError, match="params"):
            nexus.FittedBetaGeo.from_params(bad)


def test_model_errors(bg: nexus.FittedBetaGeo) -> None:
    f, r, t = cdnow_summary()
    with pytest.raises(nexus.InvalidDataError) as err:
        nexus.BetaGeo().fit(f, r, t[:-1])
    assert err.value.column == "T"
    bad_r = list(r)
    bad_r[5] = t[5] + 1
    with pytest.raises(nexus.InvalidDataError) as err:
        bg.probability_alive(f, bad_r, t)
    assert (err.value.column, err.value.row) == ("recency", 5)
    with pytest.raises(nexus.InvalidDataError) as err:
        bg.expected_purchases(1.0, [1.5], [1.0], [2.0])
    assert (err.value.column, err.value.row) == ("frequency", 0)
    with pytest.raises(nexus.InvalidDataError) as err:
        bg.expected_purchases(1.0, pl.Series([1.0, None]), [1.0, 1.0], [2.0, 2.0])
    assert (err.value.column, err.value.row) == ("frequency", 1)
    with pytest.raises(nexus.InvalidDataError) as err:
        bg.probability_alive(pd.Series([1.0, None], dtype="Float64"), [1.0, 1.0], [2.0, 2.0])
    assert (err.value.column, err.value.row) == ("frequency", 1)
    with pytest.raises(nexus.InvalidArgumentError):
        bg.expected_purchases(-1.0, f, r, t)
    with pytest.raises(nexus.InvalidArgumentError):
        nexus.BetaGeo(penalizer=-1).fit(f, r, t)
    with pytest.raises(nexus.FitError) as fit:
        nexus.BetaGeo().fit([0.0, 0.0], [0.0, 0.0], [5.0, 6.0])
    assert fit.value.code == "fit_failed" and fit.value.model == "BetaGeo"
    with pytest.raises(nexus.FitError) as fit:
        nexus.GammaGamma().fit([0, 0], [0, 0])
    assert fit.value.model == "GammaGamma"
    gg = nexus.FittedGammaGamma.from_params({"p": 6.25, "q": 3.74, "v": 15.44})
    with pytest.raises(TypeError, match="fitted BetaGeo"):
        gg.clv(nexus.BetaGeo(), f, r, t, f)  # type: ignore[arg-type]
    with pytest.raises(nexus.InvalidArgumentError):
        gg.clv(bg, f, r, t, f, unit="months")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="numbers"):
        bg.probability_alive("abc", r, t)
    with pytest.raises(ValueError, match="one-dimensional"):
        bg.probability_alive(np.zeros((2, 2)), r, t)
    with pytest.raises(TypeError):
        nexus.BetaGeo().fit(f, r, t, weigths=f)  # type: ignore[call-arg]


def test_models_without_numpy_give_lists(monkeypatch: pytest.MonkeyPatch, bg: nexus.FittedBetaGeo) -> None:
    import importlib.util as util

    real = util.find_spec
    monkeypatch.setattr(util, "find_spec", lambda name, *a: None if name == "numpy" else real(name, *a))
    f, r, t = cdnow_summary()
    out = bg.expected_purchases(39, f, r, t)
    assert isinstance(out, list) and len(out) == 2357
    monkeypatch.undo()
    assert out == bg.expected_purchases(39, f, r, t).tolist()


# --- Segments and purchase propensity ----------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_kmeans_segments_on_cdnow_are_deterministic(kind: str) -> None:
    table = cdnow_table(kind)
    a = nexus.segment_customers(table, order=None, k_range=(2, 5))
    b = nexus.segment_customers(table, order=None, k_range=(2, 5))
    assert isinstance(a, nexus.CustomerSegments)
    assert type(a.customers) is TYPES[kind] and type(a.clusters) is TYPES[kind]
    assert (a.k, a.silhouettes) == (b.k, b.silhouettes)
    assert columns_of(a.customers) == columns_of(b.customers)
    assert columns_of(a.clusters) == columns_of(b.clusters)
    assert [k for k, _ in a.silhouettes] == [2, 3, 4, 5]
    assert dict(a.silhouettes)[a.k] == max(s for _, s in a.silhouettes)
    c = columns_of(a.clusters)
    assert list(c) == [
        "cluster",
        "size",
        "recency",
        "frequency",
        "monetary",
        "revenue_share",
        "rfm_segment",
    ]
    assert c["cluster"] == list(range(a.k))
    assert sum(c["size"]) == 2357
    assert c["revenue_share"] == sorted(c["revenue_share"], reverse=True)
    assert math.isclose(sum(c["revenue_share"]), 1.0, rel_tol=1e-9)
    assert c["frequency"][0] > c["frequency"][-1]
    customers = columns_of(a.customers)
    assert list(customers) == ["customer_id", "cluster"]
    assert customers["customer_id"] == sorted(set(cdnow()[0]))
    assert [customers["cluster"].count(i) for i in range(a.k)] == c["size"]
    assert repr(a).startswith(f"CustomerSegments(k={a.k}, silhouettes=[(2, ")
    with pytest.raises(AttributeError):
        a.k = 2  # type: ignore[misc]


def test_kmeans_segments_with_k_seed_and_extra() -> None:
    table = cdnow_table("polars")
    fixed = nexus.segment_customers(table, order=None, k=3)
    assert (fixed.k, fixed.silhouettes, fixed.clusters.height) == (3, [], 3)
    assert set(fixed.customers["cluster"].to_list()) == {0, 1, 2}
    other = nexus.segment_customers(table, order=None, k=3, seed=7)
    assert other.clusters["size"].sum() == 2357
    # An extra feature per customer, in the order of the sorted customers.
    summary = nexus.summary_data(table)
    bg = nexus.BetaGeo().fit(summary["frequency"], summary["recency"], summary["T"])
    alive = bg.probability_alive(summary["frequency"], summary["recency"], summary["T"])
    with_extra = nexus.segment_customers(table, order=None, k=4, extra={"p_alive": alive})
    c = with_extra.clusters
    assert c.columns[:6] == ["cluster", "size", "recency", "frequency", "monetary", "p_alive"]
    by_cluster = (
        with_extra.customers.with_columns(p_alive=pl.Series(alive))
        .group_by("cluster")
        .agg(pl.col("p_alive").mean())
        .sort("cluster")
    )
    assert np.allclose(c["p_alive"].to_numpy(), by_cluster["p_alive"].to_numpy(), rtol=1e-12)
    # Lists and Series do as well as numpy arrays.
    again = nexus.segment_customers(table, order=None, k=4, extra={"p_alive": pl.Series(alive)})
    assert again.customers.equals(with_extra.customers)
    assert nexus.segment_customers(table, order=None, k=4, extra={}).clusters.width == 7


def test_segment_errors() -> None:
    table = cdnow_table("polars")
    for bad in ((1, 3), (5, 3), (0, 0), (-1, 4), 3, (2, 3.5), ("2", "4")):
        with pytest.raises(nexus.InvalidArgumentError) as err:
            nexus.segment_customers(table, order=None, k_range=bad)  # type: ignore[arg-type]
        assert err.value.code == "invalid_argument"
        assert "`k_range`" in str(err.value), str(err.value)
    for kwargs, name in (
        ({"k": 0}, "k"),
        ({"k": -2}, "k"),
        ({"seed": -1}, "seed"),
        ({"seed": 2**64}, "seed"),
        ({"as_of": "1997-02-01"}, "as_of"),
        ({"as_of": "soon"}, "as_of"),
        ({"extra": {"size": [0.0] * 2357}}, "extra"),
    ):
        with pytest.raises(nexus.InvalidArgumentError) as err:
            nexus.segment_customers(table, order=None, **kwargs)
        assert err.value.code == "invalid_argument"
        assert f"`{name}`" in str(err.value), str(err.value)
    err_data = raises_invalid_data(
        lambda: nexus.segment_customers(table, order=None, extra={"clv": [1.0, 2.0]})
    )
    assert err_data.column == "clv"
    assert "2 values for 2357 customers" in str(err_data)
    err_data = raises_invalid_data(
        lambda: nexus.segment_customers(table, order=None, extra={"clv": [float("nan")] * 2357})
    )
    assert (err_data.column, err_data.row) == ("clv", 0)
    with pytest.raises(TypeError, match="mapping"):
        nexus.segment_customers(table, order=None, extra=[1.0, 2.0])  # type: ignore[arg-type]
    with pytest.raises(nexus.FitError) as fit:
        nexus.segment_customers(pl.DataFrame(RFM_TABLE), k=10)
    assert fit.value.code == "fit_failed" and fit.value.model == "k-means"
    err_data = raises_invalid_data(lambda: nexus.segment_customers(table, amount="usd"))
    assert err_data.column == "usd"


# The Rust run (nexus-core, `purchase_propensity` on CDNOW with these options) to full
# precision: the logistic and random-forest AUCs, and the BG/NBD baseline's.
PROPENSITY_AUC = {"logistic": 0.77725126973640513, "random_forest": 0.75743971155224188}
BASELINE_AUC = 0.75691975755287799


@pytest.mark.parametrize("model", ["logistic", "random_forest"])
def test_purchase_propensity_on_cdnow(model: Any) -> None:
    p = nexus.purchase_propensity(
        cdnow_table("polars"),
        order=None,
        calibration_end=date(1997, 9, 30),
        horizon_days=273,
        model=model,
    )
    assert isinstance(p, nexus.PurchasePropensity)
    assert p.model == model
    assert abs(p.auc - PROPENSITY_AUC[model]) < 1e-9, p.auc
    assert abs(p.baseline_auc - BASELINE_AUC) < 1e-9, p.baseline_auc
    assert round(p.auc, 4) == {"logistic": 0.7773, "random_forest": 0.7574}[model]
    assert round(p.baseline_auc, 4) == 0.7569
    assert p.calibration_end == date(1997, 9, 30)
    # The training window is half the 272 days from the first purchase (1997-01-01) to the
    # calibration end: features at 1997-05-17, labels from the 136 days after.
    assert p.training_cutoff == date(1997, 9, 30) - timedelta(days=136) == date(1997, 5, 17)
    assert p.features[:3] == ["days_since_last", "tenure_days", "orders"]
    assert len(p.features) == 9
    s = p.scores
    assert s.columns == ["customer_id", "probability", "baseline", "purchased"]
    assert s.height == 2357
    assert s["customer_id"].to_list() == sorted(set(cdnow()[0]))
    assert s["probability"].is_between(0.0, 1.0).all()
    assert s["baseline"].is_between(0.0, 1.0).all()
    assert s["purchased"].dtype == pl.Boolean
    # Customers who did buy in the window were scored higher, on the whole.
    bought = s.filter(pl.col("purchased"))["probability"].mean()
    did_not = s.filter(~pl.col("purchased"))["probability"].mean()
    assert isinstance(bought, float) and isinstance(did_not, float) and bought > did_not
    assert repr(p).startswith(f"PurchasePropensity(auc={p.auc!r}, baseline_auc=")


@pytest.mark.parametrize("kind", ["pandas", "pyarrow"])
def test_purchase_propensity_tables_of_every_kind(kind: str) -> None:
    table = cdnow_table(kind)
    p = nexus.purchase_propensity(table, order=None, calibration_end="1997-09-30", horizon_days=273)
    assert type(p.scores) is TYPES[kind]
    c = columns_of(p.scores)
    assert len(c["customer_id"]) == 2357
    assert all(0.0 <= v <= 1.0 for v in c["probability"])
    assert abs(p.auc - PROPENSITY_AUC["logistic"]) < 1e-9


def test_purchase_propensity_defaults_and_options() -> None:
    table = cdnow_table("polars")
    # Default: the window is the last 90 days of the data (1998-06-30).
    p = nexus.purchase_propensity(table, order=None)
    assert p.calibration_end == date(1998, 6, 30) - timedelta(days=90)
    assert p.training_cutoff == p.calibration_end - timedelta(days=90)
    assert 0.5 < p.auc <= 1.0
    forest: Dict[str, Any] = {"model": "random_forest", "trees": 10, "seed": 1}
    q = nexus.purchase_propensity(
        table, order=None, horizon_days=60, training_horizon_days=30, **forest
    )
    assert q.model == "random_forest"
    assert q.training_cutoff == q.calibration_end - timedelta(days=30)
    again = nexus.purchase_propensity(
        table, order=None, horizon_days=60, training_horizon_days=30, **forest
    )
    assert again.auc == q.auc
    assert again.scores.equals(q.scores)


def test_purchase_propensity_errors() -> None:
    table = cdnow_table("polars")
    for kwargs, name in (
        ({"model": "svm"}, "model"),
        ({"horizon_days": 0}, "horizon_days"),
        ({"horizon_days": -5}, "horizon_days"),
        ({"training_horizon_days": 0}, "training_horizon_days"),
        ({"trees": 0}, "trees"),
        ({"trees": 70000}, "trees"),
        ({"seed": -1}, "seed"),
        ({"calibration_end": "1997-01-02"}, "calibration_end"),
        ({"calibration_end": "30/09/1997"}, "calibration_end"),
        ({"calibration_end": "1997-09-30", "training_horizon_days": 400}, "calibration_end"),
    ):
        with pytest.raises(nexus.InvalidArgumentError) as err:
            nexus.purchase_propensity(table, order=None, **kwargs)
        assert err.value.code == "invalid_argument"
        assert f"`{name}`" in str(err.value), str(err.value)
    empty = pl.DataFrame(RFM_TABLE).head(0)
    err_data = raises_invalid_data(lambda: nexus.purchase_propensity(empty))
    assert "no transactions" in str(err_data)
    with pytest.raises(TypeError, match="calibration_end"):
        nexus.purchase_propensity(table, calibration_end=19970930)  # type: ignore[arg-type]
