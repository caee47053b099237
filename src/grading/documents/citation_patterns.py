"""The patterns citations are found with: labelled identifiers, author names (Vancouver, APA),
years, journal references, author-year markers and reference-list lines, and the word lists of
data/citation_vocabulary.toml. Shared by grading.documents.citations (finding) and
grading.documents.reference_entries (reference entries and lists). Every pattern is written so
that it cannot backtrack quadratically.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

MAX_ENTRY_CHARS = 2000  # longer lines are prose, not one reference entry
ID_KINDS = ("pmid", "pmcid", "doi")  # preference when an entry carries several ids

# --- labelled identifiers --------------------------------------------------------------

PMID_LABEL_RE = re.compile(r"\b(?:PMID|PubMed[ \t]*ID|PubMed[ \t]*(?=:))[ \t]*(?:[:#][ \t]*)?([0-9]{1,12})(?![0-9])",
                           re.IGNORECASE)
PMCID_LABEL_RE = re.compile(r"\bPMCID[ \t]*(?:[:#][ \t]*)?(?:PMC)?([0-9]{1,12})(?![0-9])|(?<![A-Za-z0-9/])PMC"
                            r"([0-9]{3,12})(?![0-9])", re.IGNORECASE)
DOI_RE = re.compile(r"(?:\bdoi[ \t]*(?::[ \t]*)?)?(?<![A-Za-z0-9./_\-])10\.[0-9]{4,9}/[^\s\"'\[\]{}|\\^`"
                    r"\u2018-\u201f]+", re.IGNORECASE)

# --- names, years, journals ------------------------------------------------------------

UPPER = "A-ZÀ-ÖØ-Þ"
PARTICLE_WORDS = r"(?:van|von|de|der|den|del|della|da|di|du|dos|le|la)"
PARTICLES = rf"(?:{PARTICLE_WORDS}[ \t]+){{0,3}}"
SURNAME = rf"{PARTICLES}[{UPPER}][^\W\d_]*(?:['’\-][^\W\d_]+)*"
SURNAME_FULL = rf"{SURNAME}(?:[ \t]+[{UPPER}][^\W\d_]*[a-zà-ÿ](?:['’\-][^\W\d_]+)*){{0,2}}"
INITIALS = r"(?:(?:[A-Z]\.[ \t]?-?){1,3}|[A-Z]{1,3})(?![^\W\d_])"
AFFILIATION_DIGITS = r"(?:[0-9]{1,2}(?:,[0-9]{1,2})*(?=,|[ \t]|$)|[\u00b9\u00b2\u00b3\u2070-\u2079]{1,3})?"
VANCOUVER_NAME = rf"{SURNAME_FULL}[ \t]+{INITIALS}{AFFILIATION_DIGITS}"
APA_NAME = rf"{SURNAME_FULL},[ \t]+(?:[A-Z]\.[ \t]?-?){{1,4}}"
APA_NAME_RE = re.compile(APA_NAME)
VANCOUVER_NAME_RE = re.compile(rf"(?P<surname>{SURNAME_FULL})[ \t]+(?P<initials>{INITIALS}){AFFILIATION_DIGITS}")
NOT_INITIAL_RE = re.compile(r"[^A-Z]")
YEAR = r"(?:1[89]|20)[0-9]{2}"
ET_AL = r"et[ \t]+al\b\.?"

VANCOUVER_RE = re.compile(rf"(?P<authors>{VANCOUVER_NAME}(?:,[ \t]*{VANCOUVER_NAME}){{0,60}})"
                          rf"(?P<etal>,?[ \t]+et[ \t]+al\b)?(?:(?<=\.)[ \t]|[ \t]*(?:[.;:]|$))")
APA_RE = re.compile(rf"(?P<authors>{APA_NAME}(?:,?[ \t]+(?:&[ \t]+|and[ \t]+|\.\.\.[ \t]+|…[ \t]+)?{APA_NAME})"
                    rf"{{0,60}})(?P<etal>,?[ \t]+{ET_AL})?[ \t]*\((?P<year>{YEAR})[a-z]?(?:,[^()\n]{{0,30}})?\)\.?")
# "2006 Oct;1117(1):54-60" after an AMA/Vancouver title and journal
AMA_DATE = rf"(?<![0-9])(?P<year>{YEAR})(?:[ \t]+[A-Z][a-z]{{2,8}}\.?(?:[-/][A-Z][a-z]{{2,8}})?(?:[ \t]+[0-9]{{1,2}})?)?"
AMA_VOLUME = r"[ \t]*;[ \t]*(?P<vol>[0-9]{1,6}[A-Za-z]?)(?:[ \t]*\([^()\n]{1,20}\))?"
AMA_PAGES = r"[ \t]*:[ \t]*(?P<page>[A-Za-z]?[0-9]{1,7}[A-Za-z]?)(?:[ \t]*[-–][ \t]*[A-Za-z]?[0-9]{1,7}[A-Za-z]?)?"
AMA_CORE_RE = re.compile(rf"{AMA_DATE}{AMA_VOLUME}(?:{AMA_PAGES})?")
JOURNAL_CORE_RE = re.compile(rf"{AMA_DATE}{AMA_VOLUME}{AMA_PAGES}")  # without authors, demand the pages
# "Cochrane Database Syst Rev. 2015[7]:CD012345": a review number; "[7]"/"(7)" is the issue, not a marker
REVIEW_NUMBER_RE = re.compile(rf"{AMA_DATE}[ \t]*(?:\[(?P<issue>[0-9]{{1,2}})\]|\((?P<issue2>[0-9]{{1,2}})\))?"
                              rf"[ \t]*[:;][ \t]*(?:Art\.?[ \t]*No\.?:?[ \t]*)?(?P<page>CD[0-9]{{6}})(?![0-9])")
# ", 1117(1), 54–60" after an APA title and journal
APA_CORE_RE = re.compile(r",[ \t]*(?P<vol>[0-9]{1,6})(?:[ \t]*\([^()\n]{1,20}\))?,[ \t]*"
                         r"(?P<page>[A-Za-z]?[0-9]{1,7}[A-Za-z]?)")
YEAR_RE = re.compile(rf"(?<![0-9]){YEAR}(?![0-9])")
# "(2011) • Otology Letters" after a card's author list; the bullet may be mojibake
CARD_TAIL_RE = re.compile(rf"[ \t]*\((?P<year>{YEAR})[a-z]?\)[.,]?[ \t]*(?:[^A-Za-z0-9 \t(]{{1,4}}[ \t]*)?"
                          rf"(?P<journal>[A-Z][^()\n]{{2,120}})?$")
SENTENCE_END_RE = re.compile(r"(?<=[.?!])[ \t]+")
JOURNAL_WORD = r"[A-Z][A-Za-z&'\-]*\.?"
# sentence words before a journal name: "Published in Brain Res. 2006;…"
JOURNAL_LEAD_RE = re.compile(r"(?:(?:[A-Z][a-z]+ed|See|Source|Sources|From|In|Also|Ref|Available)[ \t]+"
                             r"(?:(?:in|at|by|from|as)[ \t]+)?)+")
JOURNAL_TAIL_RE = re.compile(rf"(?<![\w.])(?P<journal>{JOURNAL_WORD}(?:[ \t]+(?:(?:of|and|the|in|for|&)[ \t]+)?"
                             rf"{JOURNAL_WORD}){{0,8}})[ \t]*(?:[.,][ \t]*)?$")

# --- author-year markers ---------------------------------------------------------------

# A surname in an author-year marker: one word, or several when a particle leads ("van der
# Berg", "De Vries", "Dos Santos Pereira") or "et al." follows ("Garcia Lopez et al."); capitalised
# words alone ("Phase III Trial, 2019") are not a surname.
NAME_WORD = rf"[{UPPER}][^\W\d_]*(?:['’\-][^\W\d_]+)*"
ANY_CASE_PARTICLE = "(?:" + "|".join(f"[{w[0].upper()}{w[0]}]{w[1:]}" for w in PARTICLE_WORDS[3:-1].split("|")) + ")"
AY_SURNAME = (rf"(?:{ANY_CASE_PARTICLE}[ \t]+){{1,3}}{NAME_WORD}(?:[ \t]+{NAME_WORD}){{0,2}}"
              rf"|{NAME_WORD}(?:[ \t]+{NAME_WORD}){{1,2}}(?=[ \t]+{ET_AL})|{SURNAME}")
AY_SURNAME = f"(?:{AY_SURNAME})"
AY_NAMES = rf"{AY_SURNAME}(?:(?:,[ \t]*{AY_SURNAME}){{0,5}},?[ \t]+(?:&|and)[ \t]+{AY_SURNAME}|[ \t]+{ET_AL})?"
# "(Doe et al., Annals of Example Medicine 2021)": a journal of two or more capitalised words
# between the names and the year.
AY_JOURNAL = (rf"{JOURNAL_WORD}(?:[ \t]+(?:(?:of|and|the|in|for|&)[ \t]+){{0,2}}{JOURNAL_WORD}){{1,8}}")
AY_PART_RE = re.compile(
    rf"[ \t]*(?:(?:see(?:[ \t]+also)?|e\.g\.,?|cf\.?|i\.e\.,?|reviewed[ \t]+(?:in|by))[ \t]+)?"
    rf"(?P<names>{AY_NAMES})(?:,[ \t]*(?P<journal>{AY_JOURNAL}))?(?P<comma>,)?[ \t]+(?P<year>{YEAR})[a-z]?"
    rf"(?:,[ \t]*{YEAR}[a-z]?)*"
    rf"(?:,[ \t]*pp?\.[ \t]*[0-9]+(?:[ \t]*[-–][ \t]*[0-9]+)?)?[ \t]*")
PAREN_RE = re.compile(r"\(([^()\n]{4,400})\)")
NARRATIVE_RE = re.compile(rf"(?<![\w'’\-])(?P<names>{SURNAME}(?:[ \t]+{ET_AL}|[ \t]+&[ \t]+{SURNAME}))"
                          rf"[ \t]*\([ \t]*(?P<year>{YEAR})[a-z]?[ \t]*\)")
# --- reference lists -------------------------------------------------------------------

# An entry's label: "[1]", "(1)", "1.", "1)", and letters "(a)", "a.", "a)".
ENTRY_LABEL = r"\[[0-9]{1,3}\]|\([0-9]{1,3}\)|[0-9]{1,3}[.)]|\([a-z]\)|[a-z][.)]"
LETTER_LABEL_RE = re.compile(r"\(?[a-z][.)]")
ENTRY_START_RE = re.compile(rf"^[ \t]*(?:[•·▪◦*\-–][ \t]+)?(?:(?:{ENTRY_LABEL})[ \t]*)?"
                            rf"(?:[{UPPER}]|{PARTICLE_WORDS}[ \t])", re.MULTILINE)
ENTRY_LEAD_RE = re.compile(rf"[ \t]*(?:[•·▪◦*\-–][ \t]+)?(?:(?P<number>{ENTRY_LABEL})[ \t]*)?")


def label_number(label: str) -> int:
    """An entry label's footnote number: "[3]", "(3)", "3." -> 3; "(a)", "b." -> 1, 2 (a lettered
    list: grading.documents.markers then reads only lettered markers against it)."""
    core = label.strip("[]().")
    return int(core) if core.isdigit() else ord(core) - ord("a") + 1


LIST_ENTRY_MAX_CHARS = 400  # a title-first entry under a heading ("Title. Journal. 2006. https://…")
LIST_KINDS = frozenset({"pmid", "pmcid", "doi", "url", "journal_ref"})


@dataclass(frozen=True)
class Vocabulary:
    """The word lists of data/citation_vocabulary.toml, compiled."""

    heading: re.Pattern[str]  # a line that opens a reference list
    label_words: frozenset[str]  # may stand beside a citation on a citation-only line
    not_authors: frozenset[str]  # capitalised words before a year that are not names
    source_label_words: frozenset[str]  # lower-case words inside a source label's bracket


@cache
def vocabulary() -> Vocabulary:
    """Load and compile data/citation_vocabulary.toml (once, on first use)."""
    with (resources.files("grading") / "data" / "citation_vocabulary.toml").open("rb") as fh:
        data = tomllib.load(fh)
    names = sorted(data["reference_list"]["headings"], key=len, reverse=True)
    alternatives = "|".join(re.escape(n).replace(r"\ ", r"[ \t]+").replace(r"\-", r"[- \t]") for n in names)
    initials = re.escape("".join(sorted({n[0] for n in names})))  # skips most lines at once
    heading = re.compile(rf"^[#*= \t]*(?:[0-9]+\.?[ \t]*)?(?=[{initials}])(?:{alternatives})(?:[ \t]*:)?[#*= \t]*\r?$",
                         re.IGNORECASE | re.MULTILINE)
    return Vocabulary(heading, frozenset(data["reference_list"]["label_words"].split()),
                      frozenset(data["author_year"]["not_authors"].split()),
                      frozenset(data["reference_list"]["source_label_words"].split()))
