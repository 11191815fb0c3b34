"""The quality engine from Python: checks, rule files, cleansing, reports and frames."""

from __future__ import annotations

import importlib.util
import json
import pickle
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

import pandas as pd
import polars as pl
import pytest

import nexus

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
QUALITY = REPO / "tests" / "quality"

COLUMNS = [
    "rule",
    "entity",
    "platform",
    "store",
    "record_id",
    "index",
    "path",
    "severity",
    "dimension",
    "message",
    "value",
    "fixable",
]


def dirty() -> Dict[str, Any]:
    """The shared orders with planted defects (and their `as_of`)."""
    data: Dict[str, Any] = json.loads((QUALITY / "dirty_orders.json").read_text(encoding="utf-8"))
    return data


def dirty_orders() -> List[Dict[str, Any]]:
    orders: List[Dict[str, Any]] = dirty()["orders"]
    return orders


AS_OF = "2024-06-01T00:00:00Z"


def woo_orders() -> nexus.MappingResult:
    return nexus.map_orders(
        "woocommerce", (FIXTURES / "woocommerce" / "orders_list.json").read_bytes()
    )


def failing_rules(report: nexus.QualityReport) -> Dict[str, int]:
    return {r["rule"]: r["records_failed"] for r in report.rules if r["records_failed"] > 0}


def parity_summary(report: nexus.QualityReport) -> Dict[str, Any]:
    """What the Rust, Python and Node tests compare against tests/quality/expected_report.json
    (the same as `parity_summary` in nexus-core/tests/it/quality.rs)."""
    return {
        "score": report.score,
        "grade": report.grade,
        "records": report.records_checked,
        "dimensions": report.dimensions,
        "rules_failed": failing_rules(report),
        "stores": {
            s["store"] or "": {"score": s["score"], "grade": s["grade"]} for s in report.stores
        },
        "violations": len(report.violations),
        "rejected": len(report.rejected),
        "changes": len(report.cleansing),
        "top_recommendation": report.recommendations[0]["rule"] if report.recommendations else None,
    }


def test_the_shared_dirty_orders_give_the_expected_report() -> None:
    data = dirty()
    plain = nexus.check_quality(data["orders"], entity="orders", as_of=data["as_of"])
    cleansed = nexus.check_quality(
        data["orders"], entity="orders", as_of=data["as_of"], cleanse=True, previous=plain
    )
    assert cleansed.score > plain.score
    assert cleansed.trend is not None and cleansed.trend["direction"] == "improved"
    expected = json.loads((QUALITY / "expected_report.json").read_text(encoding="utf-8"))
    assert {"check": parity_summary(plain), "cleansed": parity_summary(cleansed)} == expected


def test_mapped_fixture_orders_are_checked_as_a_mapping_result() -> None:
    result = woo_orders()
    report = nexus.check_quality(result, entity="orders")
    assert report.records_checked == len(result.records) == 2
    assert report.entities[0]["entity"] == "order"
    assert [s["platform"] for s in report.stores] == ["woocommerce"]
    assert {v["record_id"] for v in report.violations} <= {r["source"]["id"] for r in result}
    assert all(v["platform"] == "woocommerce" for v in report.violations)
    # The same records given as a list, as JSON text and as bytes give the same findings.
    for given in (result.records, json.dumps(result.records), json.dumps(result.records).encode()):
        again = nexus.check_quality(given, entity="order")
        assert (again.score, again.violations) == (report.score, report.violations)


def test_a_dataset_runs_the_cross_entity_rules() -> None:
    orders = woo_orders()
    customers = nexus.map_customers(
        "woocommerce", (FIXTURES / "woocommerce" / "customers_list.json").read_bytes()
    )
    products = nexus.map_products(
        "woocommerce", (FIXTURES / "woocommerce" / "products_list.json").read_bytes()
    )
    alone = nexus.check_quality(orders, entity="orders")
    report = nexus.check_quality(
        {"orders": orders.records, "customers": customers, "products": products.records}
    )
    assert report.records_checked == len(orders) + len(customers) + len(products)
    assert [e["entity"] for e in report.entities] == ["order", "customer", "product"]
    ran = {r["rule"] for r in report.rules}
    assert {"order.unknown_customer", "order.unknown_product"} <= ran
    assert not {"order.unknown_customer", "order.unknown_product"} & {
        r["rule"] for r in alone.rules
    }
    # The fixture's order lines point to products that the product fixture does not hold.
    assert "order.unknown_product" in failing_rules(report)
    with pytest.raises(nexus.InvalidArgumentError, match="entity"):
        nexus.check_quality({"orders": orders.records}, entity="orders")


RULE_FILE = """\
version: 1
rules:
  order.email_syntax: { enabled: false }
  order.total_matches: { severity: warning }
field_rules:
  - id: shop.number_format
    entity: order
    field: number
    pattern: "^SO-[0-9]+$"
    severity: info
"""


def test_a_rule_file_changes_the_result(tmp_path: Path) -> None:
    path = tmp_path / "quality.yaml"
    path.write_text(RULE_FILE, encoding="utf-8")
    rules = nexus.RuleSet.from_file(path)
    listed = {r["id"]: r for r in rules.rules}
    assert listed["order.email_syntax"]["enabled"] is False
    assert listed["order.total_matches"]["severity"] == "warning"
    assert listed["shop.number_format"]["builtin"] is False
    assert repr(rules) == "<RuleSet: 71 of 72 built-in rules enabled, 1 field rule>"
    assert nexus.RuleSet.from_file(str(path)).rules == rules.rules

    default = nexus.check_quality(dirty_orders(), entity="orders", as_of=AS_OF)
    custom = nexus.check_quality(dirty_orders(), entity="orders", as_of=AS_OF, rules=rules)
    assert "order.email_syntax" in failing_rules(default)
    assert "order.email_syntax" not in {r["rule"] for r in custom.rules}
    totals = [v for v in custom.violations if v["rule"] == "order.total_matches"]
    assert totals and all(v["severity"] == "warning" for v in totals)
    numbers = [v for v in custom.violations if v["rule"] == "shop.number_format"]
    assert len(numbers) == custom.records_checked == 9
    assert numbers[0]["path"] == "number" and numbers[0]["severity"] == "info"
    assert custom.score != default.score

    # JSON rules of the same shape read the same.
    as_json = json.dumps(
        {
            "version": 1,
            "rules": {
                "order.email_syntax": {"enabled": False},
                "order.total_matches": {"severity": "warning"},
            },
            "field_rules": [
                {
                    "id": "shop.number_format",
                    "entity": "order",
                    "field": "number",
                    "pattern": "^SO-[0-9]+$",
                    "severity": "info",
                }
            ],
        }
    )
    assert nexus.RuleSet.from_json(as_json).rules == rules.rules
    assert nexus.RuleSet.from_yaml(RULE_FILE).rules == rules.rules


def test_a_rule_file_mistake_names_the_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(
        "rules:\n  order.total_matches: {}\n  order.totl_matches: {}\n", encoding="utf-8"
    )
    with pytest.raises(nexus.RuleError) as info:
        nexus.RuleSet.from_file(path)
    err = info.value
    assert isinstance(err, nexus.NexusError) and isinstance(err, ValueError)
    assert err.code == "invalid_rules"
    assert (err.file, err.line, err.key) == (str(path), 3, "rules.order.totl_matches")
    assert isinstance(err.column, int)
    message = str(err)
    assert message.startswith(f"{path}:3:")
    assert "rules.order.totl_matches" in message and "unknown rule" in message
    copy = pickle.loads(pickle.dumps(err))
    assert (type(copy), str(copy), copy.code, copy.line, copy.key) == (
        nexus.RuleError,
        message,
        "invalid_rules",
        3,
        "rules.order.totl_matches",
    )

    with pytest.raises(nexus.RuleError, match="unknown severity") as info:
        nexus.RuleSet.from_yaml("rules:\n  order.total_matches:\n    severity: fatal\n")
    assert (info.value.file, info.value.line) == (None, 3)
    assert info.value.key == "rules.order.total_matches.severity"

    with pytest.raises(nexus.RuleError) as info:
        nexus.RuleSet.from_file(tmp_path / "missing.yaml")
    assert info.value.file is not None and info.value.file.endswith("missing.yaml")
    assert info.value.line is None and info.value.key is None
    (tmp_path / "rules.txt").write_text("version: 1\n", encoding="utf-8")
    with pytest.raises(nexus.RuleError, match=r"\.yaml, \.yml or \.json"):
        nexus.RuleSet.from_file(tmp_path / "rules.txt")
    assert nexus.RuleError("made by hand").code == "invalid_rules"


def test_violations_frame_with_polars_and_pandas() -> None:
    report = nexus.check_quality(dirty_orders(), entity="orders", as_of=AS_OF)
    frame = report.violations_frame()
    assert isinstance(frame, pl.DataFrame)
    assert frame.columns == COLUMNS
    assert frame.height == len(report.violations) == 12
    assert frame["rule"].to_list() == [v["rule"] for v in report.violations]
    assert frame.schema["index"] == pl.Int64 and frame.schema["fixable"] == pl.Boolean
    first = report.violations[0]
    assert frame.row(0, named=True) == {c: first[c] for c in COLUMNS}

    pandas = report.violations_frame(kind="pandas")
    assert isinstance(pandas, pd.DataFrame)
    assert list(pandas.columns) == COLUMNS
    assert len(pandas) == len(report.violations)
    assert pandas["record_id"].tolist() == [v["record_id"] for v in report.violations]
    assert pandas["fixable"].dtype == bool and pandas["index"].dtype == "int64"

    with pytest.raises(ValueError, match="kind"):
        report.violations_frame(kind="excel")  # type: ignore[arg-type]


def test_violations_frame_falls_back_to_pandas_without_polars(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    report = nexus.check_quality(dirty_orders(), entity="orders", as_of=AS_OF)
    find_spec = importlib.util.find_spec

    def without_polars(name: str, package: Optional[str] = None) -> Any:
        return None if name == "polars" else find_spec(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", without_polars)
    frame = report.violations_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) == len(report.violations)


def test_no_violations_give_empty_frames_with_the_columns() -> None:
    report = nexus.check_quality([], entity="orders")
    assert (report.records_checked, report.violations, report.score) == (0, [], 100.0)
    frame = report.violations_frame(kind="polars")
    assert (frame.height, frame.columns) == (0, COLUMNS)
    assert frame.schema["index"] == pl.Int64
    pandas = report.violations_frame(kind="pandas")
    assert (len(pandas), list(pandas.columns)) == (0, COLUMNS)
    assert pandas["index"].dtype == "int64"


def test_to_html_writes_a_page_with_the_grade(tmp_path: Path) -> None:
    report = nexus.check_quality(dirty_orders(), entity="orders", as_of=AS_OF, cleanse=True)
    path = tmp_path / "report.html"
    page = report.to_html(path)
    assert path.read_text(encoding="utf-8") == page
    assert page.startswith("<!DOCTYPE html>")
    assert f">{report.grade}</div>" in page
    assert "<script" not in page
    assert report.to_html() == page


def test_to_json_and_from_json_round_trip() -> None:
    report = nexus.check_quality(dirty_orders(), entity="orders", as_of=AS_OF, cleanse=True)
    text = report.to_json()
    again = nexus.QualityReport.from_json(text)
    assert again.to_dict() == report.to_dict() == json.loads(text)
    assert (again.score, again.grade, again.violations) == (
        report.score,
        report.grade,
        report.violations,
    )
    assert again.generated_at == datetime(2024, 6, 1, tzinfo=timezone.utc)
    assert again.nexus_version == nexus.__version__
    assert again.records is None and report.records is not None
    assert nexus.QualityReport.from_json(text.encode()).to_dict() == report.to_dict()
    # to_dict() is a copy: changing it leaves the report as it was.
    copy = report.to_dict()
    copy["violations"].clear()
    assert len(report.violations) == 9
    with pytest.raises(nexus.InvalidArgumentError, match="not a Nexus quality report"):
        nexus.QualityReport.from_json('{"score": 1}')


def test_previous_gives_a_trend() -> None:
    before = nexus.check_quality(dirty_orders(), entity="orders", as_of=AS_OF)
    assert before.trend is None
    after = nexus.check_quality(
        dirty_orders(), entity="orders", as_of=AS_OF, cleanse=True, previous=before
    )
    trend = after.trend
    assert trend is not None
    assert trend["previous_score"] == before.score
    assert trend["previous_grade"] == before.grade
    assert trend["score_change"] == round(after.score - before.score, 2)
    assert trend["direction"] == "improved" and trend["grade_steps"] == 1
    fixed = {r["rule"]: (r["previous"], r["current"]) for r in trend["rules"]}
    assert fixed["order.email_syntax"] == (1, 0)
    # The previous report as JSON text (as saved from an earlier run) does the same.
    from_text = nexus.check_quality(
        dirty_orders(), entity="orders", as_of=AS_OF, cleanse=True, previous=before.to_json()
    )
    assert from_text.trend == trend
    with pytest.raises(nexus.InvalidArgumentError, match="not a Nexus quality report"):
        nexus.check_quality(dirty_orders(), entity="orders", previous="{}")


def test_cleansing_returns_the_cleansed_records() -> None:
    orders = dirty_orders()
    assert orders[1]["email"] == " Jane.Doe@Shop.COM"
    plain = nexus.check_quality(orders, entity="orders", as_of=AS_OF)
    assert plain.records is None and plain.cleansing == []
    report = nexus.check_quality(orders, entity="orders", as_of=AS_OF, cleanse=True)
    cleansed = report.records
    assert isinstance(cleansed, list) and len(cleansed) == len(orders)
    assert cleansed[1]["email"] == "jane.doe@shop.com"
    assert orders[1]["email"] == " Jane.Doe@Shop.COM", "the records given are not changed"
    email = [c for c in report.cleansing if c["record_id"] == "101" and c["field"] == "email"]
    assert [(c["cleanser"], c["before"], c["after"]) for c in email] == [
        ("trim_whitespace", " Jane.Doe@Shop.COM", "Jane.Doe@Shop.COM"),
        ("lowercase_email", "Jane.Doe@Shop.COM", "jane.doe@shop.com"),
    ]
    assert "order.email_syntax" not in failing_rules(report)
    # The cleansed records check clean of what cleansing fixed.
    again = nexus.check_quality(cleansed, entity="orders", as_of=AS_OF)
    assert again.score == report.score

    dataset = nexus.check_quality({"orders": orders}, as_of=AS_OF, cleanse=True)
    assert isinstance(dataset.records, dict)
    assert dataset.records["orders"][1]["email"] == "jane.doe@shop.com"


def test_a_bad_record_is_rejected_without_sinking_the_others() -> None:
    good = woo_orders().records
    bad = {"source": {"platform": "woocommerce", "store": "s", "entity": "order", "id": "x9"}}
    report = nexus.check_quality([good[0], bad, good[1]], entity="orders", cleanse=True)
    assert report.records_checked == 2
    assert len(report.rejected) == 1
    rejected = report.rejected[0]
    assert (rejected["index"], rejected["record_id"], rejected["entity"]) == (1, "x9", "order")
    assert rejected["message"]
    assert {v["index"] for v in report.violations} <= {0, 2}
    assert report.records is not None and report.records[1] == bad
    assert repr(report).endswith(", 1 rejected>")


def test_a_list_needs_its_entity() -> None:
    orders = dirty_orders()
    with pytest.raises(nexus.InvalidArgumentError, match="`entity`") as info:
        nexus.check_quality(orders)
    assert isinstance(info.value, ValueError) and info.value.code == "invalid_argument"
    with pytest.raises(ValueError, match="entity"):
        nexus.check_quality(woo_orders())
    with pytest.raises(nexus.UnknownEntityError):
        nexus.check_quality(orders, entity="invoices")
    with pytest.raises(nexus.InvalidArgumentError, match="transactions"):
        nexus.check_quality([], entity="transactions")
    with pytest.raises(TypeError, match="records"):
        nexus.check_quality(42, entity="orders")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="rules"):
        nexus.check_quality(orders, entity="orders", rules="quality.yaml")  # type: ignore[arg-type]


def test_as_of_as_a_datetime_or_text() -> None:
    orders = dirty_orders()
    text = nexus.check_quality(orders, entity="orders", as_of=AS_OF)
    aware = nexus.check_quality(
        orders, entity="orders", as_of=datetime(2024, 6, 1, tzinfo=timezone.utc)
    )
    assert aware.to_dict() == text.to_dict()
    assert text.generated_at == datetime(2024, 6, 1, tzinfo=timezone.utc)
    # Judged much later, the pending order is older and the future dates are not.
    later = nexus.check_quality(orders, entity="orders", as_of="2032-01-01T00:00:00Z")
    assert "order.future_date" not in failing_rules(later)
    with pytest.raises(nexus.InvalidArgumentError, match="as_of"):
        nexus.check_quality(orders, entity="orders", as_of="yesterday")
    with pytest.raises(nexus.InvalidArgumentError, match="time zone"):
        nexus.check_quality(orders, entity="orders", as_of=datetime(2024, 6, 1))


def test_report_attributes_and_repr() -> None:
    report = nexus.check_quality(dirty_orders(), entity="orders", as_of=AS_OF)
    assert repr(report) == "<QualityReport B 85.22, 9 records, 12 violations, 1 rejected>"
    assert set(report.dimensions) == {
        "completeness",
        "validity",
        "consistency",
        "uniqueness",
        "timeliness",
        "accuracy",
    }
    details = report.dimension_details["validity"]
    assert details["score"] == report.dimensions["validity"]
    assert details["records_checked"] == 9
    assert [s["store"] for s in report.stores] == ["shop", "outlet"]
    top = report.recommendations[0]
    assert (top["rank"], top["rule"]) == (1, "order.email_syntax")
    assert top["fix"] and top["examples"][0]["record_id"] == "101"


def test_rule_set_default_and_catalog() -> None:
    default = nexus.RuleSet.default()
    assert nexus.RuleSet().rules == default.rules
    assert repr(default) == "<RuleSet: 72 of 72 built-in rules enabled, 0 field rules>"
    catalog = nexus.RuleSet.catalog()
    assert [r["id"] for r in catalog] == [r["id"] for r in default.rules]
    total = next(r for r in catalog if r["id"] == "order.total_matches")
    assert total["params"] == ["tolerance"] and total["advice"]
    same = nexus.check_quality(dirty_orders(), entity="orders", as_of=AS_OF, rules=default)
    assert same.score == 85.22
