"""The views (marts) of views.sql: what reports and users read, the latest completed run.

A column taken unchanged from a table means what it means there (`same_as`); a column a view
computes says so here (`out`). Each entry lists the view's columns in its order (a test holds
the two together).
"""

from __future__ import annotations

from grading.warehouse.catalog.entries import View, out, same_as
from grading.warehouse.catalog.pubmed import PUBMED_RECORDS
from grading.warehouse.catalog.runs import (
    CITATION_LINKS,
    CITATION_MENTIONS,
    CLAIM_SUPPORT,
    CLAIMS_ALL,
    GRADE_REASONS,
    GRADES,
    RUN_SOURCES,
    RUNS,
    SOURCE_VERSIONS,
)

LATEST_RUN_ID = out("run_id", "the latest completed run")
PREVIOUS_RUN_ID = out("previous_run_id", "the completed run before it (previous_run)")
N_CLAIMS = out("n_claims", "claims of the latest run linked to it")
N_SOURCES = out("n_sources", "sources of the latest run citing it")

LATEST_RUN = View("latest_run", "one row: the most recent completed run (runs)", same_as(RUNS, *RUNS.names))

PREVIOUS_RUN = View("previous_run", "one row: the completed run before latest_run (none after the first run)",
                    same_as(RUNS, *RUNS.names))

CLAIM_GRADES = View("claim_grades", "one row per claim of the latest run", (
    *same_as(CLAIMS_ALL, "source", "claim_id", "claim_text", "char_start", "char_end", "claim_type", "population"),
    *same_as(GRADES, "certainty", "status", "pmids", "reasons", "rubric_version", "run_id"),
    out("verdict", "what a reader is told: the certainty of a graded claim, else the status in words (not "
        "cited, citation not found, couldn't retrieve (will retry), cites a retracted paper, paper doesn't "
        "support this, about something else; models.STATUS_LABELS)"),
))

CITATIONS = View("citations", "one row per citation occurrence and claim link, latest run", (
    *same_as(CITATION_MENTIONS, "source"),
    *same_as(CITATION_LINKS, "claim_id"),
    *same_as(CITATION_MENTIONS, "raw", "kind", "value"),
    *same_as(CITATION_LINKS, "pmid", "method", "resolution", "link"),
    *same_as(CITATION_MENTIONS, "footnote", "in_reference_list"),
    *same_as(CITATION_LINKS, "fetch_outcome", "candidates", "detail"),
    *same_as(CITATION_MENTIONS, "char_start", "char_end", "citation_id"),
    *same_as(CITATION_LINKS, "run_id", "link_method", "confidence"),
))

REASONS = View("reasons", "one row per fired rule per claim, latest run", (
    *same_as(CLAIMS_ALL, "source"),
    *same_as(GRADE_REASONS, "claim_id", "seq", "pmid", "domain", "rule_id", "change", "explanation", "span_in",
             "span_start", "span_end", "span_text", "run_id"),
))

JUDGEMENT = "(not serious, serious, very serious or not assessed)"
CLAIM_EVIDENCE_PROFILE = View("claim_evidence_profile", "one row per graded claim of the latest run: the GRADE "
                              "evidence profile", (
    *same_as(CLAIMS_ALL, "source", "claim_id", "claim_text"),
    *same_as(GRADES, "certainty"),
    out("risk_of_bias", f"the risk of bias judgement {JUDGEMENT}"),
    out("inconsistency", f"the inconsistency judgement {JUDGEMENT}"),
    out("indirectness", f"the indirectness judgement {JUDGEMENT}"),
    out("imprecision", f"the imprecision judgement {JUDGEMENT}"),
    out("publication_bias", f"the publication bias judgement {JUDGEMENT}"),
    out("upgrades", "each upgrade and its judgement (\"upgrade.large_effect none\", ...); observational "
        "bodies of evidence only"),
    out("support", "the best support label among the claim's records (claim_support.label)"),
    out("pmid", "the record with that label"),
    out("quoted", "the abstract sentence the label rests on"),
    *same_as(GRADES, "rubric_version", "run_id"),
))

SUPPORT_LABELS = View("support_labels", "one row per (claim, linked record), latest run: does the record say "
                      "what the claim says?", (
    *same_as(CLAIMS_ALL, "source"),
    *same_as(CLAIM_SUPPORT, "claim_id", "pmid", "label", "aspects", "explanation", "span_in", "span_start",
             "span_end", "span_text", "run_id"),
))

SOURCE_TEXTS = View("source_texts", "one row per source read by the latest run", (
    *same_as(RUN_SOURCES, "source", "content_hash"),
    *same_as(SOURCE_VERSIONS, "media_type", "encoding", "n_chars", "text", "url", "title", "body_start"),
    LATEST_RUN_ID,
))

CITED_RECORDS = View("cited_records", "one row per PMID cited in the latest run; the record's columns are NULL "
                     "when it was never fetched", (
    *same_as(PUBMED_RECORDS, "pmid", "title", "journal", "year", "design", "species", "sample_size", "retracted",
             "publication_types", "doi", "pmcid"),
    out("fetch_outcome", "fetched, not_found or unavailable, this run"),
    *same_as(PUBMED_RECORDS, "origin"),
    N_CLAIMS, N_SOURCES, LATEST_RUN_ID,
))

CLAIM_CHANGES = View("claim_changes", "one row per claim that is new, removed or re-graded since its source's "
                     "previous check", (
    out("change", "new, removed, or regraded (certainty or status differs)"),
    *same_as(CLAIMS_ALL, "source"),
    out("source_change", "added (never read before), edited (its text changed) or unchanged"),
    *same_as(CLAIMS_ALL, "claim_text"),
    out("occurrence", "which repeat of the same text in the source, from 1"),
    *same_as(CLAIMS_ALL, "claim_type"),
    out("certainty", "the certainty now; NULL when removed"),
    out("status", "the status now; NULL when removed"),
    out("previous_certainty", "the certainty before; NULL when new"),
    out("previous_status", "the status before; NULL when new"),
    out("claim_id", "the claim now; NULL when removed"),
    out("previous_claim_id", "the claim before; NULL when new"),
    out("char_start", "its offset now; NULL when removed"),
    out("previous_char_start", "its offset before; NULL when new"),
    LATEST_RUN_ID,
    out("previous_run_id", "the last earlier run that read the source, compared with; NULL for an added source"),
))

NEWLY_RETRACTED = View("newly_retracted", "one row per cited record retracted now but not in the previous run", (
    *same_as(PUBMED_RECORDS, "pmid", "title", "journal", "year", "design"),
    N_CLAIMS, N_SOURCES,
    out("previously_cited", "the previous run cited it too (false: newly cited and already retracted)"),
    LATEST_RUN_ID, PREVIOUS_RUN_ID,
))

UNCHECKED_SOURCES = View("unchecked_sources", "one row per source the previous run read and the latest did not", (
    *same_as(RUN_SOURCES, "source"),
    out("content_hash", "the version the previous run read"),
    *same_as(RUN_SOURCES, "tags"),
    PREVIOUS_RUN_ID, LATEST_RUN_ID,
))

SOURCE_TRIAGE = View("source_triage", "one row per source read by the latest run: the warnings a regulator "
                     "acts on, each a count of its claims", (
    *same_as(RUN_SOURCES, "source"),
    *same_as(SOURCE_VERSIONS, "title", "url"),
    *same_as(RUN_SOURCES, "tags"),
    out("n_claims", "claims of the source"),
    out("not_supported", "claims with status not-supported or off-topic: the cited paper does not support "
        "the claim, contradicts it or is about something else"),
    out("retracted", "claims with status retracted, or citing a retracted record"),
    out("figure_missing", "claims stating a number the cited abstract does not contain "
        "(rule numbers.figure_missing)"),
    out("preclinical_only", "claims about people resting on animal or cell evidence: rule "
        "indirectness.population lowered it by 2 or more, or the population is human or unspecified and "
        "every fetched linked record is an animal or in_vitro study"),
    out("clinical_wording", "claims saying \"clinically proven\" or the like on preclinical evidence "
        "(rule indirectness.clinical_wording)"),
    out("uncited", "claims with status uncited"),
    out("evidence_warnings", "not_supported + retracted + figure_missing + preclinical_only + clinical_wording"),
    out("claims_flagged", "claims with any warning (a claim counts once)"),
    LATEST_RUN_ID,
))
