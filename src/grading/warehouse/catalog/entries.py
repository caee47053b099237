"""What the catalogue is made of: a column (name, DuckDB type, meaning), a table (grain, primary
key, columns) and a view (grain, columns). The DDL, the COMMENTs, the frame builders' column
lists and the column tables of docs/warehouse.md are all read off these.
"""

from __future__ import annotations

from dataclasses import dataclass

# DuckDB's names for the types the warehouse uses (as information_schema.columns spells them).
VARCHAR = "VARCHAR"
INTEGER = "INTEGER"
DOUBLE = "DOUBLE"
BOOLEAN = "BOOLEAN"
TIMESTAMP = "TIMESTAMP"
VARCHARS = "VARCHAR[]"
INTEGERS = "INTEGER[]"


@dataclass(frozen=True)
class Column:
    """A column and what it means. `kind` is the DuckDB type: set for a table's columns; a
    view's columns leave it empty (DuckDB derives it from the view's query)."""

    name: str
    kind: str
    meaning: str


@dataclass(frozen=True)
class Table:
    """A base table: `grain` says what one row is ("one row per …"); `primary_key` is the key
    DuckDB enforces (empty for append-only tables, whose grain names the identifying columns)."""

    name: str
    grain: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name}.{name}")

    def create_sql(self) -> str:
        """CREATE TABLE IF NOT EXISTS, one column a line, the primary key last."""
        lines = [f"    {c.name} {c.kind}" for c in self.columns]
        if self.primary_key:
            lines.append(f"    PRIMARY KEY ({', '.join(self.primary_key)})")
        return f"CREATE TABLE IF NOT EXISTS {self.name} (\n" + ",\n".join(lines) + ");"


@dataclass(frozen=True)
class View:
    """A view (mart) of views.sql: its grain and each output column's meaning, in its order."""

    name: str
    grain: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name}.{name}")


def col(name: str, kind: str, meaning: str) -> Column:
    """A table's column: one line in the catalogue."""
    return Column(name, kind, meaning)


def out(name: str, meaning: str) -> Column:
    """A view's own column (computed by the view, not taken from a table)."""
    return Column(name, "", meaning)


def same_as(table: Table, *names: str) -> tuple[Column, ...]:
    """A view's columns taken unchanged from a table: their meaning is the table's."""
    return tuple(Column(name, "", table.column(name).meaning) for name in names)
