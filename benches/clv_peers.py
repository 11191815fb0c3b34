"""Times Python lifetimes 0.11.3 on the fits that benches/clv.rs times, on the same CDNOW data.

The peer of `cargo bench -p nexus-core --bench clv`: BetaGeoFitter, ParetoNBDFitter and
GammaGammaFitter (on the 946 repeat buyers) with their default options, the median wall time
of several runs of each fit, and the parameters found.

Setup (a venv of its own, so nothing touches the project's Python environment):

    python3 -m venv ~/.cache/nexus-bench-venv
    ~/.cache/nexus-bench-venv/bin/pip install lifetimes==0.11.3 numpy==2.4.6 scipy==1.17.1 pandas==3.1.1 autograd==1.9.1 dill==0.4.1

Pins: none was needed to make lifetimes 0.11.3 import and fit (Python 3.11.7); the versions
above are what pip resolved and what the figures were measured with (its estimates match the
published ones). If a later resolution breaks it, try numpy<2, scipy<1.13 and pandas<2.1:
lifetimes 0.11.3 (2020) predates numpy 2.

Run from the repository root:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE ~/.cache/nexus-bench-venv/bin/python benches/clv_peers.py [--runs N]
"""

import argparse
import csv
import os
import statistics
import time
import warnings

import numpy as np

warnings.filterwarnings("ignore")

import lifetimes  # noqa: E402
from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read(name, columns):
    with open(os.path.join(ROOT, "tests", "data", name), newline="") as f:
        rows = list(csv.DictReader(f))
    return [np.array([float(r[c]) for r in rows]) for c in columns]


def timed(label, fit, runs):
    fit()  # warm-up (imports, autograd tracing)
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        model = fit()
        seconds.append(time.perf_counter() - start)
    params = ", ".join(f"{k} {v:.4f}" for k, v in model.params_.items())
    median = statistics.median(seconds)
    print(f"{label}: median {median:.4f} s over {runs} runs (min {min(seconds):.4f} s); {params}")
    return median


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    frequency, recency, age = read("cdnow_customers_summary.csv", ["frequency", "recency", "T"])
    x, zbar = read("cdnow_customers_summary_with_transactions.csv", ["x", "zbar"])
    repeat = x > 0

    print(f"lifetimes {lifetimes.__version__}, numpy {np.__version__}; {len(frequency)} customers, {repeat.sum()} repeat buyers")
    timed("BG/NBD (BetaGeoFitter)", lambda: BetaGeoFitter().fit(frequency, recency, age), args.runs)
    timed("Pareto/NBD (ParetoNBDFitter)", lambda: ParetoNBDFitter().fit(frequency, recency, age), args.runs)
    timed("Gamma-Gamma (GammaGammaFitter)", lambda: GammaGammaFitter().fit(x[repeat], zbar[repeat]), args.runs)


if __name__ == "__main__":
    main()
