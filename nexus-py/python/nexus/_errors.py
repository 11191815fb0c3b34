"""The exceptions of Nexus and the description of one mapping problem.

Every exception Nexus raises derives from :class:`NexusError` and carries a stable,
machine-readable ``code`` (the same codes as the Rust core and the Node binding).
Exceptions about a bad argument or bad data also derive from :class:`ValueError`, so code
that already catches ``ValueError`` keeps working.

The native module raises these classes itself (``nexus-py/src/errors.rs`` picks the class
for each core error); this file only defines them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Iterable, List, Optional

__all__ = [
    "DataError",
    "InvalidArgumentError",
    "MappingError",
    "NexusError",
    "UnknownEntityError",
    "UnknownPlatformError",
    "UnsupportedError",
]


@dataclass(frozen=True)
class MappingError:
    """One record (or the payload as a whole) that could not be mapped.

    This is a plain description, not an exception: mapping never fails as a whole, it returns
    the records that mapped and one ``MappingError`` per record that did not.
    :meth:`MappingResult.raise_for_errors` turns them into a :class:`DataError`.

    Attributes:
        index: Position of the record in the payload's list, or ``None`` when the problem
            concerns the payload as a whole (for example JSON cut off in the middle).
        id: The record's platform id, when it could be read.
        path: Where the problem is, as a path into the payload as it was given, for example
            ``"[3].line_items[0].price"`` or ``"orders[1].id"``.
        code: Stable machine-readable kind of problem: ``"invalid_json"``,
            ``"invalid_envelope"``, ``"missing_field"``, ``"invalid_type"``,
            ``"invalid_decimal"``, ``"invalid_date"``, ``"invalid_currency"`` or
            ``"invalid_value"``.
        message: What was wrong, naming the offending value.
    """

    index: Optional[int]
    id: Optional[str]
    path: str
    code: str
    message: str

    def __str__(self) -> str:
        """``"path: message"``, or just the message when the path is empty."""
        return f"{self.path}: {self.message}" if self.path else self.message


class NexusError(Exception):
    """Base class of every exception raised by Nexus.

    Attributes:
        code: Stable machine-readable code of the error (``"unknown_platform"``,
            ``"invalid_json"``, ...). Compare codes, not messages.
    """

    default_code: ClassVar[str] = "nexus_error"
    """The code used when none is given to the constructor."""

    code: str

    def __init__(self, message: str, code: Optional[str] = None) -> None:
        """Creates the exception with a message and an optional code.

        Without ``code`` the class's :attr:`default_code` is used.
        """
        super().__init__(message)
        self.code = code if code is not None else self.default_code


class UnknownPlatformError(NexusError, ValueError):
    """The platform name is not one Nexus knows (``"woocommerce"``, ``"shopify"``,
    ``"magento"``)."""

    default_code: ClassVar[str] = "unknown_platform"


class UnknownEntityError(NexusError, ValueError):
    """The entity name is not one Nexus knows (``"orders"``, ``"customers"``, ...)."""

    default_code: ClassVar[str] = "unknown_entity"


class UnsupportedError(NexusError):
    """The platform has no payloads of this kind (for example WooCommerce transactions)."""

    default_code: ClassVar[str] = "unsupported"


class AuthError(NexusError):
    """The store (or a webhook's signature) refused the credentials."""

    default_code: ClassVar[str] = "auth_failed"


class InvalidArgumentError(NexusError, ValueError):
    """An argument of a call is not acceptable (for example a currency that is not three
    letters)."""

    default_code: ClassVar[str] = "invalid_argument"


class DataError(NexusError, ValueError):
    """Input data could not be mapped.

    Attributes:
        errors: Every problem found, in payload order. ``code`` is the code of the first.
    """

    default_code: ClassVar[str] = "invalid_data"

    errors: List[MappingError]

    def __init__(
        self,
        message: str,
        code: Optional[str] = None,
        errors: Iterable[MappingError] = (),
    ) -> None:
        """Creates the exception; ``errors`` lists the problems it reports."""
        errors = list(errors)
        if code is None and errors:
            code = errors[0].code
        super().__init__(message, code)
        self.errors = errors

    @classmethod
    def from_errors(cls, errors: Iterable[MappingError]) -> DataError:
        """Builds one exception that reports every problem in ``errors`` together."""
        errors = list(errors)
        noun = "problem" if len(errors) == 1 else "problems"
        lines = [f"{len(errors)} mapping {noun}:"]
        lines.extend(f"  {e} [{e.code}]" for e in errors)
        return cls("\n".join(lines), errors=errors)
