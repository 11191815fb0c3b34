"""Data quality: rule sets, checks with optional cleansing, and the quality report
(re-exported as ``nexus.RuleSet``, ``nexus.check_quality`` and ``nexus.QualityReport``).

The engine is the Rust core's: this module turns Python objects into the JSON text the
native module takes, and the JSON text it returns into a :class:`QualityReport`.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Literal, Mapping, Optional, Sequence, Union

from . import _nexus
from ._connectors import _time_arg
from ._errors import InvalidArgumentError
from ._result import MappingResult

__all__ = ["QualityReport", "RuleSet", "check_quality"]

Records = Union[
    str,
    bytes,
    bytearray,
    memoryview,
    MappingResult,
    Sequence[Mapping[str, Any]],
    Mapping[str, Any],
]
"""What :func:`check_quality` checks: unified records (a list of dicts or a
:class:`MappingResult`), a dataset (a dict of such lists), or their JSON text."""

_DATASET_KEYS = frozenset(["orders", "customers", "products", "variants", "refunds"])

VIOLATION_COLUMNS = [
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
"""The columns of :meth:`QualityReport.violations_frame`, in order."""


class RuleSet:
    """The rules a check runs, with their settings, the score weights, the grade scale and
    the cleansing options.

    ``RuleSet()`` and :meth:`RuleSet.default` are the default pack (every built-in rule,
    documented in ``docs/quality-rules.md``). A rule file changes it: it can disable rules,
    change their severity and settings, add field rules, and change the weights, the grades
    and what cleansing may do::

        rules = nexus.RuleSet.from_file("quality.yaml")
        report = nexus.check_quality(orders, entity="orders", rules=rules)

    A mistake in the rules raises :class:`nexus.RuleError` naming the file, line and key.
    """

    __slots__ = ("_native",)

    _native: _nexus._RuleSet

    def __init__(self) -> None:
        """The default pack, as :meth:`RuleSet.default`."""
        self._native = _nexus._RuleSet.default()

    @classmethod
    def _wrap(cls, native: _nexus._RuleSet) -> RuleSet:
        rules = cls.__new__(cls)
        rules._native = native
        return rules

    @classmethod
    def default(cls) -> RuleSet:
        """The default pack: every built-in rule, enabled, with its default settings."""
        return cls._wrap(_nexus._RuleSet.default())

    @classmethod
    def from_file(cls, path: Union[str, os.PathLike[str]]) -> RuleSet:
        """Reads a rule file, YAML or JSON by its extension (``.yaml``, ``.yml``, ``.json``).

        Raises:
            RuleError: the file cannot be read, or has a mistake (the error's ``file``,
                ``line``, ``column`` and ``key`` say where).
        """
        return cls._wrap(_nexus._RuleSet.from_file(os.fspath(path)))

    @classmethod
    def from_yaml(cls, text: str) -> RuleSet:
        """Reads rules from YAML text (the form of a rule file).

        Raises:
            RuleError: the text has a mistake.
        """
        return cls._wrap(_nexus._RuleSet.from_yaml(text))

    @classmethod
    def from_json(cls, text: str) -> RuleSet:
        """Reads rules from JSON text (the same shape as a YAML rule file).

        Raises:
            RuleError: the text has a mistake.
        """
        return cls._wrap(_nexus._RuleSet.from_json(text))

    @property
    def rules(self) -> List[Dict[str, Any]]:
        """The rules of the set, enabled or not: one dict per rule with ``id``, ``entity``,
        ``dimension``, ``severity``, ``enabled``, ``builtin`` (``False`` for a field rule)
        and ``title``. Each access returns a fresh list."""
        rules: List[Dict[str, Any]] = json.loads(self._native.rules())
        return rules

    @staticmethod
    def catalog() -> List[Dict[str, Any]]:
        """Every built-in rule as documented: ``id``, ``entity``, ``dimension``, default
        ``severity``, ``title``, ``catches`` (an example), ``advice`` (the fix at the
        source), ``cleanser`` (or ``None``) and ``params`` (the settings it takes)."""
        catalog: List[Dict[str, Any]] = json.loads(_nexus.rule_catalog())
        return catalog

    def __repr__(self) -> str:
        """How many built-in rules are enabled, and how many field rules there are."""
        rules = self.rules
        builtin = [r for r in rules if r["builtin"]]
        enabled = sum(1 for r in builtin if r["enabled"])
        fields = len(rules) - len(builtin)
        return (
            f"<RuleSet: {enabled} of {len(builtin)} built-in rules enabled, "
            f"{fields} field rule{'' if fields == 1 else 's'}>"
        )


class QualityReport:
    """What a quality check found: scores, grade, counts per rule, every violation, the
    cleansing log, ranked recommendations and the trend against a previous report.

    Made by :func:`check_quality` or read back with :meth:`QualityReport.from_json`. The
    attributes are views of the report's JSON form (the one :meth:`to_dict` returns);
    :meth:`to_dict` gives an independent copy to change.

    Scores are 0 to 100 with two decimals; grades run from ``"A+"`` to ``"F"`` on the
    default scale (a rule file can change it).
    """

    __slots__ = ("_data", "_records")

    _data: Dict[str, Any]
    _records: Any

    def __init__(self, report: Mapping[str, Any], records: Any = None) -> None:
        """Wraps a report in its JSON form (as :meth:`to_dict` returns it) and, after a
        check with cleansing, the cleansed records."""
        self._data = dict(report)
        self._records = records

    @classmethod
    def from_json(cls, text: Union[str, bytes]) -> QualityReport:
        """Reads a report written by :meth:`to_json` (by this binding, the Rust core or the
        Node binding), to pass as ``previous`` or to render again.

        Raises:
            InvalidArgumentError: the text is not a Nexus quality report.
        """
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        data: Dict[str, Any] = json.loads(_nexus.report_from_json(text))
        return cls(data)

    @property
    def nexus_version(self) -> str:
        """The version of Nexus that made the report."""
        version: str = self._data["nexus_version"]
        return version

    @property
    def generated_at(self) -> datetime:
        """The time the data was judged at (``as_of``, or the clock when the check ran), as
        an aware datetime in UTC."""
        text: str = self._data["generated_at"]
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    @property
    def score(self) -> float:
        """The overall score, 0 to 100: the dimension scores weighted by the dimension
        weights, over the dimensions that were checked."""
        return float(self._data["score"])

    @property
    def grade(self) -> str:
        """The grade of the overall score (``"A+"`` to ``"F"`` on the default scale)."""
        grade: str = self._data["grade"]
        return grade

    @property
    def records_checked(self) -> int:
        """The number of records checked (records listed in :attr:`rejected` are not)."""
        return int(self._data["records"])

    @property
    def dimensions(self) -> Dict[str, Optional[float]]:
        """The score of each DAMA dimension (``"completeness"``, ``"validity"``,
        ``"consistency"``, ``"uniqueness"``, ``"timeliness"``, ``"accuracy"``); ``None``
        for a dimension no enabled rule checked."""
        return {name: d["score"] for name, d in self._data["dimensions"].items()}

    @property
    def dimension_details(self) -> Dict[str, Dict[str, Any]]:
        """Each dimension's ``score``, ``weight``, ``records_checked`` and
        ``records_failed``."""
        details: Dict[str, Dict[str, Any]] = self._data["dimensions"]
        return details

    @property
    def entities(self) -> List[Dict[str, Any]]:
        """Scores per entity: ``entity``, ``records``, ``score``, ``grade``,
        ``dimensions``."""
        entities: List[Dict[str, Any]] = self._data["entities"]
        return entities

    @property
    def stores(self) -> List[Dict[str, Any]]:
        """Scores per store: ``platform``, ``store``, ``records``, ``score``, ``grade``,
        ``dimensions``."""
        stores: List[Dict[str, Any]] = self._data["stores"]
        return stores

    @property
    def rules(self) -> List[Dict[str, Any]]:
        """Counts per rule that ran: ``rule``, ``entity``, ``dimension``, ``severity``,
        ``title``, ``checked``, ``records_failed``, ``violations``, ``fixable``."""
        rules: List[Dict[str, Any]] = self._data["rules"]
        return rules

    @property
    def violations(self) -> List[Dict[str, Any]]:
        """Every violation, in record order, with the columns of
        :meth:`violations_frame`. ``index`` is the record's position in the list given."""
        violations: List[Dict[str, Any]] = self._data["violations"]
        return violations

    @property
    def cleansing(self) -> List[Dict[str, Any]]:
        """What cleansing changed, in order (empty when it did not run): ``entity``,
        ``platform``, ``store``, ``record_id``, ``index``, ``field``, ``before``, ``after``
        and ``cleanser``."""
        changes: List[Dict[str, Any]] = self._data["cleansing"]["changes"]
        return changes

    @property
    def recommendations(self) -> List[Dict[str, Any]]:
        """What to do, most important first: ``rank``, ``rule``, ``problem``,
        ``records_affected``, ``share``, ``impact``, ``examples``, ``fix``, ``cleanser``,
        ``fixable``, ``setting``, ``stores``, ..."""
        recommendations: List[Dict[str, Any]] = self._data["recommendations"]
        return recommendations

    @property
    def trend(self) -> Optional[Dict[str, Any]]:
        """The movement against the ``previous`` report, when one was given:
        ``previous_score``, ``score_change``, ``previous_grade``, ``grade_steps``,
        ``direction`` (``"improved"``, ``"declined"`` or ``"unchanged"``), ``dimensions``
        and ``rules``."""
        trend: Optional[Dict[str, Any]] = self._data["trend"]
        return trend

    @property
    def rejected(self) -> List[Dict[str, Any]]:
        """Records that are not in the unified form, so no rule could check them:
        ``entity``, ``index``, ``record_id`` (when readable), ``path`` and ``message``.
        They are passed through unchanged."""
        rejected: List[Dict[str, Any]] = self._data.get("rejected", [])
        return rejected

    @property
    def records(self) -> Any:
        """After a check with ``cleanse=True``: the cleansed records, in the order and
        shape given (a list, or a dict of lists for a dataset; rejected records unchanged).
        ``None`` otherwise."""
        return self._records

    def violations_frame(self, kind: Optional[Literal["polars", "pandas"]] = None) -> Any:
        """The violations as a data frame, one row per violation, with the columns
        ``rule``, ``entity``, ``platform``, ``store``, ``record_id``, ``index``, ``path``,
        ``severity``, ``dimension``, ``message``, ``value`` and ``fixable`` (an empty frame
        with those columns when there is no violation).

        Args:
            kind: ``"polars"`` or ``"pandas"``. By default a polars DataFrame when polars
                is installed, else a pandas DataFrame.

        Raises:
            ImportError: the library asked for (or, by default, both) is not installed.
            ValueError: ``kind`` is neither ``"polars"`` nor ``"pandas"``.
        """
        if kind is None:
            kind = "polars" if importlib.util.find_spec("polars") is not None else "pandas"
        if kind not in ("polars", "pandas"):
            raise ValueError(f"kind must be 'polars', 'pandas' or None, not {kind!r}")
        columns = {c: [v.get(c) for v in self.violations] for c in VIOLATION_COLUMNS}
        if kind == "polars":
            pl = _optional("polars", "violations_frame(kind='polars') needs polars")
            schema = {c: pl.String for c in VIOLATION_COLUMNS}
            schema["index"] = pl.Int64
            schema["fixable"] = pl.Boolean
            return pl.DataFrame(columns, schema=schema)
        pd = _optional("pandas", "violations_frame() needs polars or pandas: pip install polars")
        # Explicit dtypes, so that an empty frame has the same column types as a full one;
        # text columns use pandas' string dtype, with <NA> for a missing value.
        dtypes = {c: "string" for c in VIOLATION_COLUMNS}
        dtypes["index"] = "int64"
        dtypes["fixable"] = "bool"
        return pd.DataFrame({c: pd.Series(columns[c], dtype=dtypes[c]) for c in VIOLATION_COLUMNS})

    def to_html(self, path: Union[str, os.PathLike[str], None] = None) -> str:
        """The report as a self-contained HTML page for a shop owner (grade, dimension
        scores, top issues with examples, recommendations; no script, no network).

        Args:
            path: When given, the page is also written to this file (UTF-8).

        Returns:
            The page.
        """
        page = _nexus.report_html(self.to_json())
        if path is not None:
            Path(path).write_text(page, encoding="utf-8")
        return page

    def to_json(self) -> str:
        """The report as JSON text (indented), readable by :meth:`from_json` here and by
        ``QualityReport::from_json`` in Rust. The cleansed records are not part of it."""
        return json.dumps(self._data, indent=2, ensure_ascii=False)

    def to_dict(self) -> Dict[str, Any]:
        """The report in its JSON form, as a fresh dict (changing it leaves the report as
        it is)."""
        return copy.deepcopy(self._data)

    def __repr__(self) -> str:
        """Grade, score and the counts of records and violations."""
        n, v = self.records_checked, len(self.violations)
        text = (
            f"<QualityReport {self.grade} {self.score:.2f}, {n} record{'' if n == 1 else 's'}, "
            f"{v} violation{'' if v == 1 else 's'}"
        )
        rejected = len(self.rejected)
        if rejected:
            text += f", {rejected} rejected"
        return text + ">"


def _optional(module: str, hint: str) -> Any:
    """Imports an optional dependency (polars, pandas); ``hint`` says how to install it.

    The import goes through :mod:`importlib` so that type checks pass whether or not the
    module, or type information for it, is installed.
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(hint) from err


def _json_default(value: object) -> Any:
    """What :func:`json.dumps` cannot write by itself: mapping results (their records) and
    mappings that are not dicts."""
    if isinstance(value, MappingResult):
        return value.records
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"records must hold JSON values, not {type(value).__name__}")


def _records_arg(records: Records, entity: Optional[str]) -> Union[str, bytes, bytearray]:
    """The records as JSON text for the native module, after checking that ``entity`` fits
    their shape."""
    if isinstance(records, (str, bytes, bytearray)):
        return records
    if isinstance(records, memoryview):
        return records.tobytes()
    if isinstance(records, Mapping):
        if entity is not None and "source" not in records and _DATASET_KEYS & set(records):
            raise InvalidArgumentError(
                "invalid argument `entity`: the records are a dataset (lists under "
                f"{', '.join(sorted(_DATASET_KEYS & set(records)))}), which is checked as a "
                "whole: leave `entity` out"
            )
        return json.dumps(records, allow_nan=False, default=_json_default)
    if isinstance(records, MappingResult):
        records = records.records
    if isinstance(records, Sequence):
        if entity is None:
            raise InvalidArgumentError(
                "invalid argument `entity`: a list of records needs its entity "
                '("orders", "customers", "products", "variants" or "refunds")'
            )
        return json.dumps(list(records), allow_nan=False, default=_json_default)
    raise TypeError(
        "records must be a list of unified records, a MappingResult, a dict of lists, "
        f"or JSON text, not {type(records).__name__}"
    )


def check_quality(
    records: Records,
    *,
    entity: Optional[str] = None,
    rules: Optional[RuleSet] = None,
    cleanse: bool = False,
    previous: Union[QualityReport, str, None] = None,
    as_of: Union[str, datetime, None] = None,
) -> QualityReport:
    """Checks unified records against a rule set and reports what it found.

    ::

        orders = nexus.map_orders("shopify", body, store="main")
        report = nexus.check_quality(orders, entity="orders", cleanse=True)
        print(report.grade, report.score)
        report.to_html("quality.html")
        clean = report.records

    Args:
        records: The records in the unified JSON form: a list of dicts (``result.records``
            of a mapping) or a :class:`MappingResult`, both of one ``entity``; or a dataset,
            a dict holding lists under ``orders``, ``customers``, ``products``,
            ``variants`` and ``refunds``, checked together so that the cross-entity rules
            run (order lines pointing to unknown products, refunds above their order,
            ...); or the JSON text of either.
        entity: The entity of a list: ``"orders"`` or ``"order"``, ``"customers"``,
            ``"products"``, ``"variants"``, ``"refunds"``. Required for a list; leave it
            out for a dataset.
        rules: The rules to run (default: the default pack).
        cleanse: Cleanse the records first (with the rule set's cleansing options), then
            check the cleansed records. The report's :attr:`~QualityReport.cleansing` lists
            every change and :attr:`~QualityReport.records` holds the cleansed records.
        previous: An earlier report (or its JSON text), to report the trend against.
        as_of: The time the data is judged at (future dates, stale orders): an aware
            ``datetime`` or RFC 3339 text. Default: now.

    Returns:
        The report. A record that is not in the unified form does not stop the check: it
        is listed in :attr:`~QualityReport.rejected` and passed through unchanged.

    Raises:
        InvalidArgumentError: ``entity`` is missing for a list or given for a dataset,
            ``as_of`` is not a valid time, or ``previous`` is not a quality report.
        UnknownEntityError: ``entity`` (or a dataset key) is not an entity name.
        DataError: the JSON text cannot be read at all.
        TypeError: an argument is of an unsupported type.
    """
    payload = _records_arg(records, entity)
    if rules is not None and not isinstance(rules, RuleSet):
        raise TypeError(f"rules must be a RuleSet or None, not {type(rules).__name__}")
    if isinstance(previous, QualityReport):
        previous_text: Optional[str] = previous.to_json()
    elif previous is None or isinstance(previous, str):
        previous_text = previous
    else:
        raise TypeError(
            "previous must be a QualityReport, its JSON text or None, "
            f"not {type(previous).__name__}"
        )
    if isinstance(as_of, datetime):
        as_of_text: Optional[str] = _time_arg("as_of", as_of)
    elif as_of is None or isinstance(as_of, str):
        as_of_text = as_of
    else:
        raise TypeError(
            f"as_of must be a datetime, RFC 3339 text or None, not {type(as_of).__name__}"
        )
    report, cleansed = _nexus.check_quality(
        entity,
        payload,
        rules=None if rules is None else rules._native,
        cleanse=cleanse,
        previous=previous_text,
        as_of=as_of_text,
    )
    return QualityReport(json.loads(report), None if cleansed is None else json.loads(cleansed))

