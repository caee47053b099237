"""One-line descriptions of every error a user can cause."""

from __future__ import annotations


def describe(exc: BaseException) -> str:
    """The first line of a known error's message; a short type-and-message for others."""
    import duckdb

    from grading.rubric import RubricError
    from grading.sources import SourceError
    from grading.warehouse import WarehouseError

    known = (SourceError, WarehouseError, RubricError, ValueError, FileNotFoundError, PermissionError)
    first = (str(exc).strip().splitlines() or [""])[0]
    if isinstance(exc, duckdb.Error):
        return f"SQL: {first}"
    if isinstance(exc, known):
        return first
    return f"{type(exc).__name__}: {first}"
