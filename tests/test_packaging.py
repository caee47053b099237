"""The wheel carries everything a run needs, and works away from the checkout: the pandera
models in `schemas`, the flows, the bundled snapshot, rubric, vocabularies and templates."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    uv = Path(sys.executable).parent / "uv"  # installed by `make` with the lock
    subprocess.run([str(uv), "build", "--quiet", "--wheel", "-o", str(out), str(ROOT)], check=True,
                   capture_output=True)
    return next(out.glob("grading-*.whl"))


def test_wheel_holds_packages_and_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("grading/schemas/__init__.py", "grading/schemas/tables.py", "grading/flows/grade_corpus.py",
                     "grading/flows/serve.py", "grading/data/snapshot.xml", "grading/data/rubric.toml",
                     "grading/reports/templates/index.html.j2"):
        assert required in names, required
    assert any(n.startswith("grading/data/") and n.endswith("vocabulary.toml") for n in names)
    assert not any(n.startswith(("schemas/", "flows/")) for n in names), "only the name `grading` is claimed"


def test_installed_wheel_runs_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    deps = sysconfig.get_paths()["purelib"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), deps]), "PYTHONNOUSERSITE": "1"}
    code = ("import grading, grading.flows.grade_corpus, sys; from grading import schemas; "
            "assert schemas.__file__.startswith(sys.argv[1]), schemas.__file__; "
            "from grading.engine.rubric import load_rubric; from grading.settings import Settings; "
            "from grading.pubmed.snapshot import SnapshotSource; "
            "s = Settings(); print(load_rubric(s.rubric_path).version, len(SnapshotSource(s.snapshot_path).index), "
            "sorted(schemas.TABLE_SCHEMAS)[0])")
    done = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path[:0] = {[str(site), deps]!r}; {code}",
                           str(site)], cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    version, records, first_table = done.stdout.split()
    assert records == "8" and version and first_table
