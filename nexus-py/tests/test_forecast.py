"""Forecasting from Python: AutoETS and ETS on AirPassengers, cross-validation, many
series in statsforecast's long format, sales forecasts over a transactions table, product
performance over order lines, intermittent demand, and the errors."""

from __future__ import annotations

import json
import math
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Dict, List, Tuple

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import nexus

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "tests" / "data"

KINDS = ["pandas", "polars"]
TYPES: Dict[str, Any] = {"pandas": pd.DataFrame, "polars": pl.DataFrame, "pyarrow": pa.Table}
INTERVALS = ["mean", "lo-80", "hi-80", "lo-95", "hi-95"]
SEASONAL_ETS = re.compile(r"^ETS\([AM],(N|A|Ad),[AM]\)$")


def air_passengers() -> List[float]:
    """The 144 monthly AirPassengers totals (Box & Jenkins), 1949-1960."""
    lines = (DATA / "AirPassengers.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "unique_id,ds,y"
    return [float(line.split(",")[2]) for line in lines[1:] if line]


def column(table: Any, name: str) -> List[Any]:
    """A column of a pandas or polars table as a plain list."""
    if isinstance(table, pd.DataFrame):
        return [v.date() if isinstance(v, pd.Timestamp) else v for v in table[name].tolist()]
    assert isinstance(table, pl.DataFrame), type(table)
    values: List[Any] = table[name].to_list()
    return values


def names(table: Any) -> List[str]:
    return [str(c) for c in table.columns]


def month(start: date, k: int) -> date:
    """The first day of the month ``k`` months after ``start``'s."""
    m = start.year * 12 + start.month - 1 + k
    return date(m // 12, m % 12 + 1, 1)


@pytest.fixture(scope="module")
def air() -> Tuple[List[float], List[float]]:
    """AirPassengers split into 132 months of training and the last 12 held out."""
    y = air_passengers()
    assert len(y) == 144
    return y[:132], y[132:]


@pytest.fixture(scope="module")
def air_fit(air: Tuple[List[float], List[float]]) -> nexus.FittedETS:
    return nexus.AutoETS(season_length=12).fit(air[0])


# --- AutoETS and ETS ---------------------------------------------------------------------


def test_autoets_on_air_passengers(
    air: Tuple[List[float], List[float]], air_fit: nexus.FittedETS
) -> None:
    train, test = air
    fit = air_fit
    assert isinstance(fit, nexus.FittedETS)
    # R's forecast::ets and statsforecast's AutoETS pick the same model.
    assert fit.model == "ETS(M,A,M)"
    assert fit.code == "MAM"
    assert fit.season_length == 12
    p = fit.params
    assert list(p) == ["alpha", "beta", "gamma"]
    assert 1e-4 <= p["beta"] <= p["alpha"] <= 0.9999
    assert 1e-4 <= p["gamma"] <= 1 - p["alpha"]
    # AICc is AIC plus the small-sample correction; BIC penalizes more at n = 132.
    k, n = fit.n_params, len(train)
    assert fit.aicc == pytest.approx(fit.aic + 2 * k * (k + 1) / (n - k - 1))
    assert fit.aic == pytest.approx(-2 * fit.loglik + 2 * k)
    assert fit.bic > fit.aicc
    assert fit.sigma2 > 0 and fit.mse > 0
    assert fit.initial_level > 0
    assert fit.initial_trend is not None
    seasons = fit.initial_seasons
    assert isinstance(seasons, np.ndarray) and seasons.shape == (12,)
    assert seasons.mean() == pytest.approx(1.0, abs=0.05)  # multiplicative indices
    # Every candidate with its AICc; the chosen one is the best.
    candidates = fit.candidates
    assert candidates["MAM"] == fit.aicc
    assert min(v for v in candidates.values() if math.isfinite(v)) == fit.aicc
    assert {"ANN", "AAN", "AAdN", "MNM", "MAdM", "AAA"} <= set(candidates)
    assert "ANM" not in candidates  # additive errors with a multiplicative season: left out
    # Fitted values and residuals line up with the series.
    fitted, residuals = fit.fitted, fit.residuals
    assert isinstance(fitted, np.ndarray) and fitted.dtype == np.float64
    assert fitted.shape == residuals.shape == (132,)
    assert np.allclose(fitted + residuals, train)
    assert repr(fit).startswith("<FittedETS ETS(M,A,M) alpha=")

    forecast = fit.predict(12)
    assert isinstance(forecast, pd.DataFrame)  # from a list, pandas by default
    assert names(forecast) == INTERVALS
    assert len(forecast) == 12
    mean = forecast["mean"].to_numpy()
    mape = float(np.mean(np.abs((np.array(test) - mean) / np.array(test)))) * 100
    assert mape < 4.5, mape
    lo80, hi80 = forecast["lo-80"].to_numpy(), forecast["hi-80"].to_numpy()
    lo95, hi95 = forecast["lo-95"].to_numpy(), forecast["hi-95"].to_numpy()
    assert ((lo95 < lo80) & (lo80 < mean) & (mean < hi80) & (hi80 < hi95)).all()
    assert ((hi95 - lo95) > (hi80 - lo80)).all()
    # Uncertainty grows with the horizon (for the same month of the season, a year on).
    assert (hi95 - lo95)[-1] > (hi95 - lo95)[0]
    # The hold-out mostly falls within the 95% interval.
    inside = ((np.array(test) >= lo95) & (np.array(test) <= hi95)).sum()
    assert inside >= 10


def test_air_passengers_reference_numbers(air_fit: nexus.FittedETS) -> None:
    """The numbers of this fit, to 1e-6 relative: the same as the Rust and Node tests
    check, so the three languages give the same forecast."""
    fit = air_fit
    forecast = fit.predict(12, level=95)
    got = {
        "aicc": fit.aicc,
        "loglik": fit.loglik,
        "alpha": fit.params["alpha"],
        "mean_1": float(forecast["mean"].iloc[0]),
        "mean_12": float(forecast["mean"].iloc[11]),
        "lo95_1": float(forecast["lo-95"].iloc[0]),
        "hi95_1": float(forecast["hi-95"].iloc[0]),
    }
    assert got == pytest.approx(AIR_REFERENCE, rel=1e-6)
    # beta and gamma sit on their lower bound, as in R.
    assert fit.params["beta"] == fit.params["gamma"] == 1e-4
    assert sorted(fit.candidates, key=fit.candidates.__getitem__)[:3] == ["MAM", "MAdM", "MNM"]


# The AutoETS(12) fit of the first 132 AirPassengers months, as the Rust core computes it;
# the Rust and Node tests check the same file.
AIR_REFERENCE: Dict[str, float] = {
    k: v
    for k, v in json.loads(
        (DATA / "nexus_airpassengers_autoets.json").read_text(encoding="utf-8")
    ).items()
    if k not in ("about", "model")
}


def test_same_fit_from_every_kind_of_series(
    air: Tuple[List[float], List[float]], air_fit: nexus.FittedETS
) -> None:
    train = air[0]
    expected = air_fit.predict(12)
    inputs: List[Any] = [
        train,
        tuple(train),
        np.array(train),
        np.array(train, dtype=np.float32),  # AirPassengers are whole numbers: exact
        pd.Series(train),
        pl.Series(train),
    ]
    for y in inputs:
        fit = nexus.AutoETS(12).fit(y)
        assert fit.model == air_fit.model
        assert fit.params == air_fit.params
        assert fit.aicc == air_fit.aicc
        assert fit.candidates == air_fit.candidates
        assert np.array_equal(fit.fitted, air_fit.fitted)
        got = fit.predict(12, kind="pandas")
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
    # Fitted twice: the same numbers, simulated intervals included.
    again = nexus.AutoETS(season_length=12).fit(train)
    pd.testing.assert_frame_equal(again.predict(12), expected, check_exact=True)


def test_forecast_tables_follow_the_input(air: Tuple[List[float], List[float]]) -> None:
    train = air[0]
    from_polars = nexus.AutoETS(12).fit(pl.Series("y", train))
    assert isinstance(from_polars.predict(3), pl.DataFrame)
    assert isinstance(from_polars.predict(3, kind="pandas"), pd.DataFrame)
    assert isinstance(from_polars.predict(3, kind="pyarrow"), pa.Table)
    from_pandas = nexus.AutoETS(12).fit(pd.Series(train))
    assert isinstance(from_pandas.predict(3), pd.DataFrame)
    polars_table = nexus.AutoETS(12).fit(np.array(train)).predict(3, kind="polars")
    assert isinstance(polars_table, pl.DataFrame)
    assert polars_table.columns == INTERVALS
    assert polars_table["mean"].to_list() == from_pandas.predict(3)["mean"].tolist()
    with pytest.raises(ValueError, match="kind"):
        from_pandas.predict(3, kind="excel")  # type: ignore[arg-type]


def test_predict_levels(air_fit: nexus.FittedETS) -> None:
    one = air_fit.predict(4, level=95)
    assert names(one) == ["mean", "lo-95", "hi-95"]
    unordered = air_fit.predict(4, level=[95, 80, 99.5])
    assert names(unordered) == ["mean", "lo-95", "hi-95", "lo-80", "hi-80", "lo-99.5", "hi-99.5"]
    assert names(air_fit.predict(4, level=())) == ["mean"]
    assert len(air_fit.predict(0)) == 0
    both = air_fit.predict(4)
    assert (unordered["lo-80"] == both["lo-80"]).all()
    for bad in (150, 0, 100, -5, (80, 80)):
        with pytest.raises(nexus.InvalidArgumentError, match="`level`") as err:
            air_fit.predict(4, level=bad)
        assert isinstance(err.value, ValueError)
    with pytest.raises(nexus.InvalidArgumentError, match="`level`"):
        air_fit.predict(4, level="high")  # type: ignore[arg-type]
    with pytest.raises(nexus.InvalidArgumentError, match="`h`"):
        air_fit.predict(-1)
    with pytest.raises(TypeError):
        air_fit.predict(4, (80, 95))  # type: ignore[call-arg]


def test_ets_with_a_fixed_model(
    air: Tuple[List[float], List[float]], air_fit: nexus.FittedETS
) -> None:
    train = air[0]
    mam = nexus.ETS("MAM", 12).fit(train)
    assert mam.model == "ETS(M,A,M)"
    assert mam.candidates == {}
    # The same model as the selection's, fitted on its own: the same optimum.
    assert mam.aicc == pytest.approx(air_fit.aicc, abs=0.5)
    assert nexus.ETS(model="ETS(M,A,M)", season_length=12).fit(train).aicc == mam.aicc
    damped = nexus.ETS("MAdM", 12).fit(train)
    assert damped.model == "ETS(M,Ad,M)"
    assert set(damped.params) == {"alpha", "beta", "gamma", "phi"}
    assert 0.8 <= damped.params["phi"] <= 0.98
    ann = nexus.ETS("ANN").fit(train)
    assert ann.params.keys() == {"alpha"}
    assert ann.initial_trend is None
    assert len(ann.initial_seasons) == 0
    assert ann.season_length == 1
    assert repr(nexus.ETS("ANN")) == "ETS(model='ANN', season_length=1)"
    # A random walk with drift is no trend model: ANN's forecast is flat.
    flat = ann.predict(3, level=())["mean"].to_numpy()
    assert flat[0] == flat[1] == flat[2]

    with pytest.raises(nexus.InvalidArgumentError, match="`season_length`"):
        nexus.ETS("MAM").fit(train)
    with pytest.raises(nexus.InvalidArgumentError, match="`season_length`"):
        nexus.ETS("MAM", 52).fit(train)
    with pytest.raises(nexus.InvalidArgumentError, match="`model`"):
        nexus.ETS("XYZ", 12).fit(train)
    negative = [-1.0] + train[1:]
    with pytest.raises(nexus.InvalidDataError) as err:
        nexus.ETS("MNN").fit(negative)
    assert (err.value.column, err.value.row) == ("y", 0)


def test_autoets_options(air: Tuple[List[float], List[float]]) -> None:
    train = air[0]
    two = nexus.AutoETS(12, model=["ANN", "AAN"]).fit(train)
    assert set(two.candidates) == {"ANN", "AAN"}
    assert two.code in ("ANN", "AAN")
    assert nexus.AutoETS(12, model="MNM").fit(train).model == "ETS(M,N,M)"
    damped = nexus.AutoETS(12, damped=True).fit(train)
    assert all("Ad" in code or code[1] == "N" for code in damped.candidates)
    undamped = nexus.AutoETS(12, damped=False).fit(train)
    assert not any("Ad" in code for code in undamped.candidates)
    bic = nexus.AutoETS(12, ic="bic").fit(train)
    assert bic.candidates[bic.code] == bic.bic
    # No season: only non-seasonal candidates.
    plain = nexus.AutoETS().fit(train)
    assert all(code.endswith("N") for code in plain.candidates)
    assert plain.season_length == 1
    assert "AutoETS(season_length=12" in repr(nexus.AutoETS(12))

    with pytest.raises(nexus.InvalidArgumentError, match="`ic`"):
        nexus.AutoETS(12, ic="hqic").fit(train)  # type: ignore[arg-type]
    with pytest.raises(nexus.InvalidArgumentError, match="`season_length`"):
        nexus.AutoETS(0).fit(train)
    with pytest.raises(nexus.InvalidArgumentError, match="`model`"):
        nexus.AutoETS(12, model=["MAM", "ZZZ"]).fit(train)
    with pytest.raises(nexus.InvalidArgumentError, match="`model`"):
        nexus.AutoETS(12, model=[]).fit(train)
    with pytest.raises(TypeError):
        nexus.AutoETS(12, ["MAM"])  # type: ignore[call-arg]


def test_bad_series_name_the_row() -> None:
    y = [float(100 + i % 7) for i in range(40)]
    y[5] = math.nan
    for values in (y, np.array(y), pd.Series(y)):
        with pytest.raises(nexus.InvalidDataError) as err:
            nexus.AutoETS().fit(values)
        assert (err.value.column, err.value.row) == ("y", 5)
        assert "row 5" in str(err.value)
        assert err.value.errors[0].index == 5
    with_none = pd.Series([1.0, 2.0, None, 4.0, 5.0])
    with pytest.raises(nexus.InvalidDataError) as err:
        nexus.AutoETS().fit(with_none)
    assert err.value.row == 2
    with pytest.raises(nexus.InvalidDataError) as err:
        nexus.AutoETS().fit(pl.Series([1.0, 2.0, 3.0, None]))
    assert err.value.row == 3
    with pytest.raises(nexus.InvalidDataError, match="empty"):
        nexus.AutoETS().fit([])
    with pytest.raises(nexus.InvalidDataError, match="at least 3"):
        nexus.AutoETS().fit([1.0, 2.0])
    with pytest.raises(TypeError, match="numbers"):
        nexus.AutoETS().fit(["a", "b", "c"])
    with pytest.raises(ValueError, match="one-dimensional"):
        nexus.AutoETS().fit(np.ones((4, 4)))


def test_fits_run_in_threads(air: Tuple[List[float], List[float]]) -> None:
    """The fit releases the GIL: threads fitting at once get the same answers."""
    train = air[0]
    expected = nexus.AutoETS(12).fit(train).aicc
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda _: nexus.AutoETS(12).fit(train).aicc, range(4)))
    assert got == [expected] * 4


# --- Cross-validation --------------------------------------------------------------------


def test_cross_validate_air_passengers() -> None:
    y = air_passengers()
    cv = nexus.cross_validate(y, h=12, windows=3, season_length=12)
    assert isinstance(cv, nexus.CrossValidation)
    assert [w.cutoff for w in cv.windows] == [108, 120, 132]
    for w in cv.windows:
        assert isinstance(w, nexus.CVWindow)
        assert isinstance(w.actual, np.ndarray)
        assert w.actual.tolist() == y[w.cutoff : w.cutoff + 12]
        assert len(w.forecast) == 12
        assert isinstance(w.accuracy, nexus.Accuracy)
        assert w.accuracy.mape is not None and w.accuracy.mase is not None
        mae = float(np.mean(np.abs(w.actual - w.forecast)))
        assert w.accuracy.mae == pytest.approx(mae)
    # The last window is the hold-out of the AirPassengers test above.
    last = cv.windows[-1]
    hold_out = nexus.AutoETS(12).fit(y[:132]).predict(12, level=())["mean"].to_numpy()
    assert np.array_equal(last.forecast, hold_out)
    assert last.accuracy.mape is not None and last.accuracy.mape < 4.5
    # The mean accuracy is the mean over the windows.
    acc = cv.accuracy
    assert acc.mae == pytest.approx(np.mean([w.accuracy.mae for w in cv.windows]))
    assert acc.rmse >= acc.mae
    assert acc.mape is not None and 0 < acc.mape < 10
    assert 0 < acc.smape < 10
    assert acc.mase is not None and acc.mase < 1.5  # beats the seasonal naive forecast

    overlapping = nexus.cross_validate(y, h=6, windows=4, step=2, season_length=12)
    assert [w.cutoff for w in overlapping.windows] == [132, 134, 136, 138]
    plain = nexus.cross_validate(y[:60], h=3, windows=2)
    assert [w.cutoff for w in plain.windows] == [54, 57]


def test_cross_validate_errors() -> None:
    y = air_passengers()
    for kwargs, name in (
        ({"h": 0}, "h"),
        ({"h": 3, "windows": 0}, "windows"),
        ({"h": 3, "step": 0}, "step"),
        ({"h": 3, "season_length": 0}, "season_length"),
        ({"h": -3}, "h"),
    ):
        with pytest.raises(nexus.InvalidArgumentError, match=f"`{name}`"):
            nexus.cross_validate(y, **kwargs)
    with pytest.raises(nexus.InvalidDataError, match="windows"):
        nexus.cross_validate(y[:20], h=12, windows=3)
    with pytest.raises(TypeError):
        nexus.cross_validate(y, 12)  # type: ignore[call-arg]


# --- Many series -------------------------------------------------------------------------


SEASON = [1.0, 0.9, 1.1, 1.2, 1.0, 0.8, 0.9, 1.0, 1.1, 1.3, 1.2, 0.5]


def long_frame() -> Dict[str, List[Any]]:
    """Two monthly series of four years (2020-2023) with a yearly season, and ``c``, one
    month long, in the long format of statsforecast."""
    ids: List[str] = []
    ds: List[date] = []
    y: List[float] = []
    for k, key in enumerate(["b", "a"]):
        for i in range(48):
            ids.append(key)
            ds.append(month(date(2020, 1, 1), i))
            y.append((100.0 + 5.0 * k + i) * SEASON[i % 12])
    ids.append("c")
    ds.append(date(2020, 1, 1))
    y.append(1.0)
    return {"unique_id": ids, "ds": ds, "y": y}


def series_of(data: Dict[str, List[Any]], key: str) -> List[float]:
    return [v for i, v in zip(data["unique_id"], data["y"]) if i == key]


@pytest.mark.parametrize("kind", KINDS)
def test_forecast_many(kind: str) -> None:
    data = long_frame()
    frame = pd.DataFrame(data) if kind == "pandas" else pl.DataFrame(data)
    if kind == "pandas":
        frame["ds"] = pd.to_datetime(frame["ds"])
    with pytest.warns(UserWarning) as warned:
        out = nexus.forecast_many(frame, h=6, level=(80, 95))
    assert len(warned) == 1
    message = str(warned[0].message)
    assert "1 series could not be forecast" in message
    assert "'c'" in message and "AutoETS needs at least 3 values" in message
    assert warned[0].filename == __file__

    assert isinstance(out, TYPES[kind])
    assert names(out) == [
        "unique_id", "ds", "model", "AutoETS",
        "AutoETS-lo-80", "AutoETS-hi-80", "AutoETS-lo-95", "AutoETS-hi-95",
    ]
    assert len(out) == 12
    assert column(out, "unique_id") == ["a"] * 6 + ["b"] * 6
    assert column(out, "ds")[:6] == [month(date(2024, 1, 1), k) for k in range(6)]
    models = set(column(out, "model"))
    assert all(SEASONAL_ETS.match(m) for m in models), models
    # The same numbers as AutoETS on each series alone.
    for key, rows in (("a", slice(0, 6)), ("b", slice(6, 12))):
        alone = nexus.AutoETS(12).fit(series_of(data, key)).predict(6, kind="polars")
        assert column(out, "AutoETS")[rows] == alone["mean"].to_list()
        assert column(out, "AutoETS-hi-95")[rows] == alone["hi-95"].to_list()


def test_forecast_many_options() -> None:
    data = long_frame()
    good = pl.DataFrame(data).filter(pl.col("unique_id") != "c")
    out = nexus.forecast_many(good, h=2)  # no failure: no warning (warnings are errors here)
    assert out.columns == ["unique_id", "ds", "model", "AutoETS"]
    # Integer times, other column names, no season unless asked for.
    ints = good.rename({"unique_id": "sku", "ds": "t", "y": "units"}).with_columns(
        t=pl.int_range(0, pl.len()).over("sku")
    )
    plain = nexus.forecast_many(ints, id="sku", ds="t", y="units", h=3)
    assert plain["t"].to_list() == [48, 49, 50] * 2
    assert all(not SEASONAL_ETS.match(m) for m in plain["model"].to_list())
    seasonal = nexus.forecast_many(ints, id="sku", ds="t", y="units", h=3, season_length=12)
    assert all(SEASONAL_ETS.match(m) for m in seasonal["model"].to_list())
    # A pyarrow table comes back as one.
    assert isinstance(nexus.forecast_many(good.to_arrow(), h=1), pa.Table)
    # An irregular series is named, with its row.
    gap = good.filter(~((pl.col("unique_id") == "a") & (pl.col("ds") == date(2021, 5, 1))))
    with pytest.warns(UserWarning, match=r"'a': .*irregular"):
        nexus.forecast_many(gap, h=1)

    with pytest.raises(nexus.InvalidArgumentError, match="`level`"):
        nexus.forecast_many(good, h=2, level=150)
    with pytest.raises(nexus.InvalidArgumentError, match="`h`"):
        nexus.forecast_many(good, h=0)
    with pytest.raises(nexus.InvalidDataError) as err:
        nexus.forecast_many(good, h=2, y="sales")
    assert err.value.column == "sales"
    with pytest.raises(TypeError):
        nexus.forecast_many(good, 2)  # type: ignore[call-arg, arg-type]


# --- Sales -------------------------------------------------------------------------------


def sales_table(last: date = date(2023, 12, 31)) -> Dict[str, List[Any]]:
    """Three years of orders (2021-2023), four a month, from two stores: revenue grows
    and has a strong yearly season (December peaks, February dips). The last order is on
    ``last``."""
    customer: List[str] = []
    order: List[int] = []
    day: List[date] = []
    amount: List[float] = []
    store: List[str] = []
    season = [0.8, 0.7, 0.9, 1.0, 1.0, 1.1, 1.0, 0.9, 1.0, 1.1, 1.3, 1.6]
    n = 0
    for i in range(36):
        first = month(date(2021, 1, 1), i)
        for j, dd in enumerate((3, 10, 17, 24)):
            n += 1
            day.append(first.replace(day=dd))
            customer.append(f"c{(n * 7) % 23}")
            order.append(n)
            amount.append(round(250.0 * (1 + 0.01 * i) * season[i % 12] * (1 + 0.1 * j), 2))
            store.append("north" if j % 2 == 0 else "south")
    customer.append("c0")
    order.append(n + 1)
    day.append(last)
    amount.append(10.0)
    store.append("north")
    return {"customer_id": customer, "order_id": order, "date": day, "amount": amount, "store": store}


@pytest.mark.parametrize("kind", KINDS)
def test_forecast_sales_monthly(kind: str) -> None:
    data = sales_table()
    table = pd.DataFrame(data) if kind == "pandas" else pl.DataFrame(data)
    out = nexus.forecast_sales(table, freq="month", h=6)
    assert isinstance(out, TYPES[kind])
    assert names(out) == ["period", "model", *INTERVALS]
    assert len(out) == 6
    # The first forecast period is the month after the last one of the data.
    assert column(out, "period") == [month(date(2024, 1, 1), k) for k in range(6)]
    models = set(column(out, "model"))
    assert len(models) == 1 and SEASONAL_ETS.match(models.pop())
    mean = column(out, "mean")
    assert all(v > 0 for v in mean)
    # The season carries on: February 2024 is below January, and below June.
    assert mean[1] < mean[0] and mean[1] < mean[5]
    lo95, hi95 = column(out, "lo-95"), column(out, "hi-95")
    assert all(lo <= m <= hi for lo, m, hi in zip(lo95, mean, hi95))


def test_forecast_sales_options() -> None:
    data = sales_table()
    table = pl.DataFrame(data)
    # A month the data end in the middle of is not history: the forecast starts with it.
    cut = pl.DataFrame(sales_table(last=date(2023, 12, 15)))
    assert nexus.forecast_sales(cut, h=1)["period"].to_list() == [date(2023, 12, 1)]
    by_store = nexus.forecast_sales(table, h=3, by="store", level=80)
    assert by_store.columns == ["store", "period", "model", "mean", "lo-80", "hi-80"]
    assert by_store["store"].to_list() == ["north"] * 3 + ["south"] * 3
    orders = nexus.forecast_sales(table, h=3, measure="orders", level=())
    assert orders.columns == ["period", "model", "mean"]
    assert orders["mean"].to_list() == pytest.approx([4.0] * 3, abs=0.5)
    quarters = nexus.forecast_sales(table.with_columns(pl.col("date").cast(pl.Datetime)), freq="quarter", h=2)
    assert quarters["period"].to_list() == [date(2024, 1, 1), date(2024, 4, 1)]
    plain = nexus.forecast_sales(table, h=2, season_length=1)
    assert not SEASONAL_ETS.match(plain["model"][0])
    early = nexus.forecast_sales(table, h=1, end="2022-12-31")
    assert early["period"].to_list() == [date(2023, 1, 1)]
    renamed = table.rename({"customer_id": "who", "date": "when", "amount": "total"})
    same = nexus.forecast_sales(renamed, h=2, customer="who", date="when", amount="total", order=None)
    assert same.height == 2

    bad: List[Tuple[Dict[str, Any], str]] = [
        ({"freq": "fortnight"}, "freq"),
        ({"measure": "profit"}, "measure"),
        ({"measure": "units"}, "measure"),
        ({"h": 0}, "h"),
        ({"level": (80, 150)}, "level"),
        ({"start": "2023-01-01", "end": "2022-01-01"}, "start"),
        ({"start": "soon"}, "start"),
    ]
    for kwargs, name in bad:
        with pytest.raises(nexus.InvalidArgumentError) as err:
            nexus.forecast_sales(table, **kwargs)
        assert f"`{name}`" in str(err.value), str(err.value)
    # Two months of history are too few for any model.
    short = table.filter(pl.col("date") < date(2021, 3, 1))
    with pytest.raises(nexus.InvalidDataError, match="at least 3"):
        nexus.forecast_sales(short, h=2)
    with pytest.raises(nexus.InvalidDataError) as missing:
        nexus.forecast_sales(table, by="region")
    assert missing.value.column == "region"


# --- Products ----------------------------------------------------------------------------


def order_lines() -> Dict[str, List[Any]]:
    """Sixteen weeks of order lines (Monday 2024-01-01 to Sunday 2024-04-21):

    - ``mug``: 20 units at 10.00 every week, the best seller;
    - ``tee``: 3 units at 10.00 every week, of which one refunded each time;
    - ``pin``: 1 unit at 5.00 every other week;
    - ``cap``: 5 units at 20.00 in each of the first three weeks only: dead stock.
    """
    rows: List[Tuple[str, date, float, float, float]] = []
    monday = date(2024, 1, 1)
    for week in range(16):
        day = monday + timedelta(days=7 * week + 2)
        rows.append(("mug", day, 20.0, 200.0, 0.0))
        rows.append(("tee", day, 3.0, 30.0, 1.0))
        if week % 2 == 0:
            rows.append(("pin", day, 1.0, 5.0, 0.0))
        if week < 3:
            rows.append(("cap", day, 5.0, 100.0, 0.0))
    rows.append(("mug", date(2024, 4, 21), 1.0, 10.0, 0.0))
    titles = {"mug": "Coffee mug", "tee": "T-shirt", "pin": "Enamel pin", "cap": "Cap"}
    return {
        "product": [r[0] for r in rows],
        "date": [r[1] for r in rows],
        "quantity": [r[2] for r in rows],
        "amount": [r[3] for r in rows],
        "order": list(range(1, len(rows) + 1)),
        "refunded": [r[4] for r in rows],
        "title": [titles[r[0]] for r in rows],
    }


@pytest.mark.parametrize("kind", KINDS)
def test_product_performance(kind: str) -> None:
    data = order_lines()
    table = pd.DataFrame(data) if kind == "pandas" else pl.DataFrame(data)
    perf = nexus.product_performance(table, refunded="refunded", name="title")
    assert isinstance(perf, nexus.ProductPerformance)
    assert isinstance(perf.products, TYPES[kind]) and isinstance(perf.summary, TYPES[kind])
    assert perf.as_of == date(2024, 4, 21)
    assert perf.window == (date(2024, 1, 23), date(2024, 4, 21))  # 90 days
    assert perf.forecast_start == date(2024, 4, 22)  # the Monday after the last full week

    products = perf.products
    assert column(products, "product") == ["mug", "tee", "pin", "cap"]
    assert column(products, "name") == ["Coffee mug", "T-shirt", "Enamel pin", "Cap"]
    # ABC: mug makes more than 80% of the window's revenue, tee brings it past 95%.
    assert column(products, "abc") == ["A", "B", "C", "C"]
    share = column(products, "share")
    assert share[0] > 0.8 and share[0] + share[1] > 0.95 and share[3] == 0
    # Steady sellers vary little (X); the pin sells every other week.
    assert column(products, "xyz")[:2] == ["X", "X"]
    assert column(products, "refund_rate")[1] == pytest.approx(1 / 3)
    days = column(products, "days_since_last_sale")
    assert days[3] == (date(2024, 4, 21) - date(2024, 1, 17)).days
    methods = column(products, "forecast_method")
    assert methods[0].startswith("ETS(")
    assert methods[2] in ("croston", "sba", "tsb")
    assert methods[3] == "tsb"  # demand stopped: TSB lets the forecast decay
    totals = column(products, "forecast_total")
    assert totals[0] == pytest.approx(4 * 20, rel=0.1)  # four weeks of 20 mugs

    assert perf.top_sellers == ["mug", "tee", "pin"]
    assert perf.dead_stock == ["cap"]
    assert perf.rising == [] and perf.declining == []
    summary = perf.summary
    assert names(summary) == ["list", "rank", "product", "name", "revenue", "units", "value", "figure"]
    lists = list(zip(column(summary, "list"), column(summary, "rank"), column(summary, "product")))
    assert ("dead_stock", 1, "cap") in lists
    assert ("top_sellers", 1, "mug") in lists


def test_product_performance_options() -> None:
    table = pl.DataFrame(order_lines())
    short = nexus.product_performance(table, window_days=28, dead_days=10, top=1, h=0, period="week")
    assert short.top_sellers == ["mug"]
    assert short.dead_stock == ["cap", "pin"]  # the pin last sold 11 days before as_of
    assert short.products["forecast_method"].null_count() == 4
    assert "name" not in short.products.columns
    early = nexus.product_performance(table, as_of="2024-01-31")
    assert early.as_of == date(2024, 1, 31)
    assert early.dead_stock == []
    renamed = table.rename({"product": "sku", "quantity": "qty"}).drop("order")
    perf = nexus.product_performance(renamed, product="sku", quantity="qty", order=None)
    assert perf.products["orders"][0] == 14  # mug: lines in the window, one order each

    bad: List[Tuple[Dict[str, Any], str]] = [
        ({"window_days": 0}, "window_days"),
        ({"dead_days": 0}, "dead_days"),
        ({"period": "fortnight"}, "period"),
        ({"trend_periods": 2}, "trend_periods"),
        ({"abc": (0.9, 0.8)}, "abc"),
        ({"level": 150}, "level"),
        ({"as_of": "2023-01-01"}, "as_of"),
        ({"top": -1}, "top"),
    ]
    for kwargs, name in bad:
        with pytest.raises(nexus.InvalidArgumentError) as err:
            nexus.product_performance(table, **kwargs)
        assert f"`{name}`" in str(err.value), str(err.value)
    negative = table.with_columns(quantity=pl.when(pl.int_range(0, pl.len()) == 3).then(-1.0).otherwise(pl.col("quantity")))
    with pytest.raises(nexus.InvalidDataError) as data_err:
        nexus.product_performance(negative)
    assert (data_err.value.column, data_err.value.row) == ("quantity", 3)


# --- Intermittent demand -----------------------------------------------------------------


DEMAND = [0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 2.0, 0.0, 4.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 3.0, 0.0, 2.0]


def test_croston() -> None:
    classic = nexus.croston(DEMAND, method="croston", h=3, level=(80,))
    assert classic.method == "croston"
    assert isinstance(classic.forecast, pd.DataFrame)
    assert names(classic.forecast) == ["mean", "lo-80", "hi-80"]
    mean = classic.forecast["mean"].tolist()
    assert len(mean) == 3 and mean[0] == mean[1] == mean[2] > 0
    assert (classic.forecast["lo-80"] >= 0).all()
    profile = classic.profile
    assert profile.nonzero == 6
    assert profile.adi == pytest.approx(18 / 6)
    assert profile.demand_class in ("intermittent", "lumpy")
    assert math.isnan(classic.fitted[0]) and len(classic.residuals) == 18
    # SBA is Croston's forecast times 1 - alpha / 2.
    sba = nexus.croston(DEMAND, method="sba", h=3)
    assert sba.forecast["mean"][0] == pytest.approx(mean[0] * 0.95)
    tsb = nexus.croston(pl.Series(DEMAND), method="tsb", alpha=0.2, alpha_probability=0.3)
    assert isinstance(tsb.forecast, pl.DataFrame) and tsb.forecast.height == 1
    auto = nexus.croston(DEMAND, h=2)
    assert auto.method in ("croston", "sba", "tsb")
    assert auto.fitted is None and auto.residuals is None
    regular = nexus.croston([5.0, 6.0, 5.0, 7.0, 6.0, 5.0, 6.0, 7.0], h=2)
    assert regular.method.startswith("ETS(")
    assert regular.profile.demand_class == "smooth"

    with pytest.raises(nexus.InvalidArgumentError, match="`method`"):
        nexus.croston(DEMAND, method="holt")  # type: ignore[arg-type]
    with pytest.raises(nexus.InvalidArgumentError, match="`alpha`"):
        nexus.croston(DEMAND, method="croston", alpha=0)
    with pytest.raises(nexus.InvalidDataError) as err:
        nexus.croston([0.0, 1.0, -1.0], method="croston")
    assert (err.value.column, err.value.row) == ("y", 2)


def test_public_names() -> None:
    for name in (
        "AutoETS", "ETS", "FittedETS", "CrossValidation", "CVWindow", "Accuracy",
        "ProductPerformance", "DemandProfile", "IntermittentForecast",
    ):
        cls = getattr(nexus, name)
        assert cls.__module__ == "nexus", name
        assert name in nexus.__all__
    for name in ("cross_validate", "forecast_many", "forecast_sales", "product_performance", "croston"):
        assert callable(getattr(nexus, name)) and name in nexus.__all__
