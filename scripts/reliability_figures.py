"""The figures of docs/reliability.md, from a test run: scenarios tested, scenarios survived,
records lost.

Reads the scenario table in docs/reliability.md, runs the tests it names (pytest, junit XML
report), and counts: a scenario survives when every one of its tests passed; records lost is
the sum of the `records_lost` properties the tests record (tests/reliability.py).

Usage: .venv/bin/python scripts/reliability_figures.py [--junit PATH]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ROW = re.compile(r"^\|\s*(\d+)\s*\|(.*)\|\s*$")
NODE = re.compile(r"`(tests/[\w/]+\.py::[^`]+)`")


def read_table(doc: Path) -> dict[str, list[str]]:
    """Scenario number -> the test node ids of its row."""
    table: dict[str, list[str]] = {}
    for line in doc.read_text(encoding="utf-8").splitlines():
        m = ROW.match(line)
        if m:
            table[m.group(1)] = NODE.findall(line.rsplit("|", 2)[-2])
    return table


def node_id(case: ET.Element) -> str:
    return case.get("classname", "").replace(".", "/") + ".py::" + case.get("name", "")


def read_junit(path: Path) -> dict[str, tuple[str, int | None]]:
    """Node id -> (outcome, records lost or None when the test keeps no ledger) for every test case."""
    out: dict[str, tuple[str, int | None]] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        outcome = "passed"
        for tag in ("failure", "error", "skipped"):
            element = case.find(tag)
            if element is not None:
                outcome = "xfailed" if tag == "skipped" and "xfail" in (element.get("type") or "") else tag
        counts = [int(p.get("value", "0")) for p in case.iter("property") if p.get("name") == "records_lost"]
        out[node_id(case)] = (outcome, sum(counts) if counts else None)
    return out


def matches(wanted: str, ran: dict[str, tuple[str, int | None]]) -> list[tuple[str, int | None]]:
    """A node id names one test, or (without [params]) all its parametrized cases."""
    return [v for k, v in ran.items() if k == wanted or (("[" not in wanted) and k.startswith(wanted + "["))]


RECORDED = {  # figures of the long runs, as last recorded (re-run the command to refresh them)
    "SIGKILL loop (scripts/sigkill_loop.py)": ROOT / "benchmarks" / "results" / "sigkill_loop.txt",
    "peak memory (benchmarks/memory.py)": ROOT / "benchmarks" / "results" / "memory.txt",
}


def print_recorded_figures() -> None:
    for title, path in RECORDED.items():
        if not path.exists():
            print(f"{title}: not recorded yet")
            continue
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        totals = [line for line in lines if line.startswith(("totals:", "2 MB", "20 MB"))] or lines[-1:]
        for line in totals:
            print(f"{title}: {line}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--junit", type=Path, help="read this junit XML instead of running the tests")
    args = parser.parse_args(argv)
    table = read_table(ROOT / "docs" / "reliability.md")
    nodes = sorted({n for ids in table.values() for n in ids})
    if args.junit is not None:
        ran = read_junit(args.junit)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            junit = Path(tmp) / "reliability.xml"
            subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}",
                            "-o", "junit_family=xunit1", *nodes], cwd=ROOT, check=False)
            ran = read_junit(junit)
    survived, lost, ledgers = 0, 0, 0
    for number, ids in table.items():
        results = [r for n in ids for r in matches(n, ran)]
        missing = [n for n in ids if not matches(n, ran)]
        ok = bool(results) and not missing and all(outcome == "passed" for outcome, _ in results)
        survived += ok
        lost += sum(n or 0 for _, n in results)
        ledgers += sum(n is not None for _, n in results)
        if not ok:
            why = f"missing {missing}" if missing else ", ".join(sorted({o for o, _ in results}))
            print(f"scenario {number} not survived: {why}")
    print(f"scenarios tested: {len(table)}; survived: {survived}; records lost: {lost} "
          f"(ledger checked after {ledgers} runs)")
    print_recorded_figures()
    return 0 if survived == len(table) and lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
