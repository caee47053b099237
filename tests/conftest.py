"""Shared fixtures. Unit tests never open sockets to the outside; the E-utilities stand-in
runs on 127.0.0.1, started by the tests that need it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "data" / "sources"
SNAPSHOT = ROOT / "src" / "grading" / "data" / "snapshot.xml"

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

pytest_plugins = ("tests.standin_fixtures", "tests.report_fixtures")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`integration`: every end-to-end, browser or Prefect test (make test-fast leaves them out)."""
    for item in items:
        if (item.get_closest_marker("e2e") or item.get_closest_marker("browser")
                or "prefect_harness" in getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def snapshot_path() -> Path:
    return SNAPSHOT


@pytest.fixture(scope="session")
def seed_texts() -> dict[str, str]:
    return {p.name[:3]: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect API for the whole session (about 5 s to start)."""
    # Importing prefect.main sets up Prefect's logging: do it now, on the session's stderr. Set up
    # later under a test's capsys, its console handler would write to that closed stream ever after.
    import prefect.main  # noqa: F401
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness():
        yield


@pytest.fixture(scope="session")
def testdata_dir() -> Path:
    """Real PubMed files fetched by `make testdata` (scripts/fetch-test-data)."""
    path = ROOT / ".cache" / "testdata"
    if not (path / "pubmed20n0014.xml.gz").exists():
        pytest.fail("real PubMed test data missing: run `make testdata` (make test does)")
    return path


# Without the background-networking flags chromium dials out (and the closed network refuses it).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-default-apps"]
BROWSER_ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "browser"


@pytest.fixture(scope="session")
def browser():
    """The session's one Chromium, for every browser test: Playwright's sync API cannot start once
    a test in this process has left an asyncio loop running (Prefect does), so it starts once."""
    import shutil

    from playwright.sync_api import sync_playwright

    shutil.rmtree(BROWSER_ARTIFACTS, ignore_errors=True)  # this session's screenshots only
    BROWSER_ARTIFACTS.mkdir(parents=True)
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("chromium is not installed: `make browser` (a prerequisite of `make test`) installs it")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
