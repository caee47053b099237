"""What every table's model shares: strict columns, coercion, common patterns."""

from __future__ import annotations

import pandera.pandas as pa

HEX64 = r"^[0-9a-f]{64}$"
MAX_PMID = 99_999_999  # PMIDs have at most 8 digits


class _Strict(pa.DataFrameModel):
    class Config:
        strict = True
        coerce = True


__all__ = ["HEX64", "MAX_PMID", "_Strict"]
