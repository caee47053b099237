"""One grading pass through the library (grading.run), the way most tests run one: no Prefect.

Tests whose subject is Prefect (flows, serve, Dask, caching) call grading.flows.grade_corpus."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from grading import run
from grading.settings import Settings


def grade(sources: Sequence[str | Path] | None, warehouse: Path, reports: Path, *, offline: bool = False,
          eutils_url: str | None = None, entrez: Callable[..., object] | None = None,
          progress: run.Progress | None = None, **settings: object) -> dict:
    """A whole pass; settings from the environment as `grading run` reads them. `entrez`: how to
    build the Entrez client (say, functools.partial(EntrezSource, backoff=0.01)), the snapshot
    behind it as in a real run."""
    chosen = Settings.from_env(warehouse=Path(warehouse), reports=Path(reports), offline=offline or None,
                               eutils_url=eutils_url, **settings)
    pubmed = run.make_pubmed_source(chosen, entrez)[0] if entrez is not None else None
    specs = [str(s) for s in sources] if sources else None
    return run.grade_corpus(chosen, specs, pubmed=pubmed, progress=progress).as_dict()
