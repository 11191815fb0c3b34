"""The exceptions of Nexus and the description of one mapping problem.

Every exception Nexus raises derives from :class:`NexusError` and carries a stable,
machine-readable ``code`` (the same codes as the Rust core and the Node binding).
Exceptions about a bad argument or bad data also derive from :class:`ValueError`, so code
that already catches ``ValueError`` keeps working; a timeout is also a :class:`TimeoutError`
and a network failure a :class:`ConnectionError`.

The errors a store causes carry the store's answer as attributes: ``platform`` (always),
``status`` (the HTTP status, where there is one), ``platform_code``, ``retry_after``,
``timeout``. No credential ever appears in a message or an attribute.

The native module raises these classes itself (``nexus-py/src/errors.rs`` picks the class
for each core error); this file only defines them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Iterable, List, Optional

__all__ = [
    "AuthError",
    "ConfigError",
    "CursorStuckError",
    "DataError",
    "DatabaseError",
    "FitError",
    "InvalidArgumentError",
    "InvalidDataError",
    "InvalidPageError",
    "MappingError",
    "NetworkError",
    "NexusError",
    "NexusTimeoutError",
    "PlatformError",
    "RateLimited",
    "RateLimitedError",
    "RuleError",
    "SettingsError",
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
    """The store (or a webhook's signature) refused the credentials.

    Attributes:
        platform: The platform, when known.
        status: The HTTP status (401, 403), when there is one.
    """

    default_code: ClassVar[str] = "auth_failed"

    platform: Optional[str]
    status: Optional[int]

    def __init__(
        self,
        message: str,
        code: Optional[str] = None,
        *,
        platform: Optional[str] = None,
        status: Optional[int] = None,
    ) -> None:
        """Creates the exception; ``platform`` and ``status`` describe the refusal."""
        super().__init__(message, code)
        self.platform = platform
        self.status = status


class ConfigError(NexusError, ValueError):
    """A connector's settings are not usable (a missing key, ``page_size=0``, a URL that is
    not one, HTTP Basic over plain HTTP, ...). Raised when the connector is created.

    Attributes:
        platform: The platform being configured.
    """

    default_code: ClassVar[str] = "invalid_config"

    platform: Optional[str]

    def __init__(
        self, message: str, code: Optional[str] = None, *, platform: Optional[str] = None
    ) -> None:
        """Creates the exception for a configuration of ``platform``."""
        super().__init__(message, code)
        self.platform = platform


class RateLimitedError(NexusError):
    """The store's rate limit was hit and the retries ran out. Also available as
    ``nexus.RateLimited``.

    Attributes:
        platform: The platform.
        retry_after: How long the store asked to wait, in seconds, if it said.
    """

    default_code: ClassVar[str] = "rate_limited"

    platform: Optional[str]
    retry_after: Optional[float]

    def __init__(
        self,
        message: str,
        code: Optional[str] = None,
        *,
        platform: Optional[str] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        """Creates the exception; ``retry_after`` is the wait the store asked for."""
        super().__init__(message, code)
        self.platform = platform
        self.retry_after = retry_after


RateLimited = RateLimitedError
"""The name the issue tracker and the other bindings use for :class:`RateLimitedError`."""


class PlatformError(NexusError):
    """The store answered with an error that is not about credentials or rate (a 404, a
    500 that retries did not get past, ...).

    Attributes:
        platform: The platform.
        status: The HTTP status.
        platform_code: The platform's own error code (``"woocommerce_rest_invalid_id"``),
            when it sent one.
    """

    default_code: ClassVar[str] = "platform_error"

    platform: Optional[str]
    status: Optional[int]
    platform_code: Optional[str]

    def __init__(
        self,
        message: str,
        code: Optional[str] = None,
        *,
        platform: Optional[str] = None,
        status: Optional[int] = None,
        platform_code: Optional[str] = None,
    ) -> None:
        """Creates the exception for the store's answer."""
        super().__init__(message, code)
        self.platform = platform
        self.status = status
        self.platform_code = platform_code


class NetworkError(NexusError, ConnectionError):
    """The store could not be reached or the connection broke (after the retries).

    Attributes:
        platform: The platform.
    """

    default_code: ClassVar[str] = "network_error"

    platform: Optional[str]

    def __init__(
        self, message: str, code: Optional[str] = None, *, platform: Optional[str] = None
    ) -> None:
        """Creates the exception for a request to ``platform``."""
        super().__init__(message, code)
        self.platform = platform


class NexusTimeoutError(NexusError, TimeoutError):
    """The store did not answer in time (after the retries). Also a builtin
    :class:`TimeoutError`.

    Attributes:
        platform: The platform.
        timeout: The time allowed for one request, in seconds.
    """

    default_code: ClassVar[str] = "timeout"

    platform: Optional[str]
    timeout: Optional[float]

    def __init__(
        self,
        message: str,
        code: Optional[str] = None,
        *,
        platform: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> None:
        """Creates the exception; ``timeout`` is the time that was allowed."""
        super().__init__(message, code)
        self.platform = platform
        self.timeout = timeout


class InvalidPageError(NexusError):
    """The store sent a page that is not its JSON (an HTML error page served with status
    200, a body cut short), and fetching it again did not help.

    Attributes:
        platform: The platform.
        status: The HTTP status the page came with.
    """

    default_code: ClassVar[str] = "invalid_page"

    platform: Optional[str]
    status: Optional[int]

    def __init__(
        self,
        message: str,
        code: Optional[str] = None,
        *,
        platform: Optional[str] = None,
        status: Optional[int] = None,
    ) -> None:
        """Creates the exception for a page of ``platform``."""
        super().__init__(message, code)
        self.platform = platform
        self.status = status


class CursorStuckError(NexusError):
    """Pagination stopped advancing: the store sent back a position already read. The read
    stops instead of looping forever.

    Attributes:
        platform: The platform.
        entity: The entity being read (``"orders"``, ...).
        position: Where it stopped.
    """

    default_code: ClassVar[str] = "cursor_stuck"

    platform: Optional[str]
    entity: Optional[str]
    position: Optional[str]

    def __init__(
        self,
        message: str,
        code: Optional[str] = None,
        *,
        platform: Optional[str] = None,
        entity: Optional[str] = None,
        position: Optional[str] = None,
    ) -> None:
        """Creates the exception for a read of ``entity`` stuck at ``position``."""
        super().__init__(message, code)
        self.platform = platform
        self.entity = entity
        self.position = position


class RuleError(NexusError, ValueError):
    """A rule set has a mistake: an unknown rule id, a setting the rule does not take, a
    value of the wrong kind, a rule file that cannot be read. Raised when the rules are read
    (:meth:`nexus.RuleSet.from_file`, ``from_yaml``, ``from_json``).

    The message names the file, the line and column, and the key, as
    ``"shop.yaml:3:3: rules.order.totl_matches: unknown rule ..."``.

    Attributes:
        file: The rule file, when the rules came from one.
        line: The line of the mistake (1-based), when known.
        column: The column of the mistake (1-based), when known.
        key: The key of the mistake (``"rules.order.total_matches.tolerance"``), when the
            mistake is about one key.
    """

    default_code: ClassVar[str] = "invalid_rules"

    file: Optional[str]
    line: Optional[int]
    column: Optional[int]
    key: Optional[str]

    def __init__(
        self,
        message: str,
        code: Optional[str] = None,
        *,
        file: Optional[str] = None,
        line: Optional[int] = None,
        column: Optional[int] = None,
        key: Optional[str] = None,
    ) -> None:
        """Creates the exception for a mistake at ``file:line:column``, in ``key``."""
        super().__init__(message, code)
        self.file = file
        self.line = line
        self.column = column
        self.key = key


class SettingsError(NexusError, ValueError):
    """A settings file (the :class:`nexus.Manager`'s store registry) has a mistake, or a
    credential it names cannot be resolved: an unknown key or platform, a credential written
    in plain text instead of ``"env:NAME"`` or ``"secret:NAME"``, an environment variable
    that is not set. The message names the file and the key, as
    ``"nexus.toml: stores.shop1.consumer_secret: a credential is written in the file in
    plain text; ..."``; it never repeats a secret.

    Attributes:
        file: The settings file, when the settings came from one.
        key: The key of the mistake (``"stores.shop1.consumer_secret"``, ``"line 4"``),
            when the mistake is about one key.
    """

    default_code: ClassVar[str] = "invalid_settings"

    file: Optional[str]
    key: Optional[str]

    def __init__(
        self,
        message: str,
        code: Optional[str] = None,
        *,
        file: Optional[str] = None,
        key: Optional[str] = None,
    ) -> None:
        """Creates the exception for a mistake in ``file``, at ``key``."""
        super().__init__(message, code)
        self.file = file
        self.key = key


class DatabaseError(NexusError):
    """The database (SQLite or PostgreSQL) refused a statement or could not be reached or
    read (code ``"store_error"``), or was written by a newer Nexus (code
    ``"schema_too_new"``). The message never holds a password.

    Attributes:
        backend: ``"sqlite"`` or ``"postgres"``, when known.
        retryable: Whether trying again can succeed (a busy database, a dropped
            connection).
    """

    default_code: ClassVar[str] = "store_error"

    backend: Optional[str]
    retryable: bool

    def __init__(
        self,
        message: str,
        code: Optional[str] = None,
        *,
        backend: Optional[str] = None,
        retryable: bool = False,
    ) -> None:
        """Creates the exception for a failure of the ``backend`` database."""
        super().__init__(message, code)
        self.backend = backend
        self.retryable = retryable


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


class InvalidDataError(DataError):
    """A table or array given to an analytics function is not usable: a missing column, a
    null, a negative amount, a date that does not parse, a column of the wrong type, arrays
    of different lengths. The message names the column and the row, as
    ``"column `amount`, row 3: negative value -2: ..."``.

    Attributes:
        column: The column (or array argument) at fault, ``None`` when the table as a
            whole is (no transactions at all).
        row: The row (0-based) at fault, when one row is.
        errors: The problem, as one :class:`MappingError` whose ``path`` is the column and
            ``index`` the row.
    """

    default_code: ClassVar[str] = "invalid_data"

    column: Optional[str]
    row: Optional[int]

    def __init__(
        self,
        message: str,
        code: Optional[str] = None,
        errors: Iterable[MappingError] = (),
        *,
        column: Optional[str] = None,
        row: Optional[int] = None,
    ) -> None:
        """Creates the exception for ``column`` (and ``row``)."""
        super().__init__(message, code if code is not None else self.default_code, errors)
        self.column = column
        self.row = row


class FitError(NexusError):
    """A model could not be fitted to the data: too few customers or repeat buyers, or an
    optimizer that did not converge.

    Attributes:
        model: The model (``"BetaGeo"``, ``"GammaGamma"``, ...).
    """

    default_code: ClassVar[str] = "fit_failed"

    model: Optional[str]

    def __init__(
        self, message: str, code: Optional[str] = None, *, model: Optional[str] = None
    ) -> None:
        """Creates the exception for a fit of ``model``."""
        super().__init__(message, code)
        self.model = model
