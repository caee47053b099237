"""The one error type a user can cause, and its one-line description.

Each stage raises a subclass (SourceError, WarehouseError, RubricError, ...) whose message
is one line naming the file, variable or key at fault; the CLI prints that line."""

from __future__ import annotations


class GradingError(Exception):
    """An error in what the user gave us (a document, a warehouse, a rubric): one line, no traceback."""


def describe(exc: BaseException) -> str:
    """The first line of a known error's message; a short type-and-message for others."""
    import duckdb

    known = (GradingError, ValueError, FileNotFoundError, PermissionError)
    first = (str(exc).strip().splitlines() or [""])[0]
    if isinstance(exc, duckdb.Error):
        return f"SQL: {first}"
    if isinstance(exc, known):
        return first
    return f"{type(exc).__name__}: {first}"
