"""Sales forecasting: AutoETS on AirPassengers, scored on a hold-out and by
cross-validation, then many series at once in statsforecast's long format.

Run from anywhere, after installing the wheel (``pip install nexus-commerce polars``):

    python nexus-py/examples/forecast_sales.py

The data is AirPassengers (Box & Jenkins: monthly airline passengers, 1949-1960, in
``tests/data``) and a few generated monthly sales series; nothing is downloaded. The script
prints the model AutoETS picks for the first eleven years and how close its forecast of the
twelfth comes, the forecast of 1961 from the whole series, the cross-validated accuracy,
and the forecasts of six generated products, one of them too short to forecast.
"""

from __future__ import annotations

import math
import warnings
from datetime import date
from pathlib import Path
from typing import List

import polars as pl

import nexus

DATA = Path(__file__).resolve().parents[2] / "tests" / "data"


def read_air_passengers() -> pl.DataFrame:
    """AirPassengers as a table: ``unique_id``, ``ds`` (month ends, text), ``y``."""
    rows = (DATA / "AirPassengers.csv").read_text(encoding="utf-8").splitlines()[1:]
    fields = [r.split(",") for r in rows if r]
    return pl.DataFrame(
        {"unique_id": [f[0] for f in fields], "ds": [f[1] for f in fields], "y": [float(f[2]) for f in fields]}
    )


def month(k: int) -> date:
    """The first day of the ``k``-th month after January 2021."""
    return date(2021 + k // 12, k % 12 + 1, 1)


def generated_sales() -> pl.DataFrame:
    """Three years of monthly unit sales of five products with a trend and a yearly
    season (deterministic, no random numbers), and a sixth launched last month."""
    ids: List[str] = []
    ds: List[date] = []
    y: List[float] = []
    for p in range(5):
        level, growth, amplitude = 80.0 + 40 * p, 0.5 + p, 0.1 + 0.05 * p
        for k in range(36):
            season = 1 + amplitude * math.sin(2 * math.pi * (k % 12) / 12 + p)
            ids.append(f"SKU-{p + 1}")
            ds.append(month(k))
            y.append(round((level + growth * k) * season + 3 * math.sin(1.7 * k * k), 1))
    ids.append("SKU-NEW")
    ds.append(month(35))
    y.append(12.0)
    return pl.DataFrame({"unique_id": ids, "ds": ds, "y": y})


def main() -> None:
    air = read_air_passengers()
    y = air["y"]
    print(f"AirPassengers: {len(y)} months, {air['ds'][0]} to {air['ds'][-1]}")

    # Fit on 1949-1959, forecast 1960, compare with what happened.
    fit = nexus.AutoETS(season_length=12).fit(y[:132])
    params = ", ".join(f"{k} = {v:.4f}" for k, v in fit.params.items())
    print(f"\nAutoETS on 1949-1959 picks {fit.model} ({params}), AICc {fit.aicc:.2f}")
    best = sorted(fit.candidates.items(), key=lambda kv: kv[1])[:4]
    print("best candidates by AICc: " + ", ".join(f"{code} {score:.2f}" for code, score in best))
    forecast = fit.predict(12, level=(80, 95))
    actual = y[132:].to_numpy()
    mape = float(abs((actual - forecast["mean"].to_numpy()) / actual).mean() * 100)
    print(f"forecast of 1960: MAPE {mape:.2f}% against the real 1960")
    with pl.Config(tbl_rows=12, tbl_hide_dataframe_shape=True, float_precision=1):
        print(forecast.with_columns(actual=pl.Series(actual)))

    # The whole series, forecast 1961.
    full = nexus.AutoETS(12).fit(y)
    nxt = full.predict(12, level=95)
    print(f"\n1961 from the whole series ({full.model}): {nxt['mean'].sum():.0f} passengers in total")

    cv = nexus.cross_validate(y, h=12, windows=3, season_length=12)
    acc = cv.accuracy
    print(
        f"cross-validated over {len(cv.windows)} years (cutoffs {[w.cutoff for w in cv.windows]}): "
        f"MAE {acc.mae:.1f}, RMSE {acc.rmse:.1f}, MAPE {acc.mape:.2f}%, MASE {acc.mase:.3f}"
    )

    # Many series at once, in parallel: the statsforecast long format in and out.
    sales = generated_sales()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        many = nexus.forecast_many(sales, h=3, level=(80,))
    print(f"\nforecast_many over {sales['unique_id'].n_unique()} series, 3 months ahead:")
    with pl.Config(tbl_rows=20, tbl_hide_dataframe_shape=True, float_precision=1):
        print(many)
    for w in caught:
        print(f"warning: {w.message}")


if __name__ == "__main__":
    main()
