"""Result rows: the one schema every output has, and the row a result becomes.

The bottom of the record pipeline: readers (:mod:`summarize.inputs.records`) give
records, :mod:`summarize.jobs` summarises them, and every result, a
:class:`~summarize.Summary` or an exception, becomes one row here, whichever
executor ran it and whichever sink (:mod:`summarize.inputs.outputs`) writes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..errors import InvalidInputError, InvalidOptionError, SummarizeError, UnsupportedLanguageError

# The one row schema, for every output: name -> Arrow type (for Parquet).
RESULT_FIELDS = (
    ("id", "string"), ("summary", "string"), ("error", "string"), ("error_kind", "string"),
    ("source_lang", "string"), ("target_lang", "string"), ("lang_detected", "bool_"),
    ("method", "string"), ("model", "string"), ("revision", "string"), ("backend", "string"),
    ("input_tokens", "int64"), ("output_tokens", "int64"), ("chunked", "bool_"),
    ("truncated", "bool_"), ("chunks", "int64"), ("seconds", "float64"),
    ("faithfulness", "float64"), ("unsupported_facts", "list<string>"), ("reranked", "bool_"), ("first_choice", "string"), ("vocabulary", "string"),
    ("title", "string"),
)


def error_message(exc: BaseException) -> str:
    """The one line an error row carries: the library's own message, or the internal error named.

    >>> error_message(InvalidInputError("the text is empty"))
    'the text is empty'
    >>> error_message(RuntimeError("boom"))
    "internal error: RuntimeError('boom')"
    """
    return str(exc) if isinstance(exc, SummarizeError) else f"internal error: {exc!r}"


ERROR_KINDS = ("permanent", "transient")


def error_kind(exc: BaseException) -> str:
    """``"permanent"`` for bad input (retrying gives the same error), else ``"transient"``.

    Malformed records, empty texts, unsupported languages and bad options are
    permanent; out-of-memory and internal errors are transient, and a resumed
    job retries them.

    >>> error_kind(InvalidInputError("the text is empty")), error_kind(MemoryError())
    ('permanent', 'transient')
    """
    return "permanent" if isinstance(exc, (InvalidInputError, InvalidOptionError, UnsupportedLanguageError)) else "transient"


def result_row(record_id: Any, result: Any) -> dict[str, Any]:
    """One output row for a record: its summary and metadata, or its error and its kind.

    Every row has every field of :data:`RESULT_FIELDS`, in that order, ``None``
    where it does not apply (a failed record has no summary, a summary no error).

    >>> row = result_row("a", InvalidInputError("the text is empty"))
    >>> {k: v for k, v in row.items() if v is not None}
    {'id': 'a', 'error': 'the text is empty', 'error_kind': 'permanent'}
    >>> list(row) == [name for name, _ in RESULT_FIELDS]
    True
    """
    if isinstance(result, BaseException):
        values = {"error": error_message(result), "error_kind": error_kind(result)}
    else:
        values = result.to_dict()
    return {name: record_id if name == "id" else values.get(name) for name, _ in RESULT_FIELDS}


def result_table(rows: Sequence[dict[str, Any]]):
    """Rows as an Arrow table with the full schema (absent fields are null, ids are strings)."""
    import pyarrow as pa

    def arrow_type(kind: str):
        return pa.list_(pa.string()) if kind == "list<string>" else getattr(pa, kind)()

    schema = pa.schema([(name, arrow_type(kind)) for name, kind in RESULT_FIELDS])
    columns: dict[str, list[Any]] = {name: [] for name, _ in RESULT_FIELDS}
    for row in rows:
        for name in columns:
            value = row.get(name)
            columns[name].append(str(value) if name == "id" and value is not None else value)
    return pa.table(columns, schema=schema)
