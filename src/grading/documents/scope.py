"""Citation scope: which claims each citation supports, by explicit rules, each link explained.

Rules, strongest first; a claim takes the first rule that links it, and a claim with its own
marker uses only its markers:
- inline: a marker or link inside or right after the sentence (grading.documents.links);
- numbered-list: a numbered marker ("[2]", "¹", "bacteria.1, 2") -> the list entry it numbers;
- block: a citation standing as its own line in a card ("Title / Authors (year) • Journal /
  findings", or findings then "Study details" / "Source:") -> the claims of that card;
- paragraph: a citation closing a paragraph -> the paragraph's other claims, where nothing
  else is cited there;
- anaphora: "the study", "this trial", "the researchers" -> the most recent cited work in
  the section; "both studies", "these three trials" -> the most recent two or three; "Two new
  studies show ..." before any is cited -> the works cited next, when exactly that many follow;
- section: a section whose heading names a study ("Human trial results") and which cites exactly
  one work -> the section's other claims (they go on retelling it), never outside facts;
- single-study: a page about one paper (one cited work, or a page whose own URL names the
  paper) -> the sentences that report the study (from the first that shows a study cue to the
  last, the page's title before them), never outside facts or editorial asides.
A sentence none of these reach stays uncited: nothing is linked by guess. The words live in
data/document_vocabulary.toml.
"""

from __future__ import annotations

import bisect
import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from grading.documents.links import GAP_RE
from grading.documents.markers import marker_links
from grading.documents.structure import WORD_RE, Page, document_vocabulary
from grading.models import CitationMention, Claim

CONFIDENCE = {"inline": 0.95, "numbered-list": 0.9, "block": 0.85, "paragraph": 0.7, "anaphora": 0.65,
              "single-study": 0.6, "section": 0.55, "inferred": 0.4}
NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5}
MAX_ANTECEDENTS = 5  # "these five trials" is the most a reference back names


@dataclass(frozen=True)
class ScopeLink:
    mention: int  # index into the document's mentions
    claim_id: str
    method: str  # inline | numbered-list | block | paragraph | anaphora | section | single-study
    confidence: float
    reason: str


@dataclass(frozen=True)
class ScopeVocabulary:
    study: re.Pattern
    outside: re.Pattern
    singular: re.Pattern
    plural: re.Pattern
    cataphora: re.Pattern
    study_heading: re.Pattern


@cache
def scope_vocabulary() -> ScopeVocabulary:
    with (resources.files("grading") / "data" / "document_vocabulary.toml").open("rb") as fh:
        data = tomllib.load(fh)["scope"]

    def rx(key: str) -> re.Pattern:
        return re.compile("|".join(f"(?:{p})" for p in data[key]), re.IGNORECASE)

    return ScopeVocabulary(rx("study_cues"), rx("outside_facts"), rx("anaphora_singular"), rx("anaphora_plural"),
                           rx("cataphora"), rx("study_headings"))


class Scope:
    """The links of one document, built rule by rule."""

    def __init__(self, page: Page, claims: Sequence[Claim], mentions: Sequence[CitationMention],
                 work_of: Callable[[int], str | None]):
        self.page, self.mentions, self.work_of = page, mentions, work_of
        self.claims = sorted(claims, key=lambda c: c.char_start)
        self.block_of = {c.claim_id: page.index_at(c.char_start) for c in self.claims}
        self.by_id = {c.claim_id: c for c in self.claims}
        self.subjects: frozenset[str] = frozenset()  # the page's substance words (scope_links)
        self.in_block: dict[int | None, list[Claim]] = {}
        for c in self.claims:
            self.in_block.setdefault(self.block_of[c.claim_id], []).append(c)
        self.block_works: dict[int | None, set[str | None]] = {}  # block -> the works cited in it
        for i, m in enumerate(mentions):
            self.block_works.setdefault(page.index_at(m.char_start), set()).add(work_of(i))
        self.links: list[ScopeLink] = []
        # Where the running text cites a work (inline mentions, numbered markers): what
        # "the study" may refer back to, whether or not its sentence is a claim.
        self.cited_at: list[tuple[int, int]] = [(m.char_start, i) for i, m in enumerate(mentions)
                                                if not m.in_reference_list and m.origin == "text"]
        self.linked: dict[str, list[int]] = {}  # claim_id -> mentions linked to it

    def add(self, mention: int, claim: Claim, method: str, reason: str) -> None:
        if mention in self.linked.get(claim.claim_id, ()):
            return
        self.linked.setdefault(claim.claim_id, []).append(mention)
        self.links.append(ScopeLink(mention, claim.claim_id, method, CONFIDENCE[method], reason))

    def claim_at(self, pos: int) -> Claim | None:
        """The claim whose sentence holds pos, or ends right before it (only punctuation between)."""
        best = None
        for c in self.in_block.get(self.page.index_at(pos), ()):
            if c.char_start > pos:
                break
            best = c
        if best is None or pos <= best.char_end or GAP_RE.match(self.page.text[best.char_end:pos]):
            return best
        return None

    def open_claims(self, blocks: set[int]) -> list[Claim]:
        return [c for b in sorted(blocks) for c in self.in_block.get(b, ()) if c.claim_id not in self.linked]


def inline_rule(scope: Scope, attached: Sequence[str | None]) -> None:
    for i, claim_id in enumerate(attached):
        if claim_id is None or claim_id not in scope.by_id:
            continue
        # A citation on a line of its own belongs to no sentence of the line before.
        if scope.page.index_at(scope.mentions[i].char_start) != scope.block_of[claim_id]:
            continue
        scope.add(i, scope.by_id[claim_id], "inline", "the marker sits in or right after this sentence")


def numbered_rule(scope: Scope, body_start: int) -> None:
    for marker, entries in marker_links(scope.page.text, body_start, scope.mentions):
        scope.cited_at.extend((marker.start, i) for i in entries)
        claim = scope.claim_at(marker.start)
        if claim is None:
            continue
        for i in entries:
            n = scope.mentions[i].footnote
            scope.add(i, claim, "numbered-list",
                      f"marker {scope.page.text[marker.start:marker.end]!r} names reference entry {n or ''}".strip())


def is_block_citation(scope: Scope, i: int) -> int | None:
    """The block a citation stands in as its own line (a card's citation), or None."""
    m = scope.mentions[i]
    page, voc = scope.page, document_vocabulary()
    k = page.index_at(m.char_start)
    if k is None or scope.work_of(i) is None:
        return None
    heading = page.heading_of(k)
    if heading is not None and voc.reference_headings.match(heading.strip()):
        return None
    text = page.block_text(k)
    share = (m.char_end - m.char_start) / max(1, len(text.strip()))
    own_line = share >= 0.6
    labelled = (share >= 0.4 and bool(voc.details_labels.match(text))) or (
        k > 0 and page.blocks[k - 1].kind == "label" and bool(voc.details_labels.match(page.block_text(k - 1))))
    titled = own_line and k > 0 and page.blocks[k - 1].kind == "heading"
    # A card's citation sits under the card's title, or under a "Study details" / "Source:" label.
    # A citation line after plain prose is a reference at the end, not a card.
    if not (labelled or titled):
        return None
    # A run of lines citing different works is a reference list; a card may give one paper's
    # title and its authors on two lines.
    work = {scope.work_of(i)}
    if any(scope.block_works.get(j, work) != work for j in (k - 1, k + 1)):
        return None
    return k


def card_blocks(scope: Scope, k: int, citation_blocks: set[int]) -> set[int]:
    """The blocks of the card whose citation stands in block k."""
    page, voc = scope.page, document_vocabulary()
    blocks = page.blocks
    prev = k - 1
    while prev >= 0 and blocks[prev].kind == "label" and voc.details_labels.match(page.block_text(prev)):
        prev -= 1
    out: set[int] = set()
    header_style = prev >= 0 and blocks[prev].kind == "heading" and prev == k - 1
    if header_style:  # title, citation, then the findings until the next card or heading
        out.add(prev)
        j = k + 1
        while j < len(blocks) and j not in citation_blocks:
            b = blocks[j]
            if b.kind == "heading":  # the next card's title, or the page moves on
                break
            if b.kind == "label" and not voc.study_labels.match(page.block_text(j).strip()):
                break
            out.add(j)
            j += 1
        return out
    j = k - 1  # findings, then the citation: back to the card's title
    while j >= 0 and j not in citation_blocks:
        b = blocks[j]
        if b.kind == "label" and not voc.study_labels.match(page.block_text(j).strip()):
            break
        out.add(j)
        if b.kind == "heading":
            break
        j -= 1
    return out


def block_rule(scope: Scope) -> None:
    found = {i: k for i in range(len(scope.mentions)) if (k := is_block_citation(scope, i)) is not None}
    citation_blocks = set(found.values())
    for i, k in found.items():
        for claim in scope.open_claims(card_blocks(scope, k, citation_blocks)):
            scope.add(i, claim, "block", "the citation stands in this claim's card or section")


def paragraph_rule(scope: Scope) -> None:
    """A citation closing a paragraph covers the paragraph's uncited claims, when it is the
    only work cited there."""
    by_block: dict[int, list[tuple[int, Claim]]] = {}
    by_id = scope.by_id
    for link in list(scope.links):
        blk = scope.block_of[link.claim_id]
        if blk is not None:
            by_block.setdefault(blk, []).append((link.mention, by_id[link.claim_id]))
    for blk, cited in by_block.items():
        works = {scope.work_of(i) for i, _ in cited}
        last = max((c for _, c in cited), key=lambda c: c.char_end)
        in_block = scope.in_block[blk]
        if len(works) != 1 or None in works or in_block[-1].claim_id != last.claim_id:
            continue
        closing = max(scope.mentions[i].char_end for i, c in cited if c.claim_id == last.claim_id)
        if scope.page.text[max(closing, last.char_end):scope.page.blocks[blk].end].strip(" .;,)]\"'”’"):
            continue  # the citation does not close the paragraph
        for claim in scope.open_claims({blk}):
            for i, c in cited:
                if c.claim_id == last.claim_id:
                    scope.add(i, claim, "paragraph", "the citation closes this claim's paragraph")


def anaphora_rule(scope: Scope) -> None:
    voc = scope_vocabulary()
    plural_group: list[int] | None = None
    for claim in scope.claims:
        text = claim.text
        plural = voc.plural.search(text)
        singular = voc.singular.search(text)
        if claim.claim_id in scope.linked or not (plural or singular):
            if claim.claim_id in scope.linked and len({scope.work_of(i) for i in scope.linked[claim.claim_id]}) > 1:
                plural_group = scope.linked[claim.claim_id]
            continue
        recent = recent_works(scope, claim)
        if not recent:
            continue
        if plural:
            word = (plural.group("n") or "").lower()
            n = NUMBER_WORDS.get(word) or (int(word) if word.isdigit() else 0)
            if re.match(r"both\b", plural.group(0), re.IGNORECASE):
                n = 2
            if n and len(recent) >= n:
                group = [i for i, _ in recent[:n]]
            elif plural_group:
                group = plural_group
            else:
                continue  # "these studies" with no count and no group named before: unclear
            plural_group = group
            for i in group:
                scope.add(i, claim, "anaphora", f"{plural.group(0)!r} refers to the studies cited just before")
        else:
            i = recent[0][0]
            scope.add(i, claim, "anaphora", f"{singular.group(0)!r} refers to the study cited just before")


def cataphora_rule(scope: Scope) -> None:
    """"Two new clinical studies show ..." before any is cited: the next two works cited in the
    section, when exactly that many distinct works follow before the section ends."""
    voc = scope_vocabulary()
    for claim in scope.claims:
        m = voc.cataphora.search(claim.text)
        if claim.claim_id in scope.linked or not m or recent_works(scope, claim):
            continue
        n = NUMBER_WORDS[m.group("n").lower()]
        blk = scope.block_of[claim.claim_id]
        section = scope.page.blocks[blk].section if blk is not None else -1
        ahead: dict[str, int] = {}
        for pos, i in sorted(scope.cited_at):
            b = scope.page.index_at(pos)
            if pos <= claim.char_end or b is None:
                continue
            if scope.page.blocks[b].section != section:
                break
            if (w := scope.work_of(i)) is not None:
                ahead.setdefault(w, i)
        if len(ahead) == n:  # more works ahead: which ones it announces is unclear
            for i in ahead.values():
                scope.add(i, claim, "anaphora", f"{m.group(0)!r} announces the studies cited next")


def section_rule(scope: Scope) -> None:
    """A section headed as one study's report ("Human trial results") citing exactly one work:
    its uncited claims retell that study, unless they state outside facts."""
    voc, page = scope_vocabulary(), scope.page
    sections: dict[int, list[Claim]] = {}
    for c in scope.claims:
        if (blk := scope.block_of[c.claim_id]) is not None and page.blocks[blk].section >= 0:
            sections.setdefault(page.blocks[blk].section, []).append(c)
    for head, claims in sections.items():
        heading = page.block_text(head).strip()
        if not voc.study_heading.search(heading):
            continue
        ids = {c.claim_id for c in claims}
        cited = [i for i, m in enumerate(scope.mentions) if (b := page.index_at(m.char_start)) is not None
                 and page.blocks[b].section == head and not m.in_reference_list]
        cited += [i for c in claims for i in scope.linked.get(c.claim_id, ())]
        works = {scope.work_of(i) for i in cited}
        urls = {f"{m.kind}:{m.value}" for i in cited if (m := scope.mentions[i]).kind == "url" and scope.work_of(i) is None}
        if len(works) != 1 or None in works or urls:
            continue
        first = min(cited)
        for c in claims:
            if c.claim_id not in scope.linked and c.claim_id in ids and retells(scope, c):
                scope.add(first, c, "section", f"the section {heading[:60]!r} reports this one cited study")


def recent_works(scope: Scope, claim: Claim) -> list[tuple[int, str]]:
    """Works cited before the claim in its section, most recent first, one mention each."""
    section = scope.page.blocks[b].section if (b := scope.block_of[claim.claim_id]) is not None else -1
    seen: dict[str, tuple[int, int]] = {}
    cited = sorted(scope.cited_at + [(scope.by_id[lk.claim_id].char_start, lk.mention) for lk in scope.links
                                     if lk.method in ("anaphora", "block")])
    # Walk back from the claim through its section only, and stop once a few works are known.
    k = bisect.bisect_left(cited, (claim.char_start, -1)) - 1
    while k >= 0 and len(seen) < MAX_ANTECEDENTS:
        pos, i = cited[k]
        k -= 1
        blk = scope.page.index_at(pos)
        if blk is None or scope.page.blocks[blk].section != section:
            break
        work = scope.work_of(i)
        if work is not None and work not in seen:
            seen[work] = (pos, i)
    return [(i, w) for w, (_, i) in sorted(seen.items(), key=lambda kv: -kv[1][0])]


def single_study_rule(scope: Scope, page_paper: int | None) -> None:
    works: dict[str, int] = {}
    sources: set[str] = set()  # every work the page cites, and every link it gives as a source
    for i, m in enumerate(scope.mentions):
        w = scope.work_of(i)
        if w is not None or m.kind == "url":
            sources.add(w or f"{m.kind}:{m.value}")
        if w is not None:
            works.setdefault(w, i)
    if len(works) != 1 or len(sources) != 1:
        return
    (work, first), = works.items()
    i = page_paper if page_paper is not None and scope.work_of(page_paper) == work else first
    voc, dvoc = scope_vocabulary(), document_vocabulary()
    page = scope.page

    def background(c: Claim) -> bool:
        blk = scope.block_of[c.claim_id]
        heading = page.heading_of(blk) if blk is not None else None
        return heading is not None and bool(dvoc.background_labels.match(heading.strip()))

    # A framing section ("Background") is not the study, unless a sentence there names it ("This study aimed ...").
    candidates = [c for c in scope.claims if (not background(c) or voc.singular.search(c.text))
                  and not voc.outside.search(c.text)]
    cued = [n for n, c in enumerate(candidates) if voc.study.search(c.text)]
    if not cued:
        return
    first_cue, last_cue = cued[0], cued[-1]
    # The study's report starts where the page first cites it in its text, if that is earlier
    # (a summary page opening with the paper's title); a page address names it from nowhere.
    cited_from = min((m.char_start for j, m in enumerate(scope.mentions)
                      if m.origin == "text" and scope.work_of(j) == work), default=None)
    if cited_from is not None:
        first_cue = min(first_cue, next((n for n, c in enumerate(candidates) if c.char_end > cited_from), first_cue))
    why = "the page is about this one paper" + (" (its address names it)" if i == page_paper else "")
    for n, c in enumerate(candidates):
        blk = scope.block_of[c.claim_id]
        title = n < first_cue and blk is not None and page.blocks[blk].kind == "heading"
        if c.claim_id in scope.linked or not (first_cue <= n <= last_cue and retells(scope, c) or title):
            continue
        scope.add(i, c, "single-study", why + ("; this line is its title" if title else "; this sentence reports it"))


def retells(scope: Scope, claim: Claim) -> bool:
    """On a page-level rule, an unmarked sentence is the study's only when it states no outside
    fact (a prevalence, a history, a general property) and, where the page's substance is known,
    refers to the study, its participants, researchers or results (a study cue) or names the
    substance. A card's line without a full stop ("Well tolerated in adults") retells its study."""
    voc = scope_vocabulary()
    if voc.outside.search(claim.text):
        return False
    if not scope.subjects or not claim.text.rstrip().endswith((".", "!", '"', "”")):
        return True
    return bool(voc.study.search(claim.text)) or bool(scope.subjects & {w.lower() for w in WORD_RE.findall(claim.text)})


def scope_links(page: Page, claims: Sequence[Claim], mentions: Sequence[CitationMention],
                attached: Sequence[str | None], work_of: Callable[[int], str | None],
                page_paper: int | None = None, subjects: frozenset[str] = frozenset()) -> list[ScopeLink]:
    """Every (mention, claim) link the rules make, in rule order. `subjects`: the page's subject
    words (its substance), which a sentence may name to be linked by a page-level rule."""
    scope = Scope(page, claims, mentions, work_of)
    scope.subjects = subjects
    inline_rule(scope, attached)
    numbered_rule(scope, page.blocks[0].start if page.blocks else 0)
    block_rule(scope)
    paragraph_rule(scope)
    anaphora_rule(scope)
    cataphora_rule(scope)
    section_rule(scope)
    single_study_rule(scope, page_paper)
    return scope.links
