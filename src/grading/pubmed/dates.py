"""Dates in PubMed XML: publication dates, history, ISO dates, partial dates and years."""

from __future__ import annotations

import re

from lxml import etree

from grading.pubmed.xml_text import (
    _child_text,
    _first_children,
    _int,
    _text,
)

_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")


_DAY_NUMBERS = {**{str(d): f"{d:02d}" for d in range(1, 32)}, **{f"{d:02d}": f"{d:02d}" for d in range(1, 10)}}


_MONTH_NUMBERS = {text: padded for text, padded in _DAY_NUMBERS.items() if int(text) <= 12}


_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}


def parse_pub_date(pub_date: etree._Element | None) -> tuple[int | None, str | None]:
    """(year, MedlineDate). The year is `Year`, else the first 4-digit year in `MedlineDate`
    ("1998 Dec-1999 Jan" -> 1998); MedlineDate is kept only when there is no `Year`."""
    if pub_date is None:
        return None, None
    parts = _first_children(pub_date)
    year = _year(_text(parts.get("Year")))
    if year is not None:
        return year, None
    medline_date = _text(parts.get("MedlineDate"))
    return _year(medline_date), medline_date


def parse_fallback_year(article_dates: list, history: tuple[tuple[str, str], ...]) -> int | None:
    """The year when PubDate gives none: `ArticleDate` (electronic), else the history dates,
    preferring the date the record entered PubMed."""
    for date in article_dates:
        if (year := _year(_child_text(date, "Year"))) is not None:
            return year
    years = {status: int(date[:4]) for status, date in history}
    for status in ("pubmed", "entrez", "medline"):
        if status in years:
            return years[status]
    return min(years.values(), default=None)


def parse_history(history: etree._Element | None) -> tuple[tuple[str, str], ...]:
    """(PubStatus, date) of each `PubMedPubDate`: "yyyy-mm-dd", or "yyyy-mm"/"yyyy" when less
    is valid; dates without a status or a year are left out."""
    if history is None:
        return ()
    dates = list(history.iterchildren("PubMedPubDate"))
    # Year, Month, Day are required and in this order (DTD): read all their texts in one C-level
    # pass; go date by date only when some are missing.
    texts = list(history.itertext("Year", "Month", "Day", with_tail=False))
    if len(texts) == 3 * len(dates):
        parts = iter(texts)
        triples = zip(parts, parts, parts)
    else:
        triples = ((_child_text(d, "Year"), _child_text(d, "Month"), _child_text(d, "Day")) for d in dates)
    out = []
    for date, (year, month, day) in zip(dates, triples):
        status = date.get("PubStatus")
        if not status:
            continue
        mm, dd = _MONTH_NUMBERS.get(month), _DAY_NUMBERS.get(day)  # the common case: all numeric
        if mm and dd and year and len(year) == 4 and year.isdigit() and year.isascii() and year[0] != "0":
            out.append((status, f"{year}-{mm}-{dd}"))
        elif text := _partial_date(year, month, day):
            out.append((status, text))
    return tuple(out)


def _partial_date(year: str | None, month: str | None, day: str | None) -> str | None:
    """"yyyy-mm-dd" from numeric or named parts, as far as they are valid; None without a year."""
    if not year:
        return None
    y = _int(year)
    if y is None or not 1000 <= y <= 9999:
        return None
    m = _month(month)
    if m is None:
        return f"{y:04d}"
    d = _int(day)
    return f"{y:04d}-{m:02d}" if d is None or not 1 <= d <= 31 else f"{y:04d}-{m:02d}-{d:02d}"


def parse_iso_date(date: etree._Element | None) -> str | None:
    """A numeric Year/Month/Day element (DateRevised) as "yyyy-mm-dd"; None unless all are valid."""
    if date is None:
        return None
    texts = list(date.itertext("Year", "Month", "Day", with_tail=False))  # in this order (DTD)
    if len(texts) == 3 and texts[0].isdigit() and (mm := _MONTH_NUMBERS.get(texts[1])) \
            and (dd := _DAY_NUMBERS.get(texts[2])) and len(texts[0]) == 4 and texts[0].isascii() and texts[0][0] != "0":
        return f"{texts[0]}-{mm}-{dd}"  # the common case
    parts = _first_children(date)
    year, month, day = (_int(parts[p].text) if p in parts else None for p in ("Year", "Month", "Day"))
    if year is None or month is None or day is None:
        return None
    if not (1000 <= year <= 9999 and 1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def _year(text: str | None) -> int | None:
    """The first 4-digit year in a text ("1998 Dec-1999 Jan" -> 1998)."""
    if text and len(text) == 4 and text.isdigit() and text.isascii():
        return int(text)  # the common case: a Year element
    match = _YEAR.search(text) if text else None
    return int(match.group(1)) if match else None


def _month(text: str | None) -> int | None:
    """A month as 1-12 from "02", "2" or "Feb"; None otherwise."""
    if not text:
        return None
    text = text.strip()
    month = _int(text) if text.isdigit() else _MONTHS.get(text[:3].lower())
    return month if month and 1 <= month <= 12 else None
