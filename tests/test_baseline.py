"""The local PubMed mirror: `grading ingest-baseline` on the two real NLM files and on small
hand-made update files (order, deletions, repeats, quarantine, bad files), and the fetch stage
taking records from it before Entrez."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from grading.cli import main
from grading.models import FetchResult
from grading.pubmed.mirror import MirrorSource, mirror_first, read_mirror
from grading.warehouse.baseline import (
    LoadThreads,
    already_ingested,
    ingest_baseline,
    load_batches,
)
from grading.warehouse.baseline_parse import parse_baseline_file
from grading.warehouse.database import RECORD_CHILD_TABLES, open_warehouse
from tests.helpers import query
from tests.runs import grade

REAL_FILES = ("pubmed20n0014.xml.gz", "pubmed21n1298.xml.gz")
NOW = datetime(2026, 1, 2, 3, 4, 5)
TABLES = ("pubmed_records", *RECORD_CHILD_TABLES, "mirror_records")


def article(pmid: int, title: str = "A trial", revised: str = "2020-01-01", version: int = 1,
            mesh: tuple[tuple[str, str], ...] = (("D006801", "Humans"),)) -> str:
    year, month, day = revised.split("-")
    headings = "".join(f'<MeshHeading><DescriptorName UI="{ui}" MajorTopicYN="N">{name}</DescriptorName>'
                       "</MeshHeading>" for ui, name in mesh)
    return (f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="{version}">{pmid}</PMID>'
            f"<DateRevised><Year>{year}</Year><Month>{month}</Month><Day>{day}</Day></DateRevised>"
            '<Article PubModel="Print"><Journal><JournalIssue CitedMedium="Print"><PubDate><Year>2019</Year></PubDate>'
            f"</JournalIssue><Title>Journal of Fixtures</Title></Journal><ArticleTitle>{title}</ArticleTitle>"
            '<AuthorList><Author><LastName>Petrov</LastName><Initials>I</Initials></Author></AuthorList>'
            '<Language>eng</Language><PublicationTypeList><PublicationType UI="D016449">Randomized Controlled Trial'
            f"</PublicationType></PublicationTypeList></Article><MeshHeadingList>{headings}</MeshHeadingList>"
            f'</MedlineCitation><PubmedData><ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId>'
            "</ArticleIdList></PubmedData></PubmedArticle>")


def update_file(path: Path, *articles: str, deleted: tuple[int, ...] = ()) -> Path:
    body = "\n".join(articles)
    if deleted:
        body += "\n<DeleteCitation>" + "".join(f'<PMID Version="1">{p}</PMID>' for p in deleted) + "</DeleteCitation>"
    xml = f'<?xml version="1.0" encoding="utf-8"?>\n<PubmedArticleSet>\n{body}\n</PubmedArticleSet>\n'.encode()
    path.write_bytes(gzip.compress(xml) if path.suffix == ".gz" else xml)
    return path


def ingest(warehouse: Path, *files: Path, workers: int = 1, shards: int | None = None):
    return ingest_baseline(warehouse, files, workers=workers, ingest_id="ingest-test", now=NOW, shards=shards)


def dump(warehouse: Path) -> dict[str, list[tuple]]:
    """The record tables as sorted rows, without the columns that say when or by which ingest."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        out = {}
        for table in TABLES:
            columns = [c for (c,) in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
                [table]).fetchall() if c not in ("fetched_at", "first_seen_at", "first_run_id")]
            out[table] = sorted(con.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall(), key=repr)
        return out


one = query  # one query on a read-only open


# --- the two real files ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_mirror(tmp_path_factory, testdata_dir):
    """Both real files ingested once, by two worker processes."""
    warehouse = tmp_path_factory.mktemp("mirror") / "w.duckdb"
    report = ingest(warehouse, *(testdata_dir / name for name in REAL_FILES), workers=2)
    return warehouse, report


def test_real_files_load_whole(real_mirror):
    warehouse, report = real_mirror
    assert report.failures == []
    loads = {load.file_name: load for load in report.loads}
    assert (loads["pubmed20n0014.xml.gz"].n_records, loads["pubmed21n1298.xml.gz"].n_records) == (30_000, 20_788)
    assert (loads["pubmed21n1298.xml.gz"].n_deleted, loads["pubmed21n1298.xml.gz"].n_quarantined) == (20, 0)
    # 30,000 + 20,788 records of which 5 PMIDs appear twice in the update file
    assert one(warehouse, "SELECT count(*), count(DISTINCT pmid) FROM pubmed_records") == [(50_783, 50_783)]
    assert one(warehouse, "SELECT count(*) FROM pubmed_record_versions") == [(0,)]  # history is what runs used
    assert one(warehouse, "SELECT count(*) FROM mirror_records m JOIN pubmed_records r USING (pmid, xml_sha)") == [
        (50_783,)]
    assert one(warehouse, "SELECT DISTINCT origin, design IS NULL, species IS NULL FROM pubmed_records") == [
        ("baseline", True, True)]  # read by a grading run when one uses them
    assert one(warehouse, "SELECT count(*) FROM mirror_records WHERE deleted") == [(20,)]
    assert one(warehouse, "SELECT count(*) FROM pubmed_records WHERE pmid IN "
                          "(SELECT pmid FROM mirror_records WHERE deleted)") == [(0,)]
    assert one(warehouse, "SELECT count(*) FROM quarantine") == [(0,)]
    # the child tables hold exactly the lists of pubmed_records, in order
    for table, column, value in [("pubmed_publication_types", "publication_types", "name"),
                                 ("pubmed_mesh_headings", "mesh_terms", "descriptor")]:
        assert one(warehouse, f"""SELECT count(*) FROM (
            SELECT pmid, list({value} ORDER BY position) AS items FROM {table} GROUP BY pmid) c
            FULL JOIN pubmed_records r USING (pmid)
            WHERE coalesce(c.items, []) <> r.{column}""") == [(0,)], table
    assert one(warehouse, "SELECT count(*) FROM pubmed_authors") == one(
        warehouse, "SELECT sum(len(authors)) FROM pubmed_records")
    assert one(warehouse, "SELECT count(DISTINCT pmid) FROM pubmed_article_ids WHERE id_type = 'pubmed'") == [
        (50_783,)]


def test_real_child_rows_read_as_pubmed_wrote_them(real_mirror):
    warehouse, _ = real_mirror
    # PMID 10704411, the first record of pubmed21n1298 (see the file's head)
    assert one(warehouse, "SELECT position, descriptor_ui, descriptor, major_topic, qualifiers FROM pubmed_mesh_headings "
                          "WHERE pmid = 10704411 AND position <= 4 ORDER BY position") == [
        (1, "D000818", "Animals", False, []), (2, "D001522", "Behavior, Animal", False, []),
        (3, "D003042", "Cocaine", True, ["metabolism"]), (4, "D004298", "Dopamine", True, ["metabolism", "physiology"])]
    assert one(warehouse, "SELECT last_name, fore_name, initials, affiliations FROM pubmed_authors "
                          "WHERE pmid = 10704411 AND position = 1") == [
        ("Bainton", "R J", "RJ", [("Department of Anesthesia, University of California San Francisco, "
                                   "California 94143-0452, USA.")])]
    assert one(warehouse, "SELECT ui, name FROM pubmed_publication_types WHERE pmid = 10704411 ORDER BY position") == [
        ("D016428", "Journal Article"), ("D013486", "Research Support, U.S. Gov't, Non-P.H.S."),
        ("D013487", "Research Support, U.S. Gov't, P.H.S.")]


def test_reingesting_a_file_changes_nothing(real_mirror, testdata_dir, capsys):
    warehouse, _ = real_mirror
    before = one(warehouse, "SELECT count(*), sum(hash(pmid, xml_sha)) FROM pubmed_records")
    files = one(warehouse, "SELECT count(*) FROM ingested_files")
    assert main(["ingest-baseline", str(testdata_dir / "pubmed21n1298.xml.gz"), "--warehouse", str(warehouse)]) == 0
    assert "pubmed21n1298.xml.gz: already ingested; nothing changed" in capsys.readouterr().out
    assert one(warehouse, "SELECT count(*), sum(hash(pmid, xml_sha)) FROM pubmed_records") == before
    assert one(warehouse, "SELECT count(*) FROM ingested_files") == files == [(2,)]


def test_mirror_answers_fetches_before_the_source_behind(real_mirror):
    warehouse, _ = real_mirror
    deleted = one(warehouse, "SELECT min(pmid) FROM mirror_records WHERE deleted")[0][0]

    class Behind:
        name = "entrez"

        def __init__(self):
            self.asked = []

        def fetch(self, pmids):
            self.asked.append(list(pmids))
            return FetchResult(unavailable={p: "not here" for p in pmids}, requests=1)

    behind = Behind()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        source = mirror_first(con, behind)
        assert isinstance(source, MirrorSource)
        result = source.fetch([10704411, deleted, 99999999, 10704411])
    assert behind.asked == [[99999999]]  # only what the mirror does not know
    assert result.records[10704411].title.startswith("Dopamine modulates acute responses to cocaine")
    assert result.origin[10704411] == "baseline"
    assert result.not_found == {deleted}  # PubMed withdrew it
    assert result.unavailable == {99999999: "not here"} and result.requests == 1


# --- small update files ------------------------------------------------------------------------


def test_later_files_win_whatever_the_order(tmp_path):
    first = update_file(tmp_path / "pubmed99n0001.xml", article(1, "Old title"), article(2), article(3))
    second = update_file(tmp_path / "pubmed99n0002.xml.gz",
                         article(1, "New title", revised="2021-05-05", mesh=(("D000818", "Animals"),)),
                         deleted=(2,))
    forward, backward = tmp_path / "forward.duckdb", tmp_path / "backward.duckdb"
    assert ingest(forward, first, second).failures == []
    assert ingest(backward, second).failures == [] and ingest(backward, first).failures == []
    assert dump(forward) == dump(backward)
    assert one(forward, "SELECT pmid, title, date_revised FROM pubmed_records ORDER BY pmid") == [
        (1, "New title", "2021-05-05"), (3, "A trial", "2020-01-01")]
    assert one(forward, "SELECT pmid, descriptor FROM pubmed_mesh_headings ORDER BY pmid") == [
        (1, "Animals"), (3, "Humans")]  # the old version's Humans went with it
    assert one(forward, "SELECT pmid, file_name, deleted FROM mirror_records ORDER BY pmid") == [
        (1, "pubmed99n0002.xml.gz", False), (2, "pubmed99n0002.xml.gz", True), (3, "pubmed99n0001.xml", False)]
    assert one(forward, "SELECT count(*) FROM pubmed_authors WHERE pmid = 2") == [(0,)]


def test_a_pmid_repeated_in_a_file_keeps_its_last_occurrence(tmp_path):
    path = update_file(tmp_path / "pubmed99n0001.xml", article(7, "First"), article(8), article(7, "Second"),
                       article(7, "Third"), deleted=(8,))
    warehouse = tmp_path / "w.duckdb"
    with open_warehouse(warehouse) as con:  # one record per parquet part: repeats across parts
        batch = parse_baseline_file(path, tmp_path, "ingest-test", NOW, chunk_records=1)
        assert Path(batch.folders[0]).is_dir() and len(batch.parts["records"]) == 4
        [load] = list(load_batches(con, [batch], "ingest-test", NOW))
        assert not Path(batch.folders[0]).exists()
    assert (load.status, load.n_records, load.n_deleted, load.n_applied) == ("loaded", 4, 1, 2)
    assert one(warehouse, "SELECT pmid, title FROM pubmed_records") == [(7, "Third")]
    assert one(warehouse, "SELECT count(*) FROM pubmed_authors") == [(1,)]


def test_a_record_a_run_fetched_later_is_not_replaced_by_an_older_file(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    assert ingest(warehouse, update_file(tmp_path / "pubmed99n0001.xml", article(5, "Live"))).failures == []
    with duckdb.connect(str(warehouse)) as con:  # as if a run had fetched a newer version from Entrez
        con.execute("UPDATE pubmed_records SET origin = 'entrez', date_revised = '2024-01-01', title = 'Live'")
    update_file(tmp_path / "pubmed99n0002.xml", article(5, "Archived", revised="2023-01-01"))
    assert ingest(warehouse, tmp_path / "pubmed99n0002.xml").failures == []
    assert one(warehouse, "SELECT title, origin FROM pubmed_records") == [("Live", "entrez")]
    assert one(warehouse, "SELECT file_name FROM mirror_records") == [("pubmed99n0002.xml",)]
    update_file(tmp_path / "pubmed99n0003.xml", article(5, "Newest", revised="2025-01-01"))
    assert ingest(warehouse, tmp_path / "pubmed99n0003.xml").failures == []
    assert one(warehouse, "SELECT title, origin FROM pubmed_records") == [("Newest", "baseline")]


def test_a_failing_record_is_quarantined_whole_with_its_raw_xml(tmp_path):
    bad = article(11, "Bad heading", mesh=(("D006801", "Humans"), ("X12", "Not a MeSH UI")))
    path = update_file(tmp_path / "pubmed99n0001.xml", article(10), bad, article(12))
    warehouse = tmp_path / "w.duckdb"
    report = ingest(warehouse, path)
    assert report.failures == [] and report.loads[0].n_quarantined == 1
    for table in TABLES:
        assert one(warehouse, f"SELECT count(*) FROM {table} WHERE pmid = 11") == [(0,)], table
    assert one(warehouse, "SELECT pmid FROM pubmed_records ORDER BY pmid") == [(10,), (12,)]
    [(run_id, table, key, check, failure, raw)] = one(warehouse, "SELECT * FROM quarantine")
    assert (run_id, table, key) == ("ingest-test", "pubmed_mesh_headings", "11")
    assert "str_matches" in check and "X12" in failure
    quarantined = json.loads(raw)
    assert quarantined["descriptor"] == "Not a MeSH UI"
    assert quarantined["raw_xml"] == bad  # the record's own bytes: nothing lost


def test_bad_files_get_one_line_each_and_the_rest_loads(tmp_path, capsys):
    good = update_file(tmp_path / "pubmed99n0001.xml.gz", article(20))
    truncated = tmp_path / "pubmed99n0002.xml.gz"
    truncated.write_bytes(gzip.compress(update_file(tmp_path / "x.xml", article(21), article(22)).read_bytes())[:-30])
    not_xml = tmp_path / "pubmed99n0003.xml"
    not_xml.write_text("<html><body>Service unavailable</body></html>")
    warehouse = tmp_path / "w.duckdb"
    code = main(["ingest-baseline", str(good), str(truncated), str(not_xml), str(tmp_path / "missing.xml.gz"),
                 str(tmp_path), "--warehouse", str(warehouse)])
    out, err = capsys.readouterr()
    assert code == 1
    errors = err.strip().splitlines()
    assert len(errors) == 4 and all(line.startswith("grading: error: ") for line in errors)
    assert any("pubmed99n0002.xml.gz: truncated" in line for line in errors)
    assert any("pubmed99n0003.xml" in line and "not PubMed XML" in line for line in errors)
    assert any("missing.xml.gz" in line for line in errors) and any("is a folder" in line for line in errors)
    assert "1 of 5 files loaded (1 records)" in out
    assert one(warehouse, "SELECT pmid FROM pubmed_records") == [(20,)]
    assert one(warehouse, "SELECT file_name FROM ingested_files") == [("pubmed99n0001.xml.gz",)]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no parquet left behind


def test_workers_change_nothing_but_speed(tmp_path):
    files = [update_file(tmp_path / f"pubmed99n000{i}.xml", *(article(100 * i + j, f"T{i}{j}") for j in range(30)),
                         article(7, f"Shared {i}", revised=f"202{i}-01-01"), deleted=(100 * (i - 1) + 1,) if i > 1 else ())
             for i in (1, 2, 3)]
    serial, parallel = tmp_path / "serial.duckdb", tmp_path / "parallel.duckdb"
    assert ingest(serial, *files).failures == []
    report = ingest(parallel, *reversed(files), workers=2)
    assert report.failures == [] and len(report.loads) == 3
    assert dump(serial) == dump(parallel)
    assert one(parallel, "SELECT title FROM pubmed_records WHERE pmid = 7") == [("Shared 3",)]


# --- shards: one file parsed by several workers -------------------------------------------------


def big_update_file(path: Path, n: int = 300, *, extra_last: tuple[str, ...] = (), deleted: tuple[int, ...] = ()
                    ) -> Path:
    """An update file of ~`n` KB: several 64 KB cuts, so that shards really share it. PMID 7 comes
    first and again near the end (another cut, so another shard), PMID 8 once."""
    articles = [article(7, "Early copy"), article(8, "Only copy")]
    articles += [article(1000 + i, f"Filler {i}") for i in range(n)]
    articles += [article(7, "Late copy", revised="2022-02-02"), *extra_last]
    return update_file(path, *articles, deleted=deleted)


@pytest.mark.parametrize("shards", [2, 3, 4])
def test_shards_load_exactly_what_one_reading_loads(tmp_path, shards):
    base = update_file(tmp_path / "pubmed99n0001.xml", article(8, "Before"), article(9, "Kept"), article(10))
    update = big_update_file(tmp_path / "pubmed99n0002.xml.gz", deleted=(10,))
    whole, shared = tmp_path / "whole.duckdb", tmp_path / "shared.duckdb"
    assert ingest(whole, base, update).failures == []
    report = ingest(shared, base, update, shards=shards)
    assert report.failures == [] and [load.n_records for load in report.loads] == [3, 303]
    assert dump(whole) == dump(shared)
    assert one(shared, "SELECT title FROM pubmed_records WHERE pmid IN (7, 8, 9) ORDER BY pmid") == [
        ("Late copy",), ("Only copy",), ("Kept",)]
    assert one(shared, "SELECT deleted FROM mirror_records WHERE pmid = 10") == [(True,)]
    assert one(shared, "SELECT count(*) FROM pubmed_records") == [(303,)]


def test_a_quarantined_last_copy_in_another_shard_leaves_the_record_as_it_was(tmp_path):
    """The file's last word on PMID 7 is unreadable: the file says nothing usable about it, so the
    earlier file's version stays, whichever shard held the file's good early copy."""
    bad = article(7, "Bad late copy", mesh=(("X1", "Not a MeSH UI"),))
    base = update_file(tmp_path / "pubmed99n0001.xml", article(7, "From the earlier file"))
    update = big_update_file(tmp_path / "pubmed99n0002.xml", extra_last=(bad,))
    results = []
    for shards in (1, 3):
        warehouse = tmp_path / f"w{shards}.duckdb"
        assert ingest(warehouse, base).failures == []
        report = ingest(warehouse, update, shards=shards)
        assert report.failures == [] and report.loads[0].n_quarantined == 1
        results.append(dump(warehouse))
        assert one(warehouse, "SELECT title FROM pubmed_records WHERE pmid = 7") == [("From the earlier file",)]
        assert one(warehouse, "SELECT file_name FROM mirror_records WHERE pmid = 7") == [("pubmed99n0001.xml",)]
    assert results[0] == results[1]


def test_a_file_that_cannot_be_shared_out_is_parsed_whole(tmp_path):
    plain = big_update_file(tmp_path / "plain.xml")
    subset = tmp_path / "pubmed99n0003.xml"  # a DTD subset: its cuts cannot be parsed apart
    subset.write_bytes(plain.read_bytes().replace(b"<PubmedArticleSet>",
                                                  b'<!DOCTYPE PubmedArticleSet [<!ENTITY x "y">]><PubmedArticleSet>', 1))
    warehouse = tmp_path / "w.duckdb"
    report = ingest(warehouse, subset, shards=2)
    assert report.failures == [] and report.loads[0].n_records == 303
    assert one(warehouse, "SELECT title FROM pubmed_records WHERE pmid = 7") == [("Late copy",)]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # the abandoned shards' parts went


def test_the_command_with_two_workers_forks_and_loads_like_one(tmp_path):
    """`grading ingest-baseline --workers 2` in its own process (where the pool is forked, not
    spawned: no other threads run there) loads what one worker loads."""
    files = [big_update_file(tmp_path / "pubmed99n0001.xml"),
             update_file(tmp_path / "pubmed99n0002.xml.gz", article(7, "Newer"), deleted=(8,))]
    one_worker, two_workers = tmp_path / "one.duckdb", tmp_path / "two.duckdb"
    assert ingest(one_worker, *files).failures == []
    done = subprocess.run([sys.executable, "-m", "grading.cli", "ingest-baseline", *map(str, files),
                           "--workers", "2", "--warehouse", str(two_workers)], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "2 of 2 files loaded (304 records)" in done.stdout
    assert dump(one_worker) == dump(two_workers)


def test_a_load_runs_on_the_cores_parsing_leaves_free():
    pool = LoadThreads(cores=2, parsers_here=2)
    assert [pool.free(unparsed) for unparsed in (7, 2, 1, 0)] == [1, 1, 1, 2]
    assert LoadThreads(cores=4, parsers_here=2).free(5) == 2
    assert LoadThreads(cores=8, parsers_here=0).free(100) == 8  # a remote cluster parses elsewhere


def test_the_same_content_twice_in_one_command_loads_once(tmp_path):
    path = update_file(tmp_path / "pubmed99n0001.xml", article(30))
    copy = tmp_path / "copy.xml"
    copy.write_bytes(path.read_bytes())
    warehouse = tmp_path / "w.duckdb"
    report = ingest(warehouse, path, copy)
    assert [load.status for load in report.loads] == ["loaded"]
    with open_warehouse(warehouse) as con:
        assert already_ingested(con, [hashlib.sha256(path.read_bytes()).hexdigest()])


def test_no_workers_is_a_usage_error(tmp_path, capsys):
    assert main(["ingest-baseline", str(tmp_path / "x.xml"), "--workers", "0"]) == 2
    assert capsys.readouterr().err.strip() == "grading: error: --workers must be at least 1"


# --- the fetch stage ---------------------------------------------------------------------------


def test_a_run_takes_records_from_the_mirror(tmp_path, snapshot_path):
    """The bundled snapshot loaded as a baseline file: an offline run gets the cited records from
    the mirror (origin baseline), reads them, and writes their design."""
    warehouse = tmp_path / "w.duckdb"
    mirror_file = tmp_path / "pubmed99n0001.xml"
    mirror_file.write_bytes(snapshot_path.read_bytes())
    assert ingest(warehouse, mirror_file).failures == []
    summary = grade(None, warehouse, tmp_path / "reports", offline=True)
    assert summary["claims"] > 0
    origins = one(warehouse, "SELECT origin, count(*) FROM fetch_log WHERE outcome = 'fetched' GROUP BY origin")
    assert origins == [("baseline", 8)]
    assert one(warehouse, "SELECT count(*) FROM pubmed_records WHERE origin = 'baseline' AND design IS NOT NULL") == [
        (8,)]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        records, deleted = read_mirror(con, [16996037])
    assert records[16996037].title.startswith("Semax, an analog of ACTH(4-10)") and deleted == set()
