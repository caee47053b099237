"""An in-memory index of PubMed records answering NCBI-style field-tag queries.

Shared by the offline snapshot source and the E-utilities stand-in, so both search the
same way. Supported: `term[tag]` and `"a phrase"[tag]` for au, 1au, dp, doi, aid, ta, ti,
tiab, tw, ad (affiliation), pmid, uid, pmc, mh, pt, vi, pg, lr, all; truncation `lozeng*[tiab]`;
date ranges `2006:2008[dp]` and `2024/05/03:3000[lr]`; bare words (all fields); AND, OR, NOT and
parentheses. Names and words are compared folded (grading.folding: Løvås = Lovas).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from grading.folding import fold
from grading.models import PubmedRecord

TOKEN_RE = re.compile(r'\s*(?:(\()|(\))|("[^"]*"|[^\s()\[\]"]+(?:\s+[A-Z]{1,3}(?=\[1?au\]))?)(\[[a-z1 ]+\])?)',
                      re.IGNORECASE)
# Tags whose values are checked against a vocabulary or a range rather than a phrase index:
# PubMed answers an unmatched value with zero hits, not with "phrase not found".
CONTROLLED_TAGS = frozenset({"uid", "pmid", "dp", "pdat", "lr", "pt", "vi", "pg"})
WORD_RE = re.compile(r"[^\W_]+")


def words(text: str | None) -> set[str]:
    return set(WORD_RE.findall(fold(text or "")))


class PubmedIndex:
    """Records by PMID plus inverted indexes for the field tags."""

    def __init__(self, records: Iterable[PubmedRecord]):
        self.records: dict[int, PubmedRecord] = {}
        self.fields: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
        self.authors: dict[str, list[tuple[str, int]]] = defaultdict(list)  # last name -> (initials, pmid)
        self.first_authors: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for r in records:
            self.add(r)

    def add(self, r: PubmedRecord) -> None:
        """Index a record; a record already held under its PMID is replaced (a new version)."""
        if r.pmid in self.records:
            self.discard(r.pmid)
        self.records[r.pmid] = r
        f = self.fields
        f["pmid"][str(r.pmid)].add(r.pmid)
        if r.doi:
            f["doi"][fold(r.doi)].add(r.pmid)
        if r.pmcid:
            f["pmc"][fold(r.pmcid)].add(r.pmid)
        if r.year:
            f["dp"][str(r.year)].add(r.pmid)
        for name in {r.journal, r.journal_abbrev}:
            if name:
                f["ta"][fold(name).rstrip(".")].add(r.pmid)
        for w in words(r.title):
            f["ti"][w].add(r.pmid)
        for w in words(r.title) | words(r.abstract_text):
            f["tiab"][w].add(r.pmid)
        for w in words(r.title) | words(r.abstract_text) | {x for h in r.mesh_headings for x in words(h.descriptor)}:
            f["tw"][w].add(r.pmid)
        for a in r.authors:
            for aff in a.affiliations:
                for w in words(aff):
                    f["ad"][w].add(r.pmid)
        for h in r.mesh_headings:
            f["mh"][fold(h.descriptor)].add(r.pmid)
        for _, name in r.publication_types:
            f["pt"][fold(name)].add(r.pmid)
        if r.volume:
            f["vi"][fold(r.volume)].add(r.pmid)
        if r.pages:
            f["pg"][fold(first_page(r.pages))].add(r.pmid)
        for i, a in enumerate(r.authors):
            if a.last_name:
                self.authors[fold(a.last_name)].append((fold(a.initials or ""), r.pmid))
                if i == 0:
                    self.first_authors[fold(a.last_name)].append((fold(a.initials or ""), r.pmid))

    def discard(self, pmid: int) -> None:
        """Forget a record and every index entry pointing at it."""
        if self.records.pop(pmid, None) is None:
            return
        for table in self.fields.values():
            for key in [k for k, ids in table.items() if pmid in ids]:
                table[key].discard(pmid)
                if not table[key]:
                    del table[key]
        for by_name in (self.authors, self.first_authors):
            for name in [n for n, entries in by_name.items() if any(p == pmid for _, p in entries)]:
                by_name[name] = [(ini, p) for ini, p in by_name[name] if p != pmid]
                if not by_name[name]:
                    del by_name[name]

    def get(self, pmid: int) -> PubmedRecord | None:
        return self.records.get(pmid)

    def __len__(self) -> int:
        return len(self.records)

    # --- field matching ------------------------------------------------------------

    def match(self, value: str, tag: str) -> set[int]:
        value = value.strip().strip('"')
        tag = tag.lower()
        if tag in {"dp", "pdat", "lr"} and ":" in value:
            return self.match_range(value, tag)
        if tag in {"uid", "pmid"}:
            return set(self.fields["pmid"].get(value, ()))
        if tag in {"doi", "aid", "lid"}:
            return set(self.fields["doi"].get(fold(value), ())) | set(self.fields["pmc"].get(fold(value), ()))
        if tag in {"pmc", "pmcid"}:
            return set(self.fields["pmc"].get(fold(value), ()))
        if tag in {"dp", "pdat"}:
            return set(self.fields["dp"].get(value[:4], ()))
        if tag == "lr":
            day = _iso(value)
            return {p for p, r in self.records.items() if (r.date_revised or "").startswith(day)}
        if tag in {"ta", "journal", "jour"}:
            return set(self.fields["ta"].get(fold(value).rstrip("."), ()))
        if tag in {"au", "auth", "author"}:
            return self.match_author(value)
        if tag == "1au":
            return self.match_author(value, first_only=True)
        if tag in {"mh", "mesh"}:
            return set(self.fields["mh"].get(fold(value), ()))
        if tag in {"pt", "ptyp"}:
            return set(self.fields["pt"].get(" ".join(fold(value).split()), ()))
        if tag in {"vi", "volume"}:
            return set(self.fields["vi"].get(fold(value), ()))
        if tag in {"pg", "page"}:
            return set(self.fields["pg"].get(fold(first_page(value)), ()))
        if tag in {"ti", "title", "tiab", "tw", "ad", "affl", "affiliation"}:
            field = {"title": "ti", "affl": "ad", "affiliation": "ad"}.get(tag, tag)
            return self.match_words(value, field)
        if tag in {"all", "all fields", ""}:
            return (self.match_words(value, "tiab") | self.match_author(value) | self.match(value, "doi")
                    | self.match(value, "pmid") | self.match(value, "ta"))
        raise ValueError(f"unsupported field tag [{tag}]")

    def match_range(self, value: str, tag: str) -> set[int]:
        """`lo:hi` dates, inclusive; each bound yyyy, yyyy/mm or yyyy/mm/dd (3000: no upper bound)."""
        lo, _, hi = (_iso(v) for v in value.partition(":"))
        if not lo[:4].isdigit() or not hi[:4].isdigit():
            raise ValueError(f"cannot read the date range {value!r}")
        if tag != "lr":
            lo, hi = lo[:4], hi[:4]  # records carry a publication year only
        out = set()
        for pmid, r in self.records.items():
            date = r.date_revised if tag == "lr" else (str(r.year) if r.year else None)
            if date and lo <= date[:len(lo)] and date[:len(hi)] <= hi:
                out.add(pmid)
        return out

    def match_words(self, value: str, field: str) -> set[int]:
        """Every word of `value` in the field; a trailing `*` matches any word it begins."""
        if value.endswith("*") and len(stem := fold(value[:-1])) >= 4 and stem.isalnum():
            table = self.fields[field]
            return set().union(*(ids for w, ids in table.items() if w.startswith(stem)))
        ws = words(value)
        if not ws:
            return set()
        sets = [self.fields[field].get(w, set()) for w in ws]
        return set.intersection(*map(set, sets))

    def match_author(self, value: str, first_only: bool = False) -> set[int]:
        parts = fold(value).replace(",", " ").split()
        if not parts:
            return set()
        if len(parts) > 1 and len(parts[-1]) <= 3:
            last, initials = " ".join(parts[:-1]), parts[-1]
        else:
            last, initials = " ".join(parts), ""
        by_name = self.first_authors if first_only else self.authors
        return {pmid for ini, pmid in by_name.get(last, ()) if ini.startswith(initials)}

    # --- queries -------------------------------------------------------------------

    def search(self, term: str) -> list[int]:
        """Evaluate a query; PMIDs newest first, as PubMed's default sort roughly is."""
        tokens = tokenize(term)
        if not tokens:
            return []
        parser = _Parser(tokens, self)
        hits = parser.expression()
        if parser.pos != len(tokens):
            raise ValueError(f"cannot parse query near {tokens[parser.pos]!r}")
        return sorted(hits, reverse=True)

    def citation_match(self, journal: str, year: str, volume: str, first_page: str, author: str) -> list[int]:
        """ECitMatch semantics: every given field must agree."""
        cands = set(self.records)
        if journal:
            cands &= self.match(journal, "ta")
        if year:
            cands &= self.match(year, "dp")
        if author:
            cands &= self.match_author(author)
        if volume:
            cands = {p for p in cands if (self.records[p].volume or "") == volume}
        if first_page:
            cands = {p for p in cands if first_page_of(self.records[p]) == first_page}
        return sorted(cands)


def first_page(pages: str) -> str:
    """"54-60" -> "54"; "e1234" -> "e1234"."""
    return pages.split("-")[0].strip()


def first_page_of(record: PubmedRecord) -> str:
    return first_page(record.pages or "")


def _iso(date: str) -> str:
    """PubMed's yyyy/mm/dd (or yyyy/mm, yyyy) as the ISO prefix DateRevised is stored in."""
    return date.strip().strip('"').replace("/", "-")


def tokenize(term: str) -> list[tuple[str, str]]:
    """Query text -> tokens: ("(",""), (")",""), ("op","AND"), ("term", value, tag)."""
    out: list[tuple[str, str]] = []
    pos = 0
    term = term.strip()
    while pos < len(term):
        m = TOKEN_RE.match(term, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot parse query near {term[pos:pos + 20]!r}")
        pos = m.end()
        if m.group(1):
            out.append(("(", ""))
        elif m.group(2):
            out.append((")", ""))
        else:
            value, tag = m.group(3), (m.group(4) or "[all]")[1:-1]
            if value.upper() in {"AND", "OR", "NOT"} and not m.group(4):
                out.append(("op", value.upper()))
            else:
                out.append(("term", f"{value}\x00{tag}"))
    return out


class _Parser:
    """expression := and_expr (OR and_expr)*; and_expr := unary ((AND|NOT|implicit) unary)*"""

    def __init__(self, tokens: list[tuple[str, str]], index: PubmedIndex):
        self.tokens, self.index, self.pos = tokens, index, 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def expression(self) -> set[int]:
        hits = self.and_expr()
        while self.peek() == ("op", "OR"):
            self.pos += 1
            hits = hits | self.and_expr()
        return hits

    def and_expr(self) -> set[int]:
        hits = self.unary()
        while True:
            tok = self.peek()
            if tok == ("op", "AND"):
                self.pos += 1
                hits = hits & self.unary()
            elif tok == ("op", "NOT"):
                self.pos += 1
                hits = hits - self.unary()
            elif tok is not None and tok[0] in {"term", "("}:
                hits = hits & self.unary()  # PubMed joins adjacent terms with AND
            else:
                return hits

    def unary(self) -> set[int]:
        tok = self.peek()
        if tok is None:
            raise ValueError("query ends early")
        self.pos += 1
        if tok[0] == "(":
            hits = self.expression()
            if self.peek() != (")", ""):
                raise ValueError("unbalanced parenthesis")
            self.pos += 1
            return hits
        if tok[0] == "term":
            value, tag = tok[1].split("\x00")
            return self.index.match(value, tag)
        raise ValueError(f"unexpected {tok[1] or tok[0]!r}")
