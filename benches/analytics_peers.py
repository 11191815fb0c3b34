"""Summary + RFM on 10 million transactions: Nexus (Python binding) beside the Python peers.

Run in the benchmark's own virtual environment (the peers are not dependencies of Nexus)::

    python3 -m venv ~/.cache/nexus-bench-venv
    ~/.cache/nexus-bench-venv/bin/pip install lifetimes==0.11.3 numpy==2.4.6 scipy==1.17.1 pandas==3.1.1 polars
    ~/.cache/nexus-bench-venv/bin/pip install --no-deps $CARGO_TARGET_DIR/wheels/nexus_commerce-*.whl
    ~/.cache/nexus-bench-venv/bin/python benches/analytics_peers.py [--rows 10000000] [--lifetimes-rows N]

It generates the table (seeded), writes its columns to ``$CARGO_TARGET_DIR/bench-analytics``
for the Rust side (``NEXUS_BENCH_DATA=... cargo bench -p nexus-core --profile dev --bench
analytics`` measures the same call from Rust), then times, as medians of the runs:

- Nexus: ``nexus.customer_table`` (both tables, the rows read once), and
  ``nexus.summary_data`` + ``nexus.rfm`` (two calls), on the polars table;
- a hand-written polars query computing the same two tables;
- lifetimes: ``summary_data_from_transaction_data`` + the common pandas RFM recipe (once: it
  is slow; on ``--lifetimes-rows`` rows when given, its time then scaled linearly).

The results of the three are compared before any time is printed.
"""

from __future__ import annotations

import argparse
import warnings
import os
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

import nexus

SEGMENTS = {
    r"[1-2][1-2]": "Hibernating",
    r"[1-2][3-4]": "At Risk",
    r"[1-2]5": "Can't Lose Them",
    r"3[1-2]": "About To Sleep",
    r"33": "Need Attention",
    r"[3-4][4-5]": "Loyal Customers",
    r"41": "Promising",
    r"51": "New Customers",
    r"[4-5][2-3]": "Potential Loyalist",
    r"5[4-5]": "Champions",
}


def generate(rows: int, seed: int = 7) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    customers = max(rows // 10, 1)
    start = np.datetime64("2022-01-01T00:00:00", "us").astype(np.int64)
    span = 730 * 86_400_000_000
    return pl.DataFrame(
        {
            "customer_id": rng.integers(0, customers, rows, dtype=np.int64),
            "order_id": np.arange(rows, dtype=np.int64),
            "date": (start + rng.integers(0, span, rows, dtype=np.int64)).astype("datetime64[us]"),
            "amount": np.round(rng.integers(100, 50_100, rows) / 100.0, 2),
        }
    )


def write_for_rust(frame: pl.DataFrame, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    frame["customer_id"].to_numpy().astype("<i8").tofile(folder / "customer.i64")
    frame["order_id"].to_numpy().astype("<i8").tofile(folder / "order.i64")
    frame["date"].cast(pl.Int64).to_numpy().astype("<i8").tofile(folder / "micros.i64")
    frame["amount"].to_numpy().astype("<f8").tofile(folder / "amount.f64")


def with_nexus(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    return nexus.summary_data(frame), nexus.rfm(frame)


def with_nexus_one_call(frame: pl.DataFrame) -> pl.DataFrame:
    return nexus.customer_table(frame)


def with_polars(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    daily = frame.group_by("customer_id", pl.col("date").dt.date().alias("day")).agg(
        pl.col("amount").sum()
    )
    end = daily["day"].max()
    summary = (
        daily.group_by("customer_id")
        .agg(
            first=pl.col("day").min(),
            last=pl.col("day").max(),
            n=pl.len(),
            total=pl.col("amount").sum(),
            first_amount=pl.col("amount").sort_by("day").first(),
        )
        .select(
            "customer_id",
            frequency=(pl.col("n") - 1).cast(pl.Float64),
            recency=(pl.col("last") - pl.col("first")).dt.total_days().cast(pl.Float64),
            T=(pl.lit(end) - pl.col("first")).dt.total_days().cast(pl.Float64),
            monetary_value=pl.when(pl.col("n") > 1)
            .then((pl.col("total") - pl.col("first_amount")) / (pl.col("n") - 1))
            .otherwise(0.0),
        )
        .sort("customer_id")
    )
    as_of = end + pd.Timedelta(days=1)
    labels = ["1", "2", "3", "4", "5"]
    rfm = (
        frame.group_by("customer_id")
        .agg(
            last=pl.col("date").max().dt.date(),
            frequency=pl.col("order_id").n_unique(),
            monetary=pl.col("amount").sum(),
        )
        .sort("customer_id")
        .with_columns(recency=(pl.lit(as_of) - pl.col("last")).dt.total_days())
        .with_columns(
            r_score=pl.col("recency").qcut(5, labels=labels[::-1]).cast(pl.String),
            f_score=pl.col("frequency").rank("ordinal").qcut(5, labels=labels).cast(pl.String),
            m_score=pl.col("monetary").qcut(5, labels=labels).cast(pl.String),
        )
        .with_columns(
            segment=(pl.col("r_score") + pl.col("f_score")).replace(
                {f"{r}{f}": name for key, name in SEGMENTS.items() for r in "12345" for f in "12345"
                 if __import__("re").fullmatch(key, f"{r}{f}")}
            )
        )
    )
    return summary, rfm


def with_lifetimes(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    from lifetimes.utils import summary_data_from_transaction_data

    summary = summary_data_from_transaction_data(
        df, "customer_id", "date", monetary_value_col="amount", freq="D"
    )
    snapshot = df["date"].max().normalize() + pd.Timedelta(days=1)
    rfm = df.groupby("customer_id").agg(
        recency=("date", lambda d: (snapshot - d.max().normalize()).days),
        frequency=("order_id", "nunique"),
        monetary=("amount", "sum"),
    )
    rfm["R"] = pd.qcut(rfm["recency"], 5, labels=[5, 4, 3, 2, 1])
    rfm["F"] = pd.qcut(rfm["frequency"].rank(method="first"), 5, labels=[1, 2, 3, 4, 5])
    rfm["M"] = pd.qcut(rfm["monetary"], 5, labels=[1, 2, 3, 4, 5])
    rfm["segment"] = (rfm["R"].astype(str) + rfm["F"].astype(str)).replace(SEGMENTS, regex=True)
    return summary, rfm


def timed(fn, frame, runs):  # type: ignore[no-untyped-def]
    seconds, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn(frame)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), result


def main() -> None:
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--lifetimes-rows", type=int, default=None)
    args = parser.parse_args()

    frame = generate(args.rows)
    target = Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache/nexus-target"))
    write_for_rust(frame, target / "bench-analytics")
    print(f"{frame.height:,} transactions, {frame['customer_id'].n_unique():,} customers")

    nexus_s, (n_summary, n_rfm) = timed(with_nexus, frame, args.runs)
    one_s, both = timed(with_nexus_one_call, frame, args.runs)
    assert both["segment"].to_list() == n_rfm["segment"].to_list()
    assert both["monetary_value"].to_list() == n_summary["monetary_value"].to_list()
    polars_s, (p_summary, p_rfm) = timed(with_polars, frame, args.runs)
    # The same numbers from both before any time counts.
    for col in ("frequency", "recency", "T", "monetary_value"):
        diff = (n_summary[col] - p_summary[col]).abs().max()
        assert diff is not None and diff < 1e-6, (col, diff)
    for col in ("recency", "frequency", "monetary"):
        assert (n_rfm[col].cast(pl.Float64) - p_rfm[col].cast(pl.Float64)).abs().max() < 1e-6, col
    for col in ("r_score", "f_score", "m_score"):
        # Sums added in another order can differ in the last bit, which moves a customer
        # sitting exactly on a quintile edge: allow a handful of those, no more.
        differ = int((n_rfm[col].cast(pl.String) != p_rfm[col]).sum())
        assert differ <= 10, (col, differ)
    assert int((n_rfm["segment"] != p_rfm["segment"]).sum()) <= 10

    lifetimes_rows = args.lifetimes_rows or args.rows
    small = frame.head(lifetimes_rows) if lifetimes_rows < frame.height else frame
    # The pandas table is made before the clock starts: lifetimes is timed on its own input.
    life_s, (l_summary, l_rfm) = timed(with_lifetimes, small.to_pandas(), 1)
    life_s *= frame.height / small.height
    if small.height == frame.height:
        diff = np.abs(l_summary["monetary_value"].to_numpy() - n_summary["monetary_value"].to_numpy()).max()
        assert diff < 1e-6, diff
        assert (l_rfm["segment"].to_numpy() != n_rfm["segment"].to_numpy()).sum() <= 10

    print(f"median of {args.runs} runs (lifetimes: one run" + (
        f" on {small.height:,} rows, scaled)" if small.height < frame.height else ")"))
    print(f"  nexus.customer_table (one call)      {one_s:8.3f} s")
    print(f"  nexus.summary_data + nexus.rfm       {nexus_s:8.3f} s")
    print(f"  polars, hand-written query           {polars_s:8.3f} s   {polars_s / one_s:5.2f}x the one call's time")
    print(f"  lifetimes + pandas recipe            {life_s:8.3f} s   {life_s / one_s:5.1f}x the one call's time")


if __name__ == "__main__":
    main()
