"""Reports go only into a folder the tool owns; nothing we did not write is ever deleted."""

from __future__ import annotations

from pathlib import Path

import pytest

from grading.cli import main
from grading.reports.ownership import MARKER, ReportsFolderError, claim_reports_folder
from grading.reports.write import write_reports
from grading.warehouse.database import open_warehouse


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def users_folder(root: Path) -> Path:
    """A working folder as a user has it: their documents under sources/, notes, a sources list."""
    (root / "sources").mkdir(parents=True)
    (root / "sources" / "page.txt").write_text("Zinc shortens colds in adults (PMID: 12345678).\n")
    (root / "sources" / "saved.html").write_text("<p>Kept by the user</p>")
    (root / "sources.toml").write_text('[[source]]\npath = "sources"\n')
    return root


@pytest.fixture()
def completed_warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    with open_warehouse(path) as con:
        con.execute("INSERT INTO runs (run_id, started_at, finished_at, status, mode) "
                    "VALUES ('r1', now(), now(), 'completed', 'offline')")
    return path


def test_run_with_reports_in_the_users_folder_is_refused_and_deletes_nothing(tmp_path: Path, capsys,
                                                                            monkeypatch) -> None:
    work = users_folder(tmp_path / "work")
    before = snapshot(work)
    monkeypatch.chdir(work)
    code = main(["run", "sources", "--offline", "--reports", ".", "--warehouse", str(tmp_path / "w.duckdb")])
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 2
    assert len(err) == 1 and err[0].startswith("grading: error: .: holds files grading did not write (")
    assert "sources.toml" in err[0]
    assert snapshot(work) == before  # not even the marker
    assert not (tmp_path / "w.duckdb").exists()  # refused before anything ran


def test_report_into_a_foreign_folder_is_refused(completed_warehouse: Path, tmp_path: Path, capsys) -> None:
    work = users_folder(tmp_path / "work")
    before = snapshot(work)
    assert main(["report", "--warehouse", str(completed_warehouse), "--reports", str(work)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "holds files grading did not write" in err
    assert snapshot(work) == before


def test_a_users_file_inside_our_sources_folder_is_never_deleted(completed_warehouse: Path, tmp_path: Path,
                                                                  capsys) -> None:
    out = tmp_path / "reports"
    assert main(["report", "--warehouse", str(completed_warehouse), "--reports", str(out)]) == 0
    assert (out / MARKER).is_file()
    (out / "sources" / "my-notes.txt").write_text("mine")
    capsys.readouterr()
    assert main(["report", "--warehouse", str(completed_warehouse), "--reports", str(out)]) == 2
    assert "sources/my-notes.txt" in capsys.readouterr().err
    assert (out / "sources" / "my-notes.txt").read_text() == "mine"


def test_a_users_file_beside_our_reports_is_kept(completed_warehouse: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    assert main(["report", "--warehouse", str(completed_warehouse), "--reports", str(out)]) == 0
    (out / "README.txt").write_text("notes on these reports")
    assert main(["report", "--warehouse", str(completed_warehouse), "--reports", str(out)]) == 0
    assert (out / "README.txt").read_text() == "notes on these reports"


def test_write_reports_itself_refuses(completed_warehouse: Path, tmp_path: Path) -> None:
    work = users_folder(tmp_path / "work")
    before = snapshot(work)
    with open_warehouse(completed_warehouse, read_only=True) as con, pytest.raises(ReportsFolderError):
        write_reports(con, work)
    assert snapshot(work) == before


def test_empty_new_and_earlier_report_folders_are_accepted(tmp_path: Path) -> None:
    claim_reports_folder(tmp_path / "new" / "reports")
    assert (tmp_path / "new" / "reports" / MARKER).is_file()
    (tmp_path / "empty").mkdir()
    claim_reports_folder(tmp_path / "empty")
    old = tmp_path / "old"  # written before the marker existed: only our names
    (old / "sources").mkdir(parents=True)
    for name in ("index.html", "changes.html", "claims.csv", "report.css", "sources/a-1234567.html"):
        (old / name).write_text("x")
    claim_reports_folder(old)
    assert (old / MARKER).is_file()


def test_a_file_named_as_the_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "r").write_text("not a folder")
    with pytest.raises(ReportsFolderError, match="not a folder"):
        claim_reports_folder(tmp_path / "r")
