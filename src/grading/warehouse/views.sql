-- The warehouse's views (marts), replaced on every write open. Each view's grain and columns' meanings
-- are in grading.warehouse.catalog.marts (a test holds the two together; docs/warehouse.md is generated).
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
    -- Per source: the latest run against the last earlier run that read that source, so a run
    -- of one page (or a source left out of a run) never reads as claims removed elsewhere.
    -- Claims are matched by (source, claim_text, occurrence): claim_ids change with the text.
    WITH now_sources AS (
        SELECT source, content_hash, run_id FROM run_sources WHERE run_id = (SELECT run_id FROM latest_run)),
    before_sources AS (
        SELECT source, content_hash, run_id FROM (
            SELECT s.source, s.content_hash, s.run_id,
                   row_number() OVER (PARTITION BY s.source ORDER BY r.finished_at DESC, r.run_id DESC) AS n
            FROM run_sources s JOIN runs r USING (run_id)
            WHERE r.status = 'completed' AND r.run_id <> (SELECT run_id FROM latest_run)
              AND r.finished_at <= (SELECT finished_at FROM latest_run)
              AND s.source IN (SELECT source FROM now_sources))
        WHERE n = 1),
    now_claims AS (
        SELECT c.source, c.claim_text, c.claim_id, c.char_start, c.claim_type, g.certainty, g.status,
               row_number() OVER (PARTITION BY c.source, c.claim_text ORDER BY c.char_start) AS occurrence
        FROM grades g JOIN claims_all c USING (claim_id) JOIN now_sources s ON s.source = c.source
        WHERE g.run_id = s.run_id),
    before_claims AS (
        SELECT c.source, c.claim_text, c.claim_id, c.char_start, c.claim_type, g.certainty, g.status,
               row_number() OVER (PARTITION BY c.source, c.claim_text ORDER BY c.char_start) AS occurrence
        FROM grades g JOIN claims_all c USING (claim_id) JOIN before_sources s ON s.source = c.source
        WHERE g.run_id = s.run_id),
    source_change AS (
        SELECT n.source, b.run_id AS previous_run_id,
               CASE WHEN b.content_hash IS NULL THEN 'added'
                    WHEN n.content_hash <> b.content_hash THEN 'edited' ELSE 'unchanged' END AS source_change
        FROM now_sources n LEFT JOIN before_sources b USING (source))
    SELECT CASE WHEN b.claim_id IS NULL THEN 'new' WHEN n.claim_id IS NULL THEN 'removed' ELSE 'regraded' END
               AS change,
           coalesce(n.source, b.source) AS source, s.source_change, coalesce(n.claim_text, b.claim_text) AS claim_text,
           coalesce(n.occurrence, b.occurrence) AS occurrence, coalesce(n.claim_type, b.claim_type) AS claim_type,
           n.certainty, n.status, b.certainty AS previous_certainty, b.status AS previous_status,
           n.claim_id, b.claim_id AS previous_claim_id, n.char_start, b.char_start AS previous_char_start,
           (SELECT run_id FROM latest_run) AS run_id, s.previous_run_id
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
CREATE OR REPLACE VIEW unchecked_sources AS
    -- Sources the previous run read and the latest did not: not checked this run, nothing removed.
    SELECT b.source, b.content_hash, b.tags, (SELECT run_id FROM previous_run) AS previous_run_id,
           (SELECT run_id FROM latest_run) AS run_id
    FROM run_sources b
    WHERE b.run_id = (SELECT run_id FROM previous_run)
      AND b.source NOT IN (SELECT source FROM run_sources WHERE run_id = (SELECT run_id FROM latest_run))
    ORDER BY b.source;
CREATE OR REPLACE VIEW source_triage AS
    -- One row per source of the latest run: how many of its claims carry each warning a regulator
    -- acts on (a claim counts once per warning), named by page title and URL, with its tags.
    WITH usable AS (
        SELECT c.claim_id, count(*) AS n_records,
               count(*) FILTER (WHERE r.design IN ('animal', 'in_vitro')) AS n_preclinical,
               bool_or(coalesce(r.retracted, false)) AS any_retracted
        FROM (SELECT DISTINCT claim_id, pmid FROM citations
              WHERE claim_id IS NOT NULL AND pmid IS NOT NULL AND fetch_outcome = 'fetched') c
        JOIN pubmed_records r USING (pmid) GROUP BY c.claim_id),
    fired AS (
        SELECT claim_id,
               bool_or(rule_id = 'numbers.figure_missing') AS figure_missing,
               bool_or(rule_id = 'indirectness.population' AND change <= -2) AS population_down,
               bool_or(rule_id = 'indirectness.clinical_wording') AS clinical_wording
        FROM reasons GROUP BY claim_id),
    flags AS (
        SELECT g.source, g.claim_id,
               g.status IN ('not-supported', 'off-topic') AS not_supported,
               g.status = 'retracted' OR coalesce(u.any_retracted, false) AS retracted,
               coalesce(f.figure_missing, false) AS figure_missing,
               coalesce(f.population_down, false)
                   OR (g.population IN ('human', 'unspecified') AND u.n_records > 0
                       AND u.n_preclinical = u.n_records) AS preclinical_only,
               coalesce(f.clinical_wording, false) AS clinical_wording,
               g.status = 'uncited' AS uncited
        FROM claim_grades g LEFT JOIN usable u USING (claim_id) LEFT JOIN fired f USING (claim_id)),
    counted AS (
        SELECT t.source, t.title, t.url, coalesce(s.tags, []::VARCHAR[]) AS tags,
               count(f.claim_id)::INTEGER AS n_claims,
               count(*) FILTER (WHERE f.not_supported)::INTEGER AS not_supported,
               count(*) FILTER (WHERE f.retracted)::INTEGER AS retracted,
               count(*) FILTER (WHERE f.figure_missing)::INTEGER AS figure_missing,
               count(*) FILTER (WHERE f.preclinical_only)::INTEGER AS preclinical_only,
               count(*) FILTER (WHERE f.clinical_wording)::INTEGER AS clinical_wording,
               count(*) FILTER (WHERE f.uncited)::INTEGER AS uncited,
               count(*) FILTER (WHERE f.not_supported OR f.retracted OR f.figure_missing OR f.preclinical_only
                                      OR f.clinical_wording OR f.uncited)::INTEGER AS claims_flagged,
               t.run_id
        FROM source_texts t
        LEFT JOIN run_sources s ON s.run_id = t.run_id AND s.source = t.source
        LEFT JOIN flags f ON f.source = t.source
        GROUP BY t.source, t.title, t.url, s.tags, t.run_id)
    -- Evidence problems first (they need reading); claims with no citation break ties.
    SELECT source, title, url, tags, n_claims, not_supported, retracted, figure_missing, preclinical_only,
           clinical_wording, uncited,
           (not_supported + retracted + figure_missing + preclinical_only + clinical_wording)::INTEGER
               AS evidence_warnings,
           claims_flagged, run_id
    FROM counted
    ORDER BY evidence_warnings DESC, uncited DESC, claims_flagged DESC, source;
