"""Settings, declared once: read from the environment and flags, then passed down.

Nothing reads the environment anywhere else. Every setting is documented in
docs/settings.md (a test checks that).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from importlib import resources
from pathlib import Path

from grading.errors import GradingError
from grading.pausepoints import check_points
from grading.validation import non_negative, non_negative_int, positive, positive_int

NCBI_EUTILS_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
API_KEY_PARAM = re.compile(r"(api[_-]?key=)(?!\*\*\*)[^&\s'\"<>;]+", re.IGNORECASE)


def bundled_path(name: str) -> Path:
    """A file shipped inside the package (snapshot, rubric, vocabularies)."""
    return Path(str(resources.files("grading") / "data" / name))


def _flag(text: str) -> bool:
    return text.lower() in {"1", "true", "yes"}


def _points(text: str) -> object:
    return check_points(text.split(","))


# Environment variable -> (Settings field, how to read it). docs/settings.md documents each.
ENV_SETTINGS: dict[str, tuple[str, Callable[[str], object]]] = {
    "GRADING_WAREHOUSE": ("warehouse", Path),
    "GRADING_REPORTS": ("reports", Path),
    "GRADING_EUTILS_URL": ("eutils_url", str),
    "GRADING_OFFLINE": ("offline", _flag),
    "NCBI_EMAIL": ("email", str),
    "NCBI_API_KEY": ("api_key", str),
    "GRADING_SNAPSHOT": ("snapshot", Path),
    "GRADING_RUBRIC": ("rubric", Path),
    "GRADING_HTTP_TIMEOUT": ("http_timeout", positive),
    "GRADING_SCHEDULE_CRON": ("schedule_cron", str),
    "GRADING_SCHEDULE_TIMEZONE": ("schedule_timezone", str),
    "GRADING_LOCK_WAIT": ("lock_wait", non_negative),
    "GRADING_SOURCES_LIST": ("sources_list", Path),
    "GRADING_RECORD_MAX_AGE_DAYS": ("record_max_age_days", non_negative),
    "GRADING_REVISION_CHECK_HOURS": ("revision_check_hours", non_negative),
    "GRADING_MAX_SOURCE_BYTES": ("max_source_bytes", positive_int),
    "GRADING_PAUSE_AT": ("pause_at", _points),
    "GRADING_MAX_CLAIMS": ("max_claims", positive_int),
    "GRADING_MAX_CITATIONS": ("max_citations", positive_int),
    "GRADING_EUTILS_BREAKER": ("eutils_breaker", non_negative_int),
    "GRADING_PREFECT_RESULTS_DAYS": ("prefect_results_days", non_negative),
    "GRADING_PREFECT_RESULTS_MB": ("prefect_results_mb", non_negative),
}


class SettingsError(GradingError, ValueError):
    """An environment variable or flag with an unusable value; one line naming it."""


@dataclass(frozen=True)
class Settings:
    warehouse: Path = Path("data/warehouse.duckdb")
    reports: Path = Path("reports")
    sources_dir: Path = Path("data/sources")  # the bundled corpus, used when no source and no list is given
    schedule_cron: str = "0 2 * * *"  # GRADING_SCHEDULE_CRON: when `grading serve` runs (NCBI: nights ET)
    schedule_timezone: str = "America/New_York"  # GRADING_SCHEDULE_TIMEZONE
    lock_wait: float = 0.0  # GRADING_LOCK_WAIT: seconds to wait for another run holding the warehouse
    sources_list: Path = Path("data/sources.toml")  # GRADING_SOURCES_LIST: what a run with no SOURCE grades
    offline: bool = False  # never call E-utilities; records come from the snapshot
    eutils_url: str = NCBI_EUTILS_URL  # GRADING_EUTILS_URL: NCBI, a mirror, or a loopback stand-in
    email: str = "grading@example.org"  # NCBI_EMAIL: NCBI asks for the operator's address
    api_key: str | None = field(default=None, repr=False)  # NCBI_API_KEY: 3 -> 10 requests/s; never shown
    tool: str = "grading"
    snapshot: Path | None = None  # GRADING_SNAPSHOT: PubMed XML served offline; None = bundled
    rubric: Path | None = None  # GRADING_RUBRIC: rubric TOML; None = bundled
    http_timeout: float = 30.0  # seconds, every outbound request (E-utilities and source URLs)
    max_source_bytes: int = 20_000_000  # GRADING_MAX_SOURCE_BYTES: a source URL or file larger is refused
    record_max_age_days: float = 7.0  # GRADING_RECORD_MAX_AGE_DAYS: re-fetch stored records older than this
    revision_check_hours: float = 12.0  # GRADING_REVISION_CHECK_HOURS: ask PubMed about revisions of older ones
    pause_at: tuple[str, ...] = ()  # GRADING_PAUSE_AT: crash tests only (grading.pausepoints); off
    max_claims: int = 2000  # GRADING_MAX_CLAIMS: claims graded per document (the first ones; the cut is noted)
    max_citations: int = 5000  # GRADING_MAX_CITATIONS: citations read per document
    eutils_breaker: int = 3  # GRADING_EUTILS_BREAKER: given-up requests of one kind in a row before the rest
    #                          are not tried (grading.pubmed.breaker); 0: off
    prefect_results_days: float = 14.0  # GRADING_PREFECT_RESULTS_DAYS: Prefect task results older are removed
    prefect_results_mb: float = 500.0  # GRADING_PREFECT_RESULTS_MB: and the oldest beyond this total

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for name, (attr, convert) in ENV_SETTINGS.items():
            if env.get(name):
                try:
                    values[attr] = convert(env[name])
                except (ValueError, TypeError) as exc:  # one line naming the variable and the value
                    first = (str(exc).splitlines() or [""])[0]
                    if not first.startswith(name):  # a converter that names the variable itself is kept as is
                        first = f"{name}={env[name][:40]!r}: {first}"
                    raise SettingsError(first) from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **values)  # type: ignore[arg-type]

    @property
    def record_max_age(self) -> timedelta:
        return timedelta(days=self.record_max_age_days)

    @property
    def revision_check_age(self) -> timedelta:
        return timedelta(hours=self.revision_check_hours)

    @property
    def snapshot_path(self) -> Path:
        return self.snapshot or bundled_path("snapshot.xml")

    @property
    def rubric_path(self) -> Path:
        return self.rubric or bundled_path("rubric.toml")

    def redact(self, text: str) -> str:
        """Remove the API key from any text bound for logs, errors or the warehouse: the key
        itself, and whatever follows `api_key=` (an echoed URL may have been cut mid-key)."""
        if self.api_key:
            text = text.replace(self.api_key, "***")
        return API_KEY_PARAM.sub(r"\1***", text)
