"""The shared expectations (tests/expectations.json) and the committed JSON Schema.

The same expectations are checked by the Rust and Node test suites, so the three languages
map every payload identically.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Union

import jsonschema
import pytest

import nexus

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
EXPECTATIONS = REPO / "tests" / "expectations.json"
SCHEMA_FILE = REPO / "schema" / "nexus.schema.json"

Case = Dict[str, Any]

MAPPERS: Dict[str, Callable[..., nexus.MappingResult]] = {
    "orders": nexus.map_orders,
    "customers": nexus.map_customers,
    "products": nexus.map_products,
    "variants": nexus.map_variants,
    "refunds": nexus.map_refunds,
    "transactions": nexus.map_transactions,
}

SCHEMA_DEFS = {
    "orders": "Order",
    "customers": "Customer",
    "products": "Product",
    "variants": "Variant",
    "refunds": "Refund",
    "transactions": "Transaction",
}


def load_cases() -> List[Case]:
    cases: List[Case] = json.loads(EXPECTATIONS.read_text(encoding="utf-8"))["cases"]
    assert cases, f"{EXPECTATIONS} has no cases"
    return cases


CASES = load_cases()
FIXTURE_CASES = [c for c in CASES if "fixture" in c]


def case_id(case: Case) -> str:
    return str(case["name"])


def raw_payload(case: Case) -> Union[str, bytes]:
    """A fixture as the bytes on disk, an inline payload as text: both input kinds get used."""
    if "fixture" in case:
        return fixture_bytes(case)
    payload: str = case["payload"]
    return payload


def fixture_bytes(case: Case) -> bytes:
    fixture: str = case["fixture"]
    return (FIXTURES / fixture).read_bytes()


def run(case: Case, payload: nexus.Payload) -> nexus.MappingResult:
    mapper = MAPPERS[case["entity"]]
    return mapper(
        case["platform"],
        payload,
        store=case.get("store"),
        currency=case.get("currency"),
        keep_unmapped=case.get("keep_unmapped", True),
    )


def pointer(doc: Any, ptr: str) -> Any:
    """Resolves an RFC 6901 JSON Pointer in a parsed JSON document."""
    if ptr == "":
        return doc
    assert ptr.startswith("/"), f"not a JSON pointer: {ptr!r}"
    for raw in ptr[1:].split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(doc, list):
            assert token.isdigit() and (token == "0" or not token.startswith("0")), (
                f"{ptr}: {token!r} is not an array index"
            )
            index = int(token)
            assert index < len(doc), f"{ptr}: index {index} out of range ({len(doc)} items)"
            doc = doc[index]
        elif isinstance(doc, dict):
            assert token in doc, f"{ptr}: no member {token!r} (members: {sorted(doc)})"
            doc = doc[token]
        else:
            raise AssertionError(f"{ptr}: cannot step into {type(doc).__name__} with {token!r}")
    return doc


def json_equal(a: Any, b: Any) -> bool:
    """Equality of JSON values: unlike ``==``, ``true`` is not ``1`` and ``1.0`` is ``1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def error_keys(result: nexus.MappingResult) -> List[Dict[str, Any]]:
    return [{"index": e.index, "path": e.path, "code": e.code} for e in result.errors]


def check_case(case: Case, result: nexus.MappingResult) -> None:
    assert error_keys(result) == case["errors"], "\n".join(map(str, result.errors))
    assert len(result) == case["records"]
    for check in case["values"]:
        record = result.records[check["record"]]
        where = f"record {check['record']} {check['path']}"
        if check.get("absent"):
            parent, _, last = check["path"].rpartition("/")
            container = pointer(record, parent)
            assert isinstance(container, dict) and last not in container, f"{where}: present"
            continue
        actual = pointer(record, check["path"])
        if "equals" in check:
            assert json_equal(actual, check["equals"]), (
                f"{where}: {actual!r} != {check['equals']!r}"
            )
        if "length" in check:
            assert isinstance(actual, list), f"{where}: not a list: {actual!r}"
            assert len(actual) == check["length"], f"{where}: length {len(actual)}"
        assert "equals" in check or "length" in check, f"{where}: nothing to check"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_expectation(case: Case) -> None:
    check_case(case, run(case, raw_payload(case)))


def floats_survive_python_json(raw: bytes) -> bool:
    """Whether every non-integer number of the payload reads back from a Python float as
    the same text, so that ``json.dumps(json.loads(raw))`` hands the core the same numbers."""
    same = True

    def check(text: str) -> float:
        nonlocal same
        value = float(text)
        same = same and repr(value) == text
        return value

    json.loads(raw, parse_float=check)
    return same


@pytest.mark.parametrize("case", FIXTURE_CASES, ids=case_id)
def test_expectation_with_parsed_payload(case: Case) -> None:
    raw = fixture_bytes(case)
    from_bytes = run(case, raw)
    parsed = run(case, json.loads(raw))
    check_case(case, parsed)
    if floats_survive_python_json(raw):
        # Same numbers reach the core, so everything must come out the same.
        assert parsed.records == from_bytes.records
        assert parsed.errors == from_bytes.errors
    else:
        # Python's json module rounded a number: amounts may differ in their last digits.
        assert error_keys(parsed) == error_keys(from_bytes)
        assert len(parsed) == len(from_bytes)


@pytest.fixture(scope="module")
def committed_schema() -> Dict[str, Any]:
    schema: Dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return schema


def test_committed_schema_is_a_valid_schema(committed_schema: Dict[str, Any]) -> None:
    jsonschema.Draft202012Validator.check_schema(committed_schema)
    assert set(SCHEMA_DEFS.values()) <= set(committed_schema["$defs"])


def test_json_schema_matches_committed_file(committed_schema: Dict[str, Any]) -> None:
    assert nexus.json_schema() == committed_schema


def validator_for(schema: Dict[str, Any], definition: Optional[str]) -> Any:
    """A validator of one `$defs` entry (or of the whole document), refs resolved in it."""
    if definition is not None:
        schema = {k: v for k, v in schema.items() if k != "oneOf"}
        schema["$ref"] = f"#/$defs/{definition}"
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("case", [c for c in CASES if c["records"] > 0], ids=case_id)
def test_records_match_committed_schema(case: Case, committed_schema: Dict[str, Any]) -> None:
    result = run(case, raw_payload(case))
    assert len(result) == case["records"]
    by_definition = validator_for(committed_schema, SCHEMA_DEFS[case["entity"]])
    whole = validator_for(committed_schema, None)
    for i, record in enumerate(result):
        problems = [
            f"record {i} {'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in by_definition.iter_errors(record)
        ]
        assert not problems, "\n".join(problems)
        # The document's root (`oneOf` the record types) must accept it too.
        whole.validate(record)

