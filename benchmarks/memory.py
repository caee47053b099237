"""Peak memory and time of `grading run` on one large document (2 MB and 20 MB by default).

    .venv/bin/python benchmarks/memory.py [--sizes 2,20] [--out benchmarks/results/memory.txt]

Each size is a generated Markdown page of claim-shaped sentences, citations and plain prose
(nothing from any corpus), graded offline into a fresh warehouse by a real `grading run`
process; the figure is that process's peak RSS (getrusage of the waited-for child: its own
peak, not the Prefect server's, which is a separate process of about 250 MB whatever the
document). The 20 MB page must stay under 1 GB.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIMIT_MB = 1024
WRAPPER = ("import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode; "
           "print('peak_kb', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
           "sys.exit(code)")
SUBJECTS = ["Compound A", "The extract", "Daily supplementation", "The peptide", "Regular exercise", "The tea"]
EFFECTS = ["lowers blood pressure", "improves sleep quality", "reduces inflammation", "shortens recovery",
           "raises energy levels", "protects the liver"]
GROUPS = ["in adults", "in older adults", "in mice", "in athletes", "in children", "in rats"]
PROSE = ("This section describes how the product is made and shipped to customers across the region, "
         "with notes on packaging and storage at room temperature. ")


def page(size_bytes: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    parts, total, n = [], 0, 0
    while True:  # up to size_bytes, not past it: GRADING_MAX_SOURCE_BYTES (20 MB) refuses larger
        n += 1
        if n % 3 == 0:
            chunk = PROSE * rng.randint(1, 3) + "\n\n"
        else:
            chunk = (f"{rng.choice(SUBJECTS)} {rng.choice(EFFECTS)} {rng.choice(GROUPS)} "
                     f"(PMID: {rng.randint(1, 39_999_999)}).\n\n")
        if total + len(chunk) > size_bytes:
            return "".join(parts)
        parts.append(chunk)
        total += len(chunk)


def measure(size_mb: float, work: Path) -> tuple[float, float, int, str]:
    doc = work / f"page-{size_mb:g}mb.md"
    doc.write_text(page(int(size_mb * 1_000_000)), encoding="utf-8")
    started = time.monotonic()
    # Through a small wrapper whose only child is the run: its RUSAGE_CHILDREN peak is the run's alone.
    proc = subprocess.run([sys.executable, "-c", WRAPPER, sys.executable, "-m", "grading.cli", "run", str(doc),
                           "--offline", "--warehouse", str(work / f"w-{size_mb:g}.duckdb"),
                           "--reports", str(work / f"r-{size_mb:g}")],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"})
    seconds = time.monotonic() - started
    peak_kb = int(proc.stderr.strip().splitlines()[-1].split()[-1])
    summary = next((line for line in proc.stdout.splitlines() if line.startswith("run ")), proc.stderr[-300:])
    return peak_kb / 1024, seconds, proc.returncode, summary


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="2,20", help="document sizes in MB, comma-separated, smallest first")
    ap.add_argument("--out", type=Path, help="also write the lines here")
    args = ap.parse_args()
    lines = []
    with tempfile.TemporaryDirectory(prefix="grading-memory-") as tmp:
        for size in sorted(float(s) for s in args.sizes.split(",")):
            peak, seconds, code, summary = measure(size, Path(tmp))
            ok = "ok" if peak < LIMIT_MB and code in (0, 1) else "OVER" if peak >= LIMIT_MB else f"exit {code}"
            lines.append(f"{size:g} MB document: peak RSS {peak:.0f} MB, {seconds:.0f} s, exit {code} [{ok}]; "
                         f"{summary[:200]}")
            print(lines[-1], flush=True)
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0 if all("[ok]" in line for line in lines) else 1


if __name__ == "__main__":
    sys.exit(main())
