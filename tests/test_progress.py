"""Progress on stderr: one line rewritten in place on a terminal (documents, PMIDs fetched with
an estimate at the rate limit, claims graded), plain `grading: info:` lines otherwise; stdout
keeps only the summary."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

from grading.cli import ProgressLine

DOC = "Vitamin K lowers fracture risk in older adults (PMID: 15088389).\n"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_one_line_is_rewritten_with_a_fetch_estimate() -> None:
    screen = Terminal()
    progress = ProgressLine(screen, rate=3.0)
    progress("extract", 1, 2)
    progress("fetch", 0, 1000)  # 5 requests of 200 PMIDs at 3 per second
    progress("fetch", 400, 1000)  # 3 requests left
    progress("grade", 7, 7)
    progress.close()
    frames = screen.getvalue().split("\r")[1:]
    assert "\n" not in screen.getvalue()  # never a new line: the same line, rewritten
    assert [f.rstrip() for f in frames[:4]] == ["documents extracted 1/2",
                                                "PMIDs fetched 0/1000 (about 2 s left at 3 requests/s)",
                                                "PMIDs fetched 400/1000 (about 1 s left at 3 requests/s)",
                                                "claims graded 7/7"]
    assert frames[-1] == "" and frames[-2].strip() == ""  # closed: the line is wiped, the cursor at its start


def test_elsewhere_a_plain_line_as_each_stage_ends() -> None:
    log = io.StringIO()
    progress = ProgressLine(log, rate=10.0)
    for done in (0, 200, 400):
        progress("fetch", done, 400)
    progress("load", 0, 1)
    progress("load", 1, 1)
    progress.close()
    assert log.getvalue().splitlines() == ["grading: info: PMIDs fetched 400/400", "grading: info: loaded; writing reports"]


def test_a_run_on_a_terminal_draws_its_progress_on_stderr_only(tmp_path: Path) -> None:
    (tmp_path / "doc.md").write_text(DOC, encoding="utf-8")
    primary, secondary = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "grading.cli", "run", str(tmp_path / "doc.md"), "--offline",
                               "--warehouse", str(tmp_path / "w.duckdb"), "--reports", str(tmp_path / "r")],
                              stdout=subprocess.PIPE, stderr=secondary, text=True, timeout=120, check=False)
        os.close(secondary)
        secondary = -1
        drawn = b""
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO: the terminal's other end is closed and drained
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(primary)
        if secondary >= 0:
            os.close(secondary)
    assert done.returncode == 0
    text = drawn.decode()
    assert "\rclaims graded 1/1" in text and "grading: info:" not in text
    assert text.rstrip(" ").endswith("\r")  # the line is wiped before the summary prints
    assert "claims graded" not in done.stdout and done.stdout.startswith("run ")
