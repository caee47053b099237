"""The evidence profile of one claim: a support label per linked record and a judgement per GRADE
domain, as GRADEpro's evidence profile shows them, both read off the body once the rules have run.

Every domain gets an answer: `not serious`, `serious`, `very serious` (from the changes its rules
made) or `not assessed` (nothing to judge it on: inconsistency with one record); the upgrades are
judged for observational bodies only. Every answer carries its reason and the text it rests on.
"""

from __future__ import annotations

from grading.engine.body import Body
from grading.engine.findings import best_sentence
from grading.models import GRADE_DOMAINS, DomainJudgement, Reason, SupportCheck

# What "not serious" means for each domain when no rule rated it down: what was checked.
NOT_SERIOUS = {
    "risk_of_bias": "no serious limitation reported (randomization, blinding, control group and early stopping checked)",
    "inconsistency": "the linked records point the same way",
    "indirectness": "population, intervention and outcome match the claim's",
    "imprecision": "enough participants for the outcome (optimal information size met)",
    "publication_bias": "not detected (no single research group, no small-study pattern reported)",
}
UPGRADE_RULES = {"large_effect": "upgrade.large_effect", "dose_response": "upgrade.dose_response",
                 "plausible_confounding": "upgrade.plausible_confounding"}
# Labels in order of what a reader must know first.
FATAL = ("contradicts", "not mentioned")
PARTLY_ASPECTS = {"indirectness.population": "population", "indirectness.patient_group": "population",
                  "indirectness.intervention": "intervention", "indirectness.outcome": "outcome",
                  "indirectness.clinical_wording": "population", "numbers.figure_missing": "figure"}


def judgement_of(change: int) -> str:
    return "not serious" if change >= 0 else "serious" if change == -1 else "very serious"


def domain_judgements(body: Body) -> tuple[DomainJudgement, ...]:
    out = []
    for domain in GRADE_DOMAINS:
        fired = [r for r in body.reasons if r.domain == domain]
        down = [r for r in fired if r.change < 0]
        change = max(-2, sum(r.change for r in down))
        if down:
            lead = min(down, key=lambda r: r.change)
            why = "; ".join(r.explanation for r in down)
            out.append(judged(domain, judgement_of(change), change, why, lead))
        elif domain == "inconsistency" and len(body.usable) < 2 and body.usable[0].evidence.design != "systematic_review":
            out.append(DomainJudgement(domain, "not assessed", 0, "one record: consistency cannot be judged"))
        elif fired and fired[0].change == 0 and fired[0].explanation.startswith(("the claim is", "not assessable")):
            out.append(judged(domain, "not serious", 0, fired[0].explanation, fired[0]))
        else:
            out.append(DomainJudgement(domain, "not serious", 0, NOT_SERIOUS[domain]))
    observational = body.usable and all(lk.evidence.design == "observational" for lk in body.best)
    for name, rule_id in UPGRADE_RULES.items():
        fired = [r for r in body.reasons if r.rule_id == rule_id and r.change > 0]
        if fired:
            out.append(judged(f"upgrade.{name}", f"+{fired[0].change}", fired[0].change, fired[0].explanation, fired[0]))
        elif observational:
            out.append(DomainJudgement(f"upgrade.{name}", "none", 0,
                                       "not reported" if body.down_so_far == 0 else "not considered: already rated down"))
    return tuple(out)


def judged(domain: str, judgement: str, change: int, why: str, reason: Reason) -> DomainJudgement:
    return DomainJudgement(domain, judgement, change, why, reason.pmid, reason.span_in,  # type: ignore[arg-type]
                           reason.span_start, reason.span_end, reason.span_text)


def support_checks(body: Body, status: str) -> tuple[SupportCheck, ...]:
    """One label per fetched record: retracted, wrong paper, a finding that set it aside, or (for the
    records the grade rests on) supports / partly with what differs."""
    out = []
    seen: set[int] = set()
    for link in body.links:
        record = link.record
        if record is None or record.pmid in seen:
            continue
        seen.add(record.pmid)
        pmid = record.pmid
        mine = [r for r in body.reasons if r.pmid == pmid]
        if record.retracted:
            out.append(SupportCheck(pmid, "retracted", (), "the paper is retracted"))
            continue
        wrong = next((r for r in mine if r.rule_id in ("identity.mismatch", "relevance.off_topic")), None)
        if wrong is not None:
            out.append(SupportCheck(pmid, "wrong paper", ("identity" if wrong.rule_id.startswith("identity") else "subject",),
                                    wrong.explanation))
            continue
        findings = body.findings.get(pmid, []) or body.labels.get(pmid, [])
        if findings:
            _, f = min(findings, key=lambda x: FATAL.index(x[1].label) if x[1].label in FATAL else 9)
            where = f.where if f.where in ("abstract", "title") else "none"
            out.append(SupportCheck(pmid, f.label, tuple(dict.fromkeys(x[1].aspect for x in findings)),  # type: ignore[arg-type]
                                    f.explanation, where, f.start, f.end, f.text or None))
            continue
        if status != "graded":
            continue
        aspects = tuple(dict.fromkeys(PARTLY_ASPECTS[r.rule_id] for r in body.reasons
                                      if r.rule_id in PARTLY_ASPECTS and (r.change < 0 or r.rule_id.startswith("numbers"))
                                      and r.pmid in (pmid, None)))
        sentence = best_sentence(body.claim.text, record)
        label = "partly" if aspects else "supports"
        why = (f"the record reports the claim's subject; {', '.join(aspects)} differ(s)" if aspects
               else "the record reports what the claim says")
        if sentence:
            out.append(SupportCheck(pmid, label, aspects, why, "abstract", *sentence))  # type: ignore[arg-type]
        else:
            out.append(SupportCheck(pmid, label, aspects, why))  # type: ignore[arg-type]
    return tuple(out)
