"""Scheduling needs a real Prefect server: find the one at PREFECT_API_URL or start one.

Prefect's temporary (ephemeral) server refuses to schedule flows, so `grading serve`
either uses the server named by PREFECT_API_URL or runs `prefect server start` (SQLite,
about 10 s to come up here) for as long as it serves, and stops it on exit.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from grading.lifeline import kept_popen

# NCBI asks that large jobs run at night US Eastern (21:00-05:00) or at weekends.
DEFAULT_CRON = "0 2 * * *"
DEFAULT_TIMEZONE = "America/New_York"


class ServerError(Exception):
    """The Prefect server could not be started or reached; one line."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def healthy(api_url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(api_url.rstrip("/") + "/health", timeout=timeout) as reply:
            return reply.status == 200
    except OSError:
        return False


def server_settings(port: int, host: str = "127.0.0.1") -> dict[str, str]:
    """Environment for `prefect server start --port PORT`: `--port` alone moves the API but not
    what the UI is told (`/ui-settings` still names port 4200, and the UI cannot reach its API),
    so the port goes into the settings the UI's address is derived from, and the UI's API URL
    is given outright."""
    api_url = f"http://{host}:{port}/api"
    return {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_SERVER_API_HOST": host,
            "PREFECT_SERVER_API_PORT": str(port), "PREFECT_SERVER_UI_API_URL": api_url,
            "PREFECT_UI_URL": f"http://{host}:{port}"}


@contextmanager
def prefect_server(*, home: Path | None = None, startup_timeout: float = 90.0,
                   log: Path | None = None) -> Iterator[str]:
    """Yield a Prefect API URL: PREFECT_API_URL's when set, else a local server started here.

    A started server lives in a child process (its SQLite database under `home`, or
    Prefect's default PREFECT_HOME) and is stopped when the block exits, however it exits."""
    given = os.environ.get("PREFECT_API_URL")
    if given:
        if not healthy(given):
            raise ServerError(f"PREFECT_API_URL={given} does not answer; start that server or unset it")
        yield given
        return
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, **server_settings(port)}
    if home is not None:
        home.mkdir(parents=True, exist_ok=True)
        env["PREFECT_HOME"] = str(home)
    # Under a keeper (grading.lifeline): the server ends when this process does, even on kill -9.
    proc = kept_popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                       "--port", str(port)], env=env, log=log)
    try:
        deadline = time.monotonic() + startup_timeout
        while not healthy(api_url):
            if proc.poll() is not None:
                raise ServerError(f"`prefect server start` exited with {proc.returncode} before answering")
            if time.monotonic() > deadline:
                raise ServerError(f"Prefect server did not answer within {startup_timeout:g} s")
            time.sleep(0.5)
        os.environ["PREFECT_API_URL"] = api_url
        os.environ["PREFECT_UI_URL"] = api_url.removesuffix("/api")  # flow-run links in logs
        yield api_url
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        os.environ.pop("PREFECT_UI_URL", None)
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def keep_serving(serve_once: Callable[[], None], *, first_wait: float = 5.0, max_wait: float = 300.0,
                 attempts: int | None = None, say: Callable[[str], None] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
    """Run `serve_once` until it returns; when the Prefect API cannot be reached or started
    (a busy host, a restarted server), say so in one line and try again after a growing wait,
    so a night's run is late rather than silently missing. Ctrl-C and SIGTERM still stop it."""
    import httpx

    say = say or (lambda line: print(line, file=sys.stderr, flush=True))
    failures = 0
    while True:
        try:
            serve_once()
            return
        except (ServerError, httpx.HTTPError, ConnectionError, TimeoutError) as exc:
            failures += 1
            if attempts is not None and failures >= attempts:
                raise ServerError(f"the Prefect API could not be reached after {failures} attempts: "
                                  f"{_first_line(exc)}") from None
            wait = min(max_wait, first_wait * 2 ** (failures - 1))
            say(f"grading: warning: the Prefect API cannot be reached ({_first_line(exc)}); "
                f"trying again in {wait:g} s (attempt {failures + 1})")
            sleep(wait)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
