"""Finding a claim's figure in a record's abstract, with a compatible unit ("50 mcg/kg" ~ "50 μg/kg
body weight", "24 participants" ~ "n = 24"). Used by the numbers check and the support check."""

from __future__ import annotations

import re

from grading.engine.claim_reading import Figure

RECORD_UNITS: dict[str, str] = {  # a claim's unit -> what the same unit looks like in an abstract
    "fold": r"\s*[-–‐]?\s*(?:fold|×|times)",
    "%": r"\s*(?:%|percent|per cent)",
    "mcg": r"\s*(?:mcg|µg|μg|ug|micrograms?)",
    "mg": r"\s*mg",
    "g": r"\s*g(?![\w/])",
    "iu": r"\s*(?:iu|units)",
    "ml": r"\s*ml",
    "hours": r"\s*(?:h|hrs?|hours?)(?!\w)",
    "minutes": r"\s*(?:min|minutes?)(?!\w)",
    "days": r"\s*days?",
    "weeks": r"\s*(?:wk|weeks?)",
    "months": r"\s*months?",
    "years": r"\s*(?:yr|years?)",
    "per day": r"\s*(?:x|×|times)\s*(?:daily|a day|per day|/\s*day)",
    "per week": r"\s*(?:x|×|times)\s*(?:weekly|a week|per week|/\s*week)",
    "participants": r"\s+(?:[\w-]+\s+){0,3}?(?:participants|patients|subjects|volunteers|people|persons|adults|children|"
                    r"women|men|individuals|cases)",
    "animals": r"\s+(?:[\w-]+\s+){0,3}?(?:rats|mice|animals|rodents|dogs|rabbits|monkeys|pigs)",
}
PER_KG = r"\s*(?:/\s*kg|per kg|kg-1|kg⁻¹)"


def number_text(value: float) -> str:
    """50.0 -> "50" (or "50.0"); 1800 -> "1,?800"; 1.4 -> "1[.,]4"."""
    if value == int(value):
        whole = f"{int(value):,}".replace(",", ",?")
        return rf"{whole}(?:\.0+)?"
    return re.escape(repr(value)).replace(r"\.", "[.,]")


def find_figure(figure: Figure, text: str) -> re.Match[str] | None:
    """The first place `text` states the figure with a compatible unit ("50 mcg/kg" ~ "50 μg/kg body
    weight", "24 participants" ~ "24 healthy volunteers" or "n = 24", "20-24 hours" ~ "20–24 h")."""
    if not text:
        return None
    unit, _, per = figure.unit.partition("/")
    numbers = [number_text(v) for v in figure.values]
    value = rf"{numbers[0]}\s*(?:-|–|to)\s*{numbers[1]}" if len(numbers) == 2 else numbers[0]
    pattern = rf"(?<![\d.,]){value}" + RECORD_UNITS.get(unit, re.escape(unit)) + (PER_KG if per == "kg" else "")
    found = re.search(pattern, text, re.IGNORECASE)
    if found is None and figure.kind == "count" and len(figure.values) == 1:
        found = re.search(rf"(?<!\w)n\s*=\s*{numbers[0]}(?!\d)", text, re.IGNORECASE)
    if found is None and len(figure.values) == 1:
        found = rounded(figure, text) or (relative_change(figure, text) if figure.unit == "%" else None)
    return found


ANY_NUMBER = r"(?<![\d.,])(?P<n>\d{1,3}(?:,\d{3})+|\d+(?:[.,]\d+)?)"


def rounded(figure: Figure, text: str) -> re.Match[str] | None:
    """The abstract states the figure more precisely: "40%" for "40.2%", "1.4-fold" for "1.43-fold"."""
    unit, _, per = figure.unit.partition("/")
    want = figure.values[0]
    places = len(repr(want).split(".")[1]) if want != int(want) else 0
    pattern = ANY_NUMBER + RECORD_UNITS.get(unit, re.escape(unit)) + (PER_KG if per == "kg" else "")
    for m in re.finditer(pattern, text, re.IGNORECASE):
        value = float(m["n"].replace(",", "") if m["n"].count(",") != 1 or len(m["n"].split(",")[1]) == 3
                      else m["n"].replace(",", "."))
        if round(value, places) == want:
            return m
    return None


# "RR 0.28", "hazard ratio, 0.62": a ratio below 1 is a relative reduction of (1 - ratio) x 100 %
RATIO = re.compile(r"\b(?:RR|OR|HR|IRR|relative risk|risk ratio|odds ratio|hazard ratio|rate ratio)\b[\s,:=(]*"
                   r"(?:was|of)?\s*(?P<r>0?\.\d+|0,\d+)", re.IGNORECASE)


RATIO_ABOVE_ONE = re.compile(r"\b(?:RR|OR|HR|IRR|relative risk|risk ratio|odds ratio|hazard ratio|rate ratio)s?\b"
                             r"(?:[^\d]|9[059]\s?%){0,40}?(?P<r>[1-9][.,]\d+)", re.IGNORECASE)  # past "(95% CI)"


def relative_change(figure: Figure, text: str) -> re.Match[str] | None:
    """"Cut the risk by 72%" where the abstract gives RR 0.28, "a 53% higher risk" where it gives RR
    1.53: the same finding, stated as a ratio. Within 2.5 points, or 5 for a round figure ("about 50%"
    is a rounding, not a finding of its own)."""
    want = figure.values[0]
    slack = 5.0 if want % 10 == 0 else 2.5
    for m in RATIO.finditer(text):
        if abs((1 - float(m["r"].replace(",", "."))) * 100 - want) <= slack:
            return m
    for m in RATIO_ABOVE_ONE.finditer(text):
        ratio = float(m["r"].replace(",", "."))
        if 1 < ratio < 10 and abs((ratio - 1) * 100 - want) <= slack:
            return m
    return None
