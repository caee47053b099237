"""A page whose own address names one paper: ".../pubmed/12345", a DOI or a PMC id in the path.

Study-summary pages often carry the paper's id only in their URL. The address becomes a
citation of origin "page-url"; the scope rules (grading.documents.scope) then treat the page
as being about that paper. The header line itself is neither a claim nor a citation.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from grading.models import CitationMention, Source

PUBMED_PATH_RE = re.compile(r"(?:/pubmed/|pubmed\.ncbi\.nlm\.nih\.gov/|[?&/]pmid[=/])(\d{1,9})(?=[/?#&]|$)",
                            re.IGNORECASE)
PMC_PATH_RE = re.compile(r"/(PMC\d{3,9})(?=[/?#]|$)", re.IGNORECASE)
DOI_PATH_RE = re.compile(r"(?<![\w.])(10\.\d{4,9}/[^\s?#]+?)(?:/full|/abstract|/pdf|\.pdf)?/?(?=[?#]|$)")


def page_paper(source: Source) -> CitationMention | None:
    """The paper the page's address names, as a mention at the address in the header line
    (or an empty span at 0 when the address is not part of the text)."""
    url = source.url
    if not url:
        return None
    path = unquote(url)
    kind, value = None, None
    if m := PUBMED_PATH_RE.search(path):
        kind, value = "pmid", str(int(m.group(1)))
    elif m := PMC_PATH_RE.search(path):
        kind, value = "pmcid", m.group(1).upper()
    elif m := DOI_PATH_RE.search(path):
        kind, value = "doi", m.group(1).lower()
    if kind is None or value is None:
        return None
    at = source.text.find(url, 0, source.body_start) if source.body_start else -1
    start, end = (at, at + len(url)) if at >= 0 else (0, 0)
    return CitationMention(start, end, source.text[start:end], kind, value, origin="page-url")
