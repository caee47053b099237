"""The README's overview screenshots, from a real run: the composite benchmark corpus graded through
the E-utilities stand-in (benchmarks/corpus_agreement.py --keep), its overview opened in Chromium at
1400 and 420 px, written to docs/overview.png and docs/overview-narrow.png.

    .venv/bin/python scripts/readme_screenshots.py

Needs Debian's chromium (`make browser`). Writes only those two files.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps"]


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="readme-shots-"))
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "corpus_agreement.py"),
                    str(ROOT / "benchmarks" / "corpora_composite"), "--keep", str(work), "--quiet"],
                   check=True, capture_output=True)
    index = work / "reports" / "index.html"
    chromium = shutil.which("chromium")
    if chromium is None:
        print("readme_screenshots: error: chromium is not installed (make browser)", file=sys.stderr)
        return 2
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=ARGS)
        for width, height, name in ((1400, 900, "overview.png"), (420, 900, "overview-narrow.png")):
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(index.as_uri())
            page.screenshot(path=str(ROOT / "docs" / name))
            page.close()
            print(f"docs/{name}")
        browser.close()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
