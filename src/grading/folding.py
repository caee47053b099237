"""One way to compare names and words across pages, PubMed records and indexes.

PubMed folds diacritics when it searches (Müller = Muller), and so must we; but NFKD alone drops
letters that have no decomposition (ø, ß, ł, æ), turning "Løvås" into "lvas" and excluding the
right paper. Those letters are spelled out first, the way PubMed and library catalogues do.
"""

from __future__ import annotations

import unicodedata

# Letters NFKD cannot split into base letter + mark: their usual Latin spelling.
SPELLED_OUT = str.maketrans({
    "ø": "o", "Ø": "O", "ß": "ss", "ẞ": "SS", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D",
    "þ": "th", "Þ": "Th", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ı": "i", "ħ": "h", "Ħ": "H",
    "ŀ": "l", "Ŀ": "L", "ŧ": "t", "Ŧ": "T", "ĸ": "k", "’": "'", "‘": "'",
})


def fold(text: str) -> str:
    """Lower-case ASCII: diacritics dropped, unsplittable letters spelled out, ends stripped."""
    spelled = text.translate(SPELLED_OUT)
    decomposed = unicodedata.normalize("NFKD", spelled)
    return "".join(c for c in decomposed if c.isascii()).lower().strip()


def ascii_letters(text: str) -> str:
    """`fold` keeping case, for query terms a reader checks: "Müller K" -> "Muller K"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(SPELLED_OUT))
    return "".join(c for c in decomposed if c.isascii()).strip()
