"""The sources list: which files and URLs a scheduled run covers, with optional tags.

`data/sources.toml` (or GRADING_SOURCES_LIST):

    [[source]]
    path = "data/sources"          # a file or a folder of .txt/.md/.html documents
    tags = ["demo", "vendor"]

    [[source]]
    url = "https://example.org/page"
    tags = ["news"]

Relative paths are relative to the list file's folder's parent project root (the current
directory when the list lives in data/), so the same list works from `make run` and cron.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grading.documents.sources import is_url
from grading.validation import check_sources_list, read_toml


class SourcesListError(ValueError):
    """The sources list is unusable; one line saying where."""


@dataclass(frozen=True)
class ListedSource:
    spec: str  # a path or an http(s) URL, as given to read_sources
    tags: tuple[str, ...] = ()


def read_sources_list(path: Path) -> list[ListedSource]:

    data = read_toml(path, "sources list", SourcesListError)
    check_sources_list(data, str(path), SourcesListError)  # shapes and types, one line (grading.validation)
    entries = data.get("source")
    if not isinstance(entries, list) or not entries:
        raise SourcesListError(f"{path}: needs at least one [[source]] entry")
    out = []
    for i, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise SourcesListError(f"{path}: [[source]] #{i} is not a table")
        has_path, has_url = "path" in entry, "url" in entry
        if has_path == has_url:
            raise SourcesListError(f"{path}: [[source]] #{i} needs exactly one of `path` or `url`")
        spec = str(entry["url"] if has_url else entry["path"])
        if has_url and not is_url(spec):
            raise SourcesListError(f"{path}: [[source]] #{i} url must be http(s): {spec!r}")
        tags = entry.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
            raise SourcesListError(f"{path}: [[source]] #{i} tags must be a list of non-empty strings")
        out.append(ListedSource(spec=spec, tags=tuple(tags)))
    return out


def tags_for(source: str, listed: list[ListedSource]) -> tuple[str, ...]:
    """The tags of the entry a read source came from (a file inside a listed folder inherits)."""
    tags: list[str] = []
    for entry in listed:
        if source == entry.spec or (not is_url(entry.spec) and Path(source).is_relative_to(Path(entry.spec))):
            tags.extend(t for t in entry.tags if t not in tags)
    return tuple(tags)
