"""Fixtures for tests that talk to the loopback E-utilities stand-in (import them in conftest).

`eutils_standin`: a fresh stand-in serving the bundled snapshot on 127.0.0.1, with NCBI's
limits (3 requests/s, 10 with api_key) and no faults; the test scripts faults on it.
`make_entrez_source(**options)`: an `EntrezSource` pointed at it, with quick retries.
`entrez_source`: `make_entrez_source()` with the defaults.
`closed_port_url`: a base URL on a loopback port nobody listens on.
`snapshot_pmids`: the PMIDs of the bundled snapshot's 8 records.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest

from grading.entrez import EntrezSource
from grading.eutils_standin import EutilsStandin
from grading.settings import bundled_path

TEST_EMAIL = "tests@example.org"


@pytest.fixture()
def eutils_standin() -> Iterator[EutilsStandin]:
    with EutilsStandin([bundled_path("snapshot.xml")]) as standin:
        yield standin


@pytest.fixture()
def make_entrez_source(eutils_standin: EutilsStandin) -> Callable[..., EntrezSource]:
    """Options override: base_url, email, api_key and any EntrezSource keyword."""

    def make(**options: object) -> EntrezSource:
        settings: dict[str, object] = {"base_url": eutils_standin.base_url, "email": TEST_EMAIL, "api_key": None,
                                       "timeout": 5.0, "backoff": 0.02, "max_tries": 4, "seed": 0}
        settings.update(options)
        return EntrezSource(**settings)  # type: ignore[arg-type]

    return make


@pytest.fixture()
def entrez_source(make_entrez_source: Callable[..., EntrezSource]) -> EntrezSource:
    return make_entrez_source()


@pytest.fixture(scope="session")
def snapshot_pmids() -> tuple[int, ...]:
    return (16996037, 16362768, 11443939, 9173745, 24661604, 19662538, 28885585, 27158238)


@pytest.fixture()
def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/entrez/eutils/"
