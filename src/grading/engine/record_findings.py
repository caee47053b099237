"""What a record found: effect sizes, the direction of its conclusion (negations and
non-significant results read), and a systematic review's own GRADE rating. Every finding carries
the `TextSpan` it was read from."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal, cast

from grading.engine.record_text import Text, TextSpan, cues, parse_count, span_of, vocabulary

Direction = Literal["positive", "negative", "null", "mixed", "unknown"]


@dataclass(frozen=True)
class Effect:
    """A reported effect size: a fold change, a percentage change or a ratio (RR/OR/HR)."""

    kind: Literal["fold", "percent", "ratio"]
    value: float
    span: TextSpan
    ci: tuple[float, float] | None = None  # a ratio's confidence interval, when stated right after it

    @property
    def nearest_one(self) -> float:
        """The ratio as far from no effect as its confidence interval allows: the bound nearest 1
        (the point estimate when no interval is stated), inverted below 1 (HR 0.49, CI 0.42-0.58: 1/0.58)."""
        value = self.value
        if self.ci is not None:
            low, high = sorted(self.ci)
            value = high if self.value < 1 else low
            if low <= 1 <= high:
                return 1.0  # the interval crosses no effect
        return value if value >= 1 else (1 / value if value > 0 else 0)


# "(95% CI, 0.42-0.58", "[95% confidence interval 1.2 to 3.4]", "(1.2, 3.4)": within a few characters of the ratio
RATIO_CI = re.compile(r"\s*[\[(]?\s*(?:;|,)?\s*(?:(?:9[05]|99)\s*%\s*)?(?:ci|confidence interval|cl)?\s*[:,=]?\s*"
                      r"[\[(]?(?P<lo>\d+(?:\.\d+)?)\s*(?:-|–|—|to|,)\s*(?P<hi>\d+(?:\.\d+)?)(?![\d%])", re.IGNORECASE)


def ratio_ci(raw: str, end: int) -> tuple[float, float] | None:
    m = RATIO_CI.match(raw, end, end + 60)
    if not m or not re.search(r"ci|confidence|cl|[\[(]", m.group(0), re.IGNORECASE):
        return None
    return float(m["lo"]), float(m["hi"])


def read_effects(abstract: Text) -> tuple[Effect, ...]:
    """Fold changes, percentage changes (not shares, doses or CIs) and ratios, in text order."""
    c, out = cues(), []
    if "fold" in abstract.low:
        for m in c.fold.finditer(abstract.low):
            value = float(m["num"]) if m["num"][0].isdigit() else float(parse_count(m["num"]))
            out.append(Effect("fold", value, span_of("abstract", abstract, m)))
    if "%" in abstract.low or "cent" in abstract.low:
        for m in c.percent.finditer(abstract.low):
            if is_percent_change(abstract.low, m):
                value = float(m["num"]) * (-1 if m["sign"] and m["sign"] != "+" else 1)
                out.append(Effect("percent", value, span_of("abstract", abstract, m)))
    for m in c.ratio.finditer(abstract.raw):
        if 0 < float(m["num"]) < 100:
            out.append(Effect("ratio", float(m["num"]), span_of("abstract", abstract, m), ratio_ci(abstract.raw, m.end())))
    return tuple(sorted(out, key=lambda e: e.span.start))


def is_percent_change(low: str, m: re.Match[str]) -> bool:
    """A signed figure, or one next to a change word in the same sentence; never "95% CI" or "50% of"."""
    after = low[m.end():m.end() + 25]
    if re.match(r"\s*(?:ci\b|confidence|of\b|credible)", after):
        return False
    if m["sign"]:
        return True
    before = re.split(r"[.;]\s", low[max(0, m.start() - 40):m.start()])[-1]
    return bool(cues().change_word.search(before) or cues().change_word.match(after.lstrip()))


def conclusion_start(abstract: Text) -> int:
    """Where the conclusion begins: its label or phrase, else the last two sentences."""
    found = cues().direction["conclusion"].hits(abstract)
    if found:
        return found[-1].start()
    ends = [m.end() for m in re.finditer(r"[.!?]\s+(?=[A-Z])", abstract.raw)]
    return ends[-2] if len(ends) >= 2 else 0


NEGATOR = re.compile(r"(?<!\w)(?:not|no|failed|fails|without|neither|nor|lack|lacking|lacks)(?!\w)")
CLAUSE_BREAK = re.compile(r"[.;!?]\s|,\s(?:but|whereas|while|although|though|however)\s|\bbut\b|[a-z ]{4,}:\s")
P_VALUE = re.compile(r"(?<!\w)p\s*(?P<op>[=<>≤≥]|&lt;)\s*(?P<num>0?\.\d+|1(?:\.0+)?)", re.IGNORECASE)


def negated(low: str, start: int) -> bool:
    """A positive cue under a negation earlier in its clause ("did not demonstrate that X was
    beneficial", "lacking effective treatments"): it says no effect was found."""
    breaks = [m.end() for m in CLAUSE_BREAK.finditer(low, max(0, start - 160), start)]
    clause = low[breaks[-1] if breaks else max(0, start - 160):start]
    return bool(NEGATOR.search(clause))


def results_start(abstract: Text) -> int:
    """Past the background and objective: where the methods or results begin (labelled abstracts)."""
    m = re.search(r"(?:^|\s)(?:methods?|design|results?|main results|patients and methods|findings)(?: and \w+)?:\s",
                  abstract.low)
    return m.start() if m else 0


def significance(abstract: Text, start: int) -> tuple[str | None, list[TextSpan]]:
    """"null" when every p value reported from `start` on is 0.05 or more (the results found nothing
    significant), None otherwise."""
    found = list(P_VALUE.finditer(abstract.raw, start))
    if not found:
        return None, []
    values = [(m["op"], float(m["num"])) for m in found]
    if all(op in ("=", ">", "≥") and v >= 0.05 for op, v in values):
        return "null", [span_of("abstract", abstract, m) for m in found[:3]]
    return None, []


def read_direction(abstract: Text) -> tuple[Direction, tuple[TextSpan, ...]]:
    """Effect found (positive), none (null), the opposite/harm (negative), or several (mixed).

    Read in the conclusion first; if it has no cue, in the methods and results (the background
    speaks of other work), where only non-significant p values also mean no effect. A positive cue
    under a negation in its clause counts as null."""
    cue = cues().direction
    for start in (conclusion_start(abstract), results_start(abstract)):
        found = {k: cue[k].hits(abstract, start) for k in ("positive", "null", "negative")}
        negated_hits = [m for m in found["positive"] if negated(abstract.low, m.start())]
        found["positive"] = [m for m in found["positive"] if m not in negated_hits]
        found["null"] = sorted(found["null"] + negated_hits, key=lambda m: m.start())
        kinds = [k for k, v in found.items() if v]
        if kinds:
            direction = cast(Direction, kinds[0] if len(kinds) == 1 else "mixed")
            return direction, tuple(span_of("abstract", abstract, m) for k in kinds for m in found[k][:3])
        kind, spans = significance(abstract, start)
        if kind:
            return cast(Direction, kind), tuple(spans)
    return "unknown", ()


@cache
def stated_certainty_patterns() -> tuple[tuple[re.Pattern[str], str | None], ...]:
    """(pattern, level): GRADE wording names its level (group `level`); a plain-language verdict
    ("insufficient evidence") stands for the level it is filed under."""
    v = vocabulary()["stated_certainty"]
    graded = [(re.compile(rf"(?<!\w){p}(?!\w)"), None) for p in v["patterns"]]
    plain = [(re.compile(rf"(?<!\w){p}(?!\w)"), key.removeprefix("plain_").replace("_", " "))
             for key, phrases in v.items() if key.startswith("plain_") for p in phrases]
    return tuple(graded + plain)


def read_stated_certainty(abstract: Text) -> tuple[tuple[str, TextSpan], ...]:
    """Every certainty rating the abstract states for its evidence ("low-certainty evidence", "low to
    moderate quality of evidence": the lower; "insufficient evidence": very low), in text order."""
    if "certainty" not in abstract.low and "quality" not in abstract.low and "evidence" not in abstract.low \
            and "grade" not in abstract.low:
        return ()
    found = [(level or m["level"], span_of("abstract", abstract, m)) for p, level in stated_certainty_patterns()
             for m in p.finditer(abstract.low)]
    # a rating inside a longer one is part of it ("moderate quality" in "low to moderate quality")
    kept = [f for f in found if not any(o[1].start <= f[1].start and f[1].end <= o[1].end
                                        and o[1].end - o[1].start > f[1].end - f[1].start for o in found)]
    return tuple(sorted(kept, key=lambda f: f[1].start))
