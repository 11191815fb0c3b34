#!/usr/bin/env bash
# Runs every check and test of Nexus: Rust (fmt, clippy, tests), the Python wheel (build,
# pytest, mypy, stubtest) and the Node addon (build, node:test, tsc). It installs what it
# needs first: the Python tools in a virtual environment and the Node packages with npm ci.
#
# Everything builds in one cargo profile (dev, with optimized dependencies) into one target
# directory, so the engine compiles once for the tests, the wheel and the addon.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/nexus-target}"
# napi build always passes an explicit --target; naming the host triple for every cargo
# command puts the tests, the wheel and the addon in the same output tree, so the
# dependencies compile once instead of twice.
export CARGO_BUILD_TARGET="${CARGO_BUILD_TARGET:-$(rustc -vV | sed -n 's/^host: //p')}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
venv="${NEXUS_VENV:-$HOME/.cache/nexus-venv}"
wheels="$CARGO_TARGET_DIR/wheels"

step() { printf '\n==> %s\n' "$*"; }
started=$(date +%s)

step "Python tools (virtual environment $venv)"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check "maturin>=1.7,<2" "pytest>=7" "jsonschema>=4.18" "mypy>=1.10" \
    "polars>=1.0" "pandas>=2.0" "pyarrow>=14" "numpy>=1.22"

step "Node packages (npm ci)"
(cd nexus-node && npm ci --no-audit --no-fund --loglevel=error)
(cd scripts/html-check && npm ci --no-audit --no-fund --loglevel=error)

step "PostgreSQL on 127.0.0.1 for the store tests (scripts/pg.sh)"
if [ -z "${NEXUS_TEST_POSTGRES:-}" ]; then
    NEXUS_TEST_POSTGRES="$(bash scripts/pg.sh start)"
    export NEXUS_TEST_POSTGRES
    trap 'bash scripts/pg.sh stop' EXIT
fi
echo "using $NEXUS_TEST_POSTGRES"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, -D warnings)"
cargo clippy --workspace --all-targets -- -D warnings

step "Rust tests"
cargo test -p nexus-core -p nexus-fake

step "Quickstart example (three fake stores synced into SQLite), its HTML report opened in Chromium"
cargo run -q -p nexus-core --example quickstart -- "$CARGO_TARGET_DIR/quickstart" > "$CARGO_TARGET_DIR/quickstart.out"
tail -n 8 "$CARGO_TARGET_DIR/quickstart.out"
node scripts/html-check/check.mjs "$CARGO_TARGET_DIR/quickstart/quality-report.html"
cargo run -q -p nexus-core --example read_store > /dev/null

step "Quality report example, opened in headless Chromium"
cargo run -q -p nexus-core --example quality_report -- "$CARGO_TARGET_DIR/quality-report.html" > /dev/null
node scripts/html-check/check.mjs "$CARGO_TARGET_DIR/quality-report.html"

step "Python wheel (maturin, dev profile) and pytest"
rm -rf "$wheels"
"$venv/bin/maturin" build --quiet --profile dev -m nexus-py/Cargo.toml -o "$wheels"
"$venv/bin/pip" install --quiet --force-reinstall --no-deps "$wheels"/nexus_commerce-*.whl
"$venv/bin/python" -m pytest nexus-py/tests -q -p no:cacheprovider
"$venv/bin/python" nexus-py/examples/map_fixtures.py > /dev/null
"$venv/bin/python" nexus-py/examples/fake_store_read.py > /dev/null
"$venv/bin/python" nexus-py/examples/quality_report.py "$CARGO_TARGET_DIR/py-quality-report.html" > /dev/null
"$venv/bin/python" nexus-py/examples/sync_stores.py "$CARGO_TARGET_DIR/py-sync-quality.html" > /dev/null
"$venv/bin/python" nexus-py/examples/customer_analytics.py > /dev/null
"$venv/bin/python" nexus-py/examples/forecast_sales.py > /dev/null

step "Python type checks (mypy strict, stubtest)"
(cd nexus-py && "$venv/bin/mypy" python/nexus tests examples \
    && "$venv/bin/python" -m mypy.stubtest nexus --allowlist stubtest-allowlist.txt)

step "Node addon (napi, dev profile), node:test and tsc"
generated="$CARGO_TARGET_DIR/node-generated"
mkdir -p "$generated" && cp nexus-node/index.js nexus-node/index.d.ts "$generated/"
(cd nexus-node && npm run --silent build && npm test && npm run --silent typecheck \
    && node scripts/gen-types.mjs --check && node examples/map_fixtures.mjs > /dev/null \
    && node examples/fake_store_read.mjs > /dev/null \
    && node examples/quality_report.mjs "$CARGO_TARGET_DIR/node-quality-report.html" > /dev/null \
    && node examples/sync_stores.mjs "$CARGO_TARGET_DIR/node-sync-quality.html" > /dev/null \
    && node examples/customer_analytics.mjs > /dev/null \
    && node examples/forecast_sales.mjs > /dev/null)
for f in index.js index.d.ts; do
    cmp -s "$generated/$f" "nexus-node/$f" \
        || { echo "nexus-node/$f was out of date (napi build regenerated it): commit it"; exit 1; }
done

printf '\nAll checks passed in %ss.\n' "$(( $(date +%s) - started ))"
