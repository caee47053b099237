"""Validation at stage boundaries: valid rows go on, failing rows go to quarantine."""

from __future__ import annotations

import json

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from grading.schemas import TABLE_SCHEMAS


def prepare_schemas() -> None:
    """Build every table's model and run one validation, paying pandera's first-use imports
    now (with dask installed, pandera imports dask.dataframe for its index types: 0.3-0.8 s). A
    parent that forks workers calls it first, so that they inherit it instead of each paying."""
    schemas = {table: model.to_schema() for table, model in TABLE_SCHEMAS.items()}
    validate_table("mirror_records", pd.DataFrame(columns=list(schemas["mirror_records"].columns)), "prepare")


def validate_table(table: str, df: pd.DataFrame, run_id: str, key: str | None = None
                   ) -> tuple[pd.DataFrame, list[dict[str, object]]]:
    """Validate `df` lazily against the table's model.

    Returns (valid rows coerced to the model's types, quarantine rows). A failure that
    names no row (a missing column, a wrong dtype for the whole column) quarantines every
    row: the table's shape is wrong, and loading a part of it would hide that.
    """
    model: type[pa.DataFrameModel] = TABLE_SCHEMAS[table]
    df = df.reset_index(drop=True)
    try:
        return model.validate(df, lazy=True), []
    except SchemaErrors as exc:
        cases = exc.failure_cases
    bad: dict[int, list[tuple[str, str]]] = {}
    for case in cases.itertuples(index=False):
        index = getattr(case, "index", None)
        check = str(getattr(case, "check", "")) or "schema"
        column = getattr(case, "column", None)
        failure = f"{column}: {getattr(case, 'failure_case', '')}" if column else str(getattr(case, "failure_case", ""))
        rows = [int(index)] if index is not None and not pd.isna(index) else list(range(len(df)))
        for row in rows:
            bad.setdefault(row, []).append((check, failure))
    quarantine = [
        {"run_id": run_id, "table_name": table,
         "row_key": None if key is None else str(df.at[row, key]),
         "check_name": "; ".join(sorted({c for c, _ in failures})),
         "failure": "; ".join(f for _, f in failures)[:2000],
         "raw": json.dumps(df.loc[row].to_dict(), default=str, ensure_ascii=False)[:100_000]}
        for row, failures in sorted(bad.items())
    ]
    good = df.drop(index=list(bad)).reset_index(drop=True)
    return (model.validate(good, lazy=False) if len(good) else good), quarantine
