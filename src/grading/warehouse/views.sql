-- The warehouse's views (marts), replaced on every write open; docs/warehouse.md describes each.
CREATE OR REPLACE VIEW latest_run AS
    SELECT * FROM runs WHERE status = 'completed' ORDER BY finished_at DESC, run_id DESC LIMIT 1;
CREATE OR REPLACE VIEW claim_grades AS
    SELECT c.source, c.claim_id, c.claim_text, c.char_start, c.char_end, c.claim_type, c.population,
           g.certainty, g.status, g.pmids, g.reasons, g.rubric_version, g.run_id, {verdict} AS verdict
    FROM grades g JOIN claims_all c USING (claim_id)
    WHERE g.run_id = (SELECT run_id FROM latest_run)
    ORDER BY c.source, c.char_start;
CREATE OR REPLACE VIEW citations AS
    SELECT m.source, l.claim_id, m.raw, m.kind, m.value, l.pmid, l.method, l.resolution, l.link,
           m.footnote, m.in_reference_list, l.fetch_outcome, l.candidates, l.detail, m.char_start,
           m.char_end, m.citation_id, l.run_id, l.link_method, l.confidence
    FROM citation_links l JOIN citation_mentions m USING (citation_id)
    WHERE l.run_id = (SELECT run_id FROM latest_run)
    ORDER BY m.source, m.char_start, l.claim_id;
CREATE OR REPLACE VIEW reasons AS
    SELECT c.source, r.claim_id, r.seq, r.pmid, r.domain, r.rule_id, r.change, r.explanation,
           r.span_in, r.span_start, r.span_end, r.span_text, r.run_id
    FROM grade_reasons r JOIN claims_all c USING (claim_id)
    WHERE r.run_id = (SELECT run_id FROM latest_run)
    ORDER BY c.source, c.char_start, r.seq;

CREATE OR REPLACE VIEW claim_evidence_profile AS
    -- One row per graded claim of the latest run: certainty, the five domains, the upgrades, and the
    -- support label and quoted sentence of the first record the grade rests on.
    WITH d AS (
        SELECT run_id, claim_id,
               max(judgement) FILTER (WHERE domain = 'risk_of_bias') AS risk_of_bias,
               max(judgement) FILTER (WHERE domain = 'inconsistency') AS inconsistency,
               max(judgement) FILTER (WHERE domain = 'indirectness') AS indirectness,
               max(judgement) FILTER (WHERE domain = 'imprecision') AS imprecision,
               max(judgement) FILTER (WHERE domain = 'publication_bias') AS publication_bias,
               list(domain || ' ' || judgement ORDER BY domain) FILTER (WHERE domain LIKE 'upgrade.%') AS upgrades
        FROM grade_domains GROUP BY run_id, claim_id),
    s AS (
        SELECT run_id, claim_id, arg_min(pmid, CASE label WHEN 'supports' THEN 0 WHEN 'partly' THEN 1 ELSE 2 END) AS pmid,
               arg_min(label, CASE label WHEN 'supports' THEN 0 WHEN 'partly' THEN 1 ELSE 2 END) AS support,
               arg_min(span_text, CASE label WHEN 'supports' THEN 0 WHEN 'partly' THEN 1 ELSE 2 END) AS quoted
        FROM claim_support GROUP BY run_id, claim_id)
    SELECT c.source, c.claim_id, c.claim_text, g.certainty, d.risk_of_bias, d.inconsistency, d.indirectness,
           d.imprecision, d.publication_bias, d.upgrades, s.support, s.pmid, s.quoted, g.rubric_version, g.run_id
    FROM grades g JOIN claims_all c USING (claim_id)
    LEFT JOIN d ON d.run_id = g.run_id AND d.claim_id = g.claim_id
    LEFT JOIN s ON s.run_id = g.run_id AND s.claim_id = g.claim_id
    WHERE g.run_id = (SELECT run_id FROM latest_run) AND g.status = 'graded'
    ORDER BY c.source, c.char_start;
CREATE OR REPLACE VIEW support_labels AS
    SELECT c.source, s.claim_id, s.pmid, s.label, s.aspects, s.explanation, s.span_in, s.span_start, s.span_end,
           s.span_text, s.run_id
    FROM claim_support s JOIN claims_all c USING (claim_id)
    WHERE s.run_id = (SELECT run_id FROM latest_run)
    ORDER BY c.source, c.char_start, s.pmid;

-- Report marts (docs/reports.md): what a reader of the latest run needs, and what changed.
CREATE OR REPLACE VIEW previous_run AS
    SELECT * FROM runs WHERE status = 'completed' ORDER BY finished_at DESC, run_id DESC LIMIT 1 OFFSET 1;
CREATE OR REPLACE VIEW source_texts AS
    SELECT s.source, s.content_hash, v.media_type, v.encoding, v.n_chars, v.text, v.url, v.title, v.body_start,
           s.run_id
    FROM run_sources s JOIN source_versions v USING (source, content_hash)
    WHERE s.run_id = (SELECT run_id FROM latest_run)
    ORDER BY s.source;
CREATE OR REPLACE VIEW cited_records AS
    WITH cited AS (
        SELECT pmid, min(fetch_outcome) AS fetch_outcome, count(DISTINCT claim_id) AS n_claims,
               count(DISTINCT source) AS n_sources
        FROM citations WHERE pmid IS NOT NULL GROUP BY pmid)
    SELECT c.pmid, r.title, r.journal, r.year, r.design, r.species, r.sample_size, r.retracted,
           r.publication_types, r.doi, r.pmcid, c.fetch_outcome, r.origin, c.n_claims, c.n_sources,
           (SELECT run_id FROM latest_run) AS run_id
    FROM cited c LEFT JOIN pubmed_records r USING (pmid)
    ORDER BY c.pmid;
CREATE OR REPLACE VIEW claim_changes AS
    -- Claims are matched by (source, claim_text, occurrence): claim_ids change with the text.
    WITH now_claims AS (
        SELECT c.source, c.claim_text, c.claim_id, c.char_start, c.claim_type, g.certainty, g.status,
               row_number() OVER (PARTITION BY c.source, c.claim_text ORDER BY c.char_start) AS occurrence
        FROM grades g JOIN claims_all c USING (claim_id) WHERE g.run_id = (SELECT run_id FROM latest_run)),
    before_claims AS (
        SELECT c.source, c.claim_text, c.claim_id, c.char_start, c.claim_type, g.certainty, g.status,
               row_number() OVER (PARTITION BY c.source, c.claim_text ORDER BY c.char_start) AS occurrence
        FROM grades g JOIN claims_all c USING (claim_id) WHERE g.run_id = (SELECT run_id FROM previous_run)),
    source_change AS (
        SELECT source, CASE WHEN b.content_hash IS NULL THEN 'added' WHEN n.content_hash IS NULL THEN 'dropped'
                            WHEN n.content_hash <> b.content_hash THEN 'edited' ELSE 'unchanged' END AS source_change
        FROM (SELECT * FROM run_sources WHERE run_id = (SELECT run_id FROM latest_run)) n
        FULL JOIN (SELECT * FROM run_sources WHERE run_id = (SELECT run_id FROM previous_run)) b USING (source))
    SELECT CASE WHEN b.claim_id IS NULL THEN 'new' WHEN n.claim_id IS NULL THEN 'removed' ELSE 'regraded' END
               AS change,
           coalesce(n.source, b.source) AS source, s.source_change, coalesce(n.claim_text, b.claim_text) AS claim_text,
           coalesce(n.occurrence, b.occurrence) AS occurrence, coalesce(n.claim_type, b.claim_type) AS claim_type,
           n.certainty, n.status, b.certainty AS previous_certainty, b.status AS previous_status,
           n.claim_id, b.claim_id AS previous_claim_id, n.char_start, b.char_start AS previous_char_start,
           (SELECT run_id FROM latest_run) AS run_id, (SELECT run_id FROM previous_run) AS previous_run_id
    FROM now_claims n
    FULL JOIN before_claims b ON n.source = b.source AND n.claim_text = b.claim_text AND n.occurrence = b.occurrence
    JOIN source_change s ON s.source = coalesce(n.source, b.source)
    WHERE EXISTS (SELECT 1 FROM previous_run)
      AND (n.claim_id IS NULL OR b.claim_id IS NULL OR n.certainty <> b.certainty OR n.status <> b.status)
    ORDER BY source, coalesce(n.char_start, b.char_start), change;
CREATE OR REPLACE VIEW newly_retracted AS
    -- Retracted now, but not in the previous run: the record was not cited then, or the version
    -- in effect when that run finished carried no retraction (PubMed's two markers, as models.py reads them).
    WITH before_version AS (
        SELECT pmid, arg_max(raw_xml, first_seen_at) AS raw_xml FROM pubmed_record_versions
        WHERE first_seen_at <= (SELECT finished_at FROM previous_run) GROUP BY pmid),
    before_cited AS (
        SELECT DISTINCT pmid FROM citation_links
        WHERE run_id = (SELECT run_id FROM previous_run) AND pmid IS NOT NULL AND fetch_outcome = 'fetched')
    SELECT r.pmid, r.title, r.journal, r.year, r.design, r.n_claims, r.n_sources,
           (b.pmid IS NOT NULL) AS previously_cited, r.run_id, (SELECT run_id FROM previous_run) AS previous_run_id
    FROM cited_records r
    LEFT JOIN before_cited b USING (pmid)
    LEFT JOIN before_version v USING (pmid)
    WHERE r.retracted AND EXISTS (SELECT 1 FROM previous_run)
      AND NOT (b.pmid IS NOT NULL AND coalesce(regexp_matches(v.raw_xml,
          '<PublicationType[^>]*>\s*Retracted Publication\s*</PublicationType>|RefType=["'']RetractionIn["'']'), false))
    ORDER BY r.pmid;
