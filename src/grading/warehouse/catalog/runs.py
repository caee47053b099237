"""The raw and staging tables a grading run writes: what it read, what it found, how it graded.

One entry per table, one line per column: adding a column is adding its line here (at the end of
its table: migrate() adds it to older files, NULL in their rows).
"""

from __future__ import annotations

from grading.warehouse.catalog.entries import (
    BOOLEAN,
    DOUBLE,
    INTEGER,
    INTEGERS,
    TIMESTAMP,
    VARCHAR,
    VARCHARS,
    Table,
    col,
)

RUN_ID = "the run (runs.run_id)"
CLAIM_ID = "the claim (claims_all.claim_id)"
SPAN = ("where the quoted text is: claim, abstract, title, citation, or none",
        "offset of the quoted text in that place (Python code points); NULL when none",
        "end of the quoted text, exclusive; NULL when none",
        "the quoted text itself")

GRADING_META = Table("grading_meta", "one row per key", primary_key=("key",), columns=(
    col("key", VARCHAR, "the setting's name (schema_version)"),
    col("value", VARCHAR, "its value (the schema version is \"3\")"),
))

RUNS = Table("runs", "one row per completed run", primary_key=("run_id",), columns=(
    col("run_id", VARCHAR, "the run's id: its start time and a random suffix"),
    col("started_at", TIMESTAMP, "when the run started (UTC)"),
    col("finished_at", TIMESTAMP, "when the run finished (UTC); the latest run is the latest finished"),
    col("status", VARCHAR, "completed: a run's row is written last, with its other rows"),
    col("mode", VARCHAR, "online, offline, offline-fallback (E-utilities unreachable, records from the "
        "bundled snapshot), or regrade (the latest run re-graded with another rubric, nothing fetched)"),
    col("eutils_url", VARCHAR, "the E-utilities address the run asked; NULL when it asked none"),
    col("rubric_version", VARCHAR, "the rubric the run graded with (docs/rubric.md)"),
    col("n_sources", INTEGER, "sources read"),
    col("n_claims", INTEGER, "claims graded"),
    col("n_citations", INTEGER, "citation links (rows of citation_links)"),
    col("n_records", INTEGER, "PubMed records fetched or reused"),
    col("eutils_requests", INTEGER, "every E-utilities request of the run, retries included"),
    col("eutils_esearch", INTEGER, "esearch requests; NULL on runs that fetch nothing"),
    col("eutils_efetch", INTEGER, "efetch requests; NULL on runs that fetch nothing"),
    col("eutils_epost", INTEGER, "epost requests; NULL on runs that fetch nothing"),
    col("eutils_ecitmatch", INTEGER, "ECitMatch requests; NULL on runs that fetch nothing"),
    col("note", VARCHAR, "what the reader of the run should know (a fallback to the snapshot); usually NULL"),
))

RUN_ISSUES = Table("run_issues", "one row per problem a run met (a source it could not read, a fallback, "
                   "a moved source)", columns=(
    col("run_id", VARCHAR, RUN_ID),
    col("stage", VARCHAR, "the stage that met it: sources, caps, fetch, ..."),
    col("subject", VARCHAR, "what it is about: a source, a PMID, a service"),
    col("message", VARCHAR, "the problem in one line"),
))

RUN_SOURCES = Table("run_sources", "one row per (run, source): which version of each source the run read",
                    primary_key=("run_id", "source"), columns=(
    col("run_id", VARCHAR, RUN_ID),
    col("source", VARCHAR, "the path or URL as given to grading run"),
    col("content_hash", VARCHAR, "the version read: SHA-256 of its text (source_versions)"),
    col("tags", VARCHARS, "the source's tags in the sources list (data/sources.toml); empty when none"),
))

SOURCE_VERSIONS = Table("source_versions", "one row per (source, content_hash): each version's exact text",
                        primary_key=("source", "content_hash"), columns=(
    col("source", VARCHAR, "the path or URL as given to grading run"),
    col("content_hash", VARCHAR, "SHA-256 (64 hex chars) of the text"),
    col("media_type", VARCHAR, "text/plain, text/markdown or text/html"),
    col("encoding", VARCHAR, "the character encoding the bytes were read with"),
    col("text", VARCHAR, "the exact text that claim and citation offsets index into"),
    col("n_chars", INTEGER, "length of text in code points"),
    col("url", VARCHAR, "the page's address: the URL read, or a saved page's leading SOURCE: <url> line"),
    col("title", VARCHAR, "the HTML <title>, else the first heading-like line"),
    col("body_start", INTEGER, "where the document proper begins, after such a header line (0 without one)"),
))

CLAIMS_ALL = Table("claims_all", "one row per claim of one source version (every version ever read)",
                   primary_key=("claim_id",), columns=(
    col("claim_id", VARCHAR, "16 hex chars: hash of the source's name, its content hash and the claim's "
        "offsets (a renamed source gets new ids; its old rows stay as history)"),
    col("source", VARCHAR, "the path or URL as given to grading run"),
    col("content_hash", VARCHAR, "the source version the claim was read from"),
    col("char_start", INTEGER, "offset of the claim in the source text (Python code points)"),
    col("char_end", INTEGER, "end of the claim in the source text, exclusive"),
    col("claim_text", VARCHAR, "the exact substring text[char_start:char_end] of the source version"),
    col("claim_type", VARCHAR, "efficacy, mechanism, safety, dosing, regulatory, pharmacokinetic or other"),
    col("population", VARCHAR, "who the claim is about: human, animal or unspecified"),
))

CITATION_MENTIONS = Table("citation_mentions", "one row per citation found in one source version",
                          primary_key=("citation_id",), columns=(
    col("citation_id", VARCHAR, "16 hex chars: hash of the source's name, its content hash and the "
        "citation's offsets"),
    col("source", VARCHAR, "the path or URL as given to grading run"),
    col("content_hash", VARCHAR, "the source version the citation was found in"),
    col("char_start", INTEGER, "offset of the citation in the source text (Python code points)"),
    col("char_end", INTEGER, "end of the citation in the source text, exclusive"),
    col("raw", VARCHAR, "the citation as it stands in the document"),
    col("kind", VARCHAR, "pmid, pmcid, doi, author_list, author_year, journal_ref, narrative (\"published "
        "in the journal X\", \"the X trial\"), title (a paper's title on its own) or url"),
    col("value", VARCHAR, "the normalised identifier or reference; for narrative and title the cues "
        "searched (au=… | ta=… | acronym=… | topic=…)"),
    col("footnote", INTEGER, "the footnote number glued to or standing before it; NULL when none"),
    col("in_reference_list", BOOLEAN, "part of a list of references, not an inline marker"),
    col("authors", VARCHARS, "the authors a reference names (\"Surname AB\"), in order"),
    col("year", INTEGER, "the year a reference names; NULL when none"),
    col("title", VARCHAR, "the title a reference gives; NULL when none"),
))

CITATION_LINKS = Table("citation_links", "one row per (run, citation mention, claim link): its claim, "
                       "resolution and fetch", columns=(
    col("run_id", VARCHAR, RUN_ID),
    col("citation_id", VARCHAR, "the mention (citation_mentions.citation_id)"),
    col("claim_id", VARCHAR, "the claim it supports; NULL for a reference-list entry linked to no claim"),
    col("link", VARCHAR, "inline (next to its claim), inferred (from a reference list) or none"),
    col("resolution", VARCHAR, "resolved, ambiguous, not_found, unavailable or not_scholarly"),
    col("pmid", INTEGER, "the PubMed record it resolved to; NULL if unresolved"),
    col("method", VARCHAR, "how it was resolved: direct, doi-esearch, pmc-esearch, author-esearch, "
        "journal-esearch, narrative-esearch, title-esearch, ecitmatch or none (docs/entrez.md; every query "
        "behind it is in resolution_queries)"),
    col("candidates", INTEGERS, "the PMIDs it could be, when ambiguous"),
    col("fetch_outcome", VARCHAR, "fetched, not_found or unavailable; NULL when nothing was fetched"),
    col("detail", VARCHAR, "why: the resolution's, the fetch's and the link's explanations"),
    col("link_method", VARCHAR, "the scope rule that made the link: inline, numbered-list, block, paragraph, "
        "anaphora, section, single-study or inferred; NULL when unlinked"),
    col("confidence", DOUBLE, "how sure that rule is, 0 to 1; NULL when unlinked"),
    col("link_reason", VARCHAR, "why the rule linked it, in words (grading regrade replays it)"),
))

FETCH_LOG = Table("fetch_log", "one row per (run, requested PMID): fetched, not_found or unavailable, and why",
                  columns=(
    col("run_id", VARCHAR, RUN_ID),
    col("pmid", INTEGER, "the PMID asked for"),
    col("outcome", VARCHAR, "fetched, not_found (PubMed cleanly answered without it) or unavailable (retry)"),
    col("origin", VARCHAR, "where the record came from: entrez, snapshot, baseline or warehouse"),
    col("cause", VARCHAR, "why: reused from the warehouse, PubMed answered without it, or the failure, "
        "its attempts and their kinds"),
))

RESOLUTION_QUERIES = Table("resolution_queries", "one row per (run, query made while resolving citations), "
                           "in order (seq)", columns=(
    col("run_id", VARCHAR, RUN_ID),
    col("seq", INTEGER, "the query's place in the run's order, from 0"),
    col("kind", VARCHAR, "the citation's kind, as in citation_mentions"),
    col("value", VARCHAR, "the citation's value, as in citation_mentions"),
    col("step", VARCHAR, "ecitmatch, doi, pmcid, or the search ladder's step: author+year+title, "
        "journal+year+volume/page, person+topic, acronym+topic, journal+topic, affiliation+topic, title, ..."),
    col("term", VARCHAR, "the esearch term or ECitMatch line sent"),
    col("count", INTEGER, "records the service reported"),
    col("ids", INTEGERS, "the PMIDs returned (at most 20)"),
    col("outcome", VARCHAR, "found, not_found or ambiguous for ECitMatch; verified <pmids>, none verified, "
        "zero or error for a search"),
    col("error", VARCHAR, "the service's error; NULL when it answered"),
))

GRADES = Table("grades", "one row per (run, claim)", primary_key=("run_id", "claim_id"), columns=(
    col("run_id", VARCHAR, RUN_ID),
    col("claim_id", VARCHAR, CLAIM_ID),
    col("certainty", VARCHAR, "high, moderate, low, very low, or no evidence"),
    col("status", VARCHAR, "graded, uncited, unresolved, unavailable, off-topic, not-supported or retracted "
        "(docs/rubric.md)"),
    col("pmids", INTEGERS, "every PMID linked to the claim"),
    col("reasons", VARCHARS, "one \"rule_id: explanation\" per fired rule"),
    col("rubric_version", VARCHAR, "the rubric the grade was made with"),
))

GRADE_REASONS = Table("grade_reasons", "one row per (run, claim, fired rule)", columns=(
    col("run_id", VARCHAR, RUN_ID),
    col("claim_id", VARCHAR, CLAIM_ID),
    col("seq", INTEGER, "the order the rubric fired its rules in, from 0"),
    col("pmid", INTEGER, "the record the rule read; NULL for a rule about the claim or its body of evidence"),
    col("domain", VARCHAR, "the GRADE domain or step the rule belongs to"),
    col("rule_id", VARCHAR, "the rule, as domain.rule (docs/rubric.md)"),
    col("change", INTEGER, "levels the rule moved the certainty, -2 to +2"),
    col("explanation", VARCHAR, "why the rule fired, in words"),
    col("span_in", VARCHAR, SPAN[0]),
    col("span_start", INTEGER, SPAN[1]),
    col("span_end", INTEGER, SPAN[2]),
    col("span_text", VARCHAR, SPAN[3]),
))

CLAIM_SUPPORT = Table("claim_support", "one row per (run, claim, fetched linked record): does the record say "
                      "what the claim says? (models.SupportCheck)", columns=(
    col("run_id", VARCHAR, RUN_ID),
    col("claim_id", VARCHAR, CLAIM_ID),
    col("pmid", INTEGER, "the linked record"),
    col("label", VARCHAR, "supports, partly, not mentioned, contradicts, wrong paper or retracted"),
    col("aspects", VARCHARS, "what differs or is missing: population, intervention, outcome, figure, design, "
        "phase, endpoint, finding"),
    col("explanation", VARCHAR, "why the label, in words"),
    col("span_in", VARCHAR, "where the quoted sentence is: abstract, title or none"),
    col("span_start", INTEGER, "offset of the quoted sentence in pubmed_records.abstract (or title)"),
    col("span_end", INTEGER, "end of the quoted sentence, exclusive"),
    col("span_text", VARCHAR, "the sentence quoted from the record"),
))

GRADE_DOMAINS = Table("grade_domains", "one row per (run, graded claim, GRADE domain or upgrade) "
                      "(models.DomainJudgement)", columns=(
    col("run_id", VARCHAR, RUN_ID),
    col("claim_id", VARCHAR, CLAIM_ID),
    col("domain", VARCHAR, "risk_of_bias, inconsistency, indirectness, imprecision, publication_bias, "
        "upgrade.large_effect, upgrade.dose_response or upgrade.plausible_confounding"),
    col("judgement", VARCHAR, "not serious, serious, very serious or not assessed; for upgrades none, +1, +2"),
    col("change", INTEGER, "levels the judgement moved the certainty, -2 to +2"),
    col("explanation", VARCHAR, "why the judgement, in words"),
    col("pmid", INTEGER, "the record it rests on; NULL when it rests on the body of evidence"),
    col("span_in", VARCHAR, SPAN[0]),
    col("span_start", INTEGER, SPAN[1]),
    col("span_end", INTEGER, SPAN[2]),
    col("span_text", VARCHAR, SPAN[3]),
))

QUARANTINE = Table("quarantine", "one row per (run, table, failed row): the check that failed and the raw row",
                   columns=(
    col("run_id", VARCHAR, "the run (or the baseline ingest) whose row failed"),
    col("table_name", VARCHAR, "the table the row was meant for"),
    col("row_key", VARCHAR, "the row's key (claim_id, pmid, ...); NULL when the table has none"),
    col("check_name", VARCHAR, "the checks that failed (schemas/)"),
    col("failure", VARCHAR, "what failed: column and value"),
    col("raw", VARCHAR, "the row as JSON (for a PubMed record, with its complete raw_xml)"),
))
