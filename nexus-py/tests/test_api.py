"""Behaviour of the public Python API that a user notices."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import inspect
import json
import pickle
import re
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List

import pytest

import nexus
from nexus import _nexus

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"


def woo_order(order_id: int, price: str = "12.50") -> Dict[str, Any]:
    return {
        "id": order_id,
        "status": "completed",
        "currency": "EUR",
        "date_created_gmt": "2024-01-05T10:00:00",
        "total": "12.50",
        "line_items": [
            {"id": 7, "name": "Mug", "quantity": 1, "price": price, "subtotal": price, "total": price}
        ],
    }


GOOD_AND_BAD: List[Dict[str, Any]] = [woo_order(1), woo_order(2, "abc"), {"status": "pending"}]


def test_unknown_platform_is_a_value_error_with_a_code() -> None:
    with pytest.raises(ValueError, match="ebay"):
        nexus.map_orders("ebay", "[]")  # type: ignore[arg-type]
    with pytest.raises(nexus.UnknownPlatformError) as info:
        nexus.map_orders("ebay", "[]")  # type: ignore[arg-type]
    assert isinstance(info.value, nexus.NexusError)
    assert info.value.code == "unknown_platform"


def test_platform_names_are_case_insensitive_at_run_time() -> None:
    result = nexus.map_orders("Shopify", (FIXTURES / "shopify" / "order.json").read_bytes())  # type: ignore[arg-type]
    assert [r["source"]["platform"] for r in result] == ["shopify"]


def test_unknown_entity_from_the_native_module() -> None:
    with pytest.raises(nexus.UnknownEntityError) as info:
        _nexus.map_json("shopify", "invoices", "[]")
    assert isinstance(info.value, ValueError)
    assert info.value.code == "unknown_entity"


@pytest.mark.parametrize("platform", ["woocommerce", "magento"])
def test_transactions_are_unsupported_outside_shopify(platform: nexus.Platform) -> None:
    with pytest.raises(nexus.UnsupportedError, match="transactions") as info:
        nexus.map_transactions(platform, "[]")
    assert info.value.code == "unsupported"
    assert not isinstance(info.value, ValueError)


def test_shopify_transactions_map() -> None:
    result = nexus.map_transactions(
        "shopify", (FIXTURES / "shopify" / "order_transactions.json").read_bytes()
    )
    assert len(result) > 0
    assert {r["source"]["entity"] for r in result} == {"transaction"}


@pytest.mark.parametrize("currency", ["EURO", "€", ""])
def test_bad_currency_is_an_invalid_argument(currency: str) -> None:
    with pytest.raises(nexus.InvalidArgumentError, match="currency") as info:
        nexus.map_products("woocommerce", "[]", currency=currency)
    assert isinstance(info.value, ValueError)
    assert info.value.code == "invalid_argument"


def test_store_and_currency_reach_the_records() -> None:
    payload = (FIXTURES / "woocommerce" / "product.json").read_bytes()
    plain = nexus.map_products("woocommerce", payload).raise_for_errors().records[0]
    named = nexus.map_products("woocommerce", payload, store="shop-eu", currency="USD").records[0]
    assert plain["source"]["store"] == "default"
    assert plain["currency"] is None
    assert named["source"]["store"] == "shop-eu"
    assert named["currency"] == "USD"


def test_options_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        nexus.map_orders("shopify", "[]", "main")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        nexus.map_orders("shopify", "[]", stor="main")  # type: ignore[call-arg]


def test_truncated_json_keeps_the_records_before_the_cut() -> None:
    text = json.dumps([woo_order(1), woo_order(2), woo_order(3)])
    cut = text[: text.index('{"id": 3') + 20]
    result = nexus.map_orders("woocommerce", cut)
    assert [r["source"]["id"] for r in result] == ["1", "2"]
    assert [(e.index, e.path, e.code) for e in result.errors] == [(2, "[2]", "invalid_json")]


def test_not_json_is_one_payload_error() -> None:
    result = nexus.map_orders("shopify", b"<html>Access denied</html>")
    assert len(result) == 0
    assert [(e.index, e.id, e.code) for e in result.errors] == [(None, None, "invalid_json")]


@pytest.mark.parametrize(
    "convert",
    [
        lambda p: p,
        lambda p: p.decode("utf-8"),
        bytearray,
        memoryview,
        json.loads,
        lambda p: tuple(json.loads(p)),
    ],
    ids=["bytes", "str", "bytearray", "memoryview", "list", "tuple"],
)
def test_payload_kinds_give_the_same_result(convert: Any) -> None:
    raw = json.dumps(GOOD_AND_BAD).encode("utf-8")
    expected = nexus.map_orders("woocommerce", raw)
    result = nexus.map_orders("woocommerce", convert(raw))
    assert result.records == expected.records
    assert result.errors == expected.errors
    assert [r["source"]["id"] for r in result] == ["1"]
    assert [e.code for e in result.errors] == ["invalid_decimal", "missing_field"]


def test_dict_payload_single_record_and_envelope() -> None:
    single = nexus.map_orders("woocommerce", woo_order(5))
    envelope = nexus.map_orders("shopify", json.loads((FIXTURES / "shopify" / "orders.json").read_text()))
    assert [r["source"]["id"] for r in single] == ["5"]
    assert len(envelope) == 1 and not envelope.errors


def test_unsupported_payload_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="payload"):
        nexus.map_orders("woocommerce", 42)  # type: ignore[arg-type]


def test_text_keeps_money_exact_and_parsed_floats_do_not() -> None:
    text = (
        '{"entity_id": 1, "order_currency_code": "EUR", "created_at": "2020-01-01 00:00:00",'
        ' "status": "complete", "grand_total": 1234567890.123456789, "subtotal": 0.10}'
    )
    exact = nexus.map_orders("magento", text).raise_for_errors().records[0]
    assert exact["total"]["amount"] == "1234567890.123456789"
    assert exact["subtotal"]["amount"] == "0.10"
    # A dict has been through Python floats: the documented loss of precision.
    rounded = nexus.map_orders("magento", json.loads(text)).raise_for_errors().records[0]
    assert rounded["total"]["amount"] == repr(1234567890.123456789)
    assert Decimal(rounded["subtotal"]["amount"]) == Decimal("0.1")


def test_records_are_plain_json_dicts() -> None:
    order = nexus.map_orders("shopify", (FIXTURES / "shopify" / "order.json").read_bytes()).records[0]
    assert type(order) is dict
    assert json.loads(json.dumps(order)) == order
    assert isinstance(order["source"]["id"], str)
    assert set(order["total"]) == {"amount", "currency"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", order["created_at"])


def test_errors_are_plain_objects() -> None:
    errors = nexus.map_orders("woocommerce", GOOD_AND_BAD).errors
    assert [dataclasses.astuple(e) for e in errors] == [
        (1, "2", "[1].line_items[0].price", "invalid_decimal", errors[0].message),
        (2, None, "[2].id", "missing_field", errors[1].message),
    ]
    first = errors[0]
    assert isinstance(first, nexus.MappingError)
    assert not isinstance(first, BaseException)
    assert "abc" in first.message
    assert str(first) == f"[1].line_items[0].price: {first.message}"
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.code = "other"  # type: ignore[misc]
    assert first == nexus.MappingError(*dataclasses.astuple(first))


def test_mapping_result_container() -> None:
    result = nexus.map_orders("woocommerce", GOOD_AND_BAD)
    assert len(result) == 1
    assert list(result) == result.records
    text = repr(result)
    assert "1 record" in text and "2 errors" in text
    assert "[1].line_items[0].price" in text and "missing_field" in text
    assert repr(nexus.map_orders("woocommerce", "[]")) == "<MappingResult: 0 records, 0 errors>"


def test_raise_for_errors_reports_every_error_together() -> None:
    result = nexus.map_orders("woocommerce", GOOD_AND_BAD)
    with pytest.raises(nexus.DataError) as info:
        result.raise_for_errors()
    err = info.value
    assert isinstance(err, nexus.NexusError) and isinstance(err, ValueError)
    assert err.errors == result.errors
    assert err.code == "invalid_decimal"
    message = str(err)
    assert "2 mapping problems" in message
    assert "[1].line_items[0].price" in message and "[2].id" in message


def test_raise_for_errors_returns_a_clean_result() -> None:
    result = nexus.map_orders("woocommerce", [woo_order(1)])
    assert result.raise_for_errors() is result


def test_mapping_from_many_threads_at_once() -> None:
    """The GIL is released while mapping: concurrent calls must not disturb each other."""
    payloads = [
        ("woocommerce", (FIXTURES / "woocommerce" / "orders_list.json").read_bytes()),
        ("shopify", (FIXTURES / "shopify" / "order.json").read_bytes()),
        ("magento", (FIXTURES / "magento" / "order.json").read_bytes()),
    ]
    expected = [nexus.map_orders(p, body).records for p, body in payloads]  # type: ignore[arg-type]
    assert all(expected)
    with ThreadPoolExecutor(max_workers=4) as pool:
        jobs = [
            pool.submit(nexus.map_orders, platform, body)  # type: ignore[arg-type]
            for _ in range(20)
            for platform, body in payloads
        ]
        results = [job.result().records for job in jobs]
    assert results == expected * 20


def test_exceptions_survive_pickling() -> None:
    try:
        nexus.map_orders("woocommerce", GOOD_AND_BAD).raise_for_errors()
    except nexus.DataError as err:
        copy = pickle.loads(pickle.dumps(err))
        assert type(copy) is nexus.DataError
        assert (str(copy), copy.code, copy.errors) == (str(err), err.code, err.errors)
    else:
        pytest.fail("raise_for_errors did not raise")
    try:
        nexus.map_orders("ebay", "[]")  # type: ignore[arg-type]
    except nexus.UnknownPlatformError as err:
        copy2 = pickle.loads(pickle.dumps(err))
        assert (type(copy2), str(copy2), copy2.code) == (type(err), str(err), err.code)


def test_exception_hierarchy() -> None:
    value_errors = [
        nexus.UnknownPlatformError,
        nexus.UnknownEntityError,
        nexus.InvalidArgumentError,
        nexus.DataError,
    ]
    for cls in [*value_errors, nexus.UnsupportedError]:
        assert issubclass(cls, nexus.NexusError)
        assert cls.__module__ == "nexus"
        assert cls("made by hand").code == cls.default_code
    assert all(issubclass(cls, ValueError) for cls in value_errors)
    assert not issubclass(nexus.NexusError, ValueError)
    assert nexus.NexusError("x", "custom").code == "custom"


def test_json_schema_is_a_fresh_dict_each_time() -> None:
    schema = nexus.json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    schema["$defs"].clear()
    assert "Order" in nexus.json_schema()["$defs"]


def test_version_matches_cargo_and_the_wheel() -> None:
    cargo = (REPO / "Cargo.toml").read_text(encoding="utf-8")
    package = cargo[cargo.index("[workspace.package]") :]
    match = re.search(r'^version\s*=\s*"([^"]+)"', package, re.MULTILINE)
    assert match is not None
    assert nexus.__version__ == match.group(1)
    assert importlib.metadata.version("nexus-commerce") == nexus.__version__


def test_public_functions_and_classes_have_docstrings() -> None:
    assert nexus.__doc__
    for name in nexus.__all__:
        obj = getattr(nexus, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            assert inspect.getdoc(obj), f"nexus.{name} has no docstring"
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if inspect.isfunction(member) and not attr.startswith("_"):
                    assert inspect.getdoc(member), f"nexus.{name}.{attr} has no docstring"
