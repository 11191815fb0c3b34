"""Customer analytics on the CDNOW sample: RFM segments, lifetime value, k-means segments
and purchase propensity.

Run from anywhere, after installing the wheel (``pip install nexus-commerce polars``):

    python nexus-py/examples/customer_analytics.py

The data is the CDNOW sample of the lifetime-value literature (``tests/data``): 6,919
purchases of 2,357 customers who first bought in the first quarter of 1997, followed to the
end of June 1998. The script prints the RFM segments, fits BG/NBD and Gamma-Gamma on the 39
weeks to the end of September 1997, and lists the customers with the highest expected
value for the next twelve months, next to what they really bought in the 39 weeks after.
It then clusters the customers by k-means on their RFM values, and scores the chance that
each buys in those 39 weeks with two classifiers, next to the BG/NBD baseline.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import List

import polars as pl

import nexus

DATA = Path(__file__).resolve().parents[2] / "tests" / "data"


def read_cdnow() -> pl.DataFrame:
    """The CDNOW sample as a transactions table (one row per purchase)."""
    customer: List[int] = []
    day: List[date] = []
    amount: List[float] = []
    for line in (DATA / "CDNOW_sample.txt").read_text(encoding="utf-8").splitlines():
        fields = line.split()  # master id, customer id, YYYYMMDD, CDs, dollars
        if fields:
            customer.append(int(fields[1]))
            day.append(datetime.strptime(fields[2], "%Y%m%d").date())
            amount.append(float(fields[4]))
    return pl.DataFrame({"customer_id": customer, "date": day, "amount": amount})


def main() -> None:
    sales = read_cdnow()
    print(f"{sales.height} purchases of {sales['customer_id'].n_unique()} customers\n")

    # RFM: every row is one order (the sample has no order ids).
    segments = nexus.rfm_segments(sales, order=None)
    print("RFM segments (recency in days, as of the day after the last purchase):")
    with pl.Config(tbl_rows=20, tbl_hide_dataframe_shape=True, float_precision=2):
        print(segments.select("segment", "customers", "revenue_share", "recency", "frequency", "monetary"))

    # Lifetime value: calibrate on the first 39 weeks, keep the rest as a hold-out.
    summary = nexus.summary_data(
        sales, calibration_end="1997-09-30", observation_end="1998-06-30", unit="weeks"
    )
    f, r, t, m = (summary[c] for c in ("frequency", "recency", "T", "monetary_value"))
    bg = nexus.BetaGeo().fit(f, r, t)
    gg = nexus.GammaGamma().fit(f, m)
    print(f"\n{bg}\n{gg}")

    holdout_weeks = summary["duration_holdout"][0]
    expected = bg.expected_purchases(holdout_weeks, f, r, t)
    print(
        f"\nhold-out ({holdout_weeks:.0f} weeks): {expected.sum():.0f} purchases expected, "
        f"{summary['frequency_holdout'].sum():.0f} made"
    )

    clv = gg.clv(bg, f, r, t, m, months=12, discount_rate=0.01, unit="weeks")
    top = (
        summary.with_columns(
            p_alive=pl.Series(bg.probability_alive(f, r, t)),
            expected_purchases=pl.Series(expected),
            clv=pl.Series(clv),
        )
        .sort("clv", descending=True)
        .head(10)
    )
    print("\nTop customers by 12-month CLV:")
    with pl.Config(tbl_hide_dataframe_shape=True, float_precision=2):
        print(
            top.select(
                "customer_id",
                "frequency",
                "recency",
                "monetary_value",
                "p_alive",
                "expected_purchases",
                "frequency_holdout",
                "clv",
            )
        )

    # k-means segments on RFM (k chosen by silhouette), ordered by revenue share.
    seg = nexus.segment_customers(sales, order=None)
    tried = ", ".join(f"{k}: {score:.3f}" for k, score in seg.silhouettes)
    print(f"\nk-means segments: k = {seg.k} (mean silhouette by k: {tried})")
    with pl.Config(tbl_hide_dataframe_shape=True, float_precision=2):
        print(seg.clusters)

    # Will they buy in the 39 weeks after September 1997? Validated on what they did.
    for model in ("logistic", "random_forest"):
        p = nexus.purchase_propensity(
            sales, order=None, calibration_end="1997-09-30", horizon_days=273, model=model
        )
        print(f"\n{p.model}: AUC {p.auc:.4f} (BG/NBD baseline {p.baseline_auc:.4f})")
    print(f"\nMost likely to buy after {p.calibration_end} ({p.model}):")
    with pl.Config(tbl_hide_dataframe_shape=True, float_precision=3):
        print(p.scores.sort("probability", descending=True).head(5))


if __name__ == "__main__":
    main()
