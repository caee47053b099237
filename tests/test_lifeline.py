"""Servers die with the run that started them (grading.lifeline), and serving says and retries
when the Prefect API cannot be reached (grading.schedule.keep_serving). Real processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grading.schedule import ServerError, keep_serving

PARENT = """
import sys, time
from grading.lifeline import kept_popen
keeper = kept_popen([sys.executable, "-c", "import time; print('child up', flush=True); time.sleep(300)"])
print(keeper.pid, flush=True)
time.sleep(300)
"""


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return False


def children_of(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return out


def test_a_kept_server_ends_when_its_run_is_killed(tmp_path: Path) -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True)
    keeper = int(parent.stdout.readline())
    deadline = time.monotonic() + 30
    while not children_of(keeper) and time.monotonic() < deadline:
        time.sleep(0.1)
    server = children_of(keeper)
    assert server, "the keeper did not start its server"
    os.kill(parent.pid, signal.SIGKILL)  # kill -9 of the run alone
    parent.wait()
    deadline = time.monotonic() + 15
    while (alive(keeper) or alive(server[0])) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(server[0]) and not alive(keeper)
    assert parent.stdout.read() == ""  # and nothing holds the run's stdout open: end of file


def test_keep_serving_says_and_retries_then_serves() -> None:
    said, waits, calls = [], [], []

    def serve_once() -> None:
        calls.append(1)
        if len(calls) < 3:
            raise ServerError("Prefect server did not answer within 90 s")

    keep_serving(serve_once, say=said.append, sleep=waits.append)
    assert len(calls) == 3 and waits == [5.0, 10.0]
    assert said[0] == ("grading: warning: the Prefect API cannot be reached (Prefect server did not answer within "
                       "90 s); trying again in 5 s (attempt 2)")
    with pytest.raises(ServerError, match="after 2 attempts"):
        keep_serving(lambda: (_ for _ in ()).throw(ServerError("down")), attempts=2, say=said.append,
                     sleep=waits.append)


def test_grading_serve_with_an_unreachable_api_says_so_and_keeps_trying(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nobody listens there
    env = {**os.environ, "PREFECT_API_URL": f"http://127.0.0.1:{port}/api"}
    proc = subprocess.Popen([sys.executable, "-m", "grading.cli", "serve", "--interval", "60", "--offline"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        first = proc.stderr.readline()
        assert first.startswith("grading: warning: the Prefect API cannot be reached (PREFECT_API_URL=")
        assert "trying again in 5 s (attempt 2)" in first
        assert proc.poll() is None  # still there, waiting to try again
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
