"""A warehouse for the report tests: a corpus graded twice through the loopback E-utilities
stand-in, with changes in between that the "changes since the previous run" page must show.

The corpus is the seeds plus the hostile documents (tests/fixtures/hostile/) saved under a
hostile file name. Between the runs one claim is deleted from a seed, a new claim is appended,
and the record cited by the most claims is marked retracted in the XML the stand-in serves.
What is changed is chosen from the first run's warehouse, not hard-coded to the seeds.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree

from grading.testing.standin import EutilsStandin
from tests.helpers import query
from tests.runs import grade

HOSTILE_DIR = Path(__file__).resolve().parent / "fixtures" / "hostile"
# A file name is document data too: it becomes the source's name on every page.
HOSTILE_STEM = "<img src=x onerror=\"window.__pwned='file name'\">tonic"
ADDED_CLAIM = "Magnesium improves sleep quality in older adults."
RETRACTED_TYPE = '<PublicationType UI="D016441">Retracted Publication</PublicationType>'


@dataclass(frozen=True)
class TwoRuns:
    warehouse: Path
    reports: Path
    corpus: Path
    edited_source: str  # the seed that lost a claim and gained ADDED_CLAIM
    removed_claim: str
    retracted_pmid: int
    run_ids: tuple[str, str]


def mark_retracted(snapshot: Path, pmid: int, out: Path) -> None:
    """Copy the snapshot with one record's publication types gaining "Retracted Publication"."""
    tree = etree.parse(str(snapshot))
    found = False
    for article in tree.getroot().iter("PubmedArticle"):
        if article.findtext("MedlineCitation/PMID") == str(pmid):
            types = article.find("MedlineCitation/Article/PublicationTypeList")
            types.append(etree.fromstring(RETRACTED_TYPE))
            found = True
    assert found, f"PMID {pmid} is not in {snapshot}"
    tree.write(str(out), xml_declaration=True, encoding="utf-8")


def pick_removable_claim(warehouse: Path, seeds: set[str]) -> tuple[str, str]:
    """A seed's claim whose text occurs once in its file, so deleting it is unambiguous."""
    for source, text in query(warehouse, "SELECT source, claim_text FROM claim_grades ORDER BY source, char_start"):
        if Path(source).name in seeds and Path(source).read_text(encoding="utf-8").count(text) == 1:
            return source, text
    raise AssertionError(f"no claim of {sorted(seeds)} occurs exactly once in its file")


@pytest.fixture(scope="session")
def two_runs(tmp_path_factory, seeds_dir: Path, snapshot_path: Path) -> TwoRuns:
    root = tmp_path_factory.mktemp("report-runs")
    corpus, warehouse, reports = root / "corpus", root / "w.duckdb", root / "reports"
    corpus.mkdir()
    for path in sorted(seeds_dir.iterdir()):
        shutil.copy(path, corpus / path.name)
    for path in sorted(HOSTILE_DIR.iterdir()):
        shutil.copy(path, corpus / (HOSTILE_STEM + path.suffix))

    with EutilsStandin([snapshot_path]) as standin:
        first = grade([corpus], warehouse, reports, eutils_url=standin.base_url)
    source, removed = pick_removable_claim(warehouse, {p.name for p in seeds_dir.iterdir()})
    path = Path(source)
    path.write_text(path.read_text(encoding="utf-8").replace(removed, "", 1) + "\n\n" + ADDED_CLAIM + "\n",
                    encoding="utf-8")
    pmid = query(warehouse, "SELECT pmid FROM cited_records WHERE fetch_outcome = 'fetched' "
                            "ORDER BY n_claims DESC, pmid LIMIT 1")[0][0]
    mark_retracted(snapshot_path, pmid, root / "retracted.xml")
    with pytest.MonkeyPatch.context() as mp, EutilsStandin([root / "retracted.xml"]) as standin:
        mp.setenv("GRADING_RECORD_MAX_AGE_DAYS", "0")  # re-fetch every record: PubMed changed
        second = grade([corpus], warehouse, reports, eutils_url=standin.base_url)
    return TwoRuns(warehouse=warehouse, reports=reports, corpus=corpus, edited_source=source, removed_claim=removed,
                   retracted_pmid=pmid, run_ids=(first["run_id"], second["run_id"]))
