"""SIGKILL loop: real `grading run` processes killed at random moments; afterwards no process
of theirs may be left (Prefect's temporary server included), their stdout must reach end of
file, and the warehouse must be whole.

    .venv/bin/python scripts/sigkill_loop.py [--kills 20] [--seed 1] [--max-delay 14]

Every run carries a unique tag in its environment; a process still carrying it after the kill
is an orphan. Prints one line per kill and the totals; exit 1 if anything was left or broken.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
GRADING = [sys.executable, "-m", "grading.cli"]
DOCS = {  # written here: nothing from any corpus
    "a.md": "Zinc lozenges shorten the common cold in adults (PMID: 16996037).\n\n"
            "Vitamin D lowers the risk of falls in older adults [1].\n\n"
            "References\n1. PMID: 19662538\n",
    "b.txt": "Magnesium improves sleep quality in older adults (PMID: 24661604).\n",
}
KEYS = {"runs": ["run_id"], "claims_all": ["claim_id"], "citation_mentions": ["citation_id"],
        "grades": ["run_id", "claim_id"], "pubmed_records": ["pmid"], "source_versions": ["source", "content_hash"]}


def tagged(tag: str) -> list[int]:
    """PIDs of live processes whose environment carries `tag`."""
    needle = f"GRADING_KILL_LOOP_TAG={tag}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as fh:
                if needle in fh.read():
                    with open(f"/proc/{entry}/stat") as st:
                        if st.read().split()[2] != "Z":
                            found.append(int(entry))
        except OSError:
            continue
    return found


def warehouse_problems(path: Path) -> list[str]:
    if not path.exists():
        return []
    con = duckdb.connect(str(path), read_only=True)
    try:
        problems = []
        for table, keys in KEYS.items():
            cols = ", ".join(keys)
            dup = con.execute(f"SELECT count(*) FROM (SELECT {cols} FROM {table} GROUP BY ALL HAVING count(*) > 1)"
                              ).fetchone()[0]
            if dup:
                problems.append(f"{table}: {dup} duplicate keys")
        orphan = con.execute("SELECT count(*) FROM grades WHERE run_id NOT IN (SELECT run_id FROM runs)").fetchone()[0]
        if orphan:
            problems.append(f"grades: {orphan} rows of runs not in runs")
        short = con.execute("SELECT count(*) FROM runs r WHERE n_claims <> (SELECT count(*) FROM grades g "
                            "WHERE g.run_id = r.run_id)").fetchone()[0]
        if short:
            problems.append(f"runs: {short} runs whose grades are not all there")
        return problems
    finally:
        con.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--max-delay", type=float, default=14.0, help="kill within this many seconds of the start")
    ap.add_argument("--src", type=Path, default=ROOT / "src", help="the code to run (another checkout's src/)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="sigkill-loop-"))
    (work / "docs").mkdir()
    for name, text in DOCS.items():
        (work / "docs" / name).write_text(text)
    warehouse, reports = work / "w.duckdb", work / "reports"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(PREFECT_SERVER_ANALYTICS_ENABLED="false", PYTHONPATH=str(args.src))
    orphans = no_eof = completed = 0
    problems: list[str] = []
    for n in range(1, args.kills + 1):
        tag = uuid.uuid4().hex
        proc = subprocess.Popen([*GRADING, "run", "docs", "--offline", "--warehouse", str(warehouse),
                                 "--reports", str(reports)], cwd=work, env={**env, "GRADING_KILL_LOOP_TAG": tag},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        eof = threading.Event()
        threading.Thread(target=lambda p=proc, e=eof: (p.stdout.read(), p.stderr.read(), e.set()),
                         daemon=True).start()
        delay = rng.uniform(0.2, args.max_delay)
        finished = False
        try:
            proc.wait(timeout=delay)
            finished = True
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)  # the run alone, as `kill -9 PID` does
            proc.wait()
        completed += finished
        deadline = time.monotonic() + 20
        left = tagged(tag)
        while left and time.monotonic() < deadline:
            time.sleep(0.25)
            left = tagged(tag)
        got_eof = eof.wait(timeout=max(0.0, deadline - time.monotonic()) + 1)
        for pid in left:  # clean up after a failure, so the next kill starts clean
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        found = warehouse_problems(warehouse)
        orphans += len(left)
        no_eof += not got_eof
        problems += [f"kill {n}: {p}" for p in found]
        print(f"kill {n:2d} at {delay:5.2f} s: {'finished first' if finished else 'killed'}; "
              f"orphans {len(left)}; stdout EOF {'yes' if got_eof else 'NO'}; warehouse "
              f"{'whole' if not found else '; '.join(found)}", flush=True)
    final = subprocess.run([*GRADING, "run", "docs", "--offline", "--warehouse", str(warehouse), "--reports",
                            str(reports)], cwd=work, env=env, capture_output=True, text=True, check=False)
    found = warehouse_problems(warehouse)
    problems += [f"after the re-run: {p}" for p in found]
    print(f"totals: {args.kills} runs, {args.kills - completed} killed, {completed} finished before their kill; "
          f"orphan processes {orphans}; runs without stdout EOF {no_eof}; warehouse problems {len(problems)}; "
          f"final re-run exit {final.returncode}")
    for p in problems:
        print("  " + p)
    return 0 if orphans == 0 and no_eof == 0 and not problems and final.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
