"""A run through Prefect is as quiet as one without it: each error we handle is said once, in
one `grading: error:` line, with nothing of Prefect's on stderr (no second copy in its log
format, no traceback, no "Error flushing events"); the failure is still in the flow run's log
in the Prefect UI."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grading.cli import main
from tests.helpers import prefect_logs_since

pytestmark = pytest.mark.integration
DOC = "Vitamin K lowers fracture risk in older adults (PMID: 15088389).\n"


def pages(folder: Path) -> tuple[Path, Path]:
    binary, good = folder / "blob.txt", folder / "doc.md"
    binary.write_bytes(b"\x00\x01\x02 not text")
    good.write_text(DOC, encoding="utf-8")
    return binary, good


def test_a_flow_run_prints_only_our_lines(tmp_path: Path) -> None:
    """`grading run --prefect` in its own process, with Prefect's temporary server."""
    binary, good = pages(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(HOME=str(tmp_path), PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    done = subprocess.run([sys.executable, "-m", "grading.cli", "run", "--prefect", "--offline", str(binary), str(good),
                           "--warehouse", str(tmp_path / "w.duckdb"), "--reports", str(tmp_path / "reports")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 1, done.stderr  # one source unreadable, the other graded
    said = [line for line in done.stderr.splitlines() if not line.startswith("grading: info: ")]
    assert said == [f"grading: error: {binary}: binary file, not a text document"], done.stderr
    assert done.stdout.startswith("run ") and "1 sources" in done.stdout.splitlines()[0]


def test_the_failure_is_in_the_flow_runs_log_and_not_on_the_console(tmp_path: Path, prefect_harness, capsys) -> None:
    import logging

    binary, good = pages(tmp_path)
    heard: list[logging.LogRecord] = []
    console = logging.Handler()
    console.emit = heard.append  # type: ignore[method-assign]  # what reaches the root logger's (console) handlers
    logging.getLogger().addHandler(console)
    started = time.time()
    try:
        code = main(["run", "--prefect", "--offline", str(binary), str(good), "--warehouse", str(tmp_path / "w.duckdb"),
                     "--reports", str(tmp_path / "reports")])
    finally:
        logging.getLogger().removeHandler(console)
    assert code == 1
    assert capsys.readouterr().err.count("binary file, not a text document") == 1
    assert not [r for r in heard if "binary file" in r.getMessage()]
    assert f"{binary}: binary file, not a text document" in prefect_logs_since(started)
