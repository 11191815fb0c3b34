"""Native part of the ``nexus`` package (private: import ``nexus`` instead).

Checked against the compiled module by ``python -m mypy.stubtest nexus``.
"""

__all__ = ["json_schema", "map_json", "verify_webhook", "__version__"]

__version__: str

def map_json(
    platform: str,
    entity: str,
    payload: str | bytes | bytearray,
    *,
    store: str | None = None,
    currency: str | None = None,
    keep_unmapped: bool = True,
) -> tuple[str, list[tuple[int | None, str | None, str, str, str]]]:
    """Maps a platform payload to the unified JSON form.

    Returns ``(records, errors)``: ``records`` is the JSON text of an array of unified
    records, ``errors`` a list of ``(index, id, path, code, message)`` tuples.

    Raises the ``nexus.NexusError`` subclass that matches the core error.
    """

def json_schema() -> str:
    """The JSON Schema of the unified records, as JSON text."""

def verify_webhook(
    platform: str,
    secret: str,
    headers: list[tuple[str, str]],
    body: str | bytes | bytearray,
    *,
    store: str | None = None,
) -> tuple[
    str,
    str | None,
    str,
    str | None,
    str | None,
    str | None,
    str,
    list[tuple[int | None, str | None, str, str, str]],
]:
    """Verifies a webhook's signature and maps its body.

    Returns ``(topic, entity, event, source, delivery_id, deleted_id, records, errors)``.
    """
