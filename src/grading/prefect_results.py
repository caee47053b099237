"""Prefect's result storage, bounded: the task results Prefect persists (extraction and grading
caches) are pruned when a run starts: files older than GRADING_PREFECT_RESULTS_DAYS, then the
oldest until the folder holds at most GRADING_PREFECT_RESULTS_MB. A pruned result only costs a
re-extraction or a re-grade; it was growing without bound (283 MB from one large document)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pruned:
    files: int
    bytes: int


def storage_path() -> Path:
    from prefect.settings import get_current_settings

    return Path(get_current_settings().results.local_storage_path).expanduser()


def prune_results(folder: Path, max_age_days: float, max_mb: float, now: float | None = None) -> Pruned:
    """Remove result files older than `max_age_days`, then the oldest beyond `max_mb` in total."""
    if not folder.is_dir():
        return Pruned(0, 0)
    now = time.time() if now is None else now
    entries = []
    for path in folder.rglob("*"):
        try:
            if path.is_file() and not path.is_symlink():
                st = path.stat()
                entries.append((st.st_mtime, st.st_size, path))
        except OSError:
            continue
    entries.sort()  # oldest first
    removed = removed_bytes = 0
    total = sum(size for _, size, _ in entries)
    limit = max_mb * 1_000_000
    for mtime, size, path in entries:
        if now - mtime <= max_age_days * 86400 and total <= limit:
            break
        try:
            path.unlink()
        except OSError:
            continue
        removed, removed_bytes, total = removed + 1, removed_bytes + size, total - size
    return Pruned(removed, removed_bytes)
