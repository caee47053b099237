"""The PubMed tables: records as fetched (every version kept), their lists one row per item, and
the local mirror of NLM's baseline and update files.

One entry per table, one line per column: adding a column is adding its line here.
"""

from __future__ import annotations

from grading.warehouse.catalog.entries import (
    BOOLEAN,
    DOUBLE,
    INTEGER,
    TIMESTAMP,
    VARCHAR,
    VARCHARS,
    Table,
    col,
)

PMID = col("pmid", INTEGER, "the record (pubmed_records.pmid)")
POSITION = col("position", INTEGER, "the item's place in the record's own list, from 1")
ORIGINS = "entrez, snapshot (the bundled records), baseline (the local mirror) or warehouse"
CHILD = "one row per (pmid, position) of the record's latest version: "

PUBMED_RECORD_VERSIONS = Table("pubmed_record_versions", "one row per (pmid, xml_sha): every version a run "
                               "fetched or took from the mirror, raw XML kept", primary_key=("pmid", "xml_sha"),
                               columns=(
    col("pmid", INTEGER, "the PubMed id"),
    col("version", INTEGER, "PubMed's version number of the record"),
    col("date_revised", VARCHAR, "PubMed's DateRevised (YYYY-MM-DD); NULL when absent"),
    col("xml_sha", VARCHAR, "SHA-256 of the raw XML: the version's identity"),
    col("raw_xml", VARCHAR, "the PubmedArticle XML as received, so any stage can be replayed"),
    col("origin", VARCHAR, f"where it came from: {ORIGINS}"),
    col("first_seen_at", TIMESTAMP, "when a run first saw this version (UTC)"),
    col("first_run_id", VARCHAR, "the run that first saw it"),
))

PUBMED_RECORDS = Table("pubmed_records", "one row per PMID: its latest version (history in "
                       "pubmed_record_versions)", primary_key=("pmid",), columns=(
    col("pmid", INTEGER, "the PubMed id"),
    col("version", INTEGER, "PubMed's version number of the record"),
    col("title", VARCHAR, "the article's title"),
    col("abstract", VARCHAR, "the abstract's text, sections joined; NULL when it has none"),
    col("journal", VARCHAR, "the journal's title"),
    col("year", INTEGER, "the publication year"),
    col("languages", VARCHARS, "the article's languages (eng, ger, ...)"),
    col("publication_types", VARCHARS, "PubMed's publication types (Randomized Controlled Trial, Review, ...)"),
    col("mesh_terms", VARCHARS, "the MeSH descriptors indexed"),
    col("authors", VARCHARS, "\"Surname Initials\" (or a collective name), in order"),
    col("doi", VARCHAR, "the article's DOI; NULL when none"),
    col("pmcid", VARCHAR, "its PubMed Central id (PMC…); NULL when none"),
    col("design", VARCHAR, "the study design read from it: systematic_review, rct, nonrandomized_trial, "
        "observational, case_report, animal, in_vitro, review, opinion or unknown; NULL for a mirror record "
        "no run has read yet"),
    col("species", VARCHARS, "the species studied (human, and laboratory species); NULL for a mirror record no "
        "run has read yet"),
    col("sample_size", INTEGER, "the number of participants stated; NULL when none is, or no run has read it"),
    col("retracted", BOOLEAN, "PubMed marks it retracted (publication type Retracted Publication, or a "
        "RetractionIn comment)"),
    col("date_revised", VARCHAR, "PubMed's DateRevised (YYYY-MM-DD); NULL when absent"),
    col("origin", VARCHAR, f"where it came from: {ORIGINS}"),
    col("xml_sha", VARCHAR, "SHA-256 of the raw XML: the version's identity"),
    col("raw_xml", VARCHAR, "the PubmedArticle XML as received"),
    col("fetched_at", TIMESTAMP, "when this version was fetched or loaded (UTC)"),
))

PUBMED_AUTHORS = Table("pubmed_authors", CHILD + "an author, a person or a collective", columns=(
    PMID, POSITION,
    col("last_name", VARCHAR, "the surname; NULL for a collective"),
    col("fore_name", VARCHAR, "the given names"),
    col("initials", VARCHAR, "the initials"),
    col("collective_name", VARCHAR, "a group's name (a trial's investigators); NULL for a person"),
    col("affiliations", VARCHARS, "the affiliations stated, possibly none"),
))

PUBMED_PUBLICATION_TYPES = Table("pubmed_publication_types", CHILD + "a publication type", columns=(
    PMID, POSITION,
    col("ui", VARCHAR, "its MeSH UI (e.g. D016449, Randomized Controlled Trial)"),
    col("name", VARCHAR, "its name"),
))

PUBMED_MESH_HEADINGS = Table("pubmed_mesh_headings", CHILD + "a MeSH descriptor with its qualifiers", columns=(
    PMID, POSITION,
    col("descriptor_ui", VARCHAR, "the descriptor's MeSH UI (e.g. D006801, Humans)"),
    col("descriptor", VARCHAR, "the descriptor's name"),
    col("major_topic", BOOLEAN, "the descriptor is a major topic of the article"),
    col("qualifiers", VARCHARS, "its qualifiers (drug therapy, adverse effects, ...), possibly none"),
))

PUBMED_ARTICLE_IDS = Table("pubmed_article_ids", CHILD + "an id of the record", columns=(
    PMID, POSITION,
    col("id_type", VARCHAR, "pubmed, doi, pmc, pii, mid, ..."),
    col("value", VARCHAR, "the id"),
))

PUBMED_COMMENTS_CORRECTIONS = Table("pubmed_comments_corrections", CHILD + "a link to another record", columns=(
    PMID, POSITION,
    col("ref_type", VARCHAR, "RetractionIn, ErratumIn, CommentIn, CommentOn, ..."),
    col("ref_pmid", INTEGER, "the other record; NULL when PubMed gives none"),
    col("ref_source", VARCHAR, "the other record's citation as PubMed prints it"),
))

MIRROR_RECORDS = Table("mirror_records", "one row per PMID the baseline mirror has a word on",
                       primary_key=("pmid",), columns=(
    col("pmid", INTEGER, "the PubMed id"),
    col("file_name", VARCHAR, "the NLM file that spoke last of it (pubmed26n0001.xml.gz, ...)"),
    col("file_sha", VARCHAR, "SHA-256 of that file"),
    col("xml_sha", VARCHAR, "the version it holds (pubmed_records.xml_sha); NULL when deleted"),
    col("deleted", BOOLEAN, "the file deleted it (a DeleteCitation)"),
))

INGESTED_FILES = Table("ingested_files", "one row per baseline or update file loaded, by content (a file "
                       "already here is skipped)", primary_key=("file_sha",), columns=(
    col("file_sha", VARCHAR, "SHA-256 of the file's bytes"),
    col("file_name", VARCHAR, "its name"),
    col("ingest_id", VARCHAR, "the grading ingest-baseline call that loaded it"),
    col("ingested_at", TIMESTAMP, "when it was loaded (UTC)"),
    col("n_records", INTEGER, "records it holds"),
    col("n_deleted", INTEGER, "deletions it holds"),
    col("n_quarantined", INTEGER, "records left out for failing their checks (in quarantine)"),
    col("n_applied", INTEGER, "records and deletions that changed the mirror"),
    col("parse_seconds", DOUBLE, "parsing work summed over the file's shards (not wall time)"),
))
