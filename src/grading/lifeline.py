"""Server processes that die with the run that started them.

A Prefect server started for a run (Prefect's temporary one, or `grading serve`'s) outlived a
`kill -9` of the run and kept its stdout/stderr open, so `grading run | tee log`, cron mail
and CI wrappers never saw end of file. Such a server is now started through a small keeper:

    grading process --(pipe: we hold the write end)--> keeper (own session) --> server

The keeper watches the pipe; when the run dies, however it dies, the kernel closes our end,
the keeper reads end-of-file and ends the server's process group. The server also gets
PR_SET_PDEATHSIG from the keeper (Linux) in case the keeper itself is killed. The server's
output goes to /dev/null (or a log file), never to the run's own stdout/stderr.

    python -m grading.lifeline FD [--log FILE] -- COMMAND...
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PR_SET_PDEATHSIG = 1
_lock = threading.Lock()
_lifelines: list[int] = []  # write ends held for the life of this process


def die_with_parent() -> None:
    """In a child before exec: SIGTERM when the parent (thread) that forked it ends (Linux)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def kept_popen(command: Sequence[str], *, env: dict[str, str] | None = None, log: Path | None = None,
               **popen: Any) -> subprocess.Popen[Any]:
    """Start `command` under a keeper tied to this process; returns the keeper's Popen (its
    terminate() stops the server, its return code is the server's)."""
    read_end, write_end = os.pipe()  # both non-inheritable; only read_end is passed on
    with _lock:
        _lifelines.append(write_end)
    args = [sys.executable, "-m", "grading.lifeline", str(read_end)]
    if log is not None:
        args += ["--log", str(log)]
    try:
        return subprocess.Popen([*args, "--", *command], env=env, pass_fds=(read_end,), start_new_session=True,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                **popen)
    finally:
        os.close(read_end)


def keep(fd: int, command: list[str], log: str | None) -> int:
    """The keeper: run `command`, end it when `fd` reaches end-of-file or we are told to stop."""
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - lives as long as the keeper
    child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                             preexec_fn=die_with_parent)  # noqa: PLW1509 - the keeper runs no threads

    def stop(signum: int, frame: object) -> None:
        end(child)
        raise SystemExit(child.returncode if child.returncode is not None else 0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while child.poll() is None:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready and not os.read(fd, 1):  # end of file: the run that started us is gone
            end(child)
            break
    return child.wait()


def end(child: subprocess.Popen[Any], grace: float = 10.0) -> None:
    if child.poll() is not None:
        return
    child.terminate()
    try:
        child.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def tie_prefect_temporary_server() -> None:
    """Start Prefect's temporary server (runs without PREFECT_API_URL) under a keeper, its
    output away from ours. Idempotent."""
    from prefect.server.api import server

    cls = server.SubprocessASGIServer
    if getattr(cls, "_grading_kept", False):
        return

    def run_kept(self: Any) -> subprocess.Popen[Any]:
        # Prefect's own command and environment (prefect.server.api.server), under a keeper.
        import prefect
        from prefect.settings import get_current_settings

        command = [sys.executable, "-m", "uvicorn", "--app-dir", str(prefect.__module_path__.parent),
                   "--factory", "prefect.server.api.server:create_app", "--host", "127.0.0.1",
                   "--port", str(self.port), "--log-level", "error", "--lifespan", "on"]
        env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
               "PREFECT__SERVER_FINAL": "1", **get_current_settings().to_environment_variables(exclude_unset=True)}
        return kept_popen(command, env=env)

    cls._run_uvicorn_command = run_kept  # type: ignore[method-assign]
    cls._grading_kept = True  # type: ignore[attr-defined]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    split = argv.index("--")
    head, command = argv[:split], argv[split + 1:]
    fd = int(head[0])
    log = head[head.index("--log") + 1] if "--log" in head else None
    return keep(fd, command, log)


if __name__ == "__main__":
    sys.exit(main())
