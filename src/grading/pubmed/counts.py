"""E-utilities requests a run made, by endpoint: every HTTP attempt (retries included) of the
live source, whichever wrapper (fallback, local mirror) it sits behind. Stored in `runs`
(eutils_requests, the total, and one column per endpoint) and printed in the run's summary."""

from __future__ import annotations

from grading.pubmed.entrez import EntrezSource

ENDPOINTS = ("esearch", "efetch", "epost", "ecitmatch")  # the ones EntrezSource calls
COLUMNS = {endpoint: f"eutils_{endpoint}" for endpoint in ENDPOINTS}


def request_counts(pubmed: object) -> dict[str, int]:
    """Requests per endpoint made through `pubmed` (0 for the snapshot and the mirror)."""
    counts = dict.fromkeys(ENDPOINTS, 0)
    seen: set[int] = set()
    todo = [pubmed]
    while todo:
        source = todo.pop()
        if source is None or id(source) in seen:
            continue
        seen.add(id(source))
        if isinstance(source, EntrezSource):
            for endpoint, n in source.stats.requests.items():
                counts[endpoint] = counts.get(endpoint, 0) + int(n)
        # What a wrapper sends on to: FallbackSource.primary, MirrorSource.behind.
        todo.extend(getattr(source, attr, None) for attr in ("primary", "behind"))
    return counts


def describe_counts(counts: dict[str, int]) -> str:
    """`52 E-utilities requests (esearch 51, efetch 1)`, or `0 E-utilities requests`."""
    total = sum(counts.values())
    parts = ", ".join(f"{endpoint} {n}" for endpoint, n in counts.items() if n)
    return f"{total} E-utilities request{'s' if total != 1 else ''}" + (f" ({parts})" if parts else "")
