"""The document model: the blocks of a page and the sections they form.

Both paths end here: plain text is read as it is stored, and HTML is first rendered by
grading.documents.render into text whose blank lines, headings, numbered items and markers
keep the page's structure. Offsets are exact into `Source.text`; a saved page's header line
(before `Source.body_start`) belongs to no block.

A block is one paragraph (a line, or hard-wrapped lines joined), a list item, a heading or a
label ("Key Findings", "Study details"). Sections run from a heading to the next one. The
words that name sections live in data/document_vocabulary.toml.
"""

from __future__ import annotations

import bisect
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

BlockKind = Literal["heading", "label", "item", "paragraph"]

ITEM_RE = re.compile(r"\s*(?:[-*•·▪–]\s+|\d{1,3}[.)]\s+|\[\d{1,3}\]\s+)")
WORD_RE = re.compile(r"[^\W\d_][\w'’-]*")
# A heading ends without sentence punctuation and is short; a card title may run longer.
HEADING_MAX_WORDS = 24


@dataclass(frozen=True)
class DocumentVocabulary:
    reference_headings: re.Pattern  # "References", "Sources": what follows is a reference list
    study_labels: re.Pattern  # "Key Findings", "Study details": parts of one study's card
    background_labels: re.Pattern  # "Background", "See also": not a report of the study
    details_labels: re.Pattern  # a label that introduces a block citation ("Study details", "Source:")
    findings_labels: re.Pattern  # "Key Findings", "Results": the lines under them are findings


@cache
def document_vocabulary() -> DocumentVocabulary:
    with (resources.files("grading") / "data" / "document_vocabulary.toml").open("rb") as fh:
        data = tomllib.load(fh)

    def words(key: str) -> re.Pattern:
        alts = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(data["sections"][key], key=len, reverse=True))
        return re.compile(rf"^\W*(?:{alts})\b\W*$", re.IGNORECASE)

    details = "|".join(re.escape(w).replace(r"\ ", r"\s+")
                       for w in sorted(data["sections"]["details"], key=len, reverse=True))
    return DocumentVocabulary(
        reference_headings=words("references"), study_labels=words("study"),
        background_labels=words("background"), findings_labels=words("findings"),
        details_labels=re.compile(rf"^\W*(?:{details})\b\s*(?:[:\-–—]|$)", re.IGNORECASE))


@dataclass(frozen=True)
class Block:
    start: int
    end: int
    kind: BlockKind
    section: int  # index of the heading block that opens its section, -1 before any


@dataclass
class Page:
    """The blocks of one document in order, with look-ups by offset."""

    text: str
    blocks: list[Block]

    def __post_init__(self) -> None:
        self._starts = [b.start for b in self.blocks]

    def index_at(self, pos: int) -> int | None:
        i = bisect.bisect_right(self._starts, pos) - 1
        if i >= 0 and pos < max(self.blocks[i].end, self.blocks[i].start + 1):
            return i
        return None

    def block_text(self, i: int) -> str:
        b = self.blocks[i]
        return self.text[b.start:b.end]

    def heading_of(self, i: int) -> str | None:
        """The text of the heading that opens block i's section."""
        s = self.blocks[i].section
        return self.block_text(s) if s >= 0 else None


def lines(text: str, start: int) -> list[tuple[int, int]]:
    """Non-blank lines from `start`, hard-wrapped prose joined (a line without end
    punctuation followed by one starting lower-case). Blank lines separate nothing more:
    each line is its own paragraph, as pages are stored one paragraph a line."""
    out: list[tuple[int, int]] = []
    pos = start
    n = len(text)
    while pos <= n:
        nl = text.find("\n", pos)
        end = n if nl < 0 else nl
        e = end - 1 if end > pos and text[end - 1] == "\r" else end
        body = text[pos:e]
        if body.strip():
            s = pos + len(body) - len(body.lstrip())
            e = s + len(body.strip())
            prev = text[out[-1][0]:out[-1][1]] if out else ""
            joined = (out and text[out[-1][1]:s].count("\n") == 1 and prev[-1:] not in ".!?:"
                      and body.lstrip()[:1].islower() and not ITEM_RE.match(body))
            if joined:
                out[-1] = (out[-1][0], e)
            else:
                out.append((s, e))
        if nl < 0:
            break
        pos = nl + 1
    return out


def block_kind(line: str, voc: DocumentVocabulary) -> BlockKind:
    stripped = line.strip()
    if voc.study_labels.match(stripped) or voc.reference_headings.match(stripped) \
            or voc.background_labels.match(stripped):
        return "label"
    if ITEM_RE.match(line):
        return "item"
    words = WORD_RE.findall(stripped)
    if stripped[-1:] not in ".!?:;,)\"”" and 0 < len(words) <= HEADING_MAX_WORDS and stripped[:1].isupper() \
            and len(stripped) <= 220:
        return "heading"
    return "paragraph"


def page_structure(text: str, body_start: int = 0) -> Page:
    """Blocks and sections of the text after the header line."""
    voc = document_vocabulary()
    blocks: list[Block] = []
    section = -1
    spans = lines(text, body_start)
    for n, (s, e) in enumerate(spans):
        kind = block_kind(text[s:e], voc)
        if kind == "heading" and n == len(spans) - 1 and n > 0:
            kind = "paragraph"  # a heading heads something: a last line (a page cut short) is prose
        if kind in ("heading", "label"):
            section = len(blocks)
        blocks.append(Block(s, e, kind, section))
    return Page(text, blocks)
