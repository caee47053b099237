"""Terms: the lower-cased, plural-folded content words a claim and a record are compared on.

A term is a word of 3+ letters/digits, split at hyphens, minus generic vocabulary
(data/topic_vocabulary.toml), with a crude plural fold; `stem` folds common endings further
("prevention", "preventing" -> "prevent") for matching outcomes tolerant of morphology. Shared by
grading.engine.claim_reading and grading.engine.topic (which used to import each other).
"""

from __future__ import annotations

import re
import tomllib
from functools import cache, lru_cache

from grading.settings import bundled_path

WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)


@cache
def generic_words() -> frozenset[str]:
    with open(bundled_path("topic_vocabulary.toml"), "rb") as fh:
        data = tomllib.load(fh)
    return frozenset(fold(w) for w in data["generic"].split())


@lru_cache(maxsize=1 << 16)  # words recur across claims and records: each folded once
def fold(word: str) -> str:
    w = word.lower()
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def terms(text: str | None) -> frozenset[str]:
    if not text:
        return frozenset()
    generic = generic_words()
    out = set()
    for w in WORD_RE.findall(text):
        if len(w) < 3 or w.isdigit():
            continue
        f = fold(w)
        if f not in generic:
            out.add(f)
    return frozenset(out)




STEM_ENDINGS = ("ations", "ation", "ings", "ing", "ions", "ion", "ments", "ment", "ives", "ive", "ers", "er", "ed",
                "es", "s", "al", "ly")


@lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A crude stem for matching ("prevention", "preventing", "prevents" -> "prevent"); never below 4 letters."""
    w = fold(word)
    for ending in STEM_ENDINGS:
        if w.endswith(ending) and len(w) - len(ending) >= 4:
            return w[: -len(ending)]
    return w


def stems(words: frozenset[str] | set[str]) -> frozenset[str]:
    return frozenset(stem(w) for w in words)
