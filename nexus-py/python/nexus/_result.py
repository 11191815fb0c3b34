"""What mapping returns: :class:`MappingResult` (defined here so that the connectors' pages
can extend it; re-exported as ``nexus.MappingResult``)."""

from __future__ import annotations

from typing import Any, Dict, Iterator, List

from ._errors import DataError, MappingError

__all__ = ["MappingResult", "Record"]

Record = Dict[str, Any]
"""One unified record in its JSON form."""


class MappingResult:
    """The records that mapped and one :class:`MappingError` per record that did not.

    Iterating over a result, or taking its ``len``, works on the records.

    Attributes:
        records: The unified records, in payload order, as dicts in the documented JSON form.
        errors: The problems, in payload order; each says which record (``index``) and where
            (``path``).
    """

    __slots__ = ("errors", "records")

    records: List[Record]
    errors: List[MappingError]

    def __init__(self, records: List[Record], errors: List[MappingError]) -> None:
        """Wraps already mapped records and their errors."""
        self.records = records
        self.errors = errors

    def __len__(self) -> int:
        """The number of records that mapped."""
        return len(self.records)

    def __iter__(self) -> Iterator[Record]:
        """Iterates over the records that mapped."""
        return iter(self.records)

    def __repr__(self) -> str:
        """Counts of records and errors, and the first few errors."""
        n, e = len(self.records), len(self.errors)
        text = f"<MappingResult: {n} record{'' if n == 1 else 's'}, {e} error{'' if e == 1 else 's'}"
        if self.errors:
            shown = "; ".join(f"{err} [{err.code}]" for err in self.errors[:3])
            more = f"; and {e - 3} more" if e > 3 else ""
            text += f" ({shown}{more})"
        return text + ">"

    def raise_for_errors(self) -> MappingResult:
        """Raises :class:`DataError` reporting every error together, if there is any.

        Returns the result itself when it has no error, so it can be chained:
        ``orders = nexus.map_orders("shopify", body).raise_for_errors().records``.
        """
        if self.errors:
            raise DataError.from_errors(self.errors)
        return self
